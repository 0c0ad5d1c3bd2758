/**
 * Partition specs and sort orders (spec "Partitioning", "Sorting"). A partition tuple is an
 * array of values in spec-field order. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { indexById, isPrimitive, type NestedField, type PrimitiveType, type Schema, type StructType } from '../../connectors/iceberg-types.js';
import { applyTransform, parseTransform, partitionPathValue, transformResultType, type PartitionValue } from './transforms.js';

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: string;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export interface SortField {
  transform: string;
  'source-id': number;
  direction: 'asc' | 'desc';
  'null-order': 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  'order-id': number;
  fields: SortField[];
}

export const UNPARTITIONED: PartitionSpec = { 'spec-id': 0, fields: [] };
export const UNSORTED: SortOrder = { 'order-id': 0, fields: [] };

/** First partition field id, as in the spec (partition ids start at 1000). */
export const PARTITION_ID_START = 1000;

/** A user's partition field: a column name and a transform string (`day`, `bucket[16]`). */
export interface PartitionFieldInput {
  column: string;
  transform?: string;
  name?: string;
}

export function buildPartitionSpec(schema: Schema, input: PartitionFieldInput[], specId = 0, lastPartitionId = PARTITION_ID_START - 1): PartitionSpec {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const names = new Set<string>();
  let next = lastPartitionId;
  const fields = input.map((p) => {
    const src = byName.get(p.column);
    if (!src) {
      throw new LakehouseError('INVALID_ARGUMENT', `partition column "${p.column}" is not in the schema`, {
        help: `Columns: ${schema.fields.map((f) => f.name).join(', ')}.`,
      });
    }
    if (!isPrimitive(src.type)) throw new LakehouseError('INVALID_ARGUMENT', `cannot partition by nested column "${p.column}"`);
    const t = parseTransform(p.transform ?? 'identity');
    transformResultType(t, src.type);
    const name = p.name ?? defaultPartitionName(p.column, t.kind, t.kind === 'bucket' ? t.n : t.kind === 'truncate' ? t.width : undefined);
    if (names.has(name)) throw new LakehouseError('INVALID_ARGUMENT', `duplicate partition field name "${name}"`);
    names.add(name);
    return { 'source-id': src.id, 'field-id': ++next, name, transform: p.transform ?? 'identity' };
  });
  return { 'spec-id': specId, fields };
}

function defaultPartitionName(col: string, kind: string, _arg?: number): string {
  switch (kind) {
    case 'identity':
      return col;
    case 'bucket':
      return `${col}_bucket`;
    case 'truncate':
      return `${col}_trunc`;
    case 'void':
      return `${col}_null`;
    default:
      return `${col}_${kind}`;
  }
}

/** The struct type of a spec's partition tuple (as written into manifests). */
export function partitionType(spec: PartitionSpec, schema: StructType): StructType {
  const byId = indexById(schema);
  return {
    type: 'struct',
    fields: spec.fields.map((pf): NestedField => {
      const src = byId.get(pf['source-id']);
      // A source column dropped later still leaves old partitions readable; fall back to int.
      const srcType = src && isPrimitive(src.type) ? src.type : 'int';
      return { id: pf['field-id'], name: pf.name, required: false, type: src ? transformResultType(parseTransform(pf.transform), srcType) : 'int' };
    }),
  };
}

export function isUnpartitioned(spec: PartitionSpec): boolean {
  return spec.fields.every((f) => f.transform === 'void');
}

/** Partition tuple for one row, given the row's value of each source column (by field id). */
export function partitionTuple(spec: PartitionSpec, schema: StructType, valueOf: (sourceId: number) => PartitionValue): PartitionValue[] {
  const byId = indexById(schema);
  return spec.fields.map((pf) => {
    const src = byId.get(pf['source-id'])!;
    return applyTransform(parseTransform(pf.transform), src.type as PrimitiveType, valueOf(pf['source-id']));
  });
}

/** `name=value/…` directory for a tuple (values URL-encoded), like other engines lay out data. */
export function partitionPath(spec: PartitionSpec, schema: StructType, tuple: PartitionValue[]): string {
  const ptype = partitionType(spec, schema);
  return spec.fields
    .map((pf, i) => {
      const v = partitionPathValue(parseTransform(pf.transform), ptype.fields[i]!.type as PrimitiveType, tuple[i] ?? null);
      return `${encodeURIComponent(pf.name)}=${encodeURIComponent(v)}`;
    })
    .join('/');
}

/** A stable string key for a (spec id, tuple) pair, for grouping and conflict checks. */
export function partitionKey(specId: number, tuple: PartitionValue[]): string {
  return (
    specId +
    '|' +
    tuple
      .map((v) => {
        if (v === null || v === undefined) return 'N';
        if (v instanceof Uint8Array) return 'B' + Buffer.from(v).toString('hex');
        return typeof v + ':' + String(v);
      })
      .join('|')
  );
}
