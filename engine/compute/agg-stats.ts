/**
 * Aggregate states beyond sum/count/min/max, for the hash aggregation (aggregate.ts): statistical
 * moments (variance, standard deviation, covariance, correlation), arg_min/arg_max, and the
 * HyperLogLog sketch of approx_count_distinct (agg-hll.ts). Each state keeps one slot per group,
 * travels between tasks as plain Arrow columns (its `partial` columns, typed by
 * `extStateTypes`), and merges associatively — so partial aggregation in workers and the merge on
 * the coordinator or on a partition's task give the same answer.
 *
 * Moments (as DuckDB): Welford's update per row and Chan et al.'s pairwise merge of (count, mean,
 * M2) — and of the co-moment for two variables — which stay accurate where the textbook
 * Σx² − (Σx)²/n cancels catastrophically. Inputs are doubles (the binder casts integers and
 * decimals, as DuckDB does). Each group's values are shifted by its first value before they
 * enter Welford's recurrence: around a large mean (BIGINTs near 2^53: mean 9e15, ulp 2) the
 * running mean's increments would round away and the variance drift (DuckDB's does, by 17% on
 * the corpus table); the shifted values are small and exact. A partial carries its shift. Results: var_samp/stddev_samp/covar_samp NULL below 2 rows, the
 * *_pop forms NULL for 0 rows, corr NaN when either variable is constant.
 *
 * arg_min/arg_max(arg, val): the `arg` of the row with the least/greatest `val`, over rows where
 * both are non-NULL (DuckDB); ties keep the first row seen in a task, so with ties the answer
 * may depend on the plan (as in DuckDB, whose answer depends on its threads). Values keep their
 * exact type (BigInts beyond 2^53, decimals unscaled).
 *
 * Synchronous, one instance per aggregator; memory O(groups) (HLL: see agg-hll.ts).
 */

import { LakehouseError } from '../../connectors/errors.js';
import { isStringLike, type AggCall, type DataType, type Scalar } from '../plan/types.js';
import { buildStrings, scalarAt } from './casts.js';
import { cmpScalars } from './eval.js';
import { HllState } from './agg-hll.js';
import type { Vec } from './vec.js';

/** A per-group aggregate state of the extended aggregates. */
export interface ExtState {
  /** Makes room for group ids below `cap`. */
  grow(cap: number): void;
  /** Adds rows: `g[i]` the group of row i, `args` the call's per-row inputs (argument, then extra). */
  update(g: Int32Array, args: Vec[], n: number): void;
  /** Forgets group k (the scratch group of masked rows). */
  reset(k: number): void;
  /** The state of groups [0, size) as columns (types: `extStateTypes`). */
  partial(size: number): Vec[];
  /** Merges partial columns (as produced by `partial`) into the groups `g`. */
  merge(g: Int32Array, cols: Vec[], n: number): void;
  /** Final values of groups [0, size). */
  finish(size: number): Vec;
}

const MOMENT_FNS = new Set(['var_samp', 'var_pop', 'stddev_samp', 'stddev_pop']);
const COMOMENT_FNS = new Set(['covar_samp', 'covar_pop', 'corr']);

/** True for the aggregates whose state is an ExtState. */
export function isExtAgg(a: AggCall): boolean {
  return MOMENT_FNS.has(a.fn) || COMOMENT_FNS.has(a.fn) || a.fn === 'arg_min' || a.fn === 'arg_max' || a.fn === 'approx_count_distinct';
}

/** Partial state column types of an extended aggregate. */
export function extStateTypes(a: AggCall): DataType[] {
  if (MOMENT_FNS.has(a.fn)) return ['float64', 'float64', 'float64', 'float64'];
  if (COMOMENT_FNS.has(a.fn)) return ['float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64', 'float64'];
  if (a.fn === 'arg_min' || a.fn === 'arg_max') return [a.extra![0]!.type, a.arg!.type];
  if (a.fn === 'approx_count_distinct') return ['string'];
  throw new LakehouseError('INTERNAL', `${a.fn} has no extended aggregate state`);
}

export function newExtState(a: AggCall): ExtState {
  if (MOMENT_FNS.has(a.fn)) return new MomentState(a.fn);
  if (COMOMENT_FNS.has(a.fn)) return new CoMomentState(a.fn);
  if (a.fn === 'arg_min' || a.fn === 'arg_max') return new ArgState(a.fn === 'arg_min', a.arg!.type, a.extra![0]!.type);
  if (a.fn === 'approx_count_distinct') return new HllState();
  throw new LakehouseError('INTERNAL', `${a.fn} has no extended aggregate state`);
}

function grown(a: Float64Array<ArrayBuffer>, cap: number): Float64Array<ArrayBuffer> {
  if (a.length >= cap) return a;
  const out = new Float64Array(cap);
  out.set(a);
  return out;
}

function f64(v: Vec): Float64Array {
  if (v.t !== 'num') throw new LakehouseError('INTERNAL', `a moment state column arrived as a ${v.t} vector`);
  return v.values;
}

const col = (values: Float64Array, size: number): Vec => ({ t: 'num', type: 'float64', values: values.slice(0, size), valid: null });

/** Chan's merge of (n, mean, m2) of b into a; returns the mean delta for co-moment merges. */
function chan(n: Float64Array, mean: Float64Array, m2: Float64Array, k: number, nb: number, meanb: number, m2b: number): void {
  const na = n[k]!;
  if (nb === 0) return;
  if (na === 0) { n[k] = nb; mean[k] = meanb; m2[k] = m2b; return; }
  const t = na + nb;
  const d = meanb - mean[k]!;
  m2[k] = m2[k]! + m2b + d * d * (na * nb / t);
  mean[k] = mean[k]! + d * (nb / t);
  n[k] = t;
}

/** var_samp, var_pop, stddev_samp, stddev_pop. */
class MomentState implements ExtState {
  private n: Float64Array<ArrayBuffer> = new Float64Array(0);
  private shift: Float64Array<ArrayBuffer> = new Float64Array(0);
  private mean: Float64Array<ArrayBuffer> = new Float64Array(0);
  private m2: Float64Array<ArrayBuffer> = new Float64Array(0);
  constructor(private readonly fn: string) {}

  grow(cap: number): void {
    this.n = grown(this.n, cap);
    this.shift = grown(this.shift, cap);
    this.mean = grown(this.mean, cap);
    this.m2 = grown(this.m2, cap);
  }

  update(g: Int32Array, args: Vec[], n: number): void {
    const v = args[0]!;
    const x = f64(v);
    const valid = v.valid;
    const cnt = this.n, mean = this.mean, m2 = this.m2, shift = this.shift;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const k = g[i]!;
      if (cnt[k] === 0) shift[k] = x[i]!;
      const y = x[i]! - shift[k]!;
      const c = ++cnt[k]!;
      const d = y - mean[k]!;
      mean[k] = mean[k]! + d / c;
      m2[k] = m2[k]! + d * (y - mean[k]!);
    }
  }

  reset(k: number): void {
    this.n[k] = 0; this.shift[k] = 0; this.mean[k] = 0; this.m2[k] = 0;
  }

  partial(size: number): Vec[] {
    return [col(this.n, size), col(this.shift, size), col(this.mean, size), col(this.m2, size)];
  }

  merge(g: Int32Array, cols: Vec[], n: number): void {
    const [cn, cs, cm, c2] = cols.map(f64) as [Float64Array, Float64Array, Float64Array, Float64Array];
    for (let i = 0; i < n; i++) {
      const k = g[i]!;
      if (cn[i] === 0) continue;
      // The partial's mean in this group's frame: the shifts are close, their difference exact.
      if (this.n[k] === 0) this.shift[k] = cs[i]!;
      chan(this.n, this.mean, this.m2, k, cn[i]!, cs[i]! - this.shift[k]! + cm[i]!, c2[i]!);
    }
  }

  finish(size: number): Vec {
    const out = new Float64Array(size);
    const valid = new Uint8Array(size);
    const samp = this.fn.endsWith('_samp');
    const sqrt = this.fn.startsWith('stddev');
    for (let k = 0; k < size; k++) {
      const c = this.n[k]!;
      if (c === 0 || (samp && c < 2)) continue;
      const v = this.m2[k]! / (samp ? c - 1 : c);
      out[k] = sqrt ? Math.sqrt(v) : v;
      valid[k] = 1;
    }
    return { t: 'num', type: 'float64', values: out, valid };
  }
}

/** covar_samp, covar_pop, corr over (y, x): rows where both are non-NULL. */
class CoMomentState implements ExtState {
  private n: Float64Array<ArrayBuffer> = new Float64Array(0);
  private sx: Float64Array<ArrayBuffer> = new Float64Array(0);
  private sy: Float64Array<ArrayBuffer> = new Float64Array(0);
  private mx: Float64Array<ArrayBuffer> = new Float64Array(0);
  private my: Float64Array<ArrayBuffer> = new Float64Array(0);
  private m2x: Float64Array<ArrayBuffer> = new Float64Array(0);
  private m2y: Float64Array<ArrayBuffer> = new Float64Array(0);
  private cxy: Float64Array<ArrayBuffer> = new Float64Array(0);
  constructor(private readonly fn: string) {}

  grow(cap: number): void {
    this.n = grown(this.n, cap); this.sx = grown(this.sx, cap); this.sy = grown(this.sy, cap); this.mx = grown(this.mx, cap); this.my = grown(this.my, cap);
    this.m2x = grown(this.m2x, cap); this.m2y = grown(this.m2y, cap); this.cxy = grown(this.cxy, cap);
  }

  update(g: Int32Array, args: Vec[], n: number): void {
    const vy = args[0]!;
    const vx = args[1]!;
    const ys = f64(vy), xs = f64(vx);
    const { n: cnt, sx, sy, mx, my, m2x, m2y, cxy } = this;
    for (let i = 0; i < n; i++) {
      if ((vy.valid !== null && vy.valid[i] === 0) || (vx.valid !== null && vx.valid[i] === 0)) continue;
      const k = g[i]!;
      if (cnt[k] === 0) { sx[k] = xs[i]!; sy[k] = ys[i]!; }
      const x = xs[i]! - sx[k]!;
      const y = ys[i]! - sy[k]!;
      const c = ++cnt[k]!;
      const dx = x - mx[k]!;
      const dy = y - my[k]!;
      mx[k] = mx[k]! + dx / c;
      my[k] = my[k]! + dy / c;
      m2x[k] = m2x[k]! + dx * (x - mx[k]!);
      m2y[k] = m2y[k]! + dy * (y - my[k]!);
      cxy[k] = cxy[k]! + dx * (y - my[k]!);
    }
  }

  reset(k: number): void {
    this.n[k] = 0; this.sx[k] = 0; this.sy[k] = 0; this.mx[k] = 0; this.my[k] = 0; this.m2x[k] = 0; this.m2y[k] = 0; this.cxy[k] = 0;
  }

  partial(size: number): Vec[] {
    return [this.n, this.sx, this.sy, this.mx, this.my, this.m2x, this.m2y, this.cxy].map((a) => col(a, size));
  }

  merge(g: Int32Array, cols: Vec[], n: number): void {
    const [cn, csx, csy, cmx, cmy, c2x, c2y, cc] = cols.map(f64) as Float64Array[];
    const { n: cnt, sx, sy, mx, my, m2x, m2y, cxy } = this;
    for (let i = 0; i < n; i++) {
      const k = g[i]!;
      const nb = cn![i]!;
      if (nb === 0) continue;
      const na = cnt[k]!;
      if (na === 0) {
        cnt[k] = nb; sx[k] = csx![i]!; sy[k] = csy![i]!; mx[k] = cmx![i]!; my[k] = cmy![i]!; m2x[k] = c2x![i]!; m2y[k] = c2y![i]!; cxy[k] = cc![i]!;
        continue;
      }
      const t = na + nb;
      // The partial's means in this group's frame (shifts differ by an exact small amount).
      const dx = csx![i]! - sx[k]! + cmx![i]! - mx[k]!;
      const dy = csy![i]! - sy[k]! + cmy![i]! - my[k]!;
      const w = na * nb / t;
      cxy[k] = cxy[k]! + cc![i]! + dx * dy * w;
      m2x[k] = m2x[k]! + c2x![i]! + dx * dx * w;
      m2y[k] = m2y[k]! + c2y![i]! + dy * dy * w;
      mx[k] = mx[k]! + dx * (nb / t);
      my[k] = my[k]! + dy * (nb / t);
      cnt[k] = t;
    }
  }

  finish(size: number): Vec {
    const out = new Float64Array(size);
    const valid = new Uint8Array(size);
    for (let k = 0; k < size; k++) {
      const c = this.n[k]!;
      if (c === 0) continue;
      if (this.fn === 'covar_samp') {
        if (c < 2) continue;
        out[k] = this.cxy[k]! / (c - 1);
      } else if (this.fn === 'covar_pop') {
        out[k] = this.cxy[k]! / c;
      } else {
        // DuckDB: cov_pop / (stddev_pop(x) · stddev_pop(y)), NaN when either is 0, clamped to [−1, 1].
        const sx = c > 1 ? Math.sqrt(this.m2x[k]! / c) : 0;
        const sy = c > 1 ? Math.sqrt(this.m2y[k]! / c) : 0;
        const r = (this.cxy[k]! / c) / (sx * sy);
        out[k] = sx * sy === 0 ? NaN : r > 1 ? 1 : r < -1 ? -1 : r;
      }
      valid[k] = 1;
    }
    return { t: 'num', type: 'float64', values: out, valid };
  }
}

/** Scalars of one type as a vector (`big` when some exact value is beyond 2^53). */
export function scalarsToVec(type: DataType, vals: ReadonlyArray<Scalar | undefined>, size: number): Vec {
  const valid = new Uint8Array(size);
  for (let k = 0; k < size; k++) valid[k] = vals[k] === null || vals[k] === undefined ? 0 : 1;
  if (isStringLike(type)) return buildStrings(size, valid, (k) => vals[k] as string);
  if (type === 'boolean') return { t: 'bool', values: Uint8Array.from({ length: size }, (_, k) => (vals[k] ? 1 : 0)), valid };
  if (vals.some((x) => typeof x === 'bigint')) {
    const out: bigint[] = new Array<bigint>(size);
    for (let k = 0; k < size; k++) { const x = vals[k]; out[k] = x === null || x === undefined ? 0n : BigInt(x as number | bigint); }
    return { t: 'big', type, values: out, valid };
  }
  const out = new Float64Array(size);
  for (let k = 0; k < size; k++) { const x = vals[k]; if (typeof x === 'number') out[k] = x; }
  return { t: 'num', type, values: out, valid };
}

/** arg_min / arg_max: per group the best `val` so far and the `arg` of its row. */
class ArgState implements ExtState {
  private best: Scalar[] = [];
  private args: Scalar[] = [];
  private readonly isFloat: boolean;
  constructor(private readonly isMin: boolean, private readonly argType: DataType, private readonly valType: DataType) {
    this.isFloat = valType === 'float64';
  }

  grow(cap: number): void {
    while (this.best.length < cap) { this.best.push(null); this.args.push(null); }
  }

  private offer(k: number, val: Scalar, arg: Scalar): void {
    const cur = this.best[k];
    if (cur !== null && cur !== undefined) {
      const c = cmpScalars(val, cur, this.isFloat);
      if (this.isMin ? c >= 0 : c <= 0) return;
    }
    this.best[k] = val;
    this.args[k] = arg;
  }

  update(g: Int32Array, args: Vec[], n: number): void {
    const a = args[0]!;
    const v = args[1]!;
    for (let i = 0; i < n; i++) {
      const val = scalarAt(v, i);
      if (val === null) continue;
      const arg = scalarAt(a, i);
      if (arg === null) continue;
      this.offer(g[i]!, val, arg);
    }
  }

  reset(k: number): void {
    this.best[k] = null;
    this.args[k] = null;
  }

  partial(size: number): Vec[] {
    return [scalarsToVec(this.valType, this.best, size), scalarsToVec(this.argType, this.args, size)];
  }

  merge(g: Int32Array, cols: Vec[], n: number): void {
    const [v, a] = cols as [Vec, Vec];
    for (let i = 0; i < n; i++) {
      const val = scalarAt(v, i);
      if (val === null) continue;
      this.offer(g[i]!, val, scalarAt(a, i));
    }
  }

  finish(size: number): Vec {
    return scalarsToVec(this.argType, this.args, size);
  }
}
