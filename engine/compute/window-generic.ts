/**
 * Any aggregate over window frames through the hash aggregator (compute/aggregate.ts): for the
 * aggregates and forms the dedicated frame kernels (window-aggs.ts) do not cover — DISTINCT over
 * moving frames, and every aggregate kind the aggregator knows. Pure and synchronous.
 *
 * - Frames that are each row's whole partition: one group per partition (O(n)), the result
 *   broadcast to the partition's rows.
 * - Moving frames: each output row is a group fed with its frame's rows, in blocks of at most
 *   BLOCK_ROWS fed rows (memory bound: one block), so the cost is the sum of the frame sizes; a
 *   query whose frames add up to more than MAX_FED_ROWS is refused (`not supported yet`) rather
 *   than run for hours.
 * Over an empty frame the result is NULL, except count (0).
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { AggCall } from '../plan/types.js';
import { HashAggregator } from './aggregate.js';
import { concatChunks, take, type Vec } from './vec.js';
import type { Frames } from './window-aggs.js';

const BLOCK_ROWS = 1 << 20;
const MAX_FED_ROWS = 64 * BLOCK_ROWS;

function int64(values: Float64Array): Vec {
  return { t: 'num', type: 'int64', values, valid: null };
}

/** Runs `agg` over the rows `rows` grouped by `gids` (group g = output row g − base) → value per output row. */
function aggregateGroups(agg: AggCall, arg: Vec | null, extra: Vec[], rows: Int32Array, gids: Float64Array, outRows: number, base: number): Vec {
  const a = new HashAggregator(['int64'], [agg]);
  a.addChunk([int64(gids)], [arg ? take(arg, rows) : null], rows.length, undefined, extra.length ? [extra.map((v) => take(v, rows))] : undefined);
  const fin = a.finish();
  const g = fin.cols[0] as Extract<Vec, { t: 'num' }>;
  const idx = new Int32Array(outRows).fill(-1);
  for (let i = 0; i < fin.length; i++) idx[g.values[i]! - base] = i;
  const out = take(fin.cols[1]!, idx);
  if ((agg.fn === 'count' || agg.fn === 'count_star' || agg.fn === 'approx_count_distinct') && out.t === 'num') {
    for (let i = 0; i < outRows; i++) if (idx[i]! < 0) out.values[i] = 0;
    return { ...out, valid: null };
  }
  return out;
}

/** `agg` over each row's frame; `partStart`/`partEnd` per row as in window-frames.ts. */
export function frameAggregate(agg: AggCall, arg: Vec | null, f: Frames, partStart: Int32Array, partEnd: Int32Array, n: number, extra: Vec[] = []): Vec {
  let whole = true;
  for (let i = 0; i < n && whole; i++) whole = f.start[i] === partStart[i] && f.end[i] === partEnd[i];
  if (whole) {
    // Group = the partition's first row; every row is fed once.
    const rows = new Int32Array(n);
    const gids = new Float64Array(n);
    for (let i = 0; i < n; i++) { rows[i] = i; gids[i] = partStart[i]!; }
    const perFirst = aggregateGroups(agg, arg, extra, rows, gids, n, 0);
    return take(perFirst, partStart);
  }
  let fed = 0;
  for (let i = 0; i < n; i++) fed += f.end[i]! - f.start[i]!;
  if (fed > MAX_FED_ROWS) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: ${agg.fn}(${agg.distinct ? 'DISTINCT ' : ''}…) over moving window frames of ${fed} rows in total (at most ${MAX_FED_ROWS})`, {
      help: 'Use a smaller frame, PARTITION BY more keys, or a whole-partition window (no ORDER BY / frame).',
    });
  }
  const parts: Vec[] = [];
  for (let lo = 0; lo < n;) {
    // One block: output rows [lo, hi) whose frames add up to at most BLOCK_ROWS (at least one row).
    let hi = lo;
    let size = 0;
    while (hi < n && (hi === lo || size + f.end[hi]! - f.start[hi]! <= BLOCK_ROWS)) { size += f.end[hi]! - f.start[hi]!; hi++; }
    const rows = new Int32Array(size);
    const gids = new Float64Array(size);
    let k = 0;
    for (let i = lo; i < hi; i++) for (let j = f.start[i]!; j < f.end[i]!; j++) { rows[k] = j; gids[k++] = i; }
    parts.push(aggregateGroups(agg, arg, extra, rows, gids, hi - lo, lo));
    lo = hi;
  }
  if (parts.length === 1) return parts[0]!;
  const v0 = parts[0]!;
  const type = v0.t === 'num' || v0.t === 'big' ? v0.type : v0.t === 'bool' ? 'boolean' : 'string';
  return concatChunks(parts.map((v) => ({ length: v.t === 'str' ? v.codes.length : v.values.length, cols: [v] })), [type]).cols[0]!;
}
