/**
 * `npm run stress:cli`: many short `lake` CLI processes that start worker pools, to measure how
 * often a process dies abnormally (a signal, or an exit code other than 0 success / 1 failure /
 * 2 usage). It exists for the `require(esm)` abort of Node 20 inside piscina's worker loader
 * (`FATAL ERROR: v8::Module::IsGraphAsync`, exit 134), which showed up about once in 30 runs on
 * a busy machine; see engine/exec/pool.ts.
 *
 * What it runs: a fresh local warehouse, one `lake ingest --create` of a generated CSV, then
 * RUNS (default 200) invocations, CONCURRENCY (default 4) at a time, alternating
 * `lake ingest` (append) and `lake sql` (an aggregate over the table). Every one must exit 0/1/2;
 * the report gives the abnormal count (set-up included) and the head of each abnormal stderr,
 * and the process exits 1 if there was any.
 *
 * Options: --runs N, --concurrency N, --keep (keep the warehouse). Environment:
 * LAKE_WORKER_REQUIRE_ESM=1 (passed through) starts the workers without the guard flag, to see
 * whether the abort reproduces.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSales, salesToCsv } from './lib/sales.js';

const CLI = fileURLToPath(new URL('../engine/cli/main.js', import.meta.url));

interface Outcome {
  argv: string[];
  code: number | null;
  signal: string | null;
  stderr: string;
  ms: number;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes a positive integer`);
  return n;
}

function lake(argv: string[]): Promise<Outcome> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...argv], { env: process.env, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      const e = error as (Error & { code?: number | string; signal?: string }) | null;
      const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
      resolve({ argv, code, signal: e?.signal ?? null, stderr: String(stderr), ms: Date.now() - t0 });
    });
  });
}

const abnormal = (o: Outcome): boolean => o.signal !== null || o.code === null || ![0, 1, 2].includes(o.code);

async function main(): Promise<void> {
  const runs = arg('--runs', 200);
  const concurrency = arg('--concurrency', 4);
  const dir = mkdtempSync(join(tmpdir(), 'lake-cli-stress-'));
  const wh = join(dir, 'warehouse');
  const csv = join(dir, 'sales.csv');
  writeFileSync(csv, salesToCsv(generateSales({ rows: 2000, seed: 7 })));
  const t0 = Date.now();
  try {
    // The set-up ingest starts a worker pool too: an abnormal exit there is counted and retried.
    const setupBad: Outcome[] = [];
    for (;;) {
      const setup = await lake(['ingest', 'stress.sales', csv, '--create', '--warehouse', wh]);
      if (setup.code === 0) break;
      if (!abnormal(setup) || setupBad.length >= 10) throw new Error(`setup ingest failed (code ${setup.code}, signal ${setup.signal}):\n${setup.stderr}`);
      setupBad.push(setup);
    }
    const jobs = Array.from({ length: runs }, (_, i) =>
      i % 2 === 0
        ? ['ingest', 'stress.sales', csv, '--warehouse', wh]
        : ['sql', 'SELECT region, count(*) AS n, sum(quantity) AS q FROM stress.sales GROUP BY region', '--warehouse', wh, '--format', 'csv'],
    );
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < jobs.length) {
          const o = await lake(jobs[next++]!);
          outcomes.push(o);
          if (outcomes.length % 25 === 0) process.stderr.write(`${outcomes.length}/${runs} done\n`);
        }
      }),
    );
    const bad = [...setupBad, ...outcomes.filter(abnormal)];
    const byCode = new Map<string, number>();
    for (const o of outcomes) byCode.set(o.signal ?? String(o.code), (byCode.get(o.signal ?? String(o.code)) ?? 0) + 1);
    const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
    process.stdout.write(
      `cli-stress: ${outcomes.length} runs, ${concurrency} at a time, ${((Date.now() - t0) / 1000).toFixed(1)} s` +
        ` (median ${ms[Math.floor(ms.length / 2)]} ms per run); worker require(esm) guard ${process.env['LAKE_WORKER_REQUIRE_ESM'] === '1' ? 'OFF' : 'on'}\n` +
        `exit statuses: ${[...byCode].map(([k, n]) => `${k}×${n}`).join(', ')}\n` +
        `abnormal exits: ${bad.length}${setupBad.length ? ` (${setupBad.length} of them in the set-up ingest, retried)` : ''}\n`,
    );
    // Coded failures (exit 1) are normal exits, but say what they were.
    const failures = new Map<string, number>();
    for (const o of outcomes.filter((x) => x.code === 1)) {
      const head = o.stderr.split('\n').find((l) => l.trim()) ?? '(no stderr)';
      failures.set(head.slice(0, 160), (failures.get(head.slice(0, 160)) ?? 0) + 1);
    }
    for (const [head, n] of failures) process.stdout.write(`exit 1 ×${n}: ${head}\n`);
    for (const o of bad) {
      process.stdout.write(`--- ${o.signal ?? `exit ${o.code}`}: lake ${o.argv[0]}\n${o.stderr.split('\n').slice(0, 6).join('\n')}\n`);
    }
    process.exitCode = bad.length ? 1 : 0;
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
