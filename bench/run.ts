/**
 * `npm run bench [-- --quick | --full] [--suite queries,scale] [--sf 1] [--runs 3]`: every suite
 * on our engine next to DuckDB and Polars, in one run, on the same generated files.
 *
 * Prints a header with the machine, progress lines on stderr, then a markdown table on stdout;
 * writes `bench/results/<timestamp>.json` and `<timestamp>.svg` (bars per suite and engine, a
 * line for the scale suite). Exit code 0 when every answer checked equal, 1 when any engine's
 * answer was wrong or any engine failed a suite it supports, 2 on a usage error.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataRoot, ensureDataset } from './lib/datasets.js';
import type { TpchTable } from './lib/tpch.js';
import { progress } from './lib/measure.js';
import { markdownTable, svgChart, type BenchResult } from './lib/report.js';
import type { EngineName, Suite, SuiteContext } from './suites/common.js';
import { commitSuite } from './suites/commit.js';
import { compactionSuite } from './suites/compaction.js';
import { ingestSuite, writeSuite } from './suites/ingest.js';
import { querySuite } from './suites/queries.js';
import { scaleSuite } from './suites/scale.js';

export const SUITES: Suite[] = [ingestSuite, querySuite, writeSuite, commitSuite, compactionSuite, scaleSuite];

interface Args {
  quick: boolean;
  full: boolean;
  suites: string[];
  sf?: number;
  runs?: number;
  out: string;
  dataDir?: string;
  /** Only generate these tables (Parquet and CSV) and print their manifests as JSON. */
  generate?: TpchTable[];
  help: boolean;
}

function usage(): string {
  return [
    'usage: node dist/bench/run.js [--quick | --full] [--suite name,…] [--sf N] [--runs N] [--out DIR]',
    '  --quick   SF 0.1, fewer runs (about 2 minutes on 2 cores)',
    '  (default) SF 1',
    '  --full    SF 1, and the scale suite adds SF 10',
    `  --suite   any of: ${SUITES.map((s) => s.name).join(', ')} (default: all)`,
    '  --sf N    scale factor of the data (overrides the mode)',
    '  --runs N  measured runs per query (after the warm-up)',
    '  --out DIR where the JSON and SVG go (default bench/results)',
    '  --data-dir DIR  dataset cache (default bench/data, or $LAKE_BENCH_DATA)',
    '  --generate t,…  only generate these tables at --sf as Parquet and CSV; print their manifests',
  ].join('\n');
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, full: false, suites: SUITES.map((s) => s.name), out: resolve(fileURLToPath(new URL('../../bench/results/', import.meta.url))), help: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--full') a.full = true;
    else if (k === '--suite' || k === '--suites') a.suites = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (k === '--sf') a.sf = Number(val());
    else if (k === '--runs') a.runs = Number(val());
    else if (k === '--out') a.out = resolve(val());
    else if (k === '--data-dir') a.dataDir = resolve(val());
    else if (k === '--generate') a.generate = val().split(',').map((t) => t.trim()) as TpchTable[];
    else if (k === '--help' || k === '-h') a.help = true;
    else throw new Error(`unknown argument ${k}`);
  }
  if (a.quick && a.full) throw new Error('--quick and --full exclude each other');
  for (const s of a.suites) if (!SUITES.some((x) => x.name === s)) throw new Error(`unknown suite "${s}" (suites: ${SUITES.map((x) => x.name).join(', ')})`);
  for (const t of a.generate ?? []) if (!['lineitem', 'orders', 'part', 'customer'].includes(t)) throw new Error(`unknown table "${t}" (lineitem, orders, part, customer)`);
  if (a.sf !== undefined && !(a.sf > 0)) throw new Error('--sf must be a positive number');
  if (a.runs !== undefined && !(Number.isInteger(a.runs) && a.runs > 0)) throw new Error('--runs must be a positive integer');
  return a;
}

async function peerVersion(pkg: string): Promise<string | undefined> {
  try {
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    return (req(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

async function detectPeers(): Promise<{ engines: EngineName[]; missing: Partial<Record<EngineName, string>> }> {
  const engines: EngineName[] = ['lakehouse'];
  const missing: Partial<Record<EngineName, string>> = {};
  try {
    await import('@duckdb/node-api');
    engines.push('duckdb');
  } catch (err) {
    missing.duckdb = (err as Error).message.split('\n')[0]!;
  }
  try {
    const pl = (await import('nodejs-polars')).default;
    pl.DataFrame({ x: [1] });
    engines.push('polars');
  } catch (err) {
    missing.polars = `${(err as Error).message.split('\n')[0]!} (on Node 20 install nodejs-polars-linux-x64-gnu explicitly)`;
  }
  return { engines, missing };
}

export function machineInfo(): Record<string, string | number> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return {
    nproc: availableParallelism(),
    cpu,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage()}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }

  if (args.generate) {
    const sfGen = args.sf ?? (args.quick ? 0.1 : 1);
    const out = [];
    for (const t of args.generate) for (const f of ['parquet', 'csv'] as const) out.push(await ensureDataset(args.dataDir ?? defaultDataRoot(), sfGen, f, t, progress));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const mode = args.quick ? 'quick' : args.full ? 'full' : 'default';
  const sf = args.sf ?? (args.quick ? 0.1 : 1);
  const { engines, missing } = await detectPeers();
  const workDir = mkdtempSync(join(tmpdir(), 'lake-bench-'));
  const ctx: SuiteContext = {
    sf,
    scales: args.quick ? [0.01, 0.1] : args.full ? [0.1, 1, 10] : [0.1, 1],
    quick: args.quick,
    full: args.full,
    warmup: 1,
    runs: args.runs ?? (args.quick ? 3 : 5),
    heavyWarmup: args.quick ? 0 : 1,
    heavyRuns: args.quick ? 1 : 2,
    heavyBudgetMs: args.quick ? 15_000 : args.full ? 300_000 : 90_000,
    writers: [1, 2, 4, 8],
    commitsPerWriter: args.quick ? 10 : 25,
    dataRoot: args.dataDir ?? defaultDataRoot(),
    workDir,
    engines,
    missing,
    log: progress,
  };
  const machine = machineInfo();
  const versions = { duckdb: await peerVersion('@duckdb/node-api'), polars: await peerVersion('nodejs-polars') };
  const header = [
    `# lakehouse-engine bench — ${mode} (SF ${sf}), ${new Date().toISOString()}`,
    '',
    `machine: ${machine['nproc']} cores (${machine['cpu']}), ${machine['memoryGiB']} GiB RAM, Node ${machine['node']}, ${machine['platform']}`,
    `peers: DuckDB ${missing.duckdb ? `unavailable (${missing.duckdb})` : versions.duckdb}, Polars ${missing.polars ? `unavailable (${missing.polars})` : versions.polars}`,
    `runs: queries warm-up ${ctx.warmup} + ${ctx.runs}; ingest/write/compaction warm-up ${ctx.heavyWarmup} + ${ctx.heavyRuns}; measuring stops once a case has used ${ctx.heavyBudgetMs / 1000} s; data in ${ctx.dataRoot}`,
    '',
  ];
  process.stdout.write(`${header.join('\n')}\n`);

  const results: BenchResult[] = [];
  const tables: string[] = [];
  const notes: string[] = [];
  const details: Record<string, unknown> = {};
  const started = performance.now();
  try {
    for (const suite of SUITES.filter((s) => args.suites.includes(s.name))) {
      progress(`suite ${suite.name}: ${suite.description}`);
      const t0 = performance.now();
      try {
        const out = await suite.run(ctx);
        results.push(...out.results);
        if (out.tables) tables.push(...out.tables);
        if (out.notes) notes.push(...out.notes.map((n) => `${suite.name}: ${n}`));
        if (out.details !== undefined) details[suite.name] = out.details;
      } catch (err) {
        results.push({ suite: suite.name, engine: 'lakehouse', medianMs: NaN, minMs: NaN, maxMs: NaN, error: `suite failed: ${(err as Error).message.split('\n')[0]}` });
        progress(`suite ${suite.name} failed: ${(err as Error).stack ?? String(err)}`);
      }
      progress(`suite ${suite.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const mismatches = results.filter((r) => r.correct === false);
  const errors = results.filter((r) => r.error !== undefined && !r.error.startsWith('not available'));
  const out: string[] = [markdownTable(results), ''];
  for (const t of tables) out.push(t, '');
  for (const m of mismatches) out.push(`MISMATCH ${m.suite} / ${m.engine}: ${m.mismatch ?? 'answer differs'}`);
  for (const n of notes) out.push(`note: ${n}`);
  out.push(`checks: ${results.filter((r) => r.correct === true).length} ok, ${mismatches.length} mismatched, ${errors.length} errors; total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`${out.join('\n')}\n`);

  mkdirSync(args.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = join(args.out, `${stamp}.json`);
  const svg = join(args.out, `${stamp}.svg`);
  writeFileSync(json, `${JSON.stringify({ mode, sf, machine, versions, ctx: { ...ctx, log: undefined, missing }, results, notes, details }, null, 2)}\n`);
  writeFileSync(svg, svgChart(results, `lakehouse-engine vs DuckDB vs Polars — ${mode}, SF ${sf}, ${machine['nproc']} cores`));
  progress(`wrote ${json} and ${svg}`);
  return mismatches.length || errors.length ? 1 : 0;
}

process.exitCode = await main();
