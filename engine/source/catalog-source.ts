/**
 * An Iceberg table of the warehouse as a `TableSource`, pinned to one snapshot when it is
 * created (the current one, a pinned id from a job's `inputs`, or time travel), so every scan of
 * one query reads the same snapshot, and the snapshot actually read can be reported.
 *
 * Scan planning, in order:
 *   1. the catalog's scan planning prunes manifests, partitions and files with the pushed-down
 *      conjuncts (translated into the catalog's predicate form, see pushdown.ts), and attaches
 *      the delete files that apply to each data file;
 *   2. files with several row groups are split by row group, and row groups whose Parquet
 *      min/max statistics cannot satisfy the conjuncts are dropped (footers are read only when
 *      there is something to gain: a filter, or a file larger than one task);
 *   3. the slices are packed into tasks balanced by the projected compressed bytes (each file
 *      also costs a fixed "open cost", as Iceberg's split planning does), in a deterministic
 *      order (writes rely on it for deterministic output).
 * A task is plain data: the store URI, the slices (file key, row groups, delete files) and the
 * table fields to produce (by field id). Workers read them with the catalog's own reader
 * (`readDataFile`): columns mapped by field id, deletes applied.
 */

import {
  currentSchema, dataFileSlice, planScan, schemaById, type DataFileSlice, type FileScanTask, type Snapshot, type Table,
} from '../../catalog/index.js';
import { LakehouseError } from '../../connectors/errors.js';
import { readParquetMetadata, type ParquetFileMetadata, type RowGroupStats } from '../../connectors/formats.js';
import { isPrimitive, type NestedField, type PrimitiveType, type Schema as IcebergSchema } from '../../connectors/iceberg-types.js';
import { children, type PlanNode } from '../plan/logical.js';
import { parseTimestampLiteral, type Expr, type Schema } from '../plan/types.js';
import type { TimeTravel } from '../plan/unbound.js';
import { engineTypeOfIceberg } from './iceberg-engine-types.js';
import { toCatalogPredicate } from './pushdown.js';
import { rowGroupMayMatch } from './stats-pruning.js';
import { refuseUnsupported, type ScanRequest, type ScanTask, type TableSource } from './table-source.js';

/** Task descriptor of a catalog table scan (see scan-executors.ts). */
export interface IcebergScanTask extends ScanTask {
  kind: 'iceberg';
  store: string;
  files: DataFileSlice[];
  /** Table fields to produce, in the order of the request's columns. */
  fields: NestedField[];
  batchSize?: number;
}

export interface CatalogSourceOptions {
  /** Projected compressed bytes per task (default 16 MiB). */
  targetTaskBytes?: number;
  /** Cost charged per file when packing small files into tasks (default 1 MiB). */
  openFileCost?: number;
}

/** Epoch milliseconds of a `TIMESTAMP AS OF` value: ISO date/time (UTC unless an offset is given) or epoch ms. */
export function travelTimestampMs(at: string): number {
  if (/^\s*\d{11,}\s*$/.test(at)) return Number(at);
  try {
    return Math.floor(parseTimestampLiteral(at) / 1000);
  } catch (err) {
    throw new LakehouseError('PLAN_ERROR', `TIMESTAMP AS OF '${at}' is not a timestamp`, { cause: err, help: "Use 'YYYY-MM-DD HH:MM:SS[.ffffff][Z|±HH:MM]' (UTC by default) or epoch milliseconds." });
  }
}

const footerCache = new Map<string, Promise<ParquetFileMetadata>>();
const FOOTER_CACHE_MAX = 4096;

/** Data files are immutable, so their footers can be cached by URI for the life of the process. */
function footerOf(table: Table, key: string, fileSize: number): Promise<ParquetFileMetadata> {
  const id = table.io.store.uriFor(key);
  let p = footerCache.get(id);
  if (!p) {
    p = readParquetMetadata(table.io.store, key, { fileSize });
    p.catch(() => footerCache.delete(id));
    footerCache.set(id, p);
    if (footerCache.size > FOOTER_CACHE_MAX) footerCache.delete(footerCache.keys().next().value!);
  }
  return p;
}

export class CatalogTableSource implements TableSource {
  readonly schema: Schema;
  readonly unsupportedColumns: ReadonlyMap<string, string>;
  private readonly fieldsByName: Map<string, NestedField>;

  private constructor(
    readonly name: string,
    readonly table: Table,
    readonly snapshot: Snapshot | undefined,
    readonly icebergSchema: IcebergSchema,
    private readonly travelled: boolean,
    private readonly options: CatalogSourceOptions,
  ) {
    const unsupported = new Map<string, string>();
    this.fieldsByName = new Map();
    this.schema = icebergSchema.fields.map((f) => {
      const t = isPrimitive(f.type) ? engineTypeOfIceberg(f.type) : undefined;
      if (t === undefined) unsupported.set(f.name, typeof f.type === 'string' ? f.type : f.type.type);
      this.fieldsByName.set(f.name, f);
      return { name: f.name, type: t ?? 'null', nullable: !f.required, fieldId: f.id };
    });
    this.unsupportedColumns = unsupported;
  }

  /**
   * Pins `table` to the snapshot a query reads: `travel` (VERSION/TIMESTAMP AS OF) first, then a
   * job's pinned snapshot id, else the current snapshot. Time travel reads with the schema the
   * snapshot was written with, as Spark does.
   */
  static open(name: string, table: Table, travel?: TimeTravel, pin?: { snapshotId: string }, options: CatalogSourceOptions = {}): CatalogTableSource {
    let snapshot: Snapshot | undefined;
    if (travel?.kind === 'version') snapshot = table.snapshot(travel.snapshotId);
    else if (travel?.kind === 'timestamp') snapshot = table.snapshotAsOf(travelTimestampMs(travel.at));
    else if (pin) snapshot = table.snapshot(pin.snapshotId);
    else snapshot = table.currentSnapshot();
    const travelled = travel !== undefined || pin !== undefined;
    const schema = travelled && snapshot?.['schema-id'] !== undefined ? schemaById(table.metadata, snapshot['schema-id']) : currentSchema(table.metadata);
    return new CatalogTableSource(name, table, snapshot, schema, travelled, options);
  }

  /** Id of the snapshot this source reads (null: the table has no snapshot yet). */
  get snapshotId(): string | null {
    return this.snapshot ? String(this.snapshot['snapshot-id']) : null;
  }

  async planScan(request: ScanRequest): Promise<ScanTask[]> {
    refuseUnsupported(request.columns, this.unsupportedColumns);
    if (!this.snapshot) return [];
    const fields = request.columns.map((c) => {
      const f = this.fieldsByName.get(c);
      if (!f) throw new LakehouseError('PLAN_ERROR', `internal: column "${c}" is not in table ${this.name}`);
      return f;
    });
    const types = new Map<string, PrimitiveType>();
    for (const f of fields) if (isPrimitive(f.type)) types.set(f.name, f.type);
    const filter = toCatalogPredicate(request.filters, request.columns, types);
    const plan = await planScan(this.table.state, {
      snapshotId: this.snapshot['snapshot-id'],
      useSnapshotSchema: this.travelled,
      ...(filter ? { filter } : {}),
    });
    const ids = fields.map((f) => f.id);
    const projected = (t: FileScanTask): number => {
      const sizes = t.file.columnSizes;
      if (sizes && sizes.size) return Math.max(1, ids.reduce((s, id) => s + (sizes.get(id) ?? 0), 0));
      return Math.max(1, Math.ceil((t.file.fileSizeInBytes * Math.max(1, ids.length)) / Math.max(1, this.icebergSchema.fields.length)));
    };
    const total = plan.tasks.reduce((s, t) => s + projected(t), 0);
    const target = Math.max(1, Math.min(this.options.targetTaskBytes ?? 16 * 1024 * 1024, Math.ceil(total / Math.max(1, request.targetTasks ?? 1))));
    const openCost = Math.min(this.options.openFileCost ?? 1024 * 1024, target);

    // Footers only where they can prune or split; read concurrently, kept in plan order.
    const slices = await mapLimit(plan.tasks, 16, async (t): Promise<Array<{ slice: DataFileSlice; bytes: number; rows: number }>> => {
      const bytes = projected(t);
      const multi = (t.file.splitOffsets?.length ?? 0) > 1;
      if (!multi || (request.filters.length === 0 && bytes <= target)) return [{ slice: dataFileSlice(t), bytes, rows: t.file.recordCount }];
      const md = await footerOf(this.table, t.key, t.file.fileSizeInBytes);
      // Parquet statistics do not count NaN; the data file's nan_value_counts do.
      const nanFree = new Set(fields.filter((f) => t.file.nanValueCounts?.get(f.id) === 0).map((f) => f.name));
      const out: Array<{ slice: DataFileSlice; bytes: number; rows: number }> = [];
      let cur: { groups: number[]; bytes: number; rows: number } | null = null;
      const flush = (): void => {
        if (cur) out.push({ slice: dataFileSlice(t, cur.groups), bytes: cur.bytes, rows: cur.rows });
        cur = null;
      };
      for (const rg of md.rowGroups) {
        if (rg.numRows === 0) continue;
        const view = byTableName(rg, fields);
        if (!request.filters.every((e) => rowGroupMayMatch(e, view, request.columns, { nanFree }))) continue;
        const b = Math.max(1, ids.reduce((s, id) => s + (rg.columnsById.get(id)?.compressedSize ?? 0), 0));
        if (cur && (cur as { bytes: number }).bytes + b > target) flush();
        cur ??= { groups: [], bytes: 0, rows: 0 };
        cur.groups.push(rg.index);
        cur.bytes += b;
        cur.rows += rg.numRows;
      }
      flush();
      return out;
    });

    const local = this.table.io.store.uri.startsWith('memory://');
    const tasks: IcebergScanTask[] = [];
    let cur: IcebergScanTask | null = null;
    for (const s of slices.flat()) {
      const cost = s.bytes + openCost;
      if (!cur || cur.bytes + cost > target + openCost) {
        cur = {
          kind: 'iceberg', store: this.table.io.store.uri, files: [], fields, bytes: 0, rows: 0,
          ...(local ? { local: true } : {}), ...(request.batchSize ? { batchSize: request.batchSize } : {}),
        };
        tasks.push(cur);
      }
      cur.files.push(s.slice);
      cur.bytes += cost;
      cur.rows = (cur.rows ?? 0) + s.rows;
    }
    return tasks;
  }
}

/** Row-group statistics keyed by table column name (files may use other names; ids decide). */
function byTableName(rg: RowGroupStats, fields: NestedField[]): RowGroupStats {
  const columns = new Map<string, RowGroupStats['columns'] extends Map<string, infer V> ? V : never>();
  for (const f of fields) {
    const c = rg.columnsById.get(f.id);
    if (c) columns.set(f.name, c);
  }
  return { ...rg, columns };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Snapshot ids read by the catalog scans of a plan, by table name. */
export function inputSnapshotsOf(plan: PlanNode, out: Record<string, string | null> = {}): Record<string, string | null> {
  if (plan.op === 'scan') {
    if (plan.source instanceof CatalogTableSource) out[plan.table] = plan.source.snapshotId;
    return out;
  }
  const kids = children(plan);
  for (const k of kids) inputSnapshotsOf(k, out);
  return out;
}

export type { Expr };
export { engineTypeOfIceberg };
