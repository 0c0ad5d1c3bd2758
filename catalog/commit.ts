/**
 * The commit protocol. One attempt: take the latest metadata (version N), let the operation
 * build its requirements and updates against it (writing any new manifests / manifest list),
 * check the requirements, apply the updates (pure), then `putIfAbsent(metadata/v{N+1})`.
 * Winning the put is the commit; the hint is then updated best-effort. Losing it means another
 * writer committed N+1 first: reload, and retry with backoff and jitter — the operation
 * re-validates against the winner (it may fail with COMMIT_CONFLICT) and rebuilds only
 * metadata. Bounded by `commit.retry.num-retries` and `commit.retry.total-timeout-ms`.
 *
 * An outcome is known or unknown, never guessed (docs/table-format.md, "Commit outcomes"):
 * - the put answered "created" → committed;
 * - the put answered "exists", or failed, and reading v{N+1} back gives our exact bytes →
 *   committed (an earlier try landed and its answer was lost);
 * - v{N+1} holds other bytes → lost this round: definite, so the attempt's files are deleted
 *   and the loop retries against the winner;
 * - v{N+1} is absent after a failed put → we put the same bytes again (v{N+1} is still ours to
 *   take: nobody else holds it), until one of the answers above or the settle budget is spent;
 * - the store cannot be read or written until the budget is spent → COMMIT_STATE_UNKNOWN: the
 *   put may still land (a delayed request), so nothing the commit wrote is deleted and its
 *   in-flight marker stays; the error names the commit id and the version it tried, and
 *   `commitStatus` answers later from the table itself;
 * - a definite refusal from the store (access denied, bad credentials) → COMMIT_FAILED, cleaned.
 * After a lost round, a reloaded base that already contains this commit's snapshot means an
 * earlier round landed after all: committed, and nothing is cleaned up.
 *
 * Concurrency contract: safe with any number of writers in any number of processes sharing the
 * store, given the store's atomic putIfAbsent. While a commit with a `commitId` runs, an
 * in-flight marker (catalog/inflight.ts) protects the files it writes from orphan removal.
 */

import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import { applyUpdates, checkRequirements, type Requirement, type Update } from './spec/updates.js';
import { serializeTableMetadata, type TableMetadata } from './spec/metadata.js';
import type { TableIO } from './table-io.js';
import { InflightWrite } from './inflight.js';

/** Defaults; override per table with the Iceberg property names. */
export const COMMIT_DEFAULTS = {
  /** See docs/table-format.md: sized for tens of concurrent writers on one table. */
  numRetries: 50,
  minWaitMs: 20,
  maxWaitMs: 2_000,
  totalTimeoutMs: 120_000,
  /**
   * How long an unsettled metadata write is re-read / re-put before the outcome is declared
   * unknown (table property `commit.status-check.total-timeout-ms`, Iceberg's name).
   */
  settleTimeoutMs: 60_000,
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
  /**
   * The writer-chosen id of this commit (`lake.commit-id`); the names of the files it writes
   * carry it, and an in-flight marker with it as token protects them while the commit runs.
   */
  readonly commitId?: string;
  /** Does `md` already contain this commit (e.g. its snapshot id)? */
  landedIn?(md: TableMetadata): boolean;
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
  /** Budget for settling an unanswered metadata write (default COMMIT_DEFAULTS.settleTimeoutMs). */
  settleTimeoutMs?: number;
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
  const settleBudget = options.settleTimeoutMs ?? prop(md0, 'commit.status-check.total-timeout-ms', COMMIT_DEFAULTS.settleTimeoutMs);
  const now = options.nowMs ?? Date.now;
  const io = initial.io;
  const marker = op.commitId
    ? await InflightWrite.begin(io.store, io.root, { tokens: [op.commitId], kind: 'commit' }).catch((err: unknown) => { throw notCommitted(err, op.commitId); })
    : undefined;
  let base = initial;
  const staleAttemptFiles: string[] = [];
  let staleReloads = 0;
  /** Deletes files no metadata can reference (a definite loss) and ends the marker. */
  const giveUp = async (keys: string[]): Promise<void> => {
    if (keys.length > 0) {
      try {
        await io.store.deleteMany(keys);
      } catch {
        // Best effort: leftovers are unreachable and removeOrphanFiles collects them.
      }
    }
    await marker?.end();
  };

  for (let attemptNo = 0; ; attemptNo++) {
    let result: AttemptResult;
    try {
      result = await op.attempt(base, attemptNo);
      checkRequirements(base.metadata, result.requirements);
      marker?.assertFresh();
    } catch (err) {
      // A stale base (a Table object held across other processes' commits) may name files that
      // expiry has since deleted: reload and build on the newest version instead of failing.
      if (isLakehouseError(err, 'NOT_FOUND') && staleReloads < 5) {
        const fresh = await load().catch(() => undefined);
        if (fresh && fresh.version > base.version) {
          staleReloads++;
          base = fresh;
          continue;
        }
      }
      await giveUp([...staleAttemptFiles, ...op.sharedFiles()]);
      throw notCommitted(err, op.commitId);
    }
    const next = applyUpdates(base.metadata, result.updates, { nowMs: now(), baseMetadataLocation: base.version > 0 ? base.metadataLocation : undefined });
    const version = base.version + 1;
    const key = io.metadataKey(version);
    const bytes = new TextEncoder().encode(serializeTableMetadata(next));
    const everything = (): string[] => [...staleAttemptFiles, ...result.attemptFiles, ...op.sharedFiles()];
    let outcome: 'committed' | 'lost';
    try {
      outcome = await publish(io, key, version, bytes, settleBudget);
    } catch (err) {
      if (isLakehouseError(err, 'COMMIT_STATE_UNKNOWN')) {
        // The write may still land: keep every file and the marker (it protects them for its lease).
        marker?.leave();
        err.details['commitId'] = op.commitId;
        throw err;
      }
      await giveUp(everything());
      throw err;
    }
    if (outcome === 'committed') {
      const used = op.usedSharedFiles(result);
      await giveUp([...staleAttemptFiles, ...op.sharedFiles().filter((k) => !used.has(k))]);
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
      await giveUp([...staleAttemptFiles, ...op.sharedFiles()]);
      throw new LakehouseError('COMMIT_FAILED', `commit lost the race for metadata version ${version} ${attemptNo + 1} times in ${elapsed} ms; nothing was committed`, {
        help: 'Too many concurrent writers on this table: retry later, or raise commit.retry.num-retries / commit.retry.total-timeout-ms.',
        details: { attempts: attemptNo + 1, elapsedMs: elapsed, outcomeUnknown: false, ...(op.commitId ? { commitId: op.commitId } : {}) },
      });
    }
    // Full jitter: spreads racing writers so that the next round has one clear winner.
    const cap = Math.min(maxWait, minWait * 2 ** Math.min(attemptNo, 16));
    const wait = Math.min(Math.random() * cap, Math.max(0, budget - elapsed));
    await new Promise((r) => setTimeout(r, wait));
    try {
      base = await load();
    } catch (err) {
      // Every round so far is a definite loss, so nothing of ours is referenced.
      await giveUp([...staleAttemptFiles, ...op.sharedFiles()]);
      throw notCommitted(err, op.commitId);
    }
    if (op.landedIn?.(base.metadata)) {
      // A round we took as lost had landed (only possible if the store answered wrongly):
      // committed. Its files are referenced, so nothing is deleted.
      await marker?.end();
      return { state: base, stats: { attempts: attemptNo + 1, version: base.version, elapsedMs: Date.now() - started } };
    }
  }
}

/**
 * An error before the metadata write was sent (building manifests, reloading the base): the
 * commit definitely did not happen, whatever the store layer says about the object it was
 * writing. Store failures become COMMIT_FAILED with `outcomeUnknown: false` and the commit id,
 * so callers clean up and retry instead of treating them as unknown.
 */
function notCommitted(err: unknown, commitId: string | undefined): unknown {
  if (!isLakehouseError(err)) return err;
  if (err.code === 'STORE_UNAVAILABLE' || err.details['outcomeUnknown'] === true) {
    return new LakehouseError('COMMIT_FAILED', `nothing was committed: the store failed before the metadata write (${err.message.split('\n')[0]})`, {
      cause: err,
      help: 'Retry when the store is reachable; the files this commit wrote were deleted or are left for remove-orphans.',
      details: { outcomeUnknown: false, ...(commitId ? { commitId } : {}), storeCode: err.code },
    });
  }
  if (commitId) err.details['commitId'] ??= commitId;
  return err;
}

/** Errors after which the store has definitely not applied the write (it answered, and said no). */
function definitelyRefused(err: unknown): boolean {
  if (!isLakehouseError(err)) return false;
  if (err.details['outcomeUnknown'] === true) return false;
  if (err.details['outcomeUnknown'] === false) return true;
  return ['ACCESS_DENIED', 'STORE_AUTH', 'BUCKET_NOT_FOUND', 'INVALID_KEY', 'PRECONDITION_UNSUPPORTED', 'INVALID_ARGUMENT'].includes(err.code);
}

/** A fault-injected process death (tests): nothing after it happens, as after a real crash. */
function isSimulatedCrash(err: unknown): boolean {
  return isLakehouseError(err, 'INJECTED_FAULT') && err.details['crash'] === true;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Writes metadata version `key` and settles the outcome (see the module header): resolves
 * 'committed' or 'lost', or throws COMMIT_STATE_UNKNOWN / a definite COMMIT_FAILED.
 */
async function publish(io: TableIO, key: string, version: number, bytes: Uint8Array, settleBudgetMs: number): Promise<'committed' | 'lost'> {
  let lastError: unknown;
  try {
    if (await io.store.putIfAbsent(key, bytes, { contentType: 'application/json' })) return 'committed';
  } catch (err) {
    if (isSimulatedCrash(err)) throw unknownOutcome(key, version, err, 'the writer crashed while writing it');
    if (definitelyRefused(err)) {
      throw new LakehouseError('COMMIT_FAILED', `the store refused the metadata write ${key}: ${(err as Error).message}`, {
        cause: err,
        help: 'Nothing was committed. Check the credentials and permissions for the warehouse, then retry.',
        details: { key, outcomeUnknown: false },
      });
    }
    lastError = err;
  }
  // "Exists" or no answer: read back, and where nothing is there, put the same bytes again.
  const deadline = Date.now() + settleBudgetMs;
  for (let round = 0; ; round++) {
    try {
      const existing = await io.store.get(key);
      return Buffer.from(existing.buffer, existing.byteOffset, existing.byteLength).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) ? 'committed' : 'lost';
    } catch (err) {
      if (isSimulatedCrash(err)) throw unknownOutcome(key, version, err, 'the writer crashed while settling it');
      // Something that is not an object holds the name (a directory on a local disk): it is not
      // our metadata, so this round is lost; the reload reports the broken version.
      if (isLakehouseError(err, 'CORRUPT_FILE')) return 'lost';
      if (!isLakehouseError(err, 'NOT_FOUND')) lastError = err;
      else {
        try {
          // false: someone has it now; the next round reads it.
          if (await io.store.putIfAbsent(key, bytes, { contentType: 'application/json' })) return 'committed';
        } catch (putErr) {
          if (isSimulatedCrash(putErr)) throw unknownOutcome(key, version, putErr, 'the writer crashed while settling it');
          lastError = putErr;
        }
      }
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.random() * Math.min(5_000, 100 * 2 ** Math.min(round, 6)));
  }
  throw unknownOutcome(key, version, lastError, `it was not answered and could not be read back within ${Math.round(settleBudgetMs / 1000)} s (${(lastError as Error)?.message ?? lastError})`);
}

function unknownOutcome(key: string, version: number, cause: unknown, why: string): LakehouseError {
  return new LakehouseError('COMMIT_STATE_UNKNOWN', `commit outcome unknown: the metadata write ${key} may or may not have landed: ${why}`, {
    cause,
    help: 'Nothing was deleted: the write may still land. When the store is reachable, check the commit with `lake commit status <table> <commit-id>` before retrying (or retry with the same --idempotency-key).',
    details: { key, outcomeUnknown: true, attemptedVersion: version },
  });
}
