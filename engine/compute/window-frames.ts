/**
 * Window layout and frames over rows already sorted by (partition keys, order keys): where each
 * partition and each peer group (rows equal on every ORDER BY key, NULLs equal to each other)
 * starts and ends, and for a frame (ROWS / RANGE / GROUPS with constant offsets) each row's frame
 * as the half-open row range [start, end) (empty when end ≤ start).
 *
 * Costs: layout O(n × keys); ROWS and GROUPS frames O(n); RANGE frames with offsets one binary
 * search per bound and row (O(n log n)) over the partition's non-NULL keys, in doubles — or in
 * BigInts when a key or key ± offset leaves ±2^53 (exact: BIGINTs, wide decimals). Pure.
 *
 * NULL order keys (as DuckDB): a row whose RANGE key is NULL has, for an offset bound, its peer
 * group (the NULLs) as the bound; rows with a key never reach the NULLs through an offset.
 */

import type { WindowFrame } from '../plan/logical.js';
import { SAFE } from './exact.js';
import { sortable } from './sort.js';
import type { Vec } from './vec.js';

export interface Layout {
  n: number;
  /** Per row: its partition's first row and one past its last row. */
  partStart: Int32Array;
  partEnd: Int32Array;
  /** Per row: its peer group's first row and one past its last row. */
  peerStart: Int32Array;
  peerEnd: Int32Array;
  /** Per row: the ordinal of its peer group (increasing over the whole input). */
  group: Int32Array;
  /** Per peer group ordinal: its first row and one past its last row. */
  groupStart: Int32Array;
  groupEnd: Int32Array;
}

/** Comparable form of a sorted key column: equal values get equal numbers (NaN = NaN). */
function keyForm(v: Vec, n: number): { vals: Float64Array; valid: Uint8Array | null } {
  return { vals: sortable(v, n), valid: v.valid };
}

function sameKey(k: { vals: Float64Array; valid: Uint8Array | null }, a: number, b: number): boolean {
  const va = k.valid === null || k.valid[a] === 1;
  const vb = k.valid === null || k.valid[b] === 1;
  if (!va || !vb) return va === vb;
  const x = k.vals[a]!;
  const y = k.vals[b]!;
  return x === y || (x !== x && y !== y);
}

/** The layout of sorted rows given their partition and order key columns (in sorted order). */
export function windowLayout(n: number, partKeys: Vec[], orderKeys: Vec[]): Layout {
  const pk = partKeys.map((v) => keyForm(v, n));
  const ok = orderKeys.map((v) => keyForm(v, n));
  const partStart = new Int32Array(n);
  const partEnd = new Int32Array(n);
  const peerStart = new Int32Array(n);
  const peerEnd = new Int32Array(n);
  const group = new Int32Array(n);
  const gs: number[] = [];
  let ps = 0;
  let g = -1;
  for (let i = 0; i < n; i++) {
    const newPart = i === 0 || !pk.every((k) => sameKey(k, i - 1, i));
    if (newPart) ps = i;
    if (newPart || !ok.every((k) => sameKey(k, i - 1, i))) { g++; gs.push(i); }
    partStart[i] = ps;
    group[i] = g;
  }
  const groups = g + 1;
  const groupStart = Int32Array.from(gs);
  const groupEnd = new Int32Array(groups);
  for (let q = 0; q < groups; q++) groupEnd[q] = q + 1 < groups ? groupStart[q + 1]! : n;
  for (let i = n - 1; i >= 0; i--) partEnd[i] = i === n - 1 || partStart[i + 1] !== partStart[i] ? i + 1 : partEnd[i + 1]!;
  for (let i = 0; i < n; i++) {
    peerStart[i] = groupStart[group[i]!]!;
    // A peer group never crosses a partition boundary: a new partition starts a new group.
    peerEnd[i] = groupEnd[group[i]!]!;
  }
  return { n, partStart, partEnd, peerStart, peerEnd, group, groupStart, groupEnd };
}

type Bound = WindowFrame['start'];

/** Whether every row's frame is its whole partition (then aggregates are computed once per partition). */
export function isWholePartition(f: WindowFrame): boolean {
  return f.start.k === 'unbounded_preceding' && f.end.k === 'unbounded_following';
}

/**
 * Each row's frame [start[i], end[i]) (end clamped to ≥ start). `rangeKey` is the sorted single
 * ORDER BY key column (needed for RANGE frames with offsets), `desc` its direction.
 */
export function frameBounds(f: WindowFrame, L: Layout, rangeKey: Vec | null, desc: boolean): { start: Int32Array; end: Int32Array } {
  const { n } = L;
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  const offsets = f.units === 'range' && (hasOffset(f.start) || hasOffset(f.end));
  const rk = offsets ? rangeSearch(rangeKey!, L, desc) : null;
  for (let i = 0; i < n; i++) {
    start[i] = bound(f.units, f.start, true, i, L, rk);
    const e = bound(f.units, f.end, false, i, L, rk);
    end[i] = e < start[i]! ? start[i]! : e;
  }
  return { start, end };
}

function hasOffset(b: Bound): boolean {
  return b.k === 'preceding' || b.k === 'following';
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** One bound of row i: the first row of the frame (isStart) or one past its last row. */
function bound(units: WindowFrame['units'], b: Bound, isStart: boolean, i: number, L: Layout, rk: RangeSearch | null): number {
  const ps = L.partStart[i]!;
  const pe = L.partEnd[i]!;
  switch (b.k) {
    case 'unbounded_preceding': return ps;
    case 'unbounded_following': return pe;
    case 'current':
      if (units === 'rows') return isStart ? i : i + 1;
      return isStart ? L.peerStart[i]! : L.peerEnd[i]!;
    case 'preceding': case 'following': {
      const sign = b.k === 'preceding' ? -1 : 1;
      if (units === 'rows') {
        const off = Number(b.n);
        return clamp(isStart ? i + sign * off : i + sign * off + 1, ps, pe);
      }
      if (units === 'groups') {
        const g = L.group[i]! + sign * Number(b.n);
        const g0 = L.group[ps]!;
        const g1 = L.group[pe - 1]!;
        if (isStart) return g < g0 ? ps : g > g1 ? pe : L.groupStart[g]!;
        return g < g0 ? ps : g > g1 ? pe : L.groupEnd[g]!;
      }
      return rk!.bound(i, sign, b.n, isStart);
    }
  }
}

interface RangeSearch {
  bound(i: number, sign: number, n: number | bigint, isStart: boolean): number;
}

/**
 * RANGE offsets: for row i with key v, the frame bound at v − n (PRECEDING) or v + n (FOLLOWING)
 * — mirrored for a descending key — found by binary search over the partition's non-NULL rows.
 */
function rangeSearch(key: Vec, L: Layout, desc: boolean): RangeSearch {
  if (key.t !== 'num' && key.t !== 'big') throw new Error('internal: RANGE offset over a non-numeric key');
  const n = L.n;
  const valid = key.valid;
  const isNull = (i: number): boolean => valid !== null && valid[i] === 0;
  // BigInts when a key is wide; doubles otherwise (offsets are checked per use below).
  let big: bigint[] | null = null;
  if (key.t === 'big') {
    big = new Array<bigint>(n);
    for (let i = 0; i < n; i++) big[i] = isNull(i) ? 0n : key.values[i]!;
  }
  const num = key.t === 'num' ? key.values : null;
  const exact = key.type !== 'float64';
  let bigFromNum: bigint[] | null = null;
  const bigVals = (): bigint[] => {
    if (big) return big;
    bigFromNum ??= Array.from(num!, (x, i) => (isNull(i) ? 0n : BigInt(x)));
    return bigFromNum;
  };
  // Non-NULL segment of each partition: NULLs are one block at its start or its end.
  const nnStart = new Int32Array(n);
  const nnEnd = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (i > 0 && L.partStart[i] === L.partStart[i - 1]) { nnStart[i] = nnStart[i - 1]!; nnEnd[i] = nnEnd[i - 1]!; continue; }
    let a = L.partStart[i]!;
    let b = L.partEnd[i]!;
    while (a < b && isNull(a)) a++;
    while (b > a && isNull(b - 1)) b--;
    nnStart[i] = a;
    nnEnd[i] = b;
  }
  return {
    bound(i, sign, off, isStart) {
      if (isNull(i)) return isStart ? L.peerStart[i]! : L.peerEnd[i]!;
      // In ascending terms: target t = v + s·n with s = sign (mirrored for DESC); the frame
      // starts at the first row whose key is ≥ t (ASC) and ends after the last row whose key is ≤ t.
      const s = desc ? -sign : sign;
      let lo = nnStart[i]!;
      let hi = nnEnd[i]!;
      // before(j): row j lies before the bound.
      let before: (j: number) => boolean;
      const useBig = big !== null || typeof off === 'bigint' || (exact && Math.abs(num![i]!) + Number(off) > SAFE);
      if (useBig) {
        const vals = bigVals();
        const t = vals[i]! + BigInt(s) * BigInt(off);
        if (!desc) before = isStart ? (j) => vals[j]! < t : (j) => vals[j]! <= t;
        else before = isStart ? (j) => vals[j]! > t : (j) => vals[j]! >= t;
      } else {
        const vals = num!;
        const t = vals[i]! + s * Number(off);
        if (!desc) before = isStart ? (j) => vals[j]! < t : (j) => vals[j]! <= t;
        else before = isStart ? (j) => vals[j]! > t : (j) => vals[j]! >= t;
      }
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before(mid)) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}
