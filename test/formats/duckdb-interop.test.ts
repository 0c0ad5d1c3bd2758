/**
 * Files written by DuckDB (every codec, Parquet format v1 and v2, dictionary/RLE/delta/
 * byte-stream-split encodings, nulls) read through our reader; every value compared with what
 * DuckDB itself returns for the same file. Statistics decoded from the footer are compared with
 * DuckDB's min/max. Also: our files are read back by DuckDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  openObjectStore,
  readParquet,
  readParquetMetadata,
  recordBatchFromRows,
  writeParquetFiles,
  type ObjectStore,
} from 'lakehouse-engine/connectors';
import { allTypesRows, allTypesSchema, collect, columnValues, toUuid, type Value } from './fixtures.js';

const ROWS = 6000;
const CODECS = ['snappy', 'zstd', 'gzip', 'lz4', 'uncompressed', 'brotli'] as const;
const VERSIONS = ['v1', 'v2'] as const;

const CREATE = `
CREATE TABLE t AS SELECT
  g,
  CASE WHEN g % 11 = 0 THEN NULL ELSE g % 3 = 0 END AS b,
  ((g * 7919) % 200003 - 100000)::INTEGER AS i,
  (g % 300 - 150)::SMALLINT AS si,
  CASE WHEN g % 13 = 0 THEN NULL ELSE (g::BIGINT * 2654435761) % 9007199254740993 - 4503599627370496 END AS l,
  CASE WHEN g % 17 = 0 THEN NULL WHEN g % 97 = 0 THEN 'nan'::FLOAT ELSE ((g * 31) % 1000)::FLOAT / 8 - 60 END AS f,
  CASE WHEN g % 19 = 0 THEN NULL ELSE ((g * 37) % 100000)::DOUBLE / 7 - 5000 END AS d,
  CASE WHEN g % 7 = 0 THEN NULL ELSE CAST(((g * 53) % 200000 - 100000) / 100.0 AS DECIMAL(9,2)) END AS dec9,
  CAST((g - 2500) * 12345.6789 AS DECIMAL(18,4)) AS dec18,
  CASE WHEN g % 5 = 0 THEN NULL ELSE CAST((g - 2500)::HUGEINT * 1234567890123456789 AS DECIMAL(38,10)) END AS dec38,
  CASE WHEN g % 29 = 0 THEN NULL ELSE DATE '1969-06-15' + ((g * 37) % 20000 - 10000)::INTEGER END AS dt,
  CASE WHEN g % 31 = 0 THEN NULL ELSE TIME '00:00:00' + to_microseconds((g::BIGINT * 1234567) % 86400000000) END AS tm,
  TIMESTAMP '1965-03-01 12:00:00' + to_microseconds(g::BIGINT * 999999937) AS ts,
  CASE WHEN g % 3 = 1 THEN NULL ELSE (TIMESTAMP '1999-12-31 23:59:59.999999' - to_microseconds(g::BIGINT * 77777777))::TIMESTAMPTZ END AS tstz,
  CASE WHEN g % 23 = 0 THEN NULL WHEN g % 5 = 0 THEN '' ELSE 'cat_' || (g % 10) END AS s,
  'val_' || g || repeat('x', g % 7) AS s2,
  CASE WHEN g % 37 = 0 THEN NULL ELSE md5(g::VARCHAR)::UUID END AS u,
  CASE WHEN g % 41 = 0 THEN NULL ELSE unhex(substr(md5(g::VARCHAR), 1, 2 * (g % 9))) END AS bin
FROM range(${ROWS}) r(g)`;

/** Each column as DuckDB renders it in a JSON-safe canonical form. */
const EXPECT = `SELECT g, b::VARCHAR b, i::VARCHAR i, si::VARCHAR si, l::VARCHAR l, f::DOUBLE f, d, dec9::VARCHAR dec9,
  dec18::VARCHAR dec18, dec38::VARCHAR dec38, (dt - DATE '1970-01-01')::VARCHAR dt,
  epoch_us(DATE '1970-01-01' + tm)::VARCHAR tm, epoch_us(ts)::VARCHAR ts, epoch_us(tstz)::VARCHAR tstz,
  s, s2, u::VARCHAR u, hex(bin) bin`;

const SCALES: Record<string, number> = { dec9: 2, dec18: 4, dec38: 10 };

function decimalString(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const s = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return neg ? `-${s}` : s;
}

/** Our value in the canonical form of EXPECT. */
function canonical(col: string, v: Value): unknown {
  if (v === null) return null;
  if (col === 'f' || col === 'd') return Number.isNaN(v) ? 'NaN' : String(v);
  if (col in SCALES) return decimalString(v as bigint, SCALES[col]!);
  if (col === 'u') return toUuid(v as Uint8Array);
  if (col === 'bin') return Buffer.from(v as Uint8Array).toString('hex').toUpperCase();
  return String(v);
}

function canonicalExpected(col: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (col === 'f' || col === 'd') return v === 'NaN' ? 'NaN' : String(v);
  return String(v);
}

let dir: string;
let db: DuckDBInstance;
let con: DuckDBConnection;
let store: ObjectStore;
let expected: Record<string, unknown>[];
const COLS = ['b', 'i', 'si', 'l', 'f', 'd', 'dec9', 'dec18', 'dec38', 'dt', 'tm', 'ts', 'tstz', 's', 's2', 'u', 'bin'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-duckdb-'));
  db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run(`SET TimeZone = 'UTC'`);
  await con.run(CREATE);
  for (const codec of CODECS) {
    for (const v of VERSIONS) {
      await con.run(`COPY (SELECT * FROM t ORDER BY g) TO '${join(dir, `${codec}-${v}.parquet`)}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION ${v.toUpperCase()})`);
    }
  }
  expected = (await con.runAndReadAll(`${EXPECT} FROM t ORDER BY g`)).getRowObjectsJson() as Record<string, unknown>[];
  store = await openObjectStore(dir);
});

afterAll(async () => {
  con?.closeSync();
  db?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('reading DuckDB-written Parquet', () => {
  const encodingsSeen = new Set<string>();
  for (const codec of CODECS) {
    for (const v of VERSIONS) {
      it(`${codec}, format ${v}: every value matches DuckDB`, async () => {
        const key = `${codec}-${v}.parquet`;
        const md = await readParquetMetadata(store, key);
        expect(md.numRows).toBe(ROWS);
        expect(md.rowGroups.length).toBeGreaterThan(1);
        for (const rg of md.rowGroups) for (const c of rg.columns.values()) c.encodings.forEach((e) => encodingsSeen.add(e));
        const want = codec === 'lz4' ? ['LZ4', 'LZ4_RAW'] : [codec.toUpperCase()];
        expect(want).toContain(md.rowGroups[0]!.columns.get('i')!.codec);
        const batches = await collect(readParquet(store, key, { batchSize: 1000 }));
        const g = columnValues(batches, 'g');
        expect(g).toEqual(expected.map((r) => BigInt(r['g'] as string)));
        for (const col of COLS) {
          const got = columnValues(batches, col).map((x) => canonical(col, x));
          expect(got, col).toEqual(expected.map((r) => canonicalExpected(col, r[col])));
        }
      });
    }
  }

  it('covered dictionary, delta and byte-stream-split encodings', () => {
    // (RLE is used for definition levels and dictionary indices; column metadata lists the data encodings.)
    for (const e of ['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'BYTE_STREAM_SPLIT']) expect([...encodingsSeen]).toContain(e);
  });

  it('decodes footer statistics to the same min/max DuckDB computes', async () => {
    const md = await readParquetMetadata(store, 'zstd-v2.parquet');
    const q = (await con.runAndReadAll(`SELECT min(i)::VARCHAR i0, max(i)::VARCHAR i1, min(l)::VARCHAR l0, max(l)::VARCHAR l1,
      min(dec9)::VARCHAR c0, max(dec9)::VARCHAR c1, min(dec38)::VARCHAR e0, max(dec38)::VARCHAR e1,
      (min(dt) - DATE '1970-01-01')::VARCHAR t0, (max(dt) - DATE '1970-01-01')::VARCHAR t1,
      epoch_us(min(ts))::VARCHAR s0, epoch_us(max(ts))::VARCHAR s1, min(s) x0, max(s) x1, min(d) d0, max(d) d1,
      count(*) FILTER (WHERE dec38 IS NULL) n38 FROM t`)).getRowObjectsJson()[0]!;
    const agg = (name: string, pick: 'min' | 'max'): Value => {
      let best: Value | undefined;
      for (const rg of md.rowGroups) {
        const v = rg.columns.get(name)![pick] as Value;
        if (best === undefined || (pick === 'min' ? v! < best! : v! > best!)) best = v;
      }
      return best!;
    };
    expect(String(agg('i', 'min'))).toBe(q['i0']);
    expect(String(agg('i', 'max'))).toBe(q['i1']);
    expect(String(agg('l', 'min'))).toBe(q['l0']);
    expect(String(agg('l', 'max'))).toBe(q['l1']);
    expect(decimalString(agg('dec9', 'min') as bigint, 2)).toBe(q['c0']);
    expect(decimalString(agg('dec9', 'max') as bigint, 2)).toBe(q['c1']);
    expect(decimalString(agg('dec38', 'min') as bigint, 10)).toBe(q['e0']);
    expect(decimalString(agg('dec38', 'max') as bigint, 10)).toBe(q['e1']);
    expect(String(agg('dt', 'min'))).toBe(q['t0']);
    expect(String(agg('dt', 'max'))).toBe(q['t1']);
    expect(String(agg('ts', 'min'))).toBe(q['s0']);
    expect(String(agg('ts', 'max'))).toBe(q['s1']);
    expect(agg('s', 'min')).toBe(q['x0']);
    expect(agg('s', 'max')).toBe(q['x1']);
    expect(agg('d', 'min')).toBe(q['d0']);
    expect(agg('d', 'max')).toBe(q['d1']);
    const nulls = md.rowGroups.reduce((s, rg) => s + rg.columns.get('dec38')!.nullCount!, 0);
    expect(String(nulls)).toBe(String(q['n38']));
    expect(md.columns.find((c) => c.name === 'u')!.type).toBe('uuid');
    expect(md.columns.find((c) => c.name === 'tstz')!.type).toBe('timestamptz');
  });

  it('DuckDB reads our files back with the same values', async () => {
    const rows = allTypesRows(200, 11);
    await writeParquetFiles(store, (i) => `ours-${i}.parquet`, [recordBatchFromRows(allTypesSchema, rows)], { schema: allTypesSchema, rowGroupSize: 64 });
    const got = (await con.runAndReadAll(`SELECT i::VARCHAR i, l::VARCHAR l, dec38::VARCHAR dec38, (dt - DATE '1970-01-01')::VARCHAR dt,
      epoch_us(ts)::VARCHAR ts, s, hex(bin) bin FROM '${join(dir, 'ours-0.parquet')}'`)).getRowObjectsJson();
    expect(got.map((r) => r['i'])).toEqual(rows.map((r) => String(r['i'])));
    expect(got.map((r) => r['l'])).toEqual(rows.map((r) => canonical('l', r['l']!)));
    expect(got.map((r) => r['dec38'])).toEqual(rows.map((r) => canonical('dec38', r['dec38']!)));
    expect(got.map((r) => r['dt'])).toEqual(rows.map((r) => canonical('dt', r['dt']!)));
    expect(got.map((r) => r['ts'])).toEqual(rows.map((r) => canonical('ts', r['ts']!)));
    expect(got.map((r) => r['s'])).toEqual(rows.map((r) => r['s']));
    expect(got.map((r) => r['bin'])).toEqual(rows.map((r) => canonical('bin', r['bin']!)));
  });
});
