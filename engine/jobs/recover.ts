/**
 * Recovery of runs whose owner died. Decisions come from durable state only, and from the
 * output table as it is now — not from snapshot history alone:
 *
 * - COMMITTING / UNKNOWN: did the commit happen? A snapshot whose summary carries
 *   `lake.run-id` (or `lake.commit-id`) = the run id, in the current metadata → PUBLISHED. Only
 *   in an older metadata version (the snapshot was expired since; its files may well be live in
 *   later snapshots) → PUBLISHED, "snapshot expired". A file of the run referenced by any
 *   snapshot of the table → the commit happened → PUBLISHED. None of these, with the owner
 *   gone → the commit cannot happen any more → FAILED, the run's files deleted.
 * - Earlier states: nothing was committed (the ledger's COMMITTING transition is the fence) →
 *   FAILED. The ledger moves first, so an owner that is still alive loses its next transition
 *   and never commits; then the run's files are deleted, except staged files (complete and
 *   checksummed) of a run with an idempotency key, kept for its retry to reuse.
 *
 * Cleanup contract: a file is deleted only if no snapshot of the current metadata (nor of an
 * older version whose manifests still exist) references it, whatever the run's state; the
 * table's manifests are read before any delete, and if they cannot be read nothing is deleted.
 * Every deleted and kept key is reported (RecoveryAction, and `recovery` in the run record).
 * If the table cannot be read (store unreachable) a COMMITTING run is left UNKNOWN: never guess.
 *
 * Liveness: a run is recovered only when its owner is gone (ledger.ts `ownerIsGone`): proven dead
 * on this machine, or no heartbeat for the lease. Heartbeats every HEARTBEAT_MS = 10 s; the lease
 * defaults to 60 s and is refused below MIN_LEASE_MS = 30 s (three heartbeat periods).
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { Table, Warehouse } from '../../catalog/index.js';
import { RunLedger, TERMINAL_STATES, checkLease, ownerIsGone, processIdentity, transition, type RecoveryNote, type RunRecord } from './ledger.js';
import { findRunSnapshot, listRunFiles, loadOutputTable, referencedBy, referencedFiles, type RunSnapshot } from './recover-scan.js';

export interface RecoveryAction {
  runId: string;
  from: string;
  to: string;
  committedSnapshotId?: string;
  /** The commit happened but its snapshot has been expired from the table's history since. */
  snapshotExpired?: boolean;
  /** One line on how the outcome was decided. */
  note?: string;
  /** Number of files deleted (= deletedKeys.length). */
  deletedFiles: number;
  deletedKeys: string[];
  /** The run's files left in place: referenced by the table, or staged for reuse by a retry. */
  keptKeys: string[];
}

export interface RecoverOptions {
  /** Set by the owner itself (failRun): it knows it is not committing any more. */
  ownerDead?: boolean;
  error?: { code: string; message: string };
  /**
   * The owner's commit ended with COMMIT_STATE_UNKNOWN: a write of metadata version
   * `attemptedVersion` may still land. Unless the table is past that version (or the run's
   * snapshot is found), the run stays UNKNOWN and nothing is deleted.
   */
  attemptedVersion?: number | 'unknown';
}

export interface Settlement {
  record: RunRecord;
  deleted: string[];
  kept: string[];
  snapshot?: RunSnapshot;
  note?: string;
}

const noteOf = (s: Omit<RecoveryNote, 'atMs'>): RecoveryNote => ({ atMs: Date.now(), ...s });

/** Settles one run and says exactly what it deleted and kept. The run's owner must be gone. */
export async function settleRun(warehouse: Warehouse, ledger: RunLedger, rec: RunRecord, options: RecoverOptions = {}): Promise<Settlement> {
  if (TERMINAL_STATES.has(rec.state)) return { record: rec, deleted: [], kept: [] };
  const tableName = rec.output?.table;
  let table: Table | undefined;
  try {
    table = tableName ? await loadOutputTable(warehouse, tableName) : undefined;
  } catch (err) {
    if (rec.state !== 'COMMITTING' && rec.state !== 'UNKNOWN') throw err;
    const message = `commit outcome unknown, the output table cannot be read: ${(err as Error).message}`;
    const record = await ledger.update(rec.runId, (c) => (c.state === 'COMMITTING' ? transition(c, 'UNKNOWN', Date.now(), { error: { code: 'STORE_UNAVAILABLE', message } }) : undefined));
    return { record, deleted: [], kept: [], note: message };
  }
  const committing = rec.state === 'COMMITTING' || rec.state === 'UNKNOWN';
  const snapshot = committing && table ? await findRunSnapshot(table, rec.runId) : undefined;
  // Everything the table references, read before any decision to delete.
  const refs = table ? await referencedFiles(table) : new Map<string, string>();
  const candidates = [...new Set([...rec.staged.map((f) => f.key), ...(tableName ? await listRunFiles(warehouse, tableName, table, rec.runId) : [])])].sort();
  const referenced = candidates.filter((k) => referencedBy(refs, warehouse, k) !== undefined);
  const free = candidates.filter((k) => referencedBy(refs, warehouse, k) === undefined);

  if (committing) {
    const refSnap = referenced.length ? referencedBy(refs, warehouse, referenced[0]!) : undefined;
    if (snapshot || refSnap) {
      const note = snapshot?.expired
        ? `committed: snapshot ${snapshot.snapshotId} carries the run id in an older metadata version (snapshot expired since); ${referenced.length} file(s) of the run still referenced`
        : snapshot
          ? `committed: snapshot ${snapshot.snapshotId} carries the run id`
          : `committed: ${referenced.length} file(s) of the run are referenced by snapshot(s) of the table (first: ${refSnap})`;
      return publish(warehouse, ledger, rec, { snapshotId: snapshot?.snapshotId ?? refSnap!, expired: snapshot?.expired ?? !snapshot }, free, referenced, note);
    }
    if (options.attemptedVersion !== undefined && !(typeof options.attemptedVersion === 'number' && table && table.version > options.attemptedVersion)) {
      // The owner's own commit may still land: deciding now would be a guess.
      const message = `commit outcome unknown: metadata version ${options.attemptedVersion} may still be written; \`lake runs recover\` settles it later`;
      const record = await ledger.update(rec.runId, (c) => (c.state === 'COMMITTING' ? transition(c, 'UNKNOWN', Date.now(), { error: { code: 'COMMIT_STATE_UNKNOWN', message } }) : undefined));
      return { record, deleted: [], kept: candidates, note: message };
    }
    const note = `not committed: no snapshot carries the run id and no snapshot references its files; ${free.length} unreferenced file(s) of the run deleted`;
    return fail(warehouse, ledger, rec, free, [], [], note, options.error ?? { code: 'COMMIT_FAILED', message: `the run died while committing and its commit did not happen; ${free.length} file(s) of the run deleted (safe to retry)` });
  }

  // Before COMMITTING nothing of this run can be in the table; a referenced file is kept anyway.
  const reusable = rec.idempotencyKey ? new Set(rec.staged.map((f) => f.key)) : new Set<string>();
  const keepStaged = free.filter((k) => reusable.has(k));
  const doomed = free.filter((k) => !reusable.has(k));
  const kept = [...keepStaged, ...referenced].sort();
  const note =
    `nothing was committed (died in ${rec.state}); ${doomed.length} file(s) of the run deleted` +
    (keepStaged.length ? `, ${keepStaged.length} staged file(s) kept for a retry with idempotency key "${rec.idempotencyKey}" to reuse` : '') +
    (referenced.length ? `, ${referenced.length} file(s) kept because the table references them` : '');
  return fail(warehouse, ledger, rec, doomed, kept, rec.staged.filter((f) => keepStaged.includes(f.key)), note, options.error ?? { code: 'TASK_FAILED', message: `the run's process died in state ${rec.state}; ${note}` });
}

async function publish(warehouse: Warehouse, ledger: RunLedger, rec: RunRecord, snap: RunSnapshot, free: string[], referenced: string[], note: string): Promise<Settlement> {
  const recovery = noteOf({ snapshotExpired: snap.expired || undefined, deleted: free, kept: referenced, note: free.length ? `${note}; ${free.length} unreferenced file(s) of the run deleted` : note });
  const record = await ledger.update(rec.runId, (c) => (TERMINAL_STATES.has(c.state) ? undefined : transition(c, 'PUBLISHED', Date.now(), { committedSnapshotId: snap.snapshotId, recovery })));
  // Files the commit did not take (a dropped file the owner meant to delete after committing).
  const mine = record.state === 'PUBLISHED' && record.recovery === recovery;
  if (mine && free.length) await warehouse.store.deleteMany(free);
  return { record, deleted: mine ? free : [], kept: referenced, snapshot: snap, note: recovery.note };
}

async function fail(
  warehouse: Warehouse,
  ledger: RunLedger,
  rec: RunRecord,
  doomed: string[],
  kept: string[],
  staged: RunRecord['staged'],
  note: string,
  error: { code: string; message: string },
): Promise<Settlement> {
  const recovery = noteOf({ deleted: doomed, kept, note });
  // The ledger first: an owner that is somehow still running loses its next transition (and so
  // never reaches COMMITTING) before any of its files go.
  const record = await ledger.update(rec.runId, (c) => (TERMINAL_STATES.has(c.state) || c.state !== rec.state ? undefined : transition(c, 'FAILED', Date.now(), { staged, error, recovery })));
  const mine = record.state === 'FAILED' && record.recovery === recovery;
  if (!mine) return { record, deleted: [], kept: [] };
  if (doomed.length) await warehouse.store.deleteMany(doomed);
  return { record, deleted: doomed, kept, note };
}

/** Settles one run (see settleRun); the record after recovery. */
export async function recoverRun(warehouse: Warehouse, ledger: RunLedger, rec: RunRecord, options: RecoverOptions = {}): Promise<RunRecord> {
  return (await settleRun(warehouse, ledger, rec, options)).record;
}

/**
 * Recovers every unfinished run whose owner is gone; leaves live ones alone. `leaseMs` (default
 * 60 000) below MIN_LEASE_MS (30 000) is refused with INVALID_ARGUMENT.
 */
export async function recoverRuns(warehouse: Warehouse, options: { leaseMs?: number; runId?: string } = {}): Promise<RecoveryAction[]> {
  const leaseMs = checkLease(options.leaseMs);
  const ledger = new RunLedger(warehouse.store);
  const actions: RecoveryAction[] = [];
  const runs = options.runId ? [await ledger.load(options.runId)] : await ledger.list();
  for (const rec of runs) {
    if (TERMINAL_STATES.has(rec.state)) continue;
    if (!(await ownerIsGone(ledger, rec, leaseMs))) {
      if (options.runId) {
        throw new LakehouseError('INVALID_ARGUMENT', `run ${rec.runId} is still running (owner ${rec.owner.host}:${rec.owner.pid}${rec.owner.host === processIdentity().host ? '' : ', other host'})`, {
          help: 'Wait for it, or cancel it; recovery only acts on runs whose process is gone.',
        });
      }
      continue;
    }
    const s = await settleRun(warehouse, ledger, rec);
    actions.push({
      runId: rec.runId,
      from: rec.state,
      to: s.record.state,
      ...(s.record.committedSnapshotId ? { committedSnapshotId: s.record.committedSnapshotId } : {}),
      ...(s.snapshot?.expired ? { snapshotExpired: true } : {}),
      ...(s.note ? { note: s.note } : {}),
      deletedFiles: s.deleted.length,
      deletedKeys: s.deleted,
      keptKeys: s.kept,
    });
  }
  return actions;
}
