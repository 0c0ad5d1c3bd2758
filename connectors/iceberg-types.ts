/**
 * Apache Iceberg's type model, in the exact shape of the spec's JSON serialization
 * (format/spec.md, Appendix C), so table metadata round-trips through JSON.parse/stringify.
 * It lives in `connectors/` because the Parquet writer needs it for field ids and statistics;
 * `catalog/` builds schemas, partition specs and evolution on top of it. Pure, no I/O.
 */

import { LakehouseError } from './errors.js';

/** Primitive types as the spec spells them: `"decimal(9,2)"`, `"fixed[16]"`, `"long"`. */
export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'timestamp_ns'
  | 'timestamptz_ns'
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number},${number})`
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  'initial-default'?: unknown;
  'write-default'?: unknown;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface Schema extends StructType {
  'schema-id': number;
  'identifier-field-ids'?: number[];
}

export function isPrimitive(t: IcebergType): t is PrimitiveType {
  return typeof t === 'string';
}

const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED_RE = /^fixed\[\s*(\d+)\s*\]$/;

export function parseDecimal(t: IcebergType): { precision: number; scale: number } | undefined {
  if (typeof t !== 'string') return undefined;
  const m = DECIMAL_RE.exec(t);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

export function parseFixed(t: IcebergType): number | undefined {
  if (typeof t !== 'string') return undefined;
  const m = FIXED_RE.exec(t);
  return m ? Number(m[1]) : undefined;
}

export function decimalType(precision: number, scale: number): PrimitiveType {
  if (!Number.isInteger(precision) || precision < 1 || precision > 38 || !Number.isInteger(scale) || scale < 0 || scale > precision) {
    throw new LakehouseError('INVALID_ARGUMENT', `decimal(${precision},${scale}) is not a valid Iceberg decimal`, {
      help: 'Precision must be 1..38 and scale 0..precision.',
    });
  }
  return `decimal(${precision},${scale})`;
}

export function fixedType(length: number): PrimitiveType {
  return `fixed[${length}]`;
}

const SIMPLE_PRIMITIVES = new Set<string>([
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz',
  'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'binary',
]);

/** Validates a type string read from metadata; throws a clear error for unknown types. */
export function checkPrimitive(t: string): PrimitiveType {
  if (SIMPLE_PRIMITIVES.has(t) || DECIMAL_RE.test(t) || FIXED_RE.test(t)) return t as PrimitiveType;
  throw new LakehouseError('UNSUPPORTED', `unknown Iceberg type "${t}"`, {
    help: 'Supported primitive types are those of the Iceberg v2 spec (boolean … binary, decimal(p,s), fixed[n]).',
  });
}

/** Walks a schema (depth first) and returns every field, nested ones included, by id. */
export function indexById(struct: StructType): Map<number, NestedField> {
  const out = new Map<number, NestedField>();
  const visit = (t: IcebergType): void => {
    if (typeof t === 'string') return;
    if (t.type === 'struct') {
      for (const f of t.fields) {
        out.set(f.id, f);
        visit(f.type);
      }
    } else if (t.type === 'list') {
      out.set(t['element-id'], { id: t['element-id'], name: 'element', required: t['element-required'], type: t.element });
      visit(t.element);
    } else {
      out.set(t['key-id'], { id: t['key-id'], name: 'key', required: true, type: t.key });
      out.set(t['value-id'], { id: t['value-id'], name: 'value', required: t['value-required'], type: t.value });
      visit(t.key);
      visit(t.value);
    }
  };
  visit(struct);
  return out;
}

/** The highest field id used anywhere in the schema (0 for an empty one). */
export function maxFieldId(struct: StructType): number {
  let max = 0;
  for (const id of indexById(struct).keys()) max = Math.max(max, id);
  return max;
}
