/**
 * Write-path suites, all into a target partitioned by year(l_shipdate):
 *  - ingest: CSV → table and Parquet → table (the generated lineitem files);
 *  - write: CTAS of lineitem (a query over the Parquet table) into a new partitioned table.
 * Ours: read (readCsv / readParquet / engine query) → split by partition → writeParquetFiles →
 * one append commit to a fresh Iceberg table. DuckDB: COPY … TO (PARTITION_BY). Polars: read →
 * partitionBy → writeParquet per partition. Each run writes a fresh target (created inside the
 * timed part, dropped after it). The check reads every engine's output files with DuckDB and
 * compares a fingerprint (row count, sums, date range, total comment length) with the source's;
 * ours must also have committed one snapshot whose total-records equals the source rows.
 */

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openObjectStore, readCsv, readParquet } from '../../connectors/index.js';
import { Warehouse, type Table } from '../../catalog/index.js';
import type { Engine } from '../../engine/index.js';
import { ensureDataset, tpchIcebergSchema, type Dataset } from '../lib/datasets.js';
import { measure } from '../lib/measure.js';
import type { BenchResult } from '../lib/report.js';
import { csvColumns, openDuckDb, parquetList, sqlString, type DuckDb } from '../peers/duckdb.js';
import { files as polarsFiles, loadPolars, polarsSchema, scan, type Pl, type PlFrame } from '../peers/polars.js';
import { diffRows, errorMessage, failed, type EngineName, type Rows, type Suite, type SuiteContext, type SuiteOutput } from './common.js';
import { openOurEngine, tpchParquet } from './queries.js';
import { writePartitioned } from './table-write.js';

export const PARTITION = { column: 'l_shipdate', transform: 'year' } as const;

const FINGERPRINT = `count(*) AS n, sum(l_quantity) AS qty, sum(l_extendedprice) AS price, sum(l_discount) AS disc,
  sum(l_orderkey) AS keys, min(l_shipdate) AS first_ship, max(l_shipdate) AS last_ship, sum(length(l_comment)) AS comment_chars`;

type Source = 'csv' | 'parquet' | 'query';

interface Target {
  /** Parquet files the engine wrote (absolute paths), for the check. */
  files: string[];
  /** Problem found by the engine-specific check (ours: snapshot summary). */
  problem?: string;
}

type Writer = (run: number) => Promise<Target>;

function listParquet(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listParquet(p));
    else if (e.name.endsWith('.parquet')) out.push(p);
  }
  return out.sort();
}

async function fingerprint(duck: DuckDb, paths: string[]): Promise<Rows> {
  if (paths.length === 0) return [[0]];
  return (await duck.query(`SELECT ${FINGERPRINT} FROM read_parquet([${paths.map(sqlString).join(', ')}])`))();
}

function localPath(uri: string): string {
  return uri.startsWith('file://') ? decodeURIComponent(new URL(uri).pathname) : uri;
}

async function ourWriter(ctx: SuiteContext, source: Source, input: Dataset, engine: Engine | undefined): Promise<{ write: Writer; close(): Promise<void> }> {
  const whDir = join(ctx.workDir, `wh-${source}`);
  mkdirSync(whDir, { recursive: true });
  const wh = await Warehouse.open(whDir);
  await wh.createNamespace('bench');
  const store = await openObjectStore(input.dir);
  const schema = tpchIcebergSchema('lineitem');
  let last: Table | undefined;
  const batches = (): AsyncIterable<import('apache-arrow').RecordBatch> => {
    if (source === 'query') return engine!.sql('SELECT * FROM lineitem');
    if (source === 'csv') return readCsv(store, input.files[0]!.name, { schema });
    return (async function* () {
      for (const f of input.files) yield* readParquet(store, f.name);
    })();
  };
  return {
    write: async (run) => {
      if (last) await wh.dropTable(last.identifier, { purge: true });
      const table = await wh.createTable(`bench.${source}_${run}`, schema, { partitionBy: [PARTITION] });
      last = table;
      const written = await writePartitioned(table, batches());
      const builder = table.newAppend();
      for (const f of written.files) builder.appendFile(f);
      const res = await builder.commit();
      const total = Number(res.snapshot.summary['total-records'] ?? NaN);
      const plan = await table.scan();
      return {
        files: plan.tasks.map((t) => localPath(t.file.filePath)),
        ...(total !== input.rows || table.history().length !== 1 ? { problem: `snapshot has ${total} records in ${table.history().length} snapshots, expected ${input.rows} in 1` } : {}),
      };
    },
    close: async () => {
      await wh.close();
      await store.close();
    },
  };
}

function duckWriter(ctx: SuiteContext, duck: DuckDb, source: Source, input: Dataset): Writer {
  const from = source === 'csv'
    ? `read_csv(${sqlString(join(input.dir, input.files[0]!.name))}, header = true, columns = ${csvColumns(tpchIcebergSchema('lineitem'))})`
    : `read_parquet(${parquetList(input)})`;
  return async (run) => {
    const out = join(ctx.workDir, `duck-${source}-${run}`);
    rmSync(join(ctx.workDir, `duck-${source}-${run - 1}`), { recursive: true, force: true });
    await duck.run(`COPY (SELECT *, year(l_shipdate) AS l_shipdate_year FROM ${from}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (l_shipdate_year))`);
    return { files: listParquet(out) };
  };
}

function polarsWriter(ctx: SuiteContext, pl: Pl, source: Source, input: Dataset): Writer {
  const schema = polarsSchema(pl, tpchIcebergSchema('lineitem'));
  const read = (): PlFrame => {
    if (source === 'csv') return pl.readCSV(join(input.dir, input.files[0]!.name), { schema });
    if (source === 'parquet') {
      const frames = polarsFiles(input).map((p) => pl.readParquet(p));
      return frames.length === 1 ? frames[0]! : pl.concat(frames);
    }
    return scan(pl, input).collectSync();
  };
  return async (run) => {
    const out = join(ctx.workDir, `polars-${source}-${run}`);
    rmSync(join(ctx.workDir, `polars-${source}-${run - 1}`), { recursive: true, force: true });
    const df = read().withColumns(pl.col('l_shipdate').dt.year().alias('l_shipdate_year'));
    const parts = df.partitionBy('l_shipdate_year', false, true);
    for (const part of parts) {
      const year = part.getColumn('l_shipdate_year').get(0) as number;
      const dir = join(out, `l_shipdate_year=${year}`);
      mkdirSync(dir, { recursive: true });
      part.drop('l_shipdate_year').writeParquet(join(dir, 'data_0.parquet'), { compression: 'zstd' });
    }
    return { files: listParquet(out) };
  };
}

async function runWriteSuite(ctx: SuiteContext, label: string, source: Source): Promise<BenchResult[]> {
  const lineitem = source === 'csv' ? await ensureDataset(ctx.dataRoot, ctx.sf, 'csv', 'lineitem', ctx.log) : await ensureDataset(ctx.dataRoot, ctx.sf, 'parquet', 'lineitem', ctx.log);
  const parquet = await ensureDataset(ctx.dataRoot, ctx.sf, 'parquet', 'lineitem', ctx.log);
  const results: BenchResult[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  // DuckDB is also the checker, so it is opened even when it is not benchmarked.
  const checker = await openDuckDb();
  closers.push(() => checker.close());
  try {
    const writers = new Map<EngineName, Writer>();
    try {
      let engine: Engine | undefined;
      if (source === 'query') {
        engine = await openOurEngine(await tpchParquet(ctx, ctx.sf, ['lineitem']), ['lineitem']);
        closers.push(() => engine!.close());
      }
      const ours = await ourWriter(ctx, source, lineitem, engine);
      closers.push(() => ours.close());
      writers.set('lakehouse', ours.write);
    } catch (err) {
      results.push(failed(label, 'lakehouse', err));
    }
    if (ctx.engines.includes('duckdb')) {
      const duck = await openDuckDb();
      closers.push(() => duck.close());
      if (source === 'query') await duck.run(`CREATE VIEW lineitem AS SELECT * FROM read_parquet(${parquetList(parquet)})`);
      writers.set('duckdb', source === 'query' ? duckQueryWriter(ctx, duck) : duckWriter(ctx, duck, source, lineitem));
    }
    if (ctx.engines.includes('polars')) {
      try {
        writers.set('polars', polarsWriter(ctx, await loadPolars(), source, source === 'query' ? parquet : lineitem));
      } catch (err) {
        results.push(failed(label, 'polars', err));
      }
    }
    const expected = await fingerprint(checker, parquet.files.map((f) => join(parquet.dir, f.name)));
    const timed: BenchResult[] = [];
    for (const [name, write] of writers) {
      ctx.log(`${label}: ${name} (warm-up ${ctx.heavyWarmup}, ${ctx.heavyRuns} runs)`);
      let run = 0;
      let target: Target | undefined;
      try {
        const m = await measure(async () => {
          target = await write(run++);
        }, { warmup: ctx.heavyWarmup, runs: ctx.heavyRuns, budgetMs: ctx.heavyBudgetMs });
        const fp = await fingerprint(checker, target!.files);
        const d = diffRows(fp, expected, { ordered: true });
        const why = target!.problem ?? (d === undefined ? undefined : `output differs from the source: ${d}`);
        timed.push({ suite: label, engine: name, medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, runs: m.runs.length, rows: lineitem.rows, bytes: lineitem.bytes, correct: !why, ...(why ? { mismatch: why } : {}), extra: { files: target!.files.length, ...(m.warmupCounted ? { note: 'cold run only (over budget)' } : {}) } });
      } catch (err) {
        results.push(failed(label, name, err));
        ctx.log(`${label}: ${name} failed: ${errorMessage(err)}`);
      }
    }
    for (const r of timed) results.push(r);
    return results;
  } finally {
    for (const c of closers.reverse()) await c();
  }
}

function duckQueryWriter(ctx: SuiteContext, duck: DuckDb): Writer {
  return async (run) => {
    const out = join(ctx.workDir, `duck-ctas-${run}`);
    rmSync(join(ctx.workDir, `duck-ctas-${run - 1}`), { recursive: true, force: true });
    await duck.run(`COPY (SELECT *, year(l_shipdate) AS l_shipdate_year FROM lineitem) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (l_shipdate_year))`);
    return { files: listParquet(out) };
  };
}

export const ingestSuite: Suite = {
  name: 'ingest',
  description: 'CSV → table and Parquet → table (lineitem), partitioned by year(l_shipdate)',
  async run(ctx: SuiteContext): Promise<SuiteOutput> {
    const results = [...(await runWriteSuite(ctx, 'ingest CSV', 'csv')), ...(await runWriteSuite(ctx, 'ingest Parquet', 'parquet'))];
    return { results };
  },
};

export const writeSuite: Suite = {
  name: 'write',
  description: 'CTAS: SELECT * FROM lineitem into a new table partitioned by year(l_shipdate)',
  async run(ctx: SuiteContext): Promise<SuiteOutput> {
    return { results: await runWriteSuite(ctx, 'write (CTAS)', 'query') };
  },
};
