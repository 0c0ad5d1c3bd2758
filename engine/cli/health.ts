/**
 * Table health: the service-level metrics of a lakehouse table (files per partition, file
 * sizes, small files, delete files, manifests, snapshots) and what to do about them.
 * Small = under 75% of the table's target file size, the same threshold compaction uses.
 */

import { partitionPath, readSnapshotManifests, type Table } from '../../catalog/index.js';

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;
/** A partition with at least this many small files is worth compacting (compaction's minInputFiles). */
export const SMALL_FILES_PER_PARTITION = 5;

export interface PartitionHealth {
  partition: string;
  files: number;
  smallFiles: number;
  records: number;
  bytes: number;
  averageFileSize: number;
}

export interface TableHealth {
  snapshotId: bigint | null;
  dataFiles: number;
  deleteFiles: number;
  partitions: number;
  totalRecords: number;
  totalBytes: number;
  averageFileSize: number;
  medianFileSize: number;
  targetFileSize: number;
  smallFileThreshold: number;
  smallFiles: number;
  manifests: number;
  snapshots: number;
  filesPerPartition: { average: number; max: number };
  perPartition: PartitionHealth[];
  recommendations: string[];
}

export async function tableHealth(table: Table): Promise<TableHealth> {
  const ident = `${table.identifier.namespace}.${table.identifier.name}`;
  const target = Number(table.metadata.properties?.['write.target-file-size-bytes'] ?? DEFAULT_TARGET_FILE_SIZE);
  const small = Math.floor(target * 0.75);
  const snap = table.currentSnapshot();
  const plan = await table.scan();
  const schema = table.schema();
  const deleteKeys = new Set<string>();
  const parts = new Map<string, PartitionHealth>();
  const sizes: number[] = [];
  for (const t of plan.tasks) {
    for (const d of t.deletes) deleteKeys.add(d.key);
    const spec = table.metadata['partition-specs'].find((p) => p['spec-id'] === t.file.specId);
    const name = spec && spec.fields.length ? partitionPath(spec, schema, t.file.partition) : '';
    const p = parts.get(name) ?? { partition: name, files: 0, smallFiles: 0, records: 0, bytes: 0, averageFileSize: 0 };
    p.files++;
    p.records += t.file.recordCount;
    p.bytes += t.file.fileSizeInBytes;
    if (t.file.fileSizeInBytes < small) p.smallFiles++;
    parts.set(name, p);
    sizes.push(t.file.fileSizeInBytes);
  }
  for (const p of parts.values()) p.averageFileSize = p.files ? Math.round(p.bytes / p.files) : 0;
  sizes.sort((a, b) => a - b);
  const median = sizes.length ? (sizes.length % 2 ? sizes[sizes.length >> 1]! : Math.round((sizes[sizes.length / 2 - 1]! + sizes[sizes.length / 2]!) / 2)) : 0;
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const manifests = snap ? (await readSnapshotManifests(table.io, snap)).length : 0;
  const perPartition = [...parts.values()].sort((a, b) => (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0));
  const smallFiles = perPartition.reduce((n, p) => n + p.smallFiles, 0);
  const recommendations: string[] = [];
  const compactable = perPartition.filter((p) => p.smallFiles >= SMALL_FILES_PER_PARTITION);
  if (compactable.length) {
    recommendations.push(`${compactable.length} partition${compactable.length === 1 ? ' has' : 's have'} ≥${SMALL_FILES_PER_PARTITION} small files: run \`lake compact ${ident}\``);
  }
  if (deleteKeys.size) recommendations.push(`${deleteKeys.size} delete file(s) apply to live data: \`lake compact ${ident}\` rewrites the affected files without them`);
  if (manifests > 100) recommendations.push(`${manifests} manifests per scan: the next commit merges small manifests; compaction also reduces them`);
  if (table.metadata.snapshots.length > 100) recommendations.push(`${table.metadata.snapshots.length} snapshots kept: run \`lake expire ${ident} --older-than 5d\``);
  return {
    snapshotId: snap?.['snapshot-id'] ?? null,
    dataFiles: plan.tasks.length,
    deleteFiles: deleteKeys.size,
    partitions: parts.size,
    totalRecords: perPartition.reduce((n, p) => n + p.records, 0),
    totalBytes,
    averageFileSize: sizes.length ? Math.round(totalBytes / sizes.length) : 0,
    medianFileSize: median,
    targetFileSize: target,
    smallFileThreshold: small,
    smallFiles,
    manifests,
    snapshots: table.metadata.snapshots.length,
    filesPerPartition: { average: parts.size ? plan.tasks.length / parts.size : 0, max: Math.max(0, ...perPartition.map((p) => p.files)) },
    perPartition,
    recommendations,
  };
}
