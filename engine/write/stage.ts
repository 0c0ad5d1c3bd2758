/**
 * Two-phase table writes: `stageWrite` runs the query and writes its output as data files that
 * no snapshot references yet (nothing is visible); `commit()` then adds them to the table in one
 * catalog commit (append, dynamic partition overwrite, or full replace), and `abort()` deletes
 * them. SQL writes (INSERT INTO / INSERT OVERWRITE / CTAS) are stage + commit; batch jobs call
 * the two phases themselves, with quality gates in between.
 *
 * Cleanup contract: if staging fails or is cancelled, every file it wrote is deleted before the
 * error reaches the caller (tasks delete their own partial files; the coordinator waits for them,
 * deletes the files of finished tasks, and sweeps the data directory for this run's names).
 * Files reused from a previous run (`reuse`) are never deleted by a failed staging.
 *
 * Determinism: tasks, their ids (`t<k>-<hash of the task and the plan>`) and the rows each task
 * writes depend only on the plan and the pinned input snapshots, and file names only on (run,
 * task, partition, index): the same job over the same inputs writes byte-identical files.
 */

import { createHash, randomUUID } from 'node:crypto';
import { InflightWrite, partitionType, planScan, type DataFile, type Table, type Warehouse } from '../../catalog/index.js';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import { dataFileStats, readParquetMetadata, type DataFileStats } from '../../connectors/formats.js';
import type { PrimitiveType } from '../../connectors/iceberg-types.js';
import type { DataFrame, QueryContext } from '../dataframe.js';
import type { OpMetrics, QueryStats, ReuseLookup, WriteOutcome } from '../exec/executor.js';
import type { PhysicalNode } from '../physical/plan.js';
import type { PhysicalPlanner } from '../physical/planner.js';
import { explain, type PlanNode } from '../plan/logical.js';
import { inputSnapshotsOf } from '../source/catalog-source.js';
import { partitionValueFromJson } from './partitioner.js';
import { fromPlainStats, type SinkFile } from './sink.js';
import { mapColumns, partitionPlans, resolveTarget, splitName, type WriteTarget } from './target.js';

export interface StagedDataFile {
  key: string;
  uri: string;
  /** Partition field name → value (JSON-safe: 64-bit values are numbers when exact, else strings). */
  partition: Record<string, unknown>;
  partitionPath: string;
  taskId: string;
  stats: DataFileStats;
}

export interface CommitProvenance {
  runId?: string;
  /** Recorded as `lake.idempotency-key`; a second commit with the same key is refused (see ingest). */
  idempotencyKey?: string;
  jobName?: string;
  inputSnapshotIds?: Record<string, string>;
}

export interface StagedWrite {
  table: string;
  /** The id the commit will carry as `lake.commit-id` (look it up with commitStatus). */
  commitId: string;
  files: StagedDataFile[];
  inputSnapshots: Record<string, string | null>;
  /** The physical plan that wrote the files (a Sink at its root), and what each operator did. */
  plan: PhysicalNode;
  operatorMetrics: ReadonlyMap<number, OpMetrics>;
  metrics: { rowsRead: number; bytesRead: number; rowsWritten: number; bytesWritten: number; tasks: number; tasksReused: number };
  commit(options?: { provenance?: CommitProvenance; dropFiles?: string[]; replace?: ReplaceFiles }): Promise<{ snapshotId: string }>;
  abort(): Promise<void>;
  /**
   * This write's files were committed by another staged write's commit (`replace.add`), or that
   * commit's outcome is unknown: settle without deleting anything (ends or leaves the marker).
   */
  adopted(outcome: 'committed' | 'unknown'): Promise<void>;
}

/**
 * Replace-where (engine/write/replace-where.ts): in the same commit, remove these live data
 * files (manifest locations) and add the files of other staged writes of the same table (the
 * removed files' rows that stay); validated against every commit since `basedOn`.
 */
export interface ReplaceFiles {
  remove: string[];
  add: StagedWrite[];
  basedOn: bigint | null;
}

export type WriteMode = 'append' | 'overwrite-partitions' | 'replace';

export interface StageWriteRequest {
  query: string | DataFrame;
  table: string;
  mode: WriteMode;
  /** Create the table at commit if it does not exist (partition terms like `month(d)`, `bucket(8, id)`). */
  create?: { partitionBy?: string[] };
  runId: string;
  /** The commit's id (`lake.commit-id`); default a fresh UUID. */
  commitId?: string;
  inputs?: Record<string, { snapshotId: string }>;
  signal?: AbortSignal;
  reuse?: (taskId: string) => Promise<StagedDataFile[] | undefined>;
}

/** Engine-internal knobs (SQL CTAS, compaction). */
export interface StageInternals {
  /** CREATE TABLE semantics: fail with TABLE_EXISTS if the table appeared meanwhile. */
  createOnly?: boolean;
  targetFileSize?: number;
  bufferBytes?: number;
  /** Column types of a created table where they should differ from the engine's defaults (e.g. timestamptz). */
  columnTypes?: Record<string, import('../../connectors/iceberg-types.js').PrimitiveType>;
}

/** What staging needs from the engine. */
export interface WriteHost {
  warehouse(): Promise<Warehouse>;
  frame(sql: string, context: QueryContext): DataFrame;
  /** A physical planner with the engine's options (one per plan). */
  planner(): PhysicalPlanner;
  /** Runs a physical plan with a Sink at its root (Executor.write). */
  runWrite(plan: PhysicalNode, reuse: ReuseLookup | undefined, signal: AbortSignal | undefined): Promise<{ outcome: WriteOutcome; stats: QueryStats; metrics: ReadonlyMap<number, OpMetrics> }>;
  /** Worker threads of the pool. */
  threads(): number;
}

const BUFFER_BYTES = 256 * 1024 * 1024;

/** A file of a previous run, handed back by `reuse` (its stats may be partial). */
type ReusedFile = SinkFile & { partial?: boolean };

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** A write planned but not run: its physical plan (a Sink at the root), its logical input and target. */
export interface PlannedWrite {
  plan: PhysicalNode;
  logical: PlanNode;
  target: WriteTarget;
  wh: Warehouse;
}

/**
 * Plans a write: the query's logical plan, physically planned, under a Sink for the resolved
 * target (EXPLAIN of a write prints this; stageWrite runs it). Nothing is written.
 */
export async function planWrite(host: WriteHost, req: StageWriteRequest, internals: StageInternals = {}): Promise<PlannedWrite> {
  if (!/^[A-Za-z0-9_.-]+$/.test(req.runId)) throw new LakehouseError('INVALID_ARGUMENT', `run id "${req.runId}" may only contain letters, digits, ".", "_" and "-"`, { help: 'It becomes part of data file names.' });
  const df = typeof req.query === 'string' ? host.frame(req.query, req.inputs ? { inputs: req.inputs } : {}) : req.query;
  const logical = await df.plan();
  const wh = await host.warehouse();
  const target = await resolveTarget(wh, req.table, logical.schema, req.create, internals.columnTypes);
  const sources = mapColumns(logical.schema, target);
  const partitionFields = partitionPlans(target, sources);
  // Task ids depend on what a task reads and computes, not on where it writes (a retry or a shadow run gets the same ids).
  const fingerprint = `${explain(logical)}|${JSON.stringify(inputSnapshotsOf(logical))}`;
  const planner = host.planner();
  const input = await planner.plan(logical);
  const plan = planner.sink(input, {
    table: req.table, mode: req.mode, fingerprint,
    sink: {
      store: target.storeUri, dataPrefix: target.dataPrefix, runId: req.runId, schema: target.schema, sources,
      spec: target.spec, partitionFields, targetFileSize: internals.targetFileSize ?? target.targetFileSize, compression: target.compression,
      bufferBytes: internals.bufferBytes ?? BUFFER_BYTES,
    },
  });
  return { plan, logical, target, wh };
}

export async function stageWrite(host: WriteHost, req: StageWriteRequest, internals: StageInternals = {}): Promise<StagedWrite> {
  const { plan: physical, logical: plan, target, wh } = await planWrite(host, req, internals);
  const reuse = req.reuse;
  const reused = reuse && (async (taskId: string): Promise<SinkFile[] | undefined> => {
    const files = await reuse(taskId);
    return files?.map((f): ReusedFile => ({ key: f.key, taskId, partition: target.spec.fields.map((pf) => (f.partition[pf.name] ?? null) as never), partitionPath: f.partitionPath, stats: f.stats as never, partial: true }));
  });
  let result: { outcome: WriteOutcome; stats: QueryStats; metrics: ReadonlyMap<number, OpMetrics> };
  const store = wh.store;
  const commitId = req.commitId ?? randomUUID();
  // Protects this write's data files (named after the run id) from orphan removal until the
  // outcome is settled; created before the first file exists (catalog/inflight.ts).
  const marker = await InflightWrite.begin(store, target.dataPrefix.replace(/\/?data$/, ''), { tokens: [req.runId, commitId], kind: 'write' });
  try {
    result = await host.runWrite(physical, reused, req.signal);
  } catch (err) {
    // Every task deletes its own files when it fails or is cancelled; the files of tasks that
    // finished are this run's and are swept by name (reused files are never deleted).
    await sweep(store, target.dataPrefix, req.runId, []);
    await marker.end();
    throw err;
  }
  const { outcome, stats } = result;
  const ptype = partitionType(target.spec, target.schema);
  const files: StagedDataFile[] = outcome.files.map((f) => ({
    key: f.key,
    uri: store.uriFor(f.key),
    partition: Object.fromEntries(target.spec.fields.map((pf, i) => [pf.name, f.partition[i] ?? null])),
    partitionPath: f.partitionPath,
    taskId: f.taskId,
    stats: (f as ReusedFile).partial ? (f.stats as unknown as DataFileStats) : fromPlainStats(f.stats),
  }));
  const reusedKeys = new Set(outcome.files.filter((f) => (f as ReusedFile).partial).map((f) => f.key));
  const inputSnapshots = inputSnapshotsOf(plan);
  let state: 'staged' | 'committed' | 'aborted' = 'staged';
  let committedId: string | undefined;
  return {
    table: req.table,
    commitId,
    files,
    inputSnapshots,
    plan: physical,
    operatorMetrics: result.metrics,
    metrics: {
      rowsRead: stats.rowsScanned, bytesRead: stats.bytesScanned,
      rowsWritten: files.reduce((s, f) => s + f.stats.recordCount, 0), bytesWritten: files.reduce((s, f) => s + f.stats.fileSizeInBytes, 0),
      tasks: outcome.tasks, tasksReused: outcome.tasksReused,
    },
    async commit(options = {}) {
      if (state === 'committed') return { snapshotId: committedId! };
      if (state === 'aborted') throw new LakehouseError('INVALID_ARGUMENT', `the staged write to ${req.table} was aborted; its files are gone`, { help: 'Stage the write again.' });
      const drop = new Set(options.dropFiles ?? []);
      const replace = options.replace;
      if (replace?.add.some((w) => w.table !== req.table)) throw new LakehouseError('INTERNAL', `a replace of ${req.table} was given files staged for another table`);
      const keep = [...files.filter((f) => !drop.has(f.key)), ...(replace?.add.flatMap((w) => w.files) ?? [])];
      const table = target.table ? await target.table.refresh() : await createAtCommit(wh, target, internals.createOnly === true);
      const dataFiles: DataFile[] = await Promise.all(keep.map(async (f) => table.dataFile({
        key: f.key,
        stats: f.stats.lowerBounds ? f.stats : dataFileStats(await readParquetMetadata(store, f.key)),
        partition: target.spec.fields.map((pf, i) => partitionValueFromJson(ptype.fields[i]!.type as PrimitiveType, f.partition[pf.name])),
      })));
      const builder = req.mode === 'append' && !replace ? table.newAppend() : table.newOverwrite();
      builder.addFiles(dataFiles);
      if (replace) {
        for (const p of replace.remove) builder.deleteFile(p);
        builder.basedOn(replace.basedOn);
      }
      if (req.mode === 'overwrite-partitions' && !replace) builder.overwritePartitions().basedOn(target.baseSnapshotId);
      if (req.mode === 'replace' && !replace) {
        // Replace what the query saw (the base snapshot); rows appended since then stay.
        if (target.baseSnapshotId !== null) {
          const base = await planScan(table.state, { snapshotId: target.baseSnapshotId });
          const gone = new Set<string>();
          for (const t of base.tasks) for (const p of [t.file.filePath, ...t.deletes.map((d) => d.file.filePath)]) gone.add(p);
          for (const p of gone) builder.deleteFile(p);
        }
        builder.basedOn(target.baseSnapshotId);
      }
      const prov = options.provenance ?? {};
      const inputIds = prov.inputSnapshotIds ?? Object.fromEntries(Object.entries(inputSnapshots).filter(([, v]) => v !== null)) as Record<string, string>;
      builder.withProvenance({
        commitId,
        ...(prov.idempotencyKey ? { idempotencyKey: prov.idempotencyKey } : {}),
        runId: prov.runId ?? req.runId,
        ...(prov.jobName ? { jobName: prov.jobName } : {}),
        inputSnapshotIds: Object.values(inputIds),
        ...(Object.keys(inputIds).length ? { summary: { 'lake.inputs': Object.entries(inputIds).map(([t, s]) => `${t}@${s}`).join(',') } } : {}),
      });
      let res;
      try {
        marker.assertFresh();
        res = await builder.commit();
      } catch (err) {
        // Unknown: the commit may still land, so the marker keeps protecting its files.
        if (isLakehouseError(err) && err.details['outcomeUnknown'] === true) marker.leave();
        throw err;
      }
      await marker.end();
      state = 'committed';
      committedId = String(res.snapshot['snapshot-id']);
      // Files a quality gate dropped are referenced by nothing: remove them now.
      if (drop.size) await store.deleteMany(files.filter((f) => drop.has(f.key)).map((f) => f.key)).catch(() => undefined);
      return { snapshotId: committedId };
    },
    async adopted(outcome) {
      if (state !== 'staged') return;
      state = 'committed';
      if (outcome === 'unknown') marker.leave();
      else await marker.end();
    },
    async abort() {
      if (state !== 'staged') return;
      state = 'aborted';
      await store.deleteMany(files.map((f) => f.key)).catch(() => undefined);
      await sweep(store, target.dataPrefix, req.runId, [], reusedKeys);
      await marker.end();
    },
  };
}

/** Deletes `keys` and any file of this run left in the table's data directory (a cancelled task's). */
async function sweep(store: Warehouse['store'], dataPrefix: string, runId: string, keys: string[], keep: Set<string> = new Set()): Promise<void> {
  const doomed = new Set(keys);
  try {
    for await (const o of store.list(`${dataPrefix}/`)) {
      const base = o.key.slice(o.key.lastIndexOf('/') + 1);
      if (base.startsWith(`${runId}-`) && !keep.has(o.key)) doomed.add(o.key);
    }
  } catch {
    // Listing is the safety net; the explicit keys are still deleted.
  }
  if (doomed.size) await store.deleteMany([...doomed]).catch(() => undefined);
}

async function createAtCommit(wh: Warehouse, target: WriteTarget, createOnly: boolean): Promise<Table> {
  const [ns] = splitName(target.name);
  if (!(await wh.namespaceExists(ns))) {
    await wh.createNamespace(ns).catch((err: unknown) => {
      if (!isLakehouseError(err, 'NAMESPACE_EXISTS')) throw err;
    });
  }
  try {
    return await wh.createTable(target.name, target.create!.fields, { partitionBy: target.create!.partitionBy });
  } catch (err) {
    if (createOnly || !isLakehouseError(err, 'TABLE_EXISTS')) throw err;
  }
  // Created concurrently by someone else: append only if it is the table we staged for.
  const table = await wh.loadTable(target.name);
  const same = JSON.stringify(table.schema().fields.map((f) => [f.id, f.name, f.type])) === JSON.stringify(target.schema.fields.map((f) => [f.id, f.name, f.type]))
    && JSON.stringify(table.spec().fields.map((f) => [f['source-id'], f.transform])) === JSON.stringify(target.spec.fields.map((f) => [f['source-id'], f.transform]));
  if (!same) {
    throw new LakehouseError('SCHEMA_MISMATCH', `table ${target.name} was created concurrently with a different schema or partition spec; nothing was committed`, {
      help: 'Run the write again: it will be planned against the table as it now is.',
    });
  }
  return table;
}
