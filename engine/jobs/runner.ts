/**
 * Runs a batch job under the production contract: PLANNED → INPUT_LOCKED → RUNNING →
 * VALIDATING → COMMITTING → PUBLISHED (or FAILED / UNKNOWN, or COMPLETED for a dry run), every
 * step a compare-and-swap on the run ledger.
 *
 * Concurrency contract: the ledger transition to COMMITTING is the fence. A recovery that marks
 * the run FAILED first makes this transition lose, and the run stops without committing; once
 * it is COMMITTING, only the catalog (a snapshot whose summary carries `lake.run-id`) says
 * whether the commit happened. Inputs are pinned to snapshot ids at INPUT_LOCKED and every read
 * after that uses the pins; the run clock is fixed at the same moment.
 */

import { EventEmitter } from 'node:events';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import { isTransient, retry } from '../../connectors/retry.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import { dataFileStats, readParquetMetadata } from '../../connectors/index.js';
import { Warehouse, type Table } from '../../catalog/index.js';
import { HEARTBEAT_MS, RunLedger, TERMINAL_STATES, checkLease, currentOwner, emptyMetrics, newRunId, ownerIsGone, processIdentity, processLiveness, transition, type ClaimOwner, type RunRecord, type RunState, type StagedFile } from './ledger.js';
import { normalizeParams } from './params.js';
import { bindStatement } from './statement.js';
import { checkOverwrite } from './overwrite-boundary.js';
import { parseJobSpec, specHash, type JobSpec } from './spec.js';
import { jobTarget, referencedTables, type JobTarget } from './target.js';
import { tablesBehindViews } from '../views.js';
import { validateAndReconcile, type Validation } from './validate.js';
import { jobFrame, type JobEngine, type StagedWriteLike } from './engine-contract.js';
import { fileChecksum, shadowTableName, partitionByOf } from './files.js';
import { recoverRun } from './recover.js';
import { commitReplaceWhere, prepareReplace, type PreparedReplace } from '../write/replace-where.js';
import { checkNewRows } from './replace-rows.js';
import type { UExpr } from '../plan/unbound.js';

export interface JobProgress {
  runId: string;
  state: RunState;
  tasksDone?: number;
  tasksTotal?: number;
  rows?: number;
  bytes?: number;
}

export interface SubmitOptions {
  signal?: AbortSignal;
  /** A run whose owner has not shown a heartbeat for this long is presumed dead (default 60 s, at least 30 s: ledger.ts). */
  leaseMs?: number;
  /** Tests only: simulate a crash (SIGKILL of this process) or data loss at a chosen point. */
  testHooks?: {
    /** `mid-tasks-files`: while the second task is being prepared, once a task of the run has written a file. */
    crashAt?: 'INPUT_LOCKED' | 'mid-tasks' | 'mid-tasks-files' | 'VALIDATING' | 'COMMITTING' | 'after-commit';
    dropOneStagedRow?: boolean;
    onStageFailure?: (err: unknown, attempt: number) => void;
    /** Runs before each commit attempt of a replace-where job (a concurrent writer, in tests). */
    beforeReplaceCommit?: (round: number) => Promise<void>;
  };
}

export class RunHandle extends EventEmitter {
  private readonly done: Promise<RunRecord>;
  private readonly abort = new AbortController();

  constructor(readonly runId: string, private readonly ledger: RunLedger, work: (signal: AbortSignal) => Promise<RunRecord>, readonly reused = false) {
    super();
    this.done = work(this.abort.signal);
    this.done.catch(() => undefined);
  }

  status(): Promise<RunRecord> {
    return this.ledger.load(this.runId);
  }

  /** The final run record (PUBLISHED, COMPLETED or FAILED); rejects with the run's error if it failed. */
  async result(): Promise<RunRecord> {
    const rec = await this.done;
    if (rec.state === 'FAILED') {
      throw new LakehouseError((rec.error?.code as never) ?? 'TASK_FAILED', `run ${rec.runId} failed: ${rec.error?.message ?? 'unknown error'}`, {
        details: { runId: rec.runId, run: rec },
        help: 'See `lake runs show ' + rec.runId + '`; fix the cause and submit again (completed work is reused).',
      });
    }
    return rec;
  }

  /** The final record whatever the outcome. */
  settled(): Promise<RunRecord> {
    return this.done;
  }

  cancel(): void {
    this.abort.abort(new LakehouseError('CANCELLED', `run ${this.runId} cancelled`));
  }
}

export async function submitJob(engine: JobEngine, specInput: unknown, options: SubmitOptions = {}): Promise<RunHandle> {
  const spec = parseJobSpec(specInput);
  const params = normalizeParams(spec.parameters);
  // The SQL is parsed once and its parameters bound on the AST; the bound tree is all that runs.
  const bound = jobTarget(spec, await bindStatement(spec.sql, params));
  if (!engine.warehouse) {
    throw new LakehouseError('INVALID_ARGUMENT', 'batch jobs need an engine opened on a warehouse', { help: 'Use Engine.open({ warehouse: "…" }).' });
  }
  const warehouse = await Warehouse.open(engine.warehouse);
  // Stored views are read through: their tables are the inputs a run pins (engine/views.ts).
  const inputTables = await tablesBehindViews(warehouse, referencedTables(bound.query));
  const replaceWhere = await checkOverwrite(spec, bound, warehouse);
  // Replace-where stages its new rows as an append; the rows they replace are removed at commit.
  const target: JobTarget = replaceWhere ? { ...bound, mode: 'append' } : bound;
  const outputMode = replaceWhere ? 'replace-where' : target.mode;
  const ledger = new RunLedger(warehouse.store);
  const leaseMs = checkLease(options.leaseMs);

  const fresh = (runId: string, previous?: RunRecord): RunRecord => ({
    runId,
    version: 0,
    jobName: spec.name,
    specHash: specHash(spec),
    spec,
    mode: spec.mode,
    idempotencyKey: spec.idempotencyKey,
    previousRunId: previous?.runId,
    state: 'PLANNED',
    transitions: [{ state: 'PLANNED', atMs: Date.now() }],
    owner: currentOwner(),
    createdAtMs: Date.now(),
    parameters: Object.fromEntries(Object.entries(params).map(([k, p]) => [k, p.value])),
    inputs: {},
    output: { table: target.table, mode: outputMode },
    staged: [],
    metrics: emptyMetrics(),
  });
  const start = (rec: RunRecord, previous?: RunRecord): RunHandle => {
    let handle: RunHandle | undefined;
    const progress = (p: JobProgress): void => void handle?.emit('progress', p);
    handle = new RunHandle(rec.runId, ledger, (signal) => execute({ engine, warehouse, ledger, spec, target, replaceWhere, inputTables, rec, previous, options, signal, progress }));
    return handle;
  };

  // Dry-run and shadow runs never claim an idempotency key: the key names the real publication,
  // and a rehearsal that held it would make the real run return the rehearsal's outcome and
  // publish nothing. They always run afresh (the key is still recorded on the run, for reading).
  if (!spec.idempotencyKey || spec.mode !== 'run') {
    const rec = await ledger.create(fresh(newRunId()));
    return start(rec);
  }
  const key = spec.idempotencyKey;
  for (let attempt = 0; attempt < 100; attempt++) {
    const claim = await ledger.latestClaim(key);
    let previous: RunRecord | undefined;
    if (claim) {
      const rec = await ledger.find(claim.runId);
      if (!rec) {
        // Claimed but not created yet: the claimer is between its two writes, or died there.
        if (!(await claimIsDead(ledger, key, claim.seq, leaseMs))) {
          await pause(attempt);
          continue;
        }
      } else if (rec.mode !== 'run') {
        // A key claimed by a dry-run or shadow run (ledgers written before they stopped claiming
        // keys): it is not the real run's outcome, so claim the next sequence number over it.
        previous = undefined;
      } else if (rec.state === 'PUBLISHED' || rec.state === 'COMPLETED') {
        return new RunHandle(rec.runId, ledger, async () => rec, true);
      } else if (!TERMINAL_STATES.has(rec.state)) {
        if (!(await ownerIsGone(ledger, rec, leaseMs))) return new RunHandle(rec.runId, ledger, (signal) => waitForRun(ledger, rec.runId, signal), true);
        await recoverRun(warehouse, ledger, rec);
        continue;
      } else {
        previous = rec;
      }
    }
    const runId = newRunId();
    if (!(await ledger.claim(key, (claim?.seq ?? 0) + 1, runId, currentOwnerDoc()))) continue;
    const rec = await ledger.create(fresh(runId, previous));
    return start(rec, previous);
  }
  throw new LakehouseError('COMMIT_CONFLICT', `could not claim idempotency key "${key}"`, { help: 'Retry the submission.' });
}

function currentOwnerDoc(): ClaimOwner {
  return { ...processIdentity(), atMs: Date.now() };
}

async function claimIsDead(ledger: RunLedger, key: string, seq: number, leaseMs: number): Promise<boolean> {
  const doc = await ledger.claimDoc(key, seq);
  if (!doc?.owner) return true;
  // Proof of death on this machine, or the lease (same rule as ledger.ts ownerIsGone).
  if (processLiveness(doc.owner) === 'dead') return true;
  return Date.now() - doc.owner.atMs > leaseMs;
}

function pause(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(2000, 20 * 2 ** Math.min(attempt, 7))));
}

/** Follows a run owned by another submitter until it ends. */
async function waitForRun(ledger: RunLedger, runId: string, signal: AbortSignal): Promise<RunRecord> {
  for (let i = 0; ; i++) {
    const rec = await ledger.load(runId);
    if (TERMINAL_STATES.has(rec.state)) return rec;
    if (signal.aborted) throw signal.reason;
    await pause(i);
  }
}

interface ExecContext {
  engine: JobEngine;
  warehouse: Warehouse;
  ledger: RunLedger;
  spec: JobSpec;
  target: JobTarget;
  /** `overwrite: "replace-where"`: the predicate (on the target's columns) of the rows replaced. */
  replaceWhere?: UExpr | undefined;
  inputTables: string[];
  rec: RunRecord;
  previous?: RunRecord;
  options: SubmitOptions;
  signal: AbortSignal;
  progress: (p: JobProgress) => void;
}

function crashIf(ctx: ExecContext, point: NonNullable<SubmitOptions['testHooks']>['crashAt']): void {
  if (ctx.options.testHooks?.crashAt === point) process.kill(process.pid, 'SIGKILL');
}

/** Tests only: SIGKILL this process as soon as a file of the run exists (polled, 20 s deadline). */
async function crashOnceFilesExist(ctx: ExecContext, outputTable: string, runId: string): Promise<void> {
  const { listRunFiles, loadOutputTable } = await import('./recover-scan.js');
  const deadline = Date.now() + 20_000;
  const table = await loadOutputTable(ctx.warehouse, outputTable);
  while (Date.now() < deadline && (await listRunFiles(ctx.warehouse, outputTable, table, runId)).length === 0) await new Promise((r) => setTimeout(r, 5));
  process.kill(process.pid, 'SIGKILL');
}

async function execute(ctx: ExecContext): Promise<RunRecord> {
  const { rec } = ctx;
  const ledger = progressLedger(ctx);
  const runId = rec.runId;
  const heartbeat = setInterval(() => void ledger.heartbeat(runId).catch(() => undefined), HEARTBEAT_MS);
  heartbeat.unref();
  const signals = [ctx.signal, ctx.options.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = AbortSignal.any(signals);
  let staged: StagedWriteLike | undefined;
  let prepared: PreparedReplace | undefined;
  let committing = false;
  const t0 = Date.now();
  const stageMs: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    try {
      return await fn();
    } finally {
      stageMs[name] = Date.now() - s;
    }
  };
  try {
    // ---- INPUT_LOCKED: pin every input to a snapshot id, fix the run clock.
    const inputs = await timed('lock', () => lockInputs(ctx));
    const outputTable = ctx.spec.mode === 'shadow' ? shadowTableName(ctx.target.table, runId) : ctx.target.table;
    await ledger.update(runId, (c) => transition(c, 'INPUT_LOCKED', Date.now(), { runClockMs: Date.now(), inputs, output: { table: outputTable, mode: ctx.replaceWhere ? 'replace-where' : ctx.target.mode, shadowOf: ctx.spec.mode === 'shadow' ? ctx.target.table : undefined } }));
    crashIf(ctx, 'INPUT_LOCKED');

    // ---- RUNNING: stage the output (nothing visible), reusing a failed predecessor's files.
    await ledger.update(runId, (c) => transition(c, 'RUNNING', Date.now()));
    const reusable = await reusableFiles(ctx);
    let reuseCalls = 0;
    const create = ctx.spec.mode === 'shadow' ? { partitionBy: await prodPartitionBy(ctx) } : ctx.target.create;
    const policy = ctx.spec.retry ?? { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 10_000 };
    let attempts = 0;
    staged = await timed('run', () =>
      retry(
        async () => {
          attempts++;
          try {
            const pins = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== null).map(([k, v]) => [k, { snapshotId: v! }]));
            return await ctx.engine.stageWrite({
              query: jobFrame(ctx.engine, ctx.target.query, ctx.target.sqlText, pins),
              table: outputTable,
              mode: ctx.spec.mode === 'shadow' ? 'append' : ctx.target.mode,
              create,
              runId,
              inputs: pins,
              signal,
              reuse: async (taskId: string) => {
                if (++reuseCalls === 2) {
                  crashIf(ctx, 'mid-tasks');
                  if (ctx.options.testHooks?.crashAt === 'mid-tasks-files') await crashOnceFilesExist(ctx, outputTable, runId);
                }
                return reusable.get(taskId);
              },
            });
          } catch (err) {
            ctx.options.testHooks?.onStageFailure?.(err, attempts);
            throw err;
          }
        },
        { maxAttempts: policy.maxAttempts, baseDelayMs: policy.baseDelayMs, maxDelayMs: policy.maxDelayMs, totalTimeoutMs: Number.POSITIVE_INFINITY },
        { isRetryable: (err) => !signal.aborted && isRetryableStageError(err) },
      ),
    );
    stageMs['attempts'] = attempts;
    const store = ctx.warehouse.store;
    if (ctx.options.testHooks?.dropOneStagedRow) await dropOneRow(store, staged);
    const stagedFiles: StagedFile[] = await Promise.all(
      staged.files.map(async (f) => ({ key: f.key, checksum: await fileChecksum(store, f.key), rows: f.stats.recordCount, bytes: f.stats.fileSizeInBytes, task: f.taskId, partition: f.partition, partitionPath: f.partitionPath })),
    );
    const m = staged.metrics;
    await ledger.update(runId, (c) =>
      transition(c, 'VALIDATING', Date.now(), {
        staged: stagedFiles,
        metrics: { ...c.metrics, rowsRead: m.rowsRead, bytesRead: m.bytesRead, rowsWritten: m.rowsWritten, bytesWritten: m.bytesWritten, filesWritten: stagedFiles.length, tasksTotal: m.tasks, tasksDone: m.tasks, tasksReused: m.tasksReused, stageMs: { ...stageMs } },
      }),
    );
    crashIf(ctx, 'VALIDATING');
    if (ctx.replaceWhere) await timed('replace-check', () => checkNewRows(ctx.engine, ctx.warehouse.store, staged!, ctx.replaceWhere!, { runId, sqlText: ctx.target.sqlText, signal }));

    // ---- VALIDATING: quality gates and reconciliation on the staged files.
    const runClockMs = (await ledger.load(runId)).runClockMs ?? Date.now();
    const v: Validation = await timed('validate', () => validateAndReconcile(ctx.engine, store, staged!, ctx.spec, ctx.target, runClockMs, outputTable, runId, create));
    const failRun = v.quality.filter((q) => !q.passed && q.severity === 'fail-run');
    if (failRun.length || !v.reconciliation.ok) {
      await staged.abort();
      await v.discard();
      const why = failRun.length ? `quality rule(s) failed: ${failRun.map((q) => `${q.rule} (${q.failedRows} rows)`).join(', ')}` : `reconciliation failed: ${v.reconciliation.problems.join('; ')}`;
      return await ledger.update(runId, (c) => transition(c, 'FAILED', Date.now(), { quality: v.quality, reconciliation: v.reconciliation, error: { code: 'TASK_FAILED', message: `${why}; nothing was published` } }));
    }
    if (ctx.spec.mode === 'dry-run') {
      // A rehearsal of replace-where says what it would replace: the rewrite is staged, counted, deleted.
      let replaced: RunRecord['replaced'];
      if (ctx.replaceWhere) {
        prepared = await timed('replace-prepare', () => prepareReplace(ctx.engine, ctx.warehouse, outputTable, ctx.replaceWhere!, 0, { runId, sqlText: ctx.target.sqlText, signal }));
        replaced = { removedFiles: prepared.remove.length, replacedRows: prepared.matchedRows, keptRows: prepared.keptRows, rounds: 0 };
        await prepared.abort();
      }
      await staged.abort();
      await v.discard();
      return await ledger.update(runId, (c) => transition(c, 'COMPLETED', Date.now(), { quality: v.quality, reconciliation: v.reconciliation, ...(replaced ? { replaced } : {}), metrics: finalMetrics(c, stageMs, t0, v) }));
    }

    // Replace-where (not for a shadow run, whose table is new): stage the affected files' rows that stay.
    const replacing = ctx.replaceWhere && ctx.spec.mode === 'run' ? ctx.replaceWhere : undefined;
    const rwOptions = { runId, sqlText: ctx.target.sqlText, signal };
    if (replacing) prepared = await timed('replace-prepare', () => prepareReplace(ctx.engine, ctx.warehouse, outputTable, replacing, 0, rwOptions));

    // ---- COMMITTING: the fence. From here only the catalog knows whether it happened.
    await ledger.update(runId, (c) => transition(c, 'COMMITTING', Date.now(), { quality: v.quality, reconciliation: v.reconciliation }));
    committing = true;
    crashIf(ctx, 'COMMITTING');
    const provenance = { runId, jobName: ctx.spec.name, inputSnapshotIds: Object.fromEntries(Object.entries(inputs).filter(([, s]) => s !== null)) as Record<string, string> };
    if (v.quarantine) await v.quarantine.commit({ provenance });
    const final = v.replacement ?? staged;
    let replaced: RunRecord['replaced'];
    let committed: { snapshotId: string };
    if (replacing && prepared) {
      const hook = ctx.options.testHooks?.beforeReplaceCommit;
      const r = await commitReplaceWhere(ctx.engine, ctx.warehouse, final, replacing, prepared, { ...rwOptions, provenance, dropFiles: v.dropFiles, ...(hook ? { beforeCommit: hook } : {}) });
      committed = r;
      replaced = { removedFiles: r.removedFiles, replacedRows: r.replacedRows, keptRows: r.keptRows, rounds: r.rounds };
    } else {
      committed = await final.commit({ provenance, dropFiles: v.dropFiles });
    }
    crashIf(ctx, 'after-commit');
    return await ledger.update(runId, (c) => transition(c, 'PUBLISHED', Date.now(), { committedSnapshotId: committed.snapshotId, ...(replaced ? { replaced } : {}), metrics: finalMetrics(c, stageMs, t0, v) }));
  } catch (err) {
    // Before the fence the rewrite is certainly not committed; after it, commitReplaceWhere settled it.
    if (prepared && !committing) await prepared.abort().catch(() => undefined);
    return await failRun(ctx, staged, err);
  } finally {
    clearInterval(heartbeat);
  }
}

/** The ledger, reporting every state change as a progress event. */
function progressLedger(ctx: ExecContext): RunLedger {
  const inner = ctx.ledger;
  return Object.assign(Object.create(inner) as RunLedger, {
    update: async (runId: string, decide: (cur: RunRecord) => RunRecord | undefined): Promise<RunRecord> => {
      const r = await inner.update(runId, decide);
      ctx.progress({ runId, state: r.state, tasksDone: r.metrics.tasksDone, tasksTotal: r.metrics.tasksTotal, rows: r.metrics.rowsWritten, bytes: r.metrics.bytesWritten });
      return r;
    },
  });
}

/**
 * Transient failures of the staging (a worker crash, an unreachable store) are retried with
 * backoff and jitter, up to the spec's `retry.maxAttempts`; deterministic ones (bad data, SQL,
 * schema mismatch, cancellation) fail at once. A failed staging has deleted its own files, so a
 * retry starts clean (files reused from a previous run are kept).
 */
export function isRetryableStageError(err: unknown): boolean {
  if (isLakehouseError(err)) return err.code === 'TASK_FAILED' || err.code === 'STORE_UNAVAILABLE' || isTransient(err);
  return isTransient(err);
}

function finalMetrics(c: RunRecord, stageMs: Record<string, number>, t0: number, v: Validation): RunRecord['metrics'] {
  const secs = Math.max(1e-3, (Date.now() - t0) / 1000);
  return { ...c.metrics, rowsWritten: v.acceptedRows, rowsQuarantined: v.quarantinedRows, rowsRejected: v.rejectedRows, stageMs: { ...c.metrics.stageMs, ...stageMs }, rowsPerSecond: Math.round(c.metrics.rowsRead / secs) };
}

async function failRun(ctx: ExecContext, staged: StagedWriteLike | undefined, err: unknown): Promise<RunRecord> {
  const { ledger, rec } = ctx;
  const cur = await ledger.load(rec.runId);
  const error = { code: isLakehouseError(err) ? err.code : 'TASK_FAILED', message: (err as Error)?.message ?? String(err) };
  if (cur.state === 'COMMITTING') {
    // The commit may or may not have happened: ask the catalog, never guess. A commit whose
    // answer was lost (COMMIT_STATE_UNKNOWN) may still land: then the run stays UNKNOWN.
    const attempted = isLakehouseError(err, 'COMMIT_STATE_UNKNOWN') ? err.details['attemptedVersion'] : undefined;
    const attemptedVersion = isLakehouseError(err, 'COMMIT_STATE_UNKNOWN') ? (typeof attempted === 'number' ? attempted : 'unknown') : undefined;
    return recoverRun(ctx.warehouse, ledger, cur, { ownerDead: true, error, ...(attemptedVersion !== undefined ? { attemptedVersion } : {}) });
  }
  if (TERMINAL_STATES.has(cur.state)) return cur;
  if (staged) await staged.abort().catch(() => undefined);
  return ledger.update(rec.runId, (c) => (TERMINAL_STATES.has(c.state) ? undefined : transition(c, 'FAILED', Date.now(), { error })));
}

async function lockInputs(ctx: ExecContext): Promise<Record<string, string | null>> {
  const pins: Record<string, string | null> = {};
  for (const name of ctx.inputTables) {
    const pin = ctx.spec.inputs?.[name];
    let table: Table;
    try {
      table = await ctx.warehouse.loadTable(name);
    } catch (err) {
      throw new LakehouseError('TABLE_NOT_FOUND', `input table ${name} of job ${ctx.spec.name} does not exist`, { cause: err, help: 'Check the table name in the SQL, or create the table first.' });
    }
    if (pin?.snapshotId !== undefined) pins[name] = String(table.snapshot(BigInt(pin.snapshotId))['snapshot-id']);
    else if (pin?.asOf !== undefined) pins[name] = String(table.snapshotAsOf(Date.parse(pin.asOf))['snapshot-id']);
    else {
      const cur = table.currentSnapshot();
      pins[name] = cur ? String(cur['snapshot-id']) : null;
    }
  }
  return pins;
}

async function prodPartitionBy(ctx: ExecContext): Promise<string[]> {
  try {
    const prod = await ctx.warehouse.loadTable(ctx.target.table);
    return partitionByOf(prod);
  } catch {
    return ctx.target.create?.partitionBy ?? [];
  }
}

/** Files of a FAILED predecessor that are complete and unchanged (checksums verified), by task. */
async function reusableFiles(ctx: ExecContext): Promise<Map<string, import('./engine-contract.js').StagedDataFileLike[]>> {
  const out = new Map<string, import('./engine-contract.js').StagedDataFileLike[]>();
  const prev = ctx.previous;
  if (!prev || prev.staged.length === 0 || prev.output?.table !== ctx.target.table || prev.specHash !== ctx.rec.specHash) return out;
  const store = ctx.warehouse.store;
  const byTask = new Map<string, StagedFile[]>();
  for (const f of prev.staged) byTask.set(f.task, [...(byTask.get(f.task) ?? []), f]);
  for (const [task, files] of byTask) {
    const ok = await Promise.all(files.map(async (f) => (await fileChecksum(store, f.key).catch(() => undefined)) === f.checksum));
    if (!ok.every(Boolean)) continue;
    const metas = await Promise.all(files.map((f) => readParquetMetadata(store, f.key)));
    // Statistics come back from each file's footer (NaN counts are unknown for reused files).
    out.set(task, files.map((f, i) => ({ key: f.key, uri: store.uriFor(f.key), partition: f.partition ?? {}, partitionPath: f.partitionPath ?? '', taskId: task, stats: dataFileStats(metas[i]!) })));
  }
  return out;
}

async function dropOneRow(store: ObjectStore, staged: StagedWriteLike): Promise<void> {
  const { dropLastRow } = await import('./files.js');
  const f = staged.files.find((x) => x.stats.recordCount > 0);
  if (f) await dropLastRow(store, f.key);
}

