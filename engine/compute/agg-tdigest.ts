/**
 * approx_quantile: a merging T-digest per group (Dunning & Ertl, "Computing Extremely Accurate
 * Quantiles Using t-Digests", 2019), as DuckDB uses. Values are buffered and folded into at most
 * about DELTA centroids with the k1 scale function (k(q) = δ/2π · asin(2q − 1)), which keeps the
 * centroids near the tails small: the error is smallest at extreme quantiles, typically well
 * under 1% of the value range in the middle. Groups of up to DELTA values keep one centroid per
 * value, so their answer interpolates between the values themselves.
 *
 * Memory: O(DELTA + BUFFER) numbers per group, whatever its size. Partial states travel as one
 * string cell per group ("mean:weight,…", doubles in shortest round-trip form); merging adds
 * the other digest's centroids and recompresses. The estimate at q interpolates between
 * centroid centres (the first and last centroid answer the extremes). Integer inputs answer
 * the rounded estimate (DuckDB returns the input type); NaN values are skipped.
 * Synchronous; deterministic for a given input and merge order.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { DataType } from '../plan/types.js';
import type { ExtState } from './agg-stats.js';
import type { Vec } from './vec.js';

const DELTA = 100;
const BUFFER = 500;

interface Digest {
  /** Centroids, sorted by mean. */
  means: number[];
  weights: number[];
  /** Unit-weight values not yet folded in (`bn` of them). */
  buf: Float64Array;
  bn: number;
}

const k1 = (q: number): number => (DELTA / (2 * Math.PI)) * Math.asin(2 * Math.min(1, Math.max(0, q)) - 1);

function newDigest(): Digest {
  return { means: [], weights: [], buf: new Float64Array(BUFFER), bn: 0 };
}

/**
 * Folds the buffer into the centroids: the buffer is sorted natively (no comparator) and merged
 * with the sorted centroids in one pass, which greedily joins neighbours while the joined
 * centroid spans at most one unit of k1.
 */
function compress(d: Digest): void {
  if (d.bn === 0) return;
  const b = d.buf.subarray(0, d.bn).sort();
  const cm = d.means;
  const cw = d.weights;
  const n = cm.length + b.length;
  let total = b.length;
  for (const x of cw) total += x;
  const means: number[] = [];
  const weights: number[] = [];
  let i = 0;
  let j = 0;
  let m = 0;
  let w = 0;
  let before = 0;
  let kLeft = k1(0);
  const few = n <= DELTA;
  for (let k = 0; k < n; k++) {
    // The next point of the two sorted runs (centroids, buffer), without allocating.
    let x: number;
    let xw: number;
    if (j >= b.length || (i < cm.length && cm[i]! <= b[j]!)) { x = cm[i]!; xw = cw[i++]!; } else { x = b[j++]!; xw = 1; }
    if (k === 0) { m = x; w = xw; continue; }
    // Few points: keep each one, so small groups interpolate between their values.
    if (!few && k1((before + w + xw) / total) - kLeft <= 1) {
      w += xw;
      m += (x - m) * (xw / w);
    } else {
      means.push(m);
      weights.push(w);
      before += w;
      kLeft = k1(before / total);
      m = x;
      w = xw;
    }
  }
  means.push(m);
  weights.push(w);
  d.means = means;
  d.weights = weights;
  d.bn = 0;
}

/** Adds another digest's centroid (a merge): inserted in mean order, recompressed when the centroids pile up. */
function addCentroid(d: Digest, m: number, w: number): void {
  compress(d);
  let lo = 0;
  let hi = d.means.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (d.means[mid]! <= m) lo = mid + 1; else hi = mid; }
  d.means.splice(lo, 0, m);
  d.weights.splice(lo, 0, w);
  if (d.means.length > 4 * DELTA) {
    // Recompress through the buffer path: move everything into sorted centroids again.
    const means = d.means;
    const weights = d.weights;
    d.means = [];
    d.weights = [];
    let total = 0;
    for (const x of weights) total += x;
    let before = 0;
    let cm = means[0]!;
    let cw = weights[0]!;
    for (let k = 1; k < means.length; k++) {
      const x = means[k]!;
      const xw = weights[k]!;
      if (k1((before + cw + xw) / total) - k1(before / total) <= 1) { cw += xw; cm += (x - cm) * (xw / cw); } else { d.means.push(cm); d.weights.push(cw); before += cw; cm = x; cw = xw; }
    }
    d.means.push(cm);
    d.weights.push(cw);
  }
}

function estimate(d: Digest, q: number): number {
  compress(d);
  const { means, weights } = d;
  const n = means.length;
  if (n === 1) return means[0]!;
  let total = 0;
  for (const x of weights) total += x;
  const target = q * total;
  let cum = 0;
  let prevCentre = weights[0]! / 2;
  if (target <= prevCentre) return means[0]!;
  cum = weights[0]!;
  for (let i = 1; i < n; i++) {
    const centre = cum + weights[i]! / 2;
    if (target < centre) {
      const t = (target - prevCentre) / (centre - prevCentre);
      return means[i - 1]! + t * (means[i]! - means[i - 1]!);
    }
    prevCentre = centre;
    cum += weights[i]!;
  }
  return means[n - 1]!;
}

export class TDigestState implements ExtState {
  private digests: Array<Digest | null> = [];
  constructor(private readonly q: number, private readonly type: DataType) {}

  grow(cap: number): void {
    while (this.digests.length < cap) this.digests.push(null);
  }

  private at(k: number): Digest {
    let d = this.digests[k];
    if (!d) { d = newDigest(); this.digests[k] = d; }
    return d;
  }

  update(g: Int32Array, args: Vec[], n: number): void {
    const v = args[0]!;
    if (v.t !== 'num' && v.t !== 'big') throw new LakehouseError('INTERNAL', `approx_quantile over a ${v.t} vector`);
    for (let i = 0; i < n; i++) {
      if (v.valid !== null && v.valid[i] === 0) continue;
      const x = Number(v.values[i]!);
      if (x !== x) continue;
      const d = this.at(g[i]!);
      d.buf[d.bn++] = x;
      if (d.bn === BUFFER) compress(d);
    }
  }

  reset(k: number): void {
    this.digests[k] = null;
  }

  partial(size: number): Vec[] {
    const dict: string[] = [''];
    const codes = new Int32Array(size);
    const valid = new Uint8Array(size);
    for (let k = 0; k < size; k++) {
      const d = this.digests[k];
      if (!d) continue;
      compress(d);
      valid[k] = 1;
      codes[k] = dict.length;
      dict.push(d.means.map((m, i) => `${m}:${d.weights[i]}`).join(','));
    }
    return [{ t: 'str', codes, dict, valid }];
  }

  merge(g: Int32Array, cols: Vec[], n: number): void {
    const c = cols[0]!;
    if (c.t !== 'str') throw new LakehouseError('INTERNAL', `an approx_quantile digest arrived as a ${c.t} column`);
    for (let i = 0; i < n; i++) {
      if (c.valid !== null && c.valid[i] === 0) continue;
      const d = this.at(g[i]!);
      for (const part of c.dict[c.codes[i]!]!.split(',')) {
        const sep = part.indexOf(':');
        addCentroid(d, Number(part.slice(0, sep)), Number(part.slice(sep + 1)));
      }
    }
  }

  finish(size: number): Vec {
    const out = new Float64Array(size);
    const valid = new Uint8Array(size);
    const round = this.type !== 'float64';
    for (let k = 0; k < size; k++) {
      const d = this.digests[k];
      if (!d) continue;
      const e = estimate(d, this.q);
      out[k] = round ? Math.round(e) : e;
      valid[k] = 1;
    }
    return { t: 'num', type: this.type, values: out, valid };
  }
}
