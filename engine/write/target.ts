/**
 * The table a write goes to: loaded (or described, when it is to be created at commit), with
 * the mapping of the query's output columns onto its schema and the partition field plans the
 * sink needs. Type rules: an output column may be written to a column of the same type or a
 * lossless widening (int → long/double, long → double, timestamp → timestamptz), double to
 * float (the engine computes floats as doubles), long to int (values outside the int range fail
 * the write with OUT_OF_RANGE, as Spark's ANSI store assignment does), decimal(p,s) to
 * decimal(P,s) with p ≤ P, an integer to a decimal with room for all its digits (int: 10, long:
 * 19 integer digits), binary to fixed[N] (each value's length checked); anything else is
 * SCHEMA_MISMATCH before any file is written, with the CAST that makes it assignable
 * (write/assign.ts converts the values). Columns are matched by name when every output name is a table column, else
 * by position (SQL INSERT semantics).
 */

import {
  buildPartitionSpec, freshSchema, parseIdentifier, partitionType, type PartitionFieldInput, type PartitionSpec, type Table, type Warehouse,
} from '../../catalog/index.js';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';

const isTableNotFound = (err: unknown): boolean => isLakehouseError(err, 'TABLE_NOT_FOUND');
import type { ParquetCompression } from '../../connectors/formats.js';
import { parseDecimal, parseFixed, type IcebergType, type PrimitiveType, type Schema as IcebergSchema } from '../../connectors/iceberg-types.js';
import { decimalParts, type DataType, type Schema } from '../plan/types.js';
import { parsePartitionBy } from '../sql/partition-terms.js';
import { sqlTypeName } from './assign.js';
import type { PartitionFieldPlan } from './partitioner.js';

export interface WriteTarget {
  name: string;
  /** Loaded table; undefined when it is created at commit. */
  table?: Table;
  create?: { fields: Array<{ name: string; type: IcebergType }>; partitionBy: PartitionFieldInput[] };
  schema: IcebergSchema;
  spec: PartitionSpec;
  /** Table root key in the store (`ns/t` for tables this warehouse created). */
  dataPrefix: string;
  storeUri: string;
  /** Current snapshot when the write was planned (conflict detection base). */
  baseSnapshotId: bigint | null;
  targetFileSize: number;
  compression: ParquetCompression;
}

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;

function icebergTypeOf(t: DataType, column: string): PrimitiveType {
  switch (t) {
    case 'boolean': return 'boolean';
    case 'int32': return 'int';
    case 'int64': return 'long';
    case 'float64': return 'double';
    case 'string': return 'string';
    case 'date': return 'date';
    case 'timestamp': return 'timestamp';
    case 'time': return 'time';
    case 'uuid': return 'uuid';
    case 'binary': return 'binary';
    case 'null':
      throw new LakehouseError('SCHEMA_MISMATCH', `column "${column}" of the query has no type (a bare NULL)`, {
        help: `Give it one, e.g. CAST(NULL AS STRING) AS ${column}.`,
      });
    default: {
      const d = decimalParts(t);
      if (d) return `decimal(${d.precision},${d.scale})`;
      throw new LakehouseError('INTERNAL', `engine type ${t} has no Iceberg type`);
    }
  }
}

/**
 * Whether values of engine type `from` can be stored in a column of Iceberg type `to` without a
 * CAST: the same type, or a widening that keeps every value exactly (Iceberg's own promotions),
 * or Spark's ANSI store assignment (long → int, checked per value when written).
 */
export function assignable(from: DataType, to: PrimitiveType): boolean {
  const dFrom = decimalParts(from);
  const dTo = parseDecimal(to);
  if (dFrom) return dTo !== undefined ? dTo.scale === dFrom.scale && dTo.precision >= dFrom.precision : false;
  if (dTo) {
    // Integers fit a decimal whose integer digits hold every value of their type.
    const digits = from === 'int32' ? 10 : from === 'int64' ? 19 : Infinity;
    return dTo.precision - dTo.scale >= digits;
  }
  if (from === 'binary' && parseFixed(to) !== undefined) return true;
  return (ASSIGNABLE[from as keyof typeof ASSIGNABLE] ?? []).includes(to);
}

const ASSIGNABLE: Record<Exclude<DataType, `decimal(${number},${number})`>, PrimitiveType[]> = {
  boolean: ['boolean'],
  int32: ['int', 'long', 'double'],
  // long → int as Spark's ANSI store assignment: checked per value when written.
  int64: ['long', 'int', 'double'],
  float64: ['double', 'float'],
  string: ['string'],
  date: ['date'],
  timestamp: ['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'],
  time: ['time'],
  uuid: ['uuid'],
  // fixed[N] too, checked per value for its length when written.
  binary: ['binary'],
  null: [],
};

function compression(codec: string | undefined): ParquetCompression {
  const c = (codec ?? 'zstd').toLowerCase();
  if (c === 'none') return 'uncompressed';
  return (['zstd', 'snappy', 'gzip', 'lz4', 'uncompressed'] as const).find((x) => x === c) ?? 'zstd';
}

export async function resolveTarget(
  wh: Warehouse, name: string, output: Schema, create: { partitionBy?: string[] } | undefined, columnTypes: Record<string, PrimitiveType> = {},
): Promise<WriteTarget> {
  let table: Table | undefined;
  try {
    table = await wh.loadTable(name);
  } catch (err) {
    if (!isTableNotFound(err) || !create) {
      if (isTableNotFound(err)) {
        throw new LakehouseError('TABLE_NOT_FOUND', `table ${name} does not exist`, { cause: err, help: 'Create it first (CREATE TABLE … AS SELECT, or `lake ingest … --create`).' });
      }
      throw err;
    }
  }
  if (table) {
    // Before any file is staged: a read-only registration's files live in another warehouse.
    table.assertWritable();
    const props = table.metadata.properties;
    const size = Number(props['write.target-file-size-bytes']);
    return {
      name, table, schema: table.schema(), spec: table.spec(), dataPrefix: table.io.key('data'), storeUri: table.io.store.uri,
      baseSnapshotId: table.currentSnapshot()?.['snapshot-id'] ?? null,
      targetFileSize: Number.isFinite(size) && size > 0 ? size : DEFAULT_TARGET_FILE_SIZE,
      compression: compression(props['write.parquet.compression-codec']),
    };
  }
  const seen = new Set<string>();
  const fields = output.map((f) => {
    const key = f.name.toLowerCase();
    if (seen.has(key)) throw new LakehouseError('SCHEMA_MISMATCH', `the query returns two columns named "${f.name}"`, { help: 'Alias them apart (AS) before creating a table.' });
    seen.add(key);
    const wanted = columnTypes[f.name];
    // A requested type is used only where the engine's values can be written to it.
    const type = wanted && f.type !== 'null' && assignable(f.type, wanted) ? wanted : icebergTypeOf(f.type, f.name);
    return { name: f.name, type: type as IcebergType };
  });
  // The same functions createTable uses, so the staged files carry the ids the table will get.
  const { schema } = freshSchema(fields);
  const partitionBy = parsePartitionBy(create!.partitionBy ?? []);
  const spec = buildPartitionSpec(schema, partitionBy);
  // The directory createTable will use: names are folded to lower case (catalog/warehouse.ts).
  splitName(name);
  const id = parseIdentifier(name);
  return {
    name, create: { fields, partitionBy }, schema, spec, dataPrefix: `${id.namespace}/${id.name}/data`, storeUri: wh.store.uri,
    baseSnapshotId: null, targetFileSize: DEFAULT_TARGET_FILE_SIZE, compression: 'zstd',
  };
}

export function splitName(name: string): [string, string] {
  const i = name.lastIndexOf('.');
  if (i <= 0) throw new LakehouseError('INVALID_IDENTIFIER', `"${name}" is not a table name`, { help: 'Use namespace.table.' });
  return [name.slice(0, i), name.slice(i + 1)];
}

/** For each table field, the output column written to it (-1: none, nulls). */
export function mapColumns(output: Schema, target: WriteTarget): number[] {
  const fields = target.schema.fields;
  const byName = new Map(output.map((f, i) => [f.name.toLowerCase(), i]));
  const names = new Set(fields.map((f) => f.name.toLowerCase()));
  const byNameOk = output.every((f) => names.has(f.name.toLowerCase())) && byName.size === output.length;
  if (!byNameOk && output.length !== fields.length) {
    throw new LakehouseError('SCHEMA_MISMATCH', `the query returns ${output.length} columns (${output.map((f) => f.name).join(', ')}); table ${target.name} has ${fields.length} (${fields.map((f) => f.name).join(', ')})`, {
      help: 'Select the table columns by name (missing optional columns are written as NULL) or all of them in table order.',
    });
  }
  const sources = fields.map((f, i) => (byNameOk ? (byName.get(f.name.toLowerCase()) ?? -1) : i));
  fields.forEach((f, i) => {
    const src = sources[i]!;
    if (src < 0) {
      if (f.required) throw new LakehouseError('SCHEMA_MISMATCH', `required column "${f.name}" of table ${target.name} is not in the query output`, { help: `Select a value for ${f.name}.` });
      return;
    }
    const from = output[src]!.type;
    const to = typeof f.type === 'string' ? f.type : undefined;
    if (from !== 'null' && (!to || !assignable(from, to as PrimitiveType))) {
      throw new LakehouseError('SCHEMA_MISMATCH', `column "${output[src]!.name}" is ${from}; table ${target.name} column "${f.name}" is ${to ?? 'nested'}`, {
        help: to
          ? `CAST it to the column's type: CAST(${output[src]!.name} AS ${sqlTypeName(to as PrimitiveType)}) AS ${output[src]!.name}.`
          : `Column "${f.name}" is nested; nested columns cannot be written yet.`,
        details: { column: f.name, actual: from, expected: to ?? 'nested' },
      });
    }
  });
  return sources;
}

export function partitionPlans(target: WriteTarget, sources: number[]): PartitionFieldPlan[] {
  const ptype = partitionType(target.spec, target.schema);
  return target.spec.fields.map((pf, i) => {
    const idx = target.schema.fields.findIndex((f) => f.id === pf['source-id']);
    const field = target.schema.fields[idx];
    return {
      source: idx >= 0 ? sources[idx]! : -1,
      sourceType: (typeof field?.type === 'string' ? field.type : 'int') as PrimitiveType,
      transform: pf.transform,
      resultType: ptype.fields[i]!.type as PrimitiveType,
    };
  });
}
