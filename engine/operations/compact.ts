/**
 * Small-file compaction (Iceberg's `rewrite_data_files`, bin-pack strategy).
 *
 * Planning: the current snapshot's live data files (optionally only those that may hold rows
 * matching `where`) are grouped by partition. A file is a candidate when it is smaller than
 * `minFileSize` (default 75% of `targetFileSize`), larger than `maxFileSize` (180%), or has
 * delete files applied to it. A partition is rewritten when it has at least `minInputFiles`
 * (default 5) candidates, or its candidates hold more than one target file's worth of data, or
 * any candidate carries deletes. Its candidates are bin-packed (in file order) into groups of at
 * most `maxGroupSize` bytes; each group is expected to produce round(bytes / target) files.
 * These are Iceberg's defaults and meaning (`target-file-size-bytes` 512 MiB there; 128 MiB here,
 * the table's `write.target-file-size-bytes` when set, because the Parquet writer here holds one
 * row group per file in flight and smaller files keep scans parallel on small machines).
 *
 * Execution: each group is one physical plan — Scan (one task: the group's files) → Sink — run by
 * the executor's write path like every other write, at most `maxConcurrentGroups` at once:
 * the catalog reader streams the group's files with their deletes applied, and the write sink
 * rolls new files at the target size (sorted by `sortBy` if given: then a group's rows are held
 * in memory to sort). All groups are committed as one `replace` snapshot based on the planned
 * snapshot, or one per group with `partialProgress`. Conflict rules are the catalog's: appends
 * committed meanwhile never fail it; a concurrent removal of an input file or new delete files
 * fail it with COMMIT_CONFLICT, after its staged files are deleted — re-run it.
 */

import { InflightWrite, dataFileSlice, partitionPath, partitionType, planScan, specById, type DataFile, type FileScanTask, type Snapshot, type Table } from '../../catalog/index.js';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import type { IcebergType, PrimitiveType } from '../../connectors/iceberg-types.js';
import type { DataType } from '../plan/types.js';
import { storedEngineType } from '../write/assign.js';
import type { PhysicalNode, SinkTemplate } from '../physical/plan.js';
import type { PlanNode } from '../plan/logical.js';
import { CatalogTableSource, type IcebergScanTask } from '../source/catalog-source.js';
import { toCatalogPredicate } from '../source/pushdown.js';
import { partitionValueFromJson, partitionValueToJson } from '../write/partitioner.js';
import { fromPlainStats, type SinkFile, type SinkSpec } from '../write/sink.js';
import type { WriteHost } from '../write/stage.js';
import { newSqlRunId } from '../write/sql-write.js';
import { DEFAULT_TARGET_FILE_SIZE, partitionPlans, resolveTarget } from '../write/target.js';

export interface CompactOptions {
  /** Size of the files to produce (default: table property write.target-file-size-bytes, else 128 MiB). */
  targetFileSize?: number;
  /** Files smaller than this are rewritten (default 75% of the target). */
  minFileSize?: number;
  /** Files larger than this are rewritten (split; default 180% of the target). */
  maxFileSize?: number;
  /** A partition is rewritten only with at least this many candidate files (default 5). */
  minInputFiles?: number;
  /** Groups rewritten at once (default: the worker threads). */
  maxConcurrentGroups?: number;
  /** Largest group, in input bytes (default 1 GiB). */
  maxGroupSize?: number;
  /** Only files that may hold rows matching this SQL predicate (partitions, column bounds). */
  where?: string;
  /** Rewrite sorted by these columns: "col", "col DESC", "col ASC NULLS FIRST". */
  sortBy?: string[];
  /** Commit each group as it finishes (one replace snapshot per group). */
  partialProgress?: boolean;
  /** Plan only. */
  dryRun?: boolean;
  signal?: AbortSignal;
  runId?: string;
  /** Called after the groups are rewritten, before the commit (orchestration and tests: a point to observe or race). */
  beforeCommit?: () => Promise<void>;
}

export interface CompactionGroup {
  partition: Record<string, unknown>;
  partitionPath: string;
  specId: number;
  files: Array<{ path: string; fileSizeInBytes: number; recordCount: number; deleteFiles: number }>;
  inputBytes: number;
  inputRows: number;
  expectedFiles: number;
}

export interface CompactResult {
  table: string;
  dryRun: boolean;
  /** Snapshot the plan was made from (null: empty table). */
  baseSnapshotId: string | null;
  /** Snapshots committed (one, one per group with partialProgress, or none). */
  snapshotIds: string[];
  groups: CompactionGroup[];
  metrics: {
    filesBefore: number;
    filesAfter: number;
    filesRewritten: number;
    filesAdded: number;
    bytesRead: number;
    bytesWritten: number;
    rows: number;
    durationMs: number;
    throughput: { filesPerSecond: number; bytesPerSecond: number; rowsPerSecond: number };
  };
}

interface PlannedGroup extends CompactionGroup {
  tasks: FileScanTask[];
}

/** Whether the reader's engine type for an Iceberg column is exactly what the writer stores. */
function roundTrips(t: IcebergType, engine: DataType): boolean {
  // Nanosecond timestamps are read as microseconds: rewriting them would drop digits.
  if (typeof t !== 'string' || t === 'timestamp_ns' || t === 'timestamptz_ns') return false;
  try {
    return storedEngineType(t) === engine;
  } catch {
    return false;
  }
}

function parseSortBy(items: string[], columns: string[]): NonNullable<SinkSpec['sortBy']> {
  return items.map((item) => {
    const m = /^\s*(`[^`]+`|[A-Za-z_][\w-]*)(?:\s+(ASC|DESC))?(?:\s+NULLS\s+(FIRST|LAST))?\s*$/i.exec(item);
    if (!m) throw new LakehouseError('INVALID_ARGUMENT', `"${item}" is not a sort term`, { help: 'Use "column", "column DESC" or "column ASC NULLS FIRST".' });
    const name = m[1]!.replace(/^`|`$/g, '');
    const column = columns.findIndex((c) => c.toLowerCase() === name.toLowerCase());
    if (column < 0) throw new LakehouseError('INVALID_ARGUMENT', `sort column "${name}" is not in the table`, { help: `Columns: ${columns.join(', ')}.` });
    return { column, desc: (m[2] ?? '').toUpperCase() === 'DESC', nullsFirst: (m[3] ?? '').toUpperCase() === 'FIRST' };
  });
}

async function wherePredicate(host: WriteHost, table: string, where: string): Promise<ReturnType<typeof toCatalogPredicate>> {
  const plan = await host.frame(`SELECT * FROM ${table} WHERE ${where}`, {}).plan();
  let scan: PlanNode = plan;
  while (scan.op !== 'scan') {
    if (scan.op !== 'project' && scan.op !== 'filter') break;
    scan = scan.input;
  }
  if (scan.op !== 'scan' || plan.op === 'filter' || (plan.op === 'project' && plan.input.op === 'filter')) {
    throw new LakehouseError('INVALID_ARGUMENT', `compaction filter "${where}" cannot be used to select files`, { help: 'Use comparisons of columns with constants, IN, IS [NOT] NULL, AND and OR.' });
  }
  const types = new Map<string, PrimitiveType>();
  const src = scan.source as CatalogTableSource;
  for (const f of src.icebergSchema.fields) if (typeof f.type === 'string') types.set(f.name, f.type);
  for (const f of scan.filters) {
    if (!toCatalogPredicate([f], scan.columns, types)) {
      throw new LakehouseError('INVALID_ARGUMENT', `compaction filter "${where}" cannot be used to select files`, { help: 'Use comparisons of columns with constants, IN, IS [NOT] NULL, AND and OR.' });
    }
  }
  return toCatalogPredicate(scan.filters, scan.columns, types);
}

function expectedFiles(bytes: number, target: number, min: number): number {
  const n = Math.floor(bytes / target);
  return n === 0 || bytes - n * target > min ? n + 1 : n;
}

function planGroups(table: Table, tasks: FileScanTask[], o: Required<Pick<CompactOptions, 'targetFileSize' | 'minFileSize' | 'maxFileSize' | 'minInputFiles' | 'maxGroupSize'>>): PlannedGroup[] {
  const md = table.metadata;
  const byPartition = new Map<string, FileScanTask[]>();
  for (const t of tasks) {
    const k = `${t.file.specId}|${JSON.stringify(t.file.partition.map(partitionValueToJson))}`;
    byPartition.set(k, [...(byPartition.get(k) ?? []), t]);
  }
  const groups: PlannedGroup[] = [];
  for (const files of byPartition.values()) {
    const candidates = files.filter((t) => t.file.fileSizeInBytes < o.minFileSize || t.file.fileSizeInBytes > o.maxFileSize || t.deletes.length > 0);
    const bytes = candidates.reduce((s, t) => s + t.file.fileSizeInBytes, 0);
    const worth = candidates.length >= o.minInputFiles || (candidates.length > 1 && bytes > o.targetFileSize) || candidates.some((t) => t.deletes.length > 0);
    if (!worth) continue;
    const spec = specById(md, files[0]!.file.specId);
    const tuple = files[0]!.file.partition;
    const partition = Object.fromEntries(spec.fields.map((pf, i) => [pf.name, partitionValueToJson(tuple[i] ?? null)]));
    const path = spec.fields.length ? partitionPath(spec, table.schema(), tuple) : '';
    let cur: PlannedGroup | null = null;
    for (const t of candidates) {
      if (!cur || (cur.inputBytes + t.file.fileSizeInBytes > o.maxGroupSize && cur.tasks.length > 0)) {
        cur = { partition, partitionPath: path, specId: t.file.specId, files: [], inputBytes: 0, inputRows: 0, expectedFiles: 0, tasks: [] };
        groups.push(cur);
      }
      cur.tasks.push(t);
      cur.files.push({ path: t.file.filePath, fileSizeInBytes: t.file.fileSizeInBytes, recordCount: t.file.recordCount, deleteFiles: t.deletes.length });
      cur.inputBytes += t.file.fileSizeInBytes;
      cur.inputRows += t.file.recordCount;
    }
  }
  for (const g of groups) g.expectedFiles = expectedFiles(g.inputBytes, o.targetFileSize, o.minFileSize);
  return groups;
}

const totalDataFiles = (s: Snapshot | undefined): number => Number(s?.summary['total-data-files'] ?? 0);

async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed;
  return out;
}

export async function compactTable(host: WriteHost, name: string, options: CompactOptions = {}): Promise<CompactResult> {
  const started = performance.now();
  const wh = await host.warehouse();
  const table = await wh.loadTable(name);
  const props = table.metadata.properties;
  const propTarget = Number(props['write.target-file-size-bytes']);
  const target = options.targetFileSize ?? (Number.isFinite(propTarget) && propTarget > 0 ? propTarget : DEFAULT_TARGET_FILE_SIZE);
  if (!(target > 0)) throw new LakehouseError('INVALID_ARGUMENT', `targetFileSize must be positive, got ${target}`);
  const o = {
    targetFileSize: target,
    minFileSize: options.minFileSize ?? Math.floor(target * 0.75),
    maxFileSize: options.maxFileSize ?? Math.floor(target * 1.8),
    minInputFiles: options.minInputFiles ?? 5,
    maxGroupSize: options.maxGroupSize ?? 1024 * 1024 * 1024,
  };
  const base = table.currentSnapshot();
  const filter = options.where ? await wherePredicate(host, name, options.where) : undefined;
  const plan = base ? await planScan(table.state, { snapshotId: base['snapshot-id'], ...(filter ? { filter } : {}) }) : undefined;
  const groups = plan ? planGroups(table, plan.tasks, o) : [];
  const filesBefore = totalDataFiles(base);
  const result: CompactResult = {
    table: name, dryRun: options.dryRun === true, baseSnapshotId: base ? String(base['snapshot-id']) : null, snapshotIds: [],
    groups: groups.map(({ tasks: _t, ...g }) => g),
    metrics: { filesBefore, filesAfter: filesBefore, filesRewritten: 0, filesAdded: 0, bytesRead: 0, bytesWritten: 0, rows: 0, durationMs: 0, throughput: { filesPerSecond: 0, bytesPerSecond: 0, rowsPerSecond: 0 } },
  };
  const finish = (): CompactResult => {
    const ms = performance.now() - started;
    result.metrics.durationMs = Math.round(ms);
    const secs = Math.max(ms / 1000, 1e-6);
    result.metrics.throughput = {
      filesPerSecond: result.metrics.filesRewritten / secs, bytesPerSecond: result.metrics.bytesRead / secs, rowsPerSecond: result.metrics.rows / secs,
    };
    return result;
  };
  if (options.dryRun || groups.length === 0) return finish();

  // The rows are read and written through the engine's kernels: every column must round-trip.
  const source = CatalogTableSource.open(name, table);
  // A column is rewritten only when the reader hands it over as exactly the values its type
  // stores (a decimal as decimal(P,S), never as a double): compaction must not change one value.
  const bad = source.icebergSchema.fields.filter((f, i) => !roundTrips(f.type, source.schema[i]!.type));
  if (bad.length) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: compacting tables with ${bad.map((f) => `${f.name} (${typeof f.type === 'string' ? f.type : f.type.type})`).join(', ')} columns`, {
      help: 'Those columns cannot yet be read and rewritten exactly; nothing was changed.',
    });
  }
  const tgt = await resolveTarget(wh, name, source.schema, undefined);
  const sources = source.schema.map((_, i) => i);
  const partitionFields = partitionPlans(tgt, sources);
  const sortBy = options.sortBy?.length ? parseSortBy(options.sortBy, source.schema.map((f) => f.name)) : undefined;
  const runId = options.runId ?? newSqlRunId().replace(/^sql-/, 'compact-');
  const defaultSpec = table.spec()['spec-id'];
  const ptype = partitionType(tgt.spec, tgt.schema);
  const local = table.io.store.uri.startsWith('memory://');

  const rewrite = async (g: PlannedGroup, index: number): Promise<SinkFile[]> => {
    const task: IcebergScanTask = {
      kind: 'iceberg', store: table.io.store.uri, files: g.tasks.map((t) => dataFileSlice(t)), fields: source.icebergSchema.fields,
      bytes: g.inputBytes, rows: g.inputRows, ...(local ? { local: true } : {}),
    };
    // The group's rewrite is a physical plan of its own: one scan task over exactly its files
    // (with their deletes), under a Sink that writes the group's partition.
    const scan: PhysicalNode = {
      op: 'scan', id: 1, schema: source.schema, est: { rows: g.inputRows, bytes: g.inputBytes }, table: name, columns: source.schema.map((f) => f.name), filters: [], tasks: [task],
    };
    const sink: SinkTemplate = {
      store: tgt.storeUri, dataPrefix: tgt.dataPrefix, runId, schema: tgt.schema, sources, spec: tgt.spec,
      partitionFields, targetFileSize: o.targetFileSize, compression: tgt.compression,
      bufferBytes: sortBy ? Number.MAX_SAFE_INTEGER : 256 * 1024 * 1024,
      ...(sortBy ? { sortBy } : {}),
      ...(g.specId === defaultSpec ? { knownPartition: g.tasks[0]!.file.partition.map(partitionValueToJson) } : {}),
    };
    const plan: PhysicalNode = { op: 'sink', id: 0, schema: [], est: scan.est, input: scan, table: name, mode: 'compaction', placement: 'tasks', sink, fingerprint: '', taskId: `g${index}` };
    const { outcome } = await host.runWrite(plan, undefined, options.signal);
    return outcome.files;
  };

  const staged: string[] = [];
  const commitGroups = async (gs: PlannedGroup[], outs: SinkFile[][]): Promise<void> => {
    const t = await table.refresh();
    const added: DataFile[] = outs.flat().map((f) => t.dataFile({ key: f.key, stats: fromPlainStats(f.stats), partition: f.partition.map((v, i) => partitionValueFromJson(ptype.fields[i]!.type as PrimitiveType, v)) }));
    const b = t.newReplace();
    for (const g of gs) for (const f of g.files) b.deleteFile(f.path);
    b.addFiles(added).basedOn(base!['snapshot-id']).withProvenance({ runId, summary: { 'lake.operation': 'compaction', 'lake.compaction.groups': String(gs.length) } });
    const res = await b.commit();
    result.snapshotIds.push(String(res.snapshot['snapshot-id']));
    for (const g of gs) {
      result.metrics.filesRewritten += g.files.length;
      result.metrics.bytesRead += g.inputBytes;
    }
    for (const f of outs.flat()) {
      result.metrics.filesAdded++;
      result.metrics.bytesWritten += f.stats.fileSizeInBytes;
      result.metrics.rows += f.stats.recordCount;
    }
  };

  const concurrency = options.maxConcurrentGroups ?? Math.max(1, host.threads());
  let commits = Promise.resolve();
  // Protects the rewritten files (named after the run id) from orphan removal until settled.
  const marker = await InflightWrite.begin(wh.store, table.io.root, { tokens: [runId], kind: 'compaction' });
  try {
    const outs = await mapLimit(groups, concurrency, async (g, i) => {
      const files = await rewrite(g, i);
      staged.push(...files.map((f) => f.key));
      if (options.partialProgress) {
        // Commits are serialised; each covers exactly one group.
        commits = commits.then(() => commitGroups([g], [files]));
        await commits;
      }
      return files;
    });
    if (!options.partialProgress) {
      await options.beforeCommit?.();
      await commitGroups(groups, outs);
    }
  } catch (err) {
    if (isLakehouseError(err) && err.details['outcomeUnknown'] === true) {
      // The commit may still land: delete nothing, keep the marker (see catalog/commit.ts).
      marker.leave();
      throw err;
    }
    // Files of committed groups belong to the table now; delete only the rest.
    const live = await liveKeys(table, staged);
    await wh.store.deleteMany(staged.filter((k) => !live.has(k))).catch(() => undefined);
    await marker.end();
    throw err;
  }
  await marker.end();
  result.metrics.filesAfter = totalDataFiles((await table.refresh()).currentSnapshot());
  return finish();
}

/** Which of `keys` the table's current snapshot references. */
async function liveKeys(table: Table, keys: string[]): Promise<Set<string>> {
  if (!keys.length) return new Set();
  const t = await table.refresh();
  const want = new Set(keys);
  const plan = await planScan(t.state);
  return new Set(plan.tasks.map((x) => x.key).filter((k) => want.has(k)));
}
