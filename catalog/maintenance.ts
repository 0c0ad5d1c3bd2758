/**
 * Table maintenance: rollback, set-current and snapshot expiry (orphan-file removal lives in
 * orphans.ts and is re-exported here). Each is a commit (or a read-only dry run) and returns the
 * new table state plus metrics.
 *
 * Expiry's safety rules: it deletes a file only when (1) an expired snapshot reached it, (2) no
 * snapshot of the metadata that won the expiry commit, nor of any version committed after it
 * (re-read after the commit), reaches it, (3) no live in-flight marker and no caller protection
 * (the engine passes the run ledger's unsettled runs) claims it, and (4) it is not a metadata
 * JSON version. A table whose retained snapshots (current, ref heads, history) cannot be read is
 * refused before anything is committed: which files they need would be unknown.
 */

import { LakehouseError } from '../connectors/errors.js';
import type { TableState } from './commit.js';
import { listInflight, protectedByInflight } from './inflight.js';
import type { ProtectPredicate } from './orphans.js';
import { reachAll, reachLatest, Reach, type MetadataVersion, type SkippedRead } from './reachability.js';
import { ancestors, currentSnapshot, snapshotById, type TableMetadata } from './spec/metadata.js';
import type { Table } from './table.js';
import { metadataVersionOf } from './table-io.js';

export { removeOrphanFiles, checkOrphanAge, ORPHAN_MIN_AGE_MS, TEMP_MIN_AGE_MS } from './orphans.js';
export type { OrphanOptions, OrphanResult, FileInfo, ProtectPredicate, TempAwareStore } from './orphans.js';

export interface RollbackResult {
  state: TableState;
  metrics: { fromSnapshotId: bigint | null; toSnapshotId: bigint };
}

async function moveMain(table: Table, target: bigint, mustBeAncestor: boolean): Promise<RollbackResult> {
  const from = table.currentSnapshot()?.['snapshot-id'] ?? null;
  await table.commitUpdates((base) => {
    const md = base.metadata;
    snapshotById(md, target);
    const cur = currentSnapshot(md)?.['snapshot-id'];
    if (mustBeAncestor && !ancestors(md, cur).some((s) => s['snapshot-id'] === target)) {
      throw new LakehouseError('INVALID_ARGUMENT', `snapshot ${target} is not an ancestor of the current snapshot ${cur}`, {
        help: 'rollbackTo only moves back along the current history; use setCurrentSnapshot to jump to any snapshot.',
      });
    }
    return {
      updates: [{ action: 'set-snapshot-ref', 'ref-name': 'main', 'snapshot-id': target, type: 'branch' }],
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': cur ?? null }],
    };
  });
  return { state: table.state, metrics: { fromSnapshotId: from, toSnapshotId: target } };
}

/** Makes an ancestor of the current snapshot current again. */
export function rollbackTo(table: Table, snapshotId: bigint | string): Promise<RollbackResult> {
  return moveMain(table, BigInt(snapshotId), true);
}

/** Rolls back to the newest ancestor committed at or before `timestampMs`. */
export function rollbackToTime(table: Table, timestampMs: number): Promise<RollbackResult> {
  const target = table.history().find((s) => s['timestamp-ms'] <= timestampMs);
  if (!target) {
    throw new LakehouseError('SNAPSHOT_NOT_FOUND', `no ancestor of the current snapshot was committed at or before ${new Date(timestampMs).toISOString()}`, {
      help: 'Choose a later time (see table.history()).',
    });
  }
  return moveMain(table, target['snapshot-id'], true);
}

/** Makes any snapshot current (e.g. to undo a rollback). */
export function setCurrentSnapshot(table: Table, snapshotId: bigint | string): Promise<RollbackResult> {
  return moveMain(table, BigInt(snapshotId), false);
}

export interface ExpireOptions {
  /** Expire snapshots older than this (ms since epoch). Default: 5 days ago. */
  olderThan?: number;
  /** Always keep at least this many of the newest snapshots of the current history. Default 1. */
  retainLast?: number;
  dryRun?: boolean;
  /** Extra protection from a higher layer (e.g. the run ledger), loaded after the commit. */
  protect?: () => Promise<ProtectPredicate>;
}

export interface ExpireResult {
  state: TableState;
  metrics: { expiredSnapshots: number; deletedDataFiles: number; deletedDeleteFiles: number; deletedManifests: number; deletedManifestLists: number; protectedFiles: number };
  expiredSnapshotIds: bigint[];
  /** Keys deleted (or, in a dry run, that would be deleted). */
  deleted: string[];
  /** Files only expired snapshots reached but a live in-flight marker or an unsettled run protects: kept. */
  protectedFiles: string[];
  /** Parts of expired snapshots that could not be read (their files, if any, are left for remove-orphans). */
  skipped: SkippedRead[];
}

export async function expireSnapshots(table: Table, options: ExpireOptions = {}): Promise<ExpireResult> {
  await table.refresh();
  if (!options.dryRun) table.assertWritable();
  const olderThan = options.olderThan ?? Date.now() - 5 * 86_400_000;
  const retainLast = Math.max(1, options.retainLast ?? 1);
  const pick = (md: TableMetadata): bigint[] => {
    const keep = new Set<bigint>();
    for (const r of Object.values(md.refs)) keep.add(r['snapshot-id']);
    for (const s of ancestors(md, currentSnapshot(md)?.['snapshot-id']).slice(0, retainLast)) keep.add(s['snapshot-id']);
    return md.snapshots.filter((s) => !keep.has(s['snapshot-id']) && s['timestamp-ms'] < olderThan).map((s) => s['snapshot-id']);
  };
  const io = table.io;
  const before = table.metadata;
  const beforeVersion: MetadataVersion = { version: table.version, key: table.state.metadataKey, metadata: before };
  const expiredIds = pick(before);
  const empty = { expiredSnapshots: 0, deletedDataFiles: 0, deletedDeleteFiles: 0, deletedManifests: 0, deletedManifestLists: 0, protectedFiles: 0 };
  // Refuse a table whose retained snapshots cannot be read, before committing anything: the
  // current snapshot in particular (never report "0 deleted" on a broken table).
  const retained: MetadataVersion = { ...beforeVersion, metadata: { ...before, snapshots: before.snapshots.filter((s) => !expiredIds.includes(s['snapshot-id'])) } };
  await reachAll(io, [], retained, new Reach(io, true));
  if (expiredIds.length === 0) return { state: table.state, metrics: empty, expiredSnapshotIds: [], deleted: [], protectedFiles: [], skipped: [] };

  let committed = retained;
  if (!options.dryRun) {
    await table.commitUpdates((base) => {
      const ids = pick(base.metadata).filter((id) => expiredIds.includes(id));
      return { updates: [{ action: 'remove-snapshots', 'snapshot-ids': ids }] };
    });
    committed = { version: table.version, key: table.state.metadataKey, metadata: table.metadata };
  }
  // What must stay: the metadata that won the commit and every version committed after it,
  // re-read now (a concurrent commit may reference what the expired snapshots used).
  const markers = await listInflight(io.store, io.root);
  const protect = options.protect ? await options.protect() : undefined;
  const { reach: keep } = await reachLatest(io, { minVersion: committed.version + 1, include: [committed], liveOnly: true });
  const expiredSnaps = before.snapshots.filter((s) => expiredIds.includes(s['snapshot-id']));
  const gone = new Reach(io);
  for (const s of expiredSnaps) await gone.addSnapshot(before, s, false);

  const listKeys = new Set(expiredSnaps.map((s) => { try { return io.keyFor(s['manifest-list']); } catch { return ''; } }));
  const deleted: string[] = [];
  const protectedFiles: string[] = [];
  for (const k of gone.keys) {
    if (keep.has(k) || metadataVersionOf(k.slice(k.lastIndexOf('/') + 1)) !== undefined) continue;
    if (protectedByInflight(markers.live, k) || protect?.(k)) {
      protectedFiles.push(k);
      continue;
    }
    deleted.push(k);
  }
  if (!options.dryRun && deleted.length) await io.store.deleteMany(deleted);
  const files = deleted.filter((k) => gone.contents.has(k));
  return {
    state: table.state,
    expiredSnapshotIds: expiredIds,
    deleted,
    protectedFiles,
    skipped: gone.skipped,
    metrics: {
      expiredSnapshots: expiredIds.length,
      deletedDataFiles: files.filter((k) => gone.contents.get(k) === 0).length,
      deletedDeleteFiles: files.filter((k) => gone.contents.get(k) !== 0).length,
      deletedManifests: deleted.filter((k) => !gone.contents.has(k) && !listKeys.has(k)).length,
      deletedManifestLists: deleted.filter((k) => listKeys.has(k)).length,
      protectedFiles: protectedFiles.length,
    },
  };
}
