/**
 * Fast Arrow column builders for Iceberg values (the JS conventions of single-value.ts), and
 * the reverse: reading an Iceberg value out of an Arrow vector. Used by the CSV/NDJSON importers
 * and by anything that turns rows into batches. Builders grow typed arrays geometrically; no
 * per-value allocation except for decimals. Pure, synchronous.
 */

import * as arrow from 'apache-arrow';
import { icebergTypeToArrow } from './arrow-types.js';
import { LakehouseError } from './errors.js';
import type { PrimitiveType, Schema } from './iceberg-types.js';
import { icebergSchemaToArrow } from './arrow-types.js';
import { bytesToUuid, uuidToBytes, type IcebergValue } from './single-value.js';

const utf8 = new TextEncoder();

type Growable = Int32Array | Float32Array | Float64Array | BigInt64Array | Uint8Array | Uint32Array;

function grow<T extends Growable>(arr: T, need: number): T {
  if (need <= arr.length) return arr;
  const next = new (arr.constructor as new (n: number) => T)(Math.max(need, arr.length * 2, 64));
  next.set(arr as never);
  return next;
}

/** Appends Iceberg values of one primitive type and produces one Arrow `Data`. */
export class ColumnBuilder {
  readonly arrowType: arrow.DataType;
  length = 0;
  private nulls = 0;
  private validity = new Uint8Array(64);
  private values: Growable;
  private offsets: Int32Array | undefined;
  private bytesUsed = 0;
  private readonly width: number;
  private readonly kind: 'bool' | 'i32' | 'i64' | 'f32' | 'f64' | 'dec' | 'var' | 'fixed';

  constructor(readonly type: PrimitiveType) {
    this.arrowType = icebergTypeToArrow(type);
    const t = this.arrowType;
    this.width = 1;
    switch (t.typeId) {
      case arrow.Type.Bool: this.kind = 'bool'; this.values = new Uint8Array(64); break;
      case arrow.Type.Int:
      case arrow.Type.Date: this.kind = 'i32'; this.values = new Int32Array(64); break;
      case arrow.Type.Time:
      case arrow.Type.Timestamp: this.kind = 'i64'; this.values = new BigInt64Array(64); break;
      case arrow.Type.Float:
        this.kind = (t as arrow.Float).precision === arrow.Precision.DOUBLE ? 'f64' : 'f32';
        this.values = this.kind === 'f64' ? new Float64Array(64) : new Float32Array(64);
        break;
      case arrow.Type.Decimal: this.kind = 'dec'; this.values = new Uint32Array(256); break;
      case arrow.Type.FixedSizeBinary:
        this.kind = 'fixed';
        this.width = (t as arrow.FixedSizeBinary).byteWidth;
        this.values = new Uint8Array(64 * this.width);
        break;
      default:
        this.kind = 'var';
        this.values = new Uint8Array(1024);
        this.offsets = new Int32Array(65);
    }
    if ((t as arrow.Int).bitWidth === 64 && t.typeId === arrow.Type.Int) {
      this.kind = 'i64';
      this.values = new BigInt64Array(64);
    }
  }

  append(v: IcebergValue | null | undefined): void {
    const i = this.length++;
    if (i >> 3 >= this.validity.length) this.validity = grow(this.validity, (i >> 3) + 1);
    const isNull = v === null || v === undefined;
    if (isNull) this.nulls++;
    else this.validity[i >> 3]! |= 1 << (i & 7);
    switch (this.kind) {
      case 'bool':
        if (i >> 3 >= this.values.length) this.values = grow(this.values as Uint8Array, (i >> 3) + 1);
        if (!isNull && v) (this.values as Uint8Array)[i >> 3]! |= 1 << (i & 7);
        return;
      case 'i32':
        this.values = grow(this.values as Int32Array, i + 1);
        (this.values as Int32Array)[i] = isNull ? 0 : Number(v);
        return;
      case 'i64':
        this.values = grow(this.values as BigInt64Array, i + 1);
        (this.values as BigInt64Array)[i] = isNull ? 0n : BigInt(v as bigint | number);
        return;
      case 'f32':
      case 'f64':
        this.values = grow(this.values as Float64Array, i + 1);
        (this.values as Float64Array)[i] = isNull ? 0 : Number(v);
        return;
      case 'dec': {
        this.values = grow(this.values as Uint32Array, (i + 1) * 4);
        let x = isNull ? 0n : BigInt(v as bigint);
        const out = this.values as Uint32Array;
        for (let w = 0; w < 4; w++) {
          out[i * 4 + w] = Number(BigInt.asUintN(32, x));
          x >>= 32n;
        }
        return;
      }
      case 'fixed': {
        this.values = grow(this.values as Uint8Array, (i + 1) * this.width);
        if (isNull) return;
        const b = this.type === 'uuid' && typeof v === 'string' ? uuidToBytes(v) : (v as Uint8Array);
        if (!(b instanceof Uint8Array) || b.byteLength !== this.width) {
          throw new LakehouseError('INVALID_ARGUMENT', `a ${this.type} value must be ${this.width} bytes`);
        }
        (this.values as Uint8Array).set(b, i * this.width);
        return;
      }
      default: {
        this.offsets = grow(this.offsets!, i + 2);
        if (typeof v === 'string') {
          // Encoded in place: ASCII by a loop (most strings, and short ones are where a native
          // call costs most), the rest through encodeInto. No per-value allocation.
          const len = v.length;
          this.values = grow(this.values as Uint8Array, this.bytesUsed + len * 3);
          const out = this.values as Uint8Array;
          let p = this.bytesUsed;
          let k = 0;
          for (; k < len; k++) {
            const c = v.charCodeAt(k);
            if (c >= 0x80) break;
            out[p++] = c;
          }
          if (k < len) p += utf8.encodeInto(v.slice(k), out.subarray(p)).written;
          this.bytesUsed = p;
        } else if (!isNull) {
          const b = v as Uint8Array;
          this.values = grow(this.values as Uint8Array, this.bytesUsed + b.byteLength);
          (this.values as Uint8Array).set(b, this.bytesUsed);
          this.bytesUsed += b.byteLength;
        }
        this.offsets[i + 1] = this.bytesUsed;
      }
    }
  }

  /** The built column; the builder is reset and can be reused. */
  finish(): arrow.Data {
    const n = this.length;
    const nullBitmap = this.nulls > 0 ? this.validity.slice(0, (n + 7) >> 3) : undefined;
    const common = { type: this.arrowType, length: n, nullCount: this.nulls, nullBitmap };
    let data: arrow.Data;
    switch (this.kind) {
      case 'bool': data = arrow.makeData({ ...common, data: (this.values as Uint8Array).slice(0, (n + 7) >> 3) } as never); break;
      case 'dec': data = arrow.makeData({ ...common, data: (this.values as Uint32Array).slice(0, n * 4) } as never); break;
      case 'fixed': data = arrow.makeData({ ...common, data: (this.values as Uint8Array).slice(0, n * this.width) } as never); break;
      case 'var':
        data = arrow.makeData({ ...common, valueOffsets: this.offsets!.slice(0, n + 1), data: (this.values as Uint8Array).slice(0, this.bytesUsed) } as never);
        break;
      default:
        data = arrow.makeData({ ...common, data: this.values.slice(0, n) } as never);
    }
    this.length = 0;
    this.nulls = 0;
    this.bytesUsed = 0;
    this.validity.fill(0);
    if (this.kind === 'bool') (this.values as Uint8Array).fill(0);
    if (this.offsets) this.offsets[0] = 0;
    return data;
  }
}

/** A record batch (with field ids) from rows of Iceberg values keyed by column name. */
export function recordBatchFromRows(schema: Schema, rows: ReadonlyArray<Record<string, IcebergValue | null | undefined>>): arrow.RecordBatch {
  const arrowSchema = icebergSchemaToArrow(schema);
  const builders = schema.fields.map((f) => {
    if (typeof f.type !== 'string') throw new LakehouseError('UNSUPPORTED', `column "${f.name}" is nested`);
    return new ColumnBuilder(f.type);
  });
  for (const row of rows) schema.fields.forEach((f, i) => builders[i]!.append(row[f.name]));
  return batchFromBuilders(arrowSchema, builders);
}

/** A record batch from finished builders (one per field of `schema`). */
export function batchFromBuilders(schema: arrow.Schema, builders: ColumnBuilder[]): arrow.RecordBatch {
  const length = builders[0]?.length ?? 0;
  const children = builders.map((b) => b.finish());
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children }));
}

/**
 * The Iceberg JS value at `index` of a vector (null for null). Handles what our reader returns
 * for our own and foreign files: dictionaries, ms/s/ns timestamps, Date64, Time32.
 */
export function icebergValueAt(vector: arrow.Vector, index: number): IcebergValue | null {
  if (!vector.isValid(index)) return null;
  const t = vector.type;
  const T = arrow.Type;
  let data = vector.data[0]!;
  let i = index;
  if (vector.data.length > 1) {
    for (const d of vector.data) {
      if (i < d.length) {
        data = d;
        break;
      }
      i -= d.length;
    }
  }
  switch (t.typeId) {
    case T.Int:
      return (t as arrow.Int).bitWidth === 64 ? BigInt((data.values as BigInt64Array)[i]!) : Number((data.values as Int32Array)[i]);
    case T.Date:
      return (t as arrow.Date_).unit === arrow.DateUnit.DAY ? (data.values as Int32Array)[i]! : Math.floor(Number((data.values as BigInt64Array)[i]!) / 86_400_000);
    case T.Time: {
      const unit = (t as arrow.Time).unit;
      const raw = BigInt((data.values as Int32Array | BigInt64Array)[i]!);
      return unit === arrow.TimeUnit.NANOSECOND ? raw / 1000n : raw * 1000n ** BigInt(arrow.TimeUnit.MICROSECOND - unit);
    }
    case T.Timestamp: {
      const unit = (t as arrow.Timestamp).unit;
      const raw = (data.values as BigInt64Array)[i]!;
      if (unit === arrow.TimeUnit.NANOSECOND) return raw; // timestamp_ns keeps nanoseconds
      return raw * 1000n ** BigInt(arrow.TimeUnit.MICROSECOND - unit);
    }
    case T.Decimal: {
      const w = data.values as Uint32Array;
      let x = 0n;
      for (let k = 3; k >= 0; k--) x = (x << 32n) | BigInt(w[i * 4 + k]!);
      return BigInt.asIntN(128, x);
    }
    case T.FixedSizeBinary: {
      const width = (t as arrow.FixedSizeBinary).byteWidth;
      return (data.values as Uint8Array).slice(i * width, (i + 1) * width);
    }
    case T.Float:
      return Number((data.values as Float64Array)[i]);
    case T.Bool:
    case T.Utf8:
    case T.LargeUtf8:
    case T.Binary:
    case T.LargeBinary:
    case T.Dictionary: {
      const v = vector.get(index);
      return v instanceof Uint8Array ? v.slice() : (v as IcebergValue);
    }
    default:
      throw new LakehouseError('UNSUPPORTED', `cannot read Arrow type ${String(t)} as an Iceberg value`);
  }
}

/** Reads a uuid column value (FixedSizeBinary(16)) as its canonical string. */
export function uuidAt(vector: arrow.Vector, index: number): string | null {
  const v = icebergValueAt(vector, index);
  return v instanceof Uint8Array ? bytesToUuid(v) : (v as string | null);
}
