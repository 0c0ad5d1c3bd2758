/**
 * A plan fragment: one scan task followed by streaming operators (filter, project, broadcast
 * hash-join probe, limit) and optionally a partial aggregation. Fragments are plain data; the
 * same `runFragment` runs them in a worker thread (the normal case) or on the coordinator thread
 * (tasks over in-process data). Expressions are compiled once per task, before the first batch.
 *
 * Broadcast builds arrive as Arrow IPC bytes and are hashed once per thread and build id (a
 * small per-thread cache, so the tasks of one query that land on the same worker share it).
 * A partition of a shuffled join is a task of kind 'ipc' carrying its probe rows and its build
 * rows (`build: 'task'`); that build is hashed for that task only.
 *
 * With `partition`, a fragment's output is split by the hash of key expressions into that many
 * chunks (one per partition, possibly empty): the map side of a shuffle. A partial aggregation's
 * chunks are split by their group keys, partition after partition ([main, ...distinct] each).
 * A `merge` fragment is the reduce side of a partitioned aggregation: it merges the partial
 * chunks of one partition (its payload, task after task) and returns final rows.
 */

import type { JoinKind } from '../plan/logical.js';
import * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import { HashAggregator, partialLayout } from '../compute/aggregate.js';
import { batchToChunk } from '../compute/arrow-io.js';
import { compileExpr, evalVec, type Evaluator } from '../compute/eval.js';
import { HashJoinBuild } from '../compute/join.js';
import { partitionIds, splitByPartition, xxh } from '../compute/partition.js';
import { concatChunks, emptyChunk, filterChunk, sliceChunk, type Chunk, type Vec } from '../compute/vec.js';
import type { AggCall, DataType, Expr } from '../plan/types.js';
import { openScan } from '../source/scan-executors.js';
import type { ScanTask } from '../source/table-source.js';
import { runSink, type SinkFile, type SinkSpec } from '../write/sink.js';
import { chunkFromBatchPositional, oneChunkFromIPC } from './ipc.js';
import { runWindowTask, type WindowFragment } from './window-exec.js';

export type FragmentOp =
  | { op: 'filter'; predicate: Expr }
  | { op: 'project'; exprs: Expr[] }
  /**
   * A hash-join probe (compute/join.ts): every join kind, with `residual` over probe ++ build
   * columns and null-aware `NOT IN` semantics. RIGHT/FULL emit the unmatched build rows when the
   * task's input ends (`build: 'task'` only: the task holds all build rows of its key range).
   */
  | {
      op: 'probe'; buildId: string; build: Uint8Array[] | 'task' | null; buildTypes: DataType[]; buildKeys: Expr[]; probeKeys: Expr[]; kind: JoinKind; keyTypes: DataType[];
      residual?: Expr | null; nullAware?: boolean; probeTypes: DataType[];
    }
  | { op: 'limit'; n: number };

export interface Fragment {
  task: ScanTask;
  scanColumns: Array<{ name: string; type: DataType }>;
  ops: FragmentOp[];
  /** Types of the chunks after `ops`. */
  types: DataType[];
  agg?: { keys: Expr[]; aggs: AggCall[] };
  /** Write the output as data files instead of returning it (see write/sink.ts). */
  sink?: SinkSpec;
  /** Return the output split into `parts` chunks by the hash of `keys` (see compute/partition.ts). */
  partition?: { keys: Expr[]; parts: number; dropNull: boolean };
  /** Merge partial aggregates carried in the task's payload instead of scanning (see above). */
  merge?: { keyTypes: DataType[]; aggs: AggCall[] };
  /** Window functions over the partition rows carried in the task's payload (exec/window-exec.ts). */
  window?: WindowFragment;
}

/**
 * The task of one partition of a shuffled join: its probe rows (the first `probeBuffers` payload
 * entries) and its build rows (the rest), as Arrow IPC.
 */
export interface IpcScanTask extends ScanTask {
  kind: 'ipc';
  payload: Uint8Array[];
  probeBuffers: number;
}

export interface FragmentResult {
  /** Files written by a sink fragment. */
  files?: SinkFile[];
  /** Output chunks (non-aggregating fragments) or [partial, ...distinct partials]. */
  chunks: Chunk[];
  types: DataType[][];
  stats: { decodeMs: number; computeMs: number; rowsIn: number; ops?: OpStats[] };
}

/** What one fragment op produced in one task (EXPLAIN ANALYZE): rows and approximate bytes out, compute time. */
export interface OpStats {
  rows: number;
  bytes: number;
  ms: number;
}

/** Approximate in-memory bytes of a chunk (8 per number, 1 per boolean, 4 per string code plus its text). */
export function chunkBytes(c: Chunk): number {
  let b = 0;
  for (const v of c.cols) {
    if (v.t === 'bool') b += c.length;
    else if (v.t === 'str') {
      // Average entry length over a sample of the dictionary: exact enough, and O(1) per chunk.
      const d = v.dict;
      let chars = 0;
      const m = Math.min(d.length, 32);
      for (let i = 0; i < m; i++) chars += d[i]!.length;
      b += c.length * (4 + (m ? chars / m : 0));
    } else b += c.length * 8;
  }
  return Math.round(b);
}

const builds = new Map<string, HashJoinBuild>();
const MAX_BUILDS = 4;

/** Registers a build on this thread (the coordinator does so for its local tasks). */
export function registerBuild(id: string, build: HashJoinBuild): void {
  builds.set(id, build);
  while (builds.size > MAX_BUILDS) builds.delete(builds.keys().next().value!);
}

export function dropBuild(id: string): void {
  builds.delete(id);
}

function hashBuild(op: Extract<FragmentOp, { op: 'probe' }>, buffers: Uint8Array[]): HashJoinBuild {
  const batches = buffers.flatMap((b) => arrow.tableFromIPC(b).batches);
  const chunk = batches.length
    ? concatChunks(batches.map((rb) => chunkFromBatchPositional(rb, op.buildTypes)), op.buildTypes)
    // An empty build keeps its column types (outer joins pad with NULLs of them).
    : emptyChunk(op.buildTypes);
  const keys = op.buildKeys.map((k) => evalVec(compileExpr(k), chunk));
  return new HashJoinBuild(chunk, keys, op.keyTypes, { nullAware: op.nullAware === true });
}

function buildFor(op: Extract<FragmentOp, { op: 'probe' }>, task: ScanTask): HashJoinBuild {
  if (op.build === 'task') {
    const t = task as IpcScanTask;
    return hashBuild(op, t.payload.slice(t.probeBuffers));
  }
  let b = builds.get(op.buildId);
  if (b) return b;
  if (!op.build) throw new LakehouseError('TASK_FAILED', `internal: join build ${op.buildId} is not available on this thread`);
  b = hashBuild(op, op.build);
  registerBuild(op.buildId, b);
  return b;
}

/** One streaming operator; `finish` returns what it holds back until the input ends (RIGHT/FULL joins). */
type Step = ((c: Chunk) => Chunk | null) & { finish?: () => Chunk | null };

/** Runs chunk `c` through `steps[from..]`. */
function runSteps(steps: Step[], c: Chunk | null, from = 0): Chunk | null {
  for (let i = from; i < steps.length; i++) {
    if (!c || c.length === 0) break;
    c = steps[i]!(c);
  }
  return c;
}

/** At the end of the input: what each step held back, through the steps after it. */
function finishSteps(steps: Step[]): Chunk[] {
  const out: Chunk[] = [];
  steps.forEach((s, i) => {
    const c = runSteps(steps, s.finish?.() ?? null, i + 1);
    if (c && c.length > 0) out.push(c);
  });
  return out;
}

function compileOps(ops: FragmentOp[], task: ScanTask): { steps: Step[]; done: () => boolean; stats: OpStats[] } {
  let exhausted = false;
  const stats = ops.map((): OpStats => ({ rows: 0, bytes: 0, ms: 0 }));
  const raw = ops.map((op): Step => {
    switch (op.op) {
      case 'filter': {
        const ev = compileExpr(op.predicate);
        return (c) => filterChunk(c, evalVec(ev, c));
      }
      case 'project': {
        const evs = op.exprs.map(compileExpr);
        return (c) => ({ length: c.length, cols: evs.map((ev) => evalVec(ev, c)) });
      }
      case 'probe': {
        const build = buildFor(op, task);
        const keys = op.probeKeys.map(compileExpr);
        const prober = build.prober({ kind: op.kind, residual: op.residual ?? null, nullAware: op.nullAware === true, probeTypes: op.probeTypes });
        const step: Step = (c) => prober.probe(c, keys.map((k) => evalVec(k, c)));
        step.finish = () => prober.finish();
        return step;
      }
      case 'limit': {
        let left = op.n;
        return (c) => {
          if (left <= 0) { exhausted = true; return null; }
          const out = c.length <= left ? c : sliceChunk(c, 0, left);
          left -= out.length;
          if (left <= 0) exhausted = true;
          return out;
        };
      }
    }
  });
  // Each step counts what it produces (EXPLAIN ANALYZE's rows, bytes and time per operator).
  const steps = raw.map((step, i): Step => {
    const s = stats[i]!;
    const count = (out: Chunk | null): Chunk | null => {
      if (out) {
        s.rows += out.length;
        s.bytes += chunkBytes(out);
      }
      return out;
    };
    const counted: Step = (c) => {
      const t0 = performance.now();
      const out = step(c);
      s.ms += performance.now() - t0;
      return count(out);
    };
    if (step.finish) {
      const fin = step.finish;
      counted.finish = () => count(fin());
    }
    return counted;
  });
  return { steps, done: () => exhausted, stats };
}

/** Fraction of surviving rows above which a WHERE before an aggregate becomes a row mask. */
const MASK_THRESHOLD = 0.3;

/** A sink fragment: the scan and its streaming operators feed the write sink. */
async function runSinkFragment(f: Fragment, sink: SinkSpec, signal?: AbortSignal): Promise<FragmentResult> {
  const { steps, done, stats: ops } = compileOps(f.ops, f.task);
  const stats = { decodeMs: 0, computeMs: 0, rowsIn: 0, ops };
  async function* produce(): AsyncGenerator<Chunk> {
    const it = openScan(f.task, signal)[Symbol.asyncIterator]();
    for (;;) {
      const t0 = performance.now();
      const next = await it.next();
      const t1 = performance.now();
      stats.decodeMs += t1 - t0;
      if (next.done) break;
      if (signal?.aborted) throw new LakehouseError('CANCELLED', 'task cancelled');
      stats.rowsIn += next.value.numRows;
      const c = runSteps(steps, batchToChunk(next.value, f.scanColumns));
      stats.computeMs += performance.now() - t1;
      if (c && c.length > 0) yield c;
      if (done()) {
        await it.return?.(undefined);
        break;
      }
    }
    if (!done()) for (const c of finishSteps(steps)) yield c;
  }
  const files = await runSink(sink, produce(), signal);
  return { chunks: [], types: [], files, stats };
}

/** Final aggregation of one partition: payload = [main, ...distinct] partial chunks of each map task. */
function runMerge(f: Fragment, merge: NonNullable<Fragment['merge']>): FragmentResult {
  const t0 = performance.now();
  const { out, rowsIn } = mergePackedPartials(f.task.payload ?? [], merge.keyTypes, merge.aggs);
  return { chunks: [out], types: [f.types], stats: { decodeMs: 0, computeMs: performance.now() - t0, rowsIn } };
}

/**
 * Merges partial aggregates packed as IPC — one buffer per chunk of the partial layout
 * ([main, ...distinct]), partial after partial — and returns the final rows.
 */
export function mergePackedPartials(buffers: Uint8Array[], keyTypes: DataType[], aggs: AggCall[]): { out: Chunk; rowsIn: number } {
  const layout = partialLayout(keyTypes, aggs);
  const partials: Chunk[][] = [];
  for (let t = 0; t + layout.length <= buffers.length; t += layout.length) partials.push(layout.map((types, j) => oneChunkFromIPC(buffers[t + j]!, types)));
  const rowsIn = partials.reduce((n, [main]) => n + main!.length, 0);
  // The partial rows bound the groups: presizing saves the table's rehashes while it grows.
  const merger = new HashAggregator(keyTypes, aggs, rowsIn);
  for (const [main, ...distinct] of partials) if (main!.length || distinct.some((d) => d.length)) merger.mergePartial(main!, distinct);
  return { out: merger.finish(), rowsIn };
}

/**
 * Runs a fragment. With `emit` (a plain pipeline: no aggregate, partition or sink), each output
 * chunk goes to `emit` as soon as it is computed, and awaited there (back-pressure: the scan
 * does not read ahead of the consumer); the result then carries no chunks.
 */
export async function runFragment(f: Fragment, signal?: AbortSignal, emit?: (c: Chunk) => Promise<void>): Promise<FragmentResult> {
  if (emit && (f.sink || f.merge || f.agg || f.partition || f.window)) throw new LakehouseError('INTERNAL', 'internal: only a plain pipeline fragment can stream its output');
  if (f.sink) return runSinkFragment(f, f.sink, signal);
  if (f.merge) return runMerge(f, f.merge);
  if (f.window) return runWindowTask(f, f.window);
  // A filter right before the partial aggregation is fused into it (see HashAggregator.addChunk).
  const last = f.ops[f.ops.length - 1];
  const fused = f.agg && last?.op === 'filter' ? compileExpr(last.predicate) : null;
  const { steps, done, stats: ops } = compileOps(fused ? f.ops.slice(0, -1) : f.ops, f.task);
  const fusedStats: OpStats = { rows: 0, bytes: 0, ms: 0 };
  if (fused) ops.push(fusedStats);
  let agg: { a: HashAggregator; keys: Evaluator[]; args: Array<Evaluator | null>; extra: Array<Evaluator[] | null> } | null = null;
  if (f.agg) {
    agg = {
      a: new HashAggregator(f.agg.keys.map((k) => k.type), f.agg.aggs),
      keys: f.agg.keys.map(compileExpr),
      args: f.agg.aggs.map((a) => (a.arg ? compileExpr(a.arg) : null)),
      extra: f.agg.aggs.map((a) => a.extra?.map(compileExpr) ?? null),
    };
  }
  const out: Chunk[] = [];
  let decodeMs = 0;
  let computeMs = 0;
  let rowsIn = 0;
  const it = openScan(f.task, signal)[Symbol.asyncIterator]();
  for (;;) {
    const t0 = performance.now();
    const next = await it.next();
    const t1 = performance.now();
    decodeMs += t1 - t0;
    if (next.done) break;
    if (signal?.aborted) throw new LakehouseError('CANCELLED', 'task cancelled');
    const batch = next.value;
    rowsIn += batch.numRows;
    const c = runSteps(steps, batchToChunk(batch, f.scanColumns));
    if (c && c.length > 0) await consume(c);
    computeMs += performance.now() - t1;
    if (done()) {
      await it.return?.(undefined);
      break;
    }
  }
  if (!done()) {
    const t1 = performance.now();
    for (const c of finishSteps(steps)) await consume(c);
    computeMs += performance.now() - t1;
  }
  async function consume(c: Chunk): Promise<void> {
    if (agg) {
      let chunk: Chunk = c;
      let mask: Uint8Array | undefined;
      if (fused) {
        const pred = evalVec(fused, chunk) as Extract<Vec, { t: 'bool' }>;
        const m = new Uint8Array(chunk.length);
        const pv = pred.values;
        const pvalid = pred.valid;
        let kept = 0;
        if (pvalid) for (let i = 0; i < m.length; i++) kept += m[i] = pv[i]! & pvalid[i]!;
        else for (let i = 0; i < m.length; i++) kept += m[i] = pv[i]!;
        fusedStats.rows += kept;
        if (kept < chunk.length * MASK_THRESHOLD) {
          chunk = filterChunk(chunk, pred);
        } else if (kept < chunk.length) {
          mask = m;
        }
      }
      const fin = chunk;
      if (fin.length > 0) agg.a.addChunk(agg.keys.map((k) => evalVec(k, fin)), agg.args.map((a) => (a ? evalVec(a, fin) : null)), fin.length, mask, agg.extra.map((es) => es?.map((e) => evalVec(e, fin)) ?? null));
    } else if (emit) await emit(c);
    else out.push(c);
  }
  const t2 = performance.now();
  let result: FragmentResult;
  if (agg) {
    const { main, distinct } = agg.a.partial();
    const layout = partialLayout(f.agg!.keys.map((k) => k.type), f.agg!.aggs);
    let chunks = [main, ...distinct];
    let types = layout;
    if (f.partition) {
      // Split every partial chunk by its group keys (its first columns), partition by partition.
      const { parts } = f.partition;
      const nk = f.agg!.keys.length;
      const h = await xxh();
      const split = chunks.map((c) => splitByPartition(c, partitionIds(c.cols.slice(0, nk), c.length, parts, h, false), parts));
      chunks = [];
      types = [];
      for (let p = 0; p < parts; p++) split.forEach((s, j) => { chunks.push(s[p]!); types.push(layout[j]!); });
    }
    result = { chunks, types, stats: { decodeMs, computeMs, rowsIn, ops } };
  } else if (f.partition) {
    const all = out.length ? concatChunks(out, f.types) : null;
    const { keys, parts, dropNull } = f.partition;
    const h = await xxh();
    const chunks = all
      ? splitByPartition(all, partitionIds(keys.map((k) => evalVec(compileExpr(k), all)), all.length, parts, h, dropNull), parts)
      : Array.from({ length: parts }, () => emptyChunk(f.types));
    result = { chunks, types: chunks.map(() => f.types), stats: { decodeMs, computeMs, rowsIn, ops } };
  } else {
    result = { chunks: out.length ? [concatChunks(out, f.types)] : [], types: out.length ? [f.types] : [], stats: { decodeMs, computeMs, rowsIn, ops } };
  }
  result.stats.computeMs += performance.now() - t2;
  return result;
}
