/**
 * A job's SQL, parsed once and bound: the statement kind (query, INSERT INTO / OVERWRITE,
 * CREATE TABLE … AS), its target, and the bound query tree the rest of the job runs on
 * (staging, input locking, control totals). Nothing downstream sees or re-reads SQL text.
 *
 * Parsing: sqlparser-ts (databricks dialect), the engine's parser, gives the AST with
 * placeholders as nodes; params.ts replaces them by typed literal nodes; the parser's own converter turns the
 * bound AST into the engine's query tree. Two engine extensions the raw parser rejects —
 * transforms in `CREATE TABLE … PARTITIONED BY (month(d))` and `FOR VERSION AS OF` — are
 * handled by `parseSql` (engine/sql/parser.ts) for statements without placeholders; with
 * placeholders they are refused (`UNSUPPORTED`, with the `output` block as the way out) until
 * parser.ts exports an AST-level entry. Pure apart from the parser's one-time WASM init.
 */

import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import type { UQuery } from '../plan/unbound.js';
import { caret, convertQuery as convertQueryAst, initSqlParser, objectName, parseSql, unsupported } from '../sql/parser.js';
import { checkSqlLimits } from '../sql/limits.js';
import { wasmParse } from '../sql/parser-wasm.js';
import { bindPlaceholders, type Params } from './params.js';

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface BoundStatement {
  kind: 'query' | 'insert' | 'ctas';
  /** `ns.t` for INSERT and CTAS. */
  table?: string;
  overwrite?: boolean;
  /** CTAS partition terms as written (`region`, `month(d)`). */
  partitionBy?: string[];
  /** The bound query: placeholders are literal nodes. */
  query: UQuery;
  /** The job's SQL as written, for error carets (positions in `query` point into it). */
  sqlText: string;
}

function tableName(parts: string[]): string {
  if (parts.length !== 2) {
    throw new LakehouseError('INVALID_JOB_SPEC', `a job writes a table "namespace.table", not "${parts.join('.')}"`, { help: 'Name the target table as namespace.table.' });
  }
  return parts.join('.');
}

function parseError(sql: string, err: unknown): LakehouseError {
  const msg = String((err as Error).message ?? err).replace(/^sql parser error:\s*/, '');
  const loc = (err as { location?: { line: number; column: number } }).location;
  return new LakehouseError('SQL_PARSE_ERROR', `SQL syntax error: ${msg}${loc ? `\n${caret(sql, loc)}` : ''}`, {
    cause: err,
    help: 'Check the statement near the position shown; the engine speaks a Spark/Databricks-flavoured SQL subset.',
    details: loc ? { line: loc.line, column: loc.column } : {},
  });
}

/** Parses the job's SQL once and binds its parameters on the AST. */
export async function bindStatement(sql: string, params: Params): Promise<BoundStatement> {
  await initSqlParser();
  // The same guarded parser as every SQL statement: size/depth limits, a retirable instance.
  checkSqlLimits(sql);
  let ast: J[];
  try {
    ast = wasmParse('databricks', sql) as J[];
  } catch (rawErr) {
    return viaEngineParser(sql, params, rawErr);
  }
  if (ast.length !== 1) {
    throw new LakehouseError('SQL_PARSE_ERROR', `a job runs exactly one SQL statement, got ${ast.length}`, { help: 'Put one statement in "sql".' });
  }
  const stmt = bindPlaceholders(ast[0], params);
  if (stmt.Query) return { kind: 'query', query: convertQueryAst(stmt.Query), sqlText: sql };
  if (stmt.Insert) {
    const ins = stmt.Insert;
    if (ins.columns?.length) throw unsupported('INSERT with a column list (select the columns in table order, or by their names)');
    if (ins.partitioned?.length) throw unsupported('INSERT … PARTITION (…) (INSERT OVERWRITE replaces the partitions present in the query output)');
    if (!ins.source) throw unsupported('INSERT without a query (VALUES lists)');
    const name = ins.table?.TableName ?? ins.table_name ?? ins.table;
    return { kind: 'insert', table: tableName(objectName(name)), overwrite: !!ins.overwrite, query: convertQueryAst(ins.source), sqlText: sql };
  }
  if (stmt.CreateTable) {
    const c = stmt.CreateTable;
    if (!c.query) throw unsupported('CREATE TABLE without AS SELECT');
    if (c.columns?.length || c.or_replace || c.temporary || c.external) throw unsupported('CREATE TABLE forms other than CREATE TABLE [IF NOT EXISTS] ns.t [PARTITIONED BY (…)] AS SELECT');
    const part = c.hive_distribution?.PARTITIONED?.columns ?? [];
    const partitionBy = part.map((p: J) => {
      if (p.data_type !== 'Unspecified') throw unsupported('typed columns in PARTITIONED BY');
      return String(p.name.value);
    });
    return { kind: 'ctas', table: tableName(objectName(c.name)), partitionBy, query: convertQueryAst(c.query), sqlText: sql };
  }
  throw new LakehouseError('INVALID_JOB_SPEC', 'a job statement must be INSERT INTO, INSERT OVERWRITE, CREATE TABLE … AS SELECT, or a query with an "output" block', {
    help: 'Rewrite the statement, or give a SELECT and describe the target in "output".',
    details: { statement: Object.keys(stmt)[0] },
  });
}

/**
 * The raw parser rejected the text: the engine's parser may still accept it (its CTAS
 * transforms and FOR … AS OF forms). Its statements carry no placeholders (it refuses them),
 * so declared parameters would go unused.
 */
function viaEngineParser(sql: string, params: Params, rawErr: unknown): BoundStatement {
  let s: ReturnType<typeof parseSql>;
  try {
    s = parseSql(sql);
  } catch (err) {
    if (isLakehouseError(err, 'UNSUPPORTED') && err.message.includes('Placeholder')) {
      throw new LakehouseError('UNSUPPORTED', 'not supported yet: parameters in a statement that uses PARTITIONED BY transforms or FOR … AS OF', {
        cause: err,
        help: 'Write the job as a query with an "output" block ({ "table": "ns.t", "createIfMissing": true, "partitionBy": ["month(d)"] }), or pin inputs with "inputs" instead of FOR … AS OF.',
      });
    }
    throw isLakehouseError(err, 'SQL_PARSE_ERROR') ? err : isLakehouseError(err) ? err : parseError(sql, rawErr);
  }
  bindPlaceholders({}, params); // throws for declared parameters: none can be used here
  if (s.kind === 'query') return { kind: 'query', query: s.query, sqlText: sql };
  if (s.kind === 'insert') return { kind: 'insert', table: tableName(s.table), overwrite: s.overwrite, query: s.query, sqlText: sql };
  return { kind: 'ctas', table: tableName(s.table), partitionBy: s.partitionBy, query: s.query, sqlText: sql };
}
