/**
 * The physical planner: optimized logical plan → physical plan (plan.ts), with every strategy
 * decided here from the scan plans' estimates, so a plan can be printed before it runs.
 *
 * Estimates: each scan is planned once (`TableSource.planScan`: files and row groups after
 * pruning) and reports rows and bytes; above it the rules are deliberately simple — a filter
 * halves its input, an inner join yields as many rows as its larger side (the foreign-key case),
 * a grouped aggregate at most its input. Only comparisons of two sides and of a side with a limit
 * depend on them.
 *
 * Decisions:
 *   - join side: an inner join hashes the side with fewer estimated rows; SQL's FROM order says
 *     nothing about sizes (`small JOIN big` would otherwise collect `big`). Only a scan pipeline can
 *     be probed inside scan tasks, so a pipeline is never traded for a probe on the coordinator, and
 *     a probe on the coordinator (e.g. of an aggregated subquery) is traded for one in the scan
 *     tasks when the other side can be broadcast. Non-inner joins keep their sides.
 *   - join strategy: `local` when the probe side is not a pipeline; `broadcast` when the build side
 *     is expected to have at most `broadcastRows` rows, or is not a pipeline (it is collected on the
 *     coordinator anyway, and then broadcast unless it turns out larger than the limit — the
 *     executor's one adaptive step); otherwise `partitioned`, into P = clamp(2 × threads,
 *     build rows / 250k, 256) partitions.
 *   - grouped aggregation over a pipeline: partial aggregation in the tasks, then a merge on the
 *     coordinator when at most `localMergeRows` partial groups are expected, else partition by
 *     partition on the pool (P = 2 × threads). A global aggregate always merges on the coordinator.
 *   - LIMIT directly over a pipeline is pushed into the tasks.
 *   - a write's sink (see `sinkPlan`) runs inside the tasks when the plan is a pipeline.
 *
 * Hook for join ordering: `PlannerOptions.orderJoins` (engine/plan/join-order.ts) runs on the
 * logical plan before any strategy is chosen, with the same row estimator.
 *
 * Concurrency: scan planning of independent subtrees runs concurrently; the planner holds only
 * the scan tasks (plain data). Deterministic for the same inputs and options.
 */

import { orderJoins, scanStatistics } from '../plan/join-order.js';
import type { PlanNode } from '../plan/logical.js';
import { remapColumns, type DataType, type Expr, type Schema } from '../plan/types.js';
import type { ScanTask } from '../source/table-source.js';
import { isPipeline, type Estimate, type PhysicalNode, type SinkPlacement, type SinkTemplate } from './plan.js';

export interface PlannerOptions {
  /** Build sides with at most this many rows are broadcast to the probe tasks. */
  broadcastRows: number;
  /** Partial groups up to which a grouped aggregation is merged on the coordinator. */
  localMergeRows: number;
  /** Worker threads (partition counts follow them). */
  threads: number;
  /** Scan tasks wanted per scan (a hint to the sources). */
  targetTasks: number;
  batchSize?: number;
  /** Replaces the join-ordering pass (default: engine/plan/join-order.ts), run on the logical plan first. */
  orderJoins?: (plan: PlanNode, rows: (p: PlanNode) => Promise<number>) => Promise<PlanNode> | PlanNode;
}

/** Shuffled joins use at least two partitions per worker and at most this many. */
export const MAX_PARTITIONS = 256;
/** Build rows per partition a shuffled join aims for. */
export const ROWS_PER_PARTITION = 250_000;

/** Partitions of a shuffled join whose build side has `buildRows` rows. */
export function joinPartitions(buildRows: number, threads: number): number {
  return Math.min(MAX_PARTITIONS, Math.max(threads * 2, Math.ceil(buildRows / ROWS_PER_PARTITION)));
}

/** Rough in-memory bytes per row of a schema (estimates only). */
function rowWidth(schema: Schema): number {
  return schema.reduce((n, f) => n + widthOf(f.type), 0);
}

function widthOf(t: DataType): number {
  return t === 'string' || t === 'binary' ? 16 : t === 'boolean' ? 1 : t === 'int32' || t === 'date' ? 4 : 8;
}

type ScanNode = Extract<PlanNode, { op: 'scan' }>;

export class PhysicalPlanner {
  private readonly scans = new Map<PlanNode, Promise<ScanTask[]>>();
  private nextId = 0;

  constructor(private readonly o: PlannerOptions) {}

  async plan(logical: PlanNode): Promise<PhysicalNode> {
    // Join order from the scan plans' statistics (plan/join-order.ts), before any side is chosen.
    const ordered = this.o.orderJoins
      ? await this.o.orderJoins(logical, (p) => this.estimateRows(p))
      : orderJoins(logical, await scanStatistics(logical, (scan) => this.scanTasks(scan)));
    return this.convert(ordered);
  }

  /** A write: `input` under a Sink, in the tasks when `input` is a pipeline. */
  sink(input: PhysicalNode, target: { table: string; mode: string; sink: SinkTemplate; fingerprint: string; placement?: SinkPlacement; taskId?: string }): PhysicalNode {
    const placement = target.placement ?? (isPipeline(input) ? 'tasks' : 'coordinator');
    return {
      op: 'sink', id: this.nextId++, schema: [], est: input.est, input, table: target.table, mode: target.mode, placement, sink: target.sink, fingerprint: target.fingerprint,
      ...(target.taskId ? { taskId: target.taskId } : {}),
    };
  }

  private scanTasks(scan: ScanNode): Promise<ScanTask[]> {
    let tasks = this.scans.get(scan);
    if (!tasks) {
      tasks = scan.source.planScan({
        columns: scan.columns, filters: scan.filters, targetTasks: this.o.targetTasks,
        ...(scan.travel ? { travel: scan.travel } : {}), ...(this.o.batchSize ? { batchSize: this.o.batchSize } : {}),
      });
      this.scans.set(scan, tasks);
    }
    return tasks;
  }

  /** Rows a logical subtree is expected to produce (the rules of the module header). */
  async estimateRows(p: PlanNode): Promise<number> {
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
        return joinRows(p.kind, l, r);
      }
      case 'setop': return this.estimateRows(p.left);
      default: return this.estimateRows(p.input);
    }
  }

  private est(rows: number, schema: Schema): Estimate {
    return { rows: Math.round(rows), bytes: Math.round(rows * rowWidth(schema)) };
  }

  private async convert(p: PlanNode): Promise<PhysicalNode> {
    const id = this.nextId++;
    const { schema } = p;
    switch (p.op) {
      case 'scan': {
        const tasks = await this.scanTasks(p);
        const rows = tasks.reduce((s, t) => s + (t.rows ?? t.bytes / 16), 0);
        const out = p.filters.length ? rows / 2 : rows;
        return {
          op: 'scan', id, schema, est: { rows: Math.round(out), bytes: tasks.reduce((s, t) => s + t.bytes, 0) },
          table: p.table, ...(p.travel ? { travel: p.travel } : {}), columns: p.columns, filters: p.filters, tasks,
        };
      }
      case 'values':
        return { op: 'values', id, schema, est: this.est(p.rows, schema), rows: p.rows, ...(p.data ? { data: p.data } : {}) };
      case 'filter': {
        const input = await this.convert(p.input);
        return { op: 'filter', id, schema, est: this.est(input.est.rows / 2, schema), input, predicate: p.predicate };
      }
      case 'project': {
        const input = await this.convert(p.input);
        return { op: 'project', id, schema, est: this.est(input.est.rows, schema), input, exprs: p.exprs };
      }
      case 'limit': {
        const input = await this.convert(p.input);
        return { op: 'limit', id, schema, est: this.est(Math.min(p.n ?? Infinity, input.est.rows), schema), input, n: p.n, offset: p.offset, pushed: p.n !== null && isPipeline(input) };
      }
      case 'sort': {
        const input = await this.convert(p.input);
        return { op: 'sort', id, schema, est: this.est(input.est.rows, schema), input, keys: p.keys };
      }
      case 'union': {
        const inputs = await Promise.all(p.inputs.map((i) => this.convert(i)));
        return { op: 'union', id, schema, est: this.est(inputs.reduce((n, i) => n + i.est.rows, 0), schema), inputs };
      }
      case 'window': {
        const input = await this.convert(p.input);
        return { op: 'window', id, schema, est: this.est(input.est.rows, schema), input, partitionBy: p.partitionBy, orderBy: p.orderBy, calls: p.calls };
      }
      case 'setop': {
        const [left, right] = await Promise.all([this.convert(p.left), this.convert(p.right)]);
        return { op: 'setop', id, schema, est: this.est(left.est.rows, schema), kind: p.kind, all: p.all, left, right };
      }
      case 'aggregate': {
        const input = await this.convert(p.input);
        const rows = p.keys.length ? input.est.rows : 1;
        const strategy = !isPipeline(input) ? 'local' : p.keys.length && rows > this.o.localMergeRows ? 'partial+partitioned-merge' : 'partial+local-merge';
        return {
          op: 'hash-aggregate', id, schema, est: this.est(rows, schema), strategy, partitions: strategy === 'partial+partitioned-merge' ? this.o.threads * 2 : 0,
          input, keys: p.keys, aggs: p.aggs,
        };
      }
      case 'join': {
        const [left, right] = await Promise.all([this.convert(p.left), this.convert(p.right)]);
        const rows = joinRows(p.kind, left.est.rows, right.est.rows);
        // No equi key: a nested-loop join on the coordinator, the right side its bounded build.
        if (p.leftKeys.length === 0) {
          return { op: 'nested-loop-join', id, schema, est: this.est(rows, schema), kind: p.kind, left, right, condition: p.residual ?? null, nullAware: p.nullAware === true };
        }
        // Side choice (module header): only inner joins, and never away from a probe in the tasks.
        // A left side that is not a pipeline (an aggregated subquery the join order put first) is
        // collected on the coordinator either way: as the build side it is broadcast, or shuffled
        // by the adaptive step when larger than the limit, and the scan pipeline is probed in its
        // own tasks instead of on the coordinator.
        const swap = p.kind === 'inner' && isPipeline(right)
          && (isPipeline(left) ? right.est.rows > left.est.rows : true);
        const [probe, build] = swap ? [right, left] : [left, right];
        const nl = left.schema.length;
        const nr = right.schema.length;
        // The residual is over the logical left++right columns; swapped, over probe++build.
        const residual = p.residual ? (swap ? remapColumns(p.residual, (i) => (i < nl ? nr + i : i - nl)) : p.residual) : null;
        // RIGHT/FULL emit unmatched build rows, so one task must hold all build rows of its key
        // range: never broadcast. A null-aware join (NOT IN) needs the whole build side (any NULL
        // key, emptiness) in every task: always broadcast.
        const strategy = !isPipeline(probe) ? 'local'
          : p.nullAware ? 'broadcast'
            : p.kind === 'right' || p.kind === 'full' ? 'partitioned'
              : build.est.rows <= this.o.broadcastRows || !isPipeline(build) ? 'broadcast' : 'partitioned';
        return {
          op: 'hash-join', id, schema, est: this.est(rows, schema), kind: p.kind, strategy, probe, build,
          probeKeys: swap ? p.rightKeys : p.leftKeys, buildKeys: swap ? p.leftKeys : p.rightKeys, residual, nullAware: p.nullAware === true, swapped: swap,
          partitions: strategy === 'partitioned' ? joinPartitions(build.est.rows, this.o.threads) : 0,
        };
      }
    }
  }
}

function joinRows(kind: string, l: number, r: number): number {
  switch (kind) {
    case 'inner': return Math.max(l, r);
    case 'full': return l + r;
    case 'right': return r;
    default: return l;
  }
}

/** Output column order of a swapped join: logical (left, right) positions over probe++build = (right, left). */
export function unswapExprs(schema: Schema, leftWidth: number, rightWidth: number): Expr[] {
  return schema.map((f, i): Expr => ({ k: 'col', i: i < leftWidth ? rightWidth + i : i - leftWidth, type: f.type }));
}
