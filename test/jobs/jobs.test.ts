/**
 * The batch-job contract end to end: idempotent resubmission (in-process and across two
 * processes), quality gates (quarantine, fail-run), reconciliation catching a dropped row,
 * dry-run and shadow modes, and byte-identical output for identical pinned inputs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Warehouse, type Table } from 'lakehouse-engine/catalog';
import { Engine } from 'lakehouse-engine/engine';
import { RunLedger, submitJob } from 'lakehouse-engine';
import { readRows } from '../catalog/util.js';
import { expectNoOrphans, makeRawTable, rawRows, runWorker } from './helpers.js';

let dir: string;
let engine: Engine;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-jobs-'));
  await makeRawTable(dir);
  engine = await Engine.open({ warehouse: dir, threads: 2 });
});

afterEach(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const CTAS = 'CREATE TABLE mart.clean PARTITIONED BY (region) AS SELECT id, region, amount, day FROM raw.sales';

async function table(name: string): Promise<Table | undefined> {
  const wh = await Warehouse.open(dir);
  try {
    return await wh.loadTable(name);
  } catch {
    return undefined;
  } finally {
    await wh.close();
  }
}

const noOrphans = (name: string): Promise<void> => expectNoOrphans(dir, name);

describe('idempotency', () => {
  it('the same key twice, sequentially → one run, one snapshot', async () => {
    const spec = { name: 'clean', sql: CTAS, idempotencyKey: 'clean-1' };
    const first = await (await submitJob(engine, spec)).result();
    expect(first.state).toBe('PUBLISHED');
    const again = await submitJob(engine, spec);
    expect(again.reused).toBe(true);
    expect((await again.result()).runId).toBe(first.runId);
    const t = (await table('mart.clean'))!;
    expect(t.snapshots()).toHaveLength(1);
    expect((await readRows(t)).length).toBe(400);
    expect(t.currentSnapshot()!.summary['lake.run-id']).toBe(first.runId);
  });

  it('the same key from two processes at once → one run, one snapshot', async () => {
    const spec = { name: 'clean', sql: CTAS, idempotencyKey: 'clean-concurrent' };
    const [a, b] = await Promise.all([runWorker({ warehouse: dir, spec }), runWorker({ warehouse: dir, spec })]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const ra = JSON.parse(a.out);
    const rb = JSON.parse(b.out);
    expect(ra.runId).toBe(rb.runId);
    expect(ra.state).toBe('PUBLISHED');
    expect(rb.state).toBe('PUBLISHED');
    const t = (await table('mart.clean'))!;
    expect(t.snapshots()).toHaveLength(1);
    expect((await readRows(t)).length).toBe(400);
    expect(await new RunLedger((await Warehouse.open(dir)).store).runIds()).toHaveLength(1);
  }, 120_000);
});

describe('rehearsals never claim the real key', () => {
  it('dry-run then real run with the same key → the real run publishes', async () => {
    const spec = { name: 'clean', sql: CTAS, idempotencyKey: 'clean-rehearsed' };
    const dry = await (await submitJob(engine, { ...spec, mode: 'dry-run' })).result();
    expect(dry.state).toBe('COMPLETED');
    const real = await submitJob(engine, spec);
    expect(real.reused).toBe(false);
    const rec = await real.result();
    expect(rec.state).toBe('PUBLISHED');
    expect(rec.runId).not.toBe(dry.runId);
    expect((await readRows((await table('mart.clean'))!)).length).toBe(400);
    // And the key now belongs to the real run: a resubmission returns it.
    const again = await submitJob(engine, spec);
    expect(again.reused).toBe(true);
    expect((await again.result()).runId).toBe(rec.runId);
  });

  it('shadow then real run with the same key → the real run publishes', async () => {
    const spec = { name: 'clean', sql: CTAS, idempotencyKey: 'clean-shadowed' };
    const shadow = await (await submitJob(engine, { ...spec, mode: 'shadow' })).result();
    expect(shadow.state).toBe('PUBLISHED');
    expect(shadow.output!.table).toMatch(/__shadow_/);
    const rec = await (await submitJob(engine, spec)).result();
    expect(rec.state).toBe('PUBLISHED');
    expect(rec.runId).not.toBe(shadow.runId);
    expect(rec.output!.table).toBe('mart.clean');
    expect((await readRows((await table('mart.clean'))!)).length).toBe(400);
  });
});

describe('quality gates', () => {
  const bad = rawRows().filter((r) => r.region === null || r.amount < 0);

  it('quarantine: exactly the bad rows go to <table>__quarantine, the rest publish', async () => {
    const rec = await (
      await submitJob(engine, {
        name: 'clean',
        sql: CTAS,
        quality: [
          { rule: 'not_null', columns: ['region'], severity: 'quarantine' },
          { rule: 'range', column: 'amount', min: 0, severity: 'quarantine' },
          { rule: 'accepted_values', column: 'region', values: ['north', 'south', 'east', 'west'], severity: 'warn' },
        ],
      })
    ).result();
    expect(rec.state).toBe('PUBLISHED');
    const good = await readRows((await table('mart.clean'))!);
    const q = await readRows((await table('mart.clean__quarantine'))!);
    expect(q.map((r) => r['id']).sort((x, y) => Number(x) - Number(y))).toEqual(bad.map((r) => Number(r.id)).sort((x, y) => x - y));
    expect(q.every((r) => r['_lake_run_id'] === rec.runId && typeof r['_lake_failed_rule'] === 'string')).toBe(true);
    expect(good.length).toBe(400 - bad.length);
    expect(good.some((r) => r['region'] === null || (r['amount'] as number) < 0)).toBe(false);
    expect(rec.metrics.rowsQuarantined).toBe(bad.length);
    await noOrphans('mart.clean');
  });

  it('fail-run publishes nothing and leaves no staged files', async () => {
    const rec = await (await submitJob(engine, { name: 'clean', sql: CTAS, quality: [{ rule: 'not_null', columns: ['region'], severity: 'fail-run' }] })).settled();
    expect(rec.state).toBe('FAILED');
    expect(rec.error?.message).toMatch(/not_null/);
    const t = await table('mart.clean');
    expect(t?.currentSnapshot()).toBeUndefined();
    await noOrphans('mart.clean');
  });
});

describe('reconciliation, dry-run, shadow, determinism', () => {
  it('a dropped row is detected and blocks the commit', async () => {
    const rec = await (await submitJob(engine, { name: 'clean', sql: CTAS }, { testHooks: { dropOneStagedRow: true } })).settled();
    expect(rec.state).toBe('FAILED');
    expect(rec.error?.message).toMatch(/reconciliation failed/);
    expect((await table('mart.clean'))?.currentSnapshot()).toBeUndefined();
  });

  it('dry-run commits nothing', async () => {
    const rec = await (await submitJob(engine, { name: 'clean', sql: CTAS, mode: 'dry-run' })).result();
    expect(rec.state).toBe('COMPLETED');
    expect((await table('mart.clean'))?.currentSnapshot()).toBeUndefined();
    await noOrphans('mart.clean');
  });

  it('shadow leaves production untouched and writes the shadow table', async () => {
    await (await submitJob(engine, { name: 'clean', sql: CTAS })).result();
    const prod = (await table('mart.clean'))!;
    const before = String(prod.currentSnapshot()!['snapshot-id']);
    const rec = await (await submitJob(engine, { name: 'clean', sql: 'INSERT INTO mart.clean SELECT id, region, amount, day FROM raw.sales WHERE amount > 50', mode: 'shadow' })).result();
    const after = (await table('mart.clean'))!;
    expect(String(after.currentSnapshot()!['snapshot-id'])).toBe(before);
    const shadow = (await table(rec.output!.table))!;
    expect(rec.output!.table).toMatch(/^mart\.clean__shadow_/);
    expect((await readRows(shadow)).length).toBe(rawRows().filter((r) => r.amount > 50).length);
  });

  it('the same job on the same pinned inputs writes byte-identical files', async () => {
    const raw = (await table('raw.sales'))!;
    const pin = { 'raw.sales': { snapshotId: String(raw.currentSnapshot()!['snapshot-id']) } };
    const a = await (await submitJob(engine, { name: 'det', sql: 'CREATE TABLE mart.a PARTITIONED BY (region) AS SELECT id, region, amount FROM raw.sales', inputs: pin })).result();
    const b = await (await submitJob(engine, { name: 'det', sql: 'CREATE TABLE mart.b PARTITIONED BY (region) AS SELECT id, region, amount FROM raw.sales', inputs: pin })).result();
    const store = (await Warehouse.open(dir)).store;
    const bytes = async (rec: typeof a) => (await Promise.all(rec.staged.map(async (f) => `${JSON.stringify(f.partition)}|${f.task}|${Buffer.from(await store.get(f.key)).toString('base64')}`))).sort();
    expect(a.staged.length).toBeGreaterThan(1);
    expect(await bytes(a)).toEqual(await bytes(b));
  });
});

describe('task retries', () => {
  const fast = { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 };

  it('a worker crash is retried and the run still publishes its output exactly once', async () => {
    engine.injectFault('crash');
    const failures: number[] = [];
    const rec = await (
      await submitJob(engine, { name: 'clean', sql: CTAS, retry: fast }, {
        testHooks: {
          onStageFailure: (_err, attempt) => {
            failures.push(attempt);
            engine.injectFault(undefined);
          },
        },
      })
    ).result();
    expect(failures).toEqual([1]);
    expect(rec.metrics.stageMs['attempts']).toBe(2);
    const rows = await readRows((await table('mart.clean'))!);
    expect(rows.length).toBe(400);
    expect(new Set(rows.map((r) => r['id'])).size).toBe(400);
    await noOrphans('mart.clean');
  });

  it('a crash that keeps happening fails after maxAttempts; a deterministic error fails at once', async () => {
    engine.injectFault('crash');
    const seen: number[] = [];
    const crashed = await (await submitJob(engine, { name: 'clean', sql: CTAS, retry: fast }, { testHooks: { onStageFailure: (_e, n) => void seen.push(n) } })).settled();
    engine.injectFault(undefined);
    expect(crashed.state).toBe('FAILED');
    expect(seen).toEqual([1, 2, 3]);
    const once: number[] = [];
    const bad = await (await submitJob(engine, { name: 'bad', sql: 'CREATE TABLE mart.bad AS SELECT no_such_column FROM raw.sales', retry: fast }, { testHooks: { onStageFailure: (_e, n) => void once.push(n) } })).settled();
    expect(bad.state).toBe('FAILED');
    expect(bad.error?.message).toContain('no_such_column');
    expect(once).toEqual([1]);
    await noOrphans('mart.clean');
  });
});
