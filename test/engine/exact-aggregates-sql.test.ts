/**
 * Exact aggregates, keys and ORDER BY end to end (issue #13): Parquet files written by DuckDB —
 * BIGINT beyond 2^53, DECIMAL(38,10), DECIMAL(10,2), DECIMAL(15,2), doubles with NaN/±0/inf,
 * strings with an emoji and U+FFFF — queried through the engine (two worker threads, one task
 * per file, partial aggregates crossing the workers as Arrow IPC) and by DuckDB over the same
 * files; every value is compared as exact text.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLakehouseError, openObjectStore } from 'lakehouse-engine/connectors';
import { Engine, ParquetFilesSource } from 'lakehouse-engine/engine';
import { duck, type Val } from './exact-kernels.js';

const N = 30_000;
const FILES = 3;
let dir: string;
let db: Awaited<ReturnType<typeof duck>>;
let engine: Engine;

// Column formulas (DuckDB SQL over range(N) t(i)). b: wide values repeated (keys beyond 2^53 with
// duplicates), small values, and ±4.6e18 pairs whose per-group totals stay within BIGINT while
// the running and partial sums leave it.
const COLUMNS = `
  i,
  (i % 7)::INTEGER AS g,
  CASE i % 5 WHEN 0 THEN 9007199254740993 + i % 13 WHEN 1 THEN -(9007199254740993 + i % 11) WHEN 2 THEN i % 17
    WHEN 3 THEN 4611686018427387904 - i % 1000 ELSE -4611686018427387904 + i % 1000 END::BIGINT AS b,
  CASE WHEN i % 4 = 0 THEN NULL ELSE (CASE WHEN i % 2 = 0 THEN '-' ELSE '' END || (hash(i) % 100000000000000)::VARCHAR
    || lpad((hash(i * 3) % 1000000000)::VARCHAR, 9, '0') || '.' || lpad((hash(i * 7) % 10000000000)::VARCHAR, 10, '0'))::DECIMAL(38,10) END AS d38,
  CASE WHEN i % 9 = 0 THEN NULL ELSE (((hash(i) % 19999999999)::BIGINT - 9999999999)::DECIMAL(12,0) * 0.01)::DECIMAL(10,2) END AS d2,
  ((999999999999999 - i % 1000)::DECIMAL(15,0) * 0.01)::DECIMAL(15,2) AS d15,
  CASE i % 6 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN -0.0::DOUBLE WHEN 2 THEN 0.0::DOUBLE WHEN 3 THEN NULL WHEN 4 THEN 'inf'::DOUBLE
    ELSE (i % 10)::DOUBLE / 4 END AS f,
  CASE i % 5 WHEN 0 THEN chr(65535) WHEN 1 THEN chr(128512) WHEN 2 THEN 'a' || (i % 3)::VARCHAR WHEN 3 THEN chr(57344) || 'x' ELSE NULL END AS s`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'exact-agg-sql-'));
  db = await duck();
  for (let f = 0; f < FILES; f++) await db.run(`COPY (SELECT ${COLUMNS} FROM range(${N}) t(i) WHERE i % ${FILES} = ${f}) TO '${dir}/t${f}.parquet' (FORMAT parquet)`);
  await db.run(`COPY (SELECT DISTINCT b, (hash(b) % 5)::INTEGER AS tag FROM read_parquet('${dir}/t*.parquet') WHERE b IS NOT NULL) TO '${dir}/keys.parquet' (FORMAT parquet)`);
  await db.run(`COPY (SELECT * FROM (VALUES (9223372036854775807::BIGINT), (9223372036854775807::BIGINT), (-1::BIGINT)) v(x)) TO '${dir}/over.parquet' (FORMAT parquet)`);
  await db.run(`CREATE VIEW t AS SELECT * FROM read_parquet('${dir}/t*.parquet'); CREATE VIEW k AS SELECT * FROM read_parquet('${dir}/keys.parquet'); CREATE VIEW over AS SELECT * FROM read_parquet('${dir}/over.parquet')`);
  engine = await Engine.open({ threads: 2 });
  const store = await openObjectStore(dir);
  engine.registerTable('x.t', await ParquetFilesSource.open(store, Array.from({ length: FILES }, (_, f) => `t${f}.parquet`)));
  engine.registerTable('x.k', await ParquetFilesSource.open(store, ['keys.parquet']));
  engine.registerTable('x.over', await ParquetFilesSource.open(store, ['over.parquet']));
}, 120_000);

afterAll(async () => {
  await engine?.close();
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const text = (v: unknown): Val => (v === null || v === undefined ? null : String(v));

/** The same query through the engine and DuckDB, every value as text. */
async function both(sql: string): Promise<{ got: Val[][]; want: Val[][] }> {
  const rows = (await engine.sql(sql.replace(/\b(FROM|JOIN) (t|k|over)\b/g, '$1 x.$2')).toArray()) as Array<Record<string, unknown>>;
  const got = rows.map((r) => Object.values(r).map(text));
  const want = (await db.rows(sql)).map((r) => r.map(text));
  return { got, want };
}

describe('exact aggregates through SQL, as DuckDB', () => {
  it('BIGINT beyond 2^53: sum (HUGEINT in DuckDB, the same digits), avg, min, max, count(DISTINCT) per group', async () => {
    const { got, want } = await both('SELECT g, sum(b), avg(b), min(b), max(b), count(DISTINCT b), count(b) FROM t GROUP BY g ORDER BY g');
    expect(got).toHaveLength(7);
    expect(got).toEqual(want);
  }, 60_000);

  it('DECIMAL(38,10), (10,2) and (15,2): sums as DECIMAL(38,S) to the last digit, avg the correctly rounded double, min/max', async () => {
    const { got, want } = await both('SELECT g, sum(d38), avg(d38), min(d38), max(d38), sum(d2), avg(d2), min(d2), max(d2), sum(d15), avg(d15) FROM t GROUP BY g ORDER BY g');
    expect(got).toEqual(want);
    const all = await both('SELECT sum(d38), sum(d2), sum(d15), avg(d15), count(DISTINCT d2) FROM t');
    expect(all.got).toEqual(all.want);
  }, 60_000);

  it('group keys beyond 2^53 and decimal keys, ordered', async () => {
    const byB = await both('SELECT b, count(*), sum(d2) FROM t GROUP BY b ORDER BY b');
    expect(byB.got.length).toBeGreaterThan(400);
    expect(byB.got).toEqual(byB.want);
    const byD = await both('SELECT d15, count(*), min(b) FROM t GROUP BY d15 ORDER BY d15 DESC LIMIT 25');
    expect(byD.got).toEqual(byD.want);
  }, 60_000);

  it('NaN is one group and sorts last, −0 groups with 0; NULL is its own group', async () => {
    const { got, want } = await both('SELECT f, count(*) FROM t GROUP BY f ORDER BY f');
    expect(got.map((r) => r[0])).toEqual(['0', '0.25', '0.75', '1.25', '1.75', '2.25', 'Infinity', 'NaN', null]);
    expect(got).toEqual(want);
    const mm = await both('SELECT g, min(f), max(f) FROM t GROUP BY g ORDER BY g');
    expect(mm.got).toEqual(mm.want);
  }, 60_000);

  it('strings by code point: an emoji sorts above U+FFFF in min/max, GROUP BY … ORDER BY and ORDER BY', async () => {
    const mm = await both('SELECT min(s), max(s), count(DISTINCT s) FROM t');
    expect(mm.got).toEqual([['a0', '😀', '6']]);
    expect(mm.got).toEqual(mm.want);
    const grouped = await both('SELECT s, count(*) FROM t GROUP BY s ORDER BY s');
    expect(grouped.got).toEqual(grouped.want);
  }, 60_000);

  it('joins on BIGINT keys beyond 2^53', async () => {
    const { got, want } = await both('SELECT c.tag, count(*), sum(a.d38), min(a.b), max(a.b), count(DISTINCT a.b) FROM t AS a JOIN k AS c ON a.b = c.b GROUP BY c.tag ORDER BY c.tag');
    expect(got).toHaveLength(5);
    expect(got).toEqual(want);
  }, 60_000);

  it('ORDER BY wide integers, wide decimals and doubles (NaN last ascending, first descending; NULLs last)', async () => {
    for (const sql of [
      'SELECT i, b, d38 FROM t ORDER BY b DESC, d38, i LIMIT 60',
      'SELECT i, d38 FROM t ORDER BY d38, i LIMIT 40',
      'SELECT i, f FROM t ORDER BY f DESC, i LIMIT 40',
      'SELECT i, f FROM t ORDER BY f, i LIMIT 40 OFFSET 24980',
    ]) {
      const { got, want } = await both(sql);
      expect(got, sql).toEqual(want);
    }
  }, 60_000);

  it('a BIGINT sum past the int64 range is OUT_OF_RANGE, naming the CAST that gives DuckDB’s HUGEINT digits', async () => {
    const err = await engine.sql('SELECT sum(x) FROM x.over').toArray().then(() => null, (e: unknown) => e as Error & { help?: string });
    expect(err && isLakehouseError(err, 'OUT_OF_RANGE')).toBe(true);
    expect(err!.help).toContain('DECIMAL(38,0)');
    const [[duckSum]] = await db.rows('SELECT sum(x)::VARCHAR FROM over');
    const { got } = await both('SELECT sum(CAST(x AS DECIMAL(38,0))) FROM over');
    expect(got).toEqual([[duckSum]]);
  }, 60_000);
});
