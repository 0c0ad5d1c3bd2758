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
 * Liveness of a run's owner (`ownerIsGone`): the owner writes a heartbeat object
 * (`_runs/<run-id>/heartbeat`, plain put) every HEARTBEAT_MS = 10 s. A heartbeat older than the
 * lease (default DEFAULT_LEASE_MS = 60 s, never below MIN_LEASE_MS = 30 s = 3 heartbeats, so
 * that two lost heartbeat writes and a slow store do not make a live owner look dead) means the
 * owner is gone. A younger heartbeat means alive, with one exception that needs proof: the owner
 * record carries the process identity (host, boot id, pid namespace, pid, process start time from
 * /proc); when boot id and pid namespace are ours and that pid is gone or now belongs to a
 * process started at another time, the owner is dead at once (a crashed job is recovered without
 * waiting for the lease). Anything less than that proof — another host, another container with
 * the same host name but its own pid namespace, a record without the identity, no /proc — waits
 * for the lease: a live job declared dead could have its files deleted while it commits.
 */

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
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

/** How often a running job writes its heartbeat. */
export const HEARTBEAT_MS = 10_000;
/** The shortest lease accepted: three heartbeat periods. */
export const MIN_LEASE_MS = 3 * HEARTBEAT_MS;
export const DEFAULT_LEASE_MS = 60_000;

/** A lease in ms, checked: a lease below MIN_LEASE_MS would declare live jobs dead. */
export function checkLease(leaseMs: number | undefined): number {
  if (leaseMs === undefined) return DEFAULT_LEASE_MS;
  if (!Number.isFinite(leaseMs) || leaseMs < MIN_LEASE_MS) {
    throw new LakehouseError('INVALID_ARGUMENT', `a lease of ${leaseMs} ms is too short: jobs write a heartbeat every ${HEARTBEAT_MS / 1000} s, so the lease must be at least ${MIN_LEASE_MS / 1000} s (${MIN_LEASE_MS} ms)`, {
      help: `Use a lease of at least ${MIN_LEASE_MS} ms (default ${DEFAULT_LEASE_MS}); a job proven dead on this machine (Linux, same pid namespace) is recovered at once whatever the lease.`,
      details: { leaseMs, minLeaseMs: MIN_LEASE_MS, heartbeatMs: HEARTBEAT_MS },
    });
  }
  return leaseMs;
}

/** Who runs a process, precisely enough to prove on the same machine that it has died. */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** /proc/sys/kernel/random/boot_id (Linux). */
  bootId?: string;
  /** readlink /proc/self/ns/pid, e.g. "pid:[4026531836]" (Linux). */
  pidNs?: string;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (Linux). */
  startTicks?: string;
}

export interface RunOwner extends ProcessIdentity {
  token: string;
}

export interface ClaimOwner extends ProcessIdentity {
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
  /** `overwrite: "replace-where"`: what the commit replaced (engine/write/replace-where.ts). */
  replaced?: { removedFiles: number; replacedRows: number; keptRows: number; rounds: number };
  error?: { code: string; message: string };
  /** What `recover` found and did (exact keys), written when it settled the run. */
  recovery?: RecoveryNote;
}

export interface RecoveryNote {
  atMs: number;
  /** The run's snapshot is no longer in the table's history (expired since); the commit happened. */
  snapshotExpired?: boolean;
  /** Files recovery deleted: the run's, referenced by no snapshot of the table. */
  deleted: string[];
  /** Files of the run it kept: referenced by the table, or staged and reusable by a retry. */
  kept: string[];
  note: string;
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
  return { ...processIdentity(), token: randomBytes(8).toString('hex') };
}

const tryRead = (f: () => string): string | undefined => {
  try {
    return f().trim() || undefined;
  } catch {
    return undefined;
  }
};

function procStat(pid: number): { state: string; startTicks: string } | undefined {
  const stat = tryRead(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (!stat) return undefined;
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return f[0] && f[19] ? { state: f[0], startTicks: f[19] } : undefined;
}

const startTicksOf = (pid: number): string | undefined => procStat(pid)?.startTicks;

let selfIdentity: ProcessIdentity | undefined;

/** This process's identity (the Linux fields are absent elsewhere). */
export function processIdentity(): ProcessIdentity {
  selfIdentity ??= {
    host: hostname(),
    pid: process.pid,
    bootId: tryRead(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNs: tryRead(() => readlinkSync('/proc/self/ns/pid')),
    startTicks: startTicksOf(process.pid),
  };
  return selfIdentity;
}

/**
 * 'dead' / 'alive' when the identity proves it (same machine boot and pid namespace as this
 * process); 'unknown' otherwise, and then only a lease may decide.
 */
export function processLiveness(owner: ProcessIdentity): 'dead' | 'alive' | 'unknown' {
  const me = processIdentity();
  if (owner.host !== me.host || !owner.bootId || !owner.pidNs || !owner.startTicks) return 'unknown';
  if (owner.bootId !== me.bootId || owner.pidNs !== me.pidNs) return 'unknown';
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'dead';
    if (code !== 'EPERM') return 'unknown';
  }
  const st = procStat(owner.pid);
  if (st === undefined) return 'unknown';
  // Same pid, another start time: the pid was reused, the owner is gone. A zombie (killed, not
  // yet reaped by its parent) runs no code any more.
  if (st.startTicks !== owner.startTicks) return 'dead';
  return st.state === 'Z' || st.state === 'X' ? 'dead' : 'alive';
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

/**
 * Is the owner of a run gone? Proven dead on this machine (see processLiveness) → yes at once;
 * otherwise only a heartbeat older than the lease says yes — also when the process is proven
 * alive: a live process may have abandoned the run (its heartbeat stops when the run ends, e.g.
 * in UNKNOWN). Never sooner than the lease without proof of death.
 */
export async function ownerIsGone(ledger: RunLedger, rec: RunRecord, leaseMs: number, nowMs: number = Date.now()): Promise<boolean> {
  const lease = checkLease(leaseMs);
  if (processLiveness(rec.owner) === 'dead') return true;
  const hb = (await ledger.lastHeartbeat(rec.runId)) ?? rec.createdAtMs;
  return nowMs - hb > lease;
}

function checkRunId(runId: string): string {
  if (!/^run-[A-Za-z0-9-]+$/.test(runId)) {
    throw new LakehouseError('INVALID_ARGUMENT', `"${runId}" is not a run id`, { help: 'Run ids look like run-20260101T120000-0a1b2c3d4e.' });
  }
  return runId;
}
