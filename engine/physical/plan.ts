/**
 * The physical plan: what the executor runs, as plain data. The planner (planner.ts) turns an
 * optimized logical plan into it, taking every strategic decision up front — which join side is
 * hashed (`swapped`), whether a join's build side is broadcast to the probe tasks, shuffled into
 * partitions, or probed on the coordinator (`strategy`), how a grouped aggregation's partial groups
 * are merged, whether a LIMIT is pushed into the scan tasks, and where a write's sink runs. The
 * executor (exec/executor.ts) follows those decisions; the one thing it may change is named in
 * the plan: a broadcast build that turns out larger than the broadcast limit is shuffled instead
 * and the join node records `adaptive: 'broadcast→partitioned'`.
 *
 * Plain data: no classes, functions or table sources — a scan carries its planned tasks (plain
 * data too), so a plan can be printed (explain.ts), compared in tests and built by hand
 * (compaction builds its own Scan → Sink plan). Every node has an `id` unique in its plan (the
 * key of EXPLAIN ANALYZE's per-operator metrics) and an estimate of its output (`est`), from the
 * scan plans' row and byte counts after pruning.
 */

import type { JoinKind, SortItem, WindowCall } from '../plan/logical.js';
import type { AggCall, Expr, Scalar, Schema } from '../plan/types.js';
import type { TimeTravel } from '../plan/unbound.js';
import type { ScanTask } from '../source/table-source.js';
import type { SinkSpec } from '../write/sink.js';

/** Expected output of an operator. */
export interface Estimate {
  rows: number;
  bytes: number;
}

interface Base {
  id: number;
  schema: Schema;
  est: Estimate;
}

/** broadcast: the build side is hashed once and sent to every probe task; partitioned: both sides
 * are hash-partitioned and each partition joined by one task; local: probed on the coordinator
 * (the probe side is not a scan pipeline). */
export type JoinStrategy = 'broadcast' | 'partitioned' | 'local';

/** partial+local-merge: scan tasks aggregate partially, the coordinator merges; partial+partitioned-merge:
 * partial groups are hash-partitioned and each partition merged by a task on the pool; local: the
 * whole aggregation runs on the coordinator (its input is not a scan pipeline). */
export type AggStrategy = 'partial+local-merge' | 'partial+partitioned-merge' | 'local';

/** Where a write's sink runs: inside every task of the pipeline below it, or on the coordinator over the plan's output. */
export type SinkPlacement = 'tasks' | 'coordinator';

/** The sink of a write, as plain data: the per-task SinkSpec without its task id and output types. */
export type SinkTemplate = Omit<SinkSpec, 'taskId' | 'outputTypes'>;

export type PhysicalNode =
  | (Base & { op: 'scan'; table: string; travel?: TimeTravel; columns: string[]; filters: Expr[]; tasks: ScanTask[] })
  | (Base & { op: 'filter'; input: PhysicalNode; predicate: Expr })
  | (Base & { op: 'project'; input: PhysicalNode; exprs: Expr[] })
  | (Base & {
    op: 'hash-join';
    kind: JoinKind;
    strategy: JoinStrategy;
    /** The side streamed through the hash table (left of the output unless `swapped`). */
    probe: PhysicalNode;
    /** The hashed side. */
    build: PhysicalNode;
    probeKeys: Expr[];
    buildKeys: Expr[];
    /** Over probe columns then build columns (already remapped when swapped). */
    residual: Expr | null;
    nullAware: boolean;
    /** The logical left side is the build side; the output keeps the logical column order. */
    swapped: boolean;
    /** Partitions of a partitioned join (0 otherwise). */
    partitions: number;
    /** Set by the executor when it changed the planned strategy (the one adaptive step). */
    adaptive?: 'broadcast→partitioned';
  })
  /** A join without equi keys (compute/nested-loop.ts), on the coordinator; the right side is the bounded build. */
  | (Base & { op: 'nested-loop-join'; kind: JoinKind; left: PhysicalNode; right: PhysicalNode; condition: Expr | null; nullAware: boolean })
  | (Base & { op: 'hash-aggregate'; strategy: AggStrategy; partitions: number; input: PhysicalNode; keys: Expr[]; aggs: AggCall[] })
  | (Base & { op: 'sort'; input: PhysicalNode; keys: SortItem[] })
  /** `pushed`: every scan task stops after n + offset rows; the exact window is cut on the coordinator. */
  | (Base & { op: 'limit'; input: PhysicalNode; n: number | null; offset: number; pushed: boolean })
  | (Base & { op: 'union'; inputs: PhysicalNode[] })
  | (Base & { op: 'window'; input: PhysicalNode; partitionBy: Expr[]; orderBy: SortItem[]; calls: WindowCall[] })
  | (Base & { op: 'setop'; kind: 'intersect' | 'except'; all: boolean; left: PhysicalNode; right: PhysicalNode })
  | (Base & { op: 'values'; rows: number; data?: Scalar[][] })
  /** The root of every write. `table` and `mode` are for display; `sink` is what the tasks write with. */
  | (Base & { op: 'sink'; input: PhysicalNode; table: string; mode: string; placement: SinkPlacement; sink: SinkTemplate; fingerprint: string; taskId?: string });

export type PhysicalOp = PhysicalNode['op'];

export function physicalChildren(p: PhysicalNode): PhysicalNode[] {
  switch (p.op) {
    case 'scan': case 'values': return [];
    case 'hash-join': return [p.probe, p.build];
    case 'nested-loop-join': case 'setop': return [p.left, p.right];
    case 'union': return p.inputs;
    default: return [p.input];
  }
}

/**
 * Whether a node runs inside scan tasks: a scan and the streaming operators over it (filter,
 * project, and a hash join probed in the tasks). The planner marks a join `local` exactly when
 * its probe side is not such a pipeline, so this is a property of the plan, not of the run.
 */
export function isPipeline(p: PhysicalNode): boolean {
  switch (p.op) {
    case 'scan': return true;
    case 'filter': case 'project': return isPipeline(p.input);
    case 'hash-join': return p.strategy !== 'local';
    default: return false;
  }
}

/** Pre-order list of a plan's nodes. */
export function physicalNodes(p: PhysicalNode, out: PhysicalNode[] = []): PhysicalNode[] {
  out.push(p);
  for (const c of physicalChildren(p)) physicalNodes(c, out);
  return out;
}
