/**
 * Running one parsed SQL statement (engine.run, scripts, `lake sql`):
 *   - a query → a lazy DataFrame;
 *   - `INSERT INTO ns.t [(c1, c2)] <query | VALUES …>` (append), `INSERT OVERWRITE [TABLE] ns.t …`
 *     (dynamic partition overwrite: only the partitions present in the output are replaced; an
 *     unpartitioned table is replaced as a whole) and `CREATE TABLE [IF NOT EXISTS] ns.t
 *     [PARTITIONED BY (…)] AS <query>`: each a staged write committed once; a failure after
 *     staging deletes the staged files unless the commit's outcome is unknown (then the files
 *     may be referenced and are left for `remove-orphans`);
 *   - `CREATE [OR REPLACE] [TEMP] VIEW` / `DROP VIEW` (engine/views.ts);
 *   - `COPY … TO` (engine/write/copy-to.ts).
 *
 * INSERT column lists: the listed columns take the source's columns in order; every other
 * column is NULL, or the error SCHEMA_MISMATCH naming it when the table declares it required.
 * A source with another number of columns than the list (or, without a list, than the table)
 * is SCHEMA_MISMATCH. Values are stored by the store assignment of write/assign.ts; in a VALUES
 * source, numeric literals are first cast exactly to a numeric column's type (1.5 into a DOUBLE,
 * 5 into a DECIMAL(5,2)) and string literals to a date/timestamp column's type, as SQL's
 * INSERT … VALUES assigns literals.
 */

import { randomBytes } from 'node:crypto';
import type { Warehouse } from '../../catalog/index.js';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import type { PrimitiveType } from '../../connectors/iceberg-types.js';
import { DataFrame, type QueryContext } from '../dataframe.js';
import { explainFrame, type ExplainHost } from '../physical/explain-frame.js';
import { decimalParts, type DataType } from '../plan/types.js';
import { walkQuery } from '../plan/unbound-walk.js';
import type { UBody, UExpr, UQuery } from '../plan/unbound.js';
import type { Statement } from '../sql/parser.js';
import { dropStoredView, storeView, type TempViews } from '../views.js';
import { storedEngineType } from './assign.js';
import { copyTo } from './copy-to.js';
import { stageWrite, type WriteHost } from './stage.js';

export type SqlResult =
  | { kind: 'query'; frame: DataFrame }
  | {
    kind: 'write';
    statement: 'INSERT INTO' | 'INSERT OVERWRITE' | 'CREATE TABLE AS';
    table: string;
    /** The new snapshot (null: CREATE TABLE IF NOT EXISTS found the table and did nothing). */
    snapshotId: string | null;
    rowsWritten: number;
    filesWritten: number;
    inputSnapshots: Record<string, string | null>;
  }
  | {
    kind: 'view';
    statement: 'CREATE VIEW' | 'DROP VIEW';
    name: string;
    temporary: boolean;
    /** created / replaced / exists (IF NOT EXISTS found one) / dropped / absent (DROP … IF EXISTS found none). */
    outcome: 'created' | 'replaced' | 'exists' | 'dropped' | 'absent';
  }
  | { kind: 'copy'; statement: 'COPY'; target: string; format: 'parquet' | 'csv'; rowsWritten: number };

/** Where a script result comes from: its statement's number (from 1) and first line, and the script's statement count. */
export interface ScriptPosition {
  script: { statement: number; line: number; statements: number };
}

/** An error of statement `n` of a script: same code and help, the statement's number and line in front. */
export function inStatement(err: unknown, n: number, line: number): unknown {
  if (!isLakehouseError(err) || err.details['statement'] !== undefined) return err;
  const tail = err.help ? `\nHelp: ${err.help}` : '';
  const body = tail && err.message.endsWith(tail) ? err.message.slice(0, -tail.length) : err.message;
  return new LakehouseError(err.code, `statement ${n} (line ${line}): ${body}`, {
    cause: err, ...(err.help ? { help: err.help } : {}), details: { ...err.details, statement: n },
  });
}

export function newSqlRunId(): string {
  return `sql-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** What running statements needs from the engine. */
export interface StatementHost {
  /** The engine: runs queries, and plans and runs physical plans for EXPLAIN. */
  runner: ExplainHost;
  write: WriteHost;
  tempViews: TempViews;
  /** The warehouse, or undefined when the engine has none. */
  warehouse(): Promise<Warehouse> | undefined;
}

export type RunStatementOptions = QueryContext & { signal?: AbortSignal; runId?: string };

const viewKey = (parts: string[]): string => parts.map((p) => p.toLowerCase()).join('.');

export async function runStatement(host: StatementHost, stmt: Statement, text: string, options: RunStatementOptions): Promise<SqlResult> {
  const context: QueryContext = options.inputs ? { inputs: options.inputs } : {};
  switch (stmt.kind) {
    case 'query': return { kind: 'query', frame: new DataFrame(host.runner, stmt.query, text, context) };
    case 'explain': return { kind: 'query', frame: explainFrame(host.runner, host.write, stmt, text, context) };
    case 'create_view': return createView(host, stmt, context);
    case 'drop_view': return dropView(host, stmt);
    case 'copy': {
      const frame = new DataFrame(host.runner, stmt.query, text, context);
      const rowsWritten = await copyTo(frame, stmt.target, { format: stmt.format, header: stmt.header, delimiter: stmt.delimiter, ...(options.signal ? { signal: options.signal } : {}) });
      return { kind: 'copy', statement: 'COPY', target: stmt.target, format: stmt.format, rowsWritten };
    }
    default: return runWrite(host, stmt, text, options, context);
  }
}

async function createView(host: StatementHost, stmt: Extract<Statement, { kind: 'create_view' }>, context: QueryContext): Promise<SqlResult> {
  const name = viewKey(stmt.name);
  // Bound now: a view that cannot bind is refused at CREATE (as DuckDB does); binding also gives its schema.
  const schema = (await new DataFrame(host.runner, stmt.query, stmt.queryText, context).plan()).schema;
  if (stmt.columns && stmt.columns.length > schema.length) {
    throw new LakehouseError('PLAN_ERROR', `view ${name} names ${stmt.columns.length} columns but its query returns ${schema.length}`, { help: 'List at most as many column names as the query returns.' });
  }
  const base = { kind: 'view' as const, statement: 'CREATE VIEW' as const, name, temporary: stmt.temporary };
  if (stmt.temporary) {
    const exists = host.tempViews.has(name);
    if (exists && !stmt.orReplace) {
      if (stmt.ifNotExists) return { ...base, outcome: 'exists' };
      throw new LakehouseError('TABLE_EXISTS', `view ${name} already exists`, { help: 'Use CREATE OR REPLACE TEMP VIEW to change it.' });
    }
    host.tempViews.set(name, { query: stmt.query, sql: stmt.queryText, ...(stmt.columns ? { columns: stmt.columns } : {}) });
    return { ...base, outcome: exists ? 'replaced' : 'created' };
  }
  const wh = host.warehouse();
  if (!wh) throw new LakehouseError('INVALID_ARGUMENT', `CREATE VIEW ${name} stores the view in the warehouse, and this engine has none`, { help: 'Open the engine on a warehouse, or use CREATE TEMP VIEW.' });
  // A stored view must not read a TEMP view: a new process would not find it.
  walkQuery(stmt.query, {
    table(f, ctes) {
      if (f.name.length === 1 && ctes.has(f.name[0]!.toLowerCase())) return;
      const key = viewKey(f.name);
      if (host.tempViews.has(key)) {
        throw new LakehouseError('PLAN_ERROR', `view ${name} reads the TEMP view ${key}, which other sessions cannot see`, { help: `Create ${name} as a TEMP view too, or store ${key} first.` });
      }
    },
  });
  const outcome = await storeView(await wh, stmt.name, { sql: stmt.queryText.trim(), ...(stmt.columns ? { columns: stmt.columns } : {}) }, schema, { orReplace: stmt.orReplace, ifNotExists: stmt.ifNotExists });
  return { ...base, outcome };
}

async function dropView(host: StatementHost, stmt: Extract<Statement, { kind: 'drop_view' }>): Promise<SqlResult> {
  let last: SqlResult | undefined;
  for (const parts of stmt.names) {
    const name = viewKey(parts);
    if (host.tempViews.delete(name)) {
      last = { kind: 'view', statement: 'DROP VIEW', name, temporary: true, outcome: 'dropped' };
      continue;
    }
    const wh = parts.length === 2 ? host.warehouse() : undefined;
    const dropped = wh ? await dropStoredView(await wh, parts) : false;
    if (!dropped && !stmt.ifExists) throw new LakehouseError('TABLE_NOT_FOUND', `view ${name} does not exist`, { help: 'Use DROP VIEW IF EXISTS to ignore a missing view.' });
    last = { kind: 'view', statement: 'DROP VIEW', name, temporary: false, outcome: dropped ? 'dropped' : 'absent' };
  }
  return last!;
}

async function runWrite(
  host: StatementHost, stmt: Extract<Statement, { kind: 'insert' | 'ctas' }>, text: string, options: RunStatementOptions, context: QueryContext,
): Promise<SqlResult> {
  const table = stmt.table.join('.').toLowerCase();
  const statement = stmt.kind === 'ctas' ? 'CREATE TABLE AS' : stmt.overwrite ? 'INSERT OVERWRITE' : 'INSERT INTO';
  const wh = await host.write.warehouse();
  let frame = new DataFrame(host.runner, stmt.query, text, context);
  if (stmt.kind === 'ctas') {
    if (await wh.tableExists(table)) {
      if (stmt.ifNotExists) {
        const t = await wh.loadTable(table);
        const cur = t.currentSnapshot();
        return { kind: 'write', statement, table, snapshotId: cur ? String(cur['snapshot-id']) : null, rowsWritten: 0, filesWritten: 0, inputSnapshots: {} };
      }
      throw new LakehouseError('TABLE_EXISTS', `table ${table} already exists`, { help: 'Use INSERT INTO / INSERT OVERWRITE to write to it, or CREATE TABLE IF NOT EXISTS.' });
    }
  }
  if (stmt.kind === 'insert' && (await wh.tableExists(table))) {
    const fields = (await wh.loadTable(table)).schema().fields;
    frame = await insertFrame(host, stmt, fields, { statement, table, text, context });
  }
  const staged = await stageWrite(host.write, {
    query: frame,
    table,
    mode: stmt.kind === 'insert' && stmt.overwrite ? 'overwrite-partitions' : 'append',
    ...(stmt.kind === 'ctas' ? { create: { partitionBy: stmt.partitionBy } } : {}),
    runId: options.runId ?? newSqlRunId(),
    ...(options.signal ? { signal: options.signal } : {}),
  }, { createOnly: stmt.kind === 'ctas' });
  try {
    const { snapshotId } = await staged.commit();
    return {
      kind: 'write', statement, table, snapshotId, rowsWritten: staged.metrics.rowsWritten, filesWritten: staged.files.length, inputSnapshots: staged.inputSnapshots,
    };
  } catch (err) {
    const unknown = isLakehouseError(err) && err.details['outcomeUnknown'] === true;
    if (!unknown) await staged.abort().catch(() => undefined);
    if (isLakehouseError(err)) {
      err.details['commitId'] ??= staged.commitId;
      err.details['table'] ??= table;
    }
    throw err;
  }
}

type Field = { name: string; type: unknown; required: boolean };

/**
 * The INSERT's source as a frame whose columns carry the names of the table columns they go
 * to (so write/target.ts maps them by name; unnamed table columns get NULL). Checks the column
 * list and the column count first.
 */
async function insertFrame(
  host: StatementHost, stmt: Extract<Statement, { kind: 'insert' }>, fields: Field[],
  at: { statement: string; table: string; text: string; context: QueryContext },
): Promise<DataFrame> {
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const targets = stmt.columns
    ? stmt.columns.map((c) => {
      const f = byName.get(c.toLowerCase());
      if (!f) throw new LakehouseError('SCHEMA_MISMATCH', `${at.statement} ${at.table}: "${c}" is not a column of the table`, { help: `Columns: ${fields.map((x) => x.name).join(', ')}.`, details: { table: at.table, column: c } });
      return f;
    })
    : undefined;
  if (targets) {
    const listed = new Set(targets.map((f) => f.name));
    const required = fields.filter((f) => f.required && !listed.has(f.name));
    if (required.length) {
      throw new LakehouseError('SCHEMA_MISMATCH', `${at.statement} ${at.table}: column "${required[0]!.name}" is required (NOT NULL) and gets no value from the column list`, {
        help: `Add ${required.map((f) => f.name).join(', ')} to the column list with a value for each row.`,
        details: { table: at.table, column: required[0]!.name, missing: required.map((f) => f.name) },
      });
    }
  }
  const q = stmt.query;
  if (q.body.k === 'values' && q.ctes.length === 0 && q.orderBy.length === 0 && q.limit === null && q.offset === 0) {
    // VALUES rows: named after their target columns and their literals assigned to the column types.
    const cols = targets ?? fields;
    const width = q.body.rows[0]!.length;
    if (width !== cols.length) throw countMismatch(at, width, cols.length, !!targets, 'values per row');
    const rows = q.body.rows.map((row) => row.map((e, j) => ({ k: 'expr' as const, e: assignLiteral(e, cols[j]!), alias: cols[j]!.name })));
    return new DataFrame(host.runner, { ctes: [], body: unionOfRows(rows), orderBy: [], limit: null, offset: 0 }, at.text, at.context);
  }
  const frame = new DataFrame(host.runner, q, at.text, at.context);
  const output = (await frame.plan()).schema;
  if (targets) {
    if (output.length !== targets.length) throw countMismatch(at, output.length, targets.length, true, 'columns');
    const renamed: UQuery = {
      ctes: [], orderBy: [], limit: null, offset: 0,
      body: {
        k: 'select', distinct: false, items: [{ k: 'star' }], where: null, groupBy: [], having: null,
        from: { k: 'sub', query: q, alias: '_insert_source', columns: targets.map((f) => f.name) },
      },
    };
    return new DataFrame(host.runner, renamed, at.text, at.context);
  }
  // Without a list, SQL INSERT supplies every column: a query with fewer columns than the
  // table is an error naming the missing ones, never a silent write of NULLs (the DataFrame
  // write API, which matches by name, may still leave optional columns out).
  if (output.length < fields.length) {
    const given = new Set(output.map((f) => f.name.toLowerCase()));
    const named = output.every((f) => fields.some((t) => t.name.toLowerCase() === f.name.toLowerCase()));
    const missing = named ? fields.filter((f) => !given.has(f.name.toLowerCase())) : fields.slice(output.length);
    throw new LakehouseError('SCHEMA_MISMATCH', `${at.statement} ${at.table}: the query returns ${output.length} column${output.length === 1 ? '' : 's'} (${output.map((f) => f.name).join(', ')}); the table has ${fields.length} — missing: ${missing.map((f) => f.name).join(', ')}`, {
      help: `Select a value for every column, in table order (${fields.map((f) => f.name).join(', ')}), or name the columns you give: INSERT INTO ${at.table} (a, b) SELECT …`,
      details: { table: at.table, missing: missing.map((f) => f.name) },
    });
  }
  return frame;
}

function countMismatch(at: { statement: string; table: string }, got: number, want: number, listed: boolean, what: string): LakehouseError {
  return new LakehouseError('SCHEMA_MISMATCH', `${at.statement} ${at.table}: the source has ${got} ${what}, the ${listed ? 'column list names' : 'table has'} ${want} column${want === 1 ? '' : 's'}`, {
    help: listed ? 'Give one value per listed column.' : `Give one value per table column, or name the columns you give: INSERT INTO ${at.table} (a, b) VALUES …`,
    details: { table: at.table, got, expected: want },
  });
}

/** A VALUES cell assigned to its column: numeric literals cast exactly to numeric columns, string literals to date/timestamp columns. */
function assignLiteral(e: UExpr, f: Field): UExpr {
  if (typeof f.type !== 'string') return e;
  let to: DataType;
  try {
    to = storedEngineType(f.type as PrimitiveType);
  } catch {
    return e;
  }
  const num = e.k === 'num' ? e.text : e.k === 'neg' && e.e.k === 'num' ? e.e.text : undefined;
  if (num !== undefined && !/[eE]/.test(num)) {
    const scale = num.includes('.') ? num.length - num.indexOf('.') - 1 : 0;
    const d = decimalParts(to);
    // Only casts that keep the value exactly (a decimal scale never shrinks; a too-large value is OUT_OF_RANGE).
    if (to === 'float64' || (d && scale <= d.scale) || ((to === 'int32' || to === 'int64') && scale === 0)) return { k: 'cast', e, to };
    return e;
  }
  if (e.k === 'lit' && typeof e.v === 'string' && (to === 'date' || to === 'timestamp')) return { k: 'cast', e, to };
  return e;
}

/** One SELECT per row, combined by a balanced UNION ALL (no deep nesting for long lists). */
function unionOfRows(rows: Array<Array<{ k: 'expr'; e: UExpr; alias: string }>>): UBody {
  const build = (lo: number, hi: number): UBody => {
    if (hi - lo === 1) return { k: 'select', distinct: false, items: rows[lo]!, from: null, where: null, groupBy: [], having: null };
    const mid = (lo + hi) >> 1;
    return { k: 'setop', op: 'union', all: true, left: build(lo, mid), right: build(mid, hi) };
  };
  return build(0, rows.length);
}
