/**
 * The benchmark datasets: `bench/lib/tpch.ts` tables written once per scale factor as Parquet
 * (through our writer, with Iceberg field ids) and as CSV into a cache directory
 * (`bench/data/sf<N>/<format>-<table>/`, gitignored), then reused by every suite and every peer.
 *
 * Reproducible byte for byte: the generator is seeded per chunk, the writer is given fixed file
 * names, a fixed row-group size and no clock- or host-dependent metadata, and every file's
 * SHA-256 is recorded in the directory's `manifest.json`; `verifyDataset` re-hashes the files.
 *
 * Concurrency: two processes may ask for the same dataset at once. Each generates into its own
 * temporary directory and renames it into place; the loser of the rename discards its copy and
 * uses the winner's. A directory without a complete manifest is never used.
 */

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordBatch } from 'apache-arrow';
import { arrowSchemaToIceberg, isLakehouseError, LakehouseError, openObjectStore, writeParquetFiles, type Schema } from '../../connectors/index.js';
import { batchToCsv, generateTpch, type TpchTable } from './tpch.js';

/** Bumped whenever generator or layout changes, so stale caches are regenerated. */
export const DATASET_VERSION = 1;
export const DATASET_ROW_GROUP_SIZE = 131_072;
export const DATASET_TARGET_FILE_SIZE = 128 * 1024 * 1024;

export type DatasetFormat = 'parquet' | 'csv';

export interface DatasetFile {
  name: string;
  bytes: number;
  sha256: string;
}

export interface Dataset {
  table: TpchTable;
  sf: number;
  format: DatasetFormat;
  /** Absolute directory holding the files. */
  dir: string;
  /** File names inside `dir`, in order. */
  files: DatasetFile[];
  rows: number;
  bytes: number;
  version: number;
}

/** The default cache root: `<project>/bench/data` (this file runs from `dist/bench/lib`). */
export function defaultDataRoot(): string {
  return process.env['LAKE_BENCH_DATA'] ?? resolve(fileURLToPath(new URL('../../../bench/data/', import.meta.url)));
}

export function datasetDir(root: string, sf: number, format: DatasetFormat, table: TpchTable): string {
  return join(root, `sf${sf}`, `${format}-${table}`);
}

/** The Iceberg schema of a generated table (field ids 1…n in column order, all required). */
export function tpchIcebergSchema(table: TpchTable): Schema {
  const first = generateTpch(table, 0.0001).next().value as RecordBatch;
  return arrowSchemaToIceberg(first.schema);
}

/** Returns the cached dataset, generating it first when absent or stale. */
export async function ensureDataset(root: string, sf: number, format: DatasetFormat, table: TpchTable, log?: (msg: string) => void): Promise<Dataset> {
  const dir = datasetDir(root, sf, format, table);
  const cached = loadManifest(dir);
  if (cached) return cached;
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // stale or incomplete
  mkdirSync(join(root, `sf${sf}`), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  const t0 = performance.now();
  try {
    log?.(`generating ${table} SF ${sf} as ${format} into ${dir} …`);
    const { files, rows } = format === 'parquet' ? await writeParquetDataset(tmp, sf, table) : await writeCsvDataset(tmp, sf, table);
    const ds: Dataset = { table, sf, format, dir, files, rows, bytes: files.reduce((s, f) => s + f.bytes, 0), version: DATASET_VERSION };
    writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify({ ...ds, dir: undefined }, null, 2)}\n`);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      const winner = loadManifest(dir);
      if (!winner) throw err;
      rmSync(tmp, { recursive: true, force: true });
      return winner;
    }
    log?.(`generated ${table} SF ${sf} ${format}: ${rows.toLocaleString('en-US')} rows, ${(ds.bytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return ds;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (isLakehouseError(err)) throw err;
    throw new LakehouseError('STORE_UNAVAILABLE', `could not generate the ${format} dataset ${table} at SF ${sf} in ${dir}: ${(err as Error).message}`, {
      cause: err,
      help: 'Check free disk space and write permission on the data directory (set LAKE_BENCH_DATA to use another one).',
    });
  }
}

function loadManifest(dir: string): Dataset | undefined {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Omit<Dataset, 'dir'>;
    if (m.version !== DATASET_VERSION) return undefined;
    // Cheap integrity check (sizes); `verifyDataset` re-hashes.
    for (const f of m.files) if (!existsSync(join(dir, f.name)) || statSync(join(dir, f.name)).size !== f.bytes) return undefined;
    return { ...m, dir };
  } catch {
    return undefined;
  }
}

/** Re-hashes every file of a dataset; returns the names whose bytes differ from the manifest. */
export async function verifyDataset(ds: Dataset): Promise<string[]> {
  const bad: string[] = [];
  for (const f of ds.files) if ((await sha256File(join(ds.dir, f.name))) !== f.sha256) bad.push(f.name);
  return bad;
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function writeParquetDataset(dir: string, sf: number, table: TpchTable): Promise<{ files: DatasetFile[]; rows: number }> {
  const store = await openObjectStore(dir);
  try {
    const schema = tpchIcebergSchema(table);
    const names: string[] = [];
    const written = await writeParquetFiles(store, (i) => {
      names[i] = `part-${String(i).padStart(5, '0')}.parquet`;
      return names[i]!;
    }, generateTpch(table, sf), { schema, rowGroupSize: DATASET_ROW_GROUP_SIZE, targetFileSize: DATASET_TARGET_FILE_SIZE, compression: 'zstd' });
    const files: DatasetFile[] = [];
    for (const w of written) files.push({ name: w.key, bytes: w.stats.fileSizeInBytes, sha256: await sha256File(join(dir, w.key)) });
    return { files, rows: written.reduce((s, w) => s + w.stats.recordCount, 0) };
  } finally {
    await store.close();
  }
}

async function writeCsvDataset(dir: string, sf: number, table: TpchTable): Promise<{ files: DatasetFile[]; rows: number }> {
  const name = `${table}.csv`;
  const out = createWriteStream(join(dir, name));
  const h = createHash('sha256');
  let rows = 0;
  let bytes = 0;
  let first = true;
  try {
    for (const b of generateTpch(table, sf)) {
      const buf = Buffer.from(batchToCsv(b, first), 'utf8');
      first = false;
      rows += b.numRows;
      bytes += buf.length;
      h.update(buf);
      if (!out.write(buf)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { files: [{ name, bytes, sha256: h.digest('hex') }], rows };
}
