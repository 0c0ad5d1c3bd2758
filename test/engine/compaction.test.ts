/**
 * Compaction (bin-pack) on every storage backend: 200 small files across 4 partitions become the
 * minimal file count per partition with identical rows and one `replace` in the history; an
 * append committed during a compaction survives and the compaction still commits; of two
 * compactions of the same files exactly one fails (COMMIT_CONFLICT) and leaves no files; equality
 * deletes are applied by the rewrite; rollback after a bad INSERT OVERWRITE restores the rows.
 */
import { createHash } from 'node:crypto';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordBatchFromRows, writeParquetFiles } from 'lakehouse-engine/connectors';
import { Warehouse, rollbackTo, type Table } from 'lakehouse-engine/catalog';
import { Engine, MemoryTableSource } from 'lakehouse-engine/engine';
import { backends } from '../helpers/backends.js';
import { keysUnder, liveFiles } from './catalog-helpers.js';

const REGIONS = ['north', 'south', 'east', 'west'];
const BATCHES = 50;
const PER_BATCH = 80;

function batch(k: number, offset = 0): arrow.RecordBatch {
  const n = PER_BATCH;
  const id = new Int32Array(n).map((_, i) => offset + k * n + i);
  const region = Array.from(id, (i) => REGIONS[i % 4]!);
  const v = Float64Array.from(id, (i) => (i * 13) % 101 / 7);
  return new arrow.Table({ id: arrow.makeVector(id), region: arrow.vectorFromArray(region, new arrow.Utf8()), v: arrow.makeVector(v) }).batches[0]!;
}

/** A checksum over the sorted rows (exact values). */
async function checksum(engine: Engine, table: string, snapshot?: string): Promise<{ n: number; hash: string }> {
  const rows = await engine.sql(`SELECT id, region, v FROM ${table}${snapshot ? ` VERSION AS OF ${snapshot}` : ''} ORDER BY id, region, v`).toArray();
  return { n: rows.length, hash: createHash('sha256').update(JSON.stringify(rows)).digest('hex') };
}

for (const backend of backends()) {
  describe(`compaction (${backend.name})`, () => {
    let engine: Engine;
    let wh: Warehouse;
    let seq = 0;

    beforeAll(async () => {
      const uri = await backend.freshUri('eng-compact');
      engine = await Engine.open({ warehouse: uri, threads: 2 });
      wh = await Warehouse.open(uri);
    });

    afterAll(async () => {
      await engine?.close();
      await wh?.close();
      await backend.cleanup();
    });

    /** A table partitioned by region with 200 small files (50 per partition) in one append. */
    async function smallFiles(name: string): Promise<Table> {
      const src = `tmp.src${seq++}`;
      engine.registerTable(src, new MemoryTableSource(Array.from({ length: BATCHES }, (_, k) => batch(k))));
      await engine.run(`CREATE TABLE ${name} PARTITIONED BY (region) AS SELECT * FROM ${src}`);
      engine.dropTable(src);
      const t = await wh.loadTable(name);
      expect((await liveFiles(t)).length).toBe(BATCHES * REGIONS.length);
      return t;
    }

    it('200 small files across 4 partitions → one file per partition, identical rows, one replace', async () => {
      const t = await smallFiles('c.one');
      const before = await checksum(engine, 'c.one');
      const plan = await engine.compact('c.one', { dryRun: true });
      expect(plan.groups.length).toBe(4);
      expect(plan.groups.every((g) => g.files.length === BATCHES && g.expectedFiles === 1)).toBe(true);
      expect((await wh.loadTable('c.one')).snapshots().length).toBe(1);

      const res = await engine.compact('c.one');
      expect(res.metrics).toMatchObject({ filesBefore: 200, filesAfter: 4, filesRewritten: 200, filesAdded: 4, rows: BATCHES * PER_BATCH });
      expect(res.metrics.bytesRead).toBe(plan.groups.reduce((s, g) => s + g.inputBytes, 0));
      expect(res.metrics.throughput.filesPerSecond).toBeGreaterThan(0);
      const after = await liveFiles(await t.refresh());
      expect(after.length).toBe(4);
      expect(new Set(after.map((f) => f.partition)).size).toBe(4);
      expect(await checksum(engine, 'c.one')).toEqual(before);
      expect(t.history().map((s) => s.summary.operation)).toEqual(['replace', 'append']);
      // Nothing left to do: a second run plans no groups and commits nothing.
      const again = await engine.compact('c.one');
      expect(again.groups.length).toBe(0);
      expect((await t.refresh()).snapshots().length).toBe(2);
    });

    it('where and sortBy: only the selected partition, rewritten sorted', async () => {
      await smallFiles('c.where');
      const res = await engine.compact('c.where', { where: "region = 'east'", sortBy: ['v DESC', 'id'] });
      expect(res.groups.map((g) => g.partition)).toEqual([{ region: 'east' }]);
      const t = await wh.loadTable('c.where');
      const files = await liveFiles(t);
      expect(files.length).toBe(3 * BATCHES + 1);
      const east = files.find((f) => f.partition === JSON.stringify(['east']))!;
      const rows = await engine.sql("SELECT id, v FROM c.where WHERE region = 'east'").toArray();
      expect(rows.length).toBe(east.rows);
      const sorted = [...rows].sort((a, b) => (b['v'] as number) - (a['v'] as number) || (a['id'] as number) - (b['id'] as number));
      expect(rows).toEqual(sorted);
    });

    it('an append committed during the compaction loses nothing, and the compaction still commits', async () => {
      await smallFiles('c.append');
      const before = await checksum(engine, 'c.append');
      let appended = '';
      const res = await engine.compact('c.append', {
        beforeCommit: async () => {
          engine.registerTable('tmp.more', new MemoryTableSource([batch(0, 100_000)]));
          const w = await engine.run('INSERT INTO c.append SELECT * FROM tmp.more');
          engine.dropTable('tmp.more');
          appended = w.kind === 'write' ? w.snapshotId! : '';
        },
      });
      const t = await wh.loadTable('c.append');
      const [replace, append] = t.history();
      expect(replace!.summary.operation).toBe('replace');
      expect(String(append!['snapshot-id'])).toBe(appended);
      expect(res.snapshotIds).toEqual([String(replace!['snapshot-id'])]);
      const after = await checksum(engine, 'c.append');
      expect(after.n).toBe(before.n + PER_BATCH);
      const extra = await engine.sql('SELECT count(*) AS n FROM c.append WHERE id >= 100000').toArray();
      expect(extra[0]!['n']).toBe(PER_BATCH);
      // The appended files are untouched; the compacted partitions hold one file each plus the new ones.
      expect((await liveFiles(t)).length).toBe(4 + REGIONS.length);
    });

    it('two compactions of the same files: exactly one fails cleanly (COMMIT_CONFLICT, its files deleted)', async () => {
      const t = await smallFiles('c.race');
      const before = await checksum(engine, 'c.race');
      let inner: Awaited<ReturnType<Engine['compact']>> | undefined;
      const outer = await engine.compact('c.race', {
        runId: 'compact-loser',
        beforeCommit: async () => { inner = await engine.compact('c.race', { runId: 'compact-winner' }); },
      }).then(() => undefined, (e: unknown) => e as { code?: string });
      expect(outer?.code).toBe('COMMIT_CONFLICT');
      expect(inner?.snapshotIds.length).toBe(1);
      const keys = await keysUnder(t.io.store, t.io.key('data/'));
      expect(keys.some((k) => k.includes('compact-loser-'))).toBe(false);
      expect(keys.filter((k) => k.includes('compact-winner-')).length).toBe(4);
      expect(await checksum(engine, 'c.race')).toEqual(before);
      expect((await t.refresh()).history().map((s) => s.summary.operation)).toEqual(['replace', 'append']);
      // Run concurrently without coordination: still exactly one winner.
      await smallFiles('c.race2');
      const both = await Promise.allSettled([engine.compact('c.race2'), engine.compact('c.race2')]);
      const ok = both.filter((r) => r.status === 'fulfilled');
      const failed = both.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(ok.length).toBe(1);
      expect(failed.length).toBe(1);
      expect((failed[0]!.reason as { code?: string }).code).toBe('COMMIT_CONFLICT');
      const t2 = await wh.loadTable('c.race2');
      expect((await liveFiles(t2)).length).toBe(4);
      expect((await keysUnder(t2.io.store, t2.io.key('data/'))).length).toBe(200 + 4);
    });

    it('equality deletes are applied by the rewrite', async () => {
      const t = await smallFiles('c.deletes');
      const schema = t.schema();
      const idField = schema.fields.find((f) => f.name === 'id')!;
      const delSchema = { type: 'struct' as const, 'schema-id': 0, fields: [idField] };
      const key = t.newDataFileKey(t.partitionFor(() => 'north'));
      const doomed = [0, 4, 8, 12];
      const [w] = await writeParquetFiles(t.io.store, () => key, [recordBatchFromRows(delSchema as never, doomed.map((id) => ({ id })))], { schema: delSchema as never });
      await t.newAppend().addFile(t.dataFile({ key: w!.key, stats: w!.stats, partition: t.partitionFor(() => 'north'), content: 2, equalityIds: [idField.id] })).commit();
      const before = await checksum(engine, 'c.deletes');
      expect(before.n).toBe(BATCHES * PER_BATCH - doomed.length);
      await engine.compact('c.deletes');
      expect(await checksum(engine, 'c.deletes')).toEqual(before);
      const plan = await (await t.refresh()).scan();
      expect(plan.tasks.every((x) => x.deletes.length === 0)).toBe(true);
    });

    it('rollback after a bad INSERT OVERWRITE restores the previous rows exactly', async () => {
      const t = await smallFiles('c.rollback');
      const good = t.currentSnapshot()!['snapshot-id'];
      const before = await checksum(engine, 'c.rollback');
      await engine.run("INSERT OVERWRITE c.rollback SELECT id, region, v * 0 AS v FROM c.rollback WHERE region = 'west'");
      expect(await checksum(engine, 'c.rollback')).not.toEqual(before);
      await rollbackTo(await t.refresh(), good);
      expect(await checksum(engine, 'c.rollback')).toEqual(before);
    });
  });
}
