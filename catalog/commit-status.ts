/**
 * "Did my commit land?" answered from the table itself. Every snapshot the engine writes carries
 * `lake.commit-id` (writer-chosen, unique per commit) and, when the caller gave one,
 * `lake.idempotency-key`. A writer that ended with COMMIT_STATE_UNKNOWN (or died) looks its id up
 * here before retrying.
 *
 * Answers:
 * - `committed`: a snapshot of the current metadata carries the id (`expired: false`), or only an
 *   older metadata version in the metadata log does (its snapshot was expired since: the commit
 *   happened, `expired: true`).
 * - `not-committed`: no snapshot carries it. This is final once the table's version is past every
 *   version the writer tried (`COMMIT_STATE_UNKNOWN` reports that as `details.attemptedVersion`):
 *   a metadata version is created only once, so a delayed write can no longer land.
 */

import { isLakehouseError } from '../connectors/errors.js';
import { parseTableMetadata, type Snapshot, type TableMetadata } from './spec/metadata.js';
import type { Table } from './table.js';

export type CommitStatus =
  | { status: 'committed'; snapshot: Snapshot; expired: boolean; tableVersion: number }
  | { status: 'not-committed'; tableVersion: number };

export type CommitLookup = { commitId: string } | { idempotencyKey: string };

function matches(s: Snapshot, q: CommitLookup): boolean {
  return 'commitId' in q ? s.summary['lake.commit-id'] === q.commitId : s.summary['lake.idempotency-key'] === q.idempotencyKey;
}

/** Finds the snapshot of the current metadata written by a commit (newest first). */
export function findCommitSnapshot(md: TableMetadata, q: CommitLookup): Snapshot | undefined {
  for (let i = md.snapshots.length - 1; i >= 0; i--) {
    const s = md.snapshots[i]!;
    if (matches(s, q)) return s;
  }
  return undefined;
}

export async function commitStatus(table: Table, q: CommitLookup): Promise<CommitStatus> {
  await table.refresh();
  const md = table.metadata;
  const tableVersion = table.version;
  const live = findCommitSnapshot(md, q);
  if (live) return { status: 'committed', snapshot: live, expired: false, tableVersion };
  // Expired since? Older metadata versions still list the snapshot.
  for (let i = md['metadata-log'].length - 1; i >= 0; i--) {
    const e = md['metadata-log'][i]!;
    let old: TableMetadata;
    try {
      const key = table.io.keyFor(e['metadata-file']);
      old = parseTableMetadata(new TextDecoder().decode(await table.io.store.get(key)), e['metadata-file']);
    } catch (err) {
      if (isLakehouseError(err, 'NOT_FOUND') || isLakehouseError(err, 'INVALID_METADATA')) continue;
      throw err;
    }
    const s = findCommitSnapshot(old, q);
    if (s) return { status: 'committed', snapshot: s, expired: true, tableVersion };
  }
  return { status: 'not-committed', tableVersion };
}
