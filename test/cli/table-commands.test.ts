/**
 * `lake table …`, `lake rollback`, `lake expire`, `lake remove-orphans` run as a user runs them
 * (child processes on a local warehouse), checking the documented --json shapes against the
 * table's real contents.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runLake, type CliResult } from '../helpers/cli.js';
import { recordBatchFromRows, writeParquetFiles } from 'lakehouse-engine/connectors';
import { Warehouse, type Table } from 'lakehouse-engine/catalog';
import { haveFixtures, icebergFixture } from '../helpers/fixtures.js';


let wh: string;

const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

async function lakeJson<T = any>(...args: string[]): Promise<T> {
  const r = await lake(...args, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const REGIONS = ['east', 'west'];
let snapshots: string[] = [];
let rowsPerCommit: number[] = [];

async function appendRows(table: Table, region: string, start: number, n: number): Promise<void> {
  const schema = table.schema();
  const rows = Array.from({ length: n }, (_, i) => ({ id: BigInt(start + i), region, amount: (start + i) * 1.5 }));
  const partition = table.partitionFor(() => region);
  const key = table.newDataFileKey(partition);
  const [w] = await writeParquetFiles(table.io.store, () => key, [recordBatchFromRows(schema, rows)], { schema });
  const res = await table.newAppend().appendFile(table.dataFile({ key: w!.key, stats: w!.stats, partition })).commit();
  snapshots.push(String(res.snapshot['snapshot-id']));
}

beforeAll(async () => {
  wh = mkdtempSync(join(tmpdir(), 'lake-cli-'));
  const w = await Warehouse.open(wh);
  await w.createNamespace('shop');
  const t = await w.createTable('shop.orders', [
    { name: 'id', type: 'long', required: true },
    { name: 'region', type: 'string', required: true },
    { name: 'amount', type: 'double' },
  ], { partitionBy: [{ column: 'region' }] });
  // 6 small appends to "east", 2 to "west": east needs compaction, west does not.
  let next = 0;
  for (const [region, n] of [['east', 10], ['east', 11], ['east', 12], ['east', 13], ['east', 14], ['east', 15], ['west', 20], ['west', 21]] as const) {
    await appendRows(t, region, next, n);
    next += n;
    rowsPerCommit.push(n);
  }
  await w.close();
});

afterAll(() => rmSync(wh, { recursive: true, force: true }));

describe('lake table commands (--json)', () => {
  it('list', async () => {
    expect(await lakeJson('table', 'list')).toContainEqual({ namespace: 'shop', table: 'orders', identifier: 'shop.orders' });
  });

  it('show', async () => {
    const s = await lakeJson('table', 'show', 'shop.orders');
    expect(s.schema.fields.map((f: { name: string }) => f.name)).toEqual(['id', 'region', 'amount']);
    expect(s.partitionSpec.fields).toEqual([expect.objectContaining({ transform: 'identity', name: 'region' })]);
    expect(String(s.currentSnapshot.snapshotId)).toBe(snapshots.at(-1));
    expect(s.currentSnapshot.totalRecords).toBe(rowsPerCommit.reduce((a, b) => a + b, 0));
    expect(s.formatVersion).toBe(2);
  });

  it('history', async () => {
    const h = await lakeJson<any[]>('table', 'history', 'shop.orders');
    expect(h.map((e) => String(e.snapshotId))).toEqual([...snapshots].reverse());
    expect(h.at(-1).parentId).toBeNull();
    expect(String(h[0].parentId)).toBe(snapshots.at(-2));
    for (const e of h) {
      expect(e.operation).toBe('append');
      expect(typeof e.timestampMs).toBe('number');
      expect(e.summary.operation).toBe('append');
    }
    expect(h.map((e) => e.addedRecords)).toEqual([...rowsPerCommit].reverse());
  });

  it('files, current and at an earlier snapshot', async () => {
    const files = await lakeJson<any[]>('table', 'files', 'shop.orders');
    expect(files).toHaveLength(8);
    expect(files.reduce((n, f) => n + f.recordCount, 0)).toBe(rowsPerCommit.reduce((a, b) => a + b, 0));
    for (const f of files) {
      expect(f.path).toMatch(/^file:\/\/.*\.parquet$/);
      expect(f.partition).toMatch(/^region=(east|west)$/);
      expect(f.fileSizeInBytes).toBeGreaterThan(0);
    }
    const early = await lakeJson<any[]>('table', 'files', 'shop.orders', '--snapshot', snapshots[1]!);
    expect(early.map((f) => f.recordCount).sort()).toEqual([10, 11]);
  });

  it('health', async () => {
    const h = await lakeJson('table', 'health', 'shop.orders');
    expect(h.dataFiles).toBe(8);
    expect(h.partitions).toBe(2);
    expect(h.smallFiles).toBe(8);
    expect(h.perPartition).toEqual([
      expect.objectContaining({ partition: 'region=east', files: 6, smallFiles: 6 }),
      expect.objectContaining({ partition: 'region=west', files: 2, smallFiles: 2 }),
    ]);
    expect(h.recommendations.join(' ')).toContain('1 partition has ≥5 small files: run `lake compact shop.orders`');
    expect(h.manifests).toBeGreaterThan(0);
    const text = await lake('table', 'health', 'shop.orders');
    expect(text.stdout).toContain('lake compact shop.orders');
  });
});

describe.runIf(haveFixtures())('lake table register', () => {
  it('adopts a table written by Spark, mapping its s3a:// prefix onto a copy', async () => {
    const copy = join(wh, '..', `${wh.split('/').pop()}-bunnies`);
    cpSync(icebergFixture('spark', 'bunnies'), copy, { recursive: true });
    try {
      const r = await lakeJson('table', 'register', 'adopted.bunnies', join(copy, 'metadata', 'v5.metadata.json'), '--map-prefix', `s3a://hyperparam-iceberg/spark/bunnies=${copy}`);
      expect(r.identifier).toBe('adopted.bunnies');
      expect(r.totalRecords).toBe(20);
      const files = await lakeJson<any[]>('table', 'files', 'adopted.bunnies');
      expect(files.reduce((n, f) => n + f.recordCount, 0)).toBe(20);
      const h = await lakeJson<any[]>('table', 'history', 'adopted.bunnies');
      expect(h.map((e) => e.operation)).toEqual(['overwrite', 'overwrite', 'append']);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('lake rollback / expire / remove-orphans', () => {
  it('rolls back to an ancestor and reports rows and files before/after', async () => {
    const r = await lakeJson('rollback', 'shop.orders', '--to', snapshots[5]!);
    expect(String(r.before.snapshotId)).toBe(snapshots[7]);
    expect(String(r.after.snapshotId)).toBe(snapshots[5]);
    expect(r.before.records).toBe(rowsPerCommit.reduce((a, b) => a + b, 0));
    expect(r.after.records).toBe(rowsPerCommit.slice(0, 6).reduce((a, b) => a + b, 0));
    expect(r.after.files).toBe(6);
  });

  it('refuses a non-ancestor without --set-current, accepts it with', async () => {
    const refused = await lake('rollback', 'shop.orders', '--to', snapshots[7]!);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ancestor/);
    expect(refused.stderr).toMatch(/--set-current|setCurrentSnapshot|set-current/);
    const r = await lakeJson('rollback', 'shop.orders', '--set-current', snapshots[7]!);
    expect(String(r.after.snapshotId)).toBe(snapshots[7]);
    expect(r.after.files).toBe(8);
  });

  it('expire --dry-run lists and deletes nothing', async () => {
    const before = (await lakeJson<any[]>('table', 'files', 'shop.orders')).length;
    const e = await lakeJson('expire', 'shop.orders', '--older-than', '0s', '--retain-last', '2', '--dry-run');
    expect(e.dryRun).toBe(true);
    expect(e.expiredSnapshotIds.length).toBeGreaterThan(0);
    expect(e.metrics.deletedDataFiles).toBe(0);
    expect((await lakeJson<any[]>('table', 'files', 'shop.orders')).length).toBe(before);
    expect((await lakeJson<any[]>('table', 'history', 'shop.orders')).length).toBe(8);
  });

  it('remove-orphans never touches young files and finds old ones', async () => {
    const dataDir = join(wh, 'shop', 'orders', 'data');
    mkdirSync(dataDir, { recursive: true });
    const young = join(dataDir, 'young-orphan.parquet');
    const old = join(dataDir, 'old-orphan.parquet');
    writeFileSync(young, 'x');
    writeFileSync(old, 'y');
    const tenDaysAgo = (Date.now() - 10 * 86_400_000) / 1000;
    utimesSync(old, tenDaysAgo, tenDaysAgo);
    const dry = await lakeJson('remove-orphans', 'shop.orders', '--older-than', '3d', '--dry-run');
    expect(dry.orphans).toEqual(['shop/orders/data/old-orphan.parquet']);
    const done = await lakeJson('remove-orphans', 'shop.orders', '--older-than', '3d');
    expect(done.orphans).toEqual(['shop/orders/data/old-orphan.parquet']);
    expect(readFileSync(young, 'utf8')).toBe('x');
    const again = await lakeJson('remove-orphans', 'shop.orders', '--older-than', '3d');
    expect(again.orphans).toEqual([]);
  });

  it('usage errors exit 2', async () => {
    expect((await lake('rollback', 'shop.orders')).code).toBe(2);
    expect((await lake('expire', 'shop.orders', '--retain-last', '0')).code).toBe(2);
  });

  it('a missing table exits 1 with its error code', async () => {
    const r = await lake('table', 'show', 'shop.nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TABLE_NOT_FOUND');
  });
});

describe('--help for every command', () => {
  for (const cmd of [['table', 'list'], ['table', 'show'], ['table', 'history'], ['table', 'files'], ['table', 'health'], ['table', 'register'], ['rollback'], ['expire'], ['remove-orphans']]) {
    it(`lake ${cmd.join(' ')} --help`, async () => {
      const r = await lake(...cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: lake');
      expect(r.stdout).toContain('Example');
      expect(r.stdout).toContain('--warehouse');
    });
  }
});
