/**
 * What the engine needs from a table: its schema and a scan planner that turns a projection and
 * a predicate into serializable `ScanTask`s. A task is plain data (it crosses to worker threads
 * through msgpackr); `scan-executors.ts` turns a task into `AsyncIterable<RecordBatch>` inside
 * the thread that runs it.
 *
 * Implementations: `MemoryTableSource` (Arrow tables held by this process; its tasks run on the
 * coordinator thread because worker threads cannot see its memory), `ParquetFilesSource` (a list
 * of Parquet files in an object store; tasks run in the worker pool). A catalog-backed source
 * (Iceberg snapshots, delete files, partition pruning) plugs in through the same interface.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { Expr, Schema } from '../plan/types.js';
import type { TimeTravel } from '../plan/unbound.js';

export interface ScanRequest {
  /** Table columns to read, by name, in the order the plan wants them. */
  columns: string[];
  /** Conjuncts over `columns` (column i = columns[i]); a source may use them to prune, and
   * may ignore them: the engine applies them to every batch anyway. */
  filters: Expr[];
  travel?: TimeTravel;
  /** Target rows per batch. */
  batchSize?: number;
  /** How many tasks the engine would like (to keep its workers busy); a hint. */
  targetTasks?: number;
}

export interface ScanTask {
  /** Executor key, e.g. 'parquet' or 'memory'. */
  kind: string;
  /** Must run on the coordinator thread (the data lives in its memory). */
  local?: boolean;
  /** Estimated bytes to read, used to balance tasks and pick broadcast joins. */
  bytes: number;
  /** Estimated rows, when known. */
  rows?: number;
  /** A short stable identity, for tasks whose JSON would be large (they carry their rows). */
  key?: string;
  /** Bytes that travel beside the descriptor: transferred to the worker thread, never packed. */
  payload?: Uint8Array[];
  [key: string]: unknown;
}

export interface TableSource {
  /** Engine schema with Iceberg field ids where known. */
  readonly schema: Schema;
  /** Columns present in the table whose type the engine cannot compute on (name → type). */
  readonly unsupportedColumns?: ReadonlyMap<string, string>;
  planScan(request: ScanRequest): Promise<ScanTask[]>;
}

/**
 * A scan that reads a column of a type the engine cannot compute on is refused before anything
 * is decoded (e.g. `SELECT *` over a file with an INTERVAL column), naming the column.
 */
export function refuseUnsupported(columns: readonly string[], unsupported: ReadonlyMap<string, string> | undefined): void {
  if (!unsupported || unsupported.size === 0) return;
  for (const c of columns) {
    const t = unsupported.get(c);
    if (t === undefined) continue;
    throw new LakehouseError('UNSUPPORTED', `not supported yet: ${t.toUpperCase()} column "${c}"`, {
      help: `Leave "${c}" out of the query (list the other columns instead of *), or convert it to a supported type.`,
      details: { column: c, type: t },
    });
  }
}
