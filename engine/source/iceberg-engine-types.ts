/**
 * Iceberg types → engine types (one table for every source: catalog tables, plain Parquet files,
 * ingest). Pure functions.
 *
 *   boolean → boolean       int → int32        long → int64       float, double → float64
 *   decimal(P,S) → decimal(P,S) (Spark/Java write "decimal(10, 2)"; the engine spells it without the space)
 *   date → date   time → time (µs)   timestamp[tz][_ns] → timestamp (µs; nanoseconds truncated by floor)
 *   string → string   uuid → uuid (canonical text)   binary, fixed[N] → binary (byte strings)
 */
import { isPrimitive, parseDecimal, parseFixed, type PrimitiveType, type Schema as IcebergSchema } from '../../connectors/iceberg-types.js';
import { decimalType, MAX_DECIMAL_PRECISION, type DataType, type Schema } from '../plan/types.js';

/** Engine type of an Iceberg primitive type; undefined when the kernels cannot compute on it. */
export function engineTypeOfIceberg(t: PrimitiveType): DataType | undefined {
  switch (t) {
    case 'boolean': return 'boolean';
    case 'int': return 'int32';
    case 'long': return 'int64';
    case 'float': case 'double': return 'float64';
    case 'date': return 'date';
    case 'time': return 'time';
    case 'timestamp': case 'timestamptz': case 'timestamp_ns': case 'timestamptz_ns': return 'timestamp';
    case 'string': return 'string';
    case 'uuid': return 'uuid';
    case 'binary': return 'binary';
    default: {
      const d = parseDecimal(t);
      if (d) return d.precision >= 1 && d.precision <= MAX_DECIMAL_PRECISION && d.scale <= d.precision ? decimalType(d.precision, d.scale) : undefined;
      return parseFixed(t) !== undefined ? 'binary' : undefined;
    }
  }
}

/** The engine schema of an Iceberg schema, and the columns it cannot compute on (name → type). */
export function engineSchemaOfIceberg(schema: IcebergSchema): { schema: Schema; unsupported: Map<string, string> } {
  const unsupported = new Map<string, string>();
  const out: Schema = schema.fields.map((f) => {
    const t = isPrimitive(f.type) ? engineTypeOfIceberg(f.type) : undefined;
    if (t === undefined) unsupported.set(f.name, typeof f.type === 'string' ? f.type : f.type.type);
    return { name: f.name, type: t ?? 'null', nullable: !f.required, fieldId: f.id };
  });
  return { schema: out, unsupported };
}
