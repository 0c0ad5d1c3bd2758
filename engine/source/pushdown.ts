/**
 * Pushed-down conjuncts (bound engine expressions) → the catalog's scan predicate, so that scan
 * planning prunes manifests, partitions (through the partition transforms) and files (column
 * bounds). Only what translates exactly is pushed: a comparison of a column with a literal of a
 * matching type, IN lists, IS [NOT] NULL, and AND/OR of those. Everything else is left out —
 * pruning is an optimisation; the engine still evaluates every filter on every batch. Pure.
 */

import type { Predicate } from '../../catalog/index.js';
import type { PrimitiveType } from '../../connectors/iceberg-types.js';
import type { Expr, Scalar } from '../plan/types.js';

const OPS: Record<string, 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte'> = { eq: 'eq', ne: 'neq', lt: 'lt', le: 'lte', gt: 'gt', ge: 'gte' };
const FLIP: Record<string, string> = { lt: 'gt', le: 'ge', gt: 'lt', ge: 'le', eq: 'eq', ne: 'ne' };

/** The column an expression reads directly (through value-preserving numeric widenings). */
function columnOf(e: Expr): number | undefined {
  if (e.k === 'col') return e.i;
  if (e.k === 'cast' && e.e.k === 'col' && ['int32', 'int64', 'float64'].includes(e.e.type) && ['int64', 'float64'].includes(e.type)) return e.e.i;
  return undefined;
}

/** The catalog value for a literal compared with a column of Iceberg type `t`, or undefined when not exact. */
function valueFor(t: PrimitiveType, v: Scalar): unknown {
  if (v === null) return undefined;
  switch (t) {
    case 'int':
    case 'long':
      return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
    case 'float':
    case 'double':
      return typeof v === 'number' && !Number.isNaN(v) ? v : undefined;
    case 'date':
      // Dates are days and timestamps µs in both the engine and the catalog.
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    case 'timestamp':
    case 'timestamptz':
      return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
    default:
      return undefined;
  }
}

function translate(e: Expr, columns: string[], types: Map<string, PrimitiveType>): Predicate | undefined {
  if (e.k === 'call' && (e.fn === 'and' || e.fn === 'or')) {
    const args = e.args.map((a) => translate(a, columns, types));
    if (e.fn === 'or') return args.every((a) => a !== undefined) ? { op: 'or', args: args as Predicate[] } : undefined;
    const ok = args.filter((a): a is Predicate => a !== undefined);
    return ok.length ? (ok.length === 1 ? ok[0] : { op: 'and', args: ok }) : undefined;
  }
  if (e.k === 'call' && (e.fn === 'is_null' || e.fn === 'is_not_null')) {
    const c = columnOf(e.args[0]!);
    if (c === undefined || !types.has(columns[c]!)) return undefined;
    return { op: e.fn === 'is_null' ? 'is-null' : 'not-null', column: columns[c]! };
  }
  if (e.k === 'in' && !e.neg) {
    const c = columnOf(e.e);
    const t = c === undefined ? undefined : types.get(columns[c]!);
    if (c === undefined || !t) return undefined;
    const values = e.list.map((v) => valueFor(t, v));
    return values.every((v) => v !== undefined) ? { op: 'in', column: columns[c]!, values } : undefined;
  }
  if (e.k === 'call' && OPS[e.fn]) {
    let [a, b] = e.args as [Expr, Expr];
    let fn: string = e.fn;
    if (a.k === 'lit' && b.k !== 'lit') {
      [a, b] = [b, a];
      fn = FLIP[fn]!;
    }
    const c = columnOf(a);
    if (c === undefined || b.k !== 'lit') return undefined;
    const t = types.get(columns[c]!);
    if (!t) return undefined;
    const value = valueFor(t, b.v);
    return value === undefined ? undefined : { op: OPS[fn]!, column: columns[c]!, value };
  }
  return undefined;
}

/**
 * The catalog predicate implied by the conjuncts (column i = columns[i]; `types` gives the Iceberg
 * type of each column name), or undefined when nothing can be pushed.
 */
export function toCatalogPredicate(filters: Expr[], columns: string[], types: Map<string, PrimitiveType>): Predicate | undefined {
  const parts = filters.map((f) => translate(f, columns, types)).filter((p): p is Predicate => p !== undefined);
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { op: 'and', args: parts };
}
