// Maintenance child process for test/faults/randomized.test.ts, through the fault proxy like
// the writers: every `everyMs` it expires snapshots (older than `expireAgeMs`, keeping the last
// `retainLast`) and removes orphan files at the floor (default options: the floor the library
// enforces). Runs until the file `stopFile` exists. With `orphanAgeMs` set (LAKE_FAULT_ORPHAN_AGE_MS)
// it instead removes orphans older than that, forcing past the floor (`forceUnsafeAge`): then
// only the in-flight markers protect the writers' files, and nothing may be lost either.
// Journal lines: { type: 'expire' | 'orphans', ok, expired?, orphans?, code?, message?, at, ms }.
import { appendFileSync, existsSync } from 'node:fs';
import { openObjectStore } from 'lakehouse-engine/connectors';
import { Warehouse, expireSnapshots, removeOrphanFiles } from 'lakehouse-engine/catalog';

const args = JSON.parse(process.argv[2]);
const { uri, ident, everyMs, expireAgeMs, retainLast, journal, stopFile, orphanAgeMs, requestTimeoutMs } = args;
const log = (rec) => appendFileSync(journal, `${JSON.stringify(rec)}\n`);
const fail = (err) => ({ ok: false, code: err?.code ?? err?.name ?? 'ERROR', message: String(err?.message ?? err).split('\n')[0].slice(0, 300) });

const store = await openObjectStore(uri, { s3: { requestTimeoutMs } });
const wh = await Warehouse.open(store);
let rounds = 0;
while (!existsSync(stopFile)) {
  const roundStart = Date.now();
  let table;
  try {
    table = await wh.loadTable(ident);
  } catch (err) {
    log({ type: 'load', ...fail(err), at: Date.now() });
  }
  if (table) {
    let t0 = Date.now();
    try {
      const r = await expireSnapshots(table, { olderThan: Date.now() - expireAgeMs, retainLast });
      log({ type: 'expire', ok: true, expired: r.expiredSnapshotIds.length, deletedFiles: r.deleted.length, at: t0, ms: Date.now() - t0 });
    } catch (err) {
      log({ type: 'expire', ...fail(err), at: t0, ms: Date.now() - t0 });
    }
    t0 = Date.now();
    try {
      const opts = orphanAgeMs !== undefined ? { olderThan: Date.now() - orphanAgeMs, forceUnsafeAge: true } : {};
      const r = await removeOrphanFiles(table, opts);
      log({ type: 'orphans', ok: true, orphans: r.orphans.length, removed: r.orphans.slice(0, 50), at: t0, ms: Date.now() - t0 });
    } catch (err) {
      log({ type: 'orphans', ...fail(err), at: t0, ms: Date.now() - t0 });
    }
  }
  rounds++;
  // A fixed cadence, not a synchronisation: the next round starts everyMs after this one began.
  const wait = Math.max(0, everyMs - (Date.now() - roundStart));
  await new Promise((r) => setTimeout(r, wait));
}
await wh.close().catch(() => undefined);
await store.close().catch(() => undefined);
process.stdout.write(JSON.stringify({ rounds }));
