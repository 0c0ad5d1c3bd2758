/**
 * Aggregate states and their update/finish loops for exact types (integers, decimals as unscaled
 * integers, dates, timestamps), float64 min/max with DuckDB's NaN order, and string min/max in
 * code-point order. Used by aggregate.ts. Synchronous and stateless: everything lives in the
 * state objects a `HashAggregator` owns.
 *
 * Exact sums (docs/design.md, "Exact numbers"): each group's sum is `a[g]` (a double, |a| ≤
 * 2^53−1, so every addition into it is exact) plus `carry.get(g)` (a BigInt, absent while 0).
 * `bound` is an upper bound of |a[g]| over all groups. A chunk whose rows add at most `inc` =
 * rows × max|x| runs the plain double loop when bound + inc ≤ 2^53−1, after moving the groups too
 * close to the limit into their carries when that is cheaper than the chunk; otherwise a checked
 * loop adds row by row and spills a group into its carry the moment a double add could round.
 * The common case (money in cents, counts, keys) never spills and pays one pass over the values
 * per chunk at most (none for int32 and decimals of ≤ 15 digits: their type bounds suffice).
 */

import { LakehouseError } from '../../connectors/errors.js';
import { decimalParts, type DataType } from '../plan/types.js';
import { INT64_MAX, INT64_MIN, SAFE, exactBound, fromBigValues, overflow, pow10, pow10n, ratioToDouble, typeLabel } from './exact.js';
import { cmpStr, dictRanks, type BigValues, type Vec } from './vec.js';

const SAFE_N = BigInt(SAFE);

/**
 * Per-aggregate numeric state: `a` the value (sum, min, max; count for count(*)), `b` the count
 * of sum/avg, `has` whether min/max saw a value. For exact types, `carry` holds a sum's BigInt
 * part, or for min/max the current value of a group when it is too wide for a double (then `a`
 * is ignored for that group).
 */
export interface NumState {
  kind: 'num';
  a: Float64Array;
  b: Float64Array;
  has: Uint8Array;
  exact: boolean;
  carry: Map<number, bigint>;
  bound: number;
}

export function newNumState(exact: boolean): NumState {
  return { kind: 'num', a: new Float64Array(0), b: new Float64Array(0), has: new Uint8Array(0), exact, carry: new Map(), bound: 0 };
}

/** An upper bound of |x| for a `num` vector of this type, without looking at the values. */
function typeMax(type: DataType): number {
  if (type === 'int32' || type === 'date') return 2147483648;
  const d = decimalParts(type);
  return d && d.precision <= 15 ? pow10(d.precision) : Infinity;
}

/** rows × max|x| over the rows a chunk adds (valid rows only). */
export function chunkIncrement(x: Float64Array, valid: Uint8Array | null, n: number, type: DataType): number {
  const tm = typeMax(type) * n;
  if (tm <= SAFE) return tm;
  let m = 0;
  if (valid === null) for (let i = 0; i < n; i++) { const v = x[i]!; const av = v < 0 ? -v : v; if (av > m) m = av; }
  else for (let i = 0; i < n; i++) { const v = x[i]!; const av = v < 0 ? -v : v; if (valid[i] && av > m) m = av; }
  return m * n;
}

/**
 * Whether a plain double update adding at most `inc` is exact for every group of `size`; moves
 * groups near the limit into their carries when one pass over the groups costs less than the
 * chunk's `n` rows. On true, `bound` already accounts for the update.
 */
export function preparePlain(st: NumState, inc: number, size: number, n: number): boolean {
  if (inc > SAFE) return false;
  if (st.bound + inc > SAFE) {
    if (size > n) return false;
    spill(st, size, SAFE - inc);
  }
  st.bound += inc;
  return true;
}

/** Moves every |a[k]| above `limit` into the carry; `bound` becomes the largest |a| left. */
function spill(st: NumState, size: number, limit: number): void {
  const a = st.a;
  let m = 0;
  for (let k = 0; k < size; k++) {
    const v = a[k]!;
    const av = v < 0 ? -v : v;
    if (av > limit) {
      st.carry.set(k, (st.carry.get(k) ?? 0n) + BigInt(v));
      a[k] = 0;
    } else if (av > m) m = av;
  }
  st.bound = m;
}

/** a[k] += x exactly (|x| ≤ 2^53−1): a sum that could round goes to the carry instead. */
export function addChecked(st: NumState, k: number, x: number): void {
  const a = st.a;
  const t = a[k]! + x;
  if (t > SAFE || t < -SAFE) {
    st.carry.set(k, (st.carry.get(k) ?? 0n) + BigInt(a[k]!) + BigInt(x));
    a[k] = 0;
  } else {
    a[k] = t;
    const at = t < 0 ? -t : t;
    if (at > st.bound) st.bound = at;
  }
}

/** Sums `x` (valid rows) into the groups `g`, row by row, exactly. Counts are not touched. */
export function sumChecked(st: NumState, g: Int32Array, x: Float64Array, valid: Uint8Array | null, n: number): void {
  const a = st.a;
  let m = st.bound > SAFE ? SAFE : st.bound;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const gi = g[i]!;
    const t = a[gi]! + x[i]!;
    if (t > SAFE || t < -SAFE) {
      st.carry.set(gi, (st.carry.get(gi) ?? 0n) + BigInt(a[gi]!) + BigInt(x[i]!));
      a[gi] = 0;
    } else {
      a[gi] = t;
      const at = t < 0 ? -t : t;
      if (at > m) m = at;
    }
  }
  st.bound = m;
}

/** Sums a `big` vector (valid rows) into the groups' carries. Counts are not touched. */
export function sumBig(st: NumState, g: Int32Array, x: BigValues, valid: Uint8Array | null, n: number): void {
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const gi = g[i]!;
    st.carry.set(gi, (st.carry.get(gi) ?? 0n) + x[i]!);
  }
}

/** Forgets group k (the scratch group of masked rows). */
export function resetGroup(st: NumState, k: number): void {
  st.a[k] = 0;
  st.b[k] = 0;
  st.has[k] = 0;
  st.carry.delete(k);
}

/** The exact sums of groups [0, size) as BigInts, or null when no group has a carry. */
function sumValues(st: NumState, size: number): bigint[] | null {
  if (st.carry.size === 0) return null;
  const out: bigint[] = new Array<bigint>(size);
  for (let k = 0; k < size; k++) out[k] = BigInt(st.a[k]!) + (st.carry.get(k) ?? 0n);
  return out;
}

/** Final sum column of an exact sum: `type` int64 or decimal(38,S); overflow is OUT_OF_RANGE. */
export function finishExactSum(st: NumState, type: DataType, size: number): Vec {
  const valid = new Uint8Array(size);
  for (let k = 0; k < size; k++) valid[k] = st.b[k]! > 0 ? 1 : 0;
  const big = sumValues(st, size);
  if (!big) return { t: 'num', type, values: st.a.slice(0, size), valid };
  const bound = exactBound(type);
  for (let k = 0; k < size; k++) {
    if (!valid[k]) { big[k] = 0n; continue; }
    const x = big[k]!;
    if (type === 'int64' ? x > INT64_MAX || x < INT64_MIN : bound !== null && (x > bound || x < -bound)) throw sumOverflow(type, x);
  }
  return fromBigValues(big, type, valid, size, 'sum');
}

function sumOverflow(type: DataType, total: bigint): LakehouseError {
  if (type !== 'int64') return overflow('sum', type, `the total has more than 38 digits`);
  return new LakehouseError('OUT_OF_RANGE', `Overflow in sum of ${typeLabel(type)}: the total ${total} is outside the BIGINT range`, {
    help: 'CAST the argument to DECIMAL(38,0) to sum beyond ±9.2e18: sum(CAST(x AS DECIMAL(38,0))).',
  });
}

/**
 * Final avg column of an exact argument of `argType`: the double nearest to sum / (count × 10^S),
 * one correctly rounded quotient (with both operands exact doubles the IEEE division is that).
 */
export function finishExactAvg(st: NumState, argType: DataType, size: number): Vec {
  const scale = decimalParts(argType)?.scale ?? 0;
  const valid = new Uint8Array(size);
  const out = new Float64Array(size);
  const p = scale <= 22 ? pow10(scale) : Infinity;
  for (let k = 0; k < size; k++) {
    const c = st.b[k]!;
    if (c <= 0) continue;
    valid[k] = 1;
    const carry = st.carry.get(k);
    const d = c * p;
    if (carry === undefined && d <= SAFE) out[k] = st.a[k]! / d;
    else out[k] = ratioToDouble(BigInt(st.a[k]!) + (carry ?? 0n), BigInt(c) * pow10n(scale));
  }
  return { t: 'num', type: 'float64', values: out, valid };
}

/** A sum's carries as a nullable string column (decimal text) for the partial chunk. */
export function carryColumn(st: NumState, size: number): Vec {
  const codes = new Int32Array(size);
  const valid = new Uint8Array(size);
  const dict: string[] = [''];
  for (const [k, c] of st.carry) {
    if (k >= size || c === 0n) continue;
    codes[k] = dict.length;
    dict.push(c.toString());
    valid[k] = 1;
  }
  return { t: 'str', codes, dict, valid };
}

/** Adds a partial's carry column (see carryColumn) into the groups `g`. */
export function mergeCarry(st: NumState, g: Int32Array, col: Vec, n: number): void {
  if (col.t !== 'str') throw new LakehouseError('INTERNAL', `a sum's carry arrived as a ${col.t} column`);
  for (let i = 0; i < n; i++) {
    if (col.valid !== null && col.valid[i] === 0) continue;
    const gi = g[i]!;
    st.carry.set(gi, (st.carry.get(gi) ?? 0n) + BigInt(col.dict[col.codes[i]!]!));
  }
}

/**
 * min/max of an exact vector (`num` or `big`) into the groups `g`. Doubles and BigInts compare
 * exactly with `<` in JavaScript; values that fit a double are kept as doubles.
 */
export function minMaxExact(st: NumState, g: Int32Array, v: Extract<Vec, { t: 'num' | 'big' }>, n: number, isMin: boolean): void {
  const valid = v.valid;
  const a = st.a;
  const has = st.has;
  if (v.t === 'num' && st.carry.size === 0) {
    const x = v.values;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const gi = g[i]!;
      const y = x[i]!;
      if (!has[gi] || (isMin ? y < a[gi]! : y > a[gi]!)) { a[gi] = y; has[gi] = 1; }
    }
    return;
  }
  const carry = st.carry;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const gi = g[i]!;
    let y: number | bigint = v.values[i]!;
    if (typeof y === 'bigint' && y <= SAFE_N && y >= -SAFE_N) y = Number(y);
    if (has[gi]) {
      const cur = carry.get(gi) ?? a[gi]!;
      if (!(isMin ? y < cur : y > cur)) continue;
    }
    has[gi] = 1;
    if (typeof y === 'number') { a[gi] = y; carry.delete(gi); } else carry.set(gi, y);
  }
}

/**
 * min/max of doubles (or booleans as 0/1) with DuckDB's order: NaN is the greatest value, so max
 * picks NaN and min picks it only when every value is NaN.
 */
export function minMaxF64(st: NumState, g: Int32Array, x: ArrayLike<number>, valid: Uint8Array | null, n: number, isMin: boolean): void {
  const a = st.a;
  const has = st.has;
  if (isMin) {
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const gi = g[i]!;
      const y = x[i]!;
      const cur = a[gi]!;
      if (!has[gi] || y < cur || (cur !== cur && y === y)) { a[gi] = y; has[gi] = 1; }
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const gi = g[i]!;
      const y = x[i]!;
      const cur = a[gi]!;
      if (!has[gi] || y > cur || (y !== y && cur === cur)) { a[gi] = y; has[gi] = 1; }
    }
  }
}

/** The min/max values of groups [0, size) as a column of `type` (`big` when some are wide). */
export function minMaxColumn(st: NumState, type: DataType, size: number): Vec {
  const valid = st.has.slice(0, size);
  if (type === 'boolean') return { t: 'bool', values: Uint8Array.from(st.a.subarray(0, size)), valid };
  if (st.carry.size === 0) return { t: 'num', type, values: st.a.slice(0, size), valid };
  const out: bigint[] = new Array<bigint>(size);
  for (let k = 0; k < size; k++) out[k] = valid[k] ? st.carry.get(k) ?? BigInt(st.a[k]!) : 0n;
  return fromBigValues(out, type, valid, size, 'min/max');
}

/**
 * String min/max in code-point order (cmpStr) into `vals` (one entry per group). With a small
 * dictionary the rows compare dictionary ranks and only each group's best of the chunk compares
 * strings; otherwise every row compares strings.
 */
export function minMaxStr(vals: Array<string | null>, g: Int32Array, v: Extract<Vec, { t: 'str' }>, n: number, isMin: boolean): void {
  const { dict, codes, valid } = v;
  const size = vals.length;
  const better = (s: string, cur: string | null | undefined): boolean => cur === null || cur === undefined || (isMin ? cmpStr(s, cur) < 0 : cmpStr(s, cur) > 0);
  if (dict.length * 8 <= n && size <= 4 * n) {
    const rank = dictRanks(dict);
    const best = new Int32Array(size).fill(-1);
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const gi = g[i]!;
      const c = codes[i]!;
      const b = best[gi]!;
      if (b < 0 || (isMin ? rank[c]! < rank[b]! : rank[c]! > rank[b]!)) best[gi] = c;
    }
    for (let k = 0; k < size; k++) {
      const b = best[k]!;
      if (b >= 0 && better(dict[b]!, vals[k])) vals[k] = dict[b]!;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const s = dict[codes[i]!]!;
    const gi = g[i]!;
    if (better(s, vals[gi])) vals[gi] = s;
  }
}
