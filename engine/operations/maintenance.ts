/**
 * Orphan removal and expiry with the engine's protections: the catalog functions plus the run
 * ledger (`_runs/` in the warehouse). A run that is not settled (not PUBLISHED, COMPLETED or
 * FAILED — so also UNKNOWN, whose commit may still land) protects every file it staged and
 * every file whose name carries its run id (engine writes name files `<run-id>-<task>-<n>`), and
 * those of the run it retries (a retry reuses its predecessor's staged files).
 *
 * The catalog cannot read the ledger itself (catalog/ must not import engine/), so this layer
 * passes it in as `protect`. The catalog loads it after listing the table's files, in the same
 * step as the in-flight markers, so the ordering argument of catalog/orphans.ts covers runs too:
 * a run's record exists before its first file (it is created at PLANNED) and it becomes
 * terminal only after its commit (or the deletion of its files) is durable.
 */

import type { ObjectStore } from '../../connectors/object-store.js';
import { expireSnapshots, removeOrphanFiles, type ExpireOptions, type ExpireResult, type OrphanOptions, type OrphanResult, type ProtectPredicate } from '../../catalog/maintenance.js';
import type { Table } from '../../catalog/table.js';
import { mapLimit } from '../../catalog/manifest-io.js';
import { RunLedger, TERMINAL_STATES } from '../jobs/ledger.js';

/** Loads the protections of every unsettled run in the ledger of `store` (a warehouse store). */
export async function ledgerProtection(store: ObjectStore): Promise<ProtectPredicate> {
  const ledger = new RunLedger(store);
  const ids = await ledger.runIds();
  const records = await mapLimit(ids, 8, (id) => ledger.find(id));
  const keys = new Map<string, string>();
  const tokens = new Map<string, string>();
  for (const rec of records) {
    if (!rec || TERMINAL_STATES.has(rec.state)) continue;
    const why = `staged by run ${rec.runId} (${rec.state})`;
    for (const f of rec.staged ?? []) keys.set(f.key, why);
    tokens.set(rec.runId, why);
    if (rec.previousRunId) tokens.set(rec.previousRunId, why);
  }
  return (key: string) => {
    const hit = keys.get(key);
    if (hit) return hit;
    const base = key.slice(key.lastIndexOf('/') + 1);
    for (const [t, why] of tokens) if (base.includes(t)) return why;
    return undefined;
  };
}

/** removeOrphanFiles, with files of unsettled runs of the warehouse's ledger protected. */
export function removeOrphans(warehouseStore: ObjectStore, table: Table, options: Omit<OrphanOptions, 'protect'> = {}): Promise<OrphanResult> {
  return removeOrphanFiles(table, { ...options, protect: () => ledgerProtection(warehouseStore) });
}

/** expireSnapshots, with files of unsettled runs of the warehouse's ledger protected. */
export function expire(warehouseStore: ObjectStore, table: Table, options: Omit<ExpireOptions, 'protect'> = {}): Promise<ExpireResult> {
  return expireSnapshots(table, { ...options, protect: () => ledgerProtection(warehouseStore) });
}
