/**
 * Scan planning: for a snapshot (current, by id, by ref, or as of a time), the live data files
 * with their partition values and stats, and the delete files that apply to each, pruned by a
 * predicate through manifest-list partition summaries, partition tuples and column bounds.
 *
 * Delete applicability (spec "Scan Planning"): a position delete applies to a data file when
 * the data file's data sequence number is <= the delete's and they share spec and partition
 * (or the delete's spec is unpartitioned); an equality delete applies when the data file's
 * sequence number is strictly lower, with the same partition rule. Pure apart from reading
 * manifests; safe to call concurrently.
 */

import { LakehouseError } from '../connectors/errors.js';
import { indexById, isPrimitive, type PrimitiveType, type Schema } from '../connectors/iceberg-types.js';
import { bindPredicate, encodedBoundsView, mightMatch, projectToPartition, tupleView, type Bound, type Predicate } from './expressions.js';
import { compareBytes } from './predicate-values.js';
import { EntryStatus, type DataFile, type ManifestFile } from './manifest.js';
import { mapLimit, readManifestEntries, readSnapshotManifests } from './manifest-io.js';
import { currentSchema, schemaById, snapshotAsOf, snapshotById, specById, type Snapshot, type TableMetadata } from './spec/metadata.js';
import { isUnpartitioned, partitionKey, partitionType } from './spec/partition.js';
import type { TableState } from './commit.js';

export interface ScanOptions {
  snapshotId?: bigint | string;
  ref?: string;
  asOfTimestampMs?: number;
  filter?: Predicate;
  /** Use the snapshot's schema instead of the current one (time travel "as it was"). */
  useSnapshotSchema?: boolean;
}

export interface DeleteFileRef {
  file: DataFile;
  sequenceNumber: number;
  key: string;
}

export interface FileScanTask {
  file: DataFile;
  /** Store key of the data file. */
  key: string;
  dataSequenceNumber: number;
  deletes: DeleteFileRef[];
}

export interface ScanPlan {
  snapshot: Snapshot | undefined;
  schema: Schema;
  tasks: FileScanTask[];
  metrics: { manifestsTotal: number; manifestsScanned: number; dataFilesTotal: number; dataFilesSkipped: number; deleteFiles: number };
}

export function resolveSnapshot(md: TableMetadata, opts: ScanOptions): Snapshot | undefined {
  if (opts.snapshotId !== undefined) return snapshotById(md, BigInt(opts.snapshotId));
  if (opts.asOfTimestampMs !== undefined) return snapshotAsOf(md, opts.asOfTimestampMs);
  const refName = opts.ref ?? 'main';
  const ref = md.refs[refName];
  if (!ref) {
    if (opts.ref) throw new LakehouseError('SNAPSHOT_NOT_FOUND', `the table has no branch or tag "${opts.ref}"`, { help: `Known refs: ${Object.keys(md.refs).join(', ') || 'none'}.` });
    return undefined;
  }
  return snapshotById(md, ref['snapshot-id']);
}

const CONCURRENCY = 16;

export async function planScan(state: TableState, opts: ScanOptions = {}): Promise<ScanPlan> {
  const md = state.metadata;
  const snapshot = resolveSnapshot(md, opts);
  const schema = opts.useSnapshotSchema && snapshot?.['schema-id'] !== undefined ? schemaById(md, snapshot['schema-id']) : currentSchema(md);
  const metrics = { manifestsTotal: 0, manifestsScanned: 0, dataFilesTotal: 0, dataFilesSkipped: 0, deleteFiles: 0 };
  if (!snapshot) return { snapshot, schema, tasks: [], metrics };
  const bound: Bound = opts.filter ? bindPredicate(opts.filter, schema) : { op: 'true' };
  const manifests = await readSnapshotManifests(state.io, snapshot);
  metrics.manifestsTotal = manifests.length;

  const projections = new Map<number, Bound>();
  const projectionFor = (specId: number): Bound => {
    let b = projections.get(specId);
    if (!b) {
      b = projectToPartition(bound, specById(md, specId), schema);
      projections.set(specId, b);
    }
    return b;
  };
  const keep = manifests.filter((m) => m.content === 1 || manifestMightMatch(md, m, projectionFor(m.partitionSpecId), schema));
  metrics.manifestsScanned = keep.length;
  const lists = await mapLimit(keep, CONCURRENCY, (m) => readManifestEntries(state.io, md, m));

  const colTypes = new Map<number, PrimitiveType>();
  for (const [id, f] of indexById(schema)) if (isPrimitive(f.type)) colTypes.set(id, f.type);

  const data: FileScanTask[] = [];
  const posDeletes = new Map<string, DeleteFileRef[]>();
  const eqDeletes = new Map<string, DeleteFileRef[]>();
  const globalPos: DeleteFileRef[] = [];
  const globalEq: DeleteFileRef[] = [];
  // A file live twice in one snapshot would be read (and counted) twice: that is a corrupt
  // manifest (or list), never something to read around.
  const seen = new Map<string, string>();
  keep.forEach((m, i) => {
    for (const e of lists[i]!) {
      if (e.status === EntryStatus.DELETED) continue;
      const f = e.dataFile;
      const before = seen.get(f.filePath);
      if (before !== undefined) {
        throw new LakehouseError('INVALID_METADATA', `snapshot ${snapshot['snapshot-id']} lists the file ${f.filePath} twice (in ${before}${before === m.manifestPath ? '' : ` and ${m.manifestPath}`}); its rows would be counted twice`, {
          help: 'The manifests of this snapshot are damaged; roll the table back to an earlier snapshot (`lake rollback`) or restore the manifest from a backup.',
          details: { file: f.filePath, manifest: m.manifestPath, snapshotId: String(snapshot['snapshot-id']) },
        });
      }
      seen.set(f.filePath, m.manifestPath);
      if (f.content === 0) {
        metrics.dataFilesTotal++;
        const spec = specById(md, f.specId);
        const pb = projectionFor(f.specId);
        // Column bounds are keyed by field id: a renamed or swapped column prunes with its own.
        const view = encodedBoundsView({
          types: colTypes, lower: f.lowerBounds, upper: f.upperBounds,
          nullCount: (id) => f.nullValueCounts?.get(id), valueCount: (id) => f.valueCounts?.get(id), nanCount: (id) => f.nanValueCounts?.get(id),
        });
        if (!mightMatch(pb, tupleView(spec, f.partition)) || !mightMatch(bound, view)) {
          metrics.dataFilesSkipped++;
          continue;
        }
        data.push({ file: f, key: state.io.keyFor(f.filePath), dataSequenceNumber: e.sequenceNumber, deletes: [] });
      } else {
        metrics.deleteFiles++;
        const ref: DeleteFileRef = { file: f, sequenceNumber: e.sequenceNumber, key: state.io.keyFor(f.filePath) };
        const global = isUnpartitioned(specById(md, f.specId));
        const pk = partitionKey(f.specId, f.partition);
        if (f.content === 1) {
          if (global) globalPos.push(ref);
          else posDeletes.set(pk, [...(posDeletes.get(pk) ?? []), ref]);
        } else {
          if (global) globalEq.push(ref);
          else eqDeletes.set(pk, [...(eqDeletes.get(pk) ?? []), ref]);
        }
      }
    }
  });

  for (const t of data) {
    const pk = partitionKey(t.file.specId, t.file.partition);
    const seq = t.dataSequenceNumber;
    for (const d of [...globalPos, ...(posDeletes.get(pk) ?? [])]) {
      if (d.sequenceNumber >= seq && positionDeleteMayApply(d.file, t.file.filePath)) t.deletes.push(d);
    }
    for (const d of [...globalEq, ...(eqDeletes.get(pk) ?? [])]) {
      if (d.sequenceNumber > seq) t.deletes.push(d);
    }
  }
  return { snapshot, schema, tasks: data, metrics };
}

/** Position delete files record `file_path` (field 2147483546) bounds; use them to skip. */
const FILE_PATH_ID = 2147483546;
function positionDeleteMayApply(del: DataFile, dataPath: string): boolean {
  if (del.referencedDataFile) return del.referencedDataFile === dataPath;
  const lo = del.lowerBounds?.get(FILE_PATH_ID);
  const hi = del.upperBounds?.get(FILE_PATH_ID);
  if (!lo || !hi) return true;
  // Compared as UTF-8 bytes (the bounds' own order). A truncated upper bound is incremented by
  // the spec; one a writer only cut still bounds every path it is a prefix of.
  const p = utf8.encode(dataPath);
  return compareBytes(lo, p) <= 0 && (compareBytes(p, hi) <= 0 || startsWithBytes(p, hi.subarray(0, hi.byteLength - 1)));
}

const utf8 = new TextEncoder();

function startsWithBytes(a: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.byteLength > a.byteLength) return false;
  for (let i = 0; i < prefix.byteLength; i++) if (a[i] !== prefix[i]) return false;
  return true;
}

function manifestMightMatch(md: TableMetadata, m: ManifestFile, projected: Bound, schema: Schema): boolean {
  if (!m.partitions || projected.op === 'true') return true;
  const spec = specById(md, m.partitionSpecId);
  const ptype = partitionType(spec, schema);
  const types = new Map<number, PrimitiveType>();
  const lower = new Map<number, Uint8Array>();
  const upper = new Map<number, Uint8Array>();
  const containsNull = new Map<number, boolean>();
  const containsNan = new Map<number, boolean>();
  ptype.fields.forEach((f, i) => {
    const s = m.partitions![i];
    if (!s) return;
    types.set(f.id, f.type as PrimitiveType);
    if (s.lowerBound) lower.set(f.id, s.lowerBound);
    if (s.upperBound) upper.set(f.id, s.upperBound);
    containsNull.set(f.id, s.containsNull);
    if (s.containsNan !== undefined) containsNan.set(f.id, s.containsNan);
  });
  // Partition-projected predicates compare transformed values, typed like the partition field.
  const view = encodedBoundsView({ types, lower, upper, containsNull: (id) => containsNull.get(id), containsNan: (id) => containsNan.get(id) });
  return mightMatch(projected, view);
}
