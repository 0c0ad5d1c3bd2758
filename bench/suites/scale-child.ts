/**
 * One measurement of the scale suite in a process of its own, so its peak RSS (the kernel's
 * high-water mark, WASM and worker threads included) belongs to one engine at one scale.
 * argv[2]: JSON `{ engine, sf, dataRoot, warmup, runs }`; prints one JSON line on stdout:
 * timings, peak RSS and Q1's answer as plain rows.
 */

import { ensureDataset } from '../lib/datasets.js';
import { measureWithResult, peakRssMiB } from '../lib/measure.js';
import type { EngineName, Rows } from './common.js';

export interface ScaleChildArgs {
  engine: EngineName;
  sf: number;
  dataRoot: string;
  warmup: number;
  runs: number;
}

export interface ScaleChildReport {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  peakRssMiB: number;
  rows: number;
  bytes: number;
  answer: Rows;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as ScaleChildArgs;
  const ds = await ensureDataset(args.dataRoot, args.sf, 'parquet', 'lineitem');
  const { QUERIES } = await import('./queries.js');
  const q1 = QUERIES.find((q) => q.name === 'Q1')!;
  let run: () => Promise<() => Rows>;
  let close: () => Promise<void> | void = () => undefined;
  if (args.engine === 'lakehouse') {
    const { openOurEngine } = await import('./queries.js');
    const { arrowRows } = await import('./common.js');
    const engine = await openOurEngine({ lineitem: ds } as never, ['lineitem']);
    close = () => engine.close();
    run = async () => {
      const t = await engine.sql(q1.sql).toTable();
      return () => arrowRows(t);
    };
  } else if (args.engine === 'duckdb') {
    const { openDuckDb, registerViews } = await import('../peers/duckdb.js');
    const duck = await openDuckDb();
    await registerViews(duck, { lineitem: ds });
    close = () => duck.close();
    run = () => duck.query(q1.sql);
  } else {
    const { loadPolars, polarsQueries, polarsRows } = await import('../peers/polars.js');
    const pl = await loadPolars();
    const pq = polarsQueries(pl, { lineitem: ds } as never);
    run = async () => {
      const df = await pq['Q1']!();
      return () => polarsRows(df);
    };
  }
  const m = await measureWithResult(run, { warmup: args.warmup, runs: args.runs });
  const report: ScaleChildReport = { medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, runs: m.runs.length, peakRssMiB: peakRssMiB(), rows: ds.rows, bytes: ds.bytes, answer: m.result() };
  await close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`scale child failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
