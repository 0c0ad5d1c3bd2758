/**
 * Recovery decides from the table as it is now (issue #12, #13):
 * - a job that committed and was SIGKILLed before PUBLISHED, whose snapshot `expire` removed
 *   afterwards, is PUBLISHED ("snapshot expired") and none of its live files is deleted — also
 *   when the older metadata versions are gone too and only the manifests tell;
 * - a job killed in RUNNING: exactly its partial files are deleted, and reported by name;
 * - the lease has a floor, and a run with a fresh heartbeat is left alone.
 * Real child processes and real SIGKILLs (test/jobs/job-worker.mjs, the built `lake` CLI).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Warehouse, expireSnapshots, readManifestEntries, readSnapshotManifests, type Table } from 'lakehouse-engine/catalog';
import { RunLedger, currentOwner, emptyMetrics, newRunId, recoverRuns, type RunRecord } from 'lakehouse-engine';
import { readRows, writeDataFile } from '../catalog/util.js';
import { runLake } from '../helpers/cli.js';
import { makeRawTable, runWorker } from './helpers.js';

let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-recover-'));
  await makeRawTable(dir);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ctas = { name: 'clean', sql: 'CREATE TABLE mart.clean PARTITIONED BY (region) AS SELECT id, region, amount, day FROM raw.sales' };

/** Order-independent checksum of a table's rows. */
async function rowsChecksum(t: Table): Promise<{ count: number; sum: string }> {
  const rows = await readRows(t);
  const lines = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
  return { count: rows.length, sum: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

/** Store keys of every data file the current snapshot references. */
async function liveFiles(t: Table): Promise<string[]> {
  const snap = t.currentSnapshot()!;
  const out: string[] = [];
  for (const m of await readSnapshotManifests(t.io, snap)) for (const e of await readManifestEntries(t.io, t.metadata, m)) if (e.status !== 2) out.push(t.io.keyFor(e.dataFile.filePath));
  return out.sort();
}

async function exists(wh: Warehouse, keys: string[]): Promise<string[]> {
  const present: string[] = [];
  for (const k of keys) if (await wh.store.head(k)) present.push(k);
  return present;
}

async function keysUnder(wh: Warehouse, prefix: string, runId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of wh.store.list(prefix)) if (o.key.slice(o.key.lastIndexOf('/') + 1).startsWith(`${runId}-`)) out.push(o.key);
  return out.sort();
}

/** A job that commits and is SIGKILLed before PUBLISHED, then two appends and an expire of its snapshot. */
async function committedThenExpired(wh: Warehouse, opts: { trimLog: boolean }): Promise<{ runId: string; t: Table }> {
  const killed = await runWorker({ warehouse: dir, spec: ctas, crashAt: 'after-commit' });
  expect(killed.signal, killed.err).toBe('SIGKILL');
  const [crashed] = await new RunLedger(wh.store).list();
  expect(crashed!.state).toBe('COMMITTING');
  const t = await wh.loadTable('mart.clean');
  const jobSnap = t.history().find((s) => s.summary['lake.run-id'] === crashed!.runId)!;
  expect(jobSnap).toBeDefined();
  // Another engine that keeps one previous metadata version (and deletes older ones).
  if (opts.trimLog) await t.setProperties({ 'write.metadata.previous-versions-max': '1' });
  for (const [i, region] of ['north', 'south'].entries()) {
    const df = await writeDataFile(t, [{ id: 1000n + BigInt(i), region, amount: 1.5, day: 19_710 }]);
    await t.newAppend().addFiles([df]).commit();
  }
  const exp = await expireSnapshots(t, { olderThan: Date.now() + 1, retainLast: 1 });
  expect(exp.expiredSnapshotIds.map(String)).toContain(String(jobSnap['snapshot-id']));
  await t.refresh();
  expect(t.metadata.snapshots.some((s) => s['snapshot-id'] === jobSnap['snapshot-id'])).toBe(false);
  if (opts.trimLog) {
    // One more commit, so that no logged metadata version lists the job's snapshot any more.
    await t.newAppend().addFiles([await writeDataFile(t, [{ id: 2000n, region: 'east', amount: 2.5, day: 19_711 }])]).commit();
    for (const e of t.metadata['metadata-log']) {
      const old = JSON.parse(new TextDecoder().decode(await wh.store.get(t.io.keyFor(e['metadata-file'])))) as { snapshots: Array<{ summary: Record<string, string> }> };
      expect(old.snapshots.some((s) => s.summary['lake.run-id'] === crashed!.runId)).toBe(false);
    }
  }
  return { runId: crashed!.runId, t };
}

describe('a committed job whose snapshot was expired before recovery', () => {
  for (const trimLog of [false, true]) {
    it(`is PUBLISHED (snapshot expired) and keeps every live file${trimLog ? ' — old metadata versions gone too' : ''}`, async () => {
      const wh = await Warehouse.open(dir);
      const { runId, t } = await committedThenExpired(wh, { trimLog });
      const live = await liveFiles(t);
      const runLive = live.filter((k) => k.slice(k.lastIndexOf('/') + 1).startsWith(`${runId}-`));
      expect(runLive.length).toBeGreaterThan(0);
      const before = await rowsChecksum(t);
      expect(before.count).toBe(400 + 2 + (trimLog ? 1 : 0));

      const rec1 = await runLake(['runs', 'recover'], dir);
      expect(rec1.code, rec1.stderr).toBe(0);
      expect(rec1.stdout).toContain(`${runId}: COMMITTING → PUBLISHED (snapshot expired)`);
      expect(rec1.stdout).toContain('0 file(s) deleted');

      const rec = await new RunLedger(wh.store).load(runId);
      expect(rec.state).toBe('PUBLISHED');
      expect(rec.recovery?.snapshotExpired).toBe(true);
      expect(rec.recovery?.deleted).toEqual([]);
      expect(rec.committedSnapshotId).toBeTruthy();
      // Nothing the current snapshot references was deleted; the rows are intact.
      expect(await exists(wh, live)).toEqual(live);
      await t.refresh();
      expect(await rowsChecksum(t)).toEqual(before);

      // A second recovery is a no-op.
      const rec2 = await runLake(['runs', 'recover', '--json'], dir);
      expect(rec2.code, rec2.stderr).toBe(0);
      expect(JSON.parse(rec2.stdout)).toEqual([]);
      expect((await new RunLedger(wh.store).load(runId)).version).toBe(rec.version);
      expect(await exists(wh, live)).toEqual(live);
      await wh.close();
    }, 90_000);
  }
});

describe('a job killed while RUNNING', () => {
  it('recover deletes exactly its partial files and names them', async () => {
    // Killed while the second task is prepared, once the first one has written files.
    const killed = await runWorker({ warehouse: dir, spec: ctas, crashAt: 'mid-tasks-files' });
    expect(killed.signal, killed.err).toBe('SIGKILL');
    const wh = await Warehouse.open(dir);
    const [crashed] = await new RunLedger(wh.store).list();
    expect(crashed!.state).toBe('RUNNING');
    // CREATE TABLE … AS: the table does not exist yet; its files sit at the default location.
    const partial = await keysUnder(wh, 'mart/clean/data/', crashed!.runId);
    expect(partial.length).toBeGreaterThan(0);

    const res = await runLake(['runs', 'recover', '--json'], dir);
    expect(res.code, res.stderr).toBe(0);
    const actions = JSON.parse(res.stdout) as Array<{ runId: string; from: string; to: string; deletedFiles: number; deletedKeys: string[] }>;
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ runId: crashed!.runId, from: 'RUNNING', to: 'FAILED', deletedFiles: partial.length });
    expect([...actions[0]!.deletedKeys].sort()).toEqual(partial);
    expect(await keysUnder(wh, 'mart/clean/data/', crashed!.runId)).toEqual([]);
    const rec = await new RunLedger(wh.store).load(crashed!.runId);
    expect(rec.error?.message).toContain(`${partial.length} file(s) of the run deleted`);
    expect([...rec.recovery!.deleted].sort()).toEqual(partial);
    await wh.close();
  }, 90_000);
});

describe('the lease', () => {
  /** A run in RUNNING, owned by `owner`, with its heartbeat `ageMs` old. */
  async function fakeRun(wh: Warehouse, owner: RunRecord['owner'], ageMs: number): Promise<RunRecord> {
    const ledger = new RunLedger(wh.store);
    const now = Date.now();
    const rec = await ledger.create({
      runId: newRunId(), version: 0, jobName: 'fake', specHash: 'x', spec: ctas as never, mode: 'run', state: 'RUNNING',
      transitions: [{ state: 'RUNNING', atMs: now }], owner, createdAtMs: now - ageMs, parameters: {}, inputs: {},
      output: { table: 'mart.clean', mode: 'append' }, staged: [], metrics: emptyMetrics(),
    });
    await ledger.heartbeat(rec.runId, now - ageMs);
    return rec;
  }

  it('below 30 s is refused (API and CLI)', async () => {
    const wh = await Warehouse.open(dir);
    await expect(recoverRuns(wh, { leaseMs: 29_999 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(recoverRuns(wh, { leaseMs: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const res = await runLake(['runs', 'recover', '--lease', '5'], dir);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('INVALID_ARGUMENT');
    expect(res.stderr).toContain('30 s');
    const help = await runLake(['runs', 'recover', '--help']);
    expect(help.stdout).toMatch(/heartbeat every 10 s/);
    expect(help.stdout).toMatch(/30 s/);
    expect((await runLake(['runs', 'recover', '--lease', '30s', '--json'], dir)).code).toBe(0);
    await wh.close();
  });

  it('a run with a fresh heartbeat is not recovered unless its death is proven', async () => {
    const wh = await Warehouse.open(dir);
    const me = currentOwner();
    // A dead pid, but in another pid namespace (a container sharing the host name): no proof.
    const otherNs = await fakeRun(wh, { ...me, pid: 4_000_000, pidNs: 'pid:[1]' }, 1_000);
    // An old-style record without the process identity, pid gone: no proof either.
    const legacy = await fakeRun(wh, { host: hostname(), pid: 4_000_001, token: 't' }, 1_000);
    // Another host.
    const remote = await fakeRun(wh, { host: 'elsewhere.example', pid: 1, token: 't' }, 1_000);
    // A live process (this one): alive while its heartbeat is fresh.
    const alive = await fakeRun(wh, me, 1_000);
    // Proven dead: our boot and pid namespace, pid gone — or our pid reused by a process started at another time.
    const dead = await fakeRun(wh, { ...me, pid: 4_000_002 }, 1_000);
    const reused = await fakeRun(wh, { ...me, startTicks: '1' }, 1_000);
    const actions = await recoverRuns(wh, { leaseMs: 30_000 });
    expect(actions.map((a) => a.runId).sort()).toEqual([dead.runId, reused.runId].sort());
    for (const r of [otherNs, legacy, remote, alive]) expect((await new RunLedger(wh.store).load(r.runId)).state).toBe('RUNNING');
    await expect(recoverRuns(wh, { runId: remote.runId, leaseMs: 30_000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    // Once the heartbeat is older than the lease, they are.
    const ledger = new RunLedger(wh.store);
    // (A live process whose heartbeat stopped has abandoned the run.)
    for (const r of [otherNs, legacy, remote, alive]) await ledger.heartbeat(r.runId, Date.now() - 31_000);
    const later = await recoverRuns(wh, { leaseMs: 30_000 });
    expect(later.map((a) => a.runId).sort()).toEqual([otherNs.runId, legacy.runId, remote.runId, alive.runId].sort());
    expect(later.every((a) => a.to === 'FAILED')).toBe(true);
    await wh.close();
  });
});
