/**
 * Loading files into a table (`lake ingest`): CSV, NDJSON or Parquet files are streamed (one
 * file per task, a batch at a time) through the same staged write as INSERT INTO, so rows are
 * clustered by the table's partition spec, files are written at the target size, and one commit
 * publishes everything (or nothing). An existing table's schema drives CSV/NDJSON parsing
 * (columns matched by name); a new table (`create`) takes the schema inferred from the first
 * file, with `partitionBy` terms like "month(ts), bucket(16, id)".
 */

import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { commitStatus, type Warehouse } from '../../catalog/index.js';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import {
  inferCsvSchema, inferNdjsonSchema, readCsv, readNdjson, readParquet, readParquetMetadata, type ParquetFileMetadata,
} from '../../connectors/formats.js';
import { checkPrimitive, decimalType, type PrimitiveType, type Schema as IcebergSchema } from '../../connectors/iceberg-types.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import { openObjectStore } from '../../connectors/open.js';
import type { DataFrame } from '../dataframe.js';
import { engineSchemaOfIceberg } from '../source/iceberg-engine-types.js';
import { StreamTableSource, type BatchOpener } from '../source/stream-source.js';
import type { TableSource } from '../source/table-source.js';
import { stageWrite, type WriteHost } from '../write/stage.js';

export type IngestFormat = 'csv' | 'ndjson' | 'parquet';

/** The most columns a table created by ingest may have (see the check for why). */
export const MAX_INGEST_COLUMNS = 10_000;

export interface IngestOptions {
  /** Default: from each file's extension (.csv/.tsv, .ndjson/.jsonl/.json, .parquet). */
  format?: IngestFormat;
  /** Create the table from the first file's schema if it does not exist. */
  create?: boolean;
  /** Partition terms for a created table: "month(ts), bucket(16, id)" or a list. */
  partitionBy?: string | string[];
  /**
   * Types for columns of a created table, overriding what CSV/NDJSON inference would pick:
   * `{ unit_price: 'decimal(10,2)', id: 'long' }` (Iceberg type names). Values are parsed into
   * them exactly (decimals without a detour through doubles); a value that does not fit is a
   * BAD_RECORD naming its line. Only with `create` for a table that does not exist yet (an
   * existing table's schema already decides), and not for Parquet (its file types decide).
   */
  columnTypes?: Record<string, string>;
  /** CSV field delimiter (default ","; "\t" for .tsv files). */
  delimiter?: string;
  runId?: string;
  /** The commit's id (`lake.commit-id`); default a fresh UUID. Printed so an unknown outcome can be checked. */
  commitId?: string;
  /**
   * Makes a retried ingest a no-op: if a commit with this key is already in the table (current
   * metadata or its metadata log), nothing is read or written; a concurrent duplicate loses at
   * commit and deletes its files. Recorded as `lake.idempotency-key`.
   */
  idempotencyKey?: string;
  /** Called with the commit id before anything is written (the CLI prints it). */
  onCommitId?: (commitId: string) => void;
  signal?: AbortSignal;
}

export interface IngestResult {
  table: string;
  snapshotId: string;
  commitId: string;
  /** True when the idempotency key had already committed: nothing was written. */
  alreadyCommitted: boolean;
  created: boolean;
  filesRead: number;
  rowsWritten: number;
  filesWritten: number;
  bytesWritten: number;
}

/** What ingest needs from the engine. */
export interface IngestHost {
  catalog(): Promise<Warehouse>;
  registerTable(name: string, source: TableSource): void;
  dropTable(name: string): boolean;
  table(name: string): DataFrame;
  writeHost(): WriteHost;
}

function formatOf(file: string, explicit: IngestFormat | undefined): IngestFormat {
  if (explicit) return explicit;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  throw new LakehouseError('INVALID_ARGUMENT', `cannot tell the format of ${file} from its extension`, { help: 'Pass --format csv|ndjson|parquet.' });
}

/** A file argument → (store URI of its directory, key). Plain paths are local files. */
function locate(file: string): { dir: string; key: string } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/.*)\/([^/]+)$/i.exec(file);
  if (m) return { dir: m[1]!, key: m[2]! };
  const abs = path.resolve(file);
  return { dir: path.dirname(abs), key: path.basename(abs) };
}

export async function ingestFiles(host: IngestHost, table: string, files: string[], options: IngestOptions = {}): Promise<IngestResult> {
  if (files.length === 0) throw new LakehouseError('INVALID_ARGUMENT', 'no input files', { help: 'Name at least one CSV, NDJSON or Parquet file.' });
  const wh = await host.catalog();
  const exists = await wh.tableExists(table);
  if (!exists && !options.create) {
    throw new LakehouseError('TABLE_NOT_FOUND', `table ${table} does not exist`, { help: 'Pass --create (and --partition-by) to create it from the first file.' });
  }
  const commitId = options.commitId ?? randomUUID();
  if (options.idempotencyKey !== undefined) {
    if (!/^[\x21-\x7e]{1,200}$/.test(options.idempotencyKey)) {
      throw new LakehouseError('INVALID_ARGUMENT', `idempotency key "${options.idempotencyKey}" must be 1 to 200 printable characters without spaces`, { help: 'Use something like the file name and date: orders-2026-06-01.' });
    }
    if (exists) {
      const st = await commitStatus(await wh.loadTable(table), { idempotencyKey: options.idempotencyKey });
      if (st.status === 'committed') {
        return {
          table, snapshotId: String(st.snapshot['snapshot-id']), commitId: st.snapshot.summary['lake.commit-id'] ?? '', alreadyCommitted: true, created: false,
          filesRead: 0, rowsWritten: 0, filesWritten: 0, bytesWritten: 0,
        };
      }
    }
  }
  options.onCommitId?.(commitId);
  const stores = new Map<string, Promise<ObjectStore>>();
  const storeOf = (dir: string): Promise<ObjectStore> => {
    let s = stores.get(dir);
    if (!s) stores.set(dir, (s = openObjectStore(dir)));
    return s;
  };
  const inputs = files.map((f) => ({ file: f, format: formatOf(f, options.format), ...locate(f) }));
  const delimiterOf = (f: string): string | undefined => options.delimiter ?? (path.extname(f).toLowerCase() === '.tsv' ? '\t' : undefined);
  const name = `_ingest.s${randomBytes(4).toString('hex')}`;
  let source: StreamTableSource | undefined;
  try {
    // The schema the readers produce: the table's (CSV/NDJSON parse into it), else the first file's.
    let schema: IcebergSchema;
    const first = inputs[0]!;
    if (exists) schema = (await wh.loadTable(table)).schema();
    else if (first.format === 'csv') {
      const d = delimiterOf(first.file);
      schema = await inferCsvSchema(await storeOf(first.dir), first.key, d ? { delimiter: d } : {});
    } else if (first.format === 'ndjson') schema = await inferNdjsonSchema(await storeOf(first.dir), first.key);
    else schema = v2Types(checkParquetColumns(first.file, await readParquetMetadata(await storeOf(first.dir), first.key)).schema);
    if (options.columnTypes && Object.keys(options.columnTypes).length > 0) schema = withDeclaredTypes(schema, options.columnTypes, { exists, format: first.format, table });
    if (!exists && schema.fields.length > MAX_INGEST_COLUMNS) {
      // Measured: an NDJSON record with 100,000 keys ran for minutes (a builder, a Parquet
      // column chunk and a statistics entry per column) before anything useful happened.
      throw new LakehouseError('UNSUPPORTED', `not supported yet: a table of ${schema.fields.length} columns from ${first.file} (the limit is ${MAX_INGEST_COLUMNS})`, {
        help: 'Wide key/value records are usually a map: load them as rows (one key/value pair per line), or select the columns you need before loading.',
      });
    }
    const names = new Set(schema.fields.map((f) => f.name));
    const sizes = await Promise.all(inputs.map(async (i) => (await (await storeOf(i.dir)).head(i.key))?.size ?? 1));
    const openers: BatchOpener[] = inputs.map((i) => (signal) => ({
      [Symbol.asyncIterator]: async function* () {
        const store = await storeOf(i.dir);
        const d = delimiterOf(i.file);
        const opts = { schema, ...(signal ? { signal } : {}) };
        if (i.format === 'csv') yield* readCsv(store, i.key, { ...opts, ...(d ? { delimiter: d } : {}) });
        else if (i.format === 'ndjson') yield* readNdjson(store, i.key, opts);
        else {
          // Only the table's columns are decoded; every column read must have a type we support.
          const md = checkParquetColumns(i.file, await readParquetMetadata(store, i.key), names);
          const columns = md.columns.filter((c) => names.has(c.name)).map((c) => c.name);
          yield* readParquet(store, i.key, { columns, fileSize: md.fileSize, ...(signal ? { signal } : {}) });
        }
      },
    }));
    const engineSchema = engineSchemaOfIceberg(schema).schema;
    source = new StreamTableSource(engineSchema, openers, sizes);
    host.registerTable(name, source);
    const partitionBy = typeof options.partitionBy === 'string' ? [options.partitionBy] : options.partitionBy ?? [];
    const columnTypes = Object.fromEntries(schema.fields.filter((f) => typeof f.type === 'string').map((f) => [f.name, f.type as PrimitiveType]));
    const staged = await stageWrite(host.writeHost(), {
      query: host.table(name),
      table,
      mode: 'append',
      ...(options.create && !exists ? { create: { partitionBy } } : {}),
      runId: options.runId ?? `ingest-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
      commitId,
      ...(options.signal ? { signal: options.signal } : {}),
    }, { columnTypes });
    try {
      const { snapshotId } = await staged.commit({ provenance: { jobName: 'lake ingest', ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}) } });
      return {
        table, snapshotId, commitId, alreadyCommitted: false, created: !exists, filesRead: inputs.length, rowsWritten: staged.metrics.rowsWritten,
        filesWritten: staged.files.length, bytesWritten: staged.metrics.bytesWritten,
      };
    } catch (err) {
      if (!(isLakehouseError(err) && err.details['outcomeUnknown'] === true)) await staged.abort().catch(() => undefined);
      const dup = isLakehouseError(err, 'COMMIT_CONFLICT') ? err.details['duplicateOf'] : undefined;
      if (typeof dup === 'string') {
        // A concurrent ingest with the same key won: ours is a no-op (its files are deleted).
        const t = await wh.loadTable(table);
        return {
          table, snapshotId: dup, commitId: t.snapshot(dup).summary['lake.commit-id'] ?? '', alreadyCommitted: true, created: false,
          filesRead: inputs.length, rowsWritten: 0, filesWritten: 0, bytesWritten: 0,
        };
      }
      if (isLakehouseError(err)) {
        err.details['commitId'] ??= commitId;
        err.details['table'] ??= table;
      }
      throw err;
    }
  } finally {
    host.dropTable(name);
    source?.release();
    for (const s of stores.values()) await (await s.catch(() => undefined))?.close();
  }
}

/**
 * Refuses a Parquet input with a column the engine cannot read (INTERVAL, INT96, FLOAT16,
 * decimals beyond 38 digits, nested types), naming the column and its type, before anything is
 * decoded or written. `only`: check just these columns (the table's, when loading into one).
 */
function checkParquetColumns(file: string, md: ParquetFileMetadata, only?: Set<string>): ParquetFileMetadata {
  for (const c of md.columns) {
    if (only && !only.has(c.name)) continue;
    if (c.nested || c.type === undefined) {
      const what = c.nested ? 'nested (struct, list or map)' : c.typeLabel ?? c.physicalType ?? 'unknown';
      throw new LakehouseError('UNSUPPORTED', `not supported yet: ${what} column "${c.name}" in ${file}`, {
        help: c.typeLabel === 'INTERVAL'
          ? 'Convert the interval before loading (e.g. in DuckDB: epoch_us(x) AS x_us as a BIGINT), or leave the column out of the file.'
          : 'Convert the column to a supported type before loading, or leave it out of the file.',
        details: { file, column: c.name, type: what },
      });
    }
  }
  return md;
}

/**
 * A new table is Iceberg v2, which has no nanosecond timestamps: TIMESTAMP_NS columns become
 * microsecond timestamps (the reader truncates by floor division; docs/table-format.md).
 */
function v2Types(schema: IcebergSchema): IcebergSchema {
  const map: Record<string, PrimitiveType> = { timestamp_ns: 'timestamp', timestamptz_ns: 'timestamptz' };
  return { ...schema, fields: schema.fields.map((f) => (typeof f.type === 'string' && map[f.type] ? { ...f, type: map[f.type]! } : f)) };
}

/** The inferred schema with the user's declared column types (IngestOptions.columnTypes). */
function withDeclaredTypes(schema: IcebergSchema, types: Record<string, string>, ctx: { exists: boolean; format: IngestFormat; table: string }): IcebergSchema {
  if (ctx.exists) {
    throw new LakehouseError('INVALID_ARGUMENT', `column types were given, but table ${ctx.table} already exists and its schema decides the types`, {
      help: 'Leave out --type / columnTypes when loading into an existing table (CAST in SQL to change a type).',
    });
  }
  if (ctx.format === 'parquet') {
    throw new LakehouseError('INVALID_ARGUMENT', 'column types apply to CSV and NDJSON input; a Parquet file\'s own types decide', {
      help: 'Create the table with CREATE TABLE … AS SELECT CAST(…) from the Parquet data instead.',
    });
  }
  const byName = new Map(schema.fields.map((f) => [f.name.toLowerCase(), f]));
  for (const name of Object.keys(types)) {
    if (!byName.has(name.toLowerCase())) {
      throw new LakehouseError('INVALID_ARGUMENT', `column type given for "${name}", which is not a column of the input`, {
        help: `The input's columns: ${schema.fields.map((f) => f.name).join(', ')}.`,
      });
    }
  }
  const lower = new Map(Object.entries(types).map(([k, v]) => [k.toLowerCase(), declaredType(v)]));
  return { ...schema, fields: schema.fields.map((f) => (lower.has(f.name.toLowerCase()) ? { ...f, type: lower.get(f.name.toLowerCase())! } : f)) };
}

/** SQL spellings users bring from Spark/DuckDB, as Iceberg type names. */
const SQL_TYPE_NAMES: Record<string, string> = {
  bigint: 'long', int8: 'long', integer: 'int', int4: 'int', smallint: 'int', tinyint: 'int', varchar: 'string', text: 'string',
  bool: 'boolean', real: 'float', float4: 'float', float8: 'double', 'double precision': 'double', blob: 'binary', bytea: 'binary',
};

/** A declared type: an Iceberg type name or its SQL spelling (`bigint`, `numeric(10, 2)`). */
function declaredType(text: string): PrimitiveType {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const dec = /^(?:decimal|numeric)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(t);
  if (dec) return decimalType(Number(dec[1]), Number(dec[2] ?? 0));
  return checkPrimitive(SQL_TYPE_NAMES[t] ?? t);
}

