/**
 * Commit outcomes are known or unknown, never guessed (catalog/commit.ts, docs/table-format.md):
 * deterministic fault scenarios on every backend, each ending with a readable table, every
 * acknowledged row present exactly once, and no file deleted that a snapshot references.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isLakehouseError, openObjectStore, type FaultRule, type FaultyStore, type ObjectStore } from 'lakehouse-engine/connectors';
import { Warehouse, commitStatus, type Table } from 'lakehouse-engine/catalog';
import { backends } from '../helpers/backends.js';
import { readRows, writeDataFile } from './util.js';

/** A store whose retries give up quickly, so that "unknown" is reached in milliseconds. */
const FAST_RETRIES = { totalTimeoutMs: 300, baseDelayMs: 5, maxDelayMs: 40 };

async function setup(uri: string): Promise<{ table: Table; nextVersion: number }> {
  const wh = await Warehouse.open(uri);
  await wh.createNamespace('db');
  const t = await wh.createTable('db.t', [{ name: 'id', type: 'long', required: true }]);
  await t.newAppend().appendFile(await writeDataFile(t, [{ id: 1n }])).commit();
  return { table: t, nextVersion: t.version + 1 };
}

async function faultyTable(uri: string, rules: FaultRule[]): Promise<{ table: Table; store: ObjectStore }> {
  const store = await openObjectStore(uri, { faults: rules, retry: FAST_RETRIES });
  return { table: await (await Warehouse.open(store)).loadTable('db.t'), store };
}

/** The FaultyStore inside openObjectStore's layers (its call log is what the writer wrote). */
function faultLayer(store: ObjectStore): FaultyStore {
  let s: unknown = store;
  while (s && !(s as FaultyStore).calls) s = (s as { inner?: unknown }).inner;
  if (!s) throw new Error('no fault layer');
  return s as FaultyStore;
}

async function everyWrittenFileExists(uri: string, faulty: FaultyStore): Promise<string[]> {
  const plain = await openObjectStore(uri);
  const missing: string[] = [];
  const written = faulty.calls.filter((c) => (c.op === 'put' || c.op === 'putIfAbsent') && !c.fault && !c.key.includes('/_inflight/') && !c.key.startsWith('_lake/probe/')).map((c) => c.key);
  for (const k of new Set(written)) if (!(await plain.head(k))) missing.push(k);
  return missing;
}

for (const backend of backends()) {
  describe(`commit outcomes on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it('a lost answer whose read-backs fail for a while settles as committed, without a duplicate or a deleted file', async () => {
      const uri = await backend.freshUri('outcome-a');
      const { nextVersion } = await setup(uri);
      const meta = new RegExp(`/v${nextVersion}\\.metadata\\.json$`);
      let armed = false;
      const { table, store } = await faultyTable(uri, [
        { op: 'putIfAbsent', key: (k) => (meta.test(k) ? (armed = true) : false), action: 'fail', when: 'after', nth: 1 },
        { op: 'get', key: (k) => armed && meta.test(k), action: 'fail', times: 12 },
      ]);
      const res = await table.newAppend().appendFile(await writeDataFile(table, [{ id: 2n }])).commit({ settleTimeoutMs: 20_000 });
      expect(res.stats.version).toBe(nextVersion);
      const after = await (await Warehouse.open(uri)).loadTable('db.t');
      expect(after.version).toBe(nextVersion);
      expect((await readRows(after)).map((r) => r.id).sort()).toEqual([1, 2]);
      expect(await everyWrittenFileExists(uri, faultLayer(store))).toEqual([]);
    });

    it('a lost answer with the store unreadable until the budget is spent is COMMIT_STATE_UNKNOWN: nothing deleted, and the commit id resolves it', async () => {
      const uri = await backend.freshUri('outcome-b');
      const { nextVersion } = await setup(uri);
      const meta = new RegExp(`/v${nextVersion}\\.metadata\\.json$`);
      let armed = false;
      const { table, store } = await faultyTable(uri, [
        { op: 'putIfAbsent', key: (k) => (meta.test(k) ? (armed = true) : false), action: 'fail', when: 'after', nth: 1 },
        { op: ['putIfAbsent', 'get', 'head'], key: (k) => armed && meta.test(k), action: 'fail' },
      ]);
      const err = await table.newAppend().withProvenance({ commitId: 'commit-outcome-b-0001' }).appendFile(await writeDataFile(table, [{ id: 2n }]))
        .commit({ settleTimeoutMs: 500 }).then(() => undefined, (e: unknown) => e);
      expect(isLakehouseError(err, 'COMMIT_STATE_UNKNOWN')).toBe(true);
      if (!isLakehouseError(err)) throw err;
      expect(err.details).toMatchObject({ commitId: 'commit-outcome-b-0001', attemptedVersion: nextVersion, outcomeUnknown: true });
      expect(err.message).toMatch(/Help: Nothing was deleted/);
      // Nothing the writer wrote was deleted, and the table (which did advance) reads.
      expect(await everyWrittenFileExists(uri, faultLayer(store))).toEqual([]);
      const after = await (await Warehouse.open(uri)).loadTable('db.t');
      expect(after.version).toBe(nextVersion);
      expect((await readRows(after)).map((r) => r.id).sort()).toEqual([1, 2]);
      const st = await commitStatus(after, { commitId: 'commit-outcome-b-0001' });
      expect(st.status).toBe('committed');
      expect((await commitStatus(after, { commitId: 'no-such-commit-id' })).status).toBe('not-committed');
    });

    it('a definite loss (another writer holds the version) cleans only the loser\'s attempt files and retries', async () => {
      const uri = await backend.freshUri('outcome-d');
      await setup(uri);
      const wh = await Warehouse.open(uri);
      const a = await wh.loadTable('db.t');
      const b = await wh.loadTable('db.t');
      await a.newAppend().appendFile(await writeDataFile(a, [{ id: 2n }])).commit();
      // b still holds the old state: its first round loses the version to a, definitely.
      const res = await b.newAppend().appendFile(await writeDataFile(b, [{ id: 3n }])).commit();
      expect(res.stats.attempts).toBe(2);
      const after = await (await Warehouse.open(uri)).loadTable('db.t');
      expect((await readRows(after)).map((r) => r.id).sort()).toEqual([1, 2, 3]);
      // Every snapshot's manifest list is still there; the lost round's list is gone.
      const lists = after.snapshots().map((s) => after.io.keyFor(s['manifest-list']));
      for (const k of lists) expect(await after.io.store.head(k)).toBeDefined();
      const all: string[] = [];
      for await (const o of after.io.store.list(after.io.key('metadata/'))) all.push(o.key);
      expect(all.filter((k) => /snap-.*\.avro$/.test(k)).sort()).toEqual([...lists].sort());
    });

    it('a duplicate idempotency key is refused at commit, naming the snapshot that has it', async () => {
      const uri = await backend.freshUri('outcome-idem');
      await setup(uri);
      const wh = await Warehouse.open(uri);
      const a = await wh.loadTable('db.t');
      const b = await wh.loadTable('db.t');
      const first = await a.newAppend().withProvenance({ idempotencyKey: 'load-2026-06-01' }).appendFile(await writeDataFile(a, [{ id: 2n }])).commit();
      const err = await b.newAppend().withProvenance({ idempotencyKey: 'load-2026-06-01' }).appendFile(await writeDataFile(b, [{ id: 2n }])).commit().then(() => undefined, (e: unknown) => e);
      expect(isLakehouseError(err, 'COMMIT_CONFLICT')).toBe(true);
      expect((err as { details: Record<string, unknown> }).details['duplicateOf']).toBe(String(first.snapshot['snapshot-id']));
      const after = await (await Warehouse.open(uri)).loadTable('db.t');
      expect((await readRows(after)).map((r) => r.id).sort()).toEqual([1, 2]);
    });
  });
}
