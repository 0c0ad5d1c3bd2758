/**
 * Nested-loop join kernel: the join of last resort, for a condition with no equality between the
 * two sides (`a.x < b.y`, `a.s LIKE b.p || '%'`, a cross join, `ON true`). Every (probe row,
 * build row) pair is formed in blocks of at most `PAIR_BLOCK` pairs, the condition (`residual`,
 * a predicate over left columns then right columns; none = every pair matches) is evaluated on a
 * block with the ordinary vector kernels, and the matching pairs are gathered.
 *
 * Sides: the right input is the build side (collected in full, at most `NESTED_LOOP_LIMITS.buildRows`
 * rows); the left input streams through as the probe side. The planner puts the smaller input of
 * an inner join on the right (plan/join-order.ts); outer joins keep their sides.
 *
 * Kinds (engine/plan/logical.ts): inner, left (unmatched probe rows padded with NULLs), right and
 * full (unmatched build rows are emitted once, after the whole probe side: this kernel holds the
 * only copy of the build side, so its match bitmap is complete), semi / anti (probe rows with /
 * without a match), mark (probe rows plus TRUE/FALSE, or NULL when `nullAware` and some pair's
 * condition was NULL and none TRUE), single (like left, but a second match of one probe row is a
 * CARDINALITY_VIOLATION).
 *
 * Bounds: a join that would evaluate more than `NESTED_LOOP_LIMITS.pairs` pairs, or collect more
 * than `buildRows` build rows, fails with RESOURCE_LIMIT before it allocates for them — never an
 * out-of-memory abort or a RangeError. Memory: the build side plus one block of pairs (and, for
 * inner/left/right/full, the block's matches). Synchronous per block; single-threaded (it runs on
 * the coordinator). Deterministic: output follows probe order, then build order within a probe
 * row; unmatched build rows come last in build order.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { JoinKind } from '../plan/logical.js';
import type { DataType, Expr } from '../plan/types.js';
import { compileExpr, evalVec } from './eval.js';
import { allNull, concatChunks, emptyChunk, take, takeSel, type Chunk, type Vec } from './vec.js';

/**
 * The documented bounds of a nested-loop join: at most 100M pairs evaluated (a few seconds of
 * kernel time; above it the query needs an equality between the sides or a smaller input) and
 * at most 2M build rows held in memory.
 */
export const NESTED_LOOP_LIMITS = { pairs: 100_000_000, buildRows: 2_000_000 };

/** Pairs evaluated per block: large enough to amortise the kernel calls, small enough for the cache. */
const PAIR_BLOCK = 65_536;

export interface NestedLoopSpec {
  kind: JoinKind;
  residual: Expr | null;
  nullAware?: boolean;
  leftTypes: DataType[];
  rightTypes: DataType[];
  /** Overrides of NESTED_LOOP_LIMITS (tests). */
  limits?: { pairs: number; buildRows: number };
}

function limitError(what: string, limit: number): LakehouseError {
  return new LakehouseError('RESOURCE_LIMIT', `a nested-loop join would ${what} (limit ${limit.toLocaleString('en-US')})`, {
    help: 'The join condition has no equality between the two sides, so every pair of rows is compared. Add an equality (a.key = b.key) to the ON/WHERE condition, or filter the inputs so they are smaller.',
    details: { limit },
  });
}

/** Collects a stream into one chunk, failing once it holds more than `maxRows` rows. */
export async function collectBounded(input: AsyncIterable<Chunk>, types: DataType[], maxRows: number = NESTED_LOOP_LIMITS.buildRows): Promise<Chunk> {
  const parts: Chunk[] = [];
  let rows = 0;
  for await (const c of input) {
    if (!c.length) continue;
    rows += c.length;
    if (rows > maxRows) throw limitError(`hold more than ${maxRows.toLocaleString('en-US')} build rows`, maxRows);
    parts.push(c);
  }
  return parts.length === 0 ? emptyChunk(types) : parts.length === 1 ? parts[0]! : concatChunks(parts, types);
}

/** Output columns of the join of a chunk's rows `pidx` with build rows `bidx` (−1 = NULLs). */
function gather(probe: Chunk, pidx: Int32Array, build: Chunk, bidx: Int32Array, rightTypes: DataType[], n: number): Chunk {
  const bcols = build.length === 0 ? rightTypes.map((t) => allNull(t, n)) : build.cols.map((v) => take(v, bidx, n));
  return { length: n, cols: [...probe.cols.map((v) => take(v, pidx, n)), ...bcols] };
}

/**
 * Joins the probe stream (left input) with the collected build side (right input). Yields chunks
 * in the layout of the join's kind (see the module header).
 */
export async function* nestedLoopJoin(spec: NestedLoopSpec, build: Chunk, probe: AsyncIterable<Chunk>): AsyncGenerator<Chunk> {
  const limits = spec.limits ?? NESTED_LOOP_LIMITS;
  const { kind, leftTypes, rightTypes } = spec;
  if (build.length > limits.buildRows) throw limitError(`hold ${build.length.toLocaleString('en-US')} build rows`, limits.buildRows);
  const ev = spec.residual ? compileExpr(spec.residual) : null;
  const m = build.length;
  const buildMatched = kind === 'right' || kind === 'full' ? new Uint8Array(m) : null;
  const padsProbe = kind === 'left' || kind === 'full' || kind === 'single';
  let pairsSoFar = 0;
  for await (const c of probe) {
    const n = c.length;
    if (n === 0) continue;
    pairsSoFar += n * m;
    if (pairsSoFar > limits.pairs) throw limitError(`compare more than ${limits.pairs.toLocaleString('en-US')} pairs of rows (build side: ${m.toLocaleString('en-US')} rows)`, limits.pairs);
    // Per probe row: matches so far; for mark joins also whether a condition was NULL.
    const matches = new Int32Array(n);
    // Null-aware anti joins (`x > ALL (…)`, NOT IN without keys) drop a row whose condition was
    // NULL for some pair too: that row's answer is UNKNOWN, not TRUE.
    const unknown = (kind === 'mark' || kind === 'anti') && spec.nullAware ? new Uint8Array(n) : null;
    const emits = kind === 'inner' || kind === 'left' || kind === 'right' || kind === 'full' || kind === 'single';
    const total = n * m;
    for (let start = 0; start < total; start += PAIR_BLOCK) {
      const len = Math.min(PAIR_BLOCK, total - start);
      const pidx = new Int32Array(len);
      const bidx = new Int32Array(len);
      for (let k = 0; k < len; k++) {
        const f = start + k;
        const i = Math.floor(f / m);
        pidx[k] = i;
        bidx[k] = f - i * m;
      }
      let keep: Int32Array;
      if (ev) {
        const pairs: Chunk = { length: len, cols: [...c.cols.map((v) => takeSel(v, pidx)), ...build.cols.map((v) => takeSel(v, bidx))] };
        const pred = evalVec(ev, pairs);
        keep = selected(pred, len, unknown, pidx);
      } else {
        keep = new Int32Array(len);
        for (let k = 0; k < len; k++) keep[k] = k;
      }
      const kn = keep.length;
      if (kn === 0) continue;
      const mp = new Int32Array(kn);
      const mb = new Int32Array(kn);
      for (let k = 0; k < kn; k++) {
        const q = keep[k]!;
        mp[k] = pidx[q]!;
        mb[k] = bidx[q]!;
        matches[mp[k]!]!++;
        if (buildMatched) buildMatched[mb[k]!] = 1;
      }
      if (kind === 'single') for (let k = 0; k < kn; k++) if (matches[mp[k]!]! > 1) throw cardinality();
      if (emits) yield gather(c, mp, build, mb, rightTypes, kn);
    }
    if (padsProbe) {
      const miss = rowsWhere(matches, (x) => x === 0);
      if (miss.length) yield gather(c, miss, build, new Int32Array(miss.length).fill(-1), rightTypes, miss.length);
    } else if (kind === 'semi' || kind === 'anti') {
      const rows = kind === 'semi' ? rowsWhere(matches, (x) => x > 0) : rowsWhere(matches, (x, i) => x === 0 && !(unknown && unknown[i]));
      if (rows.length) yield { length: rows.length, cols: c.cols.map((v) => takeSel(v, rows)) };
    } else if (kind === 'mark') {
      const values = new Uint8Array(n);
      let valid: Uint8Array | null = null;
      for (let i = 0; i < n; i++) values[i] = matches[i]! > 0 ? 1 : 0;
      if (unknown) {
        valid = new Uint8Array(n);
        for (let i = 0; i < n; i++) valid[i] = values[i] || !unknown[i] ? 1 : 0;
      }
      const mark: Vec = { t: 'bool', values, valid };
      yield { length: n, cols: [...c.cols, mark] };
    }
  }
  if (buildMatched) {
    const miss = rowsWhere(buildMatched, (x) => x === 0);
    if (miss.length) {
      const cols = [...leftTypes.map((t) => allNull(t, miss.length)), ...build.cols.map((v) => takeSel(v, miss))];
      yield { length: miss.length, cols };
    }
  }
}

/** Pair positions whose condition is TRUE; marks the probe rows of NULL outcomes in `unknown`. */
function selected(pred: Vec, n: number, unknown: Uint8Array | null, pidx: Int32Array): Int32Array {
  if (pred.t !== 'bool') throw new LakehouseError('INTERNAL', 'a join condition did not evaluate to a boolean');
  const vals = pred.values;
  const valid = pred.valid;
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const ok = valid === null || valid[i] === 1;
    if (ok && vals[i]) out[k++] = i;
    else if (!ok && unknown) unknown[pidx[i]!] = 1;
  }
  return out.subarray(0, k);
}

function rowsWhere(xs: Int32Array | Uint8Array, pred: (x: number, i: number) => boolean): Int32Array {
  let count = 0;
  for (let i = 0; i < xs.length; i++) if (pred(xs[i]!, i)) count++;
  const out = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < xs.length; i++) if (pred(xs[i]!, i)) out[k++] = i;
  return out;
}

function cardinality(): LakehouseError {
  return new LakehouseError('CARDINALITY_VIOLATION', 'a scalar subquery returned more than one row', {
    help: 'Make the subquery return at most one row per outer row (aggregate it, add a LIMIT 1, or tighten its WHERE clause).',
  });
}
