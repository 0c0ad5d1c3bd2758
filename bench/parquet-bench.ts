/**
 * `npm run bench:parquet [-- --rows N]`: write and read throughput of our Parquet writer and
 * reader next to DuckDB, on the same deterministic lineitem-like data, in one run.
 *
 * Each measurement runs in its own child process so peak RSS (the process high-water mark) is
 * per measurement, and parquet-wasm's never-shrinking memory from one phase cannot inflate
 * another. Reads run twice in their process and report the faster run (the first decode in a
 * process pays for WASM memory growth); writes run once. DuckDB uses its default threads.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openObjectStore, readParquet, readParquetMetadata, writeParquetFiles } from '../connectors/index.js';
import { generateLineitem, LINEITEM_SCHEMA } from './lib/generate-lineitem.js';

const PROJECTION = ['l_quantity', 'l_extendedprice', 'l_discount', 'l_shipdate'];

interface Measure {
  seconds: number;
  rows: number;
  bytes: number;
  rssMB: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function duck(): Promise<{ run(sql: string): Promise<void>; close(): void }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  return {
    run: async (sql) => {
      await con.run(sql);
    },
    close: () => {
      con.closeSync();
      db.closeSync();
    },
  };
}

async function bestOf<T>(n: number, f: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  let best = { seconds: Number.POSITIVE_INFINITY, value: undefined as T };
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const value = await f();
    const seconds = (performance.now() - t0) / 1000;
    if (seconds < best.seconds) best = { seconds, value };
  }
  return best;
}

/** Compressed bytes of the given columns (all when undefined) in a Parquet file. */
async function chunkBytes(dir: string, file: string, columns?: string[]): Promise<number> {
  const md = await readParquetMetadata(await openObjectStore(dir), file);
  let total = 0;
  for (const rg of md.rowGroups) for (const [name, c] of rg.columns) if (!columns || columns.includes(name)) total += c.compressedSize;
  return total;
}

async function phase(name: string, dir: string, rows: number): Promise<Measure> {
  const ours = 'ours.parquet';
  switch (name) {
    case 'write-ours': {
      const batches = [...generateLineitem(rows)];
      const store = await openObjectStore(dir);
      const t0 = performance.now();
      const files = await writeParquetFiles(store, () => ours, batches, { schema: LINEITEM_SCHEMA, targetFileSize: Number.MAX_SAFE_INTEGER });
      const seconds = (performance.now() - t0) / 1000;
      return { seconds, rows, bytes: files[0]!.stats.fileSizeInBytes, rssMB: peakRssMB() };
    }
    case 'write-duckdb': {
      const db = await duck();
      await db.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${join(dir, ours)}')`);
      const t0 = performance.now();
      await db.run(`COPY t TO '${join(dir, 'duck.parquet')}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 131072)`);
      const seconds = (performance.now() - t0) / 1000;
      db.close();
      return { seconds, rows, bytes: statSync(join(dir, 'duck.parquet')).size, rssMB: peakRssMB() };
    }
    case 'read-ours-all':
    case 'read-ours-proj': {
      const columns = name.endsWith('proj') ? PROJECTION : undefined;
      const store = await openObjectStore(dir);
      const { seconds, value } = await bestOf(2, async () => {
        let n = 0;
        for await (const b of readParquet(store, ours, { columns })) n += b.numRows;
        return n;
      });
      return { seconds, rows: value, bytes: await chunkBytes(dir, ours, columns), rssMB: peakRssMB() };
    }
    case 'read-duckdb-all':
    case 'read-duckdb-proj': {
      const columns = name.endsWith('proj') ? PROJECTION : undefined;
      const db = await duck();
      const { seconds } = await bestOf(2, async () => {
        // Materialise every selected value, as our reader does (count(*) would skip decoding).
        await db.run(`CREATE OR REPLACE TEMP TABLE x AS SELECT ${columns ? columns.join(', ') : '*'} FROM read_parquet('${join(dir, ours)}')`);
      });
      db.close();
      return { seconds, rows, bytes: await chunkBytes(dir, ours, columns), rssMB: peakRssMB() };
    }
    default:
      throw new Error(`unknown phase ${name}`);
  }
}

function runChild(name: string, dir: string, rows: number): Measure {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--phase', name, '--dir', dir, '--rows', String(rows)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = out.trim().split('\n').pop()!;
  return JSON.parse(last) as Measure;
}

function fmt(m: Measure): string[] {
  const mb = m.bytes / 1e6;
  return [`${(m.seconds * 1000).toFixed(0)} ms`, `${(m.rows / m.seconds / 1e6).toFixed(2)} M rows/s`, `${(mb / m.seconds).toFixed(1)} MB/s`, `${m.rssMB.toFixed(0)} MB`];
}

async function main(): Promise<void> {
  const phaseName = arg('phase');
  const rows = Number(arg('rows') ?? 1_000_000);
  if (phaseName) {
    const m = await phase(phaseName, arg('dir')!, rows);
    process.stdout.write(`${JSON.stringify(m)}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lake-parquet-bench-'));
  try {
    console.log(`lineitem-like data, ${rows.toLocaleString('en-US')} rows, 16 columns; Node ${process.version}`);
    const results: [string, Measure, Measure][] = [];
    const pairs: [string, string, string][] = [
      ['write (zstd)', 'write-ours', 'write-duckdb'],
      ['read all 16 columns', 'read-ours-all', 'read-duckdb-all'],
      [`read 4 columns (${PROJECTION.join(', ')})`, 'read-ours-proj', 'read-duckdb-proj'],
    ];
    for (const [label, a, b] of pairs) {
      const ours = runChild(a, dir, rows);
      const duck = runChild(b, dir, rows);
      results.push([label, ours, duck]);
    }
    const size = statSync(join(dir, 'ours.parquet')).size;
    const duckSize = statSync(join(dir, 'duck.parquet')).size;
    console.log(`file: ours ${(size / 1e6).toFixed(1)} MB, DuckDB's ${(duckSize / 1e6).toFixed(1)} MB (MB/s: output bytes for writes, compressed column-chunk bytes read for reads)\n`);
    const header = ['', 'ours: time', 'rows/s', 'MB/s', 'peak RSS', 'DuckDB: time', 'rows/s', 'MB/s', 'peak RSS', 'ours/DuckDB time'];
    const table = results.map(([label, o, d]) => [label, ...fmt(o), ...fmt(d), `${(o.seconds / d.seconds).toFixed(2)}x`]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(line(header));
    for (const r of table) console.log(line(r));
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
