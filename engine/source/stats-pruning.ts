/**
 * Row-group pruning from Parquet min/max/null-count statistics. `rowGroupMayMatch` returns false
 * only when the statistics prove that no row of the group satisfies the conjunct; anything it
 * does not understand (or missing statistics) keeps the group.
 */

import type { ColumnChunkStats, RowGroupStats } from '../../connectors/formats.js';
import type { Expr, Scalar } from '../plan/types.js';

const US_PER_DAY = 86_400_000_000;

function statValue(v: unknown, s: ColumnChunkStats, engineType: string): number | string | boolean | undefined {
  if (v === undefined || v instanceof Uint8Array || s.type === undefined || s.type.startsWith('decimal')) return undefined;
  let x: number | string | boolean = typeof v === 'bigint' ? Number(v) : (v as number | string | boolean);
  if (typeof x === 'number' && (s.type === 'timestamp_ns' || s.type === 'timestamptz_ns')) x = Math.floor(x / 1000);
  if (typeof x === 'number' && engineType === 'timestamp' && s.type === 'date') x = x * US_PER_DAY;
  return x;
}

export function rowGroupMayMatch(e: Expr, rg: RowGroupStats, columns: string[]): boolean {
  if (e.k === 'call' && (e.fn === 'and')) return e.args.every((a) => rowGroupMayMatch(a, rg, columns));
  if (e.k === 'call' && (e.fn === 'or')) return e.args.some((a) => rowGroupMayMatch(a, rg, columns));
  const stats = (x: Expr): ColumnChunkStats | undefined => (x.k === 'col' ? rg.columns.get(columns[x.i]!) : undefined);
  if (e.k === 'call' && (e.fn === 'is_null' || e.fn === 'is_not_null')) {
    const s = stats(e.args[0]!);
    if (!s || s.nullCount === undefined) return true;
    return e.fn === 'is_null' ? s.nullCount > 0 : s.nullCount < s.valueCount;
  }
  if (e.k === 'in' && !e.neg) {
    const s = stats(e.e);
    if (!s) return true;
    const lo = statValue(s.min, s, e.e.type);
    const hi = statValue(s.max, s, e.e.type);
    if (lo === undefined || hi === undefined) return true;
    return e.list.some((v) => v === null || (v >= lo && v <= hi));
  }
  if (e.k !== 'call' || !['eq', 'lt', 'le', 'gt', 'ge'].includes(e.fn)) return true;
  let [a, b] = e.args as [Expr, Expr];
  let fn = e.fn;
  if (a.k === 'lit' && b.k === 'col') {
    [a, b] = [b, a];
    fn = ({ lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' } as Record<string, typeof fn>)[fn] ?? fn;
  }
  if (a.k !== 'col' || b.k !== 'lit') return true;
  const s = stats(a);
  if (!s) return true;
  const lit: Scalar = b.v;
  if (lit === null) return false; // comparisons with NULL are never true
  if (s.nullCount !== undefined && s.nullCount === s.valueCount) return false;
  const lo = statValue(s.min, s, a.type);
  const hi = statValue(s.max, s, a.type);
  if (lo === undefined || hi === undefined || typeof lo !== typeof lit) return true;
  switch (fn) {
    case 'eq': return lit >= lo && lit <= hi;
    case 'lt': return lo < lit;
    case 'le': return lo <= lit;
    case 'gt': return hi > lit;
    case 'ge': return hi >= lit;
    default: return true;
  }
}
