/**
 * Kernel vectors (vec.ts) → Arrow RecordBatch, and engine schema → Arrow schema: the write path
 * (worker replies, sinks, DataFrame batches). Synchronous. The read path is arrow-in.ts.
 *
 * Exactness contract (docs/design.md, "Exact numbers"): every value leaves exactly as the kernels
 * hold it, `num` and `big` vectors alike — worker replies travel this way (Arrow IPC), so partial
 * aggregates and intermediate decimals must survive vecToData → dataToVec bit for bit.
 *   int32, date        → Int32 / Date32 (days)
 *   int64, timestamp   → Int64 / Timestamp(µs): doubles split into two 32-bit words, BigInts as-is
 *   time               → Time64(µs)
 *   decimal(P,S)       → Decimal128(P,S): the unscaled integer as four little-endian 32-bit words,
 *                        two's complement; a value with more than P digits is OUT_OF_RANGE
 *   uuid               → FixedSizeBinary(16) (field metadata `ARROW:extension:name = arrow.uuid`)
 *   binary             → Binary: each character of the byte string is one byte (code 0..255)
 *   string             → Utf8
 * A value that cannot be represented is an error, never a silent wrap or rounding.
 */

import * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import { uuidToBytes } from '../../connectors/single-value.js';
import { decimalParts, type DataType, type Schema } from '../plan/types.js';
import { pow10, pow10n, typeLabel } from './exact.js';
import type { BigValues, Chunk, Valid, Vec } from './vec.js';

const TWO32 = 4294967296;
const enc = new TextEncoder();

/** Arrow field metadata naming the canonical UUID extension type. */
export const UUID_EXTENSION: ReadonlyMap<string, string> = new Map([['ARROW:extension:name', 'arrow.uuid']]);

export function arrowType(t: DataType): arrow.DataType {
  switch (t) {
    case 'boolean': return new arrow.Bool();
    case 'int32': return new arrow.Int32();
    case 'int64': return new arrow.Int64();
    case 'float64': return new arrow.Float64();
    case 'string': return new arrow.Utf8();
    case 'date': return new arrow.DateDay();
    case 'timestamp': return new arrow.TimestampMicrosecond();
    case 'time': return new arrow.TimeMicrosecond();
    case 'uuid': return new arrow.FixedSizeBinary(16);
    case 'binary': return new arrow.Binary();
    case 'null': return new arrow.Null();
    default: {
      const d = decimalParts(t);
      if (d) return new arrow.Decimal(d.scale, d.precision, 128);
      throw new LakehouseError('INTERNAL', `no Arrow type for engine type ${t}`);
    }
  }
}

/** The Arrow field of an engine column (uuid columns carry the extension name). */
export function arrowField(name: string, t: DataType, nullable = true): arrow.Field {
  return new arrow.Field(name, arrowType(t), nullable, t === 'uuid' ? new Map(UUID_EXTENSION) : undefined);
}

function packBits(n: number, src: Uint8Array): Uint8Array {
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (src[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

function nullsOf(n: number, valid: Valid): { nullBitmap?: Uint8Array; nullCount: number } {
  if (!valid) return { nullCount: 0 };
  let c = 0;
  for (let i = 0; i < n; i++) c += valid[i]!;
  return c === n ? { nullCount: 0 } : { nullBitmap: packBits(n, valid), nullCount: n - c };
}

const isNull = (valid: Valid, i: number): boolean => valid !== null && valid[i] === 0;

/** Doubles holding integers within ±2^53 → Int64 words (exact: hi < 2^21 in magnitude). */
function f64ToInt64(values: Float64Array, n: number): BigInt64Array {
  const out = new BigInt64Array(n);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const x = Math.trunc(values[i]!) || 0;
    const hi = Math.floor(x / TWO32);
    words[2 * i] = (x - hi * TWO32) | 0;
    words[2 * i + 1] = hi | 0;
  }
  return out;
}

/** BigInts → Int64, refusing (not wrapping) a valid value outside the 64-bit range. */
function bigToInt64(values: BigValues, valid: Valid, n: number, type: DataType): BigInt64Array {
  if (values instanceof BigInt64Array) return values.length === n ? values : values.subarray(0, n);
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    if (isNull(valid, i)) continue;
    const x = values[i]!;
    if (BigInt.asIntN(64, x) !== x) throw outOfRange(type, x);
    out[i] = x;
  }
  return out;
}

function outOfRange(type: DataType, x: bigint | number): LakehouseError {
  return new LakehouseError('OUT_OF_RANGE', `value ${String(x)} is out of range for ${typeLabel(type)}`, {
    help: 'CAST it to a wider type (BIGINT, or a DECIMAL with more digits) before it is written.',
  });
}

/**
 * Unscaled decimal values → Decimal128 words (4 little-endian 32-bit words per value, two's
 * complement). Values of more than `precision` digits are OUT_OF_RANGE.
 */
export function decimalWords(v: Extract<Vec, { t: 'num' | 'big' }>, n: number, precision: number, type: DataType): Uint32Array {
  const out = new Uint32Array(4 * n);
  const valid = v.valid;
  if (v.t === 'num') {
    const s = v.values;
    // Above 15 digits every double-exact integer (±2^53) fits; below, check the bound.
    const bound = precision <= 15 ? pow10(precision) : Infinity;
    for (let i = 0; i < n; i++) {
      if (isNull(valid, i)) continue;
      const x = s[i]!;
      if (!(x < bound && x > -bound)) throw outOfRange(type, x);
      const hi = Math.floor(x / TWO32);
      const o = 4 * i;
      out[o] = x - hi * TWO32;
      out[o + 1] = hi >>> 0;
      const sign = hi < 0 ? 0xffffffff : 0;
      out[o + 2] = sign;
      out[o + 3] = sign;
    }
    return out;
  }
  const s = v.values;
  const bound = pow10n(precision);
  for (let i = 0; i < n; i++) {
    if (isNull(valid, i)) continue;
    const x = s[i]!;
    if (x >= bound || x <= -bound) throw outOfRange(type, x);
    const o = 4 * i;
    out[o] = Number(x & 0xffffffffn);
    out[o + 1] = Number((x >> 32n) & 0xffffffffn);
    out[o + 2] = Number((x >> 64n) & 0xffffffffn);
    out[o + 3] = Number((x >> 96n) & 0xffffffffn);
  }
  return out;
}

/** A byte string (one char per byte, code 0..255) → its bytes. */
export function byteStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new LakehouseError('INTERNAL', `a binary value holds character code ${c} (byte strings hold codes 0..255)`);
    out[i] = c;
  }
  return out;
}

/**
 * Variable-length column (Utf8 or Binary) from a dictionary vector. Only the entries the rows use
 * are encoded — a slice or a gather shares its source's whole dictionary — and into one growing
 * buffer, not an array per string: a streamed `SELECT *` encoded every distinct string of every
 * slice's source batch, and that garbage was most of a worker's heap (measured: ~90 MB).
 */
function varData(v: Extract<Vec, { t: 'str' }>, n: number, type: arrow.Utf8 | arrow.Binary, encode: (s: string) => Uint8Array): arrow.Data {
  const dict = v.dict;
  const at = new Int32Array(dict.length).fill(-1);
  const len = new Int32Array(dict.length);
  let buf: Uint8Array = new Uint8Array(1024);
  let used = 0;
  const utf8 = type instanceof arrow.Utf8;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (v.valid === null || v.valid[i]) {
      const c = v.codes[i]!;
      if (at[c]! < 0) {
        const str = dict[c]!;
        if (utf8) {
          // encodeInto needs room for the worst case: 3 bytes per UTF-16 code unit.
          if (buf.length - used < str.length * 3) buf = grow(buf, used + str.length * 3);
          const r = enc.encodeInto(str, buf.subarray(used));
          at[c] = used;
          len[c] = r.written;
          used += r.written;
        } else {
          const bytes = encode(str);
          if (buf.length - used < bytes.length) buf = grow(buf, used + bytes.length);
          buf.set(bytes, used);
          at[c] = used;
          len[c] = bytes.length;
          used += bytes.length;
        }
      }
      total += len[c]!;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    if (b > a) {
      const c = v.codes[i]!;
      const from = at[c]!;
      if (b - a <= 16) for (let k = 0; k < b - a; k++) data[a + k] = buf[from + k]!;
      else data.set(buf.subarray(from, from + (b - a)), a);
    }
  }
  return arrow.makeData({ type, length: n, valueOffsets: offsets, data, ...nullsOf(n, v.valid) } as never);
}

/**
 * FixedSizeBinary(width) from a string vector of byte strings (binary) or UUID text (`uuid`).
 * A valid value of another length fails with CONVERSION_ERROR naming `column`.
 */
export function fixedBinaryData(v: Vec, n: number, width: number, column: string, uuid = false): arrow.Data {
  if (v.t !== 'str') throw new LakehouseError('INTERNAL', `a ${v.t} vector cannot become FixedSizeBinary(${width})`);
  // Each dictionary entry used by a valid row is converted once (an unused entry may be anything).
  const cache: Array<Uint8Array | undefined> = new Array(v.dict.length);
  const data = new Uint8Array(width * n);
  for (let i = 0; i < n; i++) {
    if (isNull(v.valid, i)) continue;
    const c = v.codes[i]!;
    let b = cache[c];
    if (b === undefined) {
      const s = v.dict[c]!;
      if (uuid) {
        try {
          b = uuidToBytes(s);
        } catch (err) {
          throw new LakehouseError('CONVERSION_ERROR', `"${s}" in column "${column}" is not a UUID`, { cause: err, help: 'UUIDs are written as 8-4-4-4-12 hexadecimal text.' });
        }
      } else {
        b = byteStringToBytes(s);
      }
      if (b.length !== width) {
        throw new LakehouseError('CONVERSION_ERROR', `a ${b.length}-byte value in column "${column}" does not fit fixed[${width}]`, {
          help: `Every value of a fixed[${width}] column has exactly ${width} bytes: filter or pad the values first.`,
          details: { column, bytes: b.length, width },
        });
      }
      cache[c] = b;
    }
    data.set(b, i * width);
  }
  return arrow.makeData({ type: new arrow.FixedSizeBinary(width), length: n, data, ...nullsOf(n, v.valid) });
}

/** Builds an Arrow column of engine type `type` from a vector (strings as plain Utf8). */
export function vecToData(v: Vec, type: DataType, n: number): arrow.Data {
  const nulls = nullsOf(n, v.valid);
  if (type === 'null') return arrow.makeData({ type: new arrow.Null(), length: n, nullCount: n });
  if (v.t === 'bool') {
    return arrow.makeData({ type: new arrow.Bool(), length: n, data: packBits(n, v.values), ...nulls });
  }
  if (v.t === 'str') {
    if (type === 'uuid') return fixedBinaryData(v, n, 16, '?', true);
    if (type === 'binary') return varData(v, n, new arrow.Binary(), byteStringToBytes);
    return varData(v, n, new arrow.Utf8(), (s) => enc.encode(s));
  }
  const d = decimalParts(type);
  if (d) return arrow.makeData({ type: new arrow.Decimal(d.scale, d.precision, 128), length: n, data: decimalWords(v, n, d.precision, type), ...nulls });
  if (v.t === 'big') {
    switch (type) {
      case 'int64': return arrow.makeData({ type: new arrow.Int64(), length: n, data: bigToInt64(v.values, v.valid, n, type), ...nulls });
      case 'timestamp': return arrow.makeData({ type: new arrow.TimestampMicrosecond(), length: n, data: bigToInt64(v.values, v.valid, n, type), ...nulls });
      case 'time': return arrow.makeData({ type: new arrow.TimeMicrosecond(), length: n, data: bigToInt64(v.values, v.valid, n, type), ...nulls });
      case 'int32':
      case 'date': {
        // The invariant keeps 32-bit values in `num` vectors; accept BigInts anyway, checked.
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          if (isNull(v.valid, i)) continue;
          const x = v.values[i]!;
          if (BigInt.asIntN(32, x) !== x) throw outOfRange(type, x);
          out[i] = Number(x);
        }
        return type === 'date'
          ? arrow.makeData({ type: new arrow.DateDay(), length: n, data: out, ...nulls })
          : arrow.makeData({ type: new arrow.Int32(), length: n, data: out, ...nulls });
      }
      default:
        throw new LakehouseError('INTERNAL', `a BigInt vector cannot become ${type}`);
    }
  }
  const vals = v.values.length === n ? v.values : v.values.subarray(0, n);
  switch (type) {
    case 'float64':
      return arrow.makeData({ type: new arrow.Float64(), length: n, data: vals, ...nulls });
    case 'int32':
      return arrow.makeData({ type: new arrow.Int32(), length: n, data: Int32Array.from(vals), ...nulls });
    case 'date':
      return arrow.makeData({ type: new arrow.DateDay(), length: n, data: Int32Array.from(vals), ...nulls });
    case 'int64':
      return arrow.makeData({ type: new arrow.Int64(), length: n, data: f64ToInt64(vals, n), ...nulls });
    case 'timestamp':
      return arrow.makeData({ type: new arrow.TimestampMicrosecond(), length: n, data: f64ToInt64(vals, n), ...nulls });
    case 'time':
      return arrow.makeData({ type: new arrow.TimeMicrosecond(), length: n, data: f64ToInt64(vals, n), ...nulls });
    default:
      throw new LakehouseError('INTERNAL', `a numeric vector cannot become ${type}`);
  }
}

export function chunkToBatch(c: Chunk, schema: Schema): arrow.RecordBatch {
  const fields = schema.map((f) => arrowField(f.name, f.type));
  const aschema = new arrow.Schema(fields);
  const children = c.cols.map((v, i) => vecToData(v, schema[i]!.type, c.length));
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: c.length, nullCount: 0, children });
  return new arrow.RecordBatch(aschema, data);
}

export function arrowSchemaOf(schema: Schema): arrow.Schema {
  return new arrow.Schema(schema.map((f) => arrowField(f.name, f.type)));
}

/** A copy of `buf` with room for at least `need` bytes (doubling). */
function grow(buf: Uint8Array, need: number): Uint8Array {
  let cap = buf.length * 2;
  while (cap < need) cap *= 2;
  const out = new Uint8Array(cap);
  out.set(buf);
  return out;
}

