/**
 * Replace-where (Delta's `replaceWhere`): replace exactly the rows of a table that match a
 * predicate on its columns, by copy-on-write, in one commit.
 *
 *   1. The new rows are staged as an append (the caller's staged write) and every one of them
 *      must match the predicate (`countViolations`; Delta checks the same): a row that does not
 *      would be written where nothing of it was replaced.
 *   2. `prepareReplace` reads the table's current snapshot B and finds the data files whose rows
 *      may match — the same scan planning and pruning a query gets (partition transforms,
 *      column bounds, row-group statistics: engine/source/catalog-source.ts) — then stages the
 *      rows of those files that do NOT match (`NOT coalesce(pred, false)`: a NULL predicate
 *      keeps the row, as DELETE … WHERE does), read with their delete files applied, as new
 *      files. A file none of whose rows stay is just removed. The counts are reconciled: kept +
 *      matched = the files' rows, or nothing is committed (INTERNAL).
 *   3. `commitReplaceWhere` commits the new rows, the kept rows and the removal of the affected
 *      files as one overwrite snapshot based on B. The commit core validates it against every
 *      commit since B: a removed file that is no longer live, or a non-append commit in a
 *      partition this one writes (a concurrent delete, rewrite or overwrite), is COMMIT_CONFLICT
 *      — then the rewrite is deleted and prepared again from a fresh read, a bounded number of
 *      times. So a row deleted concurrently is never resurrected and a row added concurrently is
 *      never lost: concurrent appends commit on either side of this one (they rebase), and every
 *      other change to what this commit rewrites forces a re-read.
 *
 * Only tables whose every column the engine reads and writes back exactly can be rewritten
 * (refused otherwise: an untouched row must come back bit for bit). Cleanup: a rewrite that does
 * not commit is deleted (its own staged write's abort); when the commit's outcome is unknown,
 * nothing is deleted and its in-flight marker stays (docs/table-format.md, "Commit outcomes").
 */

import { isPrimitive } from '../../connectors/iceberg-types.js';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import { planScan, type Warehouse } from '../../catalog/index.js';
import { DataFrame, type QueryRunner } from '../dataframe.js';
import { children, type PlanNode } from '../plan/logical.js';
import { simpleQuery, type UExpr, type UQuery, type USelectItem } from '../plan/unbound.js';
import { CatalogTableSource, type IcebergScanTask } from '../source/catalog-source.js';
import { ParquetFilesSource } from '../source/parquet-source.js';
import type { ScanRequest, ScanTask, TableSource } from '../source/table-source.js';
import type { CommitProvenance, StagedDataFile, StagedWrite, StageWriteRequest } from './stage.js';

/** What replace-where needs from the engine (Engine implements it). */
export interface ReplaceHost extends QueryRunner {
  stageWrite(req: StageWriteRequest): Promise<StagedWrite>;
  registerTable(name: string, source: never): void;
  dropTable(name: string): boolean;
}

export interface ReplaceOptions {
  /** Run id of the job: the rewrite's files are named `<runId>-rw<round>-…` (recovery finds them by the run id). */
  runId: string;
  /** The SQL the predicate came from (its positions point into it), for error carets. */
  sqlText?: string;
  signal?: AbortSignal;
}

export interface PreparedReplace {
  /** The snapshot the affected files were read from (null: the table has no snapshot). */
  basedOn: bigint | null;
  /** Locations (as in the manifests) of the data files this replace removes. */
  remove: string[];
  /** The removed files' rows that stay, staged; undefined when no file is affected. */
  rewrite: StagedWrite | undefined;
  /** Rows of the affected files: matching (replaced) and kept (rewritten). */
  matchedRows: number;
  keptRows: number;
  round: number;
  /** Deletes the staged rewrite (when it will not be committed). */
  abort(): Promise<void>;
}

const FALSE: UExpr = { k: 'lit', v: false, type: 'boolean' };
const STAR: USelectItem = { k: 'star' };

/** `coalesce(pred, false)`: true exactly for the rows the predicate matches. */
function matches(pred: UExpr): UExpr {
  return { k: 'fn', name: 'coalesce', args: [pred, FALSE], distinct: false, star: false };
}

function selectFrom(table: string, items: USelectItem[], where: UExpr | null): UQuery {
  return simpleQuery({ k: 'select', distinct: false, items, from: { k: 'table', name: table.split('.') }, where, groupBy: [], having: null });
}

let tempSeq = 0;
const tempName = (runId: string, what: string): string => `lake_rw.${runId.replace(/[^A-Za-z0-9]/g, '_')}_${what}_${++tempSeq}`;

async function withTable<T>(host: ReplaceHost, name: string, source: TableSource, fn: () => Promise<T>): Promise<T> {
  host.registerTable(name, source as never);
  try {
    return await fn();
  } finally {
    host.dropTable(name);
  }
}

async function countRows(host: ReplaceHost, query: UQuery, sqlText: string | undefined, signal: AbortSignal | undefined): Promise<number[]> {
  const rows = await new DataFrame(host, query, sqlText).toArray(signal ? { signal } : {});
  return Object.values(rows[0] ?? {}).map((v) => (v === null || v === undefined ? 0 : Number(v)));
}

/** How many of the staged new rows do not match the predicate (NULL counts as not matching). */
export async function countViolations(host: ReplaceHost, store: ObjectStore, files: StagedDataFile[], predicate: UExpr, o: ReplaceOptions): Promise<number> {
  const keys = files.filter((f) => f.stats.recordCount > 0).map((f) => f.key);
  if (!keys.length) return 0;
  const name = tempName(o.runId, 'new');
  const count: USelectItem = { k: 'expr', e: { k: 'fn', name: 'count', args: [], distinct: false, star: true }, alias: 'n' };
  const [n] = await withTable(host, name, await ParquetFilesSource.open(store, keys), () => countRows(host, selectFrom(name, [count], { k: 'not', e: matches(predicate) }), o.sqlText, o.signal));
  return n ?? 0;
}

/** A catalog source restricted to some of its data files, read whole (deletes applied). */
class FilesOfSnapshot implements TableSource {
  constructor(private readonly inner: CatalogTableSource, private readonly keys: ReadonlySet<string>) {}
  get schema(): CatalogTableSource['schema'] {
    return this.inner.schema;
  }
  get unsupportedColumns(): CatalogTableSource['unsupportedColumns'] {
    return this.inner.unsupportedColumns;
  }
  async planScan(request: ScanRequest): Promise<ScanTask[]> {
    // No pruning: every row of an affected file is read, and the filter decides which stay.
    const tasks = (await this.inner.planScan({ ...request, filters: [] })) as IcebergScanTask[];
    return tasks.map((t) => ({ ...t, files: t.files.filter((f) => this.keys.has(f.key)) })).filter((t) => t.files.length > 0);
  }
}

function findScan(p: PlanNode, table: string): Extract<PlanNode, { op: 'scan' }> | undefined {
  if (p.op === 'scan') return p.table.toLowerCase() === table.toLowerCase() ? p : undefined;
  const kids = children(p);
  for (const k of kids) {
    const s = findScan(k, table);
    if (s) return s;
  }
  return undefined;
}

/** Iceberg types the engine reads and writes back without changing a value. */
const EXACT_TYPES = /^(boolean|int|long|float|double|date|time|timestamp|timestamptz|string|uuid|binary|fixed\[\d+\]|decimal\(\d+,\s*\d+\))$/;

/**
 * Finds the files of the table's current snapshot whose rows may match and stages the rows of
 * them that do not. Nothing is visible; `abort()` deletes the staging.
 */
export async function prepareReplace(host: ReplaceHost, warehouse: Warehouse, tableName: string, predicate: UExpr, round: number, o: ReplaceOptions): Promise<PreparedReplace> {
  const table = await warehouse.loadTable(tableName);
  const snap = table.currentSnapshot();
  const none = (basedOn: bigint | null): PreparedReplace => ({ basedOn, remove: [], rewrite: undefined, matchedRows: 0, keptRows: 0, round, abort: async () => undefined });
  if (!snap) return none(null);
  const basedOn = snap['snapshot-id'];
  // Unpinned: the table as loaded is at B, read with the current schema (the one written back).
  const source = CatalogTableSource.open(tableName, table);
  if (source.snapshotId !== String(basedOn)) throw new LakehouseError('INTERNAL', `replace-where on ${tableName}: the source reads snapshot ${source.snapshotId}, not ${basedOn}`);
  const inexact = table.schema().fields.filter((f) => !isPrimitive(f.type) || !EXACT_TYPES.test(f.type) || source.unsupportedColumns.has(f.name));
  if (inexact.length) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: "overwrite": "replace-where" on ${tableName}, whose column(s) ${inexact.map((f) => `${f.name} (${typeof f.type === 'string' ? f.type : f.type.type})`).join(', ')} the engine cannot rewrite exactly`, {
      help: 'Make the WHERE cover whole partitions and use the default INSERT OVERWRITE (it rewrites no existing file).',
      details: { table: tableName, columns: inexact.map((f) => f.name) },
    });
  }

  // 1. The files whose rows may match: the scan a `SELECT * … WHERE pred` would plan.
  const affected = new Map<string, string>();
  const planName = tempName(o.runId, 'plan');
  await withTable(host, planName, source, async () => {
    const plan = await new DataFrame(host, selectFrom(planName, [STAR], predicate), o.sqlText).plan();
    const scan = findScan(plan, planName);
    // No scan in the plan (a predicate folded away): read every file — slower, never wrong.
    const columns = scan?.columns ?? source.schema.map((f) => f.name);
    const tasks = (await source.planScan({ columns, filters: scan?.filters ?? [] })) as IcebergScanTask[];
    for (const t of tasks) for (const f of t.files) affected.set(f.key, f.filePath);
  });
  if (!affected.size) return none(basedOn);
  // The commit core detects concurrent deletes by partition; a file written under an older
  // partition spec is rewritten into the current one, where such a delete would go unseen.
  const specId = table.spec()['spec-id'];
  const older = (await planScan(table.state, { snapshotId: basedOn })).tasks.filter((t) => affected.has(t.key) && t.file.specId !== specId);
  if (older.length) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: "overwrite": "replace-where" on ${tableName} rewriting ${older.length} file(s) written under an older partition spec (${older[0]!.key})`, {
      help: `Compact the table first (\`lake compact ${tableName}\` rewrites them under the current spec), then run the job again.`,
      details: { table: tableName, files: older.map((t) => t.key) },
    });
  }

  // 2. Their rows that stay, and the reconciliation of the counts.
  const keep = new FilesOfSnapshot(source, new Set(affected.keys()));
  const keepName = tempName(o.runId, 'keep');
  return withTable(host, keepName, keep, async () => {
    const sum = (e: UExpr, alias: string): USelectItem => ({
      k: 'expr', alias,
      e: { k: 'fn', name: 'sum', args: [{ k: 'case', operand: null, whens: [[e, { k: 'num', text: '1' }]], else: { k: 'num', text: '0' } }], distinct: false, star: false },
    });
    const count: USelectItem = { k: 'expr', e: { k: 'fn', name: 'count', args: [], distinct: false, star: true }, alias: 'n' };
    const [total = 0, matched = 0] = await countRows(host, selectFrom(keepName, [count, sum(matches(predicate), 'm')], null), o.sqlText, o.signal);
    const rewrite = await host.stageWrite({
      query: new DataFrame(host, selectFrom(keepName, [STAR], { k: 'not', e: matches(predicate) }), o.sqlText),
      table: tableName,
      mode: 'append',
      runId: `${o.runId}-rw${round}`,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const kept = rewrite.files.reduce((s, f) => s + f.stats.recordCount, 0);
    if (kept + matched !== total) {
      await rewrite.abort();
      throw new LakehouseError('INTERNAL', `replace-where on ${tableName}: the ${affected.size} affected file(s) hold ${total} row(s), ${matched} match, but ${kept} were rewritten; nothing was committed`, {
        help: 'This is a bug in the engine; please report it with the job spec.',
        details: { total, matched, kept },
      });
    }
    return { basedOn, remove: [...affected.values()], rewrite, matchedRows: matched, keptRows: kept, round, abort: () => rewrite.abort() };
  });
}

export interface ReplaceCommitOptions extends ReplaceOptions {
  provenance?: CommitProvenance;
  dropFiles?: string[];
  /** Re-preparations after a conflict (default 4). */
  maxRounds?: number;
  /** Tests only: runs before each commit attempt (e.g. a concurrent writer). */
  beforeCommit?: (round: number) => Promise<void>;
}

export interface ReplaceCommitResult {
  snapshotId: string;
  /** Preparations it took (1 + re-reads after conflicts). */
  rounds: number;
  removedFiles: number;
  replacedRows: number;
  keptRows: number;
}

/**
 * Commits `staged` (the new rows) and `prepared` as one snapshot; on COMMIT_CONFLICT deletes the
 * rewrite and prepares again from a fresh read. Deletes the rewrite whenever the commit
 * definitely did not happen; keeps it when the outcome is unknown.
 */
export async function commitReplaceWhere(
  host: ReplaceHost, warehouse: Warehouse, staged: StagedWrite, predicate: UExpr, first: PreparedReplace, o: ReplaceCommitOptions,
): Promise<ReplaceCommitResult> {
  const maxRounds = o.maxRounds ?? 4;
  let p = first;
  for (;;) {
    try {
      await o.beforeCommit?.(p.round);
      const res = await staged.commit({
        ...(o.provenance ? { provenance: o.provenance } : {}),
        ...(o.dropFiles ? { dropFiles: o.dropFiles } : {}),
        replace: { remove: p.remove, add: p.rewrite ? [p.rewrite] : [], basedOn: p.basedOn },
      });
      await p.rewrite?.adopted('committed');
      return { snapshotId: res.snapshotId, rounds: p.round - first.round + 1, removedFiles: p.remove.length, replacedRows: p.matchedRows, keptRows: p.keptRows };
    } catch (err) {
      if (isLakehouseError(err, 'COMMIT_STATE_UNKNOWN') || (isLakehouseError(err) && err.details['outcomeUnknown'] === true)) {
        await p.rewrite?.adopted('unknown');
        throw err;
      }
      await p.abort();
      const conflict = isLakehouseError(err, 'COMMIT_CONFLICT') && err.details['duplicateOf'] === undefined;
      if (!conflict || p.round - first.round >= maxRounds) throw err;
    }
    p = await prepareReplace(host, warehouse, staged.table, predicate, p.round + 1, o);
  }
}
