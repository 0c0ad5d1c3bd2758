/** Tables written by Spark, the Iceberg Java API and Athena (facts: shared/fixtures/README.md). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Warehouse, applyTransform, loadStaticTable, parseTransform, where } from 'lakehouse-engine/catalog';
import { collect } from './util.js';
import { haveFixtures, icebergFixture } from '../helpers/fixtures.js';

const FIX = icebergFixture();
const rowsOf = async (file: string, opts: Record<string, unknown> = {}): Promise<Array<Record<string, unknown>>> => collect(await (await loadStaticTable(`${FIX}/${file}`)).read(opts));

describe.runIf(haveFixtures())('fixture tables written by other engines', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('spark/bunnies: position delete, added column, time travel', async () => {
    expect((await rowsOf('spark/bunnies/metadata/v1.metadata.json')).length).toBe(21);
    expect((await rowsOf('spark/bunnies/metadata/v3.metadata.json')).length).toBe(20);
    expect((await rowsOf('spark/bunnies/metadata/v5.metadata.json', { snapshotId: 7505300640432048841n })).length).toBe(21);
    const v5 = await loadStaticTable(`${FIX}/spark/bunnies/metadata/v5.metadata.json`);
    // The 64-bit snapshot ids survive parsing exactly.
    expect(v5.snapshots().map((s) => s['snapshot-id'])).toEqual([7505300640432048841n, 469881615898633426n, 2701171901096418979n]);
    const plan = await v5.scan({ snapshotId: 469881615898633426n });
    expect(plan.tasks.length).toBe(1);
    expect(plan.tasks[0]!.deletes.map((d) => d.file.content)).toEqual([1]);
  });

  it('java/bunnies: equality and position deletes, overwrite', async () => {
    expect((await rowsOf('java/bunnies/metadata/v2.metadata.json')).length).toBe(21);
    expect((await rowsOf('java/bunnies/metadata/v4.metadata.json')).length).toBe(15);
    const v5 = await rowsOf('java/bunnies/metadata/v5.metadata.json');
    expect(v5.length).toBe(15);
    expect(v5.filter((r) => r['Origin Country'] === 'New Zealand').length).toBe(1);
    const t = await loadStaticTable(`${FIX}/java/bunnies/metadata/v5.metadata.json`);
    const kinds = (await t.scan()).tasks.flatMap((x) => x.deletes.map((d) => d.file.content)).sort();
    expect(kinds).toEqual([1, 2]);
  });

  it('spark/rename_column: bucket + date partitions with a null partition, renamed column read by id', async () => {
    const v2 = await rowsOf('spark/rename_column/metadata/v2.metadata.json');
    const v3 = await rowsOf('spark/rename_column/metadata/v3.metadata.json');
    expect(v2.length).toBe(4);
    const renamed = v3.map(({ event_date, ...rest }) => ({ ...rest, date: event_date }));
    expect(renamed).toEqual(v2);
    expect(v3.some((r) => r.event_date === null)).toBe(true);
    const t = await loadStaticTable(`${FIX}/spark/rename_column/metadata/v3.metadata.json`);
    const nullPart = await t.scan({ filter: where.isNull('event_date') });
    expect(nullPart.tasks.map((x) => x.file.partition[1])).toEqual([null]);
    const jan1 = await t.scan({ filter: where.eq('event_date', '2022-01-01') });
    expect(jan1.tasks.length).toBe(1);
    expect(jan1.metrics.dataFilesSkipped).toBe(2);
    // Our bucket transform agrees with the partition values Spark computed for every row.
    const parts = new Set((await t.scan()).tasks.map((x) => JSON.stringify(x.file.partition)));
    for (const r of v3) {
      const day = r.event_date === null ? null : Math.round((r.event_date as number) / 86_400_000);
      expect(parts.has(JSON.stringify([applyTransform(parseTransform('bucket[4]'), 'int', r.id as number), day]))).toBe(true);
    }
  });

  it('athena/example: NNNNN-uuid metadata names without a version hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-fixwh-'));
    dirs.push(dir);
    const wh = await Warehouse.open(dir);
    await wh.createNamespace('ext');
    const t = await wh.registerTable('ext.athena', `${FIX}/athena/example`);
    expect(t.metadataLocation).toMatch(/00001-aaf0d033-d06b-43c7-be60-67f83abd4aca\.metadata\.json$/);
    expect(t.metadata['last-sequence-number']).toBe(1);
    expect((await collect(await t.read())).length).toBe(2);
  });

  it('registers a copied table with pathMapping and reads the newest version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lake-fixwh-'));
    dirs.push(dir);
    const wh = await Warehouse.open(dir);
    await wh.createNamespace('ext');
    await wh.registerTable('ext.bunnies', `${FIX}/spark/bunnies/metadata/v5.metadata.json`, {
      pathMapping: { 's3a://hyperparam-iceberg/spark/bunnies': `${FIX}/spark/bunnies` },
    });
    expect(await wh.listTables('ext')).toEqual(['bunnies']);
    const t = await wh.loadTable('ext.bunnies');
    expect(t.version).toBe(5);
    expect((await collect(await t.read())).length).toBe(20);
    await wh.dropTable('ext.bunnies');
    expect(await wh.listTables('ext')).toEqual([]);
  });
});
