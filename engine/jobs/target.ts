/**
 * What a job writes: the target table, the write mode and the bound query that produces the
 * rows, from the parsed statement (statement.ts) — an `INSERT INTO`, `INSERT OVERWRITE` or
 * `CREATE TABLE … AS`, or a query plus the spec's `output` block. Pure.
 */

import { walkQuery } from '../plan/unbound-walk.js';
import { LakehouseError } from '../../connectors/errors.js';
import type { UQuery } from '../plan/unbound.js';
import { splitTopLevel } from '../sql/parser.js';
import type { BoundStatement } from './statement.js';
import type { JobSpec } from './spec.js';

export { splitTopLevel };

export type WriteMode = 'append' | 'overwrite-partitions' | 'replace';

export interface JobTarget {
  table: string;
  mode: WriteMode;
  /** The bound query (no placeholders); positions point into `sqlText`. */
  query: UQuery;
  sqlText: string;
  create?: { partitionBy?: string[] };
}

export function jobTarget(spec: JobSpec, stmt: BoundStatement): JobTarget {
  const base = { query: stmt.query, sqlText: stmt.sqlText };
  if (stmt.kind === 'insert') return { table: stmt.table!, mode: stmt.overwrite ? 'overwrite-partitions' : 'append', ...base };
  if (stmt.kind === 'ctas') return { table: stmt.table!, mode: 'append', ...base, create: { partitionBy: stmt.partitionBy ?? [] } };
  if (!spec.output) {
    throw new LakehouseError('INVALID_JOB_SPEC', 'the job is a query but has no "output" block saying where its rows go', {
      help: 'Add "output": { "table": "ns.t", "mode": "append" } or write the SQL as INSERT INTO ns.t SELECT …',
      details: { problems: [{ path: 'output', message: 'required when sql is a query' }] },
    });
  }
  return {
    table: spec.output.table,
    mode: spec.output.mode,
    ...base,
    create: spec.output.createIfMissing ? { partitionBy: spec.output.partitionBy ?? [] } : undefined,
  };
}

/** Table names a query reads (every `FROM`/`JOIN` table operand, CTE names excluded), from the bound tree. */
export function referencedTables(query: UQuery): string[] {
  const out = new Set<string>();
  walkQuery(query, {
    table(f, ctes) {
      const name = f.name.join('.');
      if (!(f.name.length === 1 && ctes.has(name.toLowerCase()))) out.add(name);
    },
  });
  return [...out].sort();
}
