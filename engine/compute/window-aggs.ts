/**
 * Aggregates over window frames: given a column in sorted window order and each row's frame
 * [start, end), the aggregate of the frame for every row. Pure and synchronous.
 *
 * Costs (no O(n²) frame): count and exact sum/avg use prefix sums (O(n)); float sums a segment
 * tree (O(n log n): no cancellation from subtracting prefix sums, the error stays that of
 * summing the frame); min/max a segment tree of row indices (O(n log n), every type).
 * Exact numbers (docs/design.md): sums of integers and decimals are exact — prefix sums in
 * doubles while the partition's Σ|x| stays within 2^53, in BigInts otherwise; a total outside
 * its type (int64, decimal(38,S)) is OUT_OF_RANGE; avg is the correctly rounded quotient.
 * DISTINCT (count/sum/avg) is computed per partition and only for whole-partition frames (the
 * binder refuses other frames).
 */

import { LakehouseError } from '../../connectors/errors.js';
import { decimalParts, type DataType } from '../plan/types.js';
import { SAFE, fromBigValues, pow10, pow10n, ratioToDouble } from './exact.js';
import { dictRanks, take, type Vec } from './vec.js';

export interface Frames {
  start: Int32Array;
  end: Int32Array;
}

/** count(*) over each frame. */
export function frameCountStar(f: Frames, n: number): Vec {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f.end[i]! - f.start[i]!;
  return { t: 'num', type: 'int64', values: out, valid: null };
}

/** Prefix counts of valid rows: c[i] = valid rows in [0, i). */
export function validPrefix(v: Vec, n: number): Int32Array {
  const c = new Int32Array(n + 1);
  const valid = v.valid;
  for (let i = 0; i < n; i++) c[i + 1] = c[i]! + (valid === null ? 1 : valid[i]!);
  return c;
}

export function frameCount(v: Vec, f: Frames, n: number): Vec {
  const c = validPrefix(v, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = c[f.end[i]!]! - c[f.start[i]!]!;
  return { t: 'num', type: 'int64', values: out, valid: null };
}

/** sum or avg of an exact column (integers, decimals) over each frame. */
export function frameExactSumAvg(v: Extract<Vec, { t: 'num' | 'big' }>, f: Frames, n: number, fn: 'sum' | 'avg', outType: DataType, argType: DataType): Vec {
  const c = validPrefix(v, n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) valid[i] = c[f.end[i]!]! - c[f.start[i]!]! > 0 ? 1 : 0;
  const scale = decimalParts(argType)?.scale ?? 0;
  const vv = v.valid;
  let abs = 0;
  if (v.t === 'num') for (let i = 0; i < n; i++) if (vv === null || vv[i]) abs += Math.abs(v.values[i]!);
  if (v.t === 'num' && abs <= SAFE) {
    // Every prefix sum and every difference of two is an integer within ±2^53: exact in doubles.
    const p = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) p[i + 1] = p[i]! + (vv === null || vv[i] ? v.values[i]! : 0);
    const out = new Float64Array(n);
    const div = scale <= 22 ? pow10(scale) : Infinity;
    for (let i = 0; i < n; i++) {
      if (!valid[i]) continue;
      const s = p[f.end[i]!]! - p[f.start[i]!]!;
      if (fn === 'sum') out[i] = s;
      else {
        const d = (c[f.end[i]!]! - c[f.start[i]!]!) * div;
        out[i] = d <= SAFE ? s / d : ratioToDouble(BigInt(s), BigInt(c[f.end[i]!]! - c[f.start[i]!]!) * pow10n(scale));
      }
    }
    return fn === 'sum' ? { t: 'num', type: outType, values: out, valid } : { t: 'num', type: 'float64', values: out, valid };
  }
  const p: bigint[] = new Array<bigint>(n + 1);
  p[0] = 0n;
  for (let i = 0; i < n; i++) {
    const ok = vv === null || vv[i] === 1;
    p[i + 1] = p[i]! + (ok ? (v.t === 'big' ? v.values[i]! : BigInt(v.values[i]!)) : 0n);
  }
  if (fn === 'sum') {
    const out: bigint[] = new Array<bigint>(n);
    for (let i = 0; i < n; i++) out[i] = valid[i] ? p[f.end[i]!]! - p[f.start[i]!]! : 0n;
    return fromBigValues(out, outType, valid, n, 'sum');
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) continue;
    out[i] = ratioToDouble(p[f.end[i]!]! - p[f.start[i]!]!, BigInt(c[f.end[i]!]! - c[f.start[i]!]!) * pow10n(scale));
  }
  return { t: 'num', type: 'float64', values: out, valid };
}

/** sum or avg of a float64 column over each frame (segment tree; running sums for growing frames). */
export function frameFloatSumAvg(v: Extract<Vec, { t: 'num' }>, f: Frames, n: number, fn: 'sum' | 'avg'): Vec {
  const c = validPrefix(v, n);
  const vv = v.valid;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = vv === null || vv[i] ? v.values[i]! : 0;
  // Segment tree over x: size is the next power of two; leaves at [size, 2·size).
  let size = 1;
  while (size < n) size <<= 1;
  const tree = new Float64Array(2 * size);
  tree.set(x, size);
  for (let k = size - 1; k >= 1; k--) tree[k] = tree[2 * k]! + tree[2 * k + 1]!;
  const out = new Float64Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const cnt = c[f.end[i]!]! - c[f.start[i]!]!;
    if (cnt === 0) continue;
    valid[i] = 1;
    let lo = f.start[i]! + size;
    let hi = f.end[i]! + size;
    let sl = 0;
    let sr = 0;
    while (lo < hi) {
      if (lo & 1) sl += tree[lo++]!;
      if (hi & 1) sr = tree[--hi]! + sr;
      lo >>= 1;
      hi >>= 1;
    }
    const s = sl + sr;
    out[i] = fn === 'sum' ? s : s / cnt;
  }
  return { t: 'num', type: 'float64', values: out, valid };
}

/**
 * min or max over each frame: a segment tree of row indices (−1 = no value) ordered by the
 * column's own order — exact numbers and BigInts by value, doubles with NaN greatest (DuckDB),
 * strings by code point (dictionary ranks), booleans false < true.
 */
export function frameMinMax(v: Vec, f: Frames, n: number, isMin: boolean): Vec {
  const valid = v.valid;
  // less(a, b): value a sorts before value b.
  let less: (a: number, b: number) => boolean;
  if (v.t === 'num') {
    const x = v.values;
    less = v.type === 'float64' ? (a, b) => x[a]! < x[b]! || (x[b] !== x[b] && x[a] === x[a]) : (a, b) => x[a]! < x[b]!;
  } else if (v.t === 'big') {
    const x = v.values;
    less = (a, b) => x[a]! < x[b]!;
  } else if (v.t === 'bool') {
    const x = v.values;
    less = (a, b) => x[a]! < x[b]!;
  } else {
    const rank = dictRanks(v.dict);
    const codes = v.codes;
    less = (a, b) => rank[codes[a]!]! < rank[codes[b]!]!;
  }
  const pick = (a: number, b: number): number => {
    if (a < 0) return b;
    if (b < 0) return a;
    // Ties keep the earlier row (any is right: equal values).
    return isMin ? (less(b, a) ? b : a) : (less(a, b) ? b : a);
  };
  let size = 1;
  while (size < n) size <<= 1;
  const tree = new Int32Array(2 * size).fill(-1);
  for (let i = 0; i < n; i++) tree[size + i] = valid === null || valid[i] ? i : -1;
  for (let k = size - 1; k >= 1; k--) tree[k] = pick(tree[2 * k]!, tree[2 * k + 1]!);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let lo = f.start[i]! + size;
    let hi = f.end[i]! + size;
    let best = -1;
    while (lo < hi) {
      if (lo & 1) best = pick(best, tree[lo++]!);
      if (hi & 1) best = pick(best, tree[--hi]!);
      lo >>= 1;
      hi >>= 1;
    }
    idx[i] = best;
  }
  return take(v, idx);
}

/** count/sum/avg(DISTINCT x) over whole partitions: `partStart`/`partEnd` per row. */
export function partitionDistinct(v: Vec, partStart: Int32Array, partEnd: Int32Array, n: number, fn: 'count' | 'sum' | 'avg', outType: DataType, argType: DataType): Vec {
  const valid = v.valid;
  const keyOf = (i: number): string | number | bigint | boolean => {
    if (v.t === 'str') return v.dict[v.codes[i]!]!;
    if (v.t === 'bool') return v.values[i] === 1;
    const x = v.values[i]!;
    // -0 and 0 are one value; every NaN is one value.
    return typeof x === 'number' && x === 0 ? 0 : x;
  };
  const keep = new Uint8Array(n);
  for (let ps = 0; ps < n; ps = partEnd[ps]!) {
    const seen = new Set<unknown>();
    for (let i = ps; i < partEnd[ps]!; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const k = keyOf(i);
      const key = typeof k === 'number' && k !== k ? 'NaN' : k;
      if (seen.has(key)) continue;
      seen.add(key);
      keep[i] = 1;
    }
  }
  // The distinct rows, as a column with the duplicates masked out, aggregated over whole partitions.
  const masked: Vec = { ...v, valid: keep } as Vec;
  const frames: Frames = { start: partStart, end: partEnd };
  if (fn === 'count') return frameCount(masked, frames, n);
  if (masked.t === 'num' && argType === 'float64') return frameFloatSumAvg(masked, frames, n, fn);
  if (masked.t !== 'num' && masked.t !== 'big') throw new LakehouseError('INTERNAL', `${fn}(DISTINCT) over a ${masked.t} column`);
  return frameExactSumAvg(masked, frames, n, fn, outType, argType);
}
