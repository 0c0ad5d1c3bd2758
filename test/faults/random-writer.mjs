// Writer child process for test/faults/randomized.test.ts. It talks to S3 through the fault
// proxy (its S3_ENDPOINT / AWS_ENDPOINT_URL point there) and runs a bounded, seeded sequence of
// appends and overwrites of its own partition (writer = its id). Every commit carries a
// writer-chosen commit id (lake.commit-id), also part of its data file's name.
//
// Journal (JSON lines, appended synchronously so a crash loses nothing already decided):
//   { type: 'intent', commitId, kind, seq, ids, at }                 before anything is written
//   { type: 'outcome', commitId, outcome, code?, message?, details?, snapshotId?, sequenceNumber?, ms }
// outcome: acknowledged | failed-definitely (COMMIT_CONFLICT, or COMMIT_FAILED not flagged
// outcomeUnknown: nothing landed) | not-attempted (failed before the commit started: marker,
// data file write or refresh) | unknown (anything else). The writer never guesses: an unknown outcome keeps
// its data file and its in-flight marker (leave()), a definite failure deletes its data file.
import { appendFileSync } from 'node:fs';
import { isLakehouseError, openObjectStore, recordBatchFromRows, writeParquetFiles } from 'lakehouse-engine/connectors';
import { InflightWrite, Warehouse } from 'lakehouse-engine/catalog';

const args = JSON.parse(process.argv[2]);
const { uri, ident, writer, seed, durationMs, maxCommits, journal, requestTimeoutMs, storeRetryMs, settleMs } = args;

function rng32(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng32((seed * 7919 + writer * 104_729) >>> 0);
const hex = (n) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
const log = (rec) => appendFileSync(journal, `${JSON.stringify(rec)}\n`);

function describe(err) {
  const e = err ?? {};
  return {
    code: e.code ?? e.name ?? 'ERROR',
    message: String(e.message ?? e).split('\n')[0].slice(0, 300),
    details: e.details && typeof e.details === 'object' ? JSON.parse(JSON.stringify(e.details, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) : undefined,
  };
}

/** Does this error say, without doubt, that nothing of the commit landed? */
function definitelyFailed(err) {
  return (isLakehouseError(err, 'COMMIT_CONFLICT') || isLakehouseError(err, 'COMMIT_FAILED')) && err.details?.outcomeUnknown !== true;
}

// A client that gives up on slow requests, so a delayed delivery can land after the writer gave up.
// A "hurried" writer also has short store-retry and commit-settle budgets (storeRetryMs,
// settleMs): it gives up inside an outage instead of riding it out, so its outcomes can be unknown.
const store = await openObjectStore(uri, { s3: { requestTimeoutMs }, ...(storeRetryMs !== undefined ? { retry: { totalTimeoutMs: storeRetryMs } } : {}) });
const commitOptions = settleMs !== undefined ? { settleTimeoutMs: settleMs } : undefined;
const wh = await Warehouse.open(store);
let table;
for (let i = 0; ; i++) {
  // Loading goes through the proxy too; retry a bounded number of times through faults.
  try {
    table = await wh.loadTable(ident);
    break;
  } catch (err) {
    if (i >= 20) throw err;
    await new Promise((r) => setTimeout(r, 250));
  }
}
const schema = table.schema();
const writerField = schema.fields.find((f) => f.name === 'writer');
const partition = table.partitionFor((id) => (id === writerField.id ? writer : null));

const started = Date.now();
for (let seq = 0; seq < maxCommits && Date.now() - started < durationMs; seq++) {
  const kind = seq > 0 && rand() < 0.3 ? 'overwrite' : 'append';
  const commitId = `w${writer}s${seq}x${hex(10)}`;
  const n = 1 + Math.floor(rand() * 4);
  const ids = Array.from({ length: n }, (_, k) => writer * 1_000_000 + seq * 10 + k);
  log({ type: 'intent', commitId, kind, seq, ids, at: Date.now() });
  const t0 = Date.now();
  const done = (rec) => log({ type: 'outcome', commitId, ...rec, ms: Date.now() - t0 });

  let marker;
  try {
    marker = await InflightWrite.begin(store, table.io.root, { tokens: [commitId], kind: 'commit' });
  } catch (err) {
    done({ outcome: 'not-attempted', phase: 'marker', ...describe(err) });
    continue;
  }
  // The data file's name carries the commit id (so the marker protects it).
  const dir = table.newDataFileKey(partition).replace(/\/[^/]+$/, '');
  const key = `${dir}/${commitId}.parquet`;
  let file;
  try {
    const rows = ids.map((id) => ({ id: BigInt(id), writer, commit: commitId }));
    const [w] = await writeParquetFiles(store, () => key, [recordBatchFromRows(schema, rows)], { schema });
    file = table.dataFile({ key: w.key, stats: w.stats, partition });
  } catch (err) {
    // The commit never started. The file may exist (a lost answer): delete it, best effort.
    await store.delete(key).catch(() => undefined);
    await marker.end().catch(() => undefined);
    done({ outcome: 'not-attempted', phase: 'data', ...describe(err) });
    continue;
  }
  if (kind === 'overwrite') {
    // An overwrite is planned against the table as it is now, as a job would; an append keeps
    // whatever state the Table object holds (a long-lived writer's, possibly stale).
    try {
      await table.refresh();
    } catch (err) {
      await store.delete(key).catch(() => undefined);
      await marker.end().catch(() => undefined);
      done({ outcome: 'not-attempted', phase: 'refresh', ...describe(err) });
      continue;
    }
  }
  try {
    const b = kind === 'append' ? table.newAppend().appendFile(file) : table.newOverwrite().addFile(file).overwritePartitions();
    const res = await b.withProvenance({ commitId, runId: commitId, jobName: 'randomized-fault-test' }).commit(commitOptions);
    done({ outcome: 'acknowledged', snapshotId: String(res.snapshot['snapshot-id']), sequenceNumber: res.snapshot['sequence-number'], attempts: res.stats.attempts });
    await marker.end().catch(() => undefined);
  } catch (err) {
    if (definitelyFailed(err)) {
      done({ outcome: 'failed-definitely', ...describe(err) });
      // Nothing landed, the error says: the data file is unreferenced, and is deleted.
      await store.delete(key).catch(() => undefined);
      await marker.end().catch(() => undefined);
    } else {
      done({ outcome: 'unknown', ...describe(err) });
      marker.leave();
    }
  }
}
await wh.close().catch(() => undefined);
await store.close().catch(() => undefined);
process.stdout.write(JSON.stringify({ writer, ms: Date.now() - started }));
