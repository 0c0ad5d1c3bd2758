/**
 * Holistic aggregates — quantile_cont/quantile_disc (percentile_cont/percentile_disc, median),
 * approx_quantile and string_agg — need every value of a group, so their "partial state" is the
 * values themselves: a task collects (group, value, order keys…) rows and ships them as one side
 * chunk [group keys…, value, order keys…] (as DISTINCT aggregates ship their (key, value) pairs);
 * the merging aggregator collects the side chunks of all tasks and computes each group's result
 * in `finish`, after one sort of all collected rows by (group, order).
 *
 * Memory bound: O(collected values) — every non-NULL input value of every group, in the task
 * that reads it and again where it is merged. Past MAX_VALUES values in one aggregator the query
 * fails with RESOURCE_LIMIT instead of exhausting the heap.
 *
 * Semantics (DuckDB's): NULL values are skipped; a group without values is NULL. quantile_disc
 * takes the value at index ⌈n·q⌉ − 1 (q's decimal literal in exact arithmetic); quantile_cont
 * interpolates at RN = (n−1)·q: doubles as lo + (hi − lo)·d, decimals exactly as
 * lo + trunc((hi − lo)·d) in the decimal's own scale, dates/timestamps as timestamps in
 * microseconds likewise; BIGINTs beyond 2^53 are converted to double first (the result is a
 * DOUBLE). approx_quantile here is exact: quantile_cont, rounded to the integer type for integer
 * inputs (DuckDB's T-digest gives an estimate near it). string_agg concatenates in its ORDER BY
 * order, else in the order rows arrive (unspecified, as in DuckDB). DISTINCT drops repeated values
 * first.
 * Synchronous, deterministic for a given input order.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { decimalParts, type AggCall, type DataType, type Scalar } from '../plan/types.js';
import { scalarAt } from './casts.js';
import { cmpScalars } from './eval.js';
import { scalarsToVec } from './agg-stats.js';
import { sortPermutation, type SortKey } from './sort.js';
import { concatChunks, take, type Chunk, type Vec } from './vec.js';

/** Values one aggregator may collect for its holistic aggregates (about 1–2 GB of heap). */
export const MAX_VALUES = 50_000_000;

export function isHolisticAgg(a: AggCall): boolean {
  return a.fn === 'quantile_cont' || a.fn === 'quantile_disc' || a.fn === 'approx_quantile' || a.fn === 'string_agg';
}

/** Types of the collected columns: the value, then the `extra` inputs (string_agg's ORDER BY keys). */
export function holisticTypes(a: AggCall): DataType[] {
  return [a.arg!.type, ...(a.extra ?? []).map((e) => e.type)];
}

const US_PER_DAY = 86_400_000_000;

export class ValueCollector {
  private parts: Array<{ g: Int32Array; cols: Vec[] }> = [];
  private count = 0;
  private readonly types: DataType[];

  constructor(private readonly a: AggCall, private readonly budget: { used: number }) {
    this.types = holisticTypes(a);
  }

  /** Rows of one chunk: `g` their groups, `cols` the value and extra inputs; rows in group `skip` or with a NULL value are left out. */
  add(g: Int32Array, cols: Vec[], n: number, skip = -1): void {
    const v = cols[0]!;
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if ((v.valid === null || v.valid[i]) && g[i] !== skip) keep.push(i);
    if (keep.length === 0) return;
    const sel = Int32Array.from(keep);
    this.count += sel.length;
    this.budget.used += sel.length;
    if (this.budget.used > MAX_VALUES) {
      throw new LakehouseError('RESOURCE_LIMIT', `${this.a.fn}() needs all values of each group and the query has more than ${MAX_VALUES} of them`, {
        help: 'Aggregate fewer rows (filter first), or use an approximate aggregate: approx_quantile, approx_count_distinct.',
      });
    }
    const gs = new Int32Array(sel.length);
    for (let j = 0; j < sel.length; j++) gs[j] = g[sel[j]!]!;
    this.parts.push({ g: gs, cols: cols.map((c) => take(c, sel)) });
  }

  /** The collected rows as [group id (int64), value, extra…]. */
  private rows(): Chunk {
    const types: DataType[] = ['int64', ...this.types];
    const chunks = this.parts.map((p): Chunk => ({ length: p.g.length, cols: [{ t: 'num', type: 'int64', values: Float64Array.from(p.g), valid: null }, ...p.cols] }));
    if (chunks.length === 0) return { length: 0, cols: [] };
    return concatChunks(chunks, types);
  }

  /** The side chunk of a partial: the group keys of each collected row (`keyOf`), its value and extras. */
  sideChunk(keyVecs: Vec[]): Chunk {
    const r = this.rows();
    if (r.length === 0) return { length: 0, cols: [...keyVecs.map((k) => take(k, new Int32Array(0))), ...this.types.map((t) => scalarsToVec(t, [], 0))] };
    const gid = r.cols[0] as Extract<Vec, { t: 'num' }>;
    const sel = Int32Array.from(gid.values);
    return { length: r.length, cols: [...keyVecs.map((k) => take(k, sel)), ...r.cols.slice(1)] };
  }

  finish(size: number): Vec {
    const a = this.a;
    const out: Scalar[] = new Array<Scalar>(size).fill(null);
    const r = this.rows();
    if (r.length > 0) {
      const gid = r.cols[0] as Extract<Vec, { t: 'num' }>;
      const value = r.cols[1]!;
      const keys: SortKey[] = [{ vec: gid, desc: false, nullsFirst: false }];
      const order = a.order ?? [];
      if (a.fn === 'string_agg') {
        (a.extra ?? []).forEach((_, j) => keys.push({ vec: r.cols[2 + j]!, desc: order[j]!.desc, nullsFirst: order[j]!.nullsFirst }));
        if (a.distinct && keys.length === 1) keys.push({ vec: value, desc: false, nullsFirst: false });
      } else {
        keys.push({ vec: value, desc: order[0]?.desc ?? false, nullsFirst: false });
      }
      const perm = sortPermutation(r.length, keys);
      const isFloat = a.arg!.type === 'float64';
      let lo = 0;
      while (lo < perm.length) {
        const g = gid.values[perm[lo]!]!;
        let hi = lo;
        while (hi < perm.length && gid.values[perm[hi]!] === g) hi++;
        let vals: Scalar[] = [];
        for (let i = lo; i < hi; i++) vals.push(scalarAt(value, perm[i]!));
        if (a.distinct) vals = vals.filter((x, i) => i === 0 || cmpScalars(x, vals[i - 1]!, isFloat) !== 0);
        out[g] = this.result(vals);
        lo = hi;
      }
    }
    return scalarsToVec(a.type, out, size);
  }

  private result(vals: Scalar[]): Scalar {
    const a = this.a;
    if (a.fn === 'string_agg') return vals.join(a.param as string);
    const q = a.param as { num: number; den: number };
    const n = vals.length;
    if (a.fn === 'quantile_disc') {
      const floored = Math.floor((n * q.den - n * q.num) / q.den);
      return vals[Math.max(1, n - floored) - 1]!;
    }
    const rn = (n - 1) * (q.num / q.den);
    const f = Math.floor(rn);
    const c = Math.ceil(rn);
    const argType = a.arg!.type;
    const lo = vals[f]!;
    const hi = vals[c]!;
    const d = rn - f;
    let v: Scalar;
    if (decimalParts(a.type)) {
      if (f === c) return lo;
      if (typeof lo === 'bigint' || typeof hi === 'bigint') v = BigInt(lo as number | bigint) + BigInt(Math.trunc(Number(BigInt(hi as number | bigint) - BigInt(lo as number | bigint)) * d));
      else v = (lo as number) + Math.trunc(((hi as number) - (lo as number)) * d);
    } else if (a.type === 'timestamp') {
      const scale = argType === 'date' ? US_PER_DAY : 1;
      const l = Number(lo) * scale;
      v = f === c ? l : l + Math.trunc((Number(hi) * scale - l) * d);
    } else {
      const l = Number(lo);
      v = f === c ? l : l + (Number(hi) - l) * d;
    }
    if (a.fn === 'approx_quantile' && a.type !== 'float64') v = Math.round(Number(v));
    return v;
  }
}
