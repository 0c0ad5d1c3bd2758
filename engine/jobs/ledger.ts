/**
 * The run ledger: every run's durable record in the warehouse, under `_runs/<run-id>/`.
 *
 * Concurrency contract: a run record is a chain of immutable versions
 * (`_runs/<run-id>/v00000001.json`, `v00000002.json`, …). An update is a compare-and-swap: read
 * the newest version N, compute the next record with a pure function, and create version N+1
 * with `putIfAbsent` — the same primitive as table commits, so it is atomic on local disk and on
 * every S3-compatible store, with no need for `If-Match`. A writer that loses re-reads and
 * re-decides (a state transition that is no longer legal fails). This is what makes recovery
 * safe against a still-running owner: if `recover` marks a run FAILED first, the owner's next
 * transition loses and it stops.
 *
 * Idempotency keys are claims under `_runs/_keys/<sha256(key)>/c00000001.json` → run id, also
 * created with `putIfAbsent`: of concurrent submitters (threads, processes, machines) exactly
 * one owns claim N. A FAILED run's key may be claimed again (claim N+1) by one retrier.
 * Liveness of a run's owner: same host → the pid is checked; any host → a heartbeat object
 * (`_runs/<run-id>/heartbeat`, plain put) older than the lease means the owner is gone.
 */

import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LakehouseError } from '../../connectors/errors.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import type { JobSpec } from './spec.js';

export type RunState =
  | 'PLANNED'
  | 'INPUT_LOCKED'
  | 'RUNNING'
  | 'VALIDATING'
  | 'COMMITTING'
  | 'PUBLISHED'
  | 'COMPLETED'
  | 'FAILED'
  | 'UNKNOWN';

/** Legal transitions. COMPLETED ends a dry run (validated, nothing published). */
const NEXT: Record<RunState, readonly RunState[]> = {
  PLANNED: ['INPUT_LOCKED', 'FAILED'],
  INPUT_LOCKED: ['RUNNING', 'FAILED'],
  RUNNING: ['VALIDATING', 'FAILED'],
  VALIDATING: ['COMMITTING', 'COMPLETED', 'FAILED'],
  COMMITTING: ['PUBLISHED', 'FAILED', 'UNKNOWN'],
  UNKNOWN: ['PUBLISHED', 'FAILED'],
  PUBLISHED: [],
  COMPLETED: [],
  FAILED: [],
};

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(['PUBLISHED', 'COMPLETED', 'FAILED']);

export interface StagedFile {
  key: string;
  /** xxh64 of the file's bytes, hex. */
  checksum: string;
  rows: number;
  bytes: number;
  /** The task that wrote it (deterministic names: a retry reuses completed tasks' files). */
  task: string;
  partition?: Record<string, unknown>;
  partitionPath?: string;
}

export interface RunMetrics {
  rowsRead: number;
  bytesRead: number;
  rowsWritten: number;
  bytesWritten: number;
  rowsRejected: number;
  rowsQuarantined: number;
  filesWritten: number;
  tasksTotal: number;
  tasksDone: number;
  tasksReused: number;
  stageMs: Record<string, number>;
  rowsPerSecond?: number;
}

export interface RunOwner {
  host: string;
  pid: number;
  token: string;
}

export interface ClaimOwner {
  host: string;
  pid: number;
  atMs: number;
}

export interface RunRecord {
  runId: string;
  version: number;
  jobName: string;
  specHash: string;
  spec: JobSpec;
  mode: JobSpec['mode'];
  idempotencyKey?: string;
  previousRunId?: string;
  state: RunState;
  transitions: { state: RunState; atMs: number }[];
  owner: RunOwner;
  createdAtMs: number;
  /** The run clock: fixed once at input lock; every timestamp the job produces derives from it. */
  runClockMs?: number;
  parameters: Record<string, unknown>;
  /** Input tables → snapshot ids (strings: 64-bit), locked before any read. */
  inputs: Record<string, string | null>;
  output?: { table: string; mode: string; partitions?: string[]; shadowOf?: string };
  staged: StagedFile[];
  metrics: RunMetrics;
  quality?: unknown;
  reconciliation?: unknown;
  committedSnapshotId?: string;
  error?: { code: string; message: string };
}

export const RUNS_PREFIX = '_runs/';

export function emptyMetrics(): RunMetrics {
  return { rowsRead: 0, bytesRead: 0, rowsWritten: 0, bytesWritten: 0, rowsRejected: 0, rowsQuarantined: 0, filesWritten: 0, tasksTotal: 0, tasksDone: 0, tasksReused: 0, stageMs: {} };
}

export function newRunId(nowMs: number = Date.now()): string {
  const ts = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `run-${ts}-${randomBytes(5).toString('hex')}`;
}

export function currentOwner(): RunOwner {
  return { host: hostname(), pid: process.pid, token: randomBytes(8).toString('hex') };
}

/** Pure: the record after moving to `to`; throws if the transition is not legal. */
export function transition(rec: RunRecord, to: RunState, nowMs: number, patch: Partial<RunRecord> = {}): RunRecord {
  if (!NEXT[rec.state].includes(to)) {
    throw new LakehouseError('INVALID_ARGUMENT', `run ${rec.runId} cannot move from ${rec.state} to ${to}`, {
      help: rec.state === 'FAILED' ? 'The run was marked FAILED (perhaps by `lake runs recover`); submit the job again.' : undefined,
      details: { runId: rec.runId, from: rec.state, to },
    });
  }
  return { ...rec, ...patch, state: to, version: rec.version + 1, transitions: [...rec.transitions, { state: to, atMs: nowMs }] };
}

const pad = (n: number): string => String(n).padStart(8, '0');
const enc = new TextEncoder();
const dec = new TextDecoder();

export class RunLedger {
  constructor(readonly store: ObjectStore) {}

  private versionKey(runId: string, version: number): string {
    return `${RUNS_PREFIX}${checkRunId(runId)}/v${pad(version)}.json`;
  }

  async create(rec: RunRecord): Promise<RunRecord> {
    const first = { ...rec, version: 1 };
    if (!(await this.store.putIfAbsent(this.versionKey(rec.runId, 1), enc.encode(JSON.stringify(first, null, 2))))) {
      throw new LakehouseError('INVALID_ARGUMENT', `run ${rec.runId} already exists`, { details: { runId: rec.runId } });
    }
    await this.heartbeat(rec.runId);
    return first;
  }

  /** The newest version of a run, or undefined if there is no such run. */
  async find(runId: string): Promise<RunRecord | undefined> {
    let newest = 0;
    for await (const o of this.store.list(`${RUNS_PREFIX}${checkRunId(runId)}/v`)) {
      const m = /\/v(\d{8})\.json$/.exec(o.key);
      if (m) newest = Math.max(newest, Number(m[1]));
    }
    // Versions only grow; probe past the listing in case a newer one landed meanwhile.
    if (newest === 0) return undefined;
    while (await this.store.head(this.versionKey(runId, newest + 1))) newest++;
    return JSON.parse(dec.decode(await this.store.get(this.versionKey(runId, newest)))) as RunRecord;
  }

  async load(runId: string): Promise<RunRecord> {
    const rec = await this.find(runId);
    if (!rec) {
      throw new LakehouseError('NOT_FOUND', `no run "${runId}" in the ledger of ${this.store.uri}`, {
        help: 'List runs with `lake runs list`.',
        details: { runId },
      });
    }
    return rec;
  }

  /**
   * Compare-and-swap update: `decide` maps the newest record to the next one (or undefined for
   * "no change"); on a lost race it is called again with the newer record.
   */
  async update(runId: string, decide: (cur: RunRecord) => RunRecord | undefined): Promise<RunRecord> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const cur = await this.load(runId);
      const next = decide(cur);
      if (!next) return cur;
      const body = { ...next, version: cur.version + 1 };
      if (await this.store.putIfAbsent(this.versionKey(runId, body.version), enc.encode(JSON.stringify(body, null, 2)))) return body;
    }
    throw new LakehouseError('COMMIT_CONFLICT', `run ${runId}: too many concurrent ledger updates`, { help: 'Retry the operation.' });
  }

  async heartbeat(runId: string, nowMs: number = Date.now()): Promise<void> {
    await this.store.put(`${RUNS_PREFIX}${checkRunId(runId)}/heartbeat`, enc.encode(String(nowMs)));
  }

  async lastHeartbeat(runId: string): Promise<number | undefined> {
    try {
      return Number(dec.decode(await this.store.get(`${RUNS_PREFIX}${checkRunId(runId)}/heartbeat`)));
    } catch (err) {
      if (err instanceof LakehouseError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** Every run id in the ledger. */
  async runIds(): Promise<string[]> {
    const ids = new Set<string>();
    for await (const o of this.store.list(RUNS_PREFIX)) {
      const m = /^_runs\/(run-[^/]+)\/v\d{8}\.json$/.exec(o.key);
      if (m) ids.add(m[1]!);
    }
    return [...ids].sort();
  }

  async list(): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    for (const id of await this.runIds()) {
      const r = await this.find(id);
      if (r) out.push(r);
    }
    return out;
  }

  // ---- idempotency keys ----

  private keyDir(key: string): string {
    return `${RUNS_PREFIX}_keys/${createHash('sha256').update(key).digest('hex')}/`;
  }

  /** The newest claim of an idempotency key: its sequence number and run id. */
  async latestClaim(key: string): Promise<{ seq: number; runId: string } | undefined> {
    let seq = 0;
    for await (const o of this.store.list(this.keyDir(key))) {
      const m = /\/c(\d{8})\.json$/.exec(o.key);
      if (m) seq = Math.max(seq, Number(m[1]));
    }
    if (seq === 0) return undefined;
    while (await this.store.head(`${this.keyDir(key)}c${pad(seq + 1)}.json`)) seq++;
    const doc = JSON.parse(dec.decode(await this.store.get(`${this.keyDir(key)}c${pad(seq)}.json`))) as { runId: string };
    return { seq, runId: doc.runId };
  }

  /** Claims sequence `seq` of a key for a run; false if another submitter got it first. */
  async claim(key: string, seq: number, runId: string, owner?: ClaimOwner): Promise<boolean> {
    return this.store.putIfAbsent(`${this.keyDir(key)}c${pad(seq)}.json`, enc.encode(JSON.stringify({ key, runId, owner })));
  }

  async claimDoc(key: string, seq: number): Promise<{ key: string; runId: string; owner?: ClaimOwner } | undefined> {
    try {
      return JSON.parse(dec.decode(await this.store.get(`${this.keyDir(key)}c${pad(seq)}.json`))) as { key: string; runId: string; owner?: ClaimOwner };
    } catch (err) {
      if (err instanceof LakehouseError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }
}

/** Is the owner of a run gone? Same host: its pid is checked. Otherwise: the heartbeat lease. */
export async function ownerIsGone(ledger: RunLedger, rec: RunRecord, leaseMs: number, nowMs: number = Date.now()): Promise<boolean> {
  if (rec.owner.host === hostname()) {
    if (rec.owner.pid === process.pid) return false;
    try {
      process.kill(rec.owner.pid, 0);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
    // A live pid on this host could be a reused pid; fall through to the lease.
  }
  const hb = (await ledger.lastHeartbeat(rec.runId)) ?? rec.createdAtMs;
  return nowMs - hb > leaseMs;
}

function checkRunId(runId: string): string {
  if (!/^run-[A-Za-z0-9-]+$/.test(runId)) {
    throw new LakehouseError('INVALID_ARGUMENT', `"${runId}" is not a run id`, { help: 'Run ids look like run-20260101T120000-0a1b2c3d4e.' });
  }
  return runId;
}
