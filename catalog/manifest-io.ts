/**
 * Reading and writing a table's manifests through its TableIO, with a small cache of parsed
 * manifests (they are immutable once written, so a cache keyed by location is always valid).
 * Also computes manifest-list partition summaries. Concurrency: stateless apart from the cache;
 * safe to call concurrently.
 */

import { randomUUID } from 'node:crypto';
import { encodeSingleValue } from '../connectors/single-value.js';
import type { PrimitiveType, Schema } from '../connectors/iceberg-types.js';
import { compareValues } from './expressions.js';
import { readManifest, readManifestList, writeManifest, type DataFile, type FieldSummary, type ManifestEntry, type ManifestFile } from './manifest.js';
import { partitionType, type PartitionSpec } from './spec/partition.js';
import { currentSchema, specById, type Snapshot, type TableMetadata } from './spec/metadata.js';
import type { PartitionValue } from './spec/transforms.js';
import type { TableIO } from './table-io.js';

const CACHE_LIMIT = 512;
const manifestCache = new Map<string, ManifestEntry[]>();
const listCache = new Map<string, ManifestFile[]>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

export async function readSnapshotManifests(io: TableIO, snapshot: Snapshot): Promise<ManifestFile[]> {
  const key = io.keyFor(snapshot['manifest-list']);
  const ck = io.store.uri + '|' + key;
  const hit = listCache.get(ck);
  if (hit) return hit;
  const bytes = await io.store.get(key);
  return remember(listCache, ck, readManifestList(bytes, snapshot['manifest-list']));
}

export async function readManifestEntries(io: TableIO, md: TableMetadata, m: ManifestFile): Promise<ManifestEntry[]> {
  const key = io.keyFor(m.manifestPath);
  // Inheritance depends on the manifest-list entry, so it is part of the cache key.
  const ck = `${io.store.uri}|${key}|${m.sequenceNumber}|${m.addedSnapshotId}`;
  const hit = manifestCache.get(ck);
  if (hit) return hit;
  const bytes = await io.store.get(key);
  const entries = readManifest(bytes, m, specById(md, m.partitionSpecId), currentSchemaForSpec(md), m.manifestPath);
  return remember(manifestCache, ck, entries);
}

/**
 * The schema used to type partition values: the current schema, falling back to older schemas
 * for source columns that were dropped since.
 */
function currentSchemaForSpec(md: TableMetadata): Schema {
  const cur = currentSchema(md);
  const ids = new Set(cur.fields.map((f) => f.id));
  const extra = md.schemas.flatMap((s) => s.fields).filter((f) => !ids.has(f.id) && (ids.add(f.id), true));
  return extra.length ? { ...cur, fields: [...cur.fields, ...extra] } : cur;
}

/** Runs `fn` over items with at most `limit` in flight, keeping order of results. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function partitionSummaries(spec: PartitionSpec, schema: Schema, files: DataFile[]): FieldSummary[] {
  const ptype = partitionType(spec, schema);
  return ptype.fields.map((pf, i) => {
    const type = pf.type as PrimitiveType;
    let lo: PartitionValue = null;
    let hi: PartitionValue = null;
    let containsNull = false;
    let containsNan = false;
    for (const f of files) {
      const v = f.partition[i] ?? null;
      if (v === null) {
        containsNull = true;
        continue;
      }
      if (typeof v === 'number' && Number.isNaN(v)) {
        containsNan = true;
        continue;
      }
      if (lo === null || compareValues(v, lo) < 0) lo = v;
      if (hi === null || compareValues(v, hi) > 0) hi = v;
    }
    const s: FieldSummary = { containsNull };
    if (type === 'float' || type === 'double') s.containsNan = containsNan;
    if (lo !== null) s.lowerBound = encodeSingleValue(type, lo);
    if (hi !== null) s.upperBound = encodeSingleValue(type, hi);
    return s;
  });
}

export interface NewManifest {
  file: ManifestFile;
  key: string;
}

/**
 * Writes a manifest for one spec. `entries` flagged `inherit` are written with null snapshot
 * id / sequence numbers so the manifest can be reused by any retry of the commit.
 */
export async function writeManifestFile(
  io: TableIO,
  md: TableMetadata,
  spec: PartitionSpec,
  content: 0 | 1,
  entries: Array<ManifestEntry & { inherit?: boolean }>,
  snapshotId: bigint,
  sequenceNumber: number,
  /** The commit's id: manifest names start with it, so an in-flight marker protects them. */
  commitId: string = randomUUID(),
): Promise<NewManifest> {
  const schema = currentSchema(md);
  const bytes = writeManifest(entries, { schema, spec, content, codec: (md.properties['write.avro.compression-codec'] === 'uncompressed' ? 'null' : 'deflate') });
  const key = io.key(`metadata/${commitId}-${randomUUID().slice(0, 8)}-m${content}.avro`);
  await io.store.put(key, bytes);
  const count = (st: number): number => entries.filter((e) => e.status === st).length;
  const rows = (st: number): number => entries.filter((e) => e.status === st).reduce((a, e) => a + e.dataFile.recordCount, 0);
  const live = entries.filter((e) => e.status !== 2);
  const seqs = entries.map((e) => (e.inherit ? sequenceNumber : e.sequenceNumber));
  return {
    key,
    file: {
      manifestPath: io.store.uriFor(key),
      manifestLength: bytes.byteLength,
      partitionSpecId: spec['spec-id'],
      content,
      sequenceNumber,
      minSequenceNumber: seqs.length ? Math.min(...seqs) : sequenceNumber,
      addedSnapshotId: snapshotId,
      addedFilesCount: count(1),
      existingFilesCount: count(0),
      deletedFilesCount: count(2),
      addedRowsCount: rows(1),
      existingRowsCount: rows(0),
      deletedRowsCount: rows(2),
      partitions: partitionSummaries(spec, schema, live.map((e) => e.dataFile)),
    },
  };
}
