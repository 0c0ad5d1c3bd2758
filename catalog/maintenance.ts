/**
 * Table maintenance: rollback, set-current, snapshot expiry and orphan-file removal. Each is a
 * commit (or a read-only dry run) and returns the new table state plus metrics.
 *
 * Safety rules: expiry deletes a file only when no retained snapshot (re-read from the metadata
 * that won the commit) still uses it; orphan removal only deletes files older than a minimum
 * age (default 3 days) that no metadata version in the table's metadata log can reach, and
 * never a metadata JSON version (see removeOrphanFiles) — so in-flight writes survive both.
 */

import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import type { TableState } from './commit.js';
import { EntryStatus } from './manifest.js';
import { mapLimit, readManifestEntries, readSnapshotManifests } from './manifest-io.js';
import { ancestors, currentSnapshot, parseTableMetadata, snapshotById, type Snapshot, type TableMetadata } from './spec/metadata.js';
import type { Table } from './table.js';
import { metadataVersionOf, TableIO, VERSION_HINT } from './table-io.js';

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

/** Everything a set of snapshots reaches: manifest lists, manifests, live data/delete files (store keys). */
async function reachable(io: TableIO, md: TableMetadata, snapshots: Snapshot[], liveOnly: boolean): Promise<{ lists: Set<string>; manifests: Set<string>; files: Set<string> }> {
  const lists = new Set<string>();
  const manifests = new Map<string, import('./manifest.js').ManifestFile>();
  for (const s of snapshots) {
    lists.add(io.keyFor(s['manifest-list']));
    for (const m of await readSnapshotManifests(io, s)) manifests.set(io.keyFor(m.manifestPath), m);
  }
  const files = new Set<string>();
  const all = [...manifests.values()];
  const entries = await mapLimit(all, 16, (m) => readManifestEntries(io, md, m));
  for (const es of entries) for (const e of es) if (!liveOnly || e.status !== EntryStatus.DELETED) files.add(io.keyFor(e.dataFile.filePath));
  return { lists, manifests: new Set(manifests.keys()), files };
}

export interface ExpireOptions {
  /** Expire snapshots older than this (ms since epoch). Default: 5 days ago. */
  olderThan?: number;
  /** Always keep at least this many of the newest snapshots of the current history. Default 1. */
  retainLast?: number;
  dryRun?: boolean;
}

export interface ExpireResult {
  state: TableState;
  metrics: { expiredSnapshots: number; deletedDataFiles: number; deletedDeleteFiles: number; deletedManifests: number; deletedManifestLists: number };
  expiredSnapshotIds: bigint[];
  /** Keys deleted (or, in a dry run, that would be deleted). */
  deleted: string[];
}

export async function expireSnapshots(table: Table, options: ExpireOptions = {}): Promise<ExpireResult> {
  await table.refresh();
  const olderThan = options.olderThan ?? Date.now() - 5 * 86_400_000;
  const retainLast = Math.max(1, options.retainLast ?? 1);
  const pick = (md: TableMetadata): bigint[] => {
    const keep = new Set<bigint>();
    for (const r of Object.values(md.refs)) keep.add(r['snapshot-id']);
    for (const s of ancestors(md, currentSnapshot(md)?.['snapshot-id']).slice(0, retainLast)) keep.add(s['snapshot-id']);
    return md.snapshots.filter((s) => !keep.has(s['snapshot-id']) && s['timestamp-ms'] < olderThan).map((s) => s['snapshot-id']);
  };
  const before = table.metadata;
  const expiredIds = pick(before);
  const io = table.io;
  const expiredSnaps = before.snapshots.filter((s) => expiredIds.includes(s['snapshot-id']));
  const empty = { expiredSnapshots: 0, deletedDataFiles: 0, deletedDeleteFiles: 0, deletedManifests: 0, deletedManifestLists: 0 };
  if (expiredIds.length === 0) return { state: table.state, metrics: empty, expiredSnapshotIds: [], deleted: [] };

  let after = before;
  if (!options.dryRun) {
    await table.commitUpdates((base) => {
      const ids = pick(base.metadata).filter((id) => expiredIds.includes(id));
      return { updates: [{ action: 'remove-snapshots', 'snapshot-ids': ids }] };
    });
    after = table.metadata;
  } else {
    after = { ...before, snapshots: before.snapshots.filter((s) => !expiredIds.includes(s['snapshot-id'])) };
  }
  // What the surviving snapshots (of the metadata that won) still use.
  const keep = await reachable(io, after, after.snapshots, true);
  const gone = await reachable(io, before, expiredSnaps, false);
  const kinds = new Map<string, number>();
  for (const s of expiredSnaps) {
    for (const m of await readSnapshotManifests(io, s)) for (const e of await readManifestEntries(io, before, m)) kinds.set(io.keyFor(e.dataFile.filePath), e.dataFile.content);
  }
  const files = [...gone.files].filter((k) => !keep.files.has(k));
  const manifests = [...gone.manifests].filter((k) => !keep.manifests.has(k));
  const lists = [...gone.lists].filter((k) => !keep.lists.has(k));
  const deleted = [...files, ...manifests, ...lists];
  if (!options.dryRun) await io.store.deleteMany(deleted);
  return {
    state: table.state,
    expiredSnapshotIds: expiredIds,
    deleted,
    metrics: {
      expiredSnapshots: expiredIds.length,
      deletedDataFiles: files.filter((k) => (kinds.get(k) ?? 0) === 0).length,
      deletedDeleteFiles: files.filter((k) => (kinds.get(k) ?? 0) !== 0).length,
      deletedManifests: manifests.length,
      deletedManifestLists: lists.length,
    },
  };
}

export interface OrphanOptions {
  /** Only files last modified before this time (ms since epoch). Default: 3 days ago. */
  olderThan?: number;
  dryRun?: boolean;
}

export interface OrphanResult {
  state: TableState;
  orphans: string[];
  metrics: { filesScanned: number; orphanFiles: number; orphanBytes: number; reachableFiles: number };
}

export const ORPHAN_MIN_AGE_MS = 3 * 86_400_000;

export async function removeOrphanFiles(table: Table, options: OrphanOptions = {}): Promise<OrphanResult> {
  await table.refresh();
  const olderThan = options.olderThan ?? Date.now() - ORPHAN_MIN_AGE_MS;
  const io = table.io;
  const md = table.metadata;
  // Reachable: the current metadata file and every version in its log, with all they reference.
  const reach = new Set<string>([table.state.metadataKey, io.key(VERSION_HINT), io.key('registration.json')]);
  const versions: TableMetadata[] = [md];
  for (const e of md['metadata-log']) {
    let key: string;
    try {
      key = io.keyFor(e['metadata-file']);
    } catch {
      continue;
    }
    reach.add(key);
    try {
      versions.push(parseTableMetadata(new TextDecoder().decode(await io.store.get(key)), e['metadata-file']));
    } catch (err) {
      if (!isLakehouseError(err, 'NOT_FOUND')) throw err;
    }
  }
  const snaps = new Map<string, { snap: Snapshot; md: TableMetadata }>();
  for (const v of versions) for (const s of v.snapshots) snaps.set(s['manifest-list'], { snap: s, md: v });
  for (const { snap, md: v } of snaps.values()) {
    let r;
    try {
      r = await reachable(io, v, [snap], false);
    } catch (err) {
      // Files of an expired snapshot of an old version may already be gone.
      if (isLakehouseError(err, 'NOT_FOUND')) continue;
      throw err;
    }
    for (const k of [...r.lists, ...r.manifests, ...r.files]) reach.add(k);
  }
  const orphans: string[] = [];
  let scanned = 0;
  let bytes = 0;
  for await (const o of io.store.list(io.key(''))) {
    scanned++;
    if (reach.has(o.key)) continue;
    const name = o.key.slice(o.key.lastIndexOf('/') + 1);
    // Metadata versions are never orphans: a newer one is a concurrent commit, and an older one
    // must stay so that a writer holding a stale state loses putIfAbsent(v{N+1}) instead of
    // re-creating a deleted version and forking the history.
    if (metadataVersionOf(name) !== undefined) continue;
    if (o.lastModified.getTime() >= olderThan) continue;
    orphans.push(o.key);
    bytes += o.size;
  }
  if (!options.dryRun && orphans.length) await io.store.deleteMany(orphans);
  return { state: table.state, orphans, metrics: { filesScanned: scanned, orphanFiles: orphans.length, orphanBytes: bytes, reachableFiles: reach.size } };
}
