/**
 * Row-group pruning from Parquet min/max/null-count statistics. `rowGroupMayMatch` returns false
 * only when the statistics prove that no row of the group satisfies the conjunct; anything it
 * does not understand (or missing statistics) keeps the group. Pure.
 *
 * The conjunct goes through the same translation as file pruning (pushdown.ts) and the same
 * evaluation (the catalog's `mightMatch`), against the statistics of this row group in the
 * file's own Iceberg types: one set of rules for exact numbers, the one string order (code
 * points = UTF-8 bytes) and NaN. Parquet statistics exclude NaN and do not count it, so a
 * float/double column may hold NaN unless the caller knows otherwise (`nanFree`, e.g. from the
 * data file's Iceberg `nan_value_counts`).
 */

import { bindPredicate, mightMatch, type Bound, type BoundsView } from '../../catalog/index.js';
import type { ColumnChunkStats, RowGroupStats } from '../../connectors/formats.js';
import type { NestedField, PrimitiveType } from '../../connectors/iceberg-types.js';
import type { Expr } from '../plan/types.js';
import { toCatalogPredicate } from './pushdown.js';

export interface RowGroupPruneOptions {
  /** Columns (by the names in `columns`) known to hold no NaN in this row group. */
  nanFree?: ReadonlySet<string>;
}

/** Column indices an expression reads. */
function columnsOf(e: Expr, out: Set<number>): Set<number> {
  switch (e.k) {
    case 'col': out.add(e.i); break;
    case 'lit': break;
    case 'call': for (const a of e.args) columnsOf(a, out); break;
    case 'cast': case 'in': case 'like': columnsOf(e.e, out); break;
    case 'case':
      for (const [w, t] of e.whens) { columnsOf(w, out); columnsOf(t, out); }
      if (e.else) columnsOf(e.else, out);
      break;
  }
  return out;
}

/** A bound view over one row group's chunk statistics (field id = column index + 1). */
function chunkView(stats: Array<ColumnChunkStats | undefined>, nanFree: ReadonlySet<string> | undefined, names: string[]): BoundsView {
  const at = (id: number): ColumnChunkStats | undefined => stats[id - 1];
  const bound = (id: number, v: ColumnChunkStats['min']): ColumnChunkStats['min'] => {
    // A string statistic cut inside a character decodes with U+FFFD, which moves it: unknown.
    if (typeof v === 'string' && v.includes('\uFFFD')) return undefined;
    return at(id)?.type === undefined ? undefined : v;
  };
  return {
    lower: (id) => bound(id, at(id)?.min),
    upper: (id) => bound(id, at(id)?.max),
    mayHaveNull: (id) => {
      const n = at(id)?.nullCount;
      return n === undefined || n > 0;
    },
    allNull: (id) => {
      const s = at(id);
      return s?.nullCount !== undefined && s.valueCount > 0 && s.nullCount === s.valueCount;
    },
    mayHaveNaN: (id) => {
      const t = at(id)?.type;
      return (t === 'float' || t === 'double') && !nanFree?.has(names[id - 1]!);
    },
    unknown: (id) => at(id)?.type === undefined,
  };
}

export function rowGroupMayMatch(e: Expr, rg: RowGroupStats, columns: string[], options: RowGroupPruneOptions = {}): boolean {
  const used = columnsOf(e, new Set());
  const types = new Map<string, PrimitiveType>();
  const stats: Array<ColumnChunkStats | undefined> = new Array(columns.length);
  const fields: NestedField[] = [];
  for (const i of used) {
    const name = columns[i];
    const s = name === undefined ? undefined : rg.columns.get(name);
    if (!name || !s?.type) continue;
    stats[i] = s;
    types.set(name, s.type);
    fields.push({ id: i + 1, name, required: false, type: s.type });
  }
  if (fields.length === 0) return true;
  const p = toCatalogPredicate([e], columns, types);
  if (!p) return true;
  let bound: Bound;
  try {
    bound = bindPredicate(p, { type: 'struct', fields });
  } catch {
    return true; // a value the statistics' type cannot take: keep the group, the filter decides
  }
  return mightMatch(bound, chunkView(stats, options.nanFree, columns));
}
