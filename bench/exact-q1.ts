/**
 * `node dist/bench/exact-q1.js [--dir ../shared/tpch/sf0.1] [--runs 5] [--threads 2]`: TPC-H Q1 and
 * Q6 over lineitem with its DECIMAL(15,2) money columns, against the same queries over a DOUBLE
 * copy of the file (written by DuckDB into the OS temp dir) and against the `CAST(… AS DOUBLE)`
 * variant over the decimal file. Prints the best of `runs` after one warm-up, the ratios, and the
 * workers' compute time (kernels) of each, since decoding dominates the wall time at SF 0.1.
 * Issue #13's budget: decimal Q1 within 1.5× of the double Q1.
 */

import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { openObjectStore } from '../connectors/index.js';
import { Engine, ParquetFilesSource, type QueryStats } from '../engine/index.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = resolve(arg('dir', join(ROOT, '../shared/tpch/sf0.1')));
const RUNS = Number(arg('runs', '5'));
const THREADS = Number(arg('threads', '2'));

const q1 = (t: string, c: (x: string) => string = (x) => x): string => `SELECT l_returnflag, l_linestatus, sum(${c('l_quantity')}) AS sum_qty,
  sum(${c('l_extendedprice')}) AS sum_base_price, sum(${c('l_extendedprice')} * (1 - ${c('l_discount')})) AS sum_disc_price,
  sum(${c('l_extendedprice')} * (1 - ${c('l_discount')}) * (1 + ${c('l_tax')})) AS sum_charge, avg(${c('l_quantity')}) AS avg_qty,
  avg(${c('l_extendedprice')}) AS avg_price, avg(${c('l_discount')}) AS avg_disc, count(*) AS count_order
  FROM ${t} WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
  GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`;
const q6 = (t: string, c: (x: string) => string = (x) => x): string => `SELECT sum(${c('l_extendedprice')} * ${c('l_discount')}) AS revenue FROM ${t}
  WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
  AND ${c('l_discount')} BETWEEN 0.05 AND 0.07 AND ${c('l_quantity')} < 24`;
const dbl = (x: string): string => `CAST(${x} AS DOUBLE)`;

async function main(): Promise<void> {
  const src = join(DIR, 'lineitem.parquet');
  if (!existsSync(src)) throw new Error(`no ${src}`);
  const tmp = join(tmpdir(), 'exact-q1-lineitem-double.parquet');
  if (!existsSync(tmp)) {
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`COPY (SELECT * REPLACE (l_quantity::DOUBLE AS l_quantity, l_extendedprice::DOUBLE AS l_extendedprice,
      l_discount::DOUBLE AS l_discount, l_tax::DOUBLE AS l_tax) FROM '${src}') TO '${tmp}' (FORMAT parquet)`);
    duck.closeSync();
  }
  const engine = await Engine.open({ threads: THREADS });
  engine.registerTable('li_dec', await ParquetFilesSource.open(await openObjectStore(DIR), ['lineitem.parquet']));
  engine.registerTable('li_dbl', await ParquetFilesSource.open(await openObjectStore(tmpdir()), ['exact-q1-lineitem-double.parquet']));
  const run = async (sql: string): Promise<{ ms: number; computeMs: number; rows: unknown[] }> => {
    let best = Infinity;
    let compute = Infinity;
    let rows: unknown[] = [];
    for (let i = 0; i <= RUNS; i++) {
      const df = engine.sql(sql);
      const t0 = performance.now();
      rows = await df.toArray();
      const ms = performance.now() - t0;
      const s: QueryStats | undefined = df.lastStats;
      if (i > 0) { best = Math.min(best, ms); compute = Math.min(compute, s?.computeMs ?? NaN); }
    }
    return { ms: best, computeMs: compute, rows };
  };
  for (const [name, q] of [['Q1', q1], ['Q6', q6]] as const) {
    const d = await run(q('li_dec'));
    const f = await run(q('li_dbl'));
    const c = await run(q('li_dec', dbl));
    console.log(`${name}: decimal ${d.ms.toFixed(1)} ms (compute ${d.computeMs.toFixed(1)}), double file ${f.ms.toFixed(1)} ms (compute ${f.computeMs.toFixed(1)}), CAST AS DOUBLE ${c.ms.toFixed(1)} ms (compute ${c.computeMs.toFixed(1)})`);
    console.log(`  ratio decimal/double file: ${(d.ms / f.ms).toFixed(2)} wall, ${(d.computeMs / f.computeMs).toFixed(2)} compute; decimal/CAST: ${(d.ms / c.ms).toFixed(2)} wall`);
    console.log(`  decimal answer: ${JSON.stringify(d.rows[0])}`);
  }
  await engine.close();
}

await main();
