/**
 * Parquet footer: fetched with ranged reads, decoded from Thrift, validated, and turned into
 * row-group statistics in Iceberg's value conventions (see single-value.ts).
 *
 * We decode the Thrift ourselves (with hyparquet's compact-protocol parser) rather than use
 * hyparquet's `parquetMetadata`, because that converts statistics to JS numbers and Dates and
 * loses precision (decimals, 64-bit values); we need the raw bytes for exact bounds.
 * Everything here is stateless; `readParquetFooter` does at most three store reads
 * (head, the tail, and the rest of an unusually large footer).
 */

import { CompressionCodecs, ConvertedTypes, Encodings, FieldRepetitionTypes, ParquetTypes } from 'hyparquet/src/constants.js';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { parquetTypeLabel, parquetTypeToIceberg, parquetUnitScale, type ParquetTypeInfo } from './arrow-types.js';
import { LakehouseError, isLakehouseError } from './errors.js';
import type { NestedField, PrimitiveType, Schema } from './iceberg-types.js';
import type { ObjectStore } from './object-store.js';
import { minimalBytesToBigint, type IcebergValue } from './single-value.js';

/** Bytes fetched from the end of a file in the first read; most footers fit. */
export const FOOTER_PREFETCH = 64 * 1024;

/** Statistics of one column chunk, with min/max decoded to Iceberg JS values. */
export interface ColumnChunkStats {
  name: string;
  fieldId?: number;
  /** Iceberg type of the column; `undefined` when it has none (INT96, unsigned 64-bit …). */
  type?: PrimitiveType;
  /** Values in the chunk, nulls included. */
  valueCount: number;
  nullCount?: number;
  /** Smallest non-null, non-NaN value; absent when unknown (never a guess). */
  min?: IcebergValue;
  /** Largest non-null, non-NaN value (may be a truncated upper bound for strings). */
  max?: IcebergValue;
  compressedSize: number;
  uncompressedSize: number;
  codec: string;
  encodings: string[];
  /** Byte range of the chunk in the file. */
  offset: number;
  length: number;
}

export interface RowGroupStats {
  index: number;
  numRows: number;
  /** Where the row group starts in the file (its first page); Iceberg's split offset. */
  offset: number;
  compressedSize: number;
  /** Top-level primitive columns by name. */
  columns: Map<string, ColumnChunkStats>;
  /** The same, by Iceberg field id (only for columns that have one). */
  columnsById: Map<number, ColumnChunkStats>;
}

export interface ParquetColumn {
  name: string;
  fieldId?: number;
  required: boolean;
  /** Struct, list, map or repeated: readable only once nested types are supported. */
  nested: boolean;
  type?: PrimitiveType;
  physicalType?: string;
  /** The Parquet type as a message names it (INTERVAL, INT96, UINT64, …). */
  typeLabel?: string;
  /** Index of the column's (first) leaf among the file's leaf columns. */
  leafIndex: number;
}

export interface ParquetFileMetadata {
  key: string;
  uri: string;
  fileSize: number;
  numRows: number;
  formatVersion: number;
  createdBy?: string;
  keyValueMetadata: Map<string, string>;
  /** Top-level columns in file order. */
  columns: ParquetColumn[];
  /** True when every top-level column has a Parquet field_id. */
  hasFieldIds: boolean;
  /** Iceberg schema of the primitive top-level columns (ids from the file, else assigned 1..n). */
  schema: Schema;
  rowGroups: RowGroupStats[];
  footerLength: number;
}

/** The footer plus the raw tail bytes, so the reader can serve parquet-wasm's footer reads. */
export interface ParquetFooter {
  metadata: ParquetFileMetadata;
  tail: Uint8Array;
  tailOffset: number;
}

type Thrift = { [key: `field_${number}`]: any };

export function corrupt(store: ObjectStore, key: string, problem: string, cause?: unknown): LakehouseError {
  const uri = safeUri(store, key);
  return new LakehouseError('CORRUPT_FILE', `Parquet file ${uri} is corrupt: ${problem}`, {
    cause,
    help: 'The file is truncated or damaged. Restore it from a backup or re-write it from its source; a table can drop it with a delete of its rows.',
    details: { key, uri },
  });
}

function safeUri(store: ObjectStore, key: string): string {
  try {
    return store.uriFor(key);
  } catch {
    return `${store.uri}/${key}`;
  }
}

/** Reads and validates the footer of a Parquet object (head + one ranged read, usually). */
export async function readParquetFooter(store: ObjectStore, key: string, fileSize?: number): Promise<ParquetFooter> {
  let size = fileSize;
  if (size === undefined) {
    const meta = await store.head(key);
    if (!meta) {
      throw new LakehouseError('NOT_FOUND', `Parquet file ${safeUri(store, key)} not found`, {
        help: 'Check the key and the store URI; the file may have been removed by snapshot expiry.',
        details: { key, uri: safeUri(store, key) },
      });
    }
    size = meta.size;
  }
  if (size < 12) throw corrupt(store, key, `it has ${size} bytes, fewer than the 12 of an empty Parquet file`);
  const want = Math.min(size, FOOTER_PREFETCH);
  let tail = await store.get(key, { offset: size - want, length: want });
  let tailOffset = size - want;
  if (tail.byteLength !== want) throw corrupt(store, key, `expected ${want} bytes at offset ${tailOffset}, the store returned ${tail.byteLength} (object changed while reading?)`);
  const magic = String.fromCharCode(...tail.subarray(tail.byteLength - 4));
  if (magic === 'PARE') {
    throw new LakehouseError('UNSUPPORTED', `Parquet file ${safeUri(store, key)} has an encrypted footer`, {
      help: 'Parquet modular encryption is not supported.',
      details: { key },
    });
  }
  if (magic !== 'PAR1') throw corrupt(store, key, `bad magic at the end of the file (expected "PAR1", found ${JSON.stringify(magic)})`);
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const footerLength = dv.getUint32(tail.byteLength - 8, true);
  if (footerLength + 12 > size) {
    throw corrupt(store, key, `footer length ${footerLength} points past the start of the file (file has ${size} bytes)`);
  }
  if (footerLength + 8 > tail.byteLength) {
    const start = size - footerLength - 8;
    const head = await store.get(key, { offset: start, length: tailOffset - start });
    const joined = new Uint8Array(size - start);
    joined.set(head, 0);
    joined.set(tail, tailOffset - start);
    tail = joined;
    tailOffset = start;
  }
  const footerBytes = tail.subarray(tail.byteLength - 8 - footerLength, tail.byteLength - 8);
  const cacheKey = `${store.uri}\u0000${key}`;
  const hit = decoded.get(cacheKey);
  if (hit && hit.fileSize === size && equalBytes(hit.footer, footerBytes)) {
    decoded.delete(cacheKey);
    decoded.set(cacheKey, hit);
    return { metadata: hit.metadata, tail, tailOffset };
  }
  const metadata = decodeFooter(store, key, footerBytes, size);
  decoded.set(cacheKey, { fileSize: size, footer: footerBytes.slice(), metadata });
  while (decoded.size > DECODED_CACHE_ENTRIES) decoded.delete(decoded.keys().next().value!);
  return { metadata, tail, tailOffset };
}

/**
 * Decoded footers of recently read objects (per thread, LRU). A scan reads the same file's
 * footer once per task; decoding it (Thrift plus statistics) costs ~10 ms for a wide file with
 * many row groups, while the one ranged read is needed anyway (parquet-wasm is served from it).
 * An entry is reused only when the object's size and every footer byte are unchanged, so an
 * object rewritten in place is decoded afresh. Reused metadata objects are shared: callers treat
 * `ParquetFileMetadata` as read-only.
 */
const decoded = new Map<string, { fileSize: number; footer: Uint8Array; metadata: ParquetFileMetadata }>();
const DECODED_CACHE_ENTRIES = 32;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/** Decodes and validates footer bytes (the Thrift FileMetaData, without length and magic). */
export function decodeFooter(store: ObjectStore, key: string, footer: Uint8Array, fileSize: number): ParquetFileMetadata {
  let raw: Thrift;
  try {
    raw = deserializeTCompactProtocol({ view: new DataView(footer.buffer, footer.byteOffset, footer.byteLength), offset: 0 });
  } catch (err) {
    throw corrupt(store, key, `the footer is not valid Thrift metadata (${(err as Error).message})`, err);
  }
  try {
    return interpret(store, key, raw, fileSize, footer.byteLength);
  } catch (err) {
    if (isLakehouseError(err)) throw err;
    throw corrupt(store, key, `the footer metadata is malformed (${(err as Error).message})`, err);
  }
}

const text = new TextDecoder();
const str = (b: unknown): string | undefined => (b instanceof Uint8Array ? text.decode(b) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined);

interface SchemaElement extends ParquetTypeInfo {
  name: string;
  repetition?: string;
  numChildren: number;
  fieldId?: number;
}

function schemaElement(e: Thrift): SchemaElement {
  const lt = e.field_10 as Thrift | undefined;
  return {
    name: str(e.field_4) ?? '',
    physicalType: e.field_1 === undefined ? '' : ParquetTypes[e.field_1] ?? `?${e.field_1}`,
    typeLength: e.field_2,
    repetition: e.field_3 === undefined ? undefined : FieldRepetitionTypes[e.field_3],
    numChildren: e.field_5 ?? 0,
    convertedType: e.field_6 === undefined ? undefined : ConvertedTypes[e.field_6],
    scale: e.field_7,
    precision: e.field_8,
    fieldId: e.field_9,
    logicalType: lt ? logicalType(lt) : undefined,
  };
}

function logicalType(lt: Thrift): ParquetTypeInfo['logicalType'] {
  const unit = (u: Thrift | undefined): string | undefined => (u?.field_1 ? 'MILLIS' : u?.field_2 ? 'MICROS' : u?.field_3 ? 'NANOS' : undefined);
  if (lt.field_1) return { type: 'STRING' };
  if (lt.field_2) return { type: 'MAP' };
  if (lt.field_3) return { type: 'LIST' };
  if (lt.field_4) return { type: 'ENUM' };
  if (lt.field_5) return { type: 'DECIMAL', scale: lt.field_5.field_1, precision: lt.field_5.field_2 };
  if (lt.field_6) return { type: 'DATE' };
  if (lt.field_7) return { type: 'TIME', isAdjustedToUTC: lt.field_7.field_1, unit: unit(lt.field_7.field_2) };
  if (lt.field_8) return { type: 'TIMESTAMP', isAdjustedToUTC: lt.field_8.field_1, unit: unit(lt.field_8.field_2) };
  if (lt.field_10) return { type: 'INTEGER', bitWidth: lt.field_10.field_1, isSigned: lt.field_10.field_2 };
  if (lt.field_12) return { type: 'JSON' };
  if (lt.field_13) return { type: 'BSON' };
  if (lt.field_14) return { type: 'UUID' };
  if (lt.field_15) return { type: 'FLOAT16' };
  return { type: 'OTHER' };
}

function interpret(store: ObjectStore, key: string, raw: Thrift, fileSize: number, footerLength: number): ParquetFileMetadata {
  const elements = (raw.field_2 as Thrift[] | undefined)?.map(schemaElement);
  if (!elements || elements.length === 0) throw corrupt(store, key, 'the footer has no schema');
  // Walk the flattened schema tree: top-level fields and the leaf columns under each.
  const columns: ParquetColumn[] = [];
  const leafTypes: SchemaElement[] = [];
  let pos = 1;
  const walk = (): number => {
    const e = elements[pos++];
    if (!e) throw corrupt(store, key, 'the schema ends before all of its children are listed');
    if (e.numChildren === 0) {
      leafTypes.push(e);
      return 1;
    }
    let leaves = 0;
    for (let c = 0; c < e.numChildren; c++) leaves += walk();
    return leaves;
  };
  for (let c = 0; c < elements[0]!.numChildren; c++) {
    const e = elements[pos]!;
    if (!e) throw corrupt(store, key, 'the schema ends before all of its columns are listed');
    const leafIndex = leafTypes.length;
    walk();
    const nested = e.numChildren > 0 || e.repetition === 'REPEATED';
    columns.push({
      name: e.name,
      fieldId: e.fieldId,
      required: e.repetition === 'REQUIRED',
      nested,
      type: nested ? undefined : parquetTypeToIceberg(e),
      physicalType: nested ? undefined : e.physicalType,
      ...(nested ? {} : { typeLabel: parquetTypeLabel(e) }),
      leafIndex,
    });
  }
  const hasFieldIds = columns.length > 0 && columns.every((c) => c.fieldId !== undefined);
  const dataEnd = fileSize - footerLength - 8;
  const rowGroups: RowGroupStats[] = ((raw.field_4 as Thrift[] | undefined) ?? []).map((rg, index) => {
    const chunks = (rg.field_1 as Thrift[] | undefined) ?? [];
    if (chunks.length !== leafTypes.length) {
      throw corrupt(store, key, `row group ${index} has ${chunks.length} column chunks, the schema has ${leafTypes.length} columns`);
    }
    const numRows = num(rg.field_3) ?? -1;
    if (numRows < 0) throw corrupt(store, key, `row group ${index} has no valid row count`);
    let start = Number.POSITIVE_INFINITY;
    const ranges = chunks.map((ch, leaf) => {
      const md = ch.field_3 as Thrift | undefined;
      if (str(ch.field_1)) {
        throw new LakehouseError('UNSUPPORTED', `Parquet file ${safeUri(store, key)} keeps column chunks in other files`, { details: { key } });
      }
      if (!md) throw corrupt(store, key, `column ${leaf} of row group ${index} has no metadata`);
      const dataPage = num(md.field_9) ?? -1;
      const dictPage = num(md.field_11);
      const off = dictPage !== undefined && dictPage > 0 && dictPage < dataPage ? dictPage : dataPage;
      const len = num(md.field_7) ?? -1;
      if (off < 4 || len < 0 || off + len > dataEnd) {
        throw corrupt(store, key, `column chunk ${leaf} of row group ${index} (bytes ${off}..${off + len}) lies outside the data region 4..${dataEnd}`);
      }
      // Page indexes (column/offset index) are read by the decoder too.
      for (const [o, l, what] of [[ch.field_6, ch.field_7, 'column index'], [ch.field_4, ch.field_5, 'offset index']] as const) {
        const io = num(o);
        const il = num(l);
        if (io !== undefined && il !== undefined && (io < 4 || il < 0 || io + il > dataEnd)) {
          throw corrupt(store, key, `the ${what} of column chunk ${leaf} in row group ${index} (bytes ${io}..${io + il}) lies outside the data region 4..${dataEnd}`);
        }
      }
      start = Math.min(start, off);
      return { md, off, len };
    });
    const byName = new Map<string, ColumnChunkStats>();
    const byId = new Map<number, ColumnChunkStats>();
    for (const col of columns) {
      if (col.nested) continue;
      const { md, off, len } = ranges[col.leafIndex]!;
      const st = chunkStats(col, leafTypes[col.leafIndex]!, md, off, len);
      byName.set(col.name, st);
      if (col.fieldId !== undefined) byId.set(col.fieldId, st);
    }
    return {
      index,
      numRows,
      offset: Number.isFinite(start) ? start : 4,
      compressedSize: num(rg.field_6) ?? ranges.reduce((s, r) => s + r.len, 0),
      columns: byName,
      columnsById: byId,
    };
  });
  const numRows = num(raw.field_3) ?? -1;
  const sum = rowGroups.reduce((s, rg) => s + rg.numRows, 0);
  if (numRows !== sum) throw corrupt(store, key, `the footer says ${numRows} rows but its row groups hold ${sum}`);
  const kv = new Map<string, string>();
  for (const e of (raw.field_5 as Thrift[] | undefined) ?? []) kv.set(str(e.field_1) ?? '', str(e.field_2) ?? '');
  let next = 1;
  const fields: NestedField[] = [];
  for (const c of columns) {
    const id = hasFieldIds ? c.fieldId! : next++;
    if (c.type) fields.push({ id, name: c.name, required: c.required, type: c.type });
  }
  return {
    key,
    uri: safeUri(store, key),
    fileSize,
    numRows,
    formatVersion: num(raw.field_1) ?? 1,
    createdBy: str(raw.field_6),
    keyValueMetadata: kv,
    columns,
    hasFieldIds,
    schema: { type: 'struct', 'schema-id': 0, fields },
    rowGroups,
    footerLength,
  };
}

function chunkStats(col: ParquetColumn, el: SchemaElement, md: Thrift, offset: number, length: number): ColumnChunkStats {
  const s = md.field_12 as Thrift | undefined;
  const out: ColumnChunkStats = {
    name: col.name,
    fieldId: col.fieldId,
    type: col.type,
    valueCount: num(md.field_5) ?? 0,
    nullCount: num(s?.field_3),
    compressedSize: num(md.field_7) ?? 0,
    uncompressedSize: num(md.field_6) ?? 0,
    codec: CompressionCodecs[md.field_4 as number] ?? String(md.field_4),
    encodings: ((md.field_2 as number[] | undefined) ?? []).map((e) => Encodings[e] ?? String(e)),
    offset,
    length,
  };
  if (!s || !col.type) return out;
  // min_value/max_value follow the column's logical sort order. The deprecated min/max used a
  // signed byte order for binary data, so we trust them only for numeric physical types.
  let min = s.field_6 as Uint8Array | undefined;
  let max = s.field_5 as Uint8Array | undefined;
  if (min === undefined && max === undefined && legacyStatsUsable(el)) {
    min = s.field_2;
    max = s.field_1;
  }
  const lo = min === undefined ? undefined : decodeStat(el, col.type, min);
  const hi = max === undefined ? undefined : decodeStat(el, col.type, max);
  // Old writers could put NaN into float statistics; such bounds prove nothing.
  if (typeof lo === 'number' && Number.isNaN(lo)) return out;
  if (typeof hi === 'number' && Number.isNaN(hi)) return out;
  if (lo !== undefined) out.min = lo;
  if (hi !== undefined) out.max = hi;
  return out;
}

function legacyStatsUsable(el: SchemaElement): boolean {
  if (el.convertedType?.startsWith('UINT') || (el.logicalType?.type === 'INTEGER' && el.logicalType.isSigned === false)) return false;
  return el.physicalType === 'BOOLEAN' || el.physicalType === 'INT32' || el.physicalType === 'INT64' || el.physicalType === 'FLOAT' || el.physicalType === 'DOUBLE';
}

/** Decodes one plain-encoded statistics value to the Iceberg JS convention of `type`. */
export function decodeStat(el: ParquetTypeInfo, type: PrimitiveType, b: Uint8Array): IcebergValue | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const phys = el.physicalType;
  if (type.startsWith('decimal')) {
    if (phys === 'INT32' && b.byteLength === 4) return BigInt(dv.getInt32(0, true));
    if (phys === 'INT64' && b.byteLength === 8) return dv.getBigInt64(0, true);
    if (phys === 'FIXED_LEN_BYTE_ARRAY' || phys === 'BYTE_ARRAY') return minimalBytesToBigint(b);
    return undefined;
  }
  switch (type) {
    case 'boolean':
      return b.byteLength >= 1 ? b[0] !== 0 : undefined;
    case 'int':
    case 'date':
      return b.byteLength === 4 ? dv.getInt32(0, true) : undefined;
    case 'long':
      if (phys === 'INT32' && b.byteLength === 4) return BigInt(dv.getUint32(0, true));
      // UINT64 columns read as long: their bounds are unsigned (a value ≥ 2^63 is refused on read).
      if (b.byteLength === 8 && (el.convertedType === 'UINT_64' || (el.logicalType?.type === 'INTEGER' && el.logicalType.isSigned === false))) return dv.getBigUint64(0, true);
      return b.byteLength === 8 ? dv.getBigInt64(0, true) : undefined;
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const scale = parquetUnitScale(el);
      if (phys === 'INT32' && b.byteLength === 4) return BigInt(dv.getInt32(0, true)) * scale;
      return b.byteLength === 8 ? dv.getBigInt64(0, true) * scale : undefined;
    }
    case 'float':
      return b.byteLength === 4 ? dv.getFloat32(0, true) : undefined;
    case 'double':
      return b.byteLength === 8 ? dv.getFloat64(0, true) : undefined;
    case 'string':
      return new TextDecoder('utf-8').decode(b);
    case 'uuid': {
      if (b.byteLength !== 16) return undefined;
      const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    default:
      return b.slice();
  }
}
