/**
 * Parquet written by other engines, read through our reader and compared value by value with
 * DuckDB reading the same file: the Spark, Iceberg-Java and Athena data files of the shared
 * fixtures, and files written by Polars with each of its codecs.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import * as arrow from 'apache-arrow';
import { arrowTypeToIceberg, icebergValueAt, openObjectStore, parseDecimal, readParquet } from 'lakehouse-engine/connectors';
import { collect } from './fixtures.js';
import { haveFixtures, icebergFixture } from '../helpers/fixtures.js';

const FIXTURES = icebergFixture();

function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...parquetFiles(p));
    else if (name.endsWith('.parquet')) out.push(p);
  }
  return out.sort();
}

/** Our value in the canonical text DuckDB produces with the casts of `duckdbCanonical`. */
function canonical(v: unknown, type: string): string | null {
  if (v === null || v === undefined) return null;
  const dec = parseDecimal(type as never);
  if (dec) return String(v);
  if (type === 'double' || type === 'float') return Number.isNaN(v as number) ? 'nan' : String(Number(v));
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex').toUpperCase();
  return String(v);
}

function duckdbCanonical(name: string, type: string): string {
  const q = `"${name.replace(/"/g, '""')}"`;
  const dec = parseDecimal(type as never);
  if (dec) return `(${q} * ${10n ** BigInt(dec.scale)})::HUGEINT::VARCHAR`;
  switch (type) {
    case 'date':
      return `(${q}::DATE - DATE '1970-01-01')::VARCHAR`;
    case 'timestamp':
    case 'timestamptz':
      return `epoch_us(${q})::VARCHAR`;
    case 'double':
    case 'float':
      return `CASE WHEN isnan(${q}::DOUBLE) THEN 'nan' ELSE ${q}::DOUBLE::VARCHAR END`;
    case 'binary':
      return `hex(${q})`;
    default:
      return `${q}::VARCHAR`;
  }
}

async function compareWithDuckdb(conn: DuckDBConnection, path: string): Promise<number> {
  const store = await openObjectStore(join(path, '..'));
  const batches = await collect(readParquet(store, path.split('/').pop()!));
  const table = new arrow.Table(batches);
  const fields = table.schema.fields;
  const types = fields.map((f) => arrowTypeToIceberg(f.type, f.name));
  const select = fields.map((f, i) => `${duckdbCanonical(f.name, types[i]!)} AS c${i}`).join(', ');
  const expected = (await conn.runAndReadAll(`SELECT ${select} FROM read_parquet('${path}')`)).getRowObjectsJson();
  expect(table.numRows).toBe(expected.length);
  for (let c = 0; c < fields.length; c++) {
    const vec = table.getChildAt(c)!;
    const ours = Array.from({ length: table.numRows }, (_, r) => canonical(icebergValueAt(vec, r), types[c]!));
    const theirs = expected.map((row) => {
      const v = row[`c${c}`];
      return v === null || v === undefined ? null : types[c] === 'double' || types[c] === 'float' ? (v === 'nan' ? 'nan' : String(Number(v))) : String(v);
    });
    expect(ours, `${relative(FIXTURES, path)} column ${fields[c]!.name}`).toEqual(theirs);
  }
  await store.close();
  return table.numRows;
}

let conn: DuckDBConnection;
let tmp: string;

beforeAll(async () => {
  conn = await (await DuckDBInstance.create(':memory:')).connect();
  tmp = mkdtempSync(join(tmpdir(), 'lake-polars-'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.runIf(haveFixtures())('Parquet written by Spark, Iceberg Java and Athena (shared fixtures)', () => {
  const files = parquetFiles(FIXTURES);
  it('finds the fixture files', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
  for (const f of files) {
    it(`reads ${relative(FIXTURES, f)} exactly as DuckDB does`, async () => {
      expect(await compareWithDuckdb(conn, f)).toBeGreaterThan(0);
    });
  }
});

describe('Parquet written by Polars', () => {
  for (const compression of ['uncompressed', 'snappy', 'gzip', 'lz4', 'zstd', 'brotli'] as const) {
    it(`reads a Polars file (${compression}) exactly as DuckDB does`, async () => {
      const n = 5000;
      const df = pl.DataFrame({
        id: Array.from({ length: n }, (_, i) => i),
        big: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : BigInt(i) * 1_000_003n - 2_000_000_000n)),
        ratio: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : (i * 37) / 13 - 100)),
        label: Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : i % 5 === 0 ? '' : `label-${i % 17}`)),
        flag: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i % 2 === 0)),
      }).withColumns(pl.col('big').cast(pl.Int64), pl.col('id').cast(pl.Int32));
      const path = join(tmp, `polars-${compression}.parquet`);
      df.writeParquet(path, { compression });
      expect(await compareWithDuckdb(conn, path)).toBe(n);
    });
  }
});
