/**
 * The commit protocol. One attempt: take the latest metadata (version N), let the operation
 * build its requirements and updates against it (writing any new manifests / manifest list),
 * check the requirements, apply the updates (pure), then `putIfAbsent(metadata/v{N+1})`.
 * Winning the put is the commit; the hint is then updated best-effort. Losing it means another
 * writer committed N+1 first: reload, and retry with backoff and jitter — the operation
 * re-validates against the winner (it may fail with COMMIT_CONFLICT) and rebuilds only
 * metadata. Bounded by `commit.retry.num-retries` and `commit.retry.total-timeout-ms`.
 *
 * Concurrency contract: safe with any number of writers in any number of processes sharing the
 * store, given the store's atomic putIfAbsent. Files written by attempts that did not win are
 * deleted (they are unreachable); if the put's outcome is unknown (an error after sending),
 * the loop reads v{N+1} back to decide, and deletes nothing when it cannot tell.
 */

import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import { applyUpdates, checkRequirements, type Requirement, type Update } from './spec/updates.js';
import { serializeTableMetadata, type TableMetadata } from './spec/metadata.js';
import type { TableIO } from './table-io.js';

/** Defaults; override per table with the Iceberg property names. */
export const COMMIT_DEFAULTS = {
  /** See docs/table-format.md: sized for tens of concurrent writers on one table. */
  numRetries: 50,
  minWaitMs: 20,
  maxWaitMs: 2_000,
  totalTimeoutMs: 120_000,
};

export interface TableState {
  io: TableIO;
  metadata: TableMetadata;
  /** The N of the metadata file this state was read from (0 before the table exists). */
  version: number;
  metadataKey: string;
  metadataLocation: string;
}

export interface AttemptResult {
  requirements: Requirement[];
  updates: Update[];
  /** Keys written for this attempt only (e.g. the manifest list): deleted if it does not win. */
  attemptFiles: string[];
}

export interface CommitOperation {
  /** Builds the commit against `base`; may throw COMMIT_CONFLICT after re-validation. */
  attempt(base: TableState, attemptNo: number): Promise<AttemptResult>;
  /** Keys written once and reused across attempts (new manifests). */
  sharedFiles(): string[];
  /** Of the shared files, those the winning metadata references (the rest are deleted). */
  usedSharedFiles(winner: AttemptResult): Set<string>;
}

export interface CommitStats {
  attempts: number;
  version: number;
  elapsedMs: number;
}

export interface CommitOptions {
  numRetries?: number;
  minWaitMs?: number;
  maxWaitMs?: number;
  totalTimeoutMs?: number;
  nowMs?: () => number;
}

function prop(md: TableMetadata, name: string, dflt: number): number {
  const v = Number(md.properties[name]);
  return Number.isFinite(v) && v >= 0 ? v : dflt;
}

export async function runCommit(
  load: () => Promise<TableState>,
  initial: TableState,
  op: CommitOperation,
  options: CommitOptions = {},
): Promise<{ state: TableState; stats: CommitStats }> {
  const started = Date.now();
  const md0 = initial.metadata;
  const numRetries = options.numRetries ?? prop(md0, 'commit.retry.num-retries', COMMIT_DEFAULTS.numRetries);
  const minWait = options.minWaitMs ?? prop(md0, 'commit.retry.min-wait-ms', COMMIT_DEFAULTS.minWaitMs);
  const maxWait = options.maxWaitMs ?? prop(md0, 'commit.retry.max-wait-ms', COMMIT_DEFAULTS.maxWaitMs);
  const budget = options.totalTimeoutMs ?? prop(md0, 'commit.retry.total-timeout-ms', COMMIT_DEFAULTS.totalTimeoutMs);
  const now = options.nowMs ?? Date.now;
  let base = initial;
  const staleAttemptFiles: string[] = [];
  const io = initial.io;
  const cleanup = async (keys: string[]): Promise<void> => {
    if (keys.length === 0) return;
    try {
      await io.store.deleteMany(keys);
    } catch {
      // Best effort: leftovers are unreachable and removeOrphanFiles collects them.
    }
  };

  for (let attemptNo = 0; ; attemptNo++) {
    let result: AttemptResult;
    try {
      result = await op.attempt(base, attemptNo);
      checkRequirements(base.metadata, result.requirements);
    } catch (err) {
      await cleanup([...staleAttemptFiles, ...op.sharedFiles()]);
      throw err;
    }
    const next = applyUpdates(base.metadata, result.updates, { nowMs: now(), baseMetadataLocation: base.version > 0 ? base.metadataLocation : undefined });
    const version = base.version + 1;
    const key = io.metadataKey(version);
    const bytes = new TextEncoder().encode(serializeTableMetadata(next));
    let won: boolean;
    try {
      won = await io.store.putIfAbsent(key, bytes, { contentType: 'application/json' });
    } catch (err) {
      try {
        won = await resolveUnknownOutcome(io, key, bytes, err);
      } catch (e) {
        // Known not written: our files are unreachable. Unknown: leave everything in place.
        if (isLakehouseError(e) && e.details.outcomeUnknown === false) await cleanup([...staleAttemptFiles, ...result.attemptFiles, ...op.sharedFiles()]);
        throw e;
      }
    }
    if (won) {
      const used = op.usedSharedFiles(result);
      await cleanup([...staleAttemptFiles, ...op.sharedFiles().filter((k) => !used.has(k))]);
      try {
        await io.writeHint(version);
      } catch {
        // The hint is only a starting point for readers, who probe past it.
      }
      const state: TableState = { io, metadata: next, version, metadataKey: key, metadataLocation: io.store.uriFor(key) };
      return { state, stats: { attempts: attemptNo + 1, version, elapsedMs: Date.now() - started } };
    }
    staleAttemptFiles.push(...result.attemptFiles);
    const elapsed = Date.now() - started;
    if (attemptNo >= numRetries || elapsed >= budget) {
      await cleanup([...staleAttemptFiles, ...op.sharedFiles()]);
      throw new LakehouseError('COMMIT_FAILED', `commit lost the race for metadata version ${version} ${attemptNo + 1} times in ${elapsed} ms`, {
        help: 'Too many concurrent writers on this table: retry later, or raise commit.retry.num-retries / commit.retry.total-timeout-ms.',
        details: { attempts: attemptNo + 1, elapsedMs: elapsed },
      });
    }
    // Full jitter: spreads racing writers so that the next round has one clear winner.
    const cap = Math.min(maxWait, minWait * 2 ** Math.min(attemptNo, 16));
    const wait = Math.min(Math.random() * cap, Math.max(0, budget - elapsed));
    await new Promise((r) => setTimeout(r, wait));
    base = await load();
  }
}

/**
 * The put failed with an error: the object may or may not have been written (a lost response).
 * Read it back: our exact bytes mean we won; other bytes or no object mean we did not. If even
 * the read fails, the outcome is unknown and nothing may be cleaned up.
 */
async function resolveUnknownOutcome(io: TableIO, key: string, bytes: Uint8Array, err: unknown): Promise<boolean> {
  let existing: Uint8Array | undefined;
  try {
    existing = await io.store.get(key);
  } catch (readErr) {
    if (isLakehouseError(readErr, 'NOT_FOUND')) throw commitUnknown(key, err, false);
    throw commitUnknown(key, readErr, true);
  }
  return Buffer.from(existing).equals(Buffer.from(bytes));
}

function commitUnknown(key: string, cause: unknown, unknown: boolean): LakehouseError {
  return new LakehouseError('COMMIT_FAILED', unknown ? `commit outcome unknown: writing ${key} failed and it could not be read back` : `writing ${key} failed: ${(cause as Error)?.message ?? cause}`, {
    cause,
    help: unknown
      ? 'Reload the table and check whether the snapshot (by lake.run-id) was committed before retrying.'
      : 'The store rejected the metadata write; check connectivity and permissions, then retry.',
    details: { key, outcomeUnknown: unknown },
  });
}
