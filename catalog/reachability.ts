/**
 * What a table's metadata reaches: every metadata version present in the store (not only the
 * ones in the newest version's metadata log), their snapshots, manifest lists, manifests and
 * data/delete files, as store keys. Used by orphan removal and expiry to decide what must stay.
 *
 * Error policy (why it differs per snapshot): a snapshot the newest metadata still lists (its
 * current snapshot, ref heads, retained history) is what readers read or can time-travel to.
 * If its manifest list or a manifest is missing
 * or corrupt we cannot know which files it needs, so the caller must refuse to delete anything
 * (`requireReadable`) — guessing would turn a broken table into a lost one. Files of snapshots
 * that only old metadata versions name (expired since) may already have been deleted by expiry;
 * those are recorded in `skipped` and their readable parts still count as reachable.
 *
 * Concurrency: read-only. A version created while this runs may or may not be seen; callers
 * order their steps (see orphans.ts) so that a missed version cannot matter.
 */

import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import { EntryStatus, type ManifestFile } from './manifest.js';
import { mapLimit, readManifestEntries, readSnapshotManifests } from './manifest-io.js';
import { currentSnapshot, parseTableMetadata, type Snapshot, type TableMetadata } from './spec/metadata.js';
import type { TableIO } from './table-io.js';

export interface MetadataVersion {
  version: number;
  key: string;
  metadata: TableMetadata;
}

export interface SkippedRead {
  /** The file that could not be read (store key or location). */
  file: string;
  snapshotId: bigint;
  reason: string;
}

const dec = new TextDecoder();

/**
 * Every metadata version in `metadata/` (listed, then probed upwards past the highest so a
 * version committed during the listing is included). A version file that disappeared between
 * list and read is skipped; one that cannot be parsed is an error (it may be the newest).
 */
export async function readAllVersions(io: TableIO): Promise<MetadataVersion[]> {
  const keys = await io.listVersions();
  let top = keys.size ? Math.max(...keys.keys()) : 0;
  while (await io.store.head(io.metadataKey(top + 1))) {
    top++;
    keys.set(top, io.metadataKey(top));
  }
  const out: MetadataVersion[] = [];
  const entries = [...keys].sort((a, b) => a[0] - b[0]);
  const read = await mapLimit(entries, 8, async ([version, key]) => {
    try {
      const bytes = await io.store.get(key);
      return { version, key, metadata: parseTableMetadata(dec.decode(bytes), io.store.uriFor(key)) };
    } catch (err) {
      if (isLakehouseError(err, 'NOT_FOUND')) return undefined;
      throw err;
    }
  });
  for (const v of read) if (v) out.push(v);
  return out;
}

/** Snapshots the metadata points readers at: the current one and every ref's head. */
export function headSnapshotIds(md: TableMetadata): Set<bigint> {
  const ids = new Set<bigint>();
  const cur = currentSnapshot(md);
  if (cur) ids.add(cur['snapshot-id']);
  for (const r of Object.values(md.refs ?? {})) ids.add(r['snapshot-id']);
  return ids;
}

function keyOrUndefined(io: TableIO, location: string): string | undefined {
  try {
    return io.keyFor(location);
  } catch {
    return undefined; // outside the table location: nothing of ours to keep or delete
  }
}

/** Accumulates reachable keys; manifests and lists are read once however many snapshots share them. */
export class Reach {
  readonly keys = new Set<string>();
  readonly skipped: SkippedRead[] = [];
  /** Content of each reached data/delete file (0 data, 1 position deletes, 2 equality deletes). */
  readonly contents = new Map<string, number>();
  private readonly lists = new Map<string, Promise<ManifestFile[]>>();
  private readonly manifests = new Map<string, Promise<Array<{ loc: string; content: number; deleted: boolean }>>>();

  /**
   * `liveOnly`: files of DELETED manifest entries do not count (what expiry keeps: a retained
   * snapshot that records a file's removal does not need the file). Orphan removal counts them.
   */
  constructor(readonly io: TableIO, readonly liveOnly = false) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /**
   * Adds a snapshot's manifest list, manifests and files. With `required`, an unreadable part
   * throws a coded error naming it (CORRUPT_FILE or INVALID_METADATA); otherwise it is recorded
   * in `skipped` and the rest is still added.
   */
  async addSnapshot(md: TableMetadata, snap: Snapshot, required: boolean): Promise<void> {
    const listKey = keyOrUndefined(this.io, snap['manifest-list']);
    if (listKey === undefined) return;
    this.keys.add(listKey);
    let manifests: ManifestFile[];
    try {
      let p = this.lists.get(listKey);
      if (!p) {
        p = readSnapshotManifests(this.io, snap);
        this.lists.set(listKey, p);
      }
      manifests = await p;
    } catch (err) {
      this.fail(snap, listKey, 'manifest list', err, required);
      return;
    }
    await mapLimit(manifests, 16, async (m) => {
      const mk = keyOrUndefined(this.io, m.manifestPath);
      if (mk === undefined) return;
      this.keys.add(mk);
      // Entries depend on the list entry (inheritance) but the file keys do not.
      let p = this.manifests.get(mk);
      if (!p) {
        p = readManifestEntries(this.io, md, m).then((es) => es.map((e) => ({ loc: e.dataFile.filePath, content: e.dataFile.content, deleted: e.status === EntryStatus.DELETED })));
        this.manifests.set(mk, p);
      }
      try {
        for (const f of await p) {
          if (f.deleted && this.liveOnly) continue;
          const k = keyOrUndefined(this.io, f.loc);
          if (k === undefined) continue;
          this.keys.add(k);
          this.contents.set(k, f.content);
        }
      } catch (err) {
        this.fail(snap, mk, 'manifest', err, required);
      }
    });
  }

  private fail(snap: Snapshot, key: string, what: string, err: unknown, required: boolean): void {
    const unreadable = isLakehouseError(err, 'NOT_FOUND') || isLakehouseError(err, 'CORRUPT_FILE') || isLakehouseError(err, 'INVALID_METADATA');
    if (!unreadable) throw err;
    const reason = isLakehouseError(err, 'NOT_FOUND') ? 'missing' : 'corrupt';
    if (!required) {
      this.skipped.push({ file: key, snapshotId: snap['snapshot-id'], reason });
      return;
    }
    throw unreadableSnapshot(snap, key, what, reason, err);
  }
}

export function unreadableSnapshot(snap: Snapshot, key: string, what: string, reason: string, cause?: unknown): LakehouseError {
  const id = snap['snapshot-id'];
  return new LakehouseError(reason === 'missing' ? 'INVALID_METADATA' : 'CORRUPT_FILE', `snapshot ${id} cannot be read: its ${what} ${key} is ${reason}; refusing to delete anything, because which files it needs is unknown`, {
    cause,
    help: `Roll back or set-current to a readable snapshot (lake table history, then lake rollback <table> --set-current <id>), restore ${key}, or expire snapshot ${id} once it is no longer current; then run this again.`,
    details: { snapshotId: id, file: key, reason },
  });
}

/**
 * Reachability over every metadata version. Every snapshot of `requiredVersion` (the newest
 * metadata: its current snapshot, ref heads and retained history) must be readable; snapshots
 * only older versions name are best effort. Every metadata version key and every manifest-list
 * key named by any version are reachable even when unreadable.
 */
export async function reachAll(io: TableIO, versions: MetadataVersion[], requiredVersion: MetadataVersion | undefined, reach = new Reach(io)): Promise<Reach> {
  const seen = new Set<string>();
  if (requiredVersion) {
    const md = requiredVersion.metadata;
    // A ref to a snapshot the metadata does not list is broken metadata, not something to skip.
    for (const id of headSnapshotIds(md)) {
      if (!md.snapshots.some((s) => s['snapshot-id'] === id)) {
        throw new LakehouseError('INVALID_METADATA', `metadata ${requiredVersion.key} points a ref at snapshot ${id}, which it does not list; refusing to delete anything`, {
          help: 'Set main to a listed snapshot (lake rollback <table> --set-current <id>) and run this again.',
          details: { snapshotId: id, file: requiredVersion.key },
        });
      }
    }
    // Heads first, so a broken current snapshot fails before any other work.
    const heads = headSnapshotIds(md);
    const ordered = [...md.snapshots].sort((a, b) => Number(heads.has(b['snapshot-id'])) - Number(heads.has(a['snapshot-id'])));
    for (const s of ordered) {
      seen.add(s['manifest-list']);
      await reach.addSnapshot(md, s, true);
    }
  }
  for (const v of [...versions].reverse()) {
    reach.keys.add(v.key);
    for (const s of v.metadata.snapshots) {
      const lk = keyOrUndefined(io, s['manifest-list']);
      if (lk !== undefined) reach.keys.add(lk);
      if (seen.has(s['manifest-list'])) continue;
      seen.add(s['manifest-list']);
      await reach.addSnapshot(v.metadata, s, false);
    }
  }
  return reach;
}

/**
 * reachAll over the versions in the store now (`minVersion` and up, plus `include`), with the
 * newest one required. If a snapshot of the newest version cannot be read and a version
 * committed meanwhile no longer lists it (a concurrent expiry removed it and deleted its files
 * after we read the version), the versions are read again — still after the caller's marker
 * read, so the ordering argument holds — instead of refusing a healthy table. Bounded: a table
 * whose newest metadata really lists an unreadable snapshot is refused.
 */
export async function reachLatest(
  io: TableIO,
  options: { minVersion?: number; include?: MetadataVersion[]; liveOnly?: boolean } = {},
): Promise<{ reach: Reach; newest: MetadataVersion | undefined }> {
  const include = options.include ?? [];
  for (let attempt = 0; ; attempt++) {
    const stored = (await readAllVersions(io)).filter((v) => v.version >= (options.minVersion ?? 0) && !include.some((i) => i.version === v.version));
    const versions = [...include, ...stored].sort((a, b) => a.version - b.version);
    const newest = versions[versions.length - 1];
    try {
      return { reach: await reachAll(io, versions, newest, new Reach(io, options.liveOnly)), newest };
    } catch (err) {
      const id = isLakehouseError(err) ? err.details['snapshotId'] : undefined;
      if (attempt >= 3 || typeof id !== 'bigint' || !newest) throw err;
      const again = await readAllVersions(io);
      const top = again[again.length - 1];
      if (!top || top.version <= newest.version || top.metadata.snapshots.some((s) => s['snapshot-id'] === id)) throw err;
    }
  }
}
