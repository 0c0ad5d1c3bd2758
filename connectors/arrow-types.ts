/**
 * The one place where Iceberg types meet Arrow types and Parquet physical/logical types.
 * Pure functions, no I/O, safe to call from any thread.
 *
 * Iceberg → Arrow (what the writer produces and the reader returns for our own files):
 *   boolean → Bool            int → Int32               long → Int64
 *   float → Float32           double → Float64          decimal(p,s) → Decimal128(p,s)
 *   date → Date32<DAY>        time → Time64<µs>         timestamp → Timestamp<µs>
 *   timestamptz → Timestamp<µs, UTC>    timestamp_ns / timestamptz_ns → Timestamp<ns[, UTC]>
 *   string → Utf8             uuid → FixedSizeBinary(16) binary → Binary   fixed[n] → FixedSizeBinary(n)
 * Arrow → Parquet is done by parquet-rs (inside parquet-wasm): Decimal128 is INT32 for p ≤ 9,
 * INT64 for p ≤ 18, FIXED_LEN_BYTE_ARRAY(16) otherwise; timestamps are INT64 TIMESTAMP(µs) with
 * isAdjustedToUTC set for `timestamptz`; the Arrow field metadata `PARQUET:field_id` becomes the
 * Parquet schema element's `field_id` (verified by test/formats/types.test.ts).
 * Struct, list and map are not supported yet: every entry point rejects them with `UNSUPPORTED`.
 */

import * as arrow from 'apache-arrow';
import { LakehouseError } from './errors.js';
import { parseDecimal, parseFixed, type IcebergType, type NestedField, type PrimitiveType, type Schema } from './iceberg-types.js';

/** Arrow field-metadata key that parquet-rs maps to and from the Parquet `field_id`. */
export const FIELD_ID_KEY = 'PARQUET:field_id';

function unsupportedNested(what: string, name: string): LakehouseError {
  return new LakehouseError('UNSUPPORTED', `column "${name}" has nested type ${what}, which is not supported yet`, {
    help: 'Only primitive (non-nested) columns are supported; project the nested column away or flatten it.',
    details: { column: name, type: what },
  });
}

/** The Arrow type an Iceberg primitive type is written and read as. */
export function icebergTypeToArrow(type: IcebergType, name = '?'): arrow.DataType {
  if (typeof type !== 'string') throw unsupportedNested(type.type, name);
  switch (type) {
    case 'boolean': return new arrow.Bool();
    case 'int': return new arrow.Int32();
    case 'long': return new arrow.Int64();
    case 'float': return new arrow.Float32();
    case 'double': return new arrow.Float64();
    case 'date': return new arrow.DateDay();
    case 'time': return new arrow.TimeMicrosecond();
    case 'timestamp': return new arrow.TimestampMicrosecond();
    case 'timestamptz': return new arrow.TimestampMicrosecond('UTC');
    case 'timestamp_ns': return new arrow.TimestampNanosecond();
    case 'timestamptz_ns': return new arrow.TimestampNanosecond('UTC');
    case 'string': return new arrow.Utf8();
    case 'uuid': return new arrow.FixedSizeBinary(16);
    case 'binary': return new arrow.Binary();
    default: {
      const dec = parseDecimal(type);
      if (dec) return new arrow.Decimal(dec.scale, dec.precision, 128);
      const len = parseFixed(type);
      if (len !== undefined) return new arrow.FixedSizeBinary(len);
      throw new LakehouseError('UNSUPPORTED', `Iceberg type "${String(type)}" of column "${name}" has no Arrow mapping`);
    }
  }
}

/** An Arrow field for an Iceberg field, carrying its field id as `PARQUET:field_id`. */
export function icebergFieldToArrow(field: NestedField): arrow.Field {
  return new arrow.Field(field.name, icebergTypeToArrow(field.type, field.name), !field.required, new Map([[FIELD_ID_KEY, String(field.id)]]));
}

/** Arrow schema for an Iceberg schema; every field carries `PARQUET:field_id`. */
export function icebergSchemaToArrow(schema: Schema): arrow.Schema {
  return new arrow.Schema(schema.fields.map(icebergFieldToArrow));
}

/** The field id stored in an Arrow field's metadata, if any. */
export function fieldIdOf(field: arrow.Field): number | undefined {
  const raw = field.metadata.get(FIELD_ID_KEY);
  if (raw === undefined) return undefined;
  const id = Number(raw);
  return Number.isInteger(id) ? id : undefined;
}

/**
 * The Iceberg type for an Arrow type (used to infer table schemas from files and batches).
 * Narrower integers widen to `int`/`long`; dictionary columns map to their value type.
 * Types Iceberg cannot represent (nested, null, intervals) are `UNSUPPORTED`; unsigned 64-bit is
 * `long` (values ≥ 2^63 are refused when read).
 */
export function arrowTypeToIceberg(type: arrow.DataType, name = '?'): PrimitiveType {
  const T = arrow.Type;
  switch (type.typeId) {
    case T.Bool: return 'boolean';
    case T.Int: {
      const t = type as arrow.Int;
      if (t.bitWidth <= 16 || (t.bitWidth === 32 && t.isSigned)) return 'int';
      // Unsigned 64-bit as long, as for Parquet UINT64: values ≥ 2^63 are refused when read.
      return 'long';
    }
    case T.Float: {
      const t = type as arrow.Float;
      return t.precision === arrow.Precision.DOUBLE ? 'double' : 'float';
    }
    case T.Decimal: {
      const t = type as arrow.Decimal;
      if (t.precision <= 38) return `decimal(${t.precision},${t.scale})`;
      break;
    }
    case T.Date: return 'date';
    case T.Time: return 'time';
    case T.Timestamp: {
      const t = type as arrow.Timestamp;
      const tz = t.timezone !== null && t.timezone !== undefined && t.timezone !== '';
      if (t.unit === arrow.TimeUnit.NANOSECOND) return tz ? 'timestamptz_ns' : 'timestamp_ns';
      return tz ? 'timestamptz' : 'timestamp';
    }
    case T.Utf8:
    case T.LargeUtf8: return 'string';
    case T.Binary:
    case T.LargeBinary: return 'binary';
    case T.FixedSizeBinary: return `fixed[${(type as arrow.FixedSizeBinary).byteWidth}]`;
    case T.Dictionary: return arrowTypeToIceberg((type as arrow.Dictionary).dictionary, name);
    case T.Struct: throw unsupportedNested('struct', name);
    case T.List:
    case T.FixedSizeList: throw unsupportedNested('list', name);
    case T.Map: throw unsupportedNested('map', name);
    default: break;
  }
  throw new LakehouseError('UNSUPPORTED', `column "${name}" has Arrow type ${String(type)}, which has no Iceberg equivalent`, {
    help: 'Cast the column to a supported type (e.g. unsigned 64-bit to decimal(20,0)) before writing.',
    details: { column: name, type: String(type) },
  });
}

/**
 * An Iceberg schema for an Arrow schema. Field ids come from `PARQUET:field_id` metadata when
 * every field has one; otherwise ids are assigned in order from `startId` (default 1).
 * A `FixedSizeBinary(16)` field tagged with the `arrow.uuid` extension becomes `uuid`.
 */
export function arrowSchemaToIceberg(schema: arrow.Schema, options: { startId?: number; schemaId?: number } = {}): Schema {
  const ids = schema.fields.map(fieldIdOf);
  const useIds = ids.length > 0 && ids.every((id) => id !== undefined) && new Set(ids).size === ids.length;
  let next = options.startId ?? 1;
  const fields: NestedField[] = schema.fields.map((f, i) => {
    let type = arrowTypeToIceberg(f.type, f.name);
    if (type === 'fixed[16]' && f.metadata.get('ARROW:extension:name') === 'arrow.uuid') type = 'uuid';
    return { id: useIds ? ids[i]! : next++, name: f.name, required: !f.nullable, type };
  });
  return { type: 'struct', 'schema-id': options.schemaId ?? 0, fields };
}

/**
 * Whether Arrow data of type `actual` can be written as `expected` (the mapped Iceberg type)
 * without conversion: equal types, or a dictionary whose value type is equal.
 */
export function arrowTypesCompatible(actual: arrow.DataType, expected: arrow.DataType): boolean {
  if (arrow.util.compareTypes(actual, expected)) return true;
  if (actual.typeId === arrow.Type.Dictionary) return arrow.util.compareTypes((actual as arrow.Dictionary).dictionary, expected);
  return false;
}

/** A Parquet schema element as far as type mapping needs it (names follow the Thrift spec). */
export interface ParquetTypeInfo {
  physicalType: string; // BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY
  typeLength?: number;
  convertedType?: string;
  scale?: number;
  precision?: number;
  logicalType?: { type: string; unit?: string; isAdjustedToUTC?: boolean; bitWidth?: number; isSigned?: boolean; scale?: number; precision?: number };
}

/**
 * The Iceberg type of a primitive Parquet column, or `undefined` when it has none (INT96,
 * INTERVAL, FLOAT16, decimals wider than 38 digits). Used to decode statistics and to describe
 * foreign files. Unsigned integers widen: UINT_8/16 → int, UINT_32 → long, UINT_64 → long (values
 * ≥ 2^63 are refused on read, naming the column).
 */
export function parquetTypeToIceberg(t: ParquetTypeInfo): PrimitiveType | undefined {
  const lt = t.logicalType;
  const ct = t.convertedType;
  const decimal = lt?.type === 'DECIMAL' ? lt : ct === 'DECIMAL' ? { precision: t.precision, scale: t.scale } : undefined;
  if (decimal) {
    // A decimal wider than Iceberg's 38 digits has no type (refused by name), never its bytes.
    if (decimal.precision !== undefined && decimal.precision >= 1 && decimal.precision <= 38) return `decimal(${decimal.precision},${decimal.scale ?? 0})`;
    return undefined;
  }
  switch (t.physicalType) {
    case 'BOOLEAN': return 'boolean';
    case 'INT32':
      if (lt?.type === 'DATE' || ct === 'DATE') return 'date';
      if (lt?.type === 'TIME' || ct === 'TIME_MILLIS') return 'time';
      if ((lt?.type === 'INTEGER' && lt.isSigned === false && lt.bitWidth === 32) || ct === 'UINT_32') return 'long';
      return 'int';
    case 'INT64':
      if (lt?.type === 'TIMESTAMP') {
        if (lt.unit === 'NANOS') return lt.isAdjustedToUTC ? 'timestamptz_ns' : 'timestamp_ns';
        return lt.isAdjustedToUTC ? 'timestamptz' : 'timestamp';
      }
      if (ct === 'TIMESTAMP_MICROS' || ct === 'TIMESTAMP_MILLIS') return 'timestamptz';
      if (lt?.type === 'TIME' || ct === 'TIME_MICROS') return 'time';
      // Unsigned 64-bit: long, as long as every value is below 2^63 (the reader checks each value
      // and names the column otherwise, suggesting decimal(20,0)).
      return 'long';
    case 'FLOAT': return 'float';
    case 'DOUBLE': return 'double';
    case 'BYTE_ARRAY':
      if (lt?.type === 'STRING' || lt?.type === 'ENUM' || lt?.type === 'JSON' || ct === 'UTF8' || ct === 'ENUM' || ct === 'JSON') return 'string';
      return 'binary';
    case 'FIXED_LEN_BYTE_ARRAY':
      if (lt?.type === 'UUID' && t.typeLength === 16) return 'uuid';
      if (lt?.type === 'FLOAT16' || ct === 'INTERVAL') return undefined;
      return `fixed[${t.typeLength ?? 0}]`;
    default:
      return undefined;
  }
}

/** The multiplier from a Parquet time/timestamp unit to Iceberg's (µs, or ns for *_ns types). */
export function parquetUnitScale(t: ParquetTypeInfo): bigint {
  const unit = t.logicalType?.unit ?? (t.convertedType?.endsWith('MILLIS') ? 'MILLIS' : undefined);
  return unit === 'MILLIS' ? 1000n : 1n;
}

/** A Parquet column type for messages: INTERVAL, INT96, FLOAT16, DECIMAL(40,2), INT64… */
export function parquetTypeLabel(t: ParquetTypeInfo): string {
  const lt = t.logicalType;
  if (t.convertedType === 'INTERVAL') return 'INTERVAL';
  if (lt?.type === 'FLOAT16') return 'FLOAT16';
  if (lt?.type === 'DECIMAL' || t.convertedType === 'DECIMAL') return `DECIMAL(${lt?.precision ?? t.precision},${lt?.scale ?? t.scale ?? 0})`;
  if (lt?.type === 'INTEGER') return `${lt.isSigned === false ? 'UINT' : 'INT'}${lt.bitWidth ?? ''}`;
  if (lt && lt.type !== 'OTHER') return lt.type;
  return t.convertedType ?? (t.physicalType === 'FIXED_LEN_BYTE_ARRAY' ? `FIXED_LEN_BYTE_ARRAY(${t.typeLength ?? '?'})` : t.physicalType);
}
