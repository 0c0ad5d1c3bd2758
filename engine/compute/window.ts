/**
 * The window kernel: one input chunk holding whole partitions (every row of a PARTITION BY key
 * that occurs in it) → the chunk sorted by (partition keys, ORDER BY keys) with one column per
 * window call appended. Synchronous, single-threaded, deterministic for a given input order (the
 * sort is stable; rows that tie on every key keep their input order).
 *
 * Memory: the input, its sorted copy and O(n) integer arrays per call. Costs: the sort, then
 * O(n) per ranking / navigation call and O(n) or O(n log n) per aggregate (window-aggs.ts) —
 * never proportional to the frame size.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { SortItem, WindowCall } from '../plan/logical.js';
import type { Expr } from '../plan/types.js';
import { compileExpr, evalVec } from './eval.js';
import { sortPermutation } from './sort.js';
import { concatChunks, take, type Chunk, type Vec } from './vec.js';
import { frameCount, frameCountStar, frameExactSumAvg, frameFloatSumAvg, frameMinMax, partitionDistinct, validPrefix, type Frames } from './window-aggs.js';
import { frameBounds, isWholePartition, windowLayout, type Layout } from './window-frames.js';

export interface WindowSpec {
  partitionBy: Expr[];
  orderBy: SortItem[];
  calls: WindowCall[];
}

/** Sorts `input` by the window's keys and appends one column per call. */
export function computeWindow(input: Chunk, spec: WindowSpec): Chunk {
  const n = input.length;
  const partVecs = spec.partitionBy.map((e) => evalVec(compileExpr(e), input));
  const orderVecs = spec.orderBy.map((k) => evalVec(compileExpr(k.e), input));
  const perm = sortPermutation(n, [
    ...partVecs.map((vec) => ({ vec, desc: false, nullsFirst: true })),
    ...orderVecs.map((vec, i) => ({ vec, desc: spec.orderBy[i]!.desc, nullsFirst: spec.orderBy[i]!.nullsFirst })),
  ]);
  const sorted: Chunk = { length: n, cols: input.cols.map((v) => take(v, perm)) };
  const L = windowLayout(n, partVecs.map((v) => take(v, perm)), orderVecs.map((v) => take(v, perm)));
  const rangeKey = orderVecs.length === 1 ? take(orderVecs[0]!, perm) : null;
  const desc = spec.orderBy[0]?.desc ?? false;
  const frameCache = new Map<string, Frames>();
  const framesOf = (c: WindowCall): Frames => {
    const key = JSON.stringify(c.frame, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    let f = frameCache.get(key);
    if (!f) frameCache.set(key, (f = frameBounds(c.frame, L, rangeKey, desc)));
    return f;
  };
  const out = spec.calls.map((c) => {
    const args = c.args.map((a) => evalVec(compileExpr(a), sorted));
    return callColumn(c, args, L, framesOf);
  });
  return { length: n, cols: [...sorted.cols, ...out] };
}

function int64(values: Float64Array, valid: Uint8Array | null = null): Vec {
  return { t: 'num', type: 'int64', values, valid };
}

function callColumn(c: WindowCall, args: Vec[], L: Layout, framesOf: (c: WindowCall) => Frames): Vec {
  const { n, partStart: ps, partEnd: pe, peerStart, peerEnd, group } = L;
  switch (c.fn) {
    case 'row_number': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = i - ps[i]! + 1;
      return int64(out);
    }
    case 'rank': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = peerStart[i]! - ps[i]! + 1;
      return int64(out);
    }
    case 'dense_rank': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = group[i]! - group[ps[i]!]! + 1;
      return int64(out);
    }
    case 'percent_rank': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const size = pe[i]! - ps[i]!;
        out[i] = size > 1 ? (peerStart[i]! - ps[i]!) / (size - 1) : 0;
      }
      return { t: 'num', type: 'float64', values: out, valid: null };
    }
    case 'cume_dist': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = (peerEnd[i]! - ps[i]!) / (pe[i]! - ps[i]!);
      return { t: 'num', type: 'float64', values: out, valid: null };
    }
    case 'ntile': return ntile(args[0]!, L);
    case 'lag': case 'lead': return lagLead(c, args, L);
    case 'first_value': case 'last_value': case 'nth_value': return nthValue(c, args, framesOf(c), n);
    case 'count_star': return frameCountStar(framesOf(c), n);
    case 'count': case 'sum': case 'avg': {
      const v = args[0]!;
      const fn = c.fn;
      if (c.distinct) return partitionDistinct(v, ps, pe, n, fn, c.type, vecTypeOf(v));
      const f = framesOf(c);
      if (fn === 'count') return frameCount(v, f, n);
      if (v.t === 'num' && v.type === 'float64') return frameFloatSumAvg(v, f, n, fn);
      if (v.t !== 'num' && v.t !== 'big') throw new LakehouseError('INTERNAL', `${fn}() over a ${v.t} column`);
      return frameExactSumAvg(v, f, n, fn, c.type, v.type);
    }
    case 'min': case 'max': return frameMinMax(args[0]!, framesOf(c), n, c.fn === 'min');
    default:
      throw new LakehouseError('UNSUPPORTED', `not supported yet: the window function ${c.fn}()`);
  }
}

function vecTypeOf(v: Vec): Extract<Vec, { t: 'num' }>['type'] {
  return v.t === 'num' || v.t === 'big' ? v.type : v.t === 'bool' ? 'boolean' : 'string';
}

/** Integer argument i of a row (an int64 column), or null. */
function intAt(v: Vec, i: number): number | null {
  if (v.valid !== null && v.valid[i] === 0) return null;
  if (v.t === 'num') return v.values[i]!;
  if (v.t === 'big') return Number(v.values[i]!);
  throw new LakehouseError('INTERNAL', `integer window argument arrived as a ${v.t} column`);
}

/** ntile(k) as DuckDB: the first (size mod k) buckets get one row more. */
function ntile(kv: Vec, L: Layout): Vec {
  const { n, partStart: ps, partEnd: pe } = L;
  const out = new Float64Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = intAt(kv, i);
    if (k === null) continue;
    if (k <= 0) throw new LakehouseError('INVALID_ARGUMENT', 'Argument for ntile must be greater than zero', { help: 'Pass a positive number of buckets: ntile(4).' });
    const size = pe[i]! - ps[i]!;
    const buckets = Math.min(k, size);
    const small = Math.floor(size / buckets);
    const large = size - small * buckets;
    const row = i - ps[i]!;
    const inLarge = large * (small + 1);
    out[i] = row < inLarge ? 1 + Math.floor(row / (small + 1)) : 1 + large + Math.floor((row - inLarge) / small);
    valid[i] = 1;
  }
  return int64(out, valid);
}

/** Positions of the valid rows, in order, and their prefix counts. */
function validPositions(v: Vec, n: number): { pos: Int32Array; cnt: Int32Array } {
  const cnt = validPrefix(v, n);
  const pos = new Int32Array(cnt[n]!);
  for (let i = 0, k = 0; i < n; i++) if (v.valid === null || v.valid[i]) pos[k++] = i;
  return { pos, cnt };
}

/**
 * lag/lead(x, offset, default): the value `offset` rows before/after in the partition (IGNORE
 * NULLS: `offset` non-NULL values away), else the default (NULL without one).
 */
function lagLead(c: WindowCall, args: Vec[], L: Layout): Vec {
  const { n, partStart: ps, partEnd: pe } = L;
  const [x, offV, def] = args as [Vec, Vec, Vec | undefined];
  const vp = c.ignoreNulls ? validPositions(x, n) : null;
  // Index into [x rows, default rows]: j < n takes x[j], n + i the default of row i, −1 NULL.
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const off = intAt(offV, i);
    if (off === null) { idx[i] = -1; continue; }
    const d = c.fn === 'lag' ? -off : off;
    let j: number;
    if (d === 0) j = i;
    else if (!vp) j = i + d;
    else if (d < 0) {
      const ord = vp.cnt[i]! + d;
      j = ord >= vp.cnt[ps[i]!]! ? vp.pos[ord]! : -1;
    } else {
      const ord = vp.cnt[i + 1]! + d - 1;
      j = ord < vp.cnt[pe[i]!]! ? vp.pos[ord]! : -1;
    }
    idx[i] = j >= ps[i]! && j < pe[i]! ? j : def ? n + i : -1;
  }
  if (!def) return take(x, idx);
  const both = concatChunks([{ length: n, cols: [x] }, { length: n, cols: [def] }], [vecTypeOf(x)]).cols[0]!;
  return take(both, idx);
}

/** first_value / last_value / nth_value over each frame (IGNORE NULLS: among the non-NULL values). */
function nthValue(c: WindowCall, args: Vec[], f: Frames, n: number): Vec {
  const x = args[0]!;
  const vp = c.ignoreNulls ? validPositions(x, n) : null;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = f.start[i]!;
    const e = f.end[i]!;
    let j = -1;
    if (e > s) {
      if (c.fn === 'last_value') {
        if (!vp) j = e - 1;
        else if (vp.cnt[e]! > vp.cnt[s]!) j = vp.pos[vp.cnt[e]! - 1]!;
      } else {
        const k = c.fn === 'first_value' ? 1 : intAt(args[1]!, i);
        if (k !== null && k >= 1) {
          if (!vp) j = s + k - 1 < e ? s + k - 1 : -1;
          else {
            const ord = vp.cnt[s]! + k - 1;
            j = ord < vp.cnt[e]! ? vp.pos[ord]! : -1;
          }
        }
      }
    }
    idx[i] = j;
  }
  return take(x, idx);
}
