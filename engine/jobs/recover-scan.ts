/**
 * What the output table says about a run, for recovery: whether a snapshot of the run exists (in
 * the current metadata or only in older metadata versions, i.e. expired since), which files of
 * the run exist in the table's data directory, and which files any snapshot references.
 *
 * Read-only. Every function either answers from what it read or throws: a table, manifest list
 * or manifest of the current metadata that cannot be read is an error (the caller then deletes
 * nothing), never "not referenced".
 */

import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import { parseTableMetadata, readManifestEntries, readSnapshotManifests, type Snapshot, type Table, type TableMetadata, type Warehouse } from '../../catalog/index.js';
import { splitName } from '../write/target.js';

/** The run's snapshot: `lake.run-id` or `lake.commit-id` equal to the run id. */
export interface RunSnapshot {
  snapshotId: string;
  /** Found only in an older metadata version: the snapshot was expired since. */
  expired: boolean;
  /** The metadata version where it was found (0 = current). */
  metadataFile?: string;
}

const byRun = (runId: string) => (s: Snapshot): boolean => s.summary['lake.run-id'] === runId || s.summary['lake.commit-id'] === runId;

/** The output table, or undefined if it does not exist (a CREATE TABLE that never committed). */
export async function loadOutputTable(warehouse: Warehouse, name: string): Promise<Table | undefined> {
  try {
    return await warehouse.loadTable(name);
  } catch (err) {
    if (isLakehouseError(err, 'TABLE_NOT_FOUND') || isLakehouseError(err, 'NAMESPACE_NOT_FOUND')) return undefined;
    throw err;
  }
}

/** Older metadata versions listed in the current metadata's log, newest first; unreadable ones skipped. */
async function* olderVersions(table: Table): AsyncGenerator<{ file: string; md: TableMetadata }> {
  const log = table.metadata['metadata-log'];
  for (let i = log.length - 1; i >= 0; i--) {
    const file = log[i]!['metadata-file'];
    try {
      const key = table.io.keyFor(file);
      yield { file, md: parseTableMetadata(new TextDecoder().decode(await table.io.store.get(key)), file) };
    } catch (err) {
      // Expiry may have removed old metadata files; a damaged one tells nothing either way.
      if (isLakehouseError(err, 'NOT_FOUND') || isLakehouseError(err, 'INVALID_METADATA') || isLakehouseError(err, 'INVALID_ARGUMENT')) continue;
      throw err;
    }
  }
}

/** Finds the run's snapshot in the current metadata, else in older metadata versions. */
export async function findRunSnapshot(table: Table, runId: string): Promise<RunSnapshot | undefined> {
  const live = table.metadata.snapshots.find(byRun(runId));
  if (live) return { snapshotId: String(live['snapshot-id']), expired: false };
  for await (const v of olderVersions(table)) {
    const s = v.md.snapshots.find(byRun(runId));
    if (s) return { snapshotId: String(s['snapshot-id']), expired: true, metadataFile: v.file };
  }
  return undefined;
}

/**
 * Every file (data or delete file) referenced by a snapshot of the table, as store keys and as
 * locations, mapped to the oldest snapshot that references it. Every snapshot of the current
 * metadata is read (refs point into that list) and must be readable; snapshots of older
 * metadata versions are read too where their manifests still exist, so that a file any
 * version of the table can reach is never called unreferenced.
 */
export async function referencedFiles(table: Table): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const seenManifests = new Set<string>();
  const md = table.metadata;
  for (const [name, ref] of Object.entries(md.refs)) {
    if (!md.snapshots.some((s) => s['snapshot-id'] === ref['snapshot-id'])) {
      throw new LakehouseError('INTERNAL', `ref "${name}" of table ${table.metadata.location} points at snapshot ${ref['snapshot-id']}, which the metadata does not list`, {
        help: 'The table metadata is inconsistent; recovery deletes nothing until it is repaired.',
      });
    }
  }
  const add = async (v: TableMetadata, s: Snapshot): Promise<void> => {
    for (const m of await readSnapshotManifests(table.io, s)) {
      if (seenManifests.has(m.manifestPath)) continue;
      seenManifests.add(m.manifestPath);
      for (const e of await readManifestEntries(table.io, v, m)) {
        const loc = e.dataFile.filePath;
        const sid = String(s['snapshot-id']);
        if (!out.has(loc)) out.set(loc, sid);
        try {
          const key = table.io.keyFor(loc);
          if (!out.has(key)) out.set(key, sid);
        } catch {
          // A location outside this store cannot be one of the run's keys; the location is kept.
        }
      }
    }
  };
  for (const s of [...md.snapshots].sort((a, b) => a['sequence-number'] - b['sequence-number'])) await add(md, s);
  for await (const v of olderVersions(table)) {
    for (const s of v.md.snapshots) {
      try {
        await add(v.md, s);
      } catch (err) {
        // An expired snapshot's manifest list or manifests may be gone already.
        if (!isLakehouseError(err, 'NOT_FOUND')) throw err;
      }
    }
  }
  return out;
}

/**
 * The run's files in the output table's data directory: names start with `<run-id>-`
 * (engine/write/sink.ts). Lists the loaded table's data directory and, for a table created by
 * the run (CREATE TABLE … AS: staged before the table existed), the warehouse's default location.
 */
export async function listRunFiles(warehouse: Warehouse, tableName: string, table: Table | undefined, runId: string): Promise<string[]> {
  const prefixes = new Set<string>();
  if (table) prefixes.add(table.io.key('data/'));
  try {
    const [ns, t] = splitName(tableName);
    prefixes.add(`${ns}/${t}/data/`);
  } catch {
    // Not a two-part name: only the table's own directory is searched.
  }
  const out = new Set<string>();
  for (const prefix of prefixes) {
    for await (const o of warehouse.store.list(prefix)) {
      const base = o.key.slice(o.key.lastIndexOf('/') + 1);
      if (base.startsWith(`${runId}-`)) out.add(o.key);
    }
  }
  return [...out].sort();
}

/** Is a store key referenced (as a key or as its location)? The snapshot id, if so. */
export function referencedBy(refs: Map<string, string>, warehouse: Warehouse, key: string): string | undefined {
  return refs.get(key) ?? refs.get(warehouse.store.uriFor(key));
}
