/**
 * What a job writes: the target table, the write mode and the SELECT that produces the rows,
 * from either a write statement (`INSERT INTO`, `INSERT OVERWRITE`, `CREATE TABLE … AS`) or a
 * query plus the spec's `output` block. Only the statement head is recognised here; the SELECT
 * is parsed and bound by the engine. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { UBody, UFrom, UQuery } from '../plan/unbound.js';
import { initSqlParser, parseSql, splitTopLevel } from '../sql/parser.js';

export { splitTopLevel };
import type { JobSpec } from './spec.js';

export type WriteMode = 'append' | 'overwrite-partitions' | 'replace';

export interface JobTarget {
  table: string;
  mode: WriteMode;
  select: string;
  create?: { partitionBy?: string[] };
}

const IDENT = '([A-Za-z_][A-Za-z0-9_-]*\\.[A-Za-z_][A-Za-z0-9_-]*)';

export function jobTarget(spec: JobSpec, sql: string): JobTarget {
  const text = sql.trim().replace(/;\s*$/, '');
  let m = new RegExp(`^INSERT\\s+INTO\\s+(?:TABLE\\s+)?${IDENT}\\s+([\\s\\S]+)$`, 'i').exec(text);
  if (m) return { table: m[1]!, mode: 'append', select: m[2]! };
  m = new RegExp(`^INSERT\\s+OVERWRITE\\s+(?:TABLE\\s+)?${IDENT}\\s+([\\s\\S]+)$`, 'i').exec(text);
  if (m) return { table: m[1]!, mode: 'overwrite-partitions', select: m[2]! };
  m = new RegExp(`^CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}\\s*(?:PARTITIONED\\s+BY\\s*\\(([^)]*(?:\\([^)]*\\)[^)]*)*)\\)\\s*)?AS\\s+([\\s\\S]+)$`, 'i').exec(text);
  if (m) return { table: m[1]!, mode: 'append', select: m[3]!, create: { partitionBy: m[2] ? splitTopLevel(m[2]) : [] } };
  if (/^(INSERT|CREATE|DELETE|UPDATE|MERGE|DROP|ALTER)\b/i.test(text)) {
    throw new LakehouseError('INVALID_JOB_SPEC', 'a job statement must be INSERT INTO, INSERT OVERWRITE, CREATE TABLE … AS SELECT, or a query with an "output" block', {
      help: 'Rewrite the statement, or give a SELECT and describe the target in "output".',
    });
  }
  if (!spec.output) {
    throw new LakehouseError('INVALID_JOB_SPEC', 'the job is a query but has no "output" block saying where its rows go', {
      help: 'Add "output": { "table": "ns.t", "mode": "append" } or write the SQL as INSERT INTO ns.t SELECT …',
      details: { problems: [{ path: 'output', message: 'required when sql is a query' }] },
    });
  }
  return {
    table: spec.output.table,
    mode: spec.output.mode,
    select: text,
    create: spec.output.createIfMissing ? { partitionBy: spec.output.partitionBy ?? [] } : undefined,
  };
}

/** Table names a SELECT reads (every `FROM`/`JOIN` table operand, CTE names excluded), from the engine's parse tree. */
export async function referencedTables(select: string): Promise<string[]> {
  await initSqlParser();
  const stmt = parseSql(select);
  const out = new Set<string>();
  const visitQuery = (q: UQuery, ctes: Set<string>): void => {
    const scope = new Set(ctes);
    for (const c of q.ctes) {
      visitQuery(c.query, scope);
      scope.add(c.name.toLowerCase());
    }
    visitBody(q.body, scope);
  };
  const visitBody = (b: UBody, ctes: Set<string>): void => {
    if (b.k === 'union') {
      visitBody(b.left, ctes);
      visitBody(b.right, ctes);
    } else if (b.k === 'nested') visitQuery(b.query, ctes);
    else if (b.from) visitFrom(b.from, ctes);
  };
  const visitFrom = (f: UFrom, ctes: Set<string>): void => {
    if (f.k === 'table') {
      const name = f.name.join('.');
      if (!(f.name.length === 1 && ctes.has(name.toLowerCase()))) out.add(name);
    } else if (f.k === 'sub') visitQuery(f.query, ctes);
    else {
      visitFrom(f.left, ctes);
      visitFrom(f.right, ctes);
    }
  };
  visitQuery(stmt.query, new Set());
  return [...out].sort();
}
