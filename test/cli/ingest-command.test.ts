/** `lake ingest`: --json output, loading NDJSON into an existing table, a missing table without --create, --help. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLake, type CliResult } from '../helpers/cli.js';
import { Warehouse } from 'lakehouse-engine/catalog';


let dir: string;
let wh: string;

const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lake-cli-ingest-'));
  wh = join(dir, 'wh');
  const csv = ['id,ts,region'];
  for (let i = 0; i < 200; i++) csv.push(`${i},2024-0${1 + (i % 3)}-1${i % 10}T0${i % 10}:00:00Z,${['a', 'b', 'c'][i % 3]}`);
  writeFileSync(join(dir, 'events.csv'), `${csv.join('\n')}\n`);
  writeFileSync(join(dir, 'more.ndjson'), [200, 201, 202].map((i) => JSON.stringify({ id: i, ts: '2024-04-01T00:00:00Z', region: 'z' })).join('\n') + '\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lake ingest', () => {
  it('--create --partition-by, --json: a table clustered by the spec, rows counted', async () => {
    const r = await lake('ingest', 'raw.events', join(dir, 'events.csv'), '--create', '--partition-by', 'month(ts), bucket(4, id)', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ table: 'raw.events', created: true, filesRead: 1, rowsWritten: 200 });
    const w = await Warehouse.open(wh);
    const t = await w.loadTable('raw.events');
    expect(String(out.snapshotId)).toBe(String(t.currentSnapshot()!['snapshot-id']));
    expect(t.spec().fields.map((f) => f.transform)).toEqual(['month', 'bucket[4]']);
    const plan = await t.scan();
    expect(out.filesWritten).toBe(plan.tasks.length);
    // One file per partition: a single input file is one task.
    expect(new Set(plan.tasks.map((x) => JSON.stringify(x.file.partition))).size).toBe(plan.tasks.length);
    expect(plan.tasks.reduce((s, x) => s + x.file.recordCount, 0)).toBe(200);
    await w.close();
  });

  it('loads NDJSON into the existing table (its schema drives parsing)', async () => {
    const r = await lake('ingest', 'raw.events', join(dir, 'more.ndjson'), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ created: false, rowsWritten: 3 });
    const q = await lake('sql', "SELECT count(*) AS n FROM raw.events WHERE region = 'z'", '--json');
    expect(JSON.parse(q.stdout)).toEqual([{ n: 3 }]);
  });

  it('a missing table without --create fails with TABLE_NOT_FOUND and creates nothing', async () => {
    const r = await lake('ingest', 'raw.nope', join(dir, 'events.csv'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TABLE_NOT_FOUND');
    const w = await Warehouse.open(wh);
    expect(await w.tableExists('raw.nope')).toBe(false);
    await w.close();
  });

  it('--help has examples', async () => {
    const r = await lake('ingest', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--partition-by');
  });
});
