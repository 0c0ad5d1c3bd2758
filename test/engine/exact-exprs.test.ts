/**
 * Exact expressions against DuckDB (issue #13): 64-bit integer arithmetic over the full range
 * and its overflow errors, decimal arithmetic/casts/rounding/overflow, comparisons across scales,
 * NaN and −0, the code-point string order (an emoji against U+FFFF), and the types TIME, UUID and
 * BLOB. Values are compared as exact text (DuckDB's JSON gives BIGINT and DECIMAL as strings).
 *
 * The table holds its numbers as text and the queries CAST them, so that both engines start from
 * the same values whatever the read path does with wide types; it comes in three batches — small
 * values, values beyond ±2^53, and a mix — so that both the double fast path and the BigInt path
 * of every kernel run, and a batch switches between them.
 */
import * as arrow from 'apache-arrow';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, MemoryTableSource } from 'lakehouse-engine/engine';
import { rng } from '../helpers/prng.js';

let engine: Engine;
let duck: DuckDBConnection;

type Row = { id: number; a: string | null; b: string; c: string; d1: string | null; d2: string; f: string; g: string; s: string; u: string; bl: string; tm: string };


const TWO53 = 2n ** 53n;
const TWO62 = 2n ** 62n;
const STRINGS = ['a', 'b', 'ab', '', 'é', '\uffff', '\ue000', '😀', 'a😀', 'a\uffff', 'Z', 'zz', '\u00ff'];
const FLOATS = ['nan', 'inf', '-inf', '-0.0', '0.0', '1.5', '-2.25', '1e308', '3.0e-5', '42.0'];
const TIMES = ['00:00:00', '12:34:56.5', '23:59:59.999999', '07:08:09.000001', '12:00:00'];
const BLOBS = ['abc', '\\xAA\\x01abc', '', '\\x00', '\\xFF\\xFE', 'A\\x7F'];

function makeRows(): Row[] {
  const r = rng(13);
  const big = (lim: bigint): bigint => (BigInt(Math.floor(r() * 2 ** 30)) * BigInt(Math.floor(r() * 2 ** 32)) + BigInt(Math.floor(r() * 2 ** 32))) % lim * (r() < 0.5 ? -1n : 1n);
  const rows: Row[] = [];
  const N = 1800;
  for (let i = 0; i < N; i++) {
    const part = i < 600 ? 0 : i < 1200 ? 1 : 2;
    const wide = part === 1 || (part === 2 && r() < 0.3);
    // a: |a| < 2^62 (a + a cannot overflow); near ±2^53 and beyond in the wide rows.
    let a: bigint = wide ? big(TWO62) : BigInt(Math.floor(r() * 2e6) - 1e6);
    if (i % 97 === 5) a = part === 0 ? TWO53 - 1n - BigInt(i % 3) : TWO53 - 1n + BigInt(i % 3);
    if (i % 89 === 7 && part === 1) a = -(TWO53 + 1n); // part 0 stays within ±2^53 (num vectors)
    const b = BigInt(Math.floor(r() * 2001) - 1000);
    const c = BigInt(Math.floor(r() * 2 ** 31) - 2 ** 30);
    // d1: DECIMAL(18,4) (unscaled beyond 2^53 in wide rows), d2: DECIMAL(10,2).
    const u1 = wide ? big(10n ** 18n) : BigInt(Math.floor(r() * 2e9) - 1e9);
    const u2 = BigInt(Math.floor(r() * 2e9) - 1e9) * (r() < 0.1 ? 5n : 1n) % 10n ** 10n;
    const fmt = (u: bigint, s: number): string => {
      const neg = u < 0n;
      const t = (neg ? -u : u).toString().padStart(s + 1, '0');
      return `${neg ? '-' : ''}${t.slice(0, -s)}.${t.slice(-s)}`;
    };
    const hex = (k: number): string => Math.floor(r() * 16 ** k).toString(16).padStart(k, '0');
    rows.push({
      id: i,
      a: i % 31 === 3 ? null : a.toString(),
      b: b.toString(),
      c: c.toString(),
      d1: i % 37 === 2 ? null : fmt(u1, 4),
      d2: fmt(u2, 2),
      f: FLOATS[Math.floor(r() * FLOATS.length)]!,
      g: FLOATS[Math.floor(r() * FLOATS.length)]!,
      s: STRINGS[Math.floor(r() * STRINGS.length)]!,
      u: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`.toUpperCase(),
      bl: BLOBS[Math.floor(r() * BLOBS.length)]!,
      tm: TIMES[Math.floor(r() * TIMES.length)]!,
    });
  }
  return rows;
}

const ROWS = makeRows();
const COLS = ['a', 'b', 'c', 'd1', 'd2', 'f', 'g', 's', 'u', 'bl', 'tm'] as const;

function sqlText(s: string | null): string {
  return s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`;
}

beforeAll(async () => {
  engine = await Engine.open({ threads: 1 });
  const batches = [ROWS.slice(0, 600), ROWS.slice(600, 1200), ROWS.slice(1200)].map((part) => {
    const t = arrow.tableFromArrays({
      id: Int32Array.from(part, (x) => x.id),
      ...Object.fromEntries(COLS.map((k) => [k, arrow.vectorFromArray(part.map((x) => x[k]), new arrow.Utf8())])),
    });
    return t.batches[0]!;
  });
  engine.registerTable('t', new MemoryTableSource(batches));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`CREATE TABLE t (id INTEGER, ${COLS.map((k) => `${k} VARCHAR`).join(', ')})`);
  for (let i = 0; i < ROWS.length; i += 300) {
    const values = ROWS.slice(i, i + 300).map((x) => `(${x.id}, ${COLS.map((k) => sqlText(x[k])).join(', ')})`).join(', ');
    await duck.run(`INSERT INTO t VALUES ${values}`);
  }
}, 60_000);

afterAll(async () => {
  await engine?.close();
  duck?.closeSync();
});

/** A cell as exact text: integers and decimals as their digits, doubles as JS prints them. */
function canon(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
    return Object.is(v, -0) ? '0' : String(v);
  }
  return String(v);
}

async function ours(sql: string): Promise<Array<Array<string | null>>> {
  return (await engine.sql(sql).toArray()).map((r) => Object.values(r).map(canon));
}

async function theirs(sql: string): Promise<Array<Array<string | null>>> {
  return ((await duck.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>).map((r) => Object.values(r).map(canon));
}

/** The same rows, in `ORDER BY id` order, cell for cell. */
async function same(select: string, where = ''): Promise<void> {
  const sql = `SELECT id, ${select} FROM t ${where} ORDER BY id`;
  const [a, b] = [await ours(sql), await theirs(sql)];
  expect(a.length, sql).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) expect(a[i], `${sql}\nrow ${i}`).toEqual(b[i]);
  }
}

/** A constant query: same answer as DuckDB. */
async function sameConst(sql: string): Promise<void> {
  expect(await ours(sql), sql).toEqual(await theirs(sql));
}

async function fails(sql: string, code: string, fragment: string): Promise<void> {
  let caught: unknown;
  try {
    await engine.sql(sql).toArray();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${sql} should fail`).toBeDefined();
  expect(caught, sql).toMatchObject({ code });
  expect((caught as Error).message, sql).toContain(fragment);
  // DuckDB refuses it too.
  await expect(duck.runAndReadAll(sql), sql).rejects.toThrow();
}

const A = 'CAST(a AS BIGINT)';
const B = 'CAST(b AS BIGINT)';
const C = 'CAST(c AS INTEGER)';
const D1 = 'CAST(d1 AS DECIMAL(18,4))';
const D2 = 'CAST(d2 AS DECIMAL(10,2))';
const F = 'CAST(f AS DOUBLE)';
const G = 'CAST(g AS DOUBLE)';

describe('64-bit integers', () => {
  it('arithmetic over the full range is exact', async () => {
    await same(`${A} AS a, ${A} + ${A} AS a2, ${A} - ${B} AS ab, ${A} + ${B} * 3 AS ab3, -${A} AS na, ${A} * 2 AS m2`);
    await same(`${C} * ${B} AS cb, ${A} % ${B} AS am, ${C} - ${A} AS ca, ${A} * ${B} AS ab`, `WHERE ${A} BETWEEN -4611686018427387 AND 4611686018427387`);
    await same(`${A} / ${B} AS q, CAST(${A} AS DOUBLE) AS ad, CAST(${A} AS VARCHAR) AS av, CAST(${A} AS DECIMAL(20,1)) AS adec`);
  });

  it('comparisons and IN are exact beyond ±2^53', async () => {
    await same(`${A} < ${C} AS lt, ${A} = 9007199254740992 AS e1, ${A} > 9007199254740992 AS g1, ${A} >= -9007199254740993 AS g2, ${A} <> ${A} + 1 AS ne`);
    await same(`${A} IN (9007199254740991, 9007199254740992, 9007199254740993, -9007199254740993) AS inn, ${A} BETWEEN -9007199254740993 AND 9007199254740993 AS bt`);
    await same(`${A} AS a`, `WHERE ${A} IN (9007199254740991, 9007199254740992, 9007199254740993) OR ${A} = -9007199254740993`);
    await same(`${A} > 2 * ${B} AS x`, `WHERE ${A} > 9007199254740992`);
  });

  it('literals: INTEGER, BIGINT beyond 2^53, the edges of INT64, and wider ones as exact decimals', async () => {
    await sameConst('SELECT 2147483647 AS a, 2147483648 AS b, 9007199254740993 AS c, 9223372036854775807 AS d, -9223372036854775808 AS e');
    await sameConst('SELECT 9007199254740993 + 1 AS a, 9223372036854775807 - 1 AS b, -9223372036854775807 - 1 AS c, 3037000499 * 3037000499 AS d');
    await sameConst('SELECT 99999999999999999999999999999999999999 AS a, 9223372036854775808 - 1 AS b');
  });

  it('overflow is an OUT_OF_RANGE error, in DuckDB\'s words', async () => {
    await fails('SELECT 9223372036854775807 * 2 AS x', 'OUT_OF_RANGE', 'Overflow in multiplication');
    await fails('SELECT CAST(9223372036854775807 AS BIGINT) + 1 AS x', 'OUT_OF_RANGE', 'Overflow in addition');
    await fails('SELECT CAST(-9223372036854775808 AS BIGINT) - 1 AS x', 'OUT_OF_RANGE', 'Overflow in subtraction');
    await fails('SELECT -CAST(-9223372036854775808 AS BIGINT) AS x', 'OUT_OF_RANGE', 'Overflow in negation');
    // In a column, on the rows that overflow only (vector path).
    await fails(`SELECT ${A} * 4 AS x FROM t`, 'OUT_OF_RANGE', 'Overflow in multiplication of BIGINT');
    await fails(`SELECT ${A} + 9223372036854775807 AS x FROM t WHERE ${A} > 0`, 'OUT_OF_RANGE', 'Overflow in addition');
  });

  it('CAST to INTEGER/BIGINT fails out of range and rounds like DuckDB', async () => {
    await fails('SELECT CAST(2147483648 AS INT) AS x', 'OUT_OF_RANGE', 'out of range for the destination type INTEGER');
    await fails('SELECT CAST(1e19 AS BIGINT) AS x', 'OUT_OF_RANGE', 'out of range');
    await fails("SELECT CAST(CAST('nan' AS DOUBLE) AS BIGINT) AS x", 'OUT_OF_RANGE', 'out of range');
    await fails('SELECT CAST(99999999999.5 AS INT) AS x', 'OUT_OF_RANGE', 'out of range');
    await fails(`SELECT CAST(${A} AS INTEGER) AS x FROM t`, 'OUT_OF_RANGE', 'out of range');
    await fails("SELECT CAST('99999999999' AS INT) AS x", 'CONVERSION_ERROR', "Could not convert string '99999999999'");
    await sameConst('SELECT CAST(2.5 AS INT) AS a, CAST(-2.5 AS INT) AS b, CAST(1.5 AS BIGINT) AS c, CAST(CAST(2.5 AS DOUBLE) AS INT) AS d, CAST(CAST(3.5 AS DOUBLE) AS INT) AS e, CAST(CAST(-2.5 AS DOUBLE) AS BIGINT) AS f');
    await sameConst("SELECT CAST(' 42 ' AS INT) AS a, CAST('+5' AS BIGINT) AS b, CAST('2.5' AS INT) AS c, CAST('-9223372036854775808' AS BIGINT) AS d, CAST(9.2e18 AS BIGINT) AS e");
    await same(`CAST(${D2} AS INTEGER) AS di, CAST(${D1} AS BIGINT) AS dl, CAST(${F} AS INTEGER) AS fi`, `WHERE f NOT IN ('nan', 'inf', '-inf', '1e308')`);
  });
});

describe('decimals', () => {
  it('literals with a point are exact decimals', async () => {
    await sameConst('SELECT 0.05 AS a, 123.450 AS b, 1 - 0.05 AS c, 0.1 + 0.2 AS d, .5 AS e, 1.0 * 3 AS f, 0.06 + 0.01 AS g');
    await sameConst('SELECT 123456789012345678901234567890.12345678 AS a, -0.00000000000000000000000000000000000001 AS b, 1e3 AS c, 1.5e-2 AS d');
    await sameConst('SELECT 1.5 * 2.25 AS a, 1.5 + 2 AS b, -(1.5) AS c, 10.0 / 4 AS d, 5.5 % 2.25 AS e, -7.5 % 2 AS f, 7.0 % 0 AS g');
  });

  it('arithmetic with mixed scales, integers and wide values is exact', async () => {
    // DuckDB multiplies two decimals of precision ≤ 18 in 64 bits and fails past that (we do
    // not), so one factor of each product is declared wider.
    const D1W = 'CAST(d1 AS DECIMAL(20,4))';
    const D2W = 'CAST(d2 AS DECIMAL(19,2))';
    await same(`${D1} AS d1, ${D1} + ${D2} AS s, ${D1} - ${D2} AS m, ${D1W} * ${D2} AS p, ${D2W} * ${D2} AS p2, -${D1} AS n`);
    await same(`${D1} % ${D2} AS md, ${D1} + ${B} AS db, ${D2} * ${B} AS dc, ${D2W} * ${C} AS dc2, ${D2} - 1 AS d21, ${D2} * (1 - 0.05) * (1 + 0.08) AS q1, ${D1} + ${A} AS da`);
    await same(`${D2} / ${C} AS q, ${D2} + 1.5e0 AS dd, ${D2} * ${F} AS df`, `WHERE f NOT IN ('nan', 'inf', '-inf')`);
  });

  it('fused kernels (arithmetic trees and WHERE conjunctions over columns) give the generic answers', async () => {
    // Columns of a subquery reach the outer expressions as plain column references, which is
    // what the fused kernels take: small batches stay on the double fast path, wide ones fall
    // back to the exact path.
    const sub = `(SELECT id, ${D2} AS x, ${D1} AS y, ${A} AS z, ${B} AS w, ${F} AS v FROM t) s`;
    const q = (sel: string, where = ''): string => `SELECT id, ${sel} FROM ${sub} ${where} ORDER BY id`;
    for (const sql of [
      q('x * (1 - 0.05) * (1 + 0.08) AS a, x * (1 - w) AS b, -x + y * w AS c, z + w * 3 - z AS d, y * (1 + w) AS e'),
      q('z + w AS f, y - x AS g, x * w AS h, -z AS i', 'WHERE w <> 0'),
      q('z * 2 + w AS a, (z - w) * 1 AS b', 'WHERE x > 0.05 AND x < 5000000.5 AND w >= -500'),
      q('v * 2 + 1 AS a', "WHERE v > 1 AND v <= 1e308"),
    ]) expect(await ours(sql), sql).toEqual(await theirs(sql));
    await fails(`SELECT z * 2 * 2 AS x FROM ${sub}`, 'OUT_OF_RANGE', 'Overflow in multiplication');
  });

  it('comparisons align scales exactly, also against integers and doubles', async () => {
    await same(`${D1} < ${D2} AS lt, ${D1} = ${D2} AS eq, ${D2} > 100 AS g, ${D2} <= 100.005 AS le, ${D2} = ${C} AS ec, ${D1} >= ${A} AS ea`);
    await same(`${D2} = 1.50 AS e1, ${D2} BETWEEN -0.05 AND 0.07 AS bt, ${D2} IN (0.05, 1, 2.5) AS inn, ${D2} IN (1.005) AS in3, ${D2} > ${F} AS gf`);
    await same(`${D2} AS d2`, `WHERE ${D2} BETWEEN 100000.05 AND 100000000.07 AND ${D2} < 24`);
    await same(`${D2} AS d2`, `WHERE ${D2} >= 0.05 AND ${D2} <= 5000000.5 AND ${D1} > 0`);
  });

  it('CASE, COALESCE and UNION ALL widen to a common decimal', async () => {
    await same(`CASE WHEN ${B} > 0 THEN ${D1} ELSE ${D2} END AS c1, COALESCE(${D1}, ${D2}, 0) AS c2, CASE WHEN ${B} > 500 THEN ${A} WHEN ${B} < 0 THEN ${D2} END AS c3`);
    await sameConst('SELECT x FROM (SELECT 1.5 AS x UNION ALL SELECT 2.25 UNION ALL SELECT 3) u ORDER BY x');
  });

  it('CAST rounds half away from zero; overflow is OUT_OF_RANGE; bad text is CONVERSION_ERROR', async () => {
    await sameConst("SELECT CAST('1.255' AS DECIMAL(10,2)) AS a, CAST(1.25 AS DECIMAL(3,1)) AS b, CAST(-1.25 AS DECIMAL(3,1)) AS c, CAST(' 7 ' AS DECIMAL(5,1)) AS d, CAST('1e2' AS DECIMAL(5,1)) AS e");
    await sameConst('SELECT CAST(2.675 AS DOUBLE) AS x, CAST(CAST(2.675 AS DOUBLE) AS DECIMAL(3,2)) AS a, CAST(CAST(1.005 AS DOUBLE) AS DECIMAL(4,2)) AS b, CAST(CAST(0.125 AS DOUBLE) AS DECIMAL(3,2)) AS c, CAST(CAST(-0.125 AS DOUBLE) AS DECIMAL(3,2)) AS d');
    await sameConst('SELECT CAST(1.5 AS DECIMAL) AS a, CAST(12.5 AS NUMERIC(4,1)) AS b, CAST(7 AS DECIMAL(5)) AS c, CAST(TRUE AS DECIMAL(3,1)) AS d, CAST(12.345 AS DECIMAL(5,3)) AS e');
    await sameConst('SELECT CAST(12.345 AS VARCHAR) AS a, CAST(-0.05 AS VARCHAR) AS b, CAST(9223372036854775807 AS VARCHAR) AS c, CAST(1.5 AS DOUBLE) AS d, CAST(123456789012345678901234567890.12345678 AS DOUBLE) AS e');
    await same(`CAST(${D2} AS DECIMAL(9,1)) AS r1, CAST(${D2} AS DECIMAL(12,0)) AS r0, CAST(${D1} AS DECIMAL(38,10)) AS w, CAST(${D2} AS DOUBLE) AS dd, CAST(${D1} AS VARCHAR) AS dv`);
    await same(`CAST(${F} AS DECIMAL(12,3)) AS fd`, `WHERE f NOT IN ('nan', 'inf', '-inf', '1e308')`);
    await fails('SELECT CAST(12345.6 AS DECIMAL(5,1)) AS x', 'OUT_OF_RANGE', 'out of range');
    await fails(`SELECT CAST(${D1} AS DECIMAL(10,4)) AS x FROM t`, 'OUT_OF_RANGE', 'out of range');
    await fails('SELECT CAST(1e30 AS DECIMAL(10,2)) AS x', 'OUT_OF_RANGE', 'out of range');
    await fails("SELECT CAST('abc' AS DECIMAL(5,1)) AS x", 'CONVERSION_ERROR', 'Could not convert string');
    await fails("SELECT CAST('123456' AS DECIMAL(5,1)) AS x", 'CONVERSION_ERROR', 'Could not convert string');
    await fails("SELECT CAST(CAST('nan' AS DOUBLE) AS DECIMAL(5,2)) AS x", 'CONVERSION_ERROR', 'nan');
  });

  it('decimal overflow is OUT_OF_RANGE', async () => {
    await fails('SELECT CAST(99999999999999999999999999999999999999 AS DECIMAL(38,0)) + 1 AS x', 'OUT_OF_RANGE', 'Overflow in addition of DECIMAL(38,0)');
    await fails('SELECT CAST(9999999999999999999999999999999999999.9 AS DECIMAL(38,1)) * 10 AS x', 'OUT_OF_RANGE', 'Overflow in multiplication');
    await fails(`SELECT CAST(d1 AS DECIMAL(38,4)) * CAST(d1 AS DECIMAL(38,4)) * CAST(d1 AS DECIMAL(38,4)) AS x FROM t`, 'OUT_OF_RANGE', 'Overflow in multiplication of DECIMAL(38,');
  });
});

describe('doubles: NaN and −0 as DuckDB', () => {
  it('NaN equals NaN and is above +Infinity; −0 equals 0 (columns and constants)', async () => {
    await same(`${F} AS f, ${F} = ${G} AS eq, ${F} <> ${G} AS ne, ${F} < ${G} AS lt, ${F} <= ${G} AS le, ${F} > ${G} AS gt, ${F} >= ${G} AS ge`);
    await same(`${F} > 1e308 AS a, ${F} = CAST('nan' AS DOUBLE) AS b, ${F} < CAST('nan' AS DOUBLE) AS c, ${F} >= CAST('inf' AS DOUBLE) AS d, ${F} = 0 AS z, ${F} IN (0, CAST('nan' AS DOUBLE)) AS i`);
    await same(`${F} AS f`, `WHERE ${F} > 1 AND ${G} <= 1e308`);
    await same(`${F} AS f`, `WHERE ${F} >= CAST('nan' AS DOUBLE) AND ${G} <> 0`);
    await sameConst("SELECT CAST('nan' AS DOUBLE) = CAST('nan' AS DOUBLE) AS a, CAST('nan' AS DOUBLE) > CAST('inf' AS DOUBLE) AS b, CAST('-0.0' AS DOUBLE) = 0.0 AS c, CAST('nan' AS DOUBLE) >= 1 AS d, 1 < CAST('nan' AS DOUBLE) AS e");
  });
});

describe('one string order: code points', () => {
  it('an emoji sorts above U+FFFF, everywhere strings compare', async () => {
    await same(`s, s < 'a\uffff' AS lt, s > '\uffff' AS gt, s <= '😀' AS le, s >= '\ue000' AS ge, s BETWEEN '\ue000' AND '😀' AS bt, s IN ('😀', 'a') AS inn`);
    const t2 = `(SELECT id AS id2, s AS s2 FROM t) x`;
    const sql = `SELECT id, s < s2 AS lt, s >= s2 AS ge, s = s2 AS eq FROM t JOIN ${t2} ON id2 = (id * 7) % 1800 ORDER BY id`;
    expect(await ours(sql)).toEqual(await theirs(sql));
    await sameConst("SELECT '😀' > '\uffff' AS a, 'a😀' < 'a\uffff' AS b, '\ue000' < '😀' AS c");
  });
});

describe('TIME, UUID, BLOB', () => {
  it('TIME literals, casts and comparisons', async () => {
    await same(`CAST(CAST(tm AS TIME) AS VARCHAR) AS t1, CAST(tm AS TIME) < TIME '12:00:00' AS lt, CAST(tm AS TIME) = TIME '12:34:56.5' AS eq, CAST(tm AS TIME) IS NULL AS n`);
    await sameConst("SELECT CAST(TIME '12:34:56.5' AS VARCHAR) AS a, CAST(TIME '01:02:03' AS VARCHAR) AS b, TIME '12:00:00' < TIME '13:00:00' AS c, CAST(CAST('12:34' AS TIME) AS VARCHAR) AS d");
    await fails("SELECT CAST('12:60:00' AS TIME) AS x", 'CONVERSION_ERROR', 'time');
  });

  it('UUIDs: validated casts, canonical text, byte order', async () => {
    await same(`CAST(CAST(u AS UUID) AS VARCHAR) AS v, CAST(u AS UUID) < CAST('80000000-0000-0000-0000-000000000000' AS UUID) AS lt, CAST(u AS UUID) = CAST(lower(u) AS UUID) AS eq`);
    await sameConst("SELECT CAST(CAST('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' AS UUID) AS VARCHAR) AS a");
    await fails("SELECT CAST('zz' AS UUID) AS x", 'CONVERSION_ERROR', 'Could not convert string');
  });

  it('BLOBs print as DuckDB does, compare by bytes, and refuse string functions', async () => {
    await same(`CAST(CAST(bl AS BLOB) AS VARCHAR) AS v, CAST(bl AS BLOB) < CAST('\\x80' AS BLOB) AS lt, CAST(bl AS BLOB) = CAST('abc' AS BLOB) AS eq, CAST(bl AS BLOB) IS NOT NULL AS nn`);
    await sameConst("SELECT CAST(CAST('\\xAA\\x01abc' AS BLOB) AS VARCHAR) AS a, CAST(CAST('A\\x41' AS BLOB) AS VARCHAR) AS b");
    let caught: unknown;
    try { await engine.sql("SELECT lower(CAST(bl AS BLOB)) FROM t").toArray(); } catch (e) { caught = e; }
    expect(caught).toMatchObject({ code: 'PLAN_ERROR' });
    caught = undefined;
    try { await engine.sql("SELECT CAST(bl AS BLOB) || 'x' FROM t").toArray(); } catch (e) { caught = e; }
    expect(caught).toMatchObject({ code: 'PLAN_ERROR' });
    await fails("SELECT CAST('é' AS BLOB) AS x", 'CONVERSION_ERROR', 'non-ascii');
  });
});

describe('timestamps beyond ±2^53 µs', () => {
  it('literals, interval arithmetic, comparisons and VARCHAR casts stay exact', async () => {
    await sameConst("SELECT CAST(TIMESTAMP '9999-12-31 23:59:59.999999' AS VARCHAR) AS a, CAST(TIMESTAMP '9999-12-31 23:59:59.999999' + INTERVAL '1' SECOND AS VARCHAR) AS b, CAST(TIMESTAMP '1500-01-01 00:00:00.5' AS VARCHAR) AS c");
    await sameConst("SELECT TIMESTAMP '9999-12-31 23:59:59.999999' > TIMESTAMP '9999-12-31 23:59:59.999998' AS a, CAST(CAST('2500-06-30 12:00:00.000001' AS TIMESTAMP) AS VARCHAR) AS b");
  });
});

describe('constant folding uses the exact kernels', () => {
  it('folded plans carry exact literals (no double shortcut)', async () => {
    const plan = await engine.sql('SELECT id FROM t WHERE CAST(d2 AS DECIMAL(10,2)) > 0.1 + 0.2 AND CAST(a AS BIGINT) > 9007199254740992 + 1').explain();
    expect(plan).toContain('9007199254740993');
    await same('id AS x', `WHERE ${D2} > 0.1 + 0.2 AND ${A} > 9007199254740992 + 1`);
  });
});
