/**
 * The runtime: runs a physical plan (engine/physical/plan.ts) as a stream of chunks. Every
 * strategy was chosen by the planner (engine/physical/planner.ts); this file carries them out.
 *
 * Scans and the streaming operators above them (filter, project, limit, the probe side of a
 * hash join) become fragments: one per scan task, run in the worker pool (or on this thread for
 * in-process data). A `broadcast` join's build side is collected here and sent to the probe
 * tasks; a `partitioned` join hash-partitions (shuffles) both sides and joins each partition in
 * one task; a `local` join probes here. The one adaptive step: a broadcast build side that turns
 * out larger than `broadcastRows` is shuffled instead, and its node records
 * `adaptive: 'broadcast→partitioned'`. A grouped aggregation over a pipeline runs partially in
 * each fragment and is merged here or partition by partition on the pool, as planned.
 * Everything else — global aggregates, sort, union, joins whose probe side is not a scan
 * pipeline — runs here over the fragments' output. A write's Sink (the root of its plan) runs in
 * every task of its pipeline or here over the plan's output, as planned.
 *
 * Metrics (EXPLAIN ANALYZE): per node id, rows and approximate bytes out, time and the peak bytes
 * the operator held here. Operators inside tasks are counted by the tasks (summed over tasks);
 * operators here include the time of their inputs.
 *
 * Concurrency and cancellation: at most `maxInFlight` tasks of a query run at once and results are
 * consumed as tasks finish (order-insensitive; ORDER BY is a sort here). Every task gets the
 * query's AbortSignal: an error in one task, the caller's signal, or the consumer stopping early
 * (LIMIT, `break`) aborts the query's remaining tasks.
 */

import { createHash } from 'node:crypto';
import { LakehouseError } from '../../connectors/errors.js';
import { HashAggregator, partialLayout } from '../compute/aggregate.js';
import { compileExpr, evalVec } from '../compute/eval.js';
import { HashJoinBuild } from '../compute/join.js';
import { collectBounded, nestedLoopJoin } from '../compute/nested-loop.js';
import { partitionIds, splitByPartition, xxh } from '../compute/partition.js';
import { sortChunk } from '../compute/sort.js';
import { concatChunks, emptyChunk, filterChunk, sliceChunk, type Chunk } from '../compute/vec.js';
import { isPipeline, type PhysicalNode } from '../physical/plan.js';
import { joinPartitions, unswapExprs } from '../physical/planner.js';
import { andAll, type AggCall, type DataType, type Expr } from '../plan/types.js';
import type { ScanTask } from '../source/table-source.js';
import { runSink, type SinkFile, type SinkSpec } from '../write/sink.js';
import { chunkBytes, dropBuild, mergePackedPartials, registerBuild, runFragment, type Fragment, type FragmentOp, type IpcScanTask } from './fragment.js';
import { chunkToIPC } from './ipc.js';
import { executeWindow } from './window-exec.js';
import { runSetOp, valuesChunk } from './setop-exec.js';
import type { TaskOutput, WorkerPool } from './pool.js';

export interface QueryStats {
  tasks: number;
  rowsScanned: number;
  /** Planned bytes of the scan tasks run (compressed, projected columns). */
  bytesScanned: number;
  /** Snapshot id read per catalog table (null: the table had no snapshot). */
  inputSnapshots: Record<string, string | null>;
  decodeMs: number;
  computeMs: number;
  encodeMs: number;
  transferMs: number;
  queueMs: number;
  mergeMs: number;
  /** Joins whose build side was broadcast to the probe tasks, hash-partitioned (shuffled) joins,
   * joins probed on this thread, and
   * inner joins whose sides were swapped so the smaller one is the build side. */
  joins: { broadcast: number; partitioned: number; local: number; swapped: number };
  /** Grouped aggregations whose partitions were merged by tasks on the pool. */
  partitionedMerges: number;
}

export interface ExecContext {
  pool: WorkerPool;
  signal: AbortSignal;
  /** A broadcast build side with more rows than this is shuffled instead (the adaptive step). */
  broadcastRows: number;
  maxInFlight: number;
  stats: QueryStats;
  /** Test-only fault injection forwarded to workers. */
  fault?: string;
  /** Consume task outputs in task order (deterministic merges; writes use it). */
  ordered?: boolean;
}

/** EXPLAIN ANALYZE's measurements of one operator. */
export interface OpMetrics {
  rows: number;
  /** Approximate in-memory bytes of the output (a scan: the planned bytes it read). */
  bytes: number;
  ms: number;
  /** Peak bytes the operator held on the coordinator (builds, shuffled partitions, sort input, partial groups). */
  mem: number;
  /** Scans: rows decoded before their filters, and tasks run. */
  rowsRead?: number;
  tasks?: number;
  /** Partial aggregations: partial groups produced by the tasks. */
  partialRows?: number;
}

export interface WriteOutcome {
  files: SinkFile[];
  tasks: number;
  tasksReused: number;
}

/** Files a previous run of the same write already wrote for a task id (recovery), if any. */
export type ReuseLookup = (taskId: string) => Promise<SinkFile[] | undefined>;

export function newStats(): QueryStats {
  return { tasks: 0, rowsScanned: 0, bytesScanned: 0, inputSnapshots: {}, decodeMs: 0, computeMs: 0, encodeMs: 0, transferMs: 0, queueMs: 0, mergeMs: 0, joins: { broadcast: 0, partitioned: 0, local: 0, swapped: 0 }, partitionedMerges: 0 };
}

type ScanP = Extract<PhysicalNode, { op: 'scan' }>;
type JoinP = Extract<PhysicalNode, { op: 'hash-join' }>;
type AggP = Extract<PhysicalNode, { op: 'hash-aggregate' }>;
type SinkP = Extract<PhysicalNode, { op: 'sink' }>;

interface FragmentPlan {
  /** Where the tasks come from: a table scan, or the partitions of a shuffled join. */
  source: { scan: ScanP } | { tasks: ScanTask[]; columns: Array<{ name: string; type: DataType }> };
  ops: FragmentOp[];
  /** The plan node each op belongs to (-1: counted elsewhere), for the metrics. */
  opNodes: number[];
  types: DataType[];
}

/** How a write stage prepares each task: its sink, or the files a previous run already wrote. */
interface SinkStage {
  prepare(task: ScanTask, index: number, outputTypes: DataType[]): Promise<{ sink: SinkSpec } | { reused: SinkFile[] }>;
}

/** A task's output, with the task's position in its stage. */
type StageOutput = TaskOutput & { reused?: boolean; index: number };

let buildSeq = 0;
/**
 * Slices of a streamed query's output (see streamFragments): at most 64k rows or about 4 MiB of
 * Arrow IPC each, at most 2 unconsumed per running task. Measured with bench/stream-rss.ts.
 */
export const STREAM_LIMITS = { rows: 65_536, bytes: 4 * 1024 * 1024, window: 2 };
/** A streamed query adds a task when its consumer waited more than this share of at least this long. */
const STARVED_SHARE = 0.25;
const STARVED_MIN_MS = 50;

const typesOf = (p: PhysicalNode): DataType[] => p.schema.map((f) => f.type);

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** A write task's id: `t<k>-<hash of the plan fingerprint and the task>` (coordinator: `c0-<hash>`). */
export function writeTaskId(sink: SinkP, task: ScanTask | null, index: number): string {
  if (sink.taskId) return sink.taskId;
  return task ? `t${index}-${hash(`${sink.fingerprint}|${task.key ?? JSON.stringify(task)}`)}` : `c0-${hash(sink.fingerprint)}`;
}

export class Executor {
  private readonly builds: string[] = [];
  /** Per plan node id (EXPLAIN ANALYZE). */
  readonly metrics = new Map<number, OpMetrics>();

  constructor(private readonly ctx: ExecContext) {}

  async *run(plan: PhysicalNode): AsyncGenerator<Chunk> {
    try {
      yield* this.execute(plan);
    } finally {
      for (const id of this.builds) dropBuild(id);
    }
  }

  /**
   * Runs a write: the plan's root is a Sink. Placed in the tasks, every task of the pipeline
   * below writes its own files (a task whose id a previous run already wrote is skipped:
   * `reuse`); placed on the coordinator, the plan's output is written here as one task.
   */
  async write(plan: PhysicalNode, reuse?: ReuseLookup): Promise<WriteOutcome> {
    if (plan.op !== 'sink') throw new LakehouseError('INTERNAL', `internal: a write plan has a sink at its root, not ${plan.op}`);
    const m = this.m(plan.id);
    const t0 = performance.now();
    try {
      const outTypes = typesOf(plan.input);
      const spec = (taskId: string): SinkSpec => ({ ...plan.sink, taskId, outputTypes: outTypes });
      const out: WriteOutcome = { files: [], tasks: 0, tasksReused: 0 };
      if (plan.placement === 'coordinator') {
        const taskId = writeTaskId(plan, null, 0);
        const reused = reuse ? await reuse(taskId) : undefined;
        out.tasks = 1;
        if (reused) {
          out.tasksReused = 1;
          out.files = reused;
        } else out.files = await runSink(spec(taskId), this.execute(plan.input), this.ctx.signal);
      } else {
        const fp = await this.fragmentOf(plan.input);
        if (!fp) throw new LakehouseError('INTERNAL', 'internal: a sink placed in the tasks over a plan that is not a scan pipeline');
        const stage: SinkStage = {
          prepare: async (task, index) => {
            const taskId = writeTaskId(plan, task, index);
            const reused = reuse ? await reuse(taskId) : undefined;
            return reused ? { reused } : { sink: spec(taskId) };
          },
        };
        for await (const o of this.runFragments(fp, undefined, stage)) {
          out.tasks++;
          if (o.reused) out.tasksReused++;
          out.files.push(...(o.files ?? []));
        }
      }
      for (const f of out.files) {
        m.rows += f.stats.recordCount;
        m.bytes += f.stats.fileSizeInBytes;
      }
      return out;
    } finally {
      m.ms += performance.now() - t0;
      for (const id of this.builds) dropBuild(id);
    }
  }

  private m(id: number): OpMetrics {
    let x = this.metrics.get(id);
    if (!x) {
      x = { rows: 0, bytes: 0, ms: 0, mem: 0 };
      this.metrics.set(id, x);
    }
    return x;
  }

  private held(id: number, bytes: number): void {
    const m = this.m(id);
    m.mem = Math.max(m.mem, bytes);
  }

  /** Adds one finished task's per-op counts to the metrics of the nodes its ops belong to. */
  private countTask(fp: FragmentPlan, task: ScanTask, stats: TaskOutput['stats'], reused?: boolean): void {
    if (reused) return;
    const scan = 'scan' in fp.source ? fp.source.scan : null;
    if (scan) {
      const m = this.m(scan.id);
      m.rowsRead = (m.rowsRead ?? 0) + stats.rowsIn;
      m.tasks = (m.tasks ?? 0) + 1;
      m.bytes += task.bytes;
      m.ms += stats.decodeMs;
      if (!scan.filters.length) m.rows += stats.rowsIn;
    }
    stats.ops?.forEach((o, i) => {
      const id = fp.opNodes[i];
      if (id === undefined || id < 0) return;
      const m = this.m(id);
      m.rows += o.rows;
      m.ms += o.ms;
      // A scan's bytes are what it read; its filter's output is only its row count.
      if (!scan || id !== scan.id) m.bytes += o.bytes;
    });
  }

  private async fragmentOf(p: PhysicalNode): Promise<FragmentPlan | null> {
    switch (p.op) {
      case 'scan': {
        const pred = andAll(p.filters);
        return { source: { scan: p }, ops: pred ? [{ op: 'filter', predicate: pred }] : [], opNodes: pred ? [p.id] : [], types: typesOf(p) };
      }
      case 'filter': {
        const f = await this.fragmentOf(p.input);
        return f && { ...f, ops: [...f.ops, { op: 'filter', predicate: p.predicate }], opNodes: [...f.opNodes, p.id] };
      }
      case 'project': {
        const f = await this.fragmentOf(p.input);
        return f && { ...f, ops: [...f.ops, { op: 'project', exprs: p.exprs }], opNodes: [...f.opNodes, p.id], types: typesOf(p) };
      }
      case 'hash-join': {
        if (p.strategy === 'local') return null;
        const f = await this.fragmentOf(p.probe);
        if (!f) throw new LakehouseError('INTERNAL', `internal: the probe side of ${p.strategy} join #${p.id} is not a scan pipeline`);
        if (p.strategy === 'partitioned') return this.shuffledJoin(p, f, null);
        const build = await this.collect(p.build);
        // A null-aware join needs the whole build side in every task: it stays a broadcast.
        if (p.nullAware || build.length <= this.ctx.broadcastRows) return this.broadcastJoin(p, f, build);
        // The adaptive step: the collected build side is larger than a broadcast may be.
        p.adaptive = 'broadcast→partitioned';
        return this.shuffledJoin(p, f, build);
      }
      default:
        return null;
    }
  }

  /** The probe op of a join, and the projection that restores the logical column order of a swapped one. */
  private joinOps(p: JoinP, probe: FragmentOp): { ops: FragmentOp[]; opNodes: number[] } {
    if (p.swapped) this.ctx.stats.joins.swapped++;
    if (!p.swapped) return { ops: [probe], opNodes: [p.id] };
    return { ops: [probe, { op: 'project', exprs: unswapExprs(p.schema, p.build.schema.length, p.probe.schema.length) }], opNodes: [p.id, -1] };
  }

  private broadcastJoin(p: JoinP, f: FragmentPlan, build: Chunk): FragmentPlan {
    const id = `b${process.pid}-${buildSeq++}`;
    const buildTypes = typesOf(p.build);
    const keyTypes = p.probeKeys.map((k, i) => joinKeyType(k.type, p.buildKeys[i]!.type));
    const keys = p.buildKeys.map((k) => evalVec(compileExpr(k), build));
    registerBuild(id, new HashJoinBuild(build, keys, keyTypes, { nullAware: p.nullAware }));
    this.builds.push(id);
    this.ctx.stats.joins.broadcast++;
    const ipc = chunkToIPC(build, buildTypes);
    this.held(p.id, ipc.byteLength);
    const op: FragmentOp = {
      op: 'probe', buildId: id, build: [ipc], buildTypes, buildKeys: p.buildKeys, probeKeys: p.probeKeys, kind: p.kind, keyTypes,
      residual: p.residual, nullAware: p.nullAware, probeTypes: f.types,
    };
    const j = this.joinOps(p, op);
    return { ...f, ops: [...f.ops, ...j.ops], opNodes: [...f.opNodes, ...j.opNodes], types: typesOf(p) };
  }

  /**
   * A partitioned hash join: both sides are split by the hash of their join keys into P
   * partitions — in their own scan tasks (the build side here when it was already collected) —
   * and each partition becomes one task that hashes its build rows and probes its probe rows on a
   * worker. The shuffled rows are held here as Arrow IPC until their partition's task takes them
   * (memory bound: both inputs after their filters and projections; nothing spills). P is the
   * planned one, or for a re-planned broadcast grows with the collected build so that one
   * partition's hash table stays around 250k rows.
   */
  private async shuffledJoin(p: JoinP, f: FragmentPlan, collected: Chunk | null): Promise<FragmentPlan> {
    const { ctx } = this;
    const parts = collected ? joinPartitions(collected.length, ctx.pool.threads) : p.partitions;
    p.partitions = parts;
    const buildTypes = typesOf(p.build);
    const probeTypes = f.types;
    // A build side that is not a scan pipeline is collected here, then split.
    const buildPlan = collected ?? (await this.fragmentOf(p.build)) ?? (await this.collect(p.build));
    // Inputs held in this process's memory (memory:// stores) keep their partitions on this
    // thread too: a worker thread cannot see an in-memory store that a write targets.
    const local = (await this.tasksOf(f)).some((t) => t.local) || ('source' in buildPlan && (await this.tasksOf(buildPlan)).some((t) => t.local));
    // RIGHT/FULL keep build rows with NULL keys (they are emitted unmatched); only inner and
    // right joins drop probe rows with NULL keys.
    const outerBuild = p.kind === 'right' || p.kind === 'full';
    const build = await this.shuffle(buildPlan, buildTypes, p.buildKeys, parts, !outerBuild);
    const probe = await this.shuffle(f, probeTypes, p.probeKeys, parts, p.kind === 'inner' || p.kind === 'right');
    const keyTypes = p.probeKeys.map((k, i) => joinKeyType(k.type, p.buildKeys[i]!.type));
    const tasks: ScanTask[] = [];
    let heldBytes = 0;
    for (let i = 0; i < parts; i++) {
      const pr = probe[i]!;
      const br = build[i]!;
      if (outerBuild ? br.rows === 0 && (p.kind === 'right' || pr.rows === 0) : pr.rows === 0 || (p.kind === 'inner' && br.rows === 0)) continue;
      const bytes = pr.buffers.reduce((n, b) => n + b.byteLength, 0) + br.buffers.reduce((n, b) => n + b.byteLength, 0);
      heldBytes += bytes;
      tasks.push({ kind: 'ipc', ...(local ? { local: true } : {}), bytes, rows: pr.rows, key: `partition ${i} of ${parts}`, payload: [...pr.buffers, ...br.buffers], probeBuffers: pr.buffers.length } satisfies IpcScanTask);
    }
    this.held(p.id, heldBytes);
    ctx.stats.joins.partitioned++;
    const op: FragmentOp = {
      op: 'probe', buildId: 'task', build: 'task', buildTypes, buildKeys: p.buildKeys, probeKeys: p.probeKeys, kind: p.kind, keyTypes,
      residual: p.residual, probeTypes,
    };
    const j = this.joinOps(p, op);
    return { source: { tasks, columns: probeTypes.map((type, i) => ({ name: `c${i}`, type })) }, ops: j.ops, opNodes: j.opNodes, types: typesOf(p) };
  }

  /**
   * A grouped aggregation planned `partial+partitioned-merge`: each task aggregates its rows
   * partially and splits its partial groups by the hash of the group keys into the planned P
   * partitions; each partition is merged and finished by its own task on the pool, so
   * high-cardinality GROUP BYs are not bound by one thread. Memory bound: the partial groups of
   * all tasks, as Arrow IPC, until merged.
   */
  private async *partitionedAggregate(p: AggP, fp: FragmentPlan): AsyncGenerator<Chunk> {
    const { ctx } = this;
    const keyTypes = p.keys.map((k) => k.type);
    const layout = partialLayout(keyTypes, p.aggs);
    const parts = p.partitions;
    const keys = keyTypes.map((type, i): Expr => ({ k: 'col', i, type }));
    // Every task's output is [partition][chunk of the layout], as IPC buffers.
    const width = layout.length;
    const all = await this.mapStage(fp, { keys, parts, dropNull: false }, (i) => layout[i % width]!, { keys: p.keys, aggs: p.aggs });
    const m = this.m(p.id);
    m.partialRows = (m.partialRows ?? 0) + all.reduce((n, o) => n + o.rows.reduce((a, b) => a + b, 0), 0);
    this.held(p.id, all.reduce((n, o) => n + o.buffers.reduce((a, b) => a + b.byteLength, 0), 0));
    const t0 = performance.now();
    const types = typesOf(p);
    ctx.stats.partitionedMerges++;
    // The merges' own signal: the consumer stopping early (or an error) cancels the rest.
    const stage = new AbortController();
    const onAbort = (): void => stage.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const merges = Array.from({ length: parts }, (_, q) => {
      const payload = all.flatMap((o) => o.buffers.slice(q * width, (q + 1) * width));
      const fragment: Fragment = {
        task: { kind: 'ipc', bytes: payload.reduce((n, b) => n + b.byteLength, 0), payload }, scanColumns: [], ops: [], types, merge: { keyTypes, aggs: p.aggs },
      };
      const run = ctx.pool.run(fragment, () => types, stage.signal);
      run.catch(() => undefined);
      return run;
    });
    let rows = 0;
    try {
      for (const m of merges) {
        const out = await m;
        ctx.stats.tasks++;
        ctx.stats.computeMs += out.stats.computeMs;
        ctx.stats.transferMs += out.stats.transferMs;
        for (const c of out.chunks) {
          rows += c.length;
          if (c.length) yield c;
        }
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      stage.abort(new LakehouseError('CANCELLED', 'stage finished early'));
    }
    ctx.stats.mergeMs += performance.now() - t0;
    if (rows === 0) yield emptyChunk(types);
  }

  /** The map side of a shuffle: rows split into `parts` partitions of Arrow IPC buffers, in task order. */
  private async shuffle(input: FragmentPlan | Chunk, types: DataType[], keys: Expr[], parts: number, dropNull: boolean): Promise<Array<{ buffers: Uint8Array[]; rows: number }>> {
    const out = Array.from({ length: parts }, () => ({ buffers: [] as Uint8Array[], rows: 0 }));
    const add = (i: number, buf: Uint8Array, rows: number): void => {
      if (rows === 0) return;
      out[i]!.buffers.push(buf);
      out[i]!.rows += rows;
    };
    if ('length' in input) {
      const h = await xxh();
      const ids = partitionIds(keys.map((k) => evalVec(compileExpr(k), input)), input.length, parts, h, dropNull);
      splitByPartition(input, ids, parts).forEach((c, i) => add(i, c.length ? chunkToIPC(c, types) : new Uint8Array(0), c.length));
      return out;
    }
    for (const o of await this.mapStage(input, { keys, parts, dropNull }, () => types)) o.buffers.forEach((b, i) => add(i, b, o.rows[i]!));
    return out;
  }

  /**
   * Runs the map side of a shuffle to its end: every task's partitioned output as IPC buffers
   * and their row counts, in task order (pool tasks return IPC already; tasks that ran on this
   * thread are encoded here, chunk i with `typesAt(i)`).
   */
  private async mapStage(fp: FragmentPlan, partition: NonNullable<Fragment['partition']>, typesAt: (i: number) => DataType[], agg?: { keys: Expr[]; aggs: AggCall[] }): Promise<Array<{ buffers: Uint8Array[]; rows: number[] }>> {
    const outputs: StageOutput[] = [];
    for await (const o of this.runFragments(fp, agg, undefined, partition)) outputs.push(o);
    outputs.sort((a, b) => a.index - b.index);
    return outputs.map((o) => (o.buffers
      ? { buffers: o.buffers, rows: o.rows! }
      : { buffers: o.chunks.map((c, i) => chunkToIPC(c, typesAt(i))), rows: o.chunks.map((c) => c.length) }));
  }

  /** Runs one fragment per scan task, `maxInFlight` at a time, yielding outputs as they finish. */
  private async *runFragments(fp: FragmentPlan, agg?: { keys: Expr[]; aggs: AggCall[] }, write?: SinkStage, partition?: Fragment['partition']): AsyncGenerator<StageOutput> {
    const { ctx } = this;
    const src = fp.source;
    const tasks = await this.tasksOf(fp);
    const scanColumns = 'scan' in src ? src.scan.columns.map((name, i) => ({ name, type: src.scan.schema[i]!.type })) : src.columns;
    const outTypes = agg
      ? (i: number) => partialLayout(agg.keys.map((k) => k.type), agg.aggs)[i]!
      : () => fp.types;
    // Tasks of this stage get their own signal: the stage ending early (LIMIT, an error, the
    // consumer stopping) aborts whatever is still queued or running.
    const stage = new AbortController();
    const onAbort = (): void => stage.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let localChain: Promise<void> = Promise.resolve();
    const runOne = async (task: ScanTask, k: number): Promise<StageOutput> => {
      const fragment: Fragment & { fault?: string } = { task, scanColumns, ops: fp.ops, types: fp.types, ...(agg ? { agg } : {}), ...(partition ? { partition } : {}) };
      if (write) {
        const prepared = await write.prepare(task, k, fp.types);
        if ('reused' in prepared) return { chunks: [], files: prepared.reused, reused: true, index: k, stats: { decodeMs: 0, computeMs: 0, encodeMs: 0, transferMs: 0, queueMs: 0, rowsIn: 0 } };
        fragment.sink = prepared.sink;
      }
      if (task.local) {
        // Local tasks share this thread (and its one parquet-wasm instance): run them one at a time.
        const run = localChain.then(() => runFragment(fragment, stage.signal));
        localChain = run.then(() => undefined, () => undefined);
        const res = await run;
        return { chunks: res.chunks, ...(res.files ? { files: res.files } : {}), index: k, stats: { ...res.stats, encodeMs: 0, transferMs: 0, queueMs: 0 } };
      }
      if (ctx.fault) fragment.fault = ctx.fault;
      return { ...(await ctx.pool.run(fragment, outTypes, stage.signal, { settle: write !== undefined, raw: partition !== undefined })), index: k };
    };
    const pending = new Map<number, Promise<{ k: number; out: StageOutput }>>();
    // Ordered mode: outputs that finished ahead of their turn wait here (bounded by maxInFlight).
    const early = new Map<number, StageOutput>();
    let nextOut = 0;
    let next = 0;
    const launch = (): void => {
      while (pending.size + early.size < ctx.maxInFlight && next < tasks.length) {
        const k = next++;
        pending.set(k, runOne(tasks[k]!, k).then((out) => ({ k, out })));
      }
    };
    try {
      launch();
      while (pending.size) {
        if (ctx.signal.aborted) throw new LakehouseError('CANCELLED', 'query cancelled', { cause: ctx.signal.reason });
        const { k, out: done } = await Promise.race(pending.values());
        pending.delete(k);
        const s = ctx.stats;
        s.tasks++;
        s.rowsScanned += done.stats.rowsIn;
        if (!done.reused) s.bytesScanned += tasks[k]!.bytes;
        this.countTask(fp, tasks[k]!, done.stats, done.reused);
        let out = done;
        if (ctx.ordered) {
          early.set(k, done);
          if (!early.has(nextOut)) {
            launch();
            continue;
          }
          out = early.get(nextOut)!;
          early.delete(nextOut++);
        }
        addTaskTimes(s, out.stats);
        launch();
        yield out;
        while (ctx.ordered && early.has(nextOut)) {
          const o = early.get(nextOut)!;
          early.delete(nextOut++);
          yield o;
        }
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      if (pending.size) {
        stage.abort(new LakehouseError('CANCELLED', 'stage finished early'));
        for (const pr of pending.values()) pr.catch(() => undefined);
        // A write's tasks delete their own files when cancelled: wait until they have.
        if (write) await Promise.allSettled(pending.values());
      }
    }
  }

  /**
   * The output of a plain pipeline (no aggregate, partition or sink), in bounded slices: every
   * task streams its rows (pool.run's `stream`) and runs at most STREAM_LIMITS.window slices
   * ahead of this consumer. Parallelism follows the consumer: one task runs at first, and one
   * more (up to `maxInFlight`) whenever the consumer has spent over a quarter of the time since
   * the last change waiting for rows. A slow consumer (the CLI printing 5M rows) thus keeps one
   * worker busy instead of every worker each holding a decoded row group and its WASM heap
   * (measured: ~250 MB of RSS per scanning worker); a fast one (toArray, a selective filter)
   * gets them all within a few tasks. Memory: at most level × window slices here, plus each
   * running worker's current row group — not whole task outputs. Slices come in arrival order
   * (order-insensitive, as runFragments). Tasks over in-process data, and ordered runs, keep the
   * whole-task path.
   */
  private async *streamFragments(fp: FragmentPlan): AsyncGenerator<Chunk[]> {
    const { ctx } = this;
    const tasks = await this.tasksOf(fp);
    if (ctx.ordered || tasks.some((t) => t.local)) {
      for await (const out of this.runFragments(fp)) yield out.chunks;
      return;
    }
    const src = fp.source;
    const scanColumns = 'scan' in src ? src.scan.columns.map((name, i) => ({ name, type: src.scan.schema[i]!.type })) : src.columns;
    const stage = new AbortController();
    const onAbort = (): void => stage.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const ready: Array<{ chunks: Chunk[]; ack: () => void }> = [];
    let wake: (() => void) | null = null;
    const poke = (): void => { const w = wake; wake = null; w?.(); };
    let failure: { err: unknown } | null = null;
    let next = 0;
    let running = 0;
    // Adaptive parallelism (see above): waits are counted from the first slice or task end.
    let level = 1;
    let warm = false;
    let since = 0;
    let waited = 0;
    const stream = { limits: STREAM_LIMITS, onSlice: (chunks: Chunk[], ack: () => void) => { ready.push({ chunks, ack }); poke(); } };
    const launch = (): void => {
      // Slices waiting here count against the same bound: a task of one slice ends as soon as
      // it has posted it, and must not make room for another task before that slice is taken.
      while (running < level && ready.length < level * STREAM_LIMITS.window && next < tasks.length && !failure) {
        const k = next++;
        running++;
        const fragment: Fragment & { fault?: string } = { task: tasks[k]!, scanColumns, ops: fp.ops, types: fp.types, ...(ctx.fault ? { fault: ctx.fault } : {}) };
        ctx.pool.run(fragment, () => fp.types, stage.signal, { stream }).then((out) => {
          running--;
          const s = ctx.stats;
          s.tasks++;
          s.rowsScanned += out.stats.rowsIn;
          s.bytesScanned += tasks[k]!.bytes;
          this.countTask(fp, tasks[k]!, out.stats);
          addTaskTimes(s, out.stats);
          launch();
          poke();
        }, (err: unknown) => {
          running--;
          failure ??= { err };
          poke();
        });
      }
    };
    try {
      launch();
      for (;;) {
        if (failure) throw (failure as { err: unknown }).err;
        if (ctx.signal.aborted) throw new LakehouseError('CANCELLED', 'query cancelled', { cause: ctx.signal.reason });
        const item = ready.shift();
        if (item) {
          // Taken: the task may compute its next slice while this one is consumed.
          item.ack();
          launch();
          yield item.chunks;
          continue;
        }
        if (running === 0 && next >= tasks.length) return;
        const w0 = performance.now();
        await new Promise<void>((resolve) => { wake = resolve; });
        const w1 = performance.now();
        if (!warm) {
          warm = true;
          since = w1;
        } else {
          waited += w1 - w0;
          if (level < ctx.maxInFlight && w1 - since >= STARVED_MIN_MS && waited > (w1 - since) * STARVED_SHARE) {
            level++;
            since = w1;
            waited = 0;
            launch();
          }
        }
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      if (running > 0 || next < tasks.length) stage.abort(new LakehouseError('CANCELLED', 'stage finished early'));
    }
  }

  private async tasksOf(fp: FragmentPlan): Promise<ScanTask[]> {
    return 'scan' in fp.source ? fp.source.scan.tasks : fp.source.tasks;
  }

  private async collect(p: PhysicalNode): Promise<Chunk> {
    const parts: Chunk[] = [];
    for await (const c of this.execute(p)) if (c.length) parts.push(c);
    const types = typesOf(p);
    return parts.length ? concatChunks(parts, types) : emptyChunk(types);
  }

  /**
   * A node's output. Pipeline nodes run as fragments (their tasks count their rows); any other
   * node runs here and is measured here: rows and bytes of what it yields, and the time spent
   * producing them (including its inputs').
   */
  private async *execute(p: PhysicalNode): AsyncGenerator<Chunk> {
    if (isPipeline(p)) {
      const fp = await this.fragmentOf(p);
      if (!fp) throw new LakehouseError('INTERNAL', `internal: ${p.op} #${p.id} is not a scan pipeline`);
      for await (const out of this.streamFragments(fp)) for (const c of out) yield c;
      return;
    }
    const m = this.m(p.id);
    const it = this.executeNode(p);
    try {
      for (;;) {
        const t0 = performance.now();
        const r = await it.next();
        m.ms += performance.now() - t0;
        if (r.done) return;
        m.rows += r.value.length;
        m.bytes += chunkBytes(r.value);
        yield r.value;
      }
    } finally {
      await it.return(undefined);
    }
  }

  private async *executeNode(p: PhysicalNode): AsyncGenerator<Chunk> {
    switch (p.op) {
      case 'values':
        // Constant VALUES rows (plan/bind-setop.ts), or `rows` rows of no columns.
        yield p.data ? valuesChunk(p.data, typesOf(p)) : { length: p.rows, cols: [] };
        return;
      case 'limit': {
        if (p.pushed) {
          // A LIMIT is pushed into each task (each stops after n + offset rows) but cut exactly
          // here; it can never sit inside a fragment that feeds a partial aggregate or a join.
          const inner = await this.fragmentOf(p.input);
          if (!inner) throw new LakehouseError('INTERNAL', `internal: pushed limit #${p.id} over a plan that is not a scan pipeline`);
          const fp: FragmentPlan = { ...inner, ops: [...inner.ops, { op: 'limit', n: p.n! + p.offset }], opNodes: [...inner.opNodes, -1] };
          let rows = 0;
          for await (const out of this.streamFragments(fp)) {
            for (const c of out) {
              const from = Math.max(0, p.offset - rows);
              const to = Math.min(c.length, p.n! + p.offset - rows);
              rows += c.length;
              if (to > from) yield from === 0 && to === c.length ? c : sliceChunk(c, from, to);
              if (rows >= p.n! + p.offset) return;
            }
          }
          return;
        }
        yield* this.executeLocal(p);
        return;
      }
      case 'scan': case 'filter': case 'project': case 'hash-join':
        yield* this.executeLocal(p);
        return;
      case 'hash-aggregate': {
        const keyTypes = p.keys.map((k) => k.type);
        if (p.strategy === 'partial+partitioned-merge') {
          const fp = await this.fragmentOf(p.input);
          if (!fp) throw new LakehouseError('INTERNAL', `internal: the input of aggregate #${p.id} is not a scan pipeline`);
          yield* this.partitionedAggregate(p, fp);
          return;
        }
        const merger = new HashAggregator(keyTypes, p.aggs);
        if (p.strategy === 'partial+local-merge') {
          const fp = await this.fragmentOf(p.input);
          if (!fp) throw new LakehouseError('INTERNAL', `internal: the input of aggregate #${p.id} is not a scan pipeline`);
          const m = this.m(p.id);
          let held = 0;
          for await (const out of this.runFragments(fp, { keys: p.keys, aggs: p.aggs })) {
            const t0 = performance.now();
            m.partialRows = (m.partialRows ?? 0) + out.chunks[0]!.length;
            held += out.chunks.reduce((n, c) => n + chunkBytes(c), 0);
            merger.mergePartial(out.chunks[0]!, out.chunks.slice(1));
            this.ctx.stats.mergeMs += performance.now() - t0;
          }
          this.held(p.id, held);
        } else {
          const keys = p.keys.map(compileExpr);
          const args = p.aggs.map((a) => (a.arg ? compileExpr(a.arg) : null));
          const extra = p.aggs.map((a) => a.extra?.map(compileExpr) ?? null);
          for await (const c of this.execute(p.input)) {
            if (!c.length) continue;
            merger.addChunk(keys.map((k) => evalVec(k, c)), args.map((a) => (a ? evalVec(a, c) : null)), c.length, undefined, extra.map((es) => es?.map((e) => evalVec(e, c)) ?? null));
          }
        }
        const t0 = performance.now();
        const out = merger.finish();
        this.ctx.stats.mergeMs += performance.now() - t0;
        yield out;
        return;
      }
      case 'sort': {
        const all = await this.collect(p.input);
        this.held(p.id, chunkBytes(all));
        const keys = p.keys.map((k) => ({ vec: evalVec(compileExpr(k.e), all), desc: k.desc, nullsFirst: k.nullsFirst }));
        const sorted = sortChunk(all, keys);
        const step = 65_536;
        for (let i = 0; i < sorted.length; i += step) yield sorted.length <= step ? sorted : sliceChunk(sorted, i, Math.min(sorted.length, i + step));
        return;
      }
      case 'union':
        for (const input of p.inputs) yield* this.execute(input);
        return;
      case 'window':
        // Window functions: hash-partitioned on PARTITION BY, one pool task per partition (exec/window-exec.ts).
        yield* executeWindow(p, this.execute(p.input), this.ctx);
        return;
      case 'setop':
        // INTERSECT / EXCEPT [ALL] on this thread (exec/setop-exec.ts).
        yield* runSetOp(p.kind, p.all, typesOf(p), this.execute(p.left), () => this.execute(p.right));
        return;
      case 'nested-loop-join': {
        // No equi key (compute/nested-loop.ts): the right side is the bounded build.
        const build = await collectBounded(this.execute(p.right), typesOf(p.right));
        this.held(p.id, chunkBytes(build));
        const spec = { kind: p.kind, residual: p.condition, nullAware: p.nullAware, leftTypes: typesOf(p.left), rightTypes: typesOf(p.right) };
        yield* nestedLoopJoin(spec, build, this.execute(p.left));
        return;
      }
      case 'sink':
        throw new LakehouseError('INTERNAL', 'internal: a sink runs only at the root of a write (Executor.write)');
    }
  }

  /** Streaming operators on this thread, over a child that is not a fragment. */
  private async *executeLocal(p: PhysicalNode): AsyncGenerator<Chunk> {
    switch (p.op) {
      case 'filter': {
        const ev = compileExpr(p.predicate);
        for await (const c of this.execute(p.input)) {
          const out = filterChunk(c, evalVec(ev, c));
          if (out.length) yield out;
        }
        return;
      }
      case 'project': {
        const evs = p.exprs.map(compileExpr);
        for await (const c of this.execute(p.input)) yield { length: c.length, cols: evs.map((ev) => evalVec(ev, c)) };
        return;
      }
      case 'limit': {
        let skip = p.offset;
        let left = p.n ?? Infinity;
        if (left <= 0) return;
        for await (const c of this.execute(p.input)) {
          let chunk = c;
          if (skip > 0) {
            const s = Math.min(skip, chunk.length);
            skip -= s;
            if (s === chunk.length) continue;
            chunk = sliceChunk(chunk, s, chunk.length);
          }
          if (chunk.length > left) chunk = sliceChunk(chunk, 0, left);
          left -= chunk.length;
          yield chunk;
          if (left <= 0) return;
        }
        return;
      }
      case 'hash-join': {
        const build = await this.collect(p.build);
        this.held(p.id, chunkBytes(build));
        this.ctx.stats.joins.local++;
        if (p.swapped) this.ctx.stats.joins.swapped++;
        const keyTypes = p.probeKeys.map((k, i) => joinKeyType(k.type, p.buildKeys[i]!.type));
        const hb = new HashJoinBuild(build, p.buildKeys.map((k) => evalVec(compileExpr(k), build)), keyTypes, { nullAware: p.nullAware });
        const prober = hb.prober({ kind: p.kind, residual: p.residual, nullAware: p.nullAware, probeTypes: typesOf(p.probe) });
        const probeKeys = p.probeKeys.map(compileExpr);
        const unswap = p.swapped ? unswapExprs(p.schema, p.build.schema.length, p.probe.schema.length).map(compileExpr) : null;
        const emit = (out: Chunk): Chunk => (unswap ? { length: out.length, cols: unswap.map((ev) => evalVec(ev, out)) } : out);
        for await (const c of this.execute(p.probe)) {
          if (!c.length) continue;
          const out = prober.probe(c, probeKeys.map((k) => evalVec(k, c)));
          if (out.length) yield emit(out);
        }
        const rest = prober.finish();
        if (rest?.length) yield emit(rest);
        return;
      }
      default:
        throw new LakehouseError('INTERNAL', `internal: ${p.op} cannot run as a streaming operator`);
    }
  }
}

function joinKeyType(a: DataType, b: DataType): DataType {
  if (a === b) return a;
  if (a === 'string' || b === 'string') {
    throw new LakehouseError('PLAN_ERROR', `join keys have incompatible types ${a} and ${b}`, { help: 'CAST one side so both keys have the same type.' });
  }
  return 'float64';
}

/** Adds one task's phase times to a query's statistics. */
function addTaskTimes(s: QueryStats, t: { decodeMs: number; computeMs: number; encodeMs: number; transferMs: number; queueMs: number }): void {
  s.decodeMs += t.decodeMs;
  s.computeMs += t.computeMs;
  s.encodeMs += t.encodeMs;
  s.transferMs += t.transferMs;
  s.queueMs += t.queueMs;
}
