/**
 * Table metadata (spec "Table Metadata", Appendix C) in its JSON shape, with snapshot ids as
 * `bigint` (they are random 64-bit longs). `parseTableMetadata` reads v1 and v2 files as Spark,
 * the Java API, Trino/Athena and this project write them and normalizes them to the v2 model;
 * `serializeTableMetadata` always writes format-version 2. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { checkPrimitive, maxFieldId, type IcebergType, type Schema } from '../../connectors/iceberg-types.js';
import { parseJson, stringifyJson } from '../json.js';
import { PARTITION_ID_START, type PartitionSpec, type SortOrder } from './partition.js';

export type Operation = 'append' | 'replace' | 'overwrite' | 'delete';

export interface SnapshotSummary {
  operation: Operation;
  [key: string]: string;
}

export interface Snapshot {
  'snapshot-id': bigint;
  'parent-snapshot-id'?: bigint;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: SnapshotSummary;
  'schema-id'?: number;
}

export interface SnapshotRef {
  'snapshot-id': bigint;
  type: 'branch' | 'tag';
  'max-ref-age-ms'?: number;
  'max-snapshot-age-ms'?: number;
  'min-snapshots-to-keep'?: number;
}

export interface SnapshotLogEntry {
  'timestamp-ms': number;
  'snapshot-id': bigint;
}

export interface MetadataLogEntry {
  'timestamp-ms': number;
  'metadata-file': string;
}

export interface TableMetadata {
  'format-version': number;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  schemas: Schema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  properties: Record<string, string>;
  'current-snapshot-id'?: bigint;
  snapshots: Snapshot[];
  'snapshot-log': SnapshotLogEntry[];
  'metadata-log': MetadataLogEntry[];
  'sort-orders': SortOrder[];
  'default-sort-order-id': number;
  refs: Record<string, SnapshotRef>;
  /** Statistics files and other fields we do not interpret are kept as read. */
  statistics?: unknown[];
  'partition-statistics'?: unknown[];
}

type Obj = Record<string, unknown>;

function bad(msg: string, where: string): never {
  throw new LakehouseError('INVALID_METADATA', `${where}: ${msg}`, {
    help: 'The metadata file is not valid Iceberg table metadata; check that the path points at a *.metadata.json file.',
  });
}

function toBig(v: unknown, what: string, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return bad(`${what} is not an integer`, where);
}

function num(v: unknown, what: string, where: string, dflt?: number): number {
  if (v === undefined || v === null) {
    if (dflt !== undefined) return dflt;
    return bad(`missing ${what}`, where);
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return bad(`${what} is not a number`, where);
}

function checkTypes(t: IcebergType, where: string): void {
  if (typeof t === 'string') {
    checkPrimitive(t);
    return;
  }
  if (t.type === 'struct') for (const f of t.fields) checkTypes(f.type, where);
  else if (t.type === 'list') checkTypes(t.element, where);
  else if (t.type === 'map') {
    checkTypes(t.key, where);
    checkTypes(t.value, where);
  } else bad(`unknown type ${JSON.stringify(t)}`, where);
}

/**
 * Parses a metadata file. Untrusted input: any shape the checks below do not anticipate (a
 * field of the wrong type deep inside) is still an `INVALID_METADATA` error naming the file,
 * never a TypeError.
 */
export function parseTableMetadata(text: string, where = 'table metadata'): TableMetadata {
  try {
    return parseUnchecked(text, where);
  } catch (err) {
    if (err instanceof LakehouseError) throw err;
    throw new LakehouseError('INVALID_METADATA', `${where}: not valid Iceberg table metadata (${(err as Error)?.message ?? String(err)})`, {
      cause: err,
      help: 'The metadata file is damaged or not Iceberg table metadata; restore it from a backup, or point at another metadata version.',
      details: { file: where },
    });
  }
}

function parseUnchecked(text: string, where: string): TableMetadata {
  const raw = parseJson(text, where) as Obj;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad('not a JSON object', where);
  const fv = num(raw['format-version'], 'format-version', where);
  if (fv !== 1 && fv !== 2) {
    throw new LakehouseError('UNSUPPORTED', `${where}: format-version ${fv} is not supported`, { help: 'This engine reads Iceberg format versions 1 and 2.' });
  }
  const location = typeof raw.location === 'string' ? raw.location.replace(/\/+$/, '') : bad('missing location', where);

  let schemas = raw.schemas as Schema[] | undefined;
  let currentSchemaId = raw['current-schema-id'] as number | undefined;
  if (!Array.isArray(schemas) || schemas.length === 0) {
    const s = raw.schema as Schema | undefined;
    if (!s) bad('no schema', where);
    schemas = [{ ...s, 'schema-id': s['schema-id'] ?? 0 }];
    currentSchemaId = schemas[0]!['schema-id'];
  }
  for (const s of schemas) {
    if (s.type !== 'struct' || !Array.isArray(s.fields)) bad('a schema is not a struct', where);
    checkTypes(s, where);
  }
  currentSchemaId = currentSchemaId ?? schemas[0]!['schema-id'];
  if (!schemas.some((s) => s['schema-id'] === currentSchemaId)) bad(`current-schema-id ${currentSchemaId} names no schema`, where);

  let specs = raw['partition-specs'] as PartitionSpec[] | undefined;
  let defaultSpecId = raw['default-spec-id'] as number | undefined;
  if (!Array.isArray(specs) || specs.length === 0) {
    // v1 may carry only `partition-spec`: a bare field list whose field ids start at 1000.
    const fields = (raw['partition-spec'] as Array<Obj> | undefined) ?? [];
    specs = [
      {
        'spec-id': 0,
        fields: fields.map((f, i) => ({
          'source-id': f['source-id'] as number,
          'field-id': (f['field-id'] as number | undefined) ?? PARTITION_ID_START + i,
          name: f.name as string,
          transform: f.transform as string,
        })),
      },
    ];
    defaultSpecId = 0;
  }
  specs = specs.map((s) => ({
    'spec-id': s['spec-id'],
    fields: s.fields.map((f, i) => ({ ...f, 'field-id': f['field-id'] ?? PARTITION_ID_START + i })),
  }));
  defaultSpecId = defaultSpecId ?? specs[0]!['spec-id'];
  const lastPartitionId =
    (raw['last-partition-id'] as number | undefined) ??
    Math.max(PARTITION_ID_START - 1, ...specs.flatMap((s) => s.fields.map((f) => f['field-id'])));

  const snapshots: Snapshot[] = ((raw.snapshots as Obj[] | undefined) ?? []).map((s) => {
    if (typeof s['manifest-list'] !== 'string') {
      throw new LakehouseError('UNSUPPORTED', `${where}: snapshot ${String(s['snapshot-id'])} has no manifest list (v1 "manifests" field)`, {
        help: 'Rewrite the table metadata with a current Iceberg version (any v1 table written since 2019 has manifest lists).',
      });
    }
    const summary = (s.summary as Obj | undefined) ?? {};
    const out: Snapshot = {
      'snapshot-id': toBig(s['snapshot-id'], 'snapshot-id', where),
      'sequence-number': num(s['sequence-number'], 'sequence-number', where, 0),
      'timestamp-ms': num(s['timestamp-ms'], 'timestamp-ms', where),
      'manifest-list': s['manifest-list'],
      summary: { ...(Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, String(v)])) as Record<string, string>), operation: ((summary.operation as Operation | undefined) ?? 'append') },
    };
    if (s['parent-snapshot-id'] !== undefined && s['parent-snapshot-id'] !== null) out['parent-snapshot-id'] = toBig(s['parent-snapshot-id'], 'parent-snapshot-id', where);
    if (typeof s['schema-id'] === 'number') out['schema-id'] = s['schema-id'];
    return out;
  });

  let current: bigint | undefined =
    raw['current-snapshot-id'] === undefined || raw['current-snapshot-id'] === null ? undefined : toBig(raw['current-snapshot-id'], 'current-snapshot-id', where);
  if (current === -1n) current = undefined;
  const refs: Record<string, SnapshotRef> = {};
  for (const [name, r] of Object.entries((raw.refs as Record<string, Obj> | undefined) ?? {})) {
    refs[name] = { ...(r as object), 'snapshot-id': toBig(r['snapshot-id'], `refs.${name}.snapshot-id`, where), type: (r.type as 'branch' | 'tag') ?? 'branch' };
  }
  if (current !== undefined && !refs.main) refs.main = { 'snapshot-id': current, type: 'branch' };
  if (current !== undefined && !snapshots.some((s) => s['snapshot-id'] === current)) bad(`current-snapshot-id ${current} names no snapshot`, where);

  const sortOrders = (raw['sort-orders'] as SortOrder[] | undefined) ?? [{ 'order-id': 0, fields: [] }];
  const md: TableMetadata = {
    'format-version': fv,
    'table-uuid': (raw['table-uuid'] as string | undefined) ?? '00000000-0000-0000-0000-000000000000',
    location,
    'last-sequence-number': num(raw['last-sequence-number'], 'last-sequence-number', where, 0),
    'last-updated-ms': num(raw['last-updated-ms'], 'last-updated-ms', where, 0),
    'last-column-id': num(raw['last-column-id'], 'last-column-id', where, Math.max(...schemas.map((s) => maxFieldId(s)))),
    schemas,
    'current-schema-id': currentSchemaId,
    'partition-specs': specs,
    'default-spec-id': defaultSpecId,
    'last-partition-id': lastPartitionId,
    properties: Object.fromEntries(Object.entries((raw.properties as Obj | undefined) ?? {}).map(([k, v]) => [k, String(v)])),
    snapshots,
    'snapshot-log': ((raw['snapshot-log'] as Obj[] | undefined) ?? []).map((e) => ({
      'timestamp-ms': num(e['timestamp-ms'], 'snapshot-log timestamp', where),
      'snapshot-id': toBig(e['snapshot-id'], 'snapshot-log snapshot-id', where),
    })),
    'metadata-log': ((raw['metadata-log'] as MetadataLogEntry[] | undefined) ?? []).map((e) => ({ 'timestamp-ms': num(e['timestamp-ms'], 'metadata-log timestamp', where), 'metadata-file': e['metadata-file'] })),
    'sort-orders': sortOrders,
    'default-sort-order-id': (raw['default-sort-order-id'] as number | undefined) ?? sortOrders[0]?.['order-id'] ?? 0,
    refs,
  };
  if (current !== undefined) md['current-snapshot-id'] = current;
  if (Array.isArray(raw.statistics)) md.statistics = raw.statistics;
  if (Array.isArray(raw['partition-statistics'])) md['partition-statistics'] = raw['partition-statistics'];
  return md;
}

/** Writes v2 JSON; key order follows the spec's table so files diff well against Java's. */
export function serializeTableMetadata(md: TableMetadata): string {
  const out: Record<string, unknown> = {
    'format-version': 2,
    'table-uuid': md['table-uuid'],
    location: md.location,
    'last-sequence-number': md['last-sequence-number'],
    'last-updated-ms': md['last-updated-ms'],
    'last-column-id': md['last-column-id'],
    'current-schema-id': md['current-schema-id'],
    schemas: md.schemas,
    'default-spec-id': md['default-spec-id'],
    'partition-specs': md['partition-specs'],
    'last-partition-id': md['last-partition-id'],
    'default-sort-order-id': md['default-sort-order-id'],
    'sort-orders': md['sort-orders'],
    properties: md.properties,
    'current-snapshot-id': md['current-snapshot-id'] ?? -1,
    refs: md.refs,
    snapshots: md.snapshots,
    statistics: md.statistics,
    'partition-statistics': md['partition-statistics'],
    'snapshot-log': md['snapshot-log'],
    'metadata-log': md['metadata-log'],
  };
  return stringifyJson(out, 2);
}

export function currentSchema(md: TableMetadata): Schema {
  return schemaById(md, md['current-schema-id']);
}

export function schemaById(md: TableMetadata, id: number): Schema {
  const s = md.schemas.find((x) => x['schema-id'] === id);
  if (!s) throw new LakehouseError('INVALID_METADATA', `schema ${id} is not in the table metadata`);
  return s;
}

export function specById(md: TableMetadata, id: number): PartitionSpec {
  const s = md['partition-specs'].find((x) => x['spec-id'] === id);
  if (!s) throw new LakehouseError('INVALID_METADATA', `partition spec ${id} is not in the table metadata`);
  return s;
}

export function defaultSpec(md: TableMetadata): PartitionSpec {
  return specById(md, md['default-spec-id']);
}

export function currentSnapshot(md: TableMetadata): Snapshot | undefined {
  const id = md.refs.main?.['snapshot-id'] ?? md['current-snapshot-id'];
  return id === undefined ? undefined : md.snapshots.find((s) => s['snapshot-id'] === id);
}

export function snapshotById(md: TableMetadata, id: bigint): Snapshot {
  const s = md.snapshots.find((x) => x['snapshot-id'] === id);
  if (!s) {
    throw new LakehouseError('SNAPSHOT_NOT_FOUND', `snapshot ${id} is not in the table (it may have been expired)`, {
      help: 'List snapshots with table.snapshots(); expired snapshots cannot be read.',
      details: { snapshotId: String(id) },
    });
  }
  return s;
}

/** The snapshot that was current at `timestampMs` (from the snapshot log), as time travel needs. */
export function snapshotAsOf(md: TableMetadata, timestampMs: number): Snapshot {
  let found: bigint | undefined;
  for (const e of md['snapshot-log']) {
    if (e['timestamp-ms'] <= timestampMs) found = e['snapshot-id'];
  }
  if (found === undefined || !md.snapshots.some((s) => s['snapshot-id'] === found)) {
    throw new LakehouseError('SNAPSHOT_NOT_FOUND', `no snapshot of the table was current at ${new Date(timestampMs).toISOString()}`, {
      help: 'Choose a later time; the first snapshot is at ' + (md.snapshots[0] ? new Date(md.snapshots[0]['timestamp-ms']).toISOString() : 'n/a (table is empty)') + '.',
    });
  }
  return snapshotById(md, found);
}

/** Ancestors of a snapshot, newest first, starting with the snapshot itself. */
export function ancestors(md: TableMetadata, id: bigint | undefined): Snapshot[] {
  const byId = new Map(md.snapshots.map((s) => [s['snapshot-id'], s]));
  const out: Snapshot[] = [];
  let cur = id === undefined ? undefined : byId.get(id);
  const seen = new Set<bigint>();
  while (cur && !seen.has(cur['snapshot-id'])) {
    seen.add(cur['snapshot-id']);
    out.push(cur);
    cur = cur['parent-snapshot-id'] === undefined ? undefined : byId.get(cur['parent-snapshot-id']);
  }
  return out;
}
