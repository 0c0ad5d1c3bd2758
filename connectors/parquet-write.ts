/**
 * Parquet writer: Arrow record batches in, one or more Parquet objects out, each with its
 * Iceberg data-file statistics.
 *
 * Batches are conformed to the Iceberg schema (by column name; field ids go into the Parquet
 * schema through `PARQUET:field_id`), handed to parquet-wasm's streaming writer one at a time,
 * and the output bytes are streamed into `store.put` (multipart on S3). The WASM side holds at
 * most one row group in progress. A file is closed at the first row-group boundary after its
 * output reaches `targetFileSize`, so files overshoot the target by at most one row group.
 * Statistics come from the footer we just wrote (kept in memory, no re-read) plus NaN counts
 * counted here.
 *
 * Concurrency: independent calls may run concurrently. On failure or cancellation every file
 * this call created is deleted (best effort) before the error is rethrown, so callers never
 * see — or need to clean up — a partial result.
 */

import * as arrow from 'apache-arrow';
import type * as pw from 'parquet-wasm';
import { acquireParquetWasm, isWasmTrap, type WasmHandle } from './parquet-wasm.js';
import { arrowTypesCompatible, fieldIdOf, icebergSchemaToArrow } from './arrow-types.js';
import { LakehouseError, isLakehouseError } from './errors.js';
import type { Schema } from './iceberg-types.js';
import type { ObjectStore } from './object-store.js';
import { decodeFooter, readParquetFooter, type ParquetFileMetadata } from './parquet-footer.js';
import { countNaN, dataFileStats, DEFAULT_TRUNCATE_LENGTH, type DataFileStats } from './parquet-stats.js';

export interface WrittenDataFile {
  key: string;
  stats: DataFileStats;
}

export type ParquetCompression = 'zstd' | 'snappy' | 'gzip' | 'lz4' | 'uncompressed';

export interface ParquetWriteOptions {
  /** Iceberg schema (field ids) the batches conform to. */
  schema: Schema;
  /** Roll to a new file once a file's output reaches this many bytes (default 128 MiB). */
  targetFileSize?: number;
  /** Rows per row group (default 131 072). */
  rowGroupSize?: number;
  /** Default zstd. `lz4` writes LZ4_RAW (the non-deprecated LZ4 codec). */
  compression?: ParquetCompression;
  signal?: AbortSignal;
  /** Iceberg bound truncation for string/binary columns (default 16; 0 = full values). */
  truncateLength?: number;
  /** Parquet data page format: 1 (default, the most widely readable) or 2. */
  dataPageVersion?: 1 | 2;
}

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;
export const DEFAULT_ROW_GROUP_SIZE = 131_072;

/** parquet-wasm's `Compression` enum values. */
const CODECS: Record<ParquetCompression, pw.Compression> = {
  uncompressed: 0,
  snappy: 1,
  gzip: 2,
  zstd: 5,
  lz4: 6, // LZ4_RAW
};

/** Writes batches into one or more files named by keyFor(0), keyFor(1), …; returns each file with its stats. */
export async function writeParquetFiles(
  store: ObjectStore,
  keyFor: (fileIndex: number) => string,
  batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>,
  options: ParquetWriteOptions,
): Promise<WrittenDataFile[]> {
  const target = options.targetFileSize ?? DEFAULT_TARGET_FILE_SIZE;
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  const codec = CODECS[options.compression ?? 'zstd'];
  if (codec === undefined) throw new LakehouseError('INVALID_ARGUMENT', `unknown Parquet compression "${options.compression}"`, { help: `Use one of ${Object.keys(CODECS).join(', ')}.` });
  if (!(target > 0)) throw new LakehouseError('INVALID_ARGUMENT', `targetFileSize must be positive, got ${target}`);
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) throw new LakehouseError('INVALID_ARGUMENT', `rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  const targetSchema = icebergSchemaToArrow(options.schema);
  const schemaJson = JSON.stringify(options.schema);
  const source = conformed(batches, targetSchema, options.signal);
  let pending: arrow.RecordBatch | undefined;
  const written: WrittenDataFile[] = [];
  let current: string | undefined;
  try {
    for (let fileIndex = 0; ; fileIndex++) {
      const first = pending ?? (await source.next()).value;
      pending = undefined;
      if (!first) break;
      current = keyFor(fileIndex);
      const handle = acquireParquetWasm();
      const w = handle.wasm;
      const fileSchema = first.schema;
      let queued: arrow.RecordBatch | undefined = first;
      let bytesOut = 0;
      let failure: unknown;
      const nanCounts = new Map<number, number>();
      const floatCols = fileSchema.fields
        .map((f, i) => ({ i, id: fieldIdOf(f)!, float: f.type.typeId === arrow.Type.Float }))
        .filter((c) => c.float);
      const input = new ReadableStream({
        pull: async (controller) => {
          try {
            checkAbort(options.signal);
            let batch = queued;
            queued = undefined;
            // Let output the writer flushed before asking for more input reach the pump.
            await new Promise((resolve) => setImmediate(resolve));
            // Past the target, the file ends at this row-group boundary; the next file
            // pulls the rest from the source.
            if (!batch && bytesOut < target) {
              batch = (await source.next()).value ?? undefined;
              // A batch whose Arrow types differ (e.g. dictionary vs plain) starts a new file.
              if (batch && !sameShape(batch.schema, fileSchema)) {
                pending = batch;
                batch = undefined;
              }
            }
            if (!batch) {
              controller.close();
              return;
            }
            for (const c of floatCols) {
              const n = countNaN(batch.getChildAt(c.i)!);
              nanCounts.set(c.id, (nanCounts.get(c.id) ?? 0) + n);
            }
            const wt = w.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table([batch]), 'stream'));
            for (const rb of wt.recordBatches()) controller.enqueue(rb);
            wt.free();
          } catch (err) {
            failure = isWasmTrap(err) ? encoderCrashed(handle, store, current!, err) : err;
            controller.error(failure);
          }
        },
      }, { highWaterMark: 0 });
      const props = new w.WriterPropertiesBuilder()
        .setCompression(codec)
        .setMaxRowGroupSize(rowGroupSize)
        .setDictionaryEnabled(true)
        .setWriterVersion(options.dataPageVersion === 2 ? w.WriterVersion.V2 : w.WriterVersion.V1)
        .setKeyValueMetadata(new Map([['iceberg.schema', schemaJson]]))
        .build();
      const tail: Uint8Array[] = [];
      const output = await w.transformParquetStream(input, props);
      // Read the writer's output eagerly (bounded by `queue`) so `bytesOut` is current when
      // the next input pull decides whether the file is full, however slow the store is.
      const queue = new ChunkQueue(OUTPUT_BUFFER_BYTES);
      const reader = output.getReader();
      const pump = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return queue.end();
          const chunk = value as Uint8Array;
          bytesOut += chunk.byteLength;
          tail.push(chunk);
          if (tail.length > 2) tail.shift();
          await queue.push(chunk);
        }
      })().catch((err: unknown) => queue.fail(err));
      try {
        // Racing `trapped`: a trap inside the encoder's async work would otherwise never settle.
        await Promise.race([store.put(current, queue.drain(), { contentType: 'application/vnd.apache.parquet' }), handle.trapped]);
      } catch (err) {
        queue.abandon();
        await reader.cancel().catch(() => undefined);
        throw failure ?? (isWasmTrap(err) ? encoderCrashed(handle, store, current, err) : wrapWriteError(store, current, err));
      } finally {
        handle.release();
        await Promise.race([pump, handle.trapped.catch(() => undefined)]);
      }
      if (failure) throw failure;
      const md = await footerOf(store, current, tail, bytesOut);
      written.push({ key: current, stats: dataFileStats(md, nanCounts, options.truncateLength ?? DEFAULT_TRUNCATE_LENGTH) });
      current = undefined;
    }
  } catch (err) {
    const keys = written.map((w) => w.key);
    if (current) keys.push(current);
    await store.deleteMany(keys).catch(() => undefined);
    throw err;
  }
  return written;
}

/** Footer of the file just written, from the output tail we kept (re-read only if it is huge). */
async function footerOf(store: ObjectStore, key: string, chunks: Uint8Array[], size: number): Promise<ParquetFileMetadata> {
  const total = chunks.reduce((s, c) => s + c.byteLength, 0);
  const tail = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    tail.set(c, o);
    o += c.byteLength;
  }
  if (total >= 8) {
    const len = new DataView(tail.buffer).getUint32(total - 8, true);
    if (len + 8 <= total) return decodeFooter(store, key, tail.subarray(total - 8 - len, total - 8), size);
  }
  return (await readParquetFooter(store, key, size)).metadata;
}

/** Output buffered between the writer and a slow store before the writer is paused. */
const OUTPUT_BUFFER_BYTES = 32 * 1024 * 1024;

/** A single-producer, single-consumer byte-chunk queue with a byte bound. */
class ChunkQueue {
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private done = false;
  private error: unknown;
  private abandoned = false;
  private wake: (() => void) | undefined;

  constructor(private readonly limit: number) {}

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  async push(chunk: Uint8Array): Promise<void> {
    while (this.bytes >= this.limit && !this.abandoned) await this.wait();
    if (this.abandoned) return;
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    this.signal();
  }

  end(): void {
    this.done = true;
    this.signal();
  }

  fail(err: unknown): void {
    this.error = err;
    this.done = true;
    this.signal();
  }

  /** The consumer went away: release a waiting producer and drop what is buffered. */
  abandon(): void {
    this.abandoned = true;
    this.chunks = [];
    this.bytes = 0;
    this.signal();
  }

  async *drain(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.bytes -= chunk.byteLength;
        this.signal();
        yield chunk;
        continue;
      }
      if (this.done) {
        if (this.error !== undefined) throw this.error;
        return;
      }
      await this.wait();
    }
  }
}

function encoderCrashed(handle: WasmHandle, store: ObjectStore, key: string, err: unknown): LakehouseError {
  handle.trap(err);
  return new LakehouseError('TASK_FAILED', `the Parquet encoder failed while writing ${store.uriFor(key)}: ${(err as Error).message}`, {
    cause: err,
    help: 'This is a bug in the writer or its WASM module; please report it with the data that triggered it.',
  });
}

function wrapWriteError(store: ObjectStore, key: string, err: unknown): unknown {
  if (isLakehouseError(err)) return err;
  return new LakehouseError('STORE_UNAVAILABLE', `writing Parquet file ${store.uriFor(key)} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LakehouseError('CANCELLED', 'Parquet write cancelled', { cause: signal.reason });
}

/** Batches conformed to the target schema; empty batches are dropped. */
async function* conformed(
  batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>,
  schema: arrow.Schema,
  signal: AbortSignal | undefined,
): AsyncGenerator<arrow.RecordBatch, undefined> {
  for await (const b of batches) {
    checkAbort(signal);
    if (b.numRows === 0) continue;
    yield conformBatch(b, schema);
  }
  return undefined;
}

/**
 * Matches a batch to the target Arrow schema by column name: missing optional columns become
 * null, lossless widenings are applied (int8/16/32 → int/long, float → double, coarser
 * timestamp units → µs, any time zone → UTC label), dictionaries are kept. Anything else is
 * `SCHEMA_MISMATCH`, as are nulls in a required column.
 */
export function conformBatch(batch: arrow.RecordBatch, schema: arrow.Schema): arrow.RecordBatch {
  const names = new Set(schema.fields.map((f) => f.name));
  for (const f of batch.schema.fields) {
    if (!names.has(f.name)) {
      throw new LakehouseError('SCHEMA_MISMATCH', `column "${f.name}" is not in the table schema`, {
        help: `The schema's columns are: ${[...names].join(', ')}. Drop or rename the column, or evolve the schema first.`,
        details: { column: f.name },
      });
    }
  }
  const fields: arrow.Field[] = [];
  const children: arrow.Data[] = [];
  for (const f of schema.fields) {
    const col = batch.getChild(f.name);
    let data: arrow.Data;
    if (!col) {
      if (!f.nullable) {
        throw new LakehouseError('SCHEMA_MISMATCH', `required column "${f.name}" is missing from the data`, { details: { column: f.name } });
      }
      data = nullData(f.type, batch.numRows);
    } else {
      data = coerce(col, f);
    }
    if (!f.nullable && data.nullCount > 0) {
      throw new LakehouseError('SCHEMA_MISMATCH', `required column "${f.name}" has ${data.nullCount} null value(s)`, {
        help: 'Filter or fill the nulls, or make the column optional.',
        details: { column: f.name, nulls: data.nullCount },
      });
    }
    fields.push(data.type === f.type ? f : new arrow.Field(f.name, data.type, f.nullable, f.metadata));
    children.push(data);
  }
  const out = new arrow.Schema(fields);
  return new arrow.RecordBatch(out, arrow.makeData({ type: new arrow.Struct(fields), length: batch.numRows, nullCount: 0, children }));
}

/** Same column names and Arrow types (dictionary ids aside), so one Parquet file can hold both. */
function sameShape(a: arrow.Schema, b: arrow.Schema): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => f.name === b.fields[i]!.name && String(f.type) === String(b.fields[i]!.type));
}

function coerce(col: arrow.Vector, f: arrow.Field): arrow.Data {
  const want = f.type;
  const data = col.data[0]!; // a record batch's columns have exactly one chunk
  if (arrowTypesCompatible(data.type, want)) return data;
  const T = arrow.Type;
  const have = data.type;
  const mismatch = (): LakehouseError =>
    new LakehouseError('SCHEMA_MISMATCH', `column "${f.name}" has Arrow type ${String(have)}, the table expects ${String(want)}`, {
      help: 'Cast the column to the table type before writing (only lossless widenings are applied automatically).',
      details: { column: f.name, actual: String(have), expected: String(want) },
    });
  const withValues = (type: arrow.DataType, values: ArrayLike<number | bigint> & object): arrow.Data =>
    arrow.makeData({ type, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, data: values } as never);
  if (want.typeId === T.Int && have.typeId === T.Int) {
    const w = want as arrow.Int;
    const h = have as arrow.Int;
    const lossless = w.bitWidth === 32 ? h.bitWidth < 32 || (h.bitWidth === 32 && h.isSigned) : h.bitWidth < 64 || h.isSigned;
    if (!lossless || !w.isSigned) throw mismatch();
    const src = data.values as ArrayLike<number | bigint>;
    if (w.bitWidth === 32) return withValues(want, Int32Array.from(src as ArrayLike<number>));
    return withValues(want, BigInt64Array.from(Array.from(src, (v) => BigInt(v))));
  }
  if (want.typeId === T.Float && have.typeId === T.Float && (want as arrow.Float).precision === arrow.Precision.DOUBLE) {
    return withValues(want, Float64Array.from(data.values as Float32Array));
  }
  if (want.typeId === T.Timestamp && have.typeId === T.Timestamp) {
    const w = want as arrow.Timestamp;
    const h = have as arrow.Timestamp;
    if (Boolean(w.timezone) !== Boolean(h.timezone) || h.unit > w.unit) throw mismatch();
    const scale = 1000n ** BigInt(w.unit - h.unit);
    const src = data.values as BigInt64Array;
    return withValues(want, scale === 1n ? src : src.map((v) => v * scale));
  }
  throw mismatch();
}

function nullData(type: arrow.DataType, length: number): arrow.Data {
  const b = arrow.makeBuilder({ type, nullValues: [null] });
  for (let i = 0; i < length; i++) b.append(null);
  return b.finish().flush();
}
