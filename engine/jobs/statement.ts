/**
 * A job's SQL, parsed once and bound: the statement kind (query, INSERT INTO / OVERWRITE,
 * CREATE TABLE … AS), its target, and the bound query tree the rest of the job runs on
 * (staging, input locking, control totals). Nothing downstream sees or re-reads SQL text.
 *
 * Parsing: the engine's parser (engine/sql/parser.ts, sqlparser-ts with the databricks dialect)
 * gives the AST with placeholders as nodes — after its own two rewrites, so transforms in
 * `CREATE TABLE … PARTITIONED BY (month(d))` and `FOR VERSION|TIMESTAMP AS OF` work here as in
 * every SQL statement; params.ts replaces the placeholders by typed literal nodes; the parser's
 * own converter turns the bound AST into the engine's query tree, once. Pure apart from the
 * parser's one-time WASM init.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { UQuery } from '../plan/unbound.js';
import { convertStatement, initSqlParser, parseSqlAst, unsupported } from '../sql/parser.js';
import { bindPlaceholders, type Params } from './params.js';

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

/** Parses the job's SQL once and binds its parameters on the AST. */
export async function bindStatement(sql: string, params: Params): Promise<BoundStatement> {
  await initSqlParser();
  // The same guarded parse as every SQL statement: size/depth limits, a retirable instance.
  const parsed = parseSqlAst(sql);
  const stmt = parsed.ast;
  if (!parsed.ctas && !stmt.Query && !stmt.Insert) {
    if (stmt.CreateTable) throw unsupported('CREATE TABLE forms other than CREATE TABLE [IF NOT EXISTS] ns.t [PARTITIONED BY (…)] AS SELECT');
    throw new LakehouseError('INVALID_JOB_SPEC', 'a job statement must be INSERT INTO, INSERT OVERWRITE, CREATE TABLE … AS SELECT, or a query with an "output" block', {
      help: 'Rewrite the statement, or give a SELECT and describe the target in "output".',
      details: { statement: Object.keys(stmt)[0] },
    });
  }
  // Partition terms are cut off as text before parsing: a placeholder there would never be bound.
  const term = parsed.ctas?.partitionBy.find((t) => /(^|[^:\w]):[A-Za-z_]/.test(t));
  if (term !== undefined) {
    throw new LakehouseError('INVALID_JOB_SPEC', `a parameter cannot be used in PARTITIONED BY ("${term}")`, {
      help: 'Write the partition terms as literals, e.g. PARTITIONED BY (month(d), bucket(8, id)).',
      details: { term },
    });
  }
  bindPlaceholders(parsed.ast, params);
  const s = convertStatement(parsed);
  if (s.kind === 'query') return { kind: 'query', query: s.query, sqlText: sql };
  if (s.kind === 'explain') throw unsupported('EXPLAIN in a job (run it with `lake sql`)');
  if (s.kind === 'insert') {
    // Jobs write by column name (engine/write/target.ts); a column list is not carried into the job target.
    if (s.columns) throw unsupported('INSERT with a column list in a job (alias the query\'s columns to the table\'s names instead)');
    return { kind: 'insert', table: tableName(s.table), overwrite: s.overwrite, query: s.query, sqlText: sql };
  }
  if (s.kind !== 'ctas') throw new LakehouseError('INVALID_JOB_SPEC', 'a job statement must be INSERT INTO, INSERT OVERWRITE, CREATE TABLE … AS SELECT, or a query', { help: 'Run views and COPY with `lake sql`.' });
  return { kind: 'ctas', table: tableName(s.table), partitionBy: s.partitionBy, query: s.query, sqlText: sql };
}
