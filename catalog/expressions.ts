/**
 * Predicates for scan planning: bound to field ids, projected through partition transforms,
 * and evaluated as "might match" against column bounds, partition tuples and manifest-list
 * partition summaries. Evaluation is conservative: `false` only when no row can match. Pure.
 *
 * Semantics of a comparison leaf `column op value`: the column's values compared with the value
 * exactly — numbers as exact rationals (predicate-values.ts places the literal on the column's
 * integer grid, so `decimal(10,2) < 1.005` is `unscaled <= 100`), strings by Unicode code point,
 * which is the order of their UTF-8 bytes (the engine's order, DuckDB's and Iceberg's), binary
 * by unsigned bytes. Doubles follow DuckDB: NaN equals NaN and is greater than every other
 * double, so `d > 1e308` may match a file whose bounds (which exclude NaN) end at 5 if it holds
 * NaN. A leaf on a column no longer in the bound schema, or of a type we cannot order, matches.
 * Columns are bound by name to field ids once; bounds are looked up by field id only, so renamed
 * or swapped columns prune with their own statistics.
 */

import { LakehouseError } from '../connectors/errors.js';
import { indexById, isPrimitive, parseFixed, type PrimitiveType, type StructType } from '../connectors/iceberg-types.js';
import { decodeSingleValue, type IcebergValue } from '../connectors/single-value.js';
import { compareValues, gridRatio, gridScale, gridValue, onGrid, ratioToDouble, toRatio, type GridLeaf } from './predicate-values.js';
import { findField } from './spec/schema.js';
import { applyTransform, isOrderPreserving, parseTransform } from './spec/transforms.js';
import type { PartitionSpec } from './spec/partition.js';

export { compareCodePoints, compareValues } from './predicate-values.js';
export type { ExactDecimal, Ratio } from './predicate-values.js';

export type CompareOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';

/** A filter by column name; values as described in predicate-values.ts. */
export type Predicate =
  | { op: 'true' }
  | { op: 'false' }
  | { op: 'and' | 'or'; args: Predicate[] }
  | { op: CompareOp; column: string; value: unknown }
  | { op: 'in'; column: string; values: unknown[] }
  | { op: 'is-null' | 'not-null'; column: string };

type Leaf =
  | { op: CompareOp; id: number; type: PrimitiveType; value: IcebergValue }
  | { op: 'in'; id: number; type: PrimitiveType; values: IcebergValue[] }
  | { op: 'is-null' | 'not-null'; id: number; type: PrimitiveType };

/** A predicate bound to field ids, its values in the column's Iceberg value convention. */
export type Bound = { op: 'true' } | { op: 'false' } | { op: 'and' | 'or'; args: Bound[] } | Leaf;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const isFloat = (t: PrimitiveType): boolean => t === 'float' || t === 'double';

function invalid(type: PrimitiveType, v: unknown, column?: string): LakehouseError {
  const shown = typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `${v.byteLength} bytes` : typeof v === 'object' && v !== null ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)) : String(v);
  return new LakehouseError('INVALID_ARGUMENT', `filter value ${shown} does not fit the ${type} column${column ? ` "${column}"` : ''}`, {
    help: 'Numbers: a number, a bigint, decimal text or { unscaled, scale }; dates: days or YYYY-MM-DD; timestamps: the column\'s unit as a bigint, a Date or ISO text; strings: text.',
  });
}

/** A value that fits but has no exact double (a rational whose denominator is not 10^k). */
const NO_PRUNE = new Uint8Array(0);

/** A non-grid value for `type` (double, string, boolean, bytes…); undefined when it does not fit. */
function plainValue(type: PrimitiveType, v: unknown): IcebergValue | undefined {
  if (isFloat(type)) {
    // As SQL compares a DOUBLE with an integer or decimal: the literal as the nearest double.
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    const r = toRatio(v);
    return r ? ratioToDouble(r) ?? NO_PRUNE : undefined;
  }
  switch (type) {
    case 'boolean': return typeof v === 'boolean' ? v : undefined;
    case 'string': return typeof v === 'string' ? v : undefined;
    case 'uuid': return typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v.toLowerCase() : undefined;
    default:
      if (type === 'binary' || parseFixed(type) !== undefined) return v instanceof Uint8Array ? v : undefined;
      return undefined;
  }
}

/** Coerces a user value to the project's convention for `type` (e.g. days for a date); exact values only. */
export function coerceValue(type: PrimitiveType, v: unknown): IcebergValue {
  if (gridScale(type) !== undefined) {
    const r = gridRatio(type, v);
    const leaf = r ? onGrid('eq', r, type) : undefined;
    if (!leaf || leaf.op !== 'eq') throw invalid(type, v);
    return gridValue(type, leaf.k);
  }
  const x = plainValue(type, v);
  if (x === undefined || x === NO_PRUNE) throw invalid(type, v);
  return x;
}

function gridBound(g: GridLeaf, id: number, type: PrimitiveType): Bound {
  if (g.op === 'true' || g.op === 'false') return { op: g.op };
  if (g.op === 'not-null') return { op: 'not-null', id, type };
  return { op: g.op, id, type, value: gridValue(type, (g as { k: bigint }).k) };
}

function bindLeaf(op: CompareOp, id: number, type: PrimitiveType, v: unknown, column: string): Bound {
  if (gridScale(type) !== undefined) {
    // ±Infinity against an exact column: every value is below +∞ and above −∞.
    if (typeof v === 'number' && !Number.isFinite(v) && !Number.isNaN(v)) {
      const below = v > 0 ? op === 'lt' || op === 'lte' || op === 'neq' : op === 'gt' || op === 'gte' || op === 'neq';
      return below ? { op: 'not-null', id, type } : { op: 'false' };
    }
    // NaN against an exact column: whatever the engine decides, pruning keeps the file.
    if (typeof v === 'number' && Number.isNaN(v)) return { op: 'true' };
    const r = gridRatio(type, v);
    if (!r) throw invalid(type, v, column);
    return gridBound(onGrid(op, r, type), id, type);
  }
  const x = plainValue(type, v);
  if (x === undefined) throw invalid(type, v, column);
  if (x === NO_PRUNE) return { op: 'true' };
  return { op, id, type, value: x };
}

export function bindPredicate(p: Predicate, schema: StructType): Bound {
  switch (p.op) {
    case 'true':
    case 'false':
      return p;
    case 'and':
    case 'or':
      return { op: p.op, args: p.args.map((a) => bindPredicate(a, schema)) };
    default: {
      const f = findField(schema, p.column);
      if (!f) throw new LakehouseError('INVALID_ARGUMENT', `filter column "${p.column}" is not in the table schema`);
      if (!isPrimitive(f.type)) return { op: 'true' };
      const type = f.type;
      if (p.op === 'is-null' || p.op === 'not-null') return { op: p.op, id: f.id, type };
      if (p.op === 'in') {
        const values: IcebergValue[] = [];
        for (const x of p.values) {
          if (x === null || x === undefined) continue; // x IN (…, NULL) is never true through the NULL
          const b = bindLeaf('eq', f.id, type, x, p.column);
          if (b.op === 'eq') values.push(b.value);
          else if (b.op === 'true') return b;
        }
        return values.length === 0 ? { op: 'false' } : { op: 'in', id: f.id, type, values };
      }
      return bindLeaf(p.op, f.id, type, (p as { value: unknown }).value, p.column);
    }
  }
}

/** Lower/upper bounds and null/NaN knowledge for field ids; `undefined` bounds mean unknown. */
export interface BoundsView {
  /** A lower bound of the non-null, non-NaN values (a string bound may be bytes). */
  lower(id: number): IcebergValue | undefined;
  /** An upper bound of the non-null, non-NaN values (possibly truncated and incremented). */
  upper(id: number): IcebergValue | undefined;
  /** false when the field certainly has no nulls. */
  mayHaveNull(id: number): boolean;
  /** true when every value of the field is null. */
  allNull(id: number): boolean;
  /** false when the (float/double) field certainly holds no NaN. */
  mayHaveNaN(id: number): boolean;
  /** true when the view knows nothing of this field (no pruning possible). */
  unknown(id: number): boolean;
}

const isNaNValue = (v: IcebergValue | undefined): boolean => typeof v === 'number' && Number.isNaN(v);

/** Conservative "might any row match?" over bounds. */
export function mightMatch(b: Bound, view: BoundsView): boolean {
  switch (b.op) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return b.args.every((a) => mightMatch(a, view));
    case 'or':
      return b.args.some((a) => mightMatch(a, view));
    default:
      break;
  }
  if (view.unknown(b.id)) return true;
  if (b.op === 'is-null') return view.mayHaveNull(b.id);
  if (b.op === 'not-null') return !view.allNull(b.id);
  if (view.allNull(b.id)) return false;
  const float = isFloat(b.type);
  const nan = float && view.mayHaveNaN(b.id);
  // A NaN bound (old writers) bounds nothing.
  const lo0 = view.lower(b.id);
  const hi0 = view.upper(b.id);
  const lo = isNaNValue(lo0) ? undefined : lo0;
  const hi = isNaNValue(hi0) ? undefined : hi0;
  const inRange = (v: IcebergValue): boolean => {
    if (float && isNaNValue(v)) return nan;
    return !((lo !== undefined && compareValues(lo, v) > 0) || (hi !== undefined && compareValues(hi, v) < 0));
  };
  if (b.op === 'in') return b.values.some(inRange);
  const v = (b as { value: IcebergValue }).value;
  if (float && isNaNValue(v)) {
    // DuckDB: NaN = NaN, and NaN is above every other double.
    switch (b.op) {
      case 'eq': case 'gte': return nan;
      case 'gt': return false;
      default: return true; // lt, lte, neq: every non-NaN value qualifies
    }
  }
  switch (b.op) {
    case 'eq':
      return inRange(v);
    case 'neq':
      return nan || !(lo !== undefined && hi !== undefined && compareValues(lo, v) === 0 && compareValues(hi, v) === 0 && !view.mayHaveNull(b.id));
    case 'lt':
      return lo === undefined || compareValues(lo, v) < 0;
    case 'lte':
      return lo === undefined || compareValues(lo, v) <= 0;
    case 'gt':
      return nan || hi === undefined || compareValues(hi, v) > 0;
    case 'gte':
      return nan || hi === undefined || compareValues(hi, v) >= 0;
  }
}

/**
 * Inclusive projection of a bound predicate onto a partition spec: the result references
 * partition field ids and is true for every partition that may hold a matching row.
 */
export function projectToPartition(b: Bound, spec: PartitionSpec, schema: StructType): Bound {
  const byId = indexById(schema);
  const go = (b0: Bound): Bound => {
    if (b0.op === 'true' || b0.op === 'false') return b0;
    if (b0.op === 'and' || b0.op === 'or') return { op: b0.op, args: b0.args.map(go) };
    const x = b0 as Leaf;
    // NaN literals are decided by the column bounds (NaN counts), not by partition values.
    if ((x.op === 'in' && x.values.some(isNaNValue)) || ('value' in x && isNaNValue(x.value))) return { op: 'true' };
    const parts: Bound[] = [];
    for (const pf of spec.fields) {
      if (pf['source-id'] !== x.id) continue;
      const t = parseTransform(pf.transform);
      if (t.kind === 'void') continue;
      const src = byId.get(x.id)?.type as PrimitiveType;
      const T = (v: IcebergValue): IcebergValue => applyTransform(t, src, v) as IcebergValue;
      const rtype = src; // values of the projection are compared only with each other
      if (x.op === 'is-null' || x.op === 'not-null') {
        parts.push({ op: x.op, id: pf['field-id'], type: rtype });
      } else if (x.op === 'eq') {
        parts.push({ op: 'eq', id: pf['field-id'], type: rtype, value: T(x.value) });
      } else if (x.op === 'in') {
        parts.push({ op: 'in', id: pf['field-id'], type: rtype, values: x.values.map(T) });
      } else if (x.op !== 'neq' && isOrderPreserving(t)) {
        const op = t.kind === 'identity' ? x.op : x.op === 'lt' || x.op === 'lte' ? 'lte' : 'gte';
        parts.push({ op, id: pf['field-id'], type: rtype, value: T((x as { value: IcebergValue }).value) });
      } else if (x.op === 'neq' && t.kind === 'identity') {
        parts.push({ op: 'neq', id: pf['field-id'], type: rtype, value: x.value });
      }
    }
    return parts.length === 0 ? { op: 'true' } : parts.length === 1 ? parts[0]! : { op: 'and', args: parts };
  };
  return go(b);
}

/** A view over one partition tuple (exact values). */
export function tupleView(spec: PartitionSpec, tuple: ReadonlyArray<IcebergValue | null>): BoundsView {
  const idx = new Map(spec.fields.map((f, i) => [f['field-id'], i]));
  const val = (id: number): IcebergValue | null | undefined => {
    const i = idx.get(id);
    return i === undefined ? undefined : (tuple[i] ?? null);
  };
  const bound = (id: number): IcebergValue | undefined => {
    const v = val(id);
    return v === null || isNaNValue(v as IcebergValue) ? undefined : v;
  };
  return {
    lower: bound,
    upper: bound,
    mayHaveNull: (id) => val(id) === null,
    allNull: (id) => val(id) === null,
    mayHaveNaN: (id) => isNaNValue(val(id) ?? undefined),
    unknown: (id) => !idx.has(id),
  };
}

/** Encoded (Appendix D) bounds and counts of data-file column stats or partition summaries. */
export interface EncodedBounds {
  /** Types of the fields the view may use; a field not here is unknown. */
  types: Map<number, PrimitiveType>;
  lower?: Map<number, Uint8Array>;
  upper?: Map<number, Uint8Array>;
  nullCount?: (id: number) => number | undefined;
  valueCount?: (id: number) => number | undefined;
  nanCount?: (id: number) => number | undefined;
  /** Partition summaries: contains_null / contains_nan instead of counts. */
  containsNull?: (id: number) => boolean | undefined;
  containsNan?: (id: number) => boolean | undefined;
}

/** A view over single-value encoded bounds (data-file column stats, partition summaries). */
export function encodedBoundsView(e: EncodedBounds): BoundsView {
  const { types, lower, upper } = e;
  const dec = (m: Map<number, Uint8Array> | undefined, id: number): IcebergValue | undefined => {
    const b = m?.get(id);
    const t = types.get(id);
    if (!b || !t) return undefined;
    if (t === 'string') {
      // A bound cut inside a character (some writers truncate bytes) stays bytes: byte order is
      // the string order, and a lossy decode (U+FFFD) would move the bound.
      try {
        return strictUtf8.decode(b);
      } catch {
        return b.slice();
      }
    }
    try {
      return decodeSingleValue(t, b);
    } catch {
      return undefined;
    }
  };
  return {
    lower: (id) => dec(lower, id),
    upper: (id) => dec(upper, id),
    mayHaveNull: (id) => {
      const cn = e.containsNull?.(id);
      if (cn !== undefined) return cn;
      const nc = e.nullCount?.(id);
      return nc === undefined || nc > 0;
    },
    allNull: (id) => {
      const nc = e.nullCount?.(id);
      const vc = e.valueCount?.(id);
      if (nc !== undefined && vc !== undefined) return vc > 0 && nc === vc;
      // A summary with nulls, no NaN and no bounds holds only nulls.
      return e.containsNull?.(id) === true && (!isFloat(types.get(id) ?? 'int') || e.containsNan?.(id) === false) && !lower?.has(id) && !upper?.has(id);
    },
    mayHaveNaN: (id) => {
      const t = types.get(id);
      if (!t || !isFloat(t)) return false;
      const cn = e.containsNan?.(id);
      if (cn !== undefined) return cn;
      const n = e.nanCount?.(id);
      return n === undefined || n > 0;
    },
    unknown: (id) => !types.has(id),
  };
}

/** Handy constructors for callers building filters. */
export const where = {
  eq: (column: string, value: unknown): Predicate => ({ op: 'eq', column, value }),
  neq: (column: string, value: unknown): Predicate => ({ op: 'neq', column, value }),
  lt: (column: string, value: unknown): Predicate => ({ op: 'lt', column, value }),
  lte: (column: string, value: unknown): Predicate => ({ op: 'lte', column, value }),
  gt: (column: string, value: unknown): Predicate => ({ op: 'gt', column, value }),
  gte: (column: string, value: unknown): Predicate => ({ op: 'gte', column, value }),
  in: (column: string, values: unknown[]): Predicate => ({ op: 'in', column, values }),
  isNull: (column: string): Predicate => ({ op: 'is-null', column }),
  notNull: (column: string): Predicate => ({ op: 'not-null', column }),
  and: (...args: Predicate[]): Predicate => ({ op: 'and', args }),
  or: (...args: Predicate[]): Predicate => ({ op: 'or', args }),
};
