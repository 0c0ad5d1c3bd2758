/**
 * Arrow RecordBatch → kernel vectors (vec.ts), and Arrow schema → engine schema: the read path.
 * Synchronous and allocation-light: one output array per column, no per-row objects
 * (plain Utf8 columns decode each *distinct* string once). The write path is arrow-out.ts.
 */
import * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import { decimalType, MAX_DECIMAL_PRECISION, type DataType, type Field, type Schema } from '../plan/types.js';
import { decimalToVec, int32ToVec, int64ToVec, type UnitScale } from './arrow-in-exact.js';
import type { Chunk, Valid, Vec } from './vec.js';

const utf8 = new TextDecoder();

/** Decodes the bytes of one value to the vector's string form (UTF-8 text, or a byte string). */
type Decode = (bytes: Uint8Array, a: number, b: number) => string;

const decodeUtf8: Decode = (bytes, a, b) => utf8.decode(bytes.subarray(a, b));

/**
 * A byte string: one UTF-16 unit per byte, code 0..255 (the engine's `binary` form, so equality,
 * hashing and order are the bytes' own). Not TextDecoder('latin1'): that is windows-1252.
 */
export const decodeBytes: Decode = (bytes, a, b) => {
  let s = '';
  for (let i = a; i < b; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(b, i + 8192)) as unknown as number[]);
  return s;
};

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Canonical lower-case 8-4-4-4-12 text of 16 bytes at `a`. */
export function uuidText(bytes: Uint8Array, a: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[bytes[a + i]!]!;
  }
  return s;
}

/** The SQL-ish name of an Arrow type for messages: INTERVAL, DURATION, FLOAT16, DECIMAL(40,2)… */
export function arrowTypeLabel(t: arrow.DataType): string {
  switch (t.typeId) {
    case arrow.Type.Interval: return 'INTERVAL';
    case arrow.Type.Duration: return 'DURATION';
    case arrow.Type.Float: return 'FLOAT16';
    case arrow.Type.Decimal: return `DECIMAL(${(t as arrow.Decimal).precision},${(t as arrow.Decimal).scale})`;
    default: return String(t);
  }
}

/**
 * Maps an Arrow type to the engine's type; `undefined` for types the kernels cannot compute on
 * (intervals, durations, half floats, decimals wider than 38 digits, nested types).
 */
export function engineType(t: arrow.DataType): DataType | undefined {
  if (arrow.DataType.isDictionary(t)) return engineType(t.dictionary);
  switch (t.typeId) {
    case arrow.Type.Null:
      return 'null';
    case arrow.Type.Bool:
      return 'boolean';
    case arrow.Type.Int: {
      const it = t as arrow.Int;
      if (it.bitWidth < 32 || (it.bitWidth === 32 && it.isSigned)) return 'int32';
      // uint32 always fits BIGINT; uint64 does when every value is below 2^63 (checked on read).
      return 'int64';
    }
    case arrow.Type.Float:
      return (t as arrow.Float).precision === arrow.Precision.HALF ? undefined : 'float64';
    case arrow.Type.Decimal: {
      const dt = t as arrow.Decimal;
      return dt.precision >= 1 && dt.precision <= MAX_DECIMAL_PRECISION && dt.scale >= 0 && dt.scale <= dt.precision ? decimalType(dt.precision, dt.scale) : undefined;
    }
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
      return 'string';
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary:
    case arrow.Type.FixedSizeBinary:
      return 'binary';
    case arrow.Type.Date:
      return 'date';
    case arrow.Type.Time:
      return 'time';
    case arrow.Type.Timestamp:
      return 'timestamp';
    default:
      return undefined;
  }
}

/** Iceberg field id carried by an Arrow field (Parquet readers put it in the field metadata). */
export function arrowFieldId(f: arrow.Field): number | undefined {
  const raw = f.metadata.get('PARQUET:field_id') ?? f.metadata.get('field_id') ?? f.metadata.get('iceberg.id');
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** The engine schema of an Arrow schema; columns of unsupported types are kept with type `null`
 * and flagged so that the binder can name them if a query references them. */
export function schemaFromArrow(s: arrow.Schema): { schema: Schema; unsupported: Map<string, string> } {
  const unsupported = new Map<string, string>();
  const schema: Schema = s.fields.map((f) => {
    let t = engineType(f.type);
    if (t === 'binary' && f.metadata.get('ARROW:extension:name') === 'arrow.uuid') t = 'uuid';
    if (t === undefined) unsupported.set(f.name, arrowTypeLabel(f.type));
    const field: Field = { name: f.name, type: t ?? 'null', nullable: f.nullable };
    const id = arrowFieldId(f);
    if (id !== undefined) field.fieldId = id;
    return field;
  });
  return { schema, unsupported };
}

function validity(d: arrow.Data): Valid {
  if (!d.nullBitmap || d.nullCount === 0) return null;
  const out = new Uint8Array(d.length);
  const bm = d.nullBitmap;
  const off = d.offset;
  for (let i = 0; i < d.length; i++) {
    const b = off + i;
    out[i] = (bm[b >> 3]! >> (b & 7)) & 1;
  }
  return out;
}

/**
 * One pass over a Utf8 column whose values are all empty or one byte long (flags, status codes),
 * coding them through a 257-entry table; `null` (codes untouched) when some value is longer.
 */
function shortUtf8ToCodes(d: arrow.Data, codes: Int32Array, decode: Decode): { codes: Int32Array; dict: string[] } | null {
  const n = d.length;
  const dict: string[] = [];
  const offsets = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const base = 0;
  if (offsets[base + n]! - offsets[base]! > n) return null;
  const lut = new Int32Array(257).fill(-1);
  let a = offsets[base]!;
  for (let i = 0; i < n; i++) {
    const b = offsets[base + i + 1]!;
    const len = b - a;
    if (len > 1) return null;
    const key = len === 0 ? 256 : bytes[a]!;
    let id = lut[key]!;
    if (id < 0) {
      id = dict.length;
      lut[key] = id;
      dict.push(key === 256 ? '' : decode(bytes, a, b));
    }
    codes[i] = id;
    a = b;
  }
  return { codes, dict: dict.length ? dict : [''] };
}

/** Dictionary-encodes a plain Utf8 or Binary column by hashing its bytes (FNV-1a, open addressing). */
function utf8ToStr(d: arrow.Data, decode: Decode = decodeUtf8): { codes: Int32Array; dict: string[] } {
  const n = d.length;
  const offsets = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const codes = new Int32Array(n);
  const dict: string[] = [];
  // Fast path: every value is at most one byte (flags, status codes) → a 257-entry table.
  const short = shortUtf8ToCodes(d, codes, decode);
  if (short) return short;
  const starts: number[] = [];
  const ends: number[] = [];
  let cap = 1024;
  while (cap < n * 2 && cap < 1 << 22) cap <<= 1;
  let slots = new Int32Array(cap).fill(-1);
  let hashes: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    let h = 0x811c9dc5;
    for (let j = a; j < b; j++) h = Math.imul(h ^ bytes[j]!, 0x01000193);
    let s = (h >>> 0) & (cap - 1);
    for (;;) {
      const id = slots[s]!;
      if (id < 0) {
        const nid = dict.length;
        slots[s] = nid;
        dict.push(decode(bytes, a, b));
        starts.push(a);
        ends.push(b);
        hashes.push(h);
        codes[i] = nid;
        if (dict.length * 2 > cap) {
          cap <<= 1;
          slots = new Int32Array(cap).fill(-1);
          for (let k = 0; k < dict.length; k++) {
            let t = (hashes[k]! >>> 0) & (cap - 1);
            while (slots[t]! >= 0) t = (t + 1) & (cap - 1);
            slots[t] = k;
          }
        }
        break;
      }
      if (hashes[id] === h && ends[id]! - starts[id]! === b - a) {
        let eq = true;
        const sa = starts[id]!;
        for (let j = 0; j < b - a; j++) if (bytes[sa + j] !== bytes[a + j]) { eq = false; break; }
        if (eq) { codes[i] = id; break; }
      }
      s = (s + 1) & (cap - 1);
    }
  }
  hashes = [];
  return { codes, dict: dict.length ? dict : [''] };
}

/** Dictionary-encodes strings given one at a time (LargeUtf8/LargeBinary, FixedSizeBinary). */
function stringsToStr(n: number, at: (i: number) => string, valid: Valid): Vec {
  const ids = new Map<string, number>();
  const dict: string[] = [];
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue; // code 0; the value under a null is unspecified
    const s = at(i);
    let id = ids.get(s);
    if (id === undefined) { id = dict.length; dict.push(s); ids.set(s, id); }
    codes[i] = id;
  }
  return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
}

/** The unit scaling of a time/timestamp/date Arrow type to the engine's unit (µs; days). */
function unitScale(t: arrow.DataType): UnitScale {
  if (t.typeId === arrow.Type.Timestamp || t.typeId === arrow.Type.Time) {
    const unit = (t as arrow.Timestamp | arrow.Time).unit;
    if (unit === arrow.TimeUnit.SECOND) return { mul: 1_000_000, div: 1 };
    if (unit === arrow.TimeUnit.MILLISECOND) return { mul: 1000, div: 1 };
    // Nanoseconds are truncated to microseconds (floor), as Iceberg v2 has no finer unit.
    if (unit === arrow.TimeUnit.NANOSECOND) return { mul: 1, div: 1000 };
    return { mul: 1, div: 1 };
  }
  if (t.typeId === arrow.Type.Date && (t as arrow.Date_).unit === arrow.DateUnit.MILLISECOND) return { mul: 1, div: 86_400_000 };
  return { mul: 1, div: 1 };
}

function unsupportedColumn(t: arrow.DataType, name: string): LakehouseError {
  return new LakehouseError('UNSUPPORTED', `not supported yet: ${arrowTypeLabel(t)} column "${name}"`, {
    help: 'Leave the column out of the query (or the import), or convert it to a supported type (e.g. an INTERVAL to a BIGINT of microseconds) before loading.',
    details: { column: name, type: String(t) },
  });
}

/**
 * Converts one Arrow column (a single Data chunk) to a kernel vector of engine type `type`.
 * Sliced Data (RecordBatch.slice, e.g. rows kept around deletes): Arrow JS slices the value and
 * offset buffers themselves and keeps `offset` only for bit-addressed buffers (validity, booleans).
 * Exact types follow compute/arrow-in-exact.ts: `num` when every value fits ±(2^53−1), else `big`.
 * `binary` columns become byte strings, `uuid` columns (FixedSizeBinary(16)) canonical text.
 */
export function dataToVec(d: arrow.Data, type: DataType, name: string): Vec {
  const valid = validity(d);
  const t = d.type;
  const n = d.length;
  if (arrow.DataType.isDictionary(t)) {
    const idx = d.values as unknown as ArrayLike<number>;
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) codes[i] = Number(idx[i]);
    const dv = d.dictionary!;
    const inner = engineType(t.dictionary);
    if (inner !== 'string' && inner !== 'binary') {
      throw new LakehouseError('UNSUPPORTED', `not supported yet: dictionary-encoded ${String(t.dictionary)} column "${name}"`);
    }
    const chunks = dv.data.map((x) => dataToVec(x, type, name) as Extract<Vec, { t: 'str' }>);
    const dcodes = new Int32Array(dv.length);
    const ids = new Map<string, number>();
    const dict: string[] = [];
    let k = 0;
    for (const c of chunks) {
      for (let i = 0; i < c.codes.length; i++) {
        const s = c.dict[c.codes[i]!]!;
        let id = ids.get(s);
        if (id === undefined) { id = dict.length; dict.push(s); ids.set(s, id); }
        dcodes[k++] = id;
      }
    }
    // Codes index the stored dictionary; map them through its deduplicated codes.
    for (let i = 0; i < n; i++) codes[i] = dcodes[codes[i]!] ?? 0;
    return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
  }
  switch (t.typeId) {
    case arrow.Type.Bool: {
      const values = new Uint8Array(n);
      const bm = d.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        const b = d.offset + i;
        values[i] = (bm[b >> 3]! >> (b & 7)) & 1;
      }
      return { t: 'bool', values, valid };
    }
    case arrow.Type.Utf8:
      return { t: 'str', ...utf8ToStr(d), valid };
    case arrow.Type.Binary:
      return { t: 'str', ...utf8ToStr(d, decodeBytes), valid };
    case arrow.Type.LargeUtf8:
    case arrow.Type.LargeBinary: {
      const arr = new arrow.Vector([d]).toArray() as Array<string | Uint8Array | null>;
      return stringsToStr(n, (i) => { const x = arr[i]!; return typeof x === 'string' ? x : decodeBytes(x, 0, x.length); }, valid);
    }
    case arrow.Type.FixedSizeBinary: {
      const w = (t as arrow.FixedSizeBinary).byteWidth;
      const bytes = d.values as Uint8Array;
      if (type === 'uuid') {
        if (w !== 16) throw new LakehouseError('SCHEMA_MISMATCH', `column "${name}" holds ${w}-byte values, which cannot be read as uuid`, { details: { column: name } });
        return stringsToStr(n, (i) => uuidText(bytes, i * 16), valid);
      }
      return stringsToStr(n, (i) => decodeBytes(bytes, i * w, (i + 1) * w), valid);
    }
    case arrow.Type.Null:
      return { t: 'num', type: 'null', values: new Float64Array(n), valid: new Uint8Array(n) };
    case arrow.Type.Decimal: {
      const dt = t as arrow.Decimal;
      if (dt.precision > MAX_DECIMAL_PRECISION) {
        throw new LakehouseError('UNSUPPORTED', `not supported yet: DECIMAL(${dt.precision},${dt.scale}) column "${name}" (at most ${MAX_DECIMAL_PRECISION} digits)`, {
          help: `CAST the column to DECIMAL(${MAX_DECIMAL_PRECISION},S) or DOUBLE before loading it.`,
          details: { column: name },
        });
      }
      return decimalToVec(d as arrow.Data<arrow.Decimal>, type, valid, name);
    }
    case arrow.Type.Float:
    case arrow.Type.Int:
    case arrow.Type.Date:
    case arrow.Type.Time:
    case arrow.Type.Timestamp: {
      if (t.typeId === arrow.Type.Float && (t as arrow.Float).precision === arrow.Precision.HALF) throw unsupportedColumn(t, name);
      const vals = d.values as unknown as ArrayLike<number>;
      if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) return int64ToVec(d, type, valid, unitScale(t), name);
      if (vals instanceof Float64Array) return { t: 'num', type, values: vals.subarray(0, n), valid };
      const scale = unitScale(t);
      if (vals instanceof Int32Array) return int32ToVec(vals, n, type, valid, scale.mul);
      const out = new Float64Array(n);
      // A typed-array `set` converts natively (a plain loop here is polymorphic over the
      // Int8…Uint32/Float32 array types and runs several times slower).
      if (ArrayBuffer.isView(vals)) out.set((vals as unknown as Int32Array).subarray(0, n));
      else for (let i = 0; i < n; i++) out[i] = vals[i]!;
      if (scale.mul !== 1) for (let i = 0; i < n; i++) out[i] = out[i]! * scale.mul;
      return { t: 'num', type, values: out, valid };
    }
    default:
      throw unsupportedColumn(t, name);
  }
}

/** Converts the named columns of a batch into a chunk (columns in the order given). */
export function batchToChunk(batch: arrow.RecordBatch, columns: Array<{ name: string; type: DataType }>): Chunk {
  const cols = columns.map(({ name, type }) => {
    const idx = batch.schema.fields.findIndex((f) => f.name === name);
    if (idx < 0) {
      throw new LakehouseError('SCHEMA_MISMATCH', `column "${name}" is missing from a scanned batch`, {
        help: 'The data file does not match the table schema.',
      });
    }
    return dataToVec(batch.data.children[idx]!, type, name);
  });
  return { length: batch.numRows, cols };
}

