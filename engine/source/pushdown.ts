/**
 * Pushed-down conjuncts (bound engine expressions) → the catalog's scan predicate, so that scan
 * planning prunes manifests, partitions (through the partition transforms) and files (column
 * bounds), and row groups are pruned by their Parquet statistics (stats-pruning.ts). Pure.
 *
 * Contract: the predicate pushed for a conjunct is true for every row the engine's own
 * evaluation of that conjunct keeps — it may be wider, never narrower. Pruning is an
 * optimisation; the engine still evaluates every filter on every batch. So:
 * - exact comparisons stay exact: an integer, decimal, date, time or timestamp column against an
 *   integer or decimal literal of any scale is pushed as an exact rational (the catalog places it
 *   on the column's grid), int64 beyond 2^53 as BigInts;
 * - where the engine compares in doubles (a DOUBLE literal, or a column read or cast as DOUBLE),
 *   an exact column is pushed with a margin of a few ulps around the literal, since the engine's
 *   double of a decimal may differ from the correctly rounded one;
 * - nanosecond timestamps, which the engine reads as microseconds, are pushed as the range of
 *   nanoseconds that can read as the microsecond compared with (floor or truncation alike);
 * - strings compare by code point on both sides (catalog and kernels: `cmpStr`);
 * - anything else — other casts, functions, a type we cannot relate to the column's Iceberg
 *   type — is not pushed.
 */

import type { Predicate, Ratio } from '../../catalog/index.js';
import { doubleToRatio, nextDouble, ratioToDouble } from '../../catalog/predicate-values.js';
import { parseDecimal, type PrimitiveType } from '../../connectors/iceberg-types.js';
import { decimalParts, type DataType, type Expr, type Scalar } from '../plan/types.js';

type Op = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';
const OPS: Record<string, Op> = { eq: 'eq', ne: 'neq', lt: 'lt', le: 'lte', gt: 'gt', ge: 'gte' };
const FLIP: Record<string, string> = { lt: 'gt', le: 'ge', gt: 'lt', ge: 'le', eq: 'eq', ne: 'ne' };

const US_PER_DAY = 86_400_000_000n;
/** Ulps of margin around a DOUBLE literal compared with an exact column read as a double. */
const ULPS = 4;

const isIntType = (t: DataType): boolean => t === 'int32' || t === 'int64';
const isNumericExact = (t: DataType): boolean => isIntType(t) || decimalParts(t) !== null;

/** A column seen through value-preserving or monotone casts. */
interface ColRef {
  i: number;
  /** The column's own engine type. */
  type: DataType;
  /** The type the comparison sees (after the casts). */
  via: DataType;
  /** Engine value × factor = value in `via` units (date → timestamp: µs per day). */
  factor: bigint;
}

/** Casts whose result orders like their input: exact widenings, date → timestamp, numbers → double. */
function castStep(from: DataType, to: DataType): bigint | 'double' | undefined {
  if (from === to) return 1n;
  if (from === 'int32' && to === 'int64') return 1n;
  if (isIntType(from) && decimalParts(to)) return 1n;
  const a = decimalParts(from);
  const b = decimalParts(to);
  if (a && b && b.scale >= a.scale) return 1n;
  if (from === 'date' && to === 'timestamp') return US_PER_DAY;
  if (to === 'float64' && isNumericExact(from)) return 'double';
  return undefined;
}

function columnOf(e: Expr): ColRef | undefined {
  if (e.k === 'col') return { i: e.i, type: e.type, via: e.type, factor: 1n };
  if (e.k !== 'cast') return undefined;
  const inner = columnOf(e.e);
  if (!inner) return undefined;
  const step = castStep(inner.via, e.type);
  if (step === undefined || (step !== 1n && inner.factor !== 1n)) return undefined;
  return { ...inner, via: e.type, factor: step === 'double' ? 1n : inner.factor * step };
}

/** How the engine's values of a column relate to its Iceberg values. */
function relation(t: PrimitiveType, engine: DataType): { kind: 'exact'; factor: bigint } | { kind: 'coarse'; per: bigint } | { kind: 'double' } | { kind: 'native' } | undefined {
  const dec = parseDecimal(t);
  const exactIceberg = dec !== undefined || t === 'int' || t === 'long';
  if (exactIceberg) {
    if (engine === 'float64') return { kind: 'double' };
    return isNumericExact(engine) ? { kind: 'exact', factor: 1n } : undefined;
  }
  switch (t) {
    case 'float': case 'double': return engine === 'float64' ? { kind: 'native' } : undefined;
    case 'date':
      if (engine === 'date') return { kind: 'exact', factor: 1n };
      return engine === 'timestamp' ? { kind: 'exact', factor: US_PER_DAY } : undefined;
    case 'time': return engine === 'time' ? { kind: 'exact', factor: 1n } : undefined;
    case 'timestamp': case 'timestamptz': return engine === 'timestamp' ? { kind: 'exact', factor: 1n } : undefined;
    case 'timestamp_ns': case 'timestamptz_ns': return engine === 'timestamp' ? { kind: 'coarse', per: 1000n } : undefined;
    case 'string': case 'boolean': case 'uuid': case 'binary': return { kind: 'native' };
    default: return t.startsWith('fixed[') ? { kind: 'native' } : undefined;
  }
}

/** An exact literal as a rational in its own type's units (decimals unscaled / 10^S). */
function exactLiteral(v: Scalar, type: DataType): Ratio | undefined {
  if (typeof v !== 'number' && typeof v !== 'bigint') return undefined;
  if (typeof v === 'number' && !Number.isSafeInteger(v)) return undefined;
  const d = decimalParts(type);
  return { num: BigInt(v), den: d ? 10n ** BigInt(d.scale) : 1n };
}

/** A literal's value as the double the engine compares with. */
function doubleLiteral(v: Scalar, type: DataType): number | undefined {
  if (type === 'float64') return typeof v === 'number' ? v : undefined;
  if (!isNumericExact(type)) return undefined;
  const r = exactLiteral(v, type);
  return r ? ratioToDouble(r) : undefined;
}

const ratio = (r: Ratio): Ratio => ({ num: r.num, den: r.den });
const leaf = (op: Op, column: string, value: unknown): Predicate => ({ op, column, value });
const and = (a: Predicate, b: Predicate): Predicate => ({ op: 'and', args: [a, b] });

function away(w: number, dir: 1 | -1): number {
  let x = w;
  for (let k = 0; k < ULPS && Number.isFinite(x); k++) x = nextDouble(x, dir);
  return x;
}

/** `double(column) op w` for an exact column: a wider exact comparison (or none). */
function doubleSpace(op: Op, column: string, w: number): Predicate | undefined {
  if (!Number.isFinite(w) || op === 'neq') return undefined;
  const up = away(w, 1);
  const down = away(w, -1);
  if (!Number.isFinite(up) || !Number.isFinite(down)) return undefined;
  const hi = ratio(doubleToRatio(up));
  const lo = ratio(doubleToRatio(down));
  switch (op) {
    case 'lt': return leaf('lt', column, hi);
    case 'lte': return leaf('lte', column, hi);
    case 'gt': return leaf('gt', column, lo);
    case 'gte': return leaf('gte', column, lo);
    case 'eq': return and(leaf('gte', column, lo), leaf('lte', column, hi));
  }
}

/** `coarse(column) op r` where the engine reads each Iceberg value x as floor or trunc(x / per). */
function coarseSpace(op: Op, column: string, r: Ratio, per: bigint): Predicate | undefined {
  const floor = r.num / r.den - (r.num % r.den !== 0n && r.num < 0n ? 1n : 0n);
  const ceil = floor * r.den === r.num ? floor : floor + 1n;
  switch (op) {
    case 'lt': return leaf('lt', column, per * ceil);
    case 'lte': return leaf('lt', column, per * (floor + 1n));
    case 'gt': return leaf('gt', column, per * floor);
    case 'gte': return leaf('gt', column, per * (ceil - 1n));
    case 'eq': return floor !== ceil ? { op: 'false' } : and(leaf('gt', column, per * (ceil - 1n)), leaf('lt', column, per * (floor + 1n)));
    default: return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A string-like or boolean literal as the catalog value for an Iceberg column of type t. */
function nativeValue(t: PrimitiveType, via: DataType, v: Scalar, litType: DataType): unknown {
  if (t === 'boolean') return via === 'boolean' && litType === 'boolean' && typeof v === 'boolean' ? v : undefined;
  if (typeof v !== 'string') return undefined;
  if (t === 'string') return via === 'string' && litType === 'string' ? v : undefined;
  if (t === 'uuid') return via === 'uuid' && (litType === 'uuid' || litType === 'string') && UUID.test(v) ? v.toLowerCase() : undefined;
  // binary / fixed[N]: the engine's byte strings, one char per byte.
  if (via !== 'binary' || litType !== 'binary') return undefined;
  const out = new Uint8Array(v.length);
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c > 255) return undefined;
    out[k] = c;
  }
  return out;
}

/** `column op literal` as a catalog predicate, or undefined when it cannot be pushed exactly. */
function compare(op: Op, col: ColRef, t: PrimitiveType, column: string, lit: { v: Scalar; type: DataType }): Predicate | undefined {
  if (lit.v === null) return { op: 'false' }; // a comparison with NULL is never true
  const rel = relation(t, col.type);
  if (!rel) return undefined;
  const viaDouble = col.via === 'float64' || lit.type === 'float64';
  if (rel.kind === 'native') {
    if (t === 'float' || t === 'double') {
      // A DOUBLE column against any number: the literal as a double (NaN included: the catalog
      // follows DuckDB's NaN order).
      const w = doubleLiteral(lit.v, lit.type);
      return w === undefined || col.via !== 'float64' ? undefined : leaf(op, column, w);
    }
    if (col.via !== col.type) return undefined;
    const value = nativeValue(t, col.via, lit.v, lit.type);
    return value === undefined ? undefined : leaf(op, column, value);
  }
  if (viaDouble) {
    // Only numbers meet as doubles; the column side must read its Iceberg value exactly first.
    if (!(isNumericExact(col.via) || col.via === 'float64') || !(isNumericExact(lit.type) || lit.type === 'float64')) return undefined;
    if (rel.kind !== 'double' && !(rel.kind === 'exact' && rel.factor === 1n && isNumericExact(col.type))) return undefined;
    const w = doubleLiteral(lit.v, lit.type);
    return w === undefined ? undefined : doubleSpace(op, column, w);
  }
  // Exact space: both sides numbers, or the same temporal type.
  const sameKind = (isNumericExact(col.via) && isNumericExact(lit.type)) || (col.via === lit.type && (col.via === 'date' || col.via === 'timestamp' || col.via === 'time'));
  if (!sameKind || rel.kind === 'double') return undefined;
  const r = exactLiteral(lit.v, lit.type);
  if (!r) return undefined;
  if (rel.kind === 'coarse') return col.factor === 1n ? coarseSpace(op, column, r, rel.per) : undefined;
  // Iceberg value x: engine value = x·rel.factor, compared value = engine·col.factor.
  return leaf(op, column, { num: r.num, den: r.den * rel.factor * col.factor });
}

function translate(e: Expr, columns: string[], types: Map<string, PrimitiveType>): Predicate | undefined {
  if (e.k === 'call' && (e.fn === 'and' || e.fn === 'or')) {
    const args = e.args.map((a) => translate(a, columns, types));
    if (e.fn === 'or') return args.every((a) => a !== undefined) ? { op: 'or', args: args as Predicate[] } : undefined;
    const ok = args.filter((a): a is Predicate => a !== undefined);
    return ok.length ? (ok.length === 1 ? ok[0] : { op: 'and', args: ok }) : undefined;
  }
  if (e.k === 'lit' && e.type === 'boolean') return e.v === true ? { op: 'true' } : { op: 'false' };
  if (e.k === 'call' && (e.fn === 'is_null' || e.fn === 'is_not_null')) {
    const c = columnOf(e.args[0]!);
    if (c === undefined || !types.has(columns[c.i]!)) return undefined;
    return { op: e.fn === 'is_null' ? 'is-null' : 'not-null', column: columns[c.i]! };
  }
  if (e.k === 'in' && !e.neg) {
    const c = columnOf(e.e);
    const t = c === undefined ? undefined : types.get(columns[c.i]!);
    if (c === undefined || !t) return undefined;
    const name = columns[c.i]!;
    const parts = e.list.filter((v) => v !== null).map((v) => compare('eq', c, t, name, { v, type: litTypeOf(v, c.via) }));
    if (parts.some((p) => p === undefined)) return undefined;
    if (parts.length === 0) return { op: 'false' };
    const simple = parts as Predicate[];
    if (simple.every((p) => p.op === 'eq')) return { op: 'in', column: name, values: simple.map((p) => (p as { value: unknown }).value) };
    return simple.length === 1 ? simple[0] : { op: 'or', args: simple };
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
    const t = types.get(columns[c.i]!);
    if (!t) return undefined;
    return compare(OPS[fn]!, c, t, columns[c.i]!, { v: b.v, type: b.type });
  }
  return undefined;
}

/** IN-list values carry no type of their own: they have the compared expression's type. */
function litTypeOf(_v: Scalar, via: DataType): DataType {
  return via;
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
