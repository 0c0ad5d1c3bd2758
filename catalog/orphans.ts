/**
 * Orphan-file removal: deletes files under a table's location that nothing can need any more —
 * leftovers of writers that crashed or lost a commit, stale in-flight markers, and `.lake-tmp-*`
 * files of killed processes.
 *
 * A file is deleted only if ALL of these hold:
 *  (a) no snapshot of ANY metadata version present in the store reaches it (every
 *      `vN.metadata.json` / numbered version is read, not only the newest one's metadata log; a
 *      version newer than the one loaded is a concurrent commit and counts too);
 *  (b) no live in-flight marker (catalog/inflight.ts) claims it;
 *  (c) the caller's `protect` predicate (the engine passes the run ledger's unsettled runs)
 *      does not claim it;
 *  (d) it is older than the age threshold (default and floor: ORPHAN_MIN_AGE_MS, one day);
 *  (e) it is not a metadata JSON version, the version hint or registration.json.
 *
 * Why the order of the steps is safe. The steps are: (1) list the table's files; (2) read the
 * in-flight markers (and the caller's protections); (3) list and read every metadata version;
 * (4) compute reachability; (5) delete. A writer creates its marker before its first file and
 * deletes it only after the commit that references its files is durable (or after deleting
 * them). Take any file F seen in (1): its writer's marker existed before F did, so before (1).
 * If the marker is still there at (2), F is protected. If it is gone at (2), the writer's
 * commit was durable before (2), hence before (3), so (3) sees the version that references F
 * (or F's writer gave up, and F is garbage). A file written after (1) is not a candidate at all.
 * Reading markers after metadata instead would open a window: a commit landing between (3) and
 * (2) would have removed its marker and not be seen in the metadata read.
 *
 * The age floor is the second line of defence, for writers that do not (yet) write markers: a
 * day is longer than any write's commit budget (commit.retry.total-timeout-ms, 120 s by default)
 * and the marker lease (INFLIGHT_LEASE_MS, 10 min). Below it the call is refused unless
 * `forceUnsafeAge`; even then (a), (b), (c) and (e) hold. Temporary files carry no token, so a
 * live put's temp file can only be told apart by age: they are never removed younger than
 * TEMP_MIN_AGE_MS, whatever the threshold.
 *
 * A table whose newest metadata lists a snapshot that cannot be read is refused (see
 * reachability.ts): it must never report "0 orphans" and delete what it could not enumerate.
 */

import { LakehouseError } from '../connectors/errors.js';
import type { ObjectMeta, ObjectStore } from '../connectors/object-store.js';
import type { TableState } from './commit.js';
import { INFLIGHT_DIR, listInflight, protectedByInflight } from './inflight.js';
import { mapLimit } from './manifest-io.js';
import { reachLatest, type SkippedRead } from './reachability.js';
import type { Table } from './table.js';
import { metadataVersionOf, VERSION_HINT } from './table-io.js';

/** Default and minimum age of a file orphan removal may delete (see the module header). */
export const ORPHAN_MIN_AGE_MS = 86_400_000;
/** `.lake-tmp-*` files younger than this are never removed, even with `forceUnsafeAge`. */
export const TEMP_MIN_AGE_MS = 3_600_000;

/** The optional temp-file methods of local stores (connectors adds them; absent elsewhere). */
export type TempAwareStore = ObjectStore & {
  listTemporary?(prefix: string): AsyncIterable<ObjectMeta>;
  deleteTemporary?(key: string): Promise<void>;
};

/** Why a key must be kept (a short reason), or undefined when the caller does not protect it. */
export type ProtectPredicate = (key: string) => string | undefined;

export interface OrphanOptions {
  /** Only files last modified before this time (ms since epoch). Default: now − 1 day. */
  olderThan?: number;
  /** Allow a threshold younger than ORPHAN_MIN_AGE_MS (a warning is reported). Referenced and in-flight files stay safe. */
  forceUnsafeAge?: boolean;
  dryRun?: boolean;
  /** Extra protection from a higher layer (e.g. the run ledger), loaded at step (2). */
  protect?: () => Promise<ProtectPredicate>;
  /** Receives warnings (default: printed on stderr). */
  onWarning?: (message: string) => void;
}

export interface FileInfo {
  key: string;
  size: number;
  lastModifiedMs: number;
  /** For protected files: what protects them. */
  reason?: string;
}

export interface OrphanResult {
  state: TableState;
  /** Deleted (or, in a dry run, would be deleted): orphans and stale markers. */
  orphans: string[];
  /** `.lake-tmp-*` leftovers deleted (or would be). */
  tempFiles: string[];
  /** Unreferenced files younger than the threshold: kept, so a user can see them. */
  recent: FileInfo[];
  /** Unreferenced files a live in-flight marker or an unsettled run protects. */
  protectedFiles: FileInfo[];
  /** Files of old metadata versions' snapshots that could not be read (already expired). */
  skipped: SkippedRead[];
  olderThan: number;
  metrics: {
    filesScanned: number;
    orphanFiles: number;
    orphanBytes: number;
    reachableFiles: number;
    recentFiles: number;
    recentBytes: number;
    protectedFiles: number;
    staleMarkers: number;
    tempFiles: number;
    tempBytes: number;
  };
}

/** Checks a threshold against the floor; returns a warning to report, or throws INVALID_ARGUMENT. */
export function checkOrphanAge(olderThan: number, options: { forceUnsafeAge?: boolean; dryRun?: boolean; nowMs?: number }): string | undefined {
  const now = options.nowMs ?? Date.now();
  if (!Number.isFinite(olderThan)) {
    throw new LakehouseError('INVALID_ARGUMENT', `olderThan must be a time in ms since the epoch, got ${olderThan}`, { help: 'Pass e.g. Date.now() - 7 * 86_400_000.' });
  }
  const age = now - olderThan;
  if (age >= ORPHAN_MIN_AGE_MS) return undefined;
  const what = age <= 0 ? `a cutoff at or after now (${new Date(olderThan).toISOString()})` : `an age of ${fmtAge(age)}`;
  if (!options.forceUnsafeAge && !options.dryRun) {
    throw new LakehouseError('INVALID_ARGUMENT', `refusing to remove orphan files with ${what}: the minimum is 1 day, because a younger file may belong to a write that has not committed yet`, {
      help: 'Use --older-than 1d or more (library: olderThan ≤ Date.now() - ORPHAN_MIN_AGE_MS). Only when no writer without in-flight markers can be running, pass --force-unsafe-age (library: forceUnsafeAge: true).',
      details: { olderThan, minimumAgeMs: ORPHAN_MIN_AGE_MS },
    });
  }
  if (options.dryRun && !options.forceUnsafeAge) return undefined;
  return `--force-unsafe-age: removing orphans with ${what}, below the 1-day floor; referenced files and files of live in-flight writes are still kept, but a writer that does not write in-flight markers may lose files`;
}

function fmtAge(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export async function removeOrphanFiles(table: Table, options: OrphanOptions = {}): Promise<OrphanResult> {
  const startedAt = Date.now();
  const olderThan = options.olderThan ?? startedAt - ORPHAN_MIN_AGE_MS;
  const warning = checkOrphanAge(olderThan, { ...options, nowMs: startedAt });
  if (warning) (options.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)))(warning);
  // Deleting in another warehouse's table (a read-only registration) is a write.
  if (!options.dryRun) table.assertWritable();
  const io = table.io;
  const store = io.store as TempAwareStore;
  const prefix = io.key('');

  // (1) The table's files, and temporary leftovers.
  const listed: ObjectMeta[] = [];
  for await (const o of store.list(prefix)) listed.push(o);
  const temps: ObjectMeta[] = [];
  if (store.listTemporary) for await (const o of store.listTemporary(prefix)) temps.push(o);

  // (2) Live markers and the caller's protections, read after the listing.
  const markers = await listInflight(store, io.root);
  const liveMarkerKeys = new Set(markers.live.map((m) => m.key));
  const staleMarkerKeys = new Set(markers.stale.map((m) => m.key));
  const protect = options.protect ? await options.protect() : undefined;

  // (3) + (4) Every metadata version, then what they reach. The newest one must be fully readable.
  const { reach, newest } = await reachLatest(io);
  if (!newest) {
    throw new LakehouseError('TABLE_NOT_FOUND', `no metadata version found under ${io.location}; refusing to treat every file as an orphan`, {
      help: 'Check the warehouse and table name (lake table list).',
    });
  }
  const keep = new Set([io.key(VERSION_HINT), io.key('registration.json')]);

  // (5) Classify, then delete.
  const orphans: string[] = [];
  const recent: FileInfo[] = [];
  const protectedFiles: FileInfo[] = [];
  let orphanBytes = 0;
  let staleMarkers = 0;
  const markerPrefix = io.key(`${INFLIGHT_DIR}/`);
  for (const o of listed) {
    if (reach.has(o.key) || keep.has(o.key)) continue;
    const name = o.key.slice(o.key.lastIndexOf('/') + 1);
    // Metadata versions are never orphans: a newer one is a concurrent commit, and an older one
    // must stay so that a writer holding a stale state loses putIfAbsent(v{N+1}) instead of
    // re-creating a deleted version and forking the history.
    if (metadataVersionOf(name) !== undefined) continue;
    const info: FileInfo = { key: o.key, size: o.size, lastModifiedMs: o.lastModified.getTime() };
    const isMarker = o.key.startsWith(markerPrefix);
    if (isMarker) {
      // A live marker, or one that appeared after (2): it protects a write; never delete it.
      if (liveMarkerKeys.has(o.key) || !staleMarkerKeys.has(o.key)) continue;
    } else {
      const byMarker = protectedByInflight(markers.live, o.key);
      const byCaller = byMarker ? undefined : protect?.(o.key);
      if (byMarker || byCaller) {
        protectedFiles.push({ ...info, reason: byMarker ? `in-flight ${byMarker.kind} write (marker ${byMarker.id})` : byCaller! });
        continue;
      }
    }
    if (info.lastModifiedMs >= olderThan) {
      recent.push(info);
      continue;
    }
    orphans.push(o.key);
    orphanBytes += o.size;
    if (isMarker) staleMarkers++;
  }
  const tempCutoff = Math.min(olderThan, startedAt - TEMP_MIN_AGE_MS);
  const tempFiles: string[] = [];
  let tempBytes = 0;
  for (const o of temps) {
    if (o.lastModified.getTime() >= tempCutoff) {
      recent.push({ key: o.key, size: o.size, lastModifiedMs: o.lastModified.getTime(), reason: 'temporary file of a put that may still be running' });
      continue;
    }
    tempFiles.push(o.key);
    tempBytes += o.size;
  }
  // A candidate listed in (1) may have been deleted since by its own writer (a commit cleans up
  // its lost attempts after it wins); check so the report counts only what this run removed.
  // This is for the report only: safety comes from (1)-(4), not from this check.
  const present = await mapLimit(orphans, 16, async (k) => (await store.head(k)) !== undefined);
  for (let i = orphans.length - 1; i >= 0; i--) {
    if (present[i]) continue;
    orphanBytes -= listed.find((o) => o.key === orphans[i])?.size ?? 0;
    if (orphans[i]!.startsWith(markerPrefix)) staleMarkers--;
    orphans.splice(i, 1);
  }
  if (!options.dryRun) {
    if (orphans.length) await store.deleteMany(orphans);
    for (const k of tempFiles) await store.deleteTemporary?.(k);
  }
  await table.refresh();
  return {
    state: table.state,
    orphans,
    tempFiles,
    recent,
    protectedFiles,
    skipped: reach.skipped,
    olderThan,
    metrics: {
      filesScanned: listed.length,
      orphanFiles: orphans.length,
      orphanBytes,
      reachableFiles: reach.keys.size,
      recentFiles: recent.length,
      recentBytes: recent.reduce((n, f) => n + f.size, 0),
      protectedFiles: protectedFiles.length,
      staleMarkers,
      tempFiles: tempFiles.length,
      tempBytes,
    },
  };
}
