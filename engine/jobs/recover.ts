/**
 * Recovery of runs whose owner died. Decisions come from durable state only:
 * - COMMITTING / UNKNOWN: the output table's metadata decides. A snapshot whose summary has
 *   `lake.run-id = <run>` means the commit happened → PUBLISHED. None, with the owner dead, means
 *   it cannot happen any more (its process is gone) → staged files deleted, FAILED.
 * - Earlier states: nothing was committed → FAILED. Files the ledger lists as staged (complete,
 *   checksummed) are kept for the retry to reuse; partial files of the run are deleted.
 * If the table cannot be read (store unreachable) the run is left UNKNOWN: never guess.
 */

import { hostname } from 'node:os';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import type { Warehouse } from '../../catalog/index.js';
import { RunLedger, TERMINAL_STATES, ownerIsGone, transition, type RunRecord } from './ledger.js';

export interface RecoveryAction {
  runId: string;
  from: string;
  to: string;
  committedSnapshotId?: string;
  deletedFiles: number;
}

/** Keys under the output table's data directory written by a run (deterministic names carry the run id). */
async function runFiles(warehouse: Warehouse, rec: RunRecord): Promise<string[]> {
  if (!rec.output?.table) return [];
  let table;
  try {
    table = await warehouse.loadTable(rec.output.table);
  } catch (err) {
    if (isLakehouseError(err, 'TABLE_NOT_FOUND') || isLakehouseError(err, 'NAMESPACE_NOT_FOUND')) return [];
    throw err;
  }
  const prefix = table.io.key('data/');
  const out: string[] = [];
  for await (const o of warehouse.store.list(prefix)) {
    const base = o.key.slice(o.key.lastIndexOf('/') + 1);
    if (base.includes(rec.runId)) out.push(o.key);
  }
  return out;
}

export async function recoverRun(
  warehouse: Warehouse,
  ledger: RunLedger,
  rec: RunRecord,
  options: { ownerDead?: boolean; error?: { code: string; message: string } } = {},
): Promise<RunRecord> {
  if (TERMINAL_STATES.has(rec.state)) return rec;
  if (rec.state === 'COMMITTING' || rec.state === 'UNKNOWN') {
    let committed: string | undefined;
    try {
      const table = await warehouse.loadTable(rec.output!.table);
      const snap = table.snapshots().find((s) => s.summary['lake.run-id'] === rec.runId);
      committed = snap ? String(snap['snapshot-id']) : undefined;
    } catch (err) {
      if (!(isLakehouseError(err, 'TABLE_NOT_FOUND') || isLakehouseError(err, 'NAMESPACE_NOT_FOUND'))) {
        return ledger.update(rec.runId, (c) =>
          c.state === 'COMMITTING' ? transition(c, 'UNKNOWN', Date.now(), { error: { code: 'STORE_UNAVAILABLE', message: `commit outcome unknown: ${(err as Error).message}` } }) : undefined,
        );
      }
    }
    if (committed) {
      return ledger.update(rec.runId, (c) => (TERMINAL_STATES.has(c.state) ? undefined : transition(c, 'PUBLISHED', Date.now(), { committedSnapshotId: committed })));
    }
    const files = new Set([...rec.staged.map((f) => f.key), ...(await runFiles(warehouse, rec))]);
    await warehouse.store.deleteMany(files);
    return ledger.update(rec.runId, (c) =>
      TERMINAL_STATES.has(c.state) ? undefined : transition(c, 'FAILED', Date.now(), { staged: [], error: options.error ?? { code: 'COMMIT_FAILED', message: 'the run died while committing and its commit did not happen; staged files were deleted (safe to retry)' } }),
    );
  }
  const keep = new Set(rec.staged.map((f) => f.key));
  const partial = (await runFiles(warehouse, rec)).filter((k) => !keep.has(k));
  await warehouse.store.deleteMany(partial);
  return ledger.update(rec.runId, (c) =>
    TERMINAL_STATES.has(c.state) ? undefined : transition(c, 'FAILED', Date.now(), { error: options.error ?? { code: 'TASK_FAILED', message: `the run's process died in state ${c.state}; nothing was committed (${partial.length} partial file(s) deleted, ${keep.size} staged file(s) kept for reuse)` } }),
  );
}

/** Recovers every unfinished run whose owner is gone; leaves live ones alone. */
export async function recoverRuns(warehouse: Warehouse, options: { leaseMs?: number; runId?: string } = {}): Promise<RecoveryAction[]> {
  const ledger = new RunLedger(warehouse.store);
  const actions: RecoveryAction[] = [];
  const runs = options.runId ? [await ledger.load(options.runId)] : await ledger.list();
  for (const rec of runs) {
    if (TERMINAL_STATES.has(rec.state)) continue;
    if (!(await ownerIsGone(ledger, rec, options.leaseMs ?? 60_000))) {
      if (options.runId) {
        throw new LakehouseError('INVALID_ARGUMENT', `run ${rec.runId} is still running (owner ${rec.owner.host}:${rec.owner.pid}${rec.owner.host === hostname() ? '' : ', other host'})`, {
          help: 'Wait for it, or cancel it; recovery only acts on runs whose process is gone.',
        });
      }
      continue;
    }
    const before = rec.staged.length;
    const after = await recoverRun(warehouse, ledger, rec);
    actions.push({ runId: rec.runId, from: rec.state, to: after.state, committedSnapshotId: after.committedSnapshotId, deletedFiles: Math.max(0, before - after.staged.length) });
  }
  return actions;
}
