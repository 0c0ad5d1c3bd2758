/**
 * A table made of Parquet files in an object store (no catalog): the schema comes from the first
 * file's footer; scans are split into tasks of whole row groups, balanced by the compressed bytes
 * of the projected columns, after pruning row groups whose min/max statistics cannot satisfy the
 * pushed-down conjuncts. Tasks run in the worker pool, except for `memory://` stores, whose
 * objects live in this thread only.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { readParquetMetadata, type ParquetFileMetadata, type RowGroupStats } from '../../connectors/formats.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import type { Expr, Schema } from '../plan/types.js';
import { engineSchemaOfIceberg } from './iceberg-engine-types.js';
import type { ParquetScanTask } from './scan-executors.js';
import { refuseUnsupported, type ScanRequest, type ScanTask, type TableSource } from './table-source.js';
import { rowGroupMayMatch } from './stats-pruning.js';

export interface ParquetFilesOptions {
  /** Compressed bytes per task before row groups stop being merged (default 16 MiB). */
  targetTaskBytes?: number;
}

export class ParquetFilesSource implements TableSource {
  private constructor(
    private readonly store: ObjectStore,
    private readonly files: ParquetFileMetadata[],
    readonly schema: Schema,
    readonly unsupportedColumns: ReadonlyMap<string, string>,
    private readonly options: ParquetFilesOptions,
  ) {}

  static async open(store: ObjectStore, keys: string[], options: ParquetFilesOptions = {}): Promise<ParquetFilesSource> {
    if (keys.length === 0) throw new LakehouseError('INVALID_ARGUMENT', 'a Parquet table needs at least one file');
    const files = await Promise.all(keys.map((k) => readParquetMetadata(store, k)));
    const { schema, unsupported } = parquetEngineSchema(files[0]!);
    return new ParquetFilesSource(store, files, schema, unsupported, options);
  }

  /** Rows across all files (from the footers). */
  get numRows(): number {
    return this.files.reduce((s, f) => s + f.numRows, 0);
  }

  async planScan(request: ScanRequest): Promise<ScanTask[]> {
    if (request.travel) {
      throw new LakehouseError('UNSUPPORTED', 'not supported yet: time travel on a plain Parquet table', { help: 'Time travel needs a catalog table.' });
    }
    refuseUnsupported(request.columns, this.unsupportedColumns);
    const local = this.store.uri.startsWith('memory://');
    const live = this.files.map((f) => ({
      f, groups: f.rowGroups.filter((rg) => rg.numRows > 0 && request.filters.every((e) => rowGroupMayMatch(e, rg, request.columns))),
    }));
    const total = live.reduce((s, { groups }) => s + groups.reduce((t, rg) => t + projectedBytes(rg, request.columns), 0), 0);
    // Merge row groups up to the target size, but keep enough tasks to feed every worker.
    const target = Math.max(1, Math.min(this.options.targetTaskBytes ?? 16 * 1024 * 1024, Math.ceil(total / Math.max(1, request.targetTasks ?? 1))));
    const tasks: ParquetScanTask[] = [];
    for (const { f, groups } of live) {
      let cur: ParquetScanTask | null = null;
      for (const rg of groups) {
        const bytes = projectedBytes(rg, request.columns);
        if (!cur || cur.bytes + bytes > target) {
          cur = {
            kind: 'parquet', store: this.store.uri, key: f.key, fileSize: f.fileSize, rowGroups: [], columns: request.columns,
            bytes: 0, rows: 0, ...(local ? { local: true } : {}), ...(request.batchSize ? { batchSize: request.batchSize } : {}),
          };
          tasks.push(cur);
        }
        cur.rowGroups.push(rg.index);
        cur.bytes += bytes;
        cur.rows = (cur.rows ?? 0) + rg.numRows;
      }
    }
    return tasks;
  }
}

function projectedBytes(rg: RowGroupStats, columns: string[]): number {
  let b = 0;
  for (const c of columns) b += rg.columns.get(c)?.compressedSize ?? 0;
  return Math.max(b, 1);
}

/**
 * The engine schema of a Parquet file (from its footer's Iceberg types). Columns the engine
 * cannot compute on (INTERVAL, INT96, nested, …) stay visible as unsupported, so that a query
 * naming one gets "not supported yet: INTERVAL column x" instead of "no such column".
 */
export function parquetEngineSchema(md: ParquetFileMetadata): { schema: Schema; unsupported: Map<string, string> } {
  const { schema, unsupported } = engineSchemaOfIceberg(md.schema);
  const byName = new Map(schema.map((f) => [f.name, f]));
  const out: Schema = [];
  for (const c of md.columns) {
    const f = byName.get(c.name);
    if (f && c.type) out.push(f);
    else {
      out.push({ name: c.name, type: 'null', nullable: true });
      unsupported.set(c.name, c.nested ? 'nested' : c.typeLabel ?? c.physicalType ?? '?');
    }
  }
  return { schema: out, unsupported };
}

export type { Expr };
