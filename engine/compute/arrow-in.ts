/**
 * Arrow RecordBatch → kernel vectors (vec.ts), and Arrow schema → engine schema: the read path.
 * Synchronous and allocation-light: one output array per column, no per-row objects
 * (plain Utf8 columns decode each *distinct* string once). The write path is arrow-out.ts.
 */
import * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import type { DataType, Field, Schema } from '../plan/types.js';
import type { Chunk, Valid, Vec } from './vec.js';

const TWO32 = 4294967296;
const utf8 = new TextDecoder();

/** Maps an Arrow type to the engine's type; `undefined` for types the kernels cannot compute on. */
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
      return 'int64';
    }
    case arrow.Type.Float:
    case arrow.Type.Decimal:
      return 'float64';
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
      return 'string';
    case arrow.Type.Date:
      return 'date';
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
    const t = engineType(f.type);
    if (t === undefined) unsupported.set(f.name, String(f.type));
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

/** Reads 64-bit integers as doubles; values beyond ±2^53 are refused rather than rounded. */
function int64ToF64(d: arrow.Data, scale: number, divide: boolean, name: string): Float64Array {
  const v = d.values as unknown as BigInt64Array;
  const words = new Int32Array(v.buffer, v.byteOffset, d.length * 2);
  const out = new Float64Array(d.length);
  let bad = -1;
  const n = d.length;
  // Plain integers (the common case) get their own loop, without the unit scaling.
  if (scale === 1) {
    for (let i = 0; i < n; i++) {
      const hi = words[2 * i + 1]!;
      if (hi > 0x1fffff || hi < -0x200000) bad = i;
      out[i] = hi * TWO32 + (words[2 * i]! >>> 0);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const hi = words[2 * i + 1]!;
      if (hi > 0x1fffff || hi < -0x200000) bad = i;
      const x = hi * TWO32 + (words[2 * i]! >>> 0);
      out[i] = divide ? Math.floor(x / scale) : x * scale;
    }
  }
  if (bad >= 0 && (d.nullBitmap === null || d.nullCount === 0 || validity(d)![bad] === 1)) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: 64-bit value ${v[bad]} in column "${name}" is beyond ±2^53`, {
      help: 'The engine computes on 64-bit integers exactly only within ±2^53 (9.0e15).',
    });
  }
  return out;
}

function decimalToF64(d: arrow.Data<arrow.Decimal>): Float64Array {
  const words = d.values as unknown as Uint32Array;
  const out = new Float64Array(d.length);
  const div = 10 ** d.type.scale;
  const stride = d.type.bitWidth / 32;
  for (let i = 0; i < d.length; i++) {
    const o = i * stride;
    const neg = (words[o + stride - 1]! & 0x80000000) !== 0;
    let x = 0;
    let mul = 1;
    let carry = 1;
    for (let w = 0; w < stride; w++) {
      let word = words[o + w]!;
      if (neg) {
        word = (~word >>> 0) + carry;
        carry = word > 0xffffffff ? 1 : 0;
        word = word >>> 0;
      }
      x += word * mul;
      mul *= TWO32;
    }
    out[i] = (neg ? -x : x) / div;
  }
  return out;
}

/**
 * One pass over a Utf8 column whose values are all empty or one byte long (flags, status codes),
 * coding them through a 257-entry table; `null` (codes untouched) when some value is longer.
 */
function shortUtf8ToCodes(d: arrow.Data, codes: Int32Array): { codes: Int32Array; dict: string[] } | null {
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
      dict.push(key === 256 ? '' : utf8.decode(bytes.subarray(a, b)));
    }
    codes[i] = id;
    a = b;
  }
  return { codes, dict: dict.length ? dict : [''] };
}

/** Dictionary-encodes a plain Utf8 column by hashing its bytes (FNV-1a, open addressing). */
function utf8ToStr(d: arrow.Data): { codes: Int32Array; dict: string[] } {
  const n = d.length;
  const offsets = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const codes = new Int32Array(n);
  const dict: string[] = [];
  // Fast path: every value is at most one byte (flags, status codes) → a 257-entry table.
  const short = shortUtf8ToCodes(d, codes);
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
        dict.push(utf8.decode(bytes.subarray(a, b)));
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

/**
 * Converts one Arrow column (a single Data chunk) to a kernel vector of engine type `type`.
 * Sliced Data (RecordBatch.slice, e.g. rows kept around deletes): Arrow JS slices the value and
 * offset buffers themselves and keeps `offset` only for bit-addressed buffers (validity, booleans).
 */
export function dataToVec(d: arrow.Data, type: DataType, name: string): Vec {
  const valid = validity(d);
  const t = d.type;
  if (arrow.DataType.isDictionary(t)) {
    const idx = d.values as unknown as ArrayLike<number>;
    const codes = new Int32Array(d.length);
    for (let i = 0; i < d.length; i++) codes[i] = Number(idx[i]);
    const dv = d.dictionary!;
    if (engineType(t.dictionary) !== 'string') {
      throw new LakehouseError('UNSUPPORTED', `not supported yet: dictionary-encoded ${String(t.dictionary)} column "${name}"`);
    }
    let dcodes: Int32Array;
    let dict: string[];
    if (dv.data.length === 1) {
      const inner = dataToVec(dv.data[0]!, 'string', name) as Extract<Vec, { t: 'str' }>;
      dcodes = inner.codes;
      dict = inner.dict;
    } else {
      const ids = new Map<string, number>();
      dict = [];
      const arr = dv.toArray() as (string | null)[];
      dcodes = new Int32Array(arr.length);
      arr.forEach((s, k) => {
        let id = ids.get(s ?? '');
        if (id === undefined) { id = dict.length; dict.push(s ?? ''); ids.set(s ?? '', id); }
        dcodes[k] = id;
      });
    }
    // Codes index the stored dictionary; map them through its deduplicated codes.
    for (let i = 0; i < d.length; i++) codes[i] = dcodes[codes[i]!] ?? 0;
    return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
  }
  switch (t.typeId) {
    case arrow.Type.Bool: {
      const values = new Uint8Array(d.length);
      const bm = d.values as Uint8Array;
      for (let i = 0; i < d.length; i++) {
        const b = d.offset + i;
        values[i] = (bm[b >> 3]! >> (b & 7)) & 1;
      }
      return { t: 'bool', values, valid };
    }
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8: {
      if (t.typeId === arrow.Type.LargeUtf8) {
        const arr = new arrow.Vector([d]).toArray() as (string | null)[];
        const ids = new Map<string, number>();
        const dict: string[] = [];
        const codes = new Int32Array(d.length);
        for (let i = 0; i < arr.length; i++) {
          const s = arr[i] ?? '';
          let id = ids.get(s);
          if (id === undefined) { id = dict.length; dict.push(s); ids.set(s, id); }
          codes[i] = id;
        }
        return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
      }
      return { t: 'str', ...utf8ToStr(d), valid };
    }
    case arrow.Type.Null:
      return { t: 'num', type: 'null', values: new Float64Array(d.length), valid: new Uint8Array(d.length) };
    case arrow.Type.Decimal:
      return { t: 'num', type, values: decimalToF64(d as arrow.Data<arrow.Decimal>), valid };
    case arrow.Type.Int:
    case arrow.Type.Float:
    case arrow.Type.Date:
    case arrow.Type.Timestamp: {
      const vals = d.values as unknown as ArrayLike<number>;
      if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) {
        let scale = 1;
        let divide = false;
        if (t.typeId === arrow.Type.Timestamp) {
          const unit = (t as arrow.Timestamp).unit;
          if (unit === arrow.TimeUnit.SECOND) scale = 1e6;
          else if (unit === arrow.TimeUnit.MILLISECOND) scale = 1e3;
          else if (unit === arrow.TimeUnit.NANOSECOND) { scale = 1e3; divide = true; }
        } else if (t.typeId === arrow.Type.Date) {
          scale = 86_400_000;
          divide = true;
        }
        return { t: 'num', type, values: int64ToF64(d, scale, divide, name), valid };
      }
      if (vals instanceof Float64Array) {
        return { t: 'num', type, values: vals.subarray(0, d.length), valid };
      }
      const out = new Float64Array(d.length);
      // A typed-array `set` converts natively (a plain loop here is polymorphic over the
      // Int8…Uint32/Float32 array types and runs several times slower).
      if (ArrayBuffer.isView(vals)) out.set((vals as unknown as Int32Array).subarray(0, d.length));
      else for (let i = 0; i < d.length; i++) out[i] = vals[i]!;
      if (t.typeId === arrow.Type.Timestamp) {
        const unit = (t as arrow.Timestamp).unit;
        const mul = unit === arrow.TimeUnit.SECOND ? 1e6 : unit === arrow.TimeUnit.MILLISECOND ? 1e3 : 1;
        if (mul !== 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! * mul;
      }
      return { t: 'num', type, values: out, valid };
    }
    default:
      throw new LakehouseError('UNSUPPORTED', `not supported yet: computing on ${String(t)} column "${name}"`);
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

