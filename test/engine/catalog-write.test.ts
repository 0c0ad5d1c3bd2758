/**
 * The engine over the Iceberg catalog, on every storage backend: CTAS into a table partitioned by
 * month(d), bucket(8, id); INSERT OVERWRITE of one month replaces exactly that month's
 * partitions; time travel (VERSION/TIMESTAMP AS OF, pinned inputs); schema mismatches and
 * cancelled writes leave nothing behind; the two-phase stageWrite contract (nothing visible
 * before commit, dropFiles, reuse). Expected values are computed from the generated rows in JS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse, type Table } from 'lakehouse-engine/catalog';
import { Engine, MemoryTableSource } from 'lakehouse-engine/engine';
import { backends } from '../helpers/backends.js';
import { DAY0, fileRows, keysUnder, liveFiles, salesBatch } from './catalog-helpers.js';

const BATCHES = [salesBatch(1500, 0), salesBatch(1500, 1500), salesBatch(1500, 3000), salesBatch(1500, 4500)];
const ROWS = BATCHES.flatMap((b) => b.toArray().map((r) => r.toJSON() as { id: number; d: number | Date; region: string | null; amount: number }));
const dayOf = (d: number | Date): number => (d instanceof Date ? Math.floor(d.getTime() / 86_400_000) : Number(d) > 100_000 ? Math.floor(Number(d) / 86_400_000) : Number(d));
const monthOf = (day: number): number => { const x = new Date(day * 86_400_000); return (x.getUTCFullYear() - 1970) * 12 + x.getUTCMonth(); };
const MARCH = (2024 - 1970) * 12 + 2;
const MARCH_1 = DAY0 + 31 + 29;
const APRIL_1 = MARCH_1 + 31;

function sumsByMonth(doubleMarch: boolean): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of ROWS) {
    const m = monthOf(dayOf(r.d));
    out[m] = (out[m] ?? 0) + r.amount * (doubleMarch && m === MARCH ? 2 : 1);
  }
  return out;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

for (const backend of backends()) {
  describe(`engine over the catalog (${backend.name})`, () => {
    let engine: Engine;
    let wh: Warehouse;

    beforeAll(async () => {
      const uri = await backend.freshUri('eng-cat');
      engine = await Engine.open({ warehouse: uri, threads: 2 });
      wh = await Warehouse.open(uri);
      engine.registerTable('tmp.src', new MemoryTableSource(BATCHES));
      await engine.run('CREATE TABLE raw.sales AS SELECT * FROM tmp.src');
    });

    afterAll(async () => {
      await engine?.close();
      await wh?.close();
      await backend.cleanup();
    });

    const load = (name: string): Promise<Table> => wh.loadTable(name);

    it('CTAS partitioned by month(d), bucket(8, id); INSERT OVERWRITE replaces exactly one month', async () => {
      const res = await engine.run('CREATE TABLE mart.t PARTITIONED BY (month(d), bucket(8, id)) AS SELECT id, d, region, amount FROM raw.sales');
      expect(res.kind).toBe('write');
      let t = await load('mart.t');
      expect(t.spec().fields.map((f) => [f.name, f.transform])).toEqual([['d_month', 'month'], ['id_bucket', 'bucket[8]']]);
      expect(res.kind === 'write' && res.rowsWritten).toBe(ROWS.length);

      // Every file holds exactly the rows of its partition (the catalog's own transforms decide).
      const byId = new Map(t.schema().fields.map((f) => [f.id, f.name]));
      const before = await liveFiles(t);
      // Without a shuffle, each of the 4 scan tasks writes its own file per partition it holds rows of.
      const perPartition = new Map<string, number>();
      for (const f of before) perPartition.set(f.partition, (perPartition.get(f.partition) ?? 0) + 1);
      expect(perPartition.size).toBe(new Set(ROWS.map((r) => `${monthOf(dayOf(r.d))}`)).size * 8);
      expect(Math.max(...perPartition.values())).toBeLessThanOrEqual(BATCHES.length);
      for (const f of before) {
        for (const row of await fileRows(t.io.store, f.key)) {
          const p = t.partitionFor((id) => row[byId.get(id)!] as never);
          expect(JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).toBe(f.partition);
        }
      }
      const month = async (): Promise<Record<number, number>> => {
        const rows = await engine.sql('SELECT year(d) AS y, month(d) AS m, sum(amount) AS s, count(*) AS n FROM mart.t GROUP BY year(d), month(d)').toArray();
        return Object.fromEntries(rows.map((r) => [((r['y'] as number) - 1970) * 12 + (r['m'] as number) - 1, r['s'] as number]));
      };
      const expected = sumsByMonth(false);
      const got = await month();
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
      for (const k of Object.keys(expected)) expect(close(got[Number(k)]!, expected[Number(k)]!), `month ${k}`).toBe(true);

      // Pruning: a one-month filter reads only that month's files.
      const df = engine.sql("SELECT count(*) AS n FROM mart.t WHERE d >= DATE '2024-03-01' AND d < DATE '2024-04-01'");
      const [{ n }] = (await df.toArray()) as Array<{ n: number }>;
      const marchRows = ROWS.filter((r) => monthOf(dayOf(r.d)) === MARCH).length;
      expect(n).toBe(marchRows);
      expect(df.lastStats!.rowsScanned).toBe(marchRows);

      const ow = await engine.run(`INSERT OVERWRITE mart.t SELECT id, d, region, amount * 2 AS amount FROM raw.sales WHERE d >= DATE '2024-03-01' AND d < DATE '2024-04-01'`);
      expect(ow.kind === 'write' && ow.rowsWritten).toBe(marchRows);
      t = await load('mart.t');
      const after = await liveFiles(t);
      const isMarch = (p: string): boolean => JSON.parse(p)[0] === MARCH;
      const paths = (fs: typeof before, march: boolean): string[] => fs.filter((f) => isMarch(f.partition) === march).map((f) => f.path).sort();
      expect(paths(after, false)).toEqual(paths(before, false));
      expect(paths(after, true).some((p) => paths(before, true).includes(p))).toBe(false);
      expect(new Set(after.filter((f) => isMarch(f.partition)).map((f) => f.partition))).toEqual(new Set(before.filter((f) => isMarch(f.partition)).map((f) => f.partition)));
      const doubled = sumsByMonth(true);
      const got2 = await month();
      for (const k of Object.keys(doubled)) expect(close(got2[Number(k)]!, doubled[Number(k)]!), `month ${k}`).toBe(true);
      expect(t.history().map((s) => s.summary.operation).reverse()).toEqual(['append', 'overwrite']);
      expect(MARCH_1).toBe(Math.floor(Date.parse('2024-03-01T00:00:00Z') / 86_400_000));
      expect(APRIL_1).toBe(Math.floor(Date.parse('2024-04-01T00:00:00Z') / 86_400_000));
    });

    it('time travel: VERSION AS OF, FOR VERSION AS OF, TIMESTAMP AS OF, pinned inputs; reports the snapshots read', async () => {
      const t = await load('mart.t');
      const [s2, s1] = t.history();
      expect(s2!['timestamp-ms']).toBeGreaterThan(s1!['timestamp-ms']);
      const original = ROWS.reduce((s, r) => s + r.amount, 0);
      const now = Object.values(sumsByMonth(true)).reduce((a, b) => a + b, 0);
      const sumOf = async (sql: string, inputs?: Record<string, { snapshotId: string }>): Promise<number> =>
        ((await engine.sql(sql, inputs ? { inputs } : {}).toArray())[0]!['s'] as number);
      const id1 = String(s1!['snapshot-id']);
      expect(close(await sumOf(`SELECT sum(amount) AS s FROM mart.t VERSION AS OF ${id1}`), original)).toBe(true);
      expect(close(await sumOf(`SELECT sum(amount) AS s FROM mart.t FOR VERSION AS OF ${id1}`), original)).toBe(true);
      const iso = new Date(s1!['timestamp-ms']).toISOString();
      expect(close(await sumOf(`SELECT sum(amount) AS s FROM mart.t FOR TIMESTAMP AS OF '${iso}'`), original)).toBe(true);
      expect(close(await sumOf(`SELECT sum(amount) AS s FROM mart.t TIMESTAMP AS OF '${new Date(s2!['timestamp-ms']).toISOString()}'`), now)).toBe(true);
      expect(close(await sumOf('SELECT sum(amount) AS s FROM mart.t'), now)).toBe(true);
      // A job's pinned inputs, and the snapshot ids actually read.
      const pinned = engine.sql('SELECT sum(amount) AS s FROM mart.t', { inputs: { 'mart.t': { snapshotId: id1 } } });
      expect(close((await pinned.toArray())[0]!['s'] as number, original)).toBe(true);
      expect(pinned.inputSnapshots).toEqual({ 'mart.t': id1 });
      const built = engine.table('mart.t', { snapshotId: id1 });
      expect((await built.toArray()).length).toBe(ROWS.length);
      // Time travel and a current read of the same table in one query.
      const diff = await sumOf(`SELECT sum(a.amount) - sum(b.amount) AS s FROM (SELECT sum(amount) AS amount FROM mart.t) a CROSS JOIN (SELECT sum(amount) AS amount FROM mart.t VERSION AS OF ${id1}) b`);
      expect(close(diff, now - original)).toBe(true);
      await expect(engine.sql('SELECT * FROM mart.t VERSION AS OF 12345').toArray()).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
    });

    it('a write whose schema does not match the table commits nothing and leaves no files', async () => {
      const t = await load('mart.t');
      const keys = await keysUnder(t.io.store, t.io.key('data/'));
      const snaps = t.snapshots().length;
      await expect(engine.run('INSERT INTO mart.t SELECT region AS id, d, region, amount FROM raw.sales')).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
      await expect(engine.run('INSERT INTO mart.t SELECT id, d, amount AS region FROM raw.sales')).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
      await expect(engine.run('INSERT INTO mart.t SELECT id, d, region, amount, amount AS extra FROM raw.sales')).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
      expect((await load('mart.t')).snapshots().length).toBe(snaps);
      expect(await keysUnder(t.io.store, t.io.key('data/'))).toEqual(keys);
      // SQL INSERT names every column (issue #13: a subset silently wrote NULLs): the missing
      // ones are named in the error; NULL AS <column> leaves one empty, matched by name.
      await engine.run('CREATE TABLE mart.partial AS SELECT id, d, region FROM raw.sales WHERE id < 10');
      await expect(engine.run('INSERT INTO mart.partial SELECT d, id FROM raw.sales')).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH', message: expect.stringContaining('missing: region') });
      await engine.run('INSERT INTO mart.partial SELECT d, id, NULL AS region FROM raw.sales');
      const n = await engine.sql('SELECT count(*) AS n FROM mart.partial WHERE region IS NULL').toArray();
      expect(n[0]!['n']).toBe(ROWS.length + ROWS.filter((r) => r.id < 10 && r.region === null).length);
    });

    it('the two-phase write: nothing visible before commit; dropFiles; reuse skips finished tasks; abort deletes', async () => {
      const runId = 'run-two-phase-1';
      const staged = await engine.stageWrite({ query: 'SELECT id, d, region, amount FROM raw.sales', table: 'mart.p', mode: 'append', create: { partitionBy: ['region'] }, runId });
      expect(await wh.tableExists('mart.p')).toBe(false);
      expect(staged.metrics.rowsWritten).toBe(ROWS.length);
      expect(staged.inputSnapshots['raw.sales']).toBe(String((await load('raw.sales')).currentSnapshot()!['snapshot-id']));
      const store = wh.store;
      for (const f of staged.files) {
        expect(await store.head(f.key)).toBeDefined();
        expect(f.key.split('/').pop()!.startsWith(`${runId}-t`)).toBe(true);
        expect(f.key).toContain(`/data/${f.partitionPath}/`);
      }
      const north = staged.files.filter((f) => f.partition['region'] === 'north').map((f) => f.key);
      expect(north.length).toBeGreaterThan(0);

      // A retry of the same work reuses every task's files and writes nothing new.
      const byTask = new Map<string, typeof staged.files>();
      for (const f of staged.files) byTask.set(f.taskId, [...(byTask.get(f.taskId) ?? []), f]);
      const retry = await engine.stageWrite({
        query: 'SELECT id, d, region, amount FROM raw.sales', table: 'mart.p', mode: 'append', create: { partitionBy: ['region'] }, runId: 'run-two-phase-2',
        reuse: async (taskId) => byTask.get(taskId)?.map((f) => ({ ...f, stats: { recordCount: f.stats.recordCount, fileSizeInBytes: f.stats.fileSizeInBytes } as never })),
      });
      expect(retry.metrics.tasksReused).toBe(retry.metrics.tasks);
      expect(retry.files.map((f) => f.key).sort()).toEqual(staged.files.map((f) => f.key).sort());

      const { snapshotId } = await retry.commit({ provenance: { jobName: 'two-phase' }, dropFiles: north });
      const t = await load('mart.p');
      expect(String(t.currentSnapshot()!['snapshot-id'])).toBe(snapshotId);
      expect(t.currentSnapshot()!.summary['lake.run-id']).toBe('run-two-phase-2');
      const rows = await engine.sql('SELECT region, count(*) AS n FROM mart.p GROUP BY region').toArray();
      const expected = new Map<string | null, number>();
      for (const r of ROWS) if (r.region !== 'north') expected.set(r.region, (expected.get(r.region) ?? 0) + 1);
      expect(new Map(rows.map((r) => [r['region'] as string | null, r['n'] as number]))).toEqual(expected);
      for (const k of north) expect(await store.head(k)).toBeUndefined();
      await retry.abort(); // after commit: a no-op
      expect((await engine.sql('SELECT count(*) AS n FROM mart.p').toArray())[0]!['n']).toBe(ROWS.length - ROWS.filter((r) => r.region === 'north').length);
    });

    it('a write over a shuffled join: one task per partition, the same task ids on a retry, every joined row once', async () => {
      const shuffling = await Engine.open({ warehouse: wh.store.uri, threads: 2, broadcastRows: 0 });
      try {
        const query = 'SELECT a.id, a.region, b.amount FROM raw.sales a JOIN raw.sales b ON a.id = b.id WHERE b.amount > 10';
        const expected = ROWS.filter((r) => r.amount > 10);
        const staged = await shuffling.stageWrite({ query, table: 'mart.j', mode: 'append', create: { partitionBy: [] }, runId: 'run-shuffled-1' });
        expect(staged.metrics.rowsWritten).toBe(expected.length);
        expect(staged.metrics.tasks).toBeGreaterThanOrEqual(4); // at least two partitions per worker
        const byTask = new Map<string, typeof staged.files>();
        for (const f of staged.files) byTask.set(f.taskId, [...(byTask.get(f.taskId) ?? []), f]);
        const retry = await shuffling.stageWrite({
          query, table: 'mart.j', mode: 'append', create: { partitionBy: [] }, runId: 'run-shuffled-2',
          reuse: async (taskId) => byTask.get(taskId)?.map((f) => ({ ...f, stats: { recordCount: f.stats.recordCount, fileSizeInBytes: f.stats.fileSizeInBytes } as never })),
        });
        expect(retry.metrics.tasksReused).toBe(retry.metrics.tasks);
        await retry.commit();
        const [row] = await engine.sql('SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(amount) AS total FROM mart.j').toArray();
        expect(row!['n']).toBe(expected.length);
        expect(row!['ids']).toBe(expected.length);
        expect(close(row!['total'] as number, expected.reduce((a, r) => a + r.amount, 0))).toBe(true);
      } finally {
        await shuffling.close();
      }
    });

    it('cancelling a running write stops it within a second and leaves no staged files', async () => {
      // Two tasks at a time: the third task is prepared only when one has finished writing, so
      // the abort lands with one task's files written and another task mid-write.
      const slow = await Engine.open({ warehouse: wh.store.uri, threads: 2, maxInFlight: 2, batchSize: 1024 });
      try {
        const t = await load('mart.t');
        const before = await keysUnder(t.io.store, t.io.key('data/'));
        const snaps = t.snapshots().length;
        const controller = new AbortController();
        let calls = 0;
        let abortedAt = 0;
        const runId = 'run-cancelled';
        const err = await slow.stageWrite({
          query: 'SELECT a.id, a.d, a.region, a.amount FROM raw.sales a JOIN raw.sales b ON a.id % 40 = b.id % 40',
          table: 'mart.t', mode: 'append', runId, signal: controller.signal,
          reuse: async () => {
            if (++calls === 3) { abortedAt = performance.now(); controller.abort(new Error('user cancelled')); }
            return undefined;
          },
        }).then(() => undefined, (e: unknown) => e as { code?: string });
        const stoppedMs = performance.now() - abortedAt;
        expect(calls).toBe(3);
        expect(err?.code).toBe('CANCELLED');
        expect(stoppedMs).toBeLessThan(1000);
        const after = await keysUnder(t.io.store, t.io.key('data/'));
        expect(after).toEqual(before);
        expect((await load('mart.t')).snapshots().length).toBe(snaps);
      } finally {
        await slow.close();
      }
    });
  });
}
