/**
 * Manifest files and manifest lists (spec "Manifests", "Manifest Lists"): the Avro schemas with
 * the spec's field ids, conversion between Avro records and the in-memory model, and
 * sequence-number / snapshot-id inheritance on read. Pure (bytes in, bytes out).
 */

import { LakehouseError } from '../connectors/errors.js';
import { parseDecimal, parseFixed, type PrimitiveType, type Schema, type StructType } from '../connectors/iceberg-types.js';
import { bigintToMinimalBytes, bytesToUuid, minimalBytesToBigint, uuidToBytes } from '../connectors/single-value.js';
import { readAvroContainer, writeAvroContainer, type AvroCodec } from './avro.js';
import { stringifyJson } from './json.js';
import { partitionType, type PartitionSpec } from './spec/partition.js';
import type { PartitionValue } from './spec/transforms.js';

export const FileContent = { DATA: 0, POSITION_DELETES: 1, EQUALITY_DELETES: 2 } as const;
export type FileContentCode = 0 | 1 | 2;
export const EntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;
export type EntryStatusCode = 0 | 1 | 2;

export interface DataFile {
  content: FileContentCode;
  /** Absolute location as stored in metadata. */
  filePath: string;
  fileFormat: string;
  specId: number;
  /** Partition tuple in spec-field order. */
  partition: PartitionValue[];
  recordCount: number;
  fileSizeInBytes: number;
  columnSizes?: Map<number, number>;
  valueCounts?: Map<number, number>;
  nullValueCounts?: Map<number, number>;
  nanValueCounts?: Map<number, number>;
  lowerBounds?: Map<number, Uint8Array>;
  upperBounds?: Map<number, Uint8Array>;
  splitOffsets?: number[];
  equalityIds?: number[];
  sortOrderId?: number;
  keyMetadata?: Uint8Array;
  referencedDataFile?: string;
}

export interface ManifestEntry {
  status: EntryStatusCode;
  /** Inherited from the manifest when null in the file. */
  snapshotId: bigint;
  /** Data sequence number (inherited for ADDED entries). */
  sequenceNumber: number;
  fileSequenceNumber: number;
  dataFile: DataFile;
}

export interface FieldSummary {
  containsNull: boolean;
  containsNan?: boolean;
  lowerBound?: Uint8Array;
  upperBound?: Uint8Array;
}

export interface ManifestFile {
  manifestPath: string;
  manifestLength: number;
  partitionSpecId: number;
  /** 0 = data, 1 = deletes. */
  content: 0 | 1;
  sequenceNumber: number;
  minSequenceNumber: number;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: number;
  existingRowsCount: number;
  deletedRowsCount: number;
  partitions?: FieldSummary[];
  keyMetadata?: Uint8Array;
}

// ---------------------------------------------------------------- manifest list

const FIELD_SUMMARY = {
  type: 'record',
  name: 'r508',
  fields: [
    { name: 'contains_null', type: 'boolean', 'field-id': 509 },
    { name: 'contains_nan', type: ['null', 'boolean'], default: null, 'field-id': 518 },
    { name: 'lower_bound', type: ['null', 'bytes'], default: null, 'field-id': 510 },
    { name: 'upper_bound', type: ['null', 'bytes'], default: null, 'field-id': 511 },
  ],
};

export const MANIFEST_LIST_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    { name: 'partitions', type: ['null', { type: 'array', items: FIELD_SUMMARY, 'element-id': 508 }], default: null, 'field-id': 507 },
    { name: 'key_metadata', type: ['null', 'bytes'], default: null, 'field-id': 519 },
  ],
};

const toBuf = (b: Uint8Array | undefined): Buffer | null => (b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : null);
const toU8 = (b: unknown): Uint8Array | undefined => (b ? new Uint8Array(b as Buffer) : undefined);
const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export function writeManifestList(
  manifests: ManifestFile[],
  meta: { snapshotId: bigint; parentSnapshotId?: bigint; sequenceNumber: number },
  codec: AvroCodec = 'deflate',
): Uint8Array {
  const records = manifests.map((m) => ({
    manifest_path: m.manifestPath,
    manifest_length: BigInt(m.manifestLength),
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: BigInt(m.sequenceNumber),
    min_sequence_number: BigInt(m.minSequenceNumber),
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: BigInt(m.addedRowsCount),
    existing_rows_count: BigInt(m.existingRowsCount),
    deleted_rows_count: BigInt(m.deletedRowsCount),
    partitions: m.partitions
      ? m.partitions.map((p) => ({ contains_null: p.containsNull, contains_nan: p.containsNan ?? null, lower_bound: toBuf(p.lowerBound), upper_bound: toBuf(p.upperBound) }))
      : null,
    key_metadata: toBuf(m.keyMetadata),
  }));
  return writeAvroContainer(MANIFEST_LIST_SCHEMA, records, {
    'snapshot-id': String(meta.snapshotId),
    'parent-snapshot-id': meta.parentSnapshotId === undefined ? 'null' : String(meta.parentSnapshotId),
    'sequence-number': String(meta.sequenceNumber),
    'format-version': '2',
  }, codec);
}

/** Reads a manifest list; v1 lists (no sequence numbers, no content) read with defaults 0. */
export function readManifestList(bytes: Uint8Array, where: string): ManifestFile[] {
  const file = readAvroContainer(bytes, where);
  return file.records.map((r0) => {
    const r = r0 as Record<string, unknown>;
    const parts = r.partitions as Array<Record<string, unknown>> | null | undefined;
    const m: ManifestFile = {
      manifestPath: String(r.manifest_path),
      manifestLength: n(r.manifest_length),
      partitionSpecId: n(r.partition_spec_id),
      content: n(r.content) === 1 ? 1 : 0,
      sequenceNumber: n(r.sequence_number),
      minSequenceNumber: n(r.min_sequence_number),
      addedSnapshotId: BigInt((r.added_snapshot_id as bigint | null) ?? 0n),
      addedFilesCount: n(r.added_files_count ?? r.added_data_files_count),
      existingFilesCount: n(r.existing_files_count ?? r.existing_data_files_count),
      deletedFilesCount: n(r.deleted_files_count ?? r.deleted_data_files_count),
      addedRowsCount: n(r.added_rows_count),
      existingRowsCount: n(r.existing_rows_count),
      deletedRowsCount: n(r.deleted_rows_count),
    };
    if (parts) {
      m.partitions = parts.map((p) => {
        const s: FieldSummary = { containsNull: Boolean(p.contains_null) };
        if (p.contains_nan !== null && p.contains_nan !== undefined) s.containsNan = Boolean(p.contains_nan);
        const lo = toU8(p.lower_bound);
        const hi = toU8(p.upper_bound);
        if (lo) s.lowerBound = lo;
        if (hi) s.upperBound = hi;
        return s;
      });
    }
    const km = toU8(r.key_metadata);
    if (km) m.keyMetadata = km;
    return m;
  });
}

// ---------------------------------------------------------------- manifests

function kvMap(name: string, fieldId: number, keyId: number, valueId: number, valueType: string): object {
  return {
    name,
    type: ['null', { type: 'array', logicalType: 'map', items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [{ name: 'key', type: 'int', 'field-id': keyId }, { name: 'value', type: valueType, 'field-id': valueId }] } }],
    default: null,
    'field-id': fieldId,
  };
}

/** Avro-safe name for a partition field (Avro names are [A-Za-z_][A-Za-z0-9_]*), as Java sanitizes. */
export function avroSafeName(name: string): string {
  let out = '';
  for (const [i, ch] of Array.from(name).entries()) {
    const ok = /[A-Za-z_]/.test(ch) || (i > 0 && /[0-9]/.test(ch));
    out += ok ? ch : (/[0-9]/.test(ch) ? '_' + ch : '_x' + ch.codePointAt(0)!.toString(16).toUpperCase());
  }
  return out || '_';
}

function decimalBytes(precision: number): number {
  let bytes = 1;
  while (Math.pow(2, 8 * bytes - 1) < Math.pow(10, precision)) bytes++;
  return bytes;
}

let fixedCounter = 0;
function avroTypeFor(t: PrimitiveType, fieldId: number): unknown {
  switch (t) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return t;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': t === 'timestamptz' };
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': t === 'timestamptz_ns' };
    case 'uuid':
      return { type: 'fixed', name: `uuid_fixed_${fieldId}`, size: 16, logicalType: 'uuid' };
    default: {
      const d = parseDecimal(t);
      if (d) return { type: 'fixed', name: `decimal_${d.precision}_${d.scale}_${fieldId}`, size: decimalBytes(d.precision), logicalType: 'decimal', precision: d.precision, scale: d.scale };
      const len = parseFixed(t);
      if (len !== undefined) return { type: 'fixed', name: `fixed_${len}_${fieldId}_${fixedCounter++}`, size: len };
      throw new LakehouseError('UNSUPPORTED', `cannot write a ${t} partition value to a manifest`);
    }
  }
}

function toAvroValue(t: PrimitiveType, v: PartitionValue): unknown {
  if (v === null || v === undefined) return null;
  if (t === 'long' || t === 'time' || t.startsWith('timestamp')) return BigInt(v as bigint);
  if (t === 'uuid') return Buffer.from(uuidToBytes(String(v)));
  if (t === 'binary' || parseFixed(t) !== undefined) return Buffer.from(v as Uint8Array);
  const d = parseDecimal(t);
  if (d) {
    // Fixed-size big-endian two's complement, sign-extended to the schema's size.
    const min = bigintToMinimalBytes(BigInt(v as bigint));
    const size = decimalBytes(d.precision);
    const out = Buffer.alloc(size, BigInt(v as bigint) < 0n ? 0xff : 0);
    Buffer.from(min).copy(out, size - min.byteLength);
    return out;
  }
  return v;
}

function fromAvroValue(t: PrimitiveType, v: unknown): PartitionValue {
  if (v === null || v === undefined) return null;
  if (t === 'int' || t === 'date') return Number(v);
  if (t === 'long' || t === 'time' || t.startsWith('timestamp')) return BigInt(v as bigint | number);
  if (t === 'float' || t === 'double') return Number(v);
  if (t === 'uuid') return typeof v === 'string' ? v : bytesToUuid(new Uint8Array(v as Buffer));
  if (parseDecimal(t)) return minimalBytesToBigint(new Uint8Array(v as Buffer));
  if (t === 'binary' || parseFixed(t) !== undefined) return new Uint8Array(v as Buffer);
  return v as PartitionValue;
}

export function manifestEntrySchema(ptype: StructType): object {
  const partition = {
    type: 'record',
    name: 'r102',
    fields: ptype.fields.map((f) => ({ name: avroSafeName(f.name), type: ['null', avroTypeFor(f.type as PrimitiveType, f.id)], default: null, 'field-id': f.id })),
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: ['null', 'long'], default: null, 'field-id': 1 },
      { name: 'sequence_number', type: ['null', 'long'], default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: ['null', 'long'], default: null, 'field-id': 4 },
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134 },
            { name: 'file_path', type: 'string', 'field-id': 100 },
            { name: 'file_format', type: 'string', 'field-id': 101 },
            { name: 'partition', type: partition, 'field-id': 102 },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            kvMap('column_sizes', 108, 117, 118, 'long'),
            kvMap('value_counts', 109, 119, 120, 'long'),
            kvMap('null_value_counts', 110, 121, 122, 'long'),
            kvMap('nan_value_counts', 137, 138, 139, 'long'),
            kvMap('lower_bounds', 125, 126, 127, 'bytes'),
            kvMap('upper_bounds', 128, 129, 130, 'bytes'),
            { name: 'key_metadata', type: ['null', 'bytes'], default: null, 'field-id': 131 },
            { name: 'split_offsets', type: ['null', { type: 'array', items: 'long', 'element-id': 133 }], default: null, 'field-id': 132 },
            { name: 'equality_ids', type: ['null', { type: 'array', items: 'int', 'element-id': 136 }], default: null, 'field-id': 135 },
            { name: 'sort_order_id', type: ['null', 'int'], default: null, 'field-id': 140 },
            { name: 'referenced_data_file', type: ['null', 'string'], default: null, 'field-id': 143 },
          ],
        },
      },
    ],
  };
}

const mapOut = <V>(m: Map<number, V> | undefined, conv: (v: V) => unknown): unknown =>
  m && m.size ? Array.from(m, ([key, value]) => ({ key, value: conv(value) })) : null;

const mapIn = <V>(a: unknown, conv: (v: unknown) => V): Map<number, V> | undefined =>
  Array.isArray(a) ? new Map(a.map((kv: { key: number; value: unknown }) => [Number(kv.key), conv(kv.value)])) : undefined;

export interface WriteManifestOptions {
  schema: Schema;
  spec: PartitionSpec;
  content: 0 | 1;
  codec?: AvroCodec;
}

/**
 * Encodes manifest entries. Entries whose sequence numbers should be inherited (new files)
 * pass `null` through `inherit`: their snapshot id and sequence numbers are written as null.
 */
export function writeManifest(entries: Array<ManifestEntry & { inherit?: boolean }>, opts: WriteManifestOptions): Uint8Array {
  const ptype = partitionType(opts.spec, opts.schema);
  const records = entries.map((e) => {
    const f = e.dataFile;
    const partition: Record<string, unknown> = {};
    ptype.fields.forEach((pf, i) => {
      partition[avroSafeName(pf.name)] = toAvroValue(pf.type as PrimitiveType, f.partition[i] ?? null);
    });
    return {
      status: e.status,
      snapshot_id: e.inherit ? null : e.snapshotId,
      sequence_number: e.inherit ? null : BigInt(e.sequenceNumber),
      file_sequence_number: e.inherit ? null : BigInt(e.fileSequenceNumber),
      data_file: {
        content: f.content,
        file_path: f.filePath,
        file_format: f.fileFormat,
        partition,
        record_count: BigInt(f.recordCount),
        file_size_in_bytes: BigInt(f.fileSizeInBytes),
        column_sizes: mapOut(f.columnSizes, BigInt),
        value_counts: mapOut(f.valueCounts, BigInt),
        null_value_counts: mapOut(f.nullValueCounts, BigInt),
        nan_value_counts: mapOut(f.nanValueCounts, BigInt),
        lower_bounds: mapOut(f.lowerBounds, (b) => Buffer.from(b)),
        upper_bounds: mapOut(f.upperBounds, (b) => Buffer.from(b)),
        key_metadata: toBuf(f.keyMetadata),
        split_offsets: f.splitOffsets?.length ? f.splitOffsets.map(BigInt) : null,
        equality_ids: f.equalityIds?.length ? f.equalityIds : null,
        sort_order_id: f.sortOrderId ?? null,
        referenced_data_file: f.referencedDataFile ?? null,
      },
    };
  });
  return writeAvroContainer(manifestEntrySchema(ptype), records, {
    schema: stringifyJson(opts.schema, 0),
    'schema-id': String(opts.schema['schema-id']),
    'partition-spec': stringifyJson(opts.spec.fields, 0),
    'partition-spec-id': String(opts.spec['spec-id']),
    'format-version': '2',
    content: opts.content === 1 ? 'deletes' : 'data',
  }, opts.codec ?? 'deflate');
}

/**
 * Decodes a manifest and applies inheritance from its manifest-list entry. Partition values are
 * matched to the table's spec by field id (the writer's Avro names may be sanitized).
 */
export function readManifest(bytes: Uint8Array, manifest: ManifestFile, spec: PartitionSpec, schema: StructType, where: string): ManifestEntry[] {
  const file = readAvroContainer(bytes, where);
  const ptype = partitionType(spec, schema);
  const typeById = new Map(ptype.fields.map((f, i) => [f.id, { type: f.type as PrimitiveType, index: i }]));
  const dfSchema = ((file.schema.fields as Array<{ name: string; type: { fields: Array<{ name: string; type: { fields?: Array<{ name: string; 'field-id'?: number }> } }> } }>).find((f) => f.name === 'data_file'))?.type;
  const pschema = dfSchema?.fields.find((f) => f.name === 'partition')?.type.fields ?? [];
  // Writer partition fields without ids (old v1 writers) map by position.
  const pmap = pschema.map((f, i) => ({ name: f.name, slot: typeById.get(f['field-id'] ?? spec.fields[i]?.['field-id'] ?? -1) }));
  const specId = manifest.partitionSpecId;
  return file.records.map((r0) => {
    const r = r0 as Record<string, unknown>;
    const d = r.data_file as Record<string, unknown>;
    const status = n(r.status) as EntryStatusCode;
    const seqRaw = r.sequence_number as bigint | null | undefined;
    const fseqRaw = r.file_sequence_number as bigint | null | undefined;
    // Spec: null sequence numbers are inherited from the manifest (only valid for ADDED entries;
    // v1 manifests have none at all and use 0).
    const inherited = manifest.sequenceNumber;
    const partition: PartitionValue[] = new Array(ptype.fields.length).fill(null);
    const rawPart = (d.partition ?? {}) as Record<string, unknown>;
    for (const pm of pmap) if (pm.slot) partition[pm.slot.index] = fromAvroValue(pm.slot.type, rawPart[pm.name]);
    const df: DataFile = {
      content: n(d.content) as FileContentCode,
      filePath: String(d.file_path),
      fileFormat: String(d.file_format).toUpperCase(),
      specId,
      partition,
      recordCount: n(d.record_count),
      fileSizeInBytes: n(d.file_size_in_bytes),
    };
    if (!Number.isSafeInteger(df.recordCount) || df.recordCount < 0 || !Number.isSafeInteger(df.fileSizeInBytes) || df.fileSizeInBytes < 0) {
      throw new LakehouseError('CORRUPT_FILE', `${where}: the entry for ${df.filePath} has an impossible record count (${df.recordCount}) or file size (${df.fileSizeInBytes})`, {
        help: 'The manifest is damaged; restore it from a backup, or roll the table back to a snapshot that does not use it.',
        details: { file: where, dataFile: df.filePath },
      });
    }
    const cs = mapIn(d.column_sizes, Number);
    if (cs) df.columnSizes = cs;
    const vc = mapIn(d.value_counts, Number);
    if (vc) df.valueCounts = vc;
    const nc = mapIn(d.null_value_counts, Number);
    if (nc) df.nullValueCounts = nc;
    const nan = mapIn(d.nan_value_counts, Number);
    if (nan) df.nanValueCounts = nan;
    const lo = mapIn(d.lower_bounds, (b) => new Uint8Array(b as Buffer));
    if (lo) df.lowerBounds = lo;
    const hi = mapIn(d.upper_bounds, (b) => new Uint8Array(b as Buffer));
    if (hi) df.upperBounds = hi;
    if (Array.isArray(d.split_offsets)) df.splitOffsets = (d.split_offsets as bigint[]).map(Number);
    if (Array.isArray(d.equality_ids)) df.equalityIds = (d.equality_ids as number[]).map(Number);
    if (d.sort_order_id !== null && d.sort_order_id !== undefined) df.sortOrderId = Number(d.sort_order_id);
    const km = toU8(d.key_metadata);
    if (km) df.keyMetadata = km;
    if (typeof d.referenced_data_file === 'string') df.referencedDataFile = d.referenced_data_file;
    return {
      status,
      snapshotId: r.snapshot_id === null || r.snapshot_id === undefined ? manifest.addedSnapshotId : BigInt(r.snapshot_id as bigint),
      sequenceNumber: seqRaw === null || seqRaw === undefined ? inherited : Number(seqRaw),
      fileSequenceNumber: fseqRaw === null || fseqRaw === undefined ? inherited : Number(fseqRaw),
      dataFile: df,
    };
  });
}
