/**
 * Parquet reader: footer and statistics via our own footer decoder (parquet-footer.ts), data via
 * parquet-wasm over ranged store reads, copied out of WASM memory with arrow-js-ffi.
 *
 * Memory: exactly one row group (of the projected columns) is decoded per WASM call, and its
 * WASM table is freed before the batches are yielded, so WASM memory is bounded by the largest
 * projected row group (parquet-wasm's linear memory grows but never shrinks).
 * Concurrency: a `readParquet` iterable may be iterated once; several iterators may run
 * concurrently in one thread (each has its own ParquetFile). Store reads are plain ranged `get`s.
 * Cancellation: `signal` is checked before every store read and every row group.
 */

import * as arrow from 'apache-arrow';
import { parseTable } from 'arrow-js-ffi';
import type * as pw from 'parquet-wasm';
import { LakehouseError, isLakehouseError } from './errors.js';
import type { Schema } from './iceberg-types.js';
import type { ObjectStore } from './object-store.js';
import { checkPageHeaders } from './parquet-pages.js';
import { acquireParquetWasm, isWasmTrap, type ParquetWasm, type WasmHandle } from './parquet-wasm.js';
import { corrupt, readParquetFooter, type ParquetFileMetadata, type ParquetFooter, type RowGroupStats } from './parquet-footer.js';

export interface ParquetReadOptions {
  /** Columns to read, by name (file order is kept unless `fieldIds`/`columns` give another). */
  columns?: string[];
  /**
   * Columns to read by Iceberg field id; preferred over `columns` when the file has field ids.
   * Ids the file does not have (columns added after it was written) are left out of the
   * batches; filling them (nulls or initial defaults) is the caller's job.
   */
  fieldIds?: number[];
  /** Explicit row-group selection (indices into the file's row groups). */
  rowGroups?: number[];
  /** Predicate on row-group statistics; `false` skips the row group. */
  rowGroupFilter?: (rg: RowGroupStats) => boolean;
  /** Rows per yielded batch (default 65 536). */
  batchSize?: number;
  signal?: AbortSignal;
  /** The object's size when known (e.g. `file_size_in_bytes` from a manifest): saves a HEAD. */
  fileSize?: number;
  /**
   * Iceberg schema the file was written with; used to resolve `fieldIds` in files without
   * field ids (e.g. imported by name mapping).
   */
  schema?: Schema;
}

export const DEFAULT_BATCH_SIZE = 65_536;

/** Reads footer metadata: row count, row groups with statistics, schema with field ids. */
export async function readParquetMetadata(store: ObjectStore, key: string, options: { fileSize?: number } = {}): Promise<ParquetFileMetadata> {
  return (await readParquetFooter(store, key, options.fileSize)).metadata;
}

/** Streams the selected row groups and columns of a Parquet object as Arrow record batches. */
export function readParquet(store: ObjectStore, key: string, options: ParquetReadOptions = {}): AsyncIterable<arrow.RecordBatch> {
  return { [Symbol.asyncIterator]: () => readBatches(store, key, options)[Symbol.asyncIterator]() };
}

async function* readBatches(store: ObjectStore, key: string, options: ParquetReadOptions): AsyncGenerator<arrow.RecordBatch> {
  checkAbort(options.signal);
  const footer = await readParquetFooter(store, key, options.fileSize);
  const md = footer.metadata;
  const names = resolveProjection(md, options);
  const groups = selectRowGroups(md, options);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new LakehouseError('INVALID_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}`);
  }
  if (groups.length === 0) return;
  if (names.length === 0) {
    // Nothing to decode: the row counts come from the footer (e.g. for count(*)).
    for (const g of groups) for (let r = 0; r < g.numRows; r += batchSize) yield emptyBatch(Math.min(batchSize, g.numRows - r));
    return;
  }
  const wasm = acquireParquetWasm();
  const source = new StoreBlob(store, key, footer, options.signal, wasm);
  let pf: pw.ParquetFile | undefined;
  try {
    try {
      pf = await Promise.race([wasm.wasm.ParquetFile.fromFile(source as unknown as Blob), wasm.trapped]);
    } catch (err) {
      throw source.translate(err, 'the footer could not be parsed by the Parquet decoder');
    }
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi]!;
      checkAbort(options.signal);
      // Read ahead: this row group's and the next one's column chunks are requested now, so
      // the next group's I/O overlaps this group's decode instead of stalling the thread.
      const ranges = chunkRanges(g, names);
      source.prefetch(ranges);
      if (gi + 1 < groups.length) source.prefetch(chunkRanges(groups[gi + 1]!, names));
      // Page headers are untrusted sizes parquet-wasm allocates by: check them against the
      // bytes present first (the chunks are read ahead anyway, so this costs no extra I/O).
      for (const n of names) {
        const c = g.columns.get(n);
        if (c) checkPageHeaders(store, key, g.index, c, await source.bytes(c.offset, c.offset + c.length));
      }
      let table: arrow.Table;
      try {
        const wt = await Promise.race([pf.read({ columns: names, rowGroups: [g.index], batchSize }), wasm.trapped]);
        table = copyOut(wasm.wasm, wt);
      } catch (err) {
        throw source.translate(err, `row group ${g.index} could not be decoded`);
      }
      if (table.numRows !== g.numRows) {
        throw corrupt(store, key, `row group ${g.index} decoded to ${table.numRows} rows, the footer says ${g.numRows}`);
      }
      source.release(ranges);
      const schema = orderedSchema(table.schema, names);
      for (const batch of table.batches) yield reorder(batch, schema);
    }
  } finally {
    try {
      pf?.free();
    } catch {
      // freeing on an instance that trapped can trap again; the instance is retired anyway
    }
    wasm.release();
  }
}

/** Copies a WASM table into JS memory and frees the WASM side. */
function copyOut(wasm: ParquetWasm, wt: pw.Table): arrow.Table {
  const ffi = wt.intoFFI();
  try {
    return parseTable(wasm.wasmMemory().buffer, ffi.arrayAddrs(), ffi.schemaAddr(), true);
  } finally {
    ffi.free();
  }
}

/**
 * Chunks closer than this are fetched as one range. Zero: only adjacent chunks merge (as
 * parquet-wasm merges its own requests), so a projection never reads unprojected bytes.
 */
const COALESCE_GAP = 0;

/** Byte ranges of the projected column chunks of a row group, sorted and coalesced. */
function chunkRanges(g: RowGroupStats, names: string[]): Array<[number, number]> {
  const spans = names.map((n) => g.columns.get(n)).filter((c) => c !== undefined).map((c) => [c.offset, c.offset + c.length] as [number, number]);
  spans.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const sp of spans) {
    const last = out[out.length - 1];
    if (last && sp[0] - last[1] <= COALESCE_GAP) last[1] = Math.max(last[1], sp[1]);
    else out.push([sp[0], sp[1]]);
  }
  return out;
}

function resolveProjection(md: ParquetFileMetadata, options: ParquetReadOptions): string[] {
  let names: string[];
  if (options.fieldIds) {
    names = options.fieldIds.map((id) => {
      const col = md.hasFieldIds ? md.columns.find((c) => c.fieldId === id) : undefined;
      if (col) return col.name;
      if (!md.hasFieldIds && options.schema) {
        const f = options.schema.fields.find((x) => x.id === id);
        if (f && md.columns.some((c) => c.name === f.name)) return f.name;
      }
      return undefined;
    }).filter((n): n is string => n !== undefined);
    if (!md.hasFieldIds && !options.schema) {
      throw new LakehouseError('INVALID_ARGUMENT', `Parquet file ${md.uri} has no field ids, so columns cannot be selected by field id`, {
        help: 'Pass `schema` (the Iceberg schema to map ids to names) or select columns by name with `columns`.',
        details: { key: md.key },
      });
    }
  } else if (options.columns) {
    for (const n of options.columns) {
      if (!md.columns.some((c) => c.name === n)) {
        throw new LakehouseError('SCHEMA_MISMATCH', `Parquet file ${md.uri} has no column "${n}"`, {
          help: `Its columns are: ${md.columns.map((c) => c.name).join(', ')}.`,
          details: { key: md.key, column: n },
        });
      }
    }
    names = [...options.columns];
  } else {
    names = md.columns.map((c) => c.name);
  }
  for (const n of names) {
    const col = md.columns.find((c) => c.name === n)!;
    if (col.typeLabel === 'INTERVAL') {
      // parquet-wasm cannot copy intervals out ("Not yet implemented"), which would read as a corrupt file.
      throw new LakehouseError('UNSUPPORTED', `not supported yet: INTERVAL column "${n}" of Parquet file ${md.uri}`, {
        help: 'Project it away (select other columns), or convert it before writing the file (e.g. in DuckDB: epoch_us(x) as a BIGINT).',
        details: { key: md.key, column: n, type: 'INTERVAL' },
      });
    }
    if (col.nested) {
      throw new LakehouseError('UNSUPPORTED', `column "${n}" of Parquet file ${md.uri} is nested (struct, list or map), which is not supported yet`, {
        help: 'Project it away (select other columns) or flatten it before importing.',
        details: { key: md.key, column: n },
      });
    }
  }
  return [...new Set(names)];
}

function selectRowGroups(md: ParquetFileMetadata, options: ParquetReadOptions): RowGroupStats[] {
  let groups = md.rowGroups;
  if (options.rowGroups) {
    groups = options.rowGroups.map((i) => {
      const g = md.rowGroups[i];
      if (!g) {
        throw new LakehouseError('INVALID_ARGUMENT', `row group ${i} does not exist in ${md.uri} (it has ${md.rowGroups.length})`, { details: { key: md.key } });
      }
      return g;
    });
  }
  if (options.rowGroupFilter) groups = groups.filter((g) => options.rowGroupFilter!(g));
  return groups.filter((g) => g.numRows > 0);
}

function emptyBatch(rows: number): arrow.RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct([]), length: rows, nullCount: 0, children: [] });
  return new arrow.RecordBatch(new arrow.Schema([]), data);
}

function orderedSchema(schema: arrow.Schema, names: string[]): arrow.Schema {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  return new arrow.Schema(names.map((n) => byName.get(n)!), schema.metadata);
}

function reorder(batch: arrow.RecordBatch, schema: arrow.Schema): arrow.RecordBatch {
  const same = batch.schema.fields.length === schema.fields.length && batch.schema.fields.every((f, i) => f.name === schema.fields[i]!.name);
  if (same) return batch;
  const children = schema.fields.map((f) => batch.getChild(f.name)!.data[0]!);
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: batch.numRows, nullCount: 0, children });
  return new arrow.RecordBatch(schema, data);
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new LakehouseError('CANCELLED', 'Parquet read cancelled', { cause: signal.reason });
  }
}

/**
 * A Blob look-alike over ranged store reads, as `ParquetFile.fromFile` wants. Reads that fall
 * inside the footer tail we already hold are served from memory (no second footer fetch).
 * Store errors are remembered so that they surface as themselves, not as decoder failures.
 */
class StoreBlob {
  readonly type = '';
  private storeError: unknown;
  /** Read-ahead ranges (root only): parquet-wasm's reads that fall inside one are served from it. */
  private ahead: Array<{ start: number; end: number; data: Promise<Uint8Array> }> = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    private readonly footer: ParquetFooter,
    private readonly signal: AbortSignal | undefined,
    private readonly wasm: WasmHandle,
    private readonly start = 0,
    private readonly end = footer.metadata.fileSize,
    private readonly root?: StoreBlob,
  ) {}

  get size(): number {
    return this.end - this.start;
  }

  slice(a = 0, b = this.size): StoreBlob {
    const lo = this.start + clamp(a, this.size);
    const hi = this.start + clamp(b, this.size);
    return new StoreBlob(this.store, this.key, this.footer, this.signal, this.wasm, lo, Math.max(lo, hi), this.root ?? this);
  }

  /**
   * Returns a thenable rather than a promise: parquet-wasm resumes its Rust future inside our
   * callbacks, so a trap there is caught here and reported instead of escaping as an uncaught
   * error.
   */
  arrayBuffer(): PromiseLike<ArrayBuffer> {
    const p = this.fetch();
    const wasm = this.wasm;
    const guard = <T>(f: () => T): T | undefined => {
      try {
        return f();
      } catch (err) {
        wasm.trap(err);
        return undefined;
      }
    };
    return {
      then<A = ArrayBuffer, B = never>(ok?: ((v: ArrayBuffer) => A | PromiseLike<A>) | null, bad?: ((e: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
        return p.then(
          (v) => guard(() => (ok ? ok(v) : (v as unknown as A))) as A,
          (e) => guard(() => (bad ? bad(e) : Promise.reject(e))) as B,
        );
      },
    };
  }

  /** Starts reading `[start, end)` ranges not already read ahead (root blob). */
  prefetch(ranges: Array<[number, number]>): void {
    for (const [start, end] of ranges) {
      if (start >= this.footer.tailOffset || this.ahead.some((r) => r.start <= start && end <= r.end)) continue;
      if (this.signal?.aborted) return;
      const data = this.store.get(this.key, { offset: start, length: end - start }).then((bytes) => {
        if (bytes.byteLength !== end - start) {
          throw corrupt(this.store, this.key, `expected ${end - start} bytes at offset ${start}, got ${bytes.byteLength}`);
        }
        return bytes;
      });
      data.catch(() => undefined); // surfaces when a read needs it; unused ranges must not go unhandled
      this.ahead.push({ start, end, data });
    }
  }

  /** Bytes `[start, end)` from a read-ahead range (root blob), else read from the store. */
  async bytes(start: number, end: number): Promise<Uint8Array> {
    const { tail, tailOffset } = this.footer;
    if (start >= tailOffset) return tail.subarray(start - tailOffset, end - tailOffset);
    const hit = this.ahead.find((r) => r.start <= start && end <= r.end);
    if (hit) return (await hit.data).subarray(start - hit.start, end - hit.start);
    const bytes = await this.store.get(this.key, { offset: start, length: end - start });
    if (bytes.byteLength !== end - start) throw corrupt(this.store, this.key, `expected ${end - start} bytes at offset ${start}, got ${bytes.byteLength}`);
    return bytes;
  }

  /** Forgets the read-ahead ranges of a decoded row group. */
  release(ranges: Array<[number, number]>): void {
    this.ahead = this.ahead.filter((r) => !ranges.some(([a, b]) => r.start === a && r.end === b));
  }

  private async fetch(): Promise<ArrayBuffer> {
    const { tail, tailOffset } = this.footer;
    if (this.start >= tailOffset) {
      return copyBuffer(tail.subarray(this.start - tailOffset, this.end - tailOffset));
    }
    const root = this.root ?? this;
    const hit = root.ahead.find((r) => r.start <= this.start && this.end <= r.end);
    try {
      checkAbort(this.signal);
      if (hit) {
        const bytes = await hit.data;
        return copyBuffer(bytes.subarray(this.start - hit.start, this.end - hit.start));
      }
      const bytes = await this.store.get(this.key, { offset: this.start, length: this.size });
      if (bytes.byteLength !== this.size) {
        throw corrupt(this.store, this.key, `expected ${this.size} bytes at offset ${this.start}, got ${bytes.byteLength}`);
      }
      return copyBuffer(bytes);
    } catch (err) {
      (this.root ?? this).storeError = err;
      throw err;
    }
  }

  /** Maps a failure inside parquet-wasm to the store error behind it or to CORRUPT_FILE. */
  translate(err: unknown, what: string): LakehouseError {
    const root = this.root ?? this;
    if (isLakehouseError(root.storeError)) return root.storeError;
    if (root.storeError !== undefined) {
      return new LakehouseError('STORE_UNAVAILABLE', `reading ${this.store.uriFor(this.key)} failed: ${String(root.storeError)}`, { cause: root.storeError });
    }
    if (isLakehouseError(err)) return err;
    if (isWasmTrap(err)) {
      this.wasm.trap(err);
      return corrupt(this.store, this.key, `${what}: the decoder failed on invalid data (${(err as Error).message})`, err);
    }
    const detail = err instanceof Error ? err.message : String(err);
    return corrupt(this.store, this.key, `${what}: ${detail}`, err);
  }
}

function clamp(v: number, size: number): number {
  if (v < 0) return Math.max(0, size + v);
  return Math.min(v, size);
}

function copyBuffer(b: Uint8Array): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
  // `new Uint8Array(view)` copies; `Buffer#slice` would not (it returns a view of the pool).
  return new Uint8Array(b).buffer as ArrayBuffer;
}
