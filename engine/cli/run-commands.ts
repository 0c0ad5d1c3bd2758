/**
 * `lake run job.json` and `lake runs list|show|recover`: batch jobs from the command line.
 * Progress: a bar on a TTY (cli-progress), plain state lines otherwise, nothing with --json.
 */

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { Warehouse } from '../../catalog/index.js';
import { LakehouseError } from '../../connectors/errors.js';
import { Engine } from '../engine.js';
import type { JobEngine } from '../jobs/engine-contract.js';
import { DEFAULT_LEASE_MS, HEARTBEAT_MS, MIN_LEASE_MS, RunLedger, checkLease, type RunRecord } from '../jobs/ledger.js';
import { parseDuration } from '../jobs/spec.js';
import type { RuleOutcome } from '../jobs/quality.js';
import { recoverRuns } from '../jobs/recover.js';
import { submitJob, type JobProgress } from '../jobs/runner.js';
import { fmtTime, globals, printJson, printTable, UsageError, withCommonOptions } from './common.js';

const STATES = ['PLANNED', 'INPUT_LOCKED', 'RUNNING', 'VALIDATING', 'COMMITTING', 'PUBLISHED'];

function runSummary(r: RunRecord): Record<string, unknown> {
  return {
    runId: r.runId,
    jobName: r.jobName,
    state: r.state,
    mode: r.mode,
    idempotencyKey: r.idempotencyKey,
    output: r.output,
    inputs: r.inputs,
    committedSnapshotId: r.committedSnapshotId ?? null,
    createdAtMs: r.createdAtMs,
    rowsRead: r.metrics.rowsRead,
    rowsWritten: r.metrics.rowsWritten,
    rowsQuarantined: r.metrics.rowsQuarantined,
    failedRules: failedRules(r),
    error: r.error ?? null,
  };
}

/** Every failed quality outcome of a run, whatever its severity (one per rule and partition). */
function failedRules(r: RunRecord): Array<{ rule: string; kind: string; severity: string; partition: string; failedRows: number; detail?: string }> {
  const quality: RuleOutcome[] = Array.isArray(r.quality) ? (r.quality as RuleOutcome[]) : [];
  return quality
    .filter((q) => !q.passed)
    .map((q) => ({ rule: q.rule, kind: q.kind, severity: q.severity, partition: q.partition, failedRows: q.failedRows, ...(q.detail ? { detail: q.detail } : {}) }));
}

/** What each severity did with the failing rows, for the human-readable line. */
const CONSEQUENCE: Record<string, string> = {
  warn: 'recorded only, rows published',
  quarantine: 'rows moved to the quarantine table',
  'fail-partition': 'partition left out of the commit',
  'fail-run': 'nothing published',
};

/** `--lease`: plain digits are milliseconds (as before); `30s`, `2m`… are durations. Checked against the floor. */
function parseLease(text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text) : parseDuration(text);
  return checkLease(ms);
}

export function runCommand(): Command {
  return withCommonOptions(new Command('run'))
    .description('run a batch job from a JSON job spec (validated, ledgered, idempotent)')
    .argument('<job.json>', 'job spec file ("-" for standard input)')
    .option('--dry-run', 'stage and validate, publish nothing (overrides the spec mode)')
    .option('--shadow', 'write to <table>__shadow_<run> instead of the production table')
    .addHelpText(
      'after',
      `
Example job.json:
  { "name": "daily_revenue", "idempotencyKey": "daily_revenue-2026-11-23",
    "sql": "INSERT OVERWRITE sales.daily SELECT order_date, region, sum(amount) AS revenue FROM sales.orders WHERE order_date = :day GROUP BY order_date, region",
    "parameters": { "day": { "type": "date", "value": "2026-11-23" } },
    "quality": [ { "rule": "not_null", "columns": ["region"], "severity": "fail-run" } ] }

INSERT OVERWRITE replaces every partition its output touches, whole. The example assumes
sales.daily is partitioned by order_date (or day(order_date)); on a table partitioned by
month(order_date) it is refused, since it would replace the whole month with one day: widen
the WHERE to whole months (order_date >= DATE '2026-11-01' AND order_date < DATE '2026-12-01'),
or add "overwrite": "replace-where" to the job to replace exactly the rows matching the WHERE
(copy-on-write of the files holding them; every new row must match it).
Parameters are bound as typed literals on the parsed statement, never spliced into the text.

Example:
  lake run job.json --warehouse s3://lake/wh`,
    )
    .action(async (file: string, opts: { dryRun?: boolean; shadow?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      let spec: Record<string, unknown>;
      try {
        spec = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new UsageError(`cannot read job spec ${file}: ${(err as Error).message}`);
      }
      if (opts.dryRun && opts.shadow) throw new UsageError('--dry-run and --shadow exclude each other');
      if (opts.dryRun) spec['mode'] = 'dry-run';
      if (opts.shadow) spec['mode'] = 'shadow';
      const engine = await Engine.open({ warehouse: g.warehouse });
      try {
        const handle = await submitJob(engine as unknown as JobEngine, spec);
        const tty = process.stderr.isTTY && !g.json;
        const bar = tty ? new cliProgress.SingleBar({ format: 'run {runId} |{bar}| {state}', stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
        bar?.start(STATES.length - 1, 0, { runId: handle.runId, state: 'PLANNED' });
        handle.on('progress', (p: JobProgress) => {
          if (bar) bar.update(Math.max(0, STATES.indexOf(p.state)), { state: p.state });
          else if (!g.json) process.stderr.write(`run ${p.runId}: ${p.state}\n`);
        });
        const rec = await handle.settled();
        bar?.stop();
        if (g.json) printJson(runSummary(rec));
        else {
          process.stdout.write(`run ${rec.runId} ${rec.state}${handle.reused ? ' (idempotency key matched an existing run)' : ''}\n`);
          if (rec.committedSnapshotId) process.stdout.write(`committed snapshot ${rec.committedSnapshotId} to ${rec.output?.table}\n`);
          process.stdout.write(`rows read ${rec.metrics.rowsRead}, written ${rec.metrics.rowsWritten}, quarantined ${rec.metrics.rowsQuarantined}, rejected ${rec.metrics.rowsRejected}\n`);
          const failed = failedRules(rec);
          for (const f of failed) {
            process.stdout.write(`quality rule ${f.rule} (${f.severity}) FAILED: ${f.failedRows} row${f.failedRows === 1 ? '' : 's'}${f.partition ? ` in partition ${f.partition}` : ''}${f.detail ? ` — ${f.detail}` : ''}; ${CONSEQUENCE[f.severity] ?? f.severity}\n`);
          }
        }
        if (rec.state === 'FAILED') throw new LakehouseError((rec.error?.code as never) ?? 'TASK_FAILED', rec.error?.message ?? 'run failed', { help: `Inspect it with \`lake runs show ${rec.runId}\`.` });
      } finally {
        await engine.close();
      }
    });
}

export function runsCommand(): Command {
  const runs = new Command('runs').description('the run ledger: list, show and recover batch runs');
  withCommonOptions(runs.command('list'))
    .description('runs in the ledger, newest first')
    .addHelpText('after', '\nExample:\n  lake runs list --json')
    .action(async (_o, cmd: Command) => {
      const wh = await Warehouse.open(globals(cmd).warehouse);
      try {
        const all = (await new RunLedger(wh.store).list()).sort((a, b) => b.createdAtMs - a.createdAtMs);
        if (globals(cmd).json) return printJson(all.map(runSummary));
        printTable(['run id', 'job', 'state', 'created', 'output', 'rows written', 'snapshot'], all.map((r) => [r.runId, r.jobName, r.state, fmtTime(r.createdAtMs), r.output?.table, r.metrics.rowsWritten, r.committedSnapshotId ?? '-']));
      } finally {
        await wh.close();
      }
    });
  withCommonOptions(runs.command('show <runId>'))
    .description('one run manifest: states, inputs, staged files, quality, reconciliation, metrics')
    .addHelpText('after', '\nExample:\n  lake runs show run-20261123T101500-0a1b2c3d4e --json')
    .action(async (runId: string, _o, cmd: Command) => {
      const wh = await Warehouse.open(globals(cmd).warehouse);
      try {
        const r = await new RunLedger(wh.store).load(runId);
        if (globals(cmd).json) return printJson(r);
        process.stdout.write(`run ${r.runId} (${r.jobName}) ${r.state}\n`);
        for (const t of r.transitions) process.stdout.write(`  ${fmtTime(t.atMs)}  ${t.state}\n`);
        process.stdout.write(`inputs: ${Object.entries(r.inputs).map(([k, v]) => `${k}@${v ?? 'empty'}`).join(', ') || '(none)'}\n`);
        process.stdout.write(`output: ${r.output?.table} (${r.output?.mode}); staged files: ${r.staged.length}; committed snapshot: ${r.committedSnapshotId ?? '-'}${r.recovery?.snapshotExpired ? ' (snapshot expired)' : ''}\n`);
        if (r.recovery) process.stdout.write(`recovery: ${r.recovery.note}; deleted ${r.recovery.deleted.length}, kept ${r.recovery.kept.length}\n`);
        if (r.error) process.stdout.write(`error: [${r.error.code}] ${r.error.message}\n`);
      } finally {
        await wh.close();
      }
    });
  withCommonOptions(runs.command('recover'))
    .description('settle runs whose process died: PUBLISHED if their commit happened, else FAILED (their unreferenced files deleted)')
    .option('--run <runId>', 'only this run')
    .option('--lease <duration>', `a run with no heartbeat for this long is presumed dead: ms, or a number with ms|s|m|h (at least ${MIN_LEASE_MS} ms)`, String(DEFAULT_LEASE_MS))
    .addHelpText(
      'after',
      `
Jobs write a heartbeat every ${HEARTBEAT_MS / 1000} s. A run is recovered when its process is proven dead on
this machine (same boot and pid namespace, pid gone or reused), or when its heartbeat is older
than the lease. The lease is ${DEFAULT_LEASE_MS / 1000} s by default and may not be shorter than
${MIN_LEASE_MS / 1000} s (three heartbeats): a shorter one would declare live jobs dead.
The output table decides: the run's snapshot in the table, or in an older metadata version
(expired since: "PUBLISHED (snapshot expired)"), or any of its files referenced by a snapshot
means PUBLISHED. A file referenced by any snapshot is never deleted. Every deleted file is
listed (--json: deletedKeys).

Example:
  lake runs recover --json
  lake runs recover --run run-20261123T101500-0a1b2c3d4e --lease 2m`,
    )
    .action(async (opts: { run?: string; lease: string }, cmd: Command) => {
      const leaseMs = parseLease(opts.lease);
      const wh = await Warehouse.open(globals(cmd).warehouse);
      try {
        const actions = await recoverRuns(wh, { runId: opts.run, leaseMs });
        if (globals(cmd).json) return printJson(actions);
        if (!actions.length) process.stdout.write('nothing to recover\n');
        for (const a of actions) {
          const to = a.to === 'PUBLISHED' && a.snapshotExpired ? 'PUBLISHED (snapshot expired)' : a.to;
          process.stdout.write(`${a.runId}: ${a.from} → ${to}${a.committedSnapshotId ? ` (snapshot ${a.committedSnapshotId})` : ''}; ${a.deletedFiles} file(s) deleted, ${a.keptKeys.length} kept\n`);
          if (a.note) process.stdout.write(`  ${a.note}\n`);
          for (const k of a.deletedKeys) process.stdout.write(`  deleted ${k}\n`);
        }
      } finally {
        await wh.close();
      }
    });
  return runs;
}
