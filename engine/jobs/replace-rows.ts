/**
 * The job side of `overwrite: "replace-where"` (the write side is engine/write/replace-where.ts):
 * every new row a run staged must match the predicate, as Delta's replaceWhere checks — a row
 * outside it would land where nothing was replaced. Read-only: it counts, the caller cleans up.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import type { UExpr } from '../plan/unbound.js';
import { countViolations, type ReplaceHost, type ReplaceOptions } from '../write/replace-where.js';
import type { StagedWriteLike } from './engine-contract.js';
import { show } from './overwrite-boundary.js';

/** Throws BAD_RECORD, naming the count, when a staged new row does not match `pred`. */
export async function checkNewRows(host: ReplaceHost, store: ObjectStore, staged: StagedWriteLike, pred: UExpr, o: ReplaceOptions): Promise<void> {
  const bad = await countViolations(host, store, staged.files, pred, o);
  if (bad === 0) return;
  const total = staged.files.reduce((s, f) => s + f.stats.recordCount, 0);
  throw new LakehouseError('BAD_RECORD', `${bad} of the ${total} new row(s) do not match the replace-where predicate ${show(pred)}; nothing was committed`, {
    help: 'With "overwrite": "replace-where" every row written must match the WHERE (a row outside it would land where nothing was replaced): fix the SELECT so that its output matches, or widen the WHERE.',
    details: { violatingRows: bad, newRows: total, predicate: show(pred) },
  });
}
