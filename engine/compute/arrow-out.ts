/**
 * Kernel vectors (vec.ts) → Arrow RecordBatch, and engine schema → Arrow schema: the write path
 * (worker replies, sinks, DataFrame batches). Synchronous. The read path is arrow-in.ts.
 */

import * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import { decimalParts, type DataType, type Schema } from '../plan/types.js';
import type { Chunk, Valid, Vec } from './vec.js';

const TWO32 = 4294967296;
const enc = new TextEncoder();

export function arrowType(t: DataType): arrow.DataType {
  switch (t) {
    case 'boolean': return new arrow.Bool();
    case 'int32': return new arrow.Int32();
    case 'int64': return new arrow.Int64();
    case 'float64': return new arrow.Float64();
    case 'string': return new arrow.Utf8();
    case 'date': return new arrow.DateDay();
    case 'timestamp': return new arrow.TimestampMicrosecond();
    case 'null': return new arrow.Null();
    default: {
      const d = decimalParts(t);
      if (d) return new arrow.Decimal(d.scale, d.precision, 128);
      throw new LakehouseError('INTERNAL', `no Arrow type for engine type ${t}`);
    }
  }
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

/** Builds an Arrow column of engine type `type` from a vector (strings as plain Utf8). */
export function vecToData(v: Vec, type: DataType, n: number): arrow.Data {
  const nulls = nullsOf(n, v.valid);
  if (type === 'null') return arrow.makeData({ type: new arrow.Null(), length: n, nullCount: n });
  if (v.t === 'bool') {
    return arrow.makeData({ type: new arrow.Bool(), length: n, data: packBits(n, v.values), ...nulls });
  }
  if (v.t === 'str') {
    const encoded = v.dict.map((s) => enc.encode(s));
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (v.valid === null || v.valid[i]) total += encoded[v.codes[i]!]!.length;
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      const a = offsets[i]!;
      if (offsets[i + 1]! > a) data.set(encoded[v.codes[i]!]!, a);
    }
    return arrow.makeData({ type: new arrow.Utf8(), length: n, valueOffsets: offsets, data, ...nulls });
  }
  if (v.t === 'big') throw new LakehouseError('UNSUPPORTED', `not supported yet: writing ${type} values beyond ±2^53 to Arrow`);
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
    default:
      throw new LakehouseError('PLAN_ERROR', `internal: a numeric vector cannot become ${type}`);
  }
}

export function chunkToBatch(c: Chunk, schema: Schema): arrow.RecordBatch {
  const fields = schema.map((f) => new arrow.Field(f.name, arrowType(f.type), true));
  const aschema = new arrow.Schema(fields);
  const children = c.cols.map((v, i) => vecToData(v, schema[i]!.type, c.length));
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: c.length, nullCount: 0, children });
  return new arrow.RecordBatch(aschema, data);
}

export function arrowSchemaOf(schema: Schema): arrow.Schema {
  return new arrow.Schema(schema.map((f) => new arrow.Field(f.name, arrowType(f.type), true)));
}
