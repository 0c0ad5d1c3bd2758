/**
 * The coordinator: executes an optimized logical plan as a stream of chunks.
 *
 * Scans and the streaming operators above them (filter, project, limit, the probe side of a
 * hash join) become fragments: one per scan task, run in the worker pool (or on this thread for
 * in-process data). A join's build side is broadcast to the probe side's tasks when small, and
 * otherwise both sides are hash-partitioned (shuffled) and each partition joined by one task. An
 * aggregate over such a pipeline runs partially inside each fragment and is merged here, or
 * partition by partition on the pool when its partial groups are many (two-phase). Everything
 * else — global aggregates, sort, union, joins whose probe side is not a scan pipeline — runs
 * here over the fragments' output.
 *
 * Concurrency and cancellation: at most `maxInFlight` tasks of a query run at once and results are
 * consumed as tasks finish (order-insensitive; ORDER BY is a sort here). Every task gets the
 * query's AbortSignal: an error in one task, the caller's signal, or the consumer stopping early
 * (LIMIT, `break`) aborts the query's remaining tasks.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { HashAggregator, partialLayout } from '../compute/aggregate.js';
import { compileExpr, evalVec } from '../compute/eval.js';
import { HashJoinBuild } from '../compute/join.js';
import { collectBounded, nestedLoopJoin } from '../compute/nested-loop.js';
import { partitionIds, splitByPartition, xxh } from '../compute/partition.js';
import { sortChunk } from '../compute/sort.js';
import { concatChunks, emptyChunk, filterChunk, sliceChunk, type Chunk } from '../compute/vec.js';
import type { PlanNode } from '../plan/logical.js';
import { orderJoins, scanStatistics } from '../plan/join-order.js';
import { andAll, remapColumns, type AggCall, type DataType, type Expr } from '../plan/types.js';
import type { ScanTask } from '../source/table-source.js';
import { dropBuild, mergePackedPartials, registerBuild, runFragment, type Fragment, type FragmentOp, type IpcScanTask } from './fragment.js';
import { chunkToIPC } from './ipc.js';
import { executeWindow } from './window-exec.js';
import { runSetOp, valuesChunk } from './setop-exec.js';
import type { TaskOutput, WorkerPool } from './pool.js';
import type { SinkFile, SinkSpec } from '../write/sink.js';

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
  /** Build sides with at most this many rows are broadcast to the probe tasks. */
  broadcastRows: number;
  /** Partial groups up to which a grouped aggregation is merged on this thread. */
  localMergeRows: number;
  maxInFlight: number;
  batchSize?: number;
  stats: QueryStats;
  /** Test-only fault injection forwarded to workers. */
  fault?: string;
  /** Consume task outputs in task order (deterministic merges; writes use it). */
  ordered?: boolean;
}

/** How a write runs its tasks (see write/stage.ts). */
export interface WriteHooks {
  /** The sink of one scan task, or the files of a task a previous run already wrote (then it is skipped). */
  prepare(task: ScanTask, index: number, outputTypes: DataType[]): Promise<{ sink: SinkSpec } | { reused: SinkFile[] }>;
  /** A plan that is not one scan pipeline: its output arrives here, on this thread. */
  local(chunks: AsyncIterable<Chunk>, outputTypes: DataType[]): Promise<{ files: SinkFile[]; reused: boolean }>;
}

export interface WriteOutcome {
  files: SinkFile[];
  tasks: number;
  tasksReused: number;
}

export function newStats(): QueryStats {
  return { tasks: 0, rowsScanned: 0, bytesScanned: 0, inputSnapshots: {}, decodeMs: 0, computeMs: 0, encodeMs: 0, transferMs: 0, queueMs: 0, mergeMs: 0, joins: { broadcast: 0, partitioned: 0, local: 0, swapped: 0 }, partitionedMerges: 0 };
}

type ScanNode = Extract<PlanNode, { op: 'scan' }>;

interface FragmentPlan {
  /** Where the tasks come from: a table scan, or the partitions of a shuffled join. */
  source: { scan: ScanNode } | { tasks: ScanTask[]; columns: Array<{ name: string; type: DataType }> };
  ops: FragmentOp[];
  types: DataType[];
}

/** A task's output, with the task's position in its stage. */
type StageOutput = TaskOutput & { reused?: boolean; index: number };

let buildSeq = 0;
/** Shuffled joins use at least two partitions per worker and at most this many. */
const MAX_PARTITIONS = 256;
/** Build rows per partition a shuffled join aims for. */
const ROWS_PER_PARTITION = 250_000;
/**
 * Slices of a streamed query's output (see streamFragments): at most 64k rows or about 4 MiB of
 * Arrow IPC each, at most 2 unconsumed per running task. Measured with bench/stream-rss.ts.
 */
export const STREAM_LIMITS = { rows: 65_536, bytes: 4 * 1024 * 1024, window: 2 };
/** A streamed query adds a task when its consumer waited more than this share of at least this long. */
const STARVED_SHARE = 0.25;
const STARVED_MIN_MS = 50;

const typesOf = (p: PlanNode): DataType[] => p.schema.map((f) => f.type);

export class Executor {
  private readonly builds: string[] = [];

  /** One scan plan per scan node: join orientation estimates from it, the fragments then run it. */
  private readonly scanPlans = new Map<PlanNode, Promise<ScanTask[]>>();

  constructor(private readonly ctx: ExecContext) {}

  async *run(plan: PlanNode): AsyncGenerator<Chunk> {
    try {
      yield* this.execute(await this.orient(await this.reorder(plan)));
    } finally {
      for (const id of this.builds) dropBuild(id);
    }
  }

  /**
   * Runs a write: a plan that is one scan pipeline (scan → filter/project/broadcast probe) gets a
   * sink in every fragment, so workers write their own files; any other plan (aggregates, sorts,
   * unions, limits, shuffled joins) runs as a query and its output is written on this thread.
   */
  async write(input: PlanNode, hooks: WriteHooks): Promise<WriteOutcome> {
    try {
      const plan = await this.orient(await this.reorder(input));
      const fp = plan.op === 'scan' || plan.op === 'filter' || plan.op === 'project' || plan.op === 'join' ? await this.fragmentOf(plan) : null;
      if (!fp) {
        const res = await hooks.local(this.execute(plan), typesOf(plan));
        return { files: res.files, tasks: 1, tasksReused: res.reused ? 1 : 0 };
      }
      const out: WriteOutcome = { files: [], tasks: 0, tasksReused: 0 };
      for await (const o of this.runFragments(fp, undefined, hooks)) {
        out.tasks++;
        if (o.reused) out.tasksReused++;
        out.files.push(...(o.files ?? []));
      }
      return out;
    } finally {
      for (const id of this.builds) dropBuild(id);
    }
  }

  private async fragmentOf(p: PlanNode): Promise<FragmentPlan | null> {
    switch (p.op) {
      case 'scan': {
        const pred = andAll(p.filters);
        return { source: { scan: p }, ops: pred ? [{ op: 'filter', predicate: pred }] : [], types: typesOf(p) };
      }
      case 'filter': {
        const f = await this.fragmentOf(p.input);
        return f && { ...f, ops: [...f.ops, { op: 'filter', predicate: p.predicate }] };
      }
      case 'project': {
        const f = await this.fragmentOf(p.input);
        return f && { ...f, ops: [...f.ops, { op: 'project', exprs: p.exprs }], types: typesOf(p) };
      }
      case 'join': {
        // A join without equi keys is a nested-loop join: it runs on this thread (executeLocal).
        if (p.leftKeys.length === 0) return null;
        const f = await this.fragmentOf(p.left);
        if (!f) return null;
        // A build side expected to be large is shuffled straight from its scan tasks; any
        // other is collected here first, then broadcast if it is small enough after all.
        let build: Chunk | null = null;
        // Join kinds (H2): RIGHT/FULL emit unmatched build rows, so one task must hold all build
        // rows of its key range — never broadcast. A null-aware join (NOT IN) needs the whole
        // build side (any NULL key, emptiness) in every task — always broadcast.
        const noBroadcast = p.kind === 'right' || p.kind === 'full';
        if (p.nullAware || !isPipeline(p.right) || (await this.estimateRows(p.right)) <= this.ctx.broadcastRows) {
          build = await this.collect(p.right);
          if (p.nullAware || (!noBroadcast && build.length <= this.ctx.broadcastRows)) return this.broadcastJoin(p, f, build);
        }
        return this.shuffledJoin(p, f, build);
      }
      default:
        return null;
    }
  }

  private broadcastJoin(p: Extract<PlanNode, { op: 'join' }>, f: FragmentPlan, build: Chunk): FragmentPlan {
    const id = `b${process.pid}-${buildSeq++}`;
    const buildTypes = typesOf(p.right);
    const keyTypes = p.leftKeys.map((k, i) => joinKeyType(k.type, p.rightKeys[i]!.type));
    const keys = p.rightKeys.map((k) => evalVec(compileExpr(k), build));
    registerBuild(id, new HashJoinBuild(build, keys, keyTypes, { nullAware: p.nullAware === true }));
    this.builds.push(id);
    this.ctx.stats.joins.broadcast++;
    const op: FragmentOp = {
      op: 'probe', buildId: id, build: [chunkToIPC(build, buildTypes)], buildTypes, buildKeys: p.rightKeys, probeKeys: p.leftKeys, kind: p.kind, keyTypes,
      residual: p.residual ?? null, nullAware: p.nullAware === true, probeTypes: f.types,
    };
    return { ...f, ops: [...f.ops, op], types: typesOf(p) };
  }

  /**
   * A partitioned hash join: both sides are split by the hash of their join keys into P
   * partitions — in their own scan tasks (the build side here when it was already collected) —
   * and each partition becomes one task that hashes its build rows and probes its probe rows on a
   * worker. The shuffled rows are held here as Arrow IPC until their partition's task takes them
   * (memory bound: both inputs after their filters and projections; nothing spills). P grows
   * with the build side so that one partition's hash table stays around 250k rows.
   */
  private async shuffledJoin(p: Extract<PlanNode, { op: 'join' }>, f: FragmentPlan, collected: Chunk | null): Promise<FragmentPlan> {
    const { ctx } = this;
    const buildRows = collected ? collected.length : await this.estimateRows(p.right);
    const parts = Math.min(MAX_PARTITIONS, Math.max(ctx.pool.threads * 2, Math.ceil(buildRows / ROWS_PER_PARTITION)));
    const buildTypes = typesOf(p.right);
    const probeTypes = f.types;
    const buildPlan = collected ?? (await this.fragmentOf(p.right))!;
    // Inputs held in this process's memory (memory:// stores) keep their partitions on this
    // thread too: a worker thread cannot see an in-memory store that a write targets.
    const local = (await this.tasksOf(f)).some((t) => t.local) || ('source' in buildPlan && (await this.tasksOf(buildPlan)).some((t) => t.local));
    // RIGHT/FULL keep build rows with NULL keys (they are emitted unmatched); only inner and
    // right joins drop probe rows with NULL keys.
    const outerBuild = p.kind === 'right' || p.kind === 'full';
    const build = await this.shuffle(buildPlan, buildTypes, p.rightKeys, parts, !outerBuild);
    const probe = await this.shuffle(f, probeTypes, p.leftKeys, parts, p.kind === 'inner' || p.kind === 'right');
    const keyTypes = p.leftKeys.map((k, i) => joinKeyType(k.type, p.rightKeys[i]!.type));
    const tasks: ScanTask[] = [];
    for (let i = 0; i < parts; i++) {
      const pr = probe[i]!;
      const br = build[i]!;
      if (outerBuild ? br.rows === 0 && (p.kind === 'right' || pr.rows === 0) : pr.rows === 0 || (p.kind === 'inner' && br.rows === 0)) continue;
      const bytes = pr.buffers.reduce((n, b) => n + b.byteLength, 0) + br.buffers.reduce((n, b) => n + b.byteLength, 0);
      tasks.push({ kind: 'ipc', ...(local ? { local: true } : {}), bytes, rows: pr.rows, key: `partition ${i} of ${parts}`, payload: [...pr.buffers, ...br.buffers], probeBuffers: pr.buffers.length } satisfies IpcScanTask);
    }
    ctx.stats.joins.partitioned++;
    const op: FragmentOp = {
      op: 'probe', buildId: 'task', build: 'task', buildTypes, buildKeys: p.rightKeys, probeKeys: p.leftKeys, kind: p.kind, keyTypes,
      residual: p.residual ?? null, probeTypes,
    };
    return { source: { tasks, columns: probeTypes.map((type, i) => ({ name: `c${i}`, type })) }, ops: [op], types: typesOf(p) };
  }

  /**
   * A grouped aggregation over scan tasks: each task aggregates its rows partially and splits its
   * partial groups by the hash of the group keys into P partitions (P = 2 × threads). When the
   * partials are many (over `localMergeRows` rows), each partition is merged and finished by its
   * own task on the pool, so high-cardinality GROUP BYs are not bound by one thread; otherwise
   * they are merged here. Memory bound: the partial groups of all tasks, as Arrow IPC, until merged.
   */
  private async *partitionedAggregate(p: Extract<PlanNode, { op: 'aggregate' }>, fp: FragmentPlan): AsyncGenerator<Chunk> {
    const { ctx } = this;
    const keyTypes = p.keys.map((k) => k.type);
    const layout = partialLayout(keyTypes, p.aggs);
    const parts = ctx.pool.threads * 2;
    const keys = keyTypes.map((type, i): Expr => ({ k: 'col', i, type }));
    // Every task's output is [partition][chunk of the layout], as IPC buffers.
    const width = layout.length;
    const all = await this.mapStage(fp, { keys, parts, dropNull: false }, (i) => layout[i % width]!, { keys: p.keys, aggs: p.aggs });
    const partialRows = all.reduce((n, o) => n + o.rows.reduce((a, b) => a + b, 0), 0);
    const t0 = performance.now();
    if (partialRows <= ctx.localMergeRows) {
      const { out } = mergePackedPartials(all.flatMap((o) => o.buffers), keyTypes, p.aggs);
      ctx.stats.mergeMs += performance.now() - t0;
      yield out;
      return;
    }
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

  private async tasksOf(fp: FragmentPlan): Promise<ScanTask[]> {
    return 'scan' in fp.source ? this.scanTasks(fp.source.scan) : fp.source.tasks;
  }

  private scanTasks(scan: ScanNode): Promise<ScanTask[]> {
    let tasks = this.scanPlans.get(scan);
    if (!tasks) {
      const { ctx } = this;
      tasks = scan.source.planScan({
        columns: scan.columns, filters: scan.filters, targetTasks: ctx.maxInFlight * 2,
        ...(scan.travel ? { travel: scan.travel } : {}), ...(ctx.batchSize ? { batchSize: ctx.batchSize } : {}),
      });
      this.scanPlans.set(scan, tasks);
    }
    return tasks;
  }

  /** Join order from the scan plans' statistics (plan/join-order.ts), before `orient` picks build sides. */
  private async reorder(p: PlanNode): Promise<PlanNode> {
    return orderJoins(p, await scanStatistics(p, (s) => this.scanTasks(s)));
  }

  /**
   * Picks the build side of every inner join: the side with fewer estimated rows is hashed (and
   * broadcast when small enough), the other is probed where it is scanned. SQL's join order is
   * the user's FROM order, which says nothing about sizes: `small JOIN big` would otherwise
   * collect `big` as the build side on this thread. A swapped join is wrapped in a projection
   * that restores the column order, so nothing above it changes. Left joins keep their sides
   * (the preserved side must be the probe side).
   */
  private async orient(p: PlanNode): Promise<PlanNode> {
    switch (p.op) {
      case 'scan': case 'values': return p;
      case 'union': return { ...p, inputs: await Promise.all(p.inputs.map((i) => this.orient(i))) };
      case 'join': {
        const left = await this.orient(p.left);
        const right = await this.orient(p.right);
        const join = { ...p, left, right };
        // Only a scan pipeline can be probed inside the scan tasks: never trade one for a probe
        // on this thread, and do trade a probe on this thread (e.g. of an aggregated subquery)
        // for one in the scan tasks when the other side can be broadcast.
        if (p.kind !== 'inner' || !isPipeline(right)) return join;
        const [l, r] = await Promise.all([this.estimateRows(left), this.estimateRows(right)]);
        const better = isPipeline(left) ? r > l : l <= this.ctx.broadcastRows;
        if (!better) return join;
        this.ctx.stats.joins.swapped++;
        const nl = left.schema.length;
        const nr = right.schema.length;
        // The residual (left ++ right columns) is rewritten for the swapped column order.
        const residual = p.residual ? remapColumns(p.residual, (i) => (i < nl ? nr + i : i - nl)) : null;
        const swapped: PlanNode = {
          op: 'join', kind: 'inner', left: right, right: left, leftKeys: p.rightKeys, rightKeys: p.leftKeys, schema: [...right.schema, ...left.schema], ...(residual ? { residual } : {}),
        };
        const exprs: Expr[] = p.schema.map((f, i) => ({ k: 'col', i: i < nl ? nr + i : i - nl, type: f.type }));
        return { op: 'project', input: swapped, exprs, schema: p.schema };
      }
      case 'setop': return { ...p, left: await this.orient(p.left), right: await this.orient(p.right) };
      default: return { ...p, input: await this.orient(p.input) } as PlanNode;
    }
  }

  /**
   * Rows a subtree is expected to produce, from the scan plans' row counts (after file and row-group
   * pruning). Without column statistics for selectivity the rules are deliberately simple: a
   * residual filter halves its input, an inner join yields as many rows as its larger side (the
   * foreign-key case), an aggregate at most its input. Only the comparison of two sides matters.
   */
  private async estimateRows(p: PlanNode): Promise<number> {
    switch (p.op) {
      case 'scan': {
        const tasks = await this.scanTasks(p);
        const rows = tasks.reduce((s, t) => s + (t.rows ?? t.bytes / 16), 0);
        return p.filters.length ? rows / 2 : rows;
      }
      case 'values': return p.rows;
      case 'filter': return (await this.estimateRows(p.input)) / 2;
      case 'limit': return Math.min(p.n ?? Infinity, await this.estimateRows(p.input));
      case 'aggregate': return p.keys.length ? this.estimateRows(p.input) : 1;
      case 'union': return (await Promise.all(p.inputs.map((i) => this.estimateRows(i)))).reduce((a, b) => a + b, 0);
      case 'join': {
        const [l, r] = await Promise.all([this.estimateRows(p.left), this.estimateRows(p.right)]);
        return p.kind === 'inner' ? Math.max(l, r) : p.kind === 'full' ? l + r : p.kind === 'right' ? r : l;
      }
      case 'setop': return this.estimateRows(p.left);
      default: return this.estimateRows(p.input);
    }
  }

  private async collect(p: PlanNode): Promise<Chunk> {
    const parts: Chunk[] = [];
    for await (const c of this.execute(p)) if (c.length) parts.push(c);
    const types = typesOf(p);
    return parts.length ? concatChunks(parts, types) : emptyChunk(types);
  }

  /** Runs one fragment per scan task, `maxInFlight` at a time, yielding outputs as they finish. */
  private async *runFragments(fp: FragmentPlan, agg?: { keys: Expr[]; aggs: AggCall[] }, write?: WriteHooks, partition?: Fragment['partition']): AsyncGenerator<StageOutput> {
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

  private async *execute(p: PlanNode): AsyncGenerator<Chunk> {
    switch (p.op) {
      case 'values':
        // Constant VALUES rows (plan/bind-setop.ts), or `rows` rows of no columns.
        yield p.data ? valuesChunk(p.data, typesOf(p)) : { length: p.rows, cols: [] };
        return;
      case 'scan': case 'filter': case 'project': case 'limit': case 'join': {
        // A LIMIT is pushed into each task (each stops after n + offset rows) but cut exactly
        // here; it can never sit inside a fragment that feeds a partial aggregate or a join.
        let fp: FragmentPlan | null;
        if (p.op === 'limit') {
          const inner = p.n === null ? null : await this.fragmentOf(p.input);
          fp = inner && { ...inner, ops: [...inner.ops, { op: 'limit', n: p.n! + p.offset }] };
        } else {
          fp = await this.fragmentOf(p);
        }
        if (fp) {
          let rows = 0;
          for await (const out of this.streamFragments(fp)) {
            for (const c of out) {
              if (p.op === 'limit') {
                // Fragments each stop at n+offset rows; the exact window is cut here.
                const from = Math.max(0, p.offset - rows);
                const to = Math.min(c.length, p.n! + p.offset - rows);
                rows += c.length;
                if (to > from) yield from === 0 && to === c.length ? c : sliceChunk(c, from, to);
                if (rows >= p.n! + p.offset) return;
              } else yield c;
            }
          }
          return;
        }
        yield* this.executeLocal(p);
        return;
      }
      case 'aggregate': {
        const keyTypes = p.keys.map((k) => k.type);
        const merger = new HashAggregator(keyTypes, p.aggs);
        const fp = await this.fragmentOf(p.input);
        if (fp && p.keys.length) {
          yield* this.partitionedAggregate(p, fp);
          return;
        }
        if (fp) {
          for await (const out of this.runFragments(fp, { keys: p.keys, aggs: p.aggs })) {
            const t0 = performance.now();
            merger.mergePartial(out.chunks[0]!, out.chunks.slice(1));
            this.ctx.stats.mergeMs += performance.now() - t0;
          }
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
    }
  }

  /** Streaming operators on this thread, over a child that is not a fragment. */
  private async *executeLocal(p: PlanNode): AsyncGenerator<Chunk> {
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
      case 'join': {
        // Nested-loop join (no equi key; compute/nested-loop.ts): the right side is the bounded build.
        if (p.leftKeys.length === 0) {
          const build = await collectBounded(this.execute(p.right), typesOf(p.right));
          const spec = { kind: p.kind, residual: p.residual ?? null, nullAware: p.nullAware ?? false, leftTypes: typesOf(p.left), rightTypes: typesOf(p.right) };
          yield* nestedLoopJoin(spec, build, this.execute(p.left));
          return;
        }
        const build = await this.collect(p.right);
        this.ctx.stats.joins.local++;
        const keyTypes = p.leftKeys.map((k, i) => joinKeyType(k.type, p.rightKeys[i]!.type));
        const hb = new HashJoinBuild(build, p.rightKeys.map((k) => evalVec(compileExpr(k), build)), keyTypes, { nullAware: p.nullAware === true });
        const prober = hb.prober({ kind: p.kind, residual: p.residual ?? null, nullAware: p.nullAware === true, probeTypes: typesOf(p.left) });
        const probeKeys = p.leftKeys.map(compileExpr);
        for await (const c of this.execute(p.left)) {
          if (!c.length) continue;
          const out = prober.probe(c, probeKeys.map((k) => evalVec(k, c)));
          if (out.length) yield out;
        }
        const rest = prober.finish();
        if (rest) yield rest;
        return;
      }
      default:
        throw new LakehouseError('PLAN_ERROR', `internal: ${p.op} cannot run as a streaming operator`);
    }
  }
}

/** A plan that `fragmentOf` can turn into scan tasks (a scan and streaming operators over it). */
function isPipeline(p: PlanNode): boolean {
  switch (p.op) {
    case 'scan': return true;
    case 'filter': case 'project': return isPipeline(p.input);
    case 'join': return p.leftKeys.length > 0 && isPipeline(p.left);
    default: return false;
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

