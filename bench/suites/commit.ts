/**
 * Commit throughput: N writer processes (1, 2, 4, 8) append small batches to one Iceberg table,
 * one commit per batch, on local disk and — when S3_ENDPOINT / AWS_ENDPOINT_URL is set — on S3.
 * Reports commits/s (all commits over the wall time from the common start to the last commit),
 * retries per commit, p50/p99 commit latency (the commit call only, retries included; writing
 * the data file is timed apart), and checks that no commit was lost: the table's history has one
 * snapshot per commit and its rows are exactly the rows every writer appended, each once.
 * DuckDB and Polars have no concurrent table commits, so this suite has no peers.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureS3Bucket, openObjectStore } from '../../connectors/index.js';
import { Warehouse } from '../../catalog/index.js';
import { percentile, summarize } from '../lib/measure.js';
import type { BenchResult } from '../lib/report.js';
import type { CommitWorkerArgs, CommitWorkerReport } from './commit-worker.js';
import { errorMessage, failed, type Suite, type SuiteContext, type SuiteOutput } from './common.js';

const WORKER = fileURLToPath(new URL('./commit-worker.js', import.meta.url));
const ROWS_PER_COMMIT = 100;

interface Target {
  label: string;
  uri: string;
  /** Makes the target usable (the S3 bench bucket is created when missing). */
  prepare?(): Promise<void>;
  cleanup(): Promise<void>;
}

function s3Target(): Target | undefined {
  if (!process.env['S3_ENDPOINT'] && !process.env['AWS_ENDPOINT_URL']) return undefined;
  const bucket = process.env['LAKE_BENCH_BUCKET'] ?? process.env['LAKE_TEST_BUCKET'] ?? 'lakehouse-test';
  const uri = `s3://${bucket}/lake-bench-${Date.now().toString(36)}-${process.pid}`;
  return {
    label: 's3',
    uri,
    // A fresh S3 endpoint (a new MinIO, the CI's RGW) has no buckets: the bench brings its own.
    prepare: () => ensureS3Bucket(bucket),
    cleanup: async () => {
      const store = await openObjectStore(uri);
      try {
        const keys: string[] = [];
        for await (const o of store.list('')) keys.push(o.key);
        await store.deleteMany(keys);
      } finally {
        await store.close();
      }
    },
  };
}

function waitFor(child: ChildProcess, type: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { type: string; report?: unknown }): void => {
      if (m.type === type) {
        cleanup();
        resolve(m.report);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`commit worker exited with code ${code} before "${type}"`));
    };
    const cleanup = (): void => {
      child.off('message', onMsg);
      child.off('exit', onExit);
    };
    child.on('message', onMsg);
    child.on('exit', onExit);
  });
}

interface RoundResult {
  writers: number;
  commits: number;
  commitsPerSec: number;
  retriesPerCommit: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  writeP50Ms: number;
  lost: number;
  problem?: string;
}

async function round(wh: Warehouse, uri: string, writers: number, count: number): Promise<RoundResult> {
  const ident = `bench.commits_${writers}w`;
  await wh.createTable(ident, [
    { name: 'id', type: 'long', required: true },
    { name: 'writer', type: 'int', required: true },
    { name: 'seq', type: 'int', required: true },
  ]);
  const children: ChildProcess[] = [];
  try {
    for (let w = 0; w < writers; w++) {
      const args: CommitWorkerArgs = { uri, table: ident, worker: w, count, rowsPerCommit: ROWS_PER_COMMIT };
      children.push(fork(WORKER, [JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    }
    await Promise.all(children.map((c) => waitFor(c, 'ready')));
    const done = children.map((c) => waitFor(c, 'done') as Promise<CommitWorkerReport>);
    for (const c of children) c.send('go');
    const reports = await Promise.all(done);
    const samples = reports.flatMap((r) => r.samples);
    const wall = Math.max(...reports.map((r) => r.endEpochMs)) - Math.min(...reports.map((r) => r.startEpochMs));
    const latencies = samples.map((s) => s.commitMs);
    const t = summarize(latencies);
    // No commit lost: one snapshot per commit, and each (writer, seq) batch present exactly once.
    const table = await wh.loadTable(ident);
    const history = table.history().length;
    const seen = new Map<string, number>();
    let rows = 0;
    for await (const b of await table.read()) {
      const wcol = b.getChild('writer')!;
      const scol = b.getChild('seq')!;
      for (let i = 0; i < b.numRows; i++) {
        const k = `${wcol.get(i)}:${scol.get(i)}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      rows += b.numRows;
    }
    const expected = writers * count;
    let lost = 0;
    for (let w = 0; w < writers; w++) for (let s = 0; s < count; s++) if (seen.get(`${w}:${s}`) !== ROWS_PER_COMMIT) lost++;
    const problems: string[] = [];
    if (samples.length !== expected) problems.push(`${samples.length} commits reported, expected ${expected}`);
    if (history !== expected) problems.push(`history has ${history} snapshots, expected ${expected}`);
    if (rows !== expected * ROWS_PER_COMMIT) problems.push(`table has ${rows} rows, expected ${expected * ROWS_PER_COMMIT}`);
    if (lost) problems.push(`${lost} batches missing or duplicated`);
    return {
      writers,
      commits: samples.length,
      commitsPerSec: samples.length / (wall / 1000),
      retriesPerCommit: samples.reduce((s, x) => s + x.attempts - 1, 0) / Math.max(1, samples.length),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      minMs: t.minMs,
      maxMs: t.maxMs,
      writeP50Ms: percentile(samples.map((s) => s.writeMs), 50),
      lost,
      ...(problems.length ? { problem: problems.join('; ') } : {}),
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }
}

export const commitSuite: Suite = {
  name: 'commit',
  description: 'concurrent writer processes appending to one table: commits/s, retries, p50/p99 latency, no lost commits',
  async run(ctx: SuiteContext): Promise<SuiteOutput> {
    const localDir = join(ctx.workDir, 'wh-commit');
    mkdirSync(localDir, { recursive: true });
    const targets: Target[] = [{ label: 'local', uri: localDir, cleanup: async () => undefined }];
    const s3 = s3Target();
    const notes: string[] = [];
    if (s3) targets.push(s3);
    else notes.push('S3 not configured (set S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY to add the S3 rounds)');
    const results: BenchResult[] = [];
    const rounds: (RoundResult & { target: string })[] = [];
    for (const target of targets) {
      try {
        await target.prepare?.();
        const wh = await Warehouse.open(target.uri);
        try {
          await wh.createNamespace('bench');
          for (const n of ctx.writers) {
            const suite = `commit latency, ${n} writer${n === 1 ? '' : 's'} (${target.label})`;
            ctx.log(`${suite}: ${n} writer processes × ${ctx.commitsPerWriter} commits`);
            try {
              const r = await round(wh, target.uri, n, ctx.commitsPerWriter);
              rounds.push({ ...r, target: target.label });
              results.push({
                suite, engine: 'lakehouse', medianMs: r.p50Ms, minMs: r.minMs, maxMs: r.maxMs, correct: !r.problem,
                ...(r.problem ? { mismatch: r.problem } : {}),
                extra: { chart: 'none', writers: n, commits: r.commits, commitsPerSec: r.commitsPerSec, retriesPerCommit: r.retriesPerCommit, p99Ms: r.p99Ms, writeP50Ms: r.writeP50Ms },
              });
            } catch (err) {
              results.push(failed(suite, 'lakehouse', err));
              ctx.log(`${suite} failed: ${errorMessage(err)}`);
            }
          }
        } finally {
          await wh.close();
        }
      } catch (err) {
        results.push(failed(`commit (${target.label})`, 'lakehouse', err));
      } finally {
        await target.cleanup().catch((err: unknown) => ctx.log(`could not clean up ${target.uri}: ${errorMessage(err)}`));
      }
    }
    const table = [
      `Commit throughput (${ROWS_PER_COMMIT} rows per commit, one data file each; latency = the commit call, retries included):`,
      '',
      '| store | writers | commits | commits/s | retries/commit | p50 commit | p99 commit | p50 file write | lost | check |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
      ...rounds.map((r) => `| ${r.target} | ${r.writers} | ${r.commits} | ${r.commitsPerSec.toFixed(1)} | ${r.retriesPerCommit.toFixed(2)} | ${r.p50Ms.toFixed(0)} ms | ${r.p99Ms.toFixed(0)} ms | ${r.writeP50Ms.toFixed(0)} ms | ${r.lost} | ${r.problem ? `MISMATCH: ${r.problem}` : 'ok'} |`),
    ].join('\n');
    return { results, tables: [table], notes, details: rounds };
  },
};
