/**
 * `COPY (query) TO 'path' | 's3://bucket/key' (FORMAT parquet | csv [, HEADER] [, DELIMITER ','])`:
 * the query's rows streamed into one object of a store of connectors/ (a local path is a file;
 * relative paths are from the working directory).
 *
 * Atomic from a reader's view: the object is written with one `put` of a streamed body — the
 * local store writes a temp file and renames it over the name, S3 completes a multipart upload —
 * so a reader sees the old object (or none) until the new one is complete. A failure or Ctrl-C
 * (the signal) aborts the put: the temp file is removed / the multipart upload aborted, and an
 * object already at that name stays as it was.
 *
 * Memory: one executor chunk of rows plus the writer's buffer (one Parquet row group; a CSV
 * chunk of at most ~1 MiB of text). Cells are exact: decimals with all their digits, 64-bit
 * integers of any size, dates/timestamps/times as DuckDB writes them in CSV
 * (YYYY-MM-DD, YYYY-MM-DD HH:MM:SS[.ffffff], HH:MM:SS[.ffffff]).
 */

import * as arrow from 'apache-arrow';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { icebergSchemaToArrow } from '../../connectors/arrow-types.js';
import { LakehouseError } from '../../connectors/errors.js';
import { writeParquetFiles } from '../../connectors/formats.js';
import type { PrimitiveType, Schema as IcebergSchema } from '../../connectors/iceberg-types.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import { openObjectStore } from '../../connectors/open.js';
import { formatBlob, formatTime } from '../compute/casts.js';
import type { DataFrame } from '../dataframe.js';
import { decimalParts, formatDate, formatTimestamp, type DataType, type Schema } from '../plan/types.js';
import type { CopyFormat } from '../sql/statements.js';

export interface CopyOptions {
  format: CopyFormat;
  header: boolean;
  delimiter: string;
  signal?: AbortSignal;
}

/** A COPY target → the store of its directory and the object key. */
function locate(target: string): { dir: string; key: string } {
  const s3 = /^(s3a?:\/\/[^/]+)\/(.+)$/i.exec(target);
  if (s3) {
    if (s3[2]!.endsWith('/')) throw new LakehouseError('INVALID_ARGUMENT', `COPY TO '${target}' names a directory`, { help: 'Name the object, e.g. s3://bucket/out/result.parquet.' });
    return { dir: s3[1]!, key: s3[2]! };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !/^file:/i.test(target)) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: COPY TO ${target.split(':')[0]}:// targets`, { help: 'Write to a local path, file:// or s3://bucket/key.' });
  }
  const abs = path.resolve(/^file:/i.test(target) ? fileURLToPath(target) : target);
  return { dir: path.dirname(abs), key: path.basename(abs) };
}

function icebergType(t: DataType, column: string): PrimitiveType {
  const d = decimalParts(t);
  if (d) return `decimal(${d.precision},${d.scale})`;
  const map: Partial<Record<string, PrimitiveType>> = {
    boolean: 'boolean', int32: 'int', int64: 'long', float64: 'double', string: 'string', date: 'date', timestamp: 'timestamp', time: 'time', uuid: 'uuid', binary: 'binary',
  };
  const out = map[t];
  if (!out) {
    throw new LakehouseError('SCHEMA_MISMATCH', `column "${column}" of the query has no type (a bare NULL)`, { help: `Give it one, e.g. CAST(NULL AS VARCHAR) AS ${column}.` });
  }
  return out;
}

/** Runs the query into the target; returns the rows written. */
export async function copyTo(frame: DataFrame, target: string, options: CopyOptions): Promise<number> {
  const { dir, key } = locate(target);
  const schema = (await frame.plan()).schema;
  const store = await openObjectStore(dir);
  try {
    if (options.format === 'parquet') return await copyParquet(frame, schema, store, key, options.signal);
    let rows = 0;
    const body = csvBody(frame, schema, options, (n) => { rows += n; });
    await store.put(key, body, { contentType: 'text/csv' });
    return rows;
  } finally {
    await store.close();
  }
}

async function copyParquet(frame: DataFrame, schema: Schema, store: ObjectStore, key: string, signal: AbortSignal | undefined): Promise<number> {
  const seen = new Set<string>();
  const iceberg: IcebergSchema = {
    type: 'struct', 'schema-id': 0,
    fields: schema.map((f, i) => {
      if (seen.has(f.name.toLowerCase())) throw new LakehouseError('SCHEMA_MISMATCH', `the query returns two columns named "${f.name}"`, { help: 'Alias them apart (AS) before COPY … (FORMAT parquet).' });
      seen.add(f.name.toLowerCase());
      return { id: i + 1, name: f.name, required: false, type: icebergType(f.type, f.name) };
    }),
  };
  let rows = 0;
  async function* counted(): AsyncGenerator<arrow.RecordBatch> {
    for await (const b of frame.batches(signal ? { signal } : {})) {
      rows += b.numRows;
      yield b;
    }
  }
  // The writer deletes the files it wrote when it fails; the put of our one file is atomic, so a
  // failed put left nothing — and deleting the key then would remove the object that was there
  // before. The writer's cleanup is therefore kept off the target key.
  const guarded = keepKey(store, key);
  const files = await writeParquetFiles(guarded, () => key, counted(), { schema: iceberg, targetFileSize: Number.MAX_SAFE_INTEGER, ...(signal ? { signal } : {}) });
  if (files.length === 0) {
    // No rows: a valid Parquet file with the schema and no row groups (as DuckDB writes).
    await writeParquetFiles(guarded, () => key, [emptyBatch(iceberg)], { schema: iceberg, targetFileSize: Number.MAX_SAFE_INTEGER });
  }
  return rows;
}

function emptyBatch(schema: IcebergSchema): arrow.RecordBatch {
  const s = icebergSchemaToArrow(schema);
  const data = arrow.makeData({ type: new arrow.Struct(s.fields), length: 0, nullCount: 0, children: s.fields.map((f) => arrow.makeData({ type: f.type, length: 0 })) });
  return new arrow.RecordBatch(s, data);
}

/** The store, except that deletes never touch `key`. */
function keepKey(store: ObjectStore, key: string): ObjectStore {
  return {
    get uri() { return store.uri; },
    get: (k, r) => store.get(k, r),
    head: (k) => store.head(k),
    put: (k, b, o) => store.put(k, b, o),
    putIfAbsent: (k, b, o) => store.putIfAbsent(k, b, o),
    list: (p) => store.list(p),
    delete: async (k) => { if (k !== key) await store.delete(k); },
    deleteMany: async (keys) => store.deleteMany([...keys].filter((k) => k !== key)),
    uriFor: (k) => store.uriFor(k),
    close: () => Promise.resolve(),
  };
}

/** A CSV cell as DuckDB writes it. */
function csvCell(v: unknown, type: DataType): string {
  if (v === null || v === undefined) return '';
  switch (type) {
    case 'date': return formatDate(v as number);
    case 'timestamp': return formatTimestamp(Number(v));
    case 'time': return formatTime(v as number | bigint);
    case 'binary': return formatBlob(v as string);
    default: return String(v);
  }
}

async function* csvBody(frame: DataFrame, schema: Schema, o: CopyOptions, count: (n: number) => void): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  const d = o.delimiter;
  const quote = (s: string): string => (s.includes(d) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const types = schema.map((f) => f.type);
  let pending = o.header ? `${schema.map((f) => quote(f.name)).join(d)}\n` : '';
  const { rows } = await frame.openRows(o.signal ? { signal: o.signal } : {});
  for await (const chunk of rows) {
    for (const r of chunk) {
      // An empty string is quoted so that it reads back as '' and not as NULL.
      pending += `${r.map((v, j) => (v === '' ? '""' : quote(csvCell(v, types[j]!)))).join(d)}\n`;
      if (pending.length >= 1 << 20) {
        yield enc.encode(pending);
        pending = '';
      }
    }
    count(chunk.length);
  }
  if (pending) yield enc.encode(pending);
}
