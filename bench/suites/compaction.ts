/**
 * Compaction: a table partitioned by year(l_shipdate) holding lineitem as many small files
 * (about 60 slices × one file per partition each), rewritten into few large files. Reports
 * input files/s and input MB/s. Peers rewrite the same small Parquet files into one file per
 * partition (DuckDB COPY … PARTITION_BY; Polars read → concat → partitioned write), which is the
 * work compaction does minus the commit.
 *
 * Our side is `engine.compact(table)` with its default knobs (bin-packing per partition, groups
 * rewritten in parallel on the worker pool, one replace commit). The table is rebuilt (untimed)
 * before every run, and every engine's output is checked against the source with the same
 * fingerprint as the ingest suite.
 */

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { openObjectStore, readParquet } from '../../connectors/index.js';
import { Warehouse, type Table } from '../../catalog/index.js';
import { Engine } from '../../engine/index.js';
import { ensureDataset, tpchIcebergSchema, type Dataset } from '../lib/datasets.js';
import { measure } from '../lib/measure.js';
import type { BenchResult } from '../lib/report.js';
import { openDuckDb, sqlString, type DuckDb } from '../peers/duckdb.js';
import { loadPolars, type Pl } from '../peers/polars.js';
import { diffRows, errorMessage, failed, type EngineName, type Rows, type Suite, type SuiteContext, type SuiteOutput } from './common.js';
import { PARTITION } from './ingest.js';
import { writePartitioned } from './table-write.js';

const SLICES = 60;
const SUITE = 'compaction';

type CompactFn = (table: Table) => Promise<unknown>;

/** The engine's compaction operation on this warehouse, and a way to release the engine. */
async function engineCompact(warehouse: string): Promise<{ compact: CompactFn; close: () => Promise<void> }> {
  const engine = await Engine.open({ warehouse });
  return {
    compact: (table) => engine.compact(`${table.identifier.namespace}.${table.identifier.name}`),
    close: () => engine.close(),
  };
}

async function* sliced(store: Awaited<ReturnType<typeof openObjectStore>>, ds: Dataset, sliceRows: number): AsyncGenerator<arrow.RecordBatch> {
  for (const f of ds.files) {
    for await (const b of readParquet(store, f.name)) {
      for (let off = 0; off < b.numRows; off += sliceRows) yield b.slice(off, Math.min(b.numRows, off + sliceRows));
    }
  }
}

/** A fresh table of many small files: one append of SLICES × partitions files. */
async function buildSmallFiles(wh: Warehouse, ident: string, ds: Dataset): Promise<{ table: Table; files: number; bytes: number }> {
  const table = await wh.createTable(ident, tpchIcebergSchema('lineitem'), { partitionBy: [PARTITION] });
  const store = await openObjectStore(ds.dir);
  try {
    const sliceRows = Math.max(1, Math.ceil(ds.rows / SLICES));
    const append = table.newAppend();
    let files = 0;
    let bytes = 0;
    for await (const b of sliced(store, ds, sliceRows)) {
      const w = await writePartitioned(table, [b]);
      for (const f of w.files) append.appendFile(f);
      files += w.files.length;
      bytes += w.bytes;
    }
    await append.commit();
    return { table, files, bytes };
  } finally {
    await store.close();
  }
}

async function scanFiles(table: Table): Promise<string[]> {
  const plan = await table.scan();
  return plan.tasks.map((t) => (t.file.filePath.startsWith('file://') ? decodeURIComponent(new URL(t.file.filePath).pathname) : t.file.filePath));
}

async function fingerprint(duck: DuckDb, paths: string[]): Promise<Rows> {
  return (await duck.query(`SELECT count(*) AS n, sum(l_quantity) AS qty, sum(l_extendedprice) AS price, sum(l_orderkey) AS keys, min(l_shipdate), max(l_shipdate)
    FROM read_parquet([${paths.map(sqlString).join(', ')}])`))();
}

export const compactionSuite: Suite = {
  name: 'compaction',
  description: 'rewrite a table of many small files into few large ones: files/s and MB/s',
  async run(ctx: SuiteContext): Promise<SuiteOutput> {
    const ds = await ensureDataset(ctx.dataRoot, ctx.sf, 'parquet', 'lineitem', ctx.log);
    const whDir = join(ctx.workDir, 'wh-compaction');
    mkdirSync(whDir, { recursive: true });
    const wh = await Warehouse.open(whDir);
    const checker = await openDuckDb();
    const results: BenchResult[] = [];
    const notes: string[] = [];
    try {
      await wh.createNamespace('bench');
      ctx.log(`compaction: building a table of small files from lineitem SF ${ctx.sf}`);
      const source = await buildSmallFiles(wh, 'bench.small_files', ds);
      const inputFiles = await scanFiles(source.table);
      const expected = await fingerprint(checker, inputFiles);
      notes.push(`input: ${source.files} files, ${(source.bytes / 2 ** 20).toFixed(1)} MiB, ${ds.rows.toLocaleString('en-US')} rows`);
      const record = (engine: EngineName, m: { medianMs: number; minMs: number; maxMs: number; runs: number[] }, outFiles: string[], problem?: string): void => {
        results.push({
          suite: SUITE, engine, medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, runs: m.runs.length, rows: ds.rows, bytes: source.bytes,
          correct: !problem, ...(problem ? { mismatch: problem } : {}),
          extra: { inputFiles: source.files, outputFiles: outFiles.length, filesPerSec: source.files / (m.medianMs / 1000) },
        });
      };
      const check = async (outFiles: string[]): Promise<string | undefined> => {
        const d = diffRows(await fingerprint(checker, outFiles), expected, { ordered: true });
        if (d) return `output differs from the input: ${d}`;
        if (outFiles.length >= source.files) return `${outFiles.length} files after compaction, ${source.files} before`;
        return undefined;
      };

      {
        const { compact, close } = await engineCompact(wh.uri);
        ctx.log(`compaction: lakehouse (warm-up ${ctx.heavyWarmup}, ${ctx.heavyRuns} runs; table rebuilt before each)`);
        let n = 0;
        let table: Table | undefined;
        try {
          const m = await measure(async () => {
            await compact(table!);
          }, {
            warmup: ctx.heavyWarmup,
            runs: ctx.heavyRuns,
            budgetMs: ctx.heavyBudgetMs,
            before: async () => {
              if (table) await wh.dropTable(table.identifier, { purge: true });
              table = (await buildSmallFiles(wh, `bench.compact_${n++}`, ds)).table;
            },
          });
          const after = await scanFiles(await wh.loadTable(table!.identifier));
          record('lakehouse', m, after, await check(after));
        } catch (err) {
          results.push(failed(SUITE, 'lakehouse', err));
        } finally {
          await close();
        }
      }

      if (ctx.engines.includes('duckdb')) {
        const duck = await openDuckDb();
        let run = 0;
        let out = '';
        try {
          ctx.log(`compaction: duckdb (warm-up ${ctx.heavyWarmup}, ${ctx.heavyRuns} runs)`);
          const m = await measure(async () => {
            if (out) rmSync(out, { recursive: true, force: true });
            out = join(ctx.workDir, `duck-compact-${run++}`);
            await duck.run(`COPY (SELECT *, year(l_shipdate) AS l_shipdate_year FROM read_parquet([${inputFiles.map(sqlString).join(', ')}]))
              TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (l_shipdate_year))`);
          }, { warmup: ctx.heavyWarmup, runs: ctx.heavyRuns, budgetMs: ctx.heavyBudgetMs });
          const outFiles = (await duck.query(`SELECT file FROM glob(${sqlString(`${out}/**/*.parquet`)})`))().map((r) => String(r[0]));
          record('duckdb', m, outFiles, await check(outFiles));
        } catch (err) {
          results.push(failed(SUITE, 'duckdb', err));
        } finally {
          duck.close();
        }
      }
      if (ctx.engines.includes('polars')) {
        try {
          const pl: Pl = await loadPolars();
          let run = 0;
          let out = '';
          ctx.log(`compaction: polars (warm-up ${ctx.heavyWarmup}, ${ctx.heavyRuns} runs)`);
          const written: string[] = [];
          const m = await measure(async () => {
            if (out) rmSync(out, { recursive: true, force: true });
            out = join(ctx.workDir, `polars-compact-${run++}`);
            written.length = 0;
            const df = pl.concat(inputFiles.map((p) => pl.readParquet(p))).withColumns(pl.col('l_shipdate').dt.year().alias('l_shipdate_year'));
            for (const part of df.partitionBy('l_shipdate_year', false, true)) {
              const dir = join(out, `l_shipdate_year=${part.getColumn('l_shipdate_year').get(0) as number}`);
              mkdirSync(dir, { recursive: true });
              const file = join(dir, 'data_0.parquet');
              part.drop('l_shipdate_year').writeParquet(file, { compression: 'zstd' });
              written.push(file);
            }
          }, { warmup: ctx.heavyWarmup, runs: ctx.heavyRuns, budgetMs: ctx.heavyBudgetMs });
          record('polars', m, [...written], await check([...written]));
        } catch (err) {
          results.push(failed(SUITE, 'polars', err));
        }
      }
      const table = [
        `Compaction of ${source.files} small files (${(source.bytes / 2 ** 20).toFixed(1)} MiB):`,
        '',
        '| engine | median | input files/s | input MB/s | output files | check |',
        '|---|---:|---:|---:|---:|---|',
        ...results.map((r) => r.error !== undefined
          ? `| ${r.engine} | — | — | — | — | ${r.error} |`
          : `| ${r.engine} | ${(r.medianMs / 1000).toFixed(3)} s | ${(source.files / (r.medianMs / 1000)).toFixed(0)} | ${(source.bytes / 2 ** 20 / (r.medianMs / 1000)).toFixed(1)} | ${r.extra?.['outputFiles'] ?? '—'} | ${r.correct ? 'ok' : `MISMATCH: ${r.mismatch ?? ''}`} |`),
      ].join('\n');
      return { results, notes, tables: [table] };
    } catch (err) {
      ctx.log(`compaction failed: ${errorMessage(err)}`);
      throw err;
    } finally {
      checker.close();
      await wh.close();
    }
  },
};
