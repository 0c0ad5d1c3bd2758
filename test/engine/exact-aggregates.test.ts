/**
 * Exact aggregates, keys and sort against DuckDB (issue #13): sums of int64 near and over the
 * limits, decimal(38,10)/(10,2)/(15,2) sums, avg as one correctly rounded quotient, min/max of
 * decimals, wide integers, strings in code-point order and NaN, DISTINCT, group and join keys
 * beyond 2^53 whichever vector kind they arrive in, NaN keys, and ORDER BY over all of them.
 *
 * Kernel level (the built dist/ kernels driven like the executor drives them, partials through
 * Arrow IPC where the current write path can carry them): the end-to-end path through ingest and
 * the binder belongs to other parts of the engine and has its own differential suite.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agg, aggregate, call, dec, duck, exact, ht, join, part, randBig, rng, rowsOf, sort, sorted, sqlLit, types, valueAt, vec, type DataType, type Val, type Vec } from './exact-kernels.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const P53 = 2n ** 53n;

let db: Awaited<ReturnType<typeof duck>>;

beforeAll(async () => {
  db = await duck();
});

afterAll(() => db?.close());

/** Loads (g, x) rows into a DuckDB table `name` with the given SQL types. */
async function load(name: string, cols: Array<[string, string]>, rows: Val[][]): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE ${name} (${cols.map(([c, t]) => `${c} ${t}`).join(', ')})`);
  for (let i = 0; i < rows.length; i += 500) {
    const vals = rows.slice(i, i + 500).map((r) => `(${r.map((v, j) => sqlLit(v, cols[j]![1])).join(', ')})`);
    await db.run(`INSERT INTO ${name} VALUES ${vals.join(', ')}`);
  }
}

/** Columns of row-major data as vectors, in chunks of `size` rows (each chunk num or big by its values). */
function inputs(rows: Val[][], keyTypes: DataType[], argTypes: DataType[], size: number, forceBig = false): Array<{ keys: Vec[]; args: Array<Vec | null>; n: number }> {
  const out = [];
  for (let i = 0; i < rows.length; i += size) {
    const part = rows.slice(i, i + size);
    const colOf = (c: number): Val[] => part.map((r) => r[c]!);
    out.push({
      keys: keyTypes.map((t, c) => vec(t, colOf(c), forceBig)),
      args: argTypes.map((t, c) => vec(t, colOf(keyTypes.length + c), forceBig)),
      n: part.length,
    });
  }
  return out;
}

/** Rows [keys…, x] → [keys…, x, x, …] with `copies` copies of the last column (one per aggregate). */
function widen(rows: Val[][], copies: number): Val[][] {
  return rows.map((r0) => [...r0.slice(0, -1), ...Array<Val>(copies).fill(r0[r0.length - 1]!)]);
}

function failure(f: () => unknown): Error & { code?: string; help?: string } {
  try {
    f();
  } catch (err) {
    return err as Error & { code?: string; help?: string };
  }
  throw new Error('expected a failure');
}

/** Doubles from DuckDB's JSON: numbers, or "NaN"/"Infinity" text. */
function dbl(v: Val): Val {
  return typeof v === 'string' ? (v === 'NaN' ? 'NaN' : Number(v)) : v;
}

describe('int64 sums', () => {
  // Per group: 100 random values of ±2^62 and their negations (the running sum leaves the int64
  // range on the way), values near the limits that set the total, small values in their own
  // chunks (num vectors), and values around 2^52 whose sum passes 2^53 inside num vectors.
  const r = rng(13);
  const targets = [INT64_MAX - 200_000n, INT64_MIN + 200_000n, 0n, 123456789012345678n, -(2n ** 62n), INT64_MAX - 2n ** 40n];
  const rows: Val[][] = [];
  for (let g = 0; g < targets.length; g++) for (let i = 0; i < 60; i++) rows.push([g, BigInt(Math.floor(r() * 2001) - 1000)]);
  for (let i = 0; i < 80; i++) rows.push([6, 2n ** 52n + BigInt(i)]);
  const wide: Val[][] = [];
  targets.forEach((t, g) => {
    for (let i = 0; i < 100; i++) { const x = randBig(r, 2n ** 62n); wide.push([g, x], [g, -x]); }
    wide.push([g, t]);
  });
  for (let i = wide.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [wide[i], wide[j]] = [wide[j]!, wide[i]!]; }
  rows.push(...wide, [7, null], [6, null]);

  it('are exact to the last digit, across tasks, chunks and Arrow IPC, as DuckDB', async () => {
    await load('s64', [['g', 'INTEGER'], ['x', 'BIGINT']], rows);
    const want = sorted(await db.rows('SELECT g, sum(x)::VARCHAR, count(x), avg(x), min(x), max(x) FROM s64 GROUP BY g'));
    const aggs = [call('sum', 'int64'), call('count', 'int64'), call('avg', 'int64'), call('min', 'int64'), call('max', 'int64')];
    for (const [tasks, chunk] of [[1, 1 << 20], [3, 64], [4, 7]] as const) {
      const got = sorted(rowsOf(aggregate(['int32'], aggs, inputs(widen(rows, 5), ['int32'], Array(5).fill('int64'), 97), { tasks, chunk })));
      expect(got.map((row) => [row[0], row[1], row[2], row[3], row[4], row[5]])).toEqual(
        want.map(([g, s, c, a, mn, mx]) => [String(g), s, String(c), dbl(a!), mn, mx]),
      );
    }
    // sum/count/avg partials (a double, a carry as text, a count) cross Arrow IPC exactly.
    const viaIPC = sorted(rowsOf(aggregate(['int32'], aggs.slice(0, 3), inputs(widen(rows, 3), ['int32'], Array(3).fill('int64'), 97), { tasks: 3, chunk: 50, viaIPC: true })));
    expect(viaIPC).toEqual(want.map(([g, s, c, a]) => [String(g), s, String(c), dbl(a!)]));
  });

  it('overflowing int64 is OUT_OF_RANGE with a help naming DECIMAL(38,0); a partial outside the range is not', async () => {
    const [[duckSum]] = (await db.rows(`SELECT sum(x)::VARCHAR FROM (VALUES (${INT64_MAX}::BIGINT), (1::BIGINT)) t(x)`)) as [[string]];
    expect(BigInt(duckSum) > INT64_MAX).toBe(true); // DuckDB widens to HUGEINT; we refuse
    for (const vals of [[INT64_MAX, 1n], [INT64_MIN, -1n], [INT64_MAX, INT64_MAX, INT64_MAX]]) {
      const err = failure(() => aggregate([], [call('sum', 'int64')], [{ keys: [], args: [vec('int64', vals)], n: vals.length }]));
      expect(err.code).toBe('OUT_OF_RANGE');
      expect(err.message).toContain('Overflow in sum of BIGINT');
      expect(err.help).toContain('DECIMAL(38,0)');
    }
    // Task 1 holds INT64_MAX + 1 (out of range as a partial), task 2 holds −2: the total fits.
    const split = aggregate([], [call('sum', 'int64')], [{ keys: [], args: [vec('int64', [INT64_MAX, 1n, -1n, -1n])], n: 4 }], { tasks: 2, chunk: 1, viaIPC: true });
    expect(rowsOf(split)).toEqual([[String(INT64_MAX - 1n)]]);
    expect(rowsOf(aggregate([], [call('sum', 'int64')], [{ keys: [], args: [vec('int64', [INT64_MIN])], n: 1 }]))).toEqual([[String(INT64_MIN)]]);
    // The same overflow from num vectors only (values within 2^53, many rows).
    const many = Array.from({ length: 2100 }, () => 2n ** 52n * 2n - 1n);
    const err = failure(() => aggregate([], [call('sum', 'int64')], inputs(many.map((x) => [x]), [], ['int64'], 256)));
    expect(err.code).toBe('OUT_OF_RANGE');
  });

  it('int32 sums are int64 and exact beyond 2^53', async () => {
    const rows32: Val[][] = Array.from({ length: 5000 }, (_, i) => [i % 3, i % 2 ? 2147483647 : -2147483648 + (i % 1000)]);
    await load('s32', [['g', 'INTEGER'], ['x', 'INTEGER']], rows32);
    const want = sorted(await db.rows('SELECT g, sum(x)::VARCHAR, avg(x) FROM s32 GROUP BY g'));
    const got = sorted(rowsOf(aggregate(['int32'], [call('sum', 'int32'), call('avg', 'int32')], inputs(widen(rows32, 2), ['int32'], ['int32', 'int32'], 1000), { tasks: 2 })));
    expect(got).toEqual(want.map(([g, s, a]) => [String(g), s, dbl(a!)]));
  });
});

describe('decimal sums and averages', () => {
  it('decimal(38,10): sum is decimal(38,10) to the last digit, avg the correctly rounded double', async () => {
    const r = rng(38);
    const rows: Val[][] = [];
    for (let i = 0; i < 1200; i++) rows.push([i % 5, i % 97 === 0 ? null : randBig(r, 10n ** 35n)]);
    rows.push([5, 10n ** 37n], [5, 10n ** 37n], [5, -(10n ** 36n)]);
    await load('d38', [['g', 'INTEGER'], ['x', 'DECIMAL(38,10)']], rows.map(([g, x]) => [g, x === null ? null : dec(x as bigint, 10)]));
    const want = sorted(await db.rows('SELECT g, sum(x)::VARCHAR, avg(x), min(x)::VARCHAR, max(x)::VARCHAR, count(DISTINCT x) FROM d38 GROUP BY g'));
    const t = 'decimal(38,10)' as DataType;
    expect(types.aggResultType('sum', t)).toBe('decimal(38,10)');
    const aggs = [call('sum', t), call('avg', t), call('min', t), call('max', t), call('count', t, true)];
    const got = sorted(rowsOf(aggregate(['int32'], aggs, inputs(widen(rows, 5), ['int32'], Array(5).fill(t), 64), { tasks: 3 })));
    expect(got).toEqual(want.map(([g, s, a, mn, mx, cd]) => [String(g), s, dbl(a!), mn, mx, String(cd)]));
  });

  it('decimal(10,2) and decimal(15,2): num vectors summed past 2^53, dense and sparse groups, with NULLs and a WHERE mask', async () => {
    const r = rng(15);
    for (const [t, sqlT, bound, groups] of [['decimal(10,2)', 'DECIMAL(10,2)', 10n ** 10n - 1n, 4], ['decimal(15,2)', 'DECIMAL(15,2)', 10n ** 15n - 1n, 3], ['decimal(15,2)', 'DECIMAL(15,2)', 10n ** 15n - 1n, 700]] as const) {
      const rows: Val[][] = [];
      for (let i = 0; i < 6000; i++) {
        const x = i % 13 === 0 ? null : i % 3 ? bound - BigInt(Math.floor(r() * 1000)) : randBig(r, bound);
        rows.push([Math.floor(r() * groups), x, i % 7 !== 0]);
      }
      await load('d2', [['g', 'INTEGER'], ['x', sqlT], ['keep', 'BOOLEAN']], rows.map(([g, x, k]) => [g, x === null ? null : dec(x as bigint, 2), String(k)]));
      const want = sorted(await db.rows('SELECT g, sum(x)::VARCHAR, avg(x), count(x) FROM d2 WHERE keep GROUP BY g'));
      const data = rows.map(([g, x]) => [g, x, x, x]);
      const aggs = [call('sum', t), call('avg', t), call('count', t)];
      const keep = (i: number): boolean => i % 7 !== 0;
      for (const chunk of [64, 4096]) {
        const got = sorted(rowsOf(aggregate(['int32'], aggs, inputs(data, ['int32'], [t, t, t], 1 << 30), { tasks: 2, chunk, mask: keep, viaIPC: true })));
        expect(got).toEqual(want.map(([g, s, a, c]) => [String(g), s, dbl(a!), String(c)]));
      }
    }
  });

  it('null-free decimal sums through the fused loop stay exact past 2^53', async () => {
    const rows: Val[][] = Array.from({ length: 20000 }, (_, i) => [i % 2, 999_999_999_999_999n - BigInt(i)]);
    await load('d3', [['g', 'INTEGER'], ['x', 'DECIMAL(15,2)']], rows.map(([g, x]) => [g, dec(x as bigint, 2)]));
    const want = sorted(await db.rows('SELECT g, count(*), sum(x)::VARCHAR, avg(x) FROM d3 GROUP BY g'));
    const t = 'decimal(15,2)' as DataType;
    for (const chunk of [8192, 16]) {
      const got = sorted(rowsOf(aggregate(['int32'], [call('count_star', null), call('sum', t), call('avg', t)], inputs(rows.map(([g, x]) => [g, null, x, x]), ['int32'], ['int32', t, t], 8192), { chunk, tasks: 2, viaIPC: true })));
      expect(got).toEqual(want.map(([g, c, s, a]) => [String(g), String(c), s, dbl(a!)]));
    }
  });

  it('a sum past 38 digits is OUT_OF_RANGE', () => {
    const t = 'decimal(38,0)' as DataType;
    const err = failure(() => aggregate([], [call('sum', t)], [{ keys: [], args: [vec(t, [10n ** 38n - 1n, 10n ** 38n - 1n])], n: 2 }]));
    expect(err.code).toBe('OUT_OF_RANGE');
    expect(err.message).toContain('DECIMAL(38,0)');
  });

  it('avg is one correctly rounded quotient where a two-step division would round twice', async () => {
    // Sums and counts whose quotient is a near-tie: DuckDB's answer and the exact ratio agree.
    const cases: Array<[string, bigint[]]> = [
      ['decimal(38,10)', [10n ** 37n + 1n, 10n ** 37n, 1n]],
      ['decimal(18,4)', [999_999_999_999_999_999n, 1n, 7n]],
      ['int64', [INT64_MAX, INT64_MAX - 1n, 1n]],
      ['int64', [P53 + 1n, P53 + 2n]],
    ];
    for (const [t, vals] of cases) {
      const d = types.decimalParts(t as DataType);
      const sqlT = d ? `DECIMAL(${d.precision},${d.scale})` : 'BIGINT';
      const lits = vals.map((v) => `((${d ? dec(v, d.scale) : v})::${sqlT})`).join(', ');
      const [[want]] = await db.rows(`SELECT avg(x) FROM (VALUES ${lits}) t(x)`);
      const got = rowsOf(aggregate([], [call('avg', t as DataType)], [{ keys: [], args: [vec(t as DataType, vals)], n: vals.length }]));
      expect(got).toEqual([[dbl(want!)]]);
    }
    expect(exact.ratioToDouble(1n, 3n)).toBe(1 / 3);
    expect(exact.ratioToDouble(-(10n ** 40n), 10n ** 20n)).toBe(-1e20);
    expect(exact.ratioToDouble(2n ** 53n + 1n, 1n)).toBe(2 ** 53); // tie: to even
    expect(exact.ratioToDouble(2n ** 53n + 3n, 1n)).toBe(2 ** 53 + 4);
    expect(exact.ratioToDouble((2n ** 54n + 2n) * 3n + 1n, 3n)).toBe(2 ** 54 + 4); // past the tie by a third: up
  });
});

const cp = (s: string): string => [...s].map((ch) => `chr(${ch.codePointAt(0)})`).join(' || ') || "''";

describe('min/max', () => {
  it('strings in code-point order: an emoji is above U+FFFF (per row and by dictionary ranks)', async () => {
    const words = ['\uffff', '😀', 'a', '\ue000', 'z\uffff', 'z😀', '', 'é'];
    const r = rng(7);
    for (const n of [12, 4000]) {
      const rows: Val[][] = Array.from({ length: n }, (_, i) => [i % 3, i % 11 === 5 ? null : words[Math.floor(r() * words.length)]!]);
      await db.run('CREATE OR REPLACE TABLE s (g INTEGER, s VARCHAR)');
      await db.run(`INSERT INTO s VALUES ${rows.map(([g, s]) => `(${g}, ${s === null ? 'NULL' : cp(s as string)})`).join(', ')}`);
      const want = sorted(await db.rows('SELECT g::VARCHAR, min(s), max(s) FROM s GROUP BY g'));
      const got = sorted(rowsOf(aggregate(['int32'], [call('min', 'string'), call('max', 'string')], inputs(rows.map(([g, s]) => [g, s, s]), ['int32'], ['string', 'string'], 1000), { tasks: 2, viaIPC: true })));
      expect(got).toEqual(want);
    }
    const one = rowsOf(aggregate([], [call('min', 'string'), call('max', 'string')], [{ keys: [], args: [vec('string', ['\uffff', '😀']), vec('string', ['\uffff', '😀'])], n: 2 }]));
    expect(one).toEqual([['\uffff', '😀']]);
  });

  it('doubles: NaN is the greatest (max picks it, min only when all are NaN)', async () => {
    const want = await db.rows("SELECT g, min(x), max(x) FROM (VALUES (0, 1.0::DOUBLE), (0, 'nan'::DOUBLE), (0, -1.0), (1, 'nan'::DOUBLE), (1, 'nan'::DOUBLE), (2, 'inf'::DOUBLE), (2, NULL)) t(g, x) GROUP BY g ORDER BY g");
    const rows: Val[][] = [[0, 1], [0, NaN], [0, -1], [1, NaN], [1, NaN], [2, Infinity], [2, null]];
    for (const order of [rows, [...rows].reverse()]) {
      const got = sorted(rowsOf(aggregate(['int32'], [call('min', 'float64'), call('max', 'float64')], inputs(order.map(([g, x]) => [g, x, x]), ['int32'], ['float64', 'float64'], 2), { tasks: 2, viaIPC: true })));
      expect(got).toEqual(want.map(([g, a, b]) => [String(g), dbl(a!), dbl(b!)]));
    }
  });
});

describe('DISTINCT over wide values', () => {
  it('count/sum(DISTINCT) see a value once whether it came as num or big', async () => {
    const vals = [1n, 2n, P53, P53 + 1n, P53 + 1n, INT64_MAX - 2n ** 55n, -5n, 2n, null];
    const rows = [...vals, ...vals.map((v) => v)].map((v, i) => [i % 2, v]);
    await load('dd', [['g', 'INTEGER'], ['x', 'BIGINT']], rows);
    const want = sorted(await db.rows('SELECT g, count(DISTINCT x), sum(DISTINCT x)::VARCHAR FROM dd GROUP BY g'));
    // First chunk: the safe values as a num vector; then the rest forced to big vectors.
    const safe = rows.filter(([, x]) => x === null || ((x as bigint) <= P53 - 1n && (x as bigint) >= -(P53 - 1n)));
    const rest = rows.filter((r0) => !safe.includes(r0));
    const ins = [...inputs(safe, ['int32'], ['int64'], 100), ...inputs(rest.concat(safe), ['int32'], ['int64'], 3, true)];
    const data = ins.map((x) => ({ ...x, args: [x.args[0]!, x.args[0]!] }));
    const got = sorted(rowsOf(aggregate(['int32'], [call('count', 'int64', true), call('sum', 'int64', true)], data, { tasks: 2 })));
    expect(got).toEqual(want.map(([g, c, s]) => [String(g), String(c), s]));
  });
});

describe('group keys', () => {
  const keys = [1n, 2n, 3n, P53 - 1n, P53, P53 + 1n, P53 + 2n, INT64_MAX, INT64_MIN, -(P53 + 1n), null];

  it('int64 keys beyond 2^53 group exactly, equal values equal whichever vector kind (direct, hashed and multi-column tables)', async () => {
    const rows: Val[][] = [];
    for (let rep = 0; rep < 3; rep++) keys.forEach((k, i) => rows.push([k, BigInt(i + 10 * rep)]));
    await load('gk', [['k', 'BIGINT'], ['x', 'BIGINT']], rows);
    const want = sorted(await db.rows('SELECT k, count(*), sum(x)::VARCHAR FROM gk GROUP BY k'));
    const wantMulti = sorted(await db.rows("SELECT k, 'a' || (x % 2)::VARCHAR AS s, count(*) FROM gk GROUP BY ALL"));
    // Dense small keys first (the table starts direct-mapped), sparse safe keys first (hashed),
    // and everything as big vectors from the start.
    const small = rows.filter(([k]) => k !== null && (k as bigint) < 4n && (k as bigint) > 0n);
    const safeSparse = rows.filter(([k]) => k === null || ((k as bigint) < P53 && (k as bigint) > -P53));
    for (const first of [small, safeSparse, [] as Val[][]]) {
      const firstIns = inputs(first, ['int64'], ['int64'], 100);
      const all = [...firstIns, ...inputs(rows, ['int64'], ['int64'], 5, true)];
      const firstCount = new Map<Val, number>();
      for (const [k] of first) firstCount.set(String(k), (firstCount.get(String(k)) ?? 0) + 1);
      const got = sorted(rowsOf(aggregate(['int64'], [call('count_star', null), call('sum', 'int64')], all.map((x) => ({ ...x, args: [null, x.args[0]!] })), { tasks: 2 })));
      // The first rows were fed twice: subtract them again in the expectation.
      const exp = want.map(([k, c, s]) => {
        const extra = first.filter(([fk]) => String(fk) === String(k));
        return [k === null ? null : String(k), String(Number(c) + extra.length), String(BigInt(s as string) + extra.reduce((a, [, x]) => a + (x as bigint), 0n))];
      });
      expect(got).toEqual(sorted(exp));
    }
    const multi = rows.map(([k, x]) => [k, `a${(x as bigint) % 2n}`]);
    const gotMulti = sorted(rowsOf(aggregate(['int64', 'string'], [call('count_star', null)], [...inputs(multi.slice(0, 11), ['int64', 'string'], [], 4), ...inputs(multi.slice(11), ['int64', 'string'], [], 4, true)].map((x) => ({ ...x, args: [null] })), { tasks: 2 })));
    expect(gotMulti).toEqual(wantMulti.map(([k, s, c]) => [k === null ? null : String(k), s, String(c)]));
  });

  it('decimal(38,10) keys, wide and narrow', async () => {
    const t = 'decimal(38,10)' as DataType;
    const vals = [10n ** 37n, 10n ** 37n + 1n, 1n, -1n, 10n ** 37n, null, 1n, -(10n ** 37n)];
    const rows = vals.map((v, i) => [v, BigInt(i)]);
    await load('gd', [['k', 'DECIMAL(38,10)'], ['x', 'BIGINT']], rows.map(([k, x]) => [k === null ? null : dec(k as bigint, 10), x]));
    const want = sorted(await db.rows('SELECT k::VARCHAR, count(*), sum(x)::VARCHAR FROM gd GROUP BY k'));
    const got = sorted(rowsOf(aggregate([t], [call('count_star', null), call('sum', 'int64')], inputs(rows, [t], ['int64'], 3).map((x) => ({ ...x, args: [null, x.args[0]!] })), { tasks: 2 })));
    expect(got).toEqual(want);
  });

  it('NaN keys are one group whatever their bits, −0 groups with 0 (numeric, direct and multi-column tables)', async () => {
    const f = new Float64Array(new BigUint64Array([0x7ff8000000000001n, 0xfff8000000000000n]).buffer);
    const nans = [NaN, f[0]!, f[1]!, 0 / 0];
    expect(nans.every((x) => Number.isNaN(x))).toBe(true);
    const xs = [...nans, 0, -0, 1.5, null];
    const want = sorted(await db.rows("SELECT x, count(*) FROM (VALUES ('nan'::DOUBLE), ('-nan'::DOUBLE), ('nan'::DOUBLE), ('nan'::DOUBLE), (0.0::DOUBLE), (-0.0::DOUBLE), (1.5::DOUBLE), (NULL)) t(x) GROUP BY x"));
    const one = sorted(rowsOf(aggregate(['float64'], [call('count_star', null)], [{ keys: [vec('float64', xs)], args: [null], n: xs.length }], { tasks: 2 })));
    expect(one).toEqual(want.map(([x, c]) => [dbl(x!), String(c)]));
    const two = sorted(rowsOf(aggregate(['float64', 'string'], [call('count_star', null)], [{ keys: [vec('float64', xs), vec('string', xs.map(() => 'k'))], args: [null], n: xs.length }], { tasks: 2 })));
    expect(two).toEqual(want.map(([x, c]) => [dbl(x!), 'k', String(c)]));
    // Join keys: NaN matches NaN, −0 matches 0 (DuckDB: 'nan' = 'nan' is true).
    const b = new join.HashJoinBuild({ length: 2, cols: [vec('float64', [f[0]!, -0])] }, [vec('float64', [f[0]!, -0])], ['float64']);
    const probed = b.probe({ length: 3, cols: [vec('float64', [f[1]!, 0, 1])] }, [vec('float64', [f[1]!, 0, 1])], 'inner');
    expect(probed.length).toBe(2);
  });

  it('hash partitions agree for equal values in num and big vectors', async () => {
    const h = await part.xxh();
    const vals = [1n, -7n, P53 - 1n, 123456789n, null];
    const a = part.partitionIds([vec('int64', vals)], vals.length, 8, h, false);
    const b = part.partitionIds([vec('int64', vals, true)], vals.length, 8, h, false);
    expect([...b]).toEqual([...a]);
    const wide = [P53 + 1n, INT64_MAX, P53 + 1n];
    const w = part.partitionIds([vec('int64', wide)], 3, 8, h, true);
    expect(w[0]).toBe(w[2]);
  });
});

describe('joins on wide keys', () => {
  const build = [1n, 2n, P53, P53 + 1n, INT64_MAX, INT64_MIN, null, P53 + 1n, 5n];
  const probeNum = [1n, 2n, 3n, P53 - 1n, null];
  const probeBig = [P53 + 1n, P53 + 2n, INT64_MAX, INT64_MIN, 2n, P53, null];

  async function expected(): Promise<Val[][]> {
    await load('jb', [['k', 'BIGINT'], ['b', 'INTEGER']], build.map((k, i) => [k, i]));
    await load('jp', [['k', 'BIGINT'], ['p', 'INTEGER']], [...probeNum, ...probeBig].map((k, i) => [k, i]));
    return sorted(await db.rows('SELECT jp.p, jb.b FROM jp LEFT JOIN jb ON jp.k = jb.k'));
  }

  function probeRows(b: InstanceType<typeof join.HashJoinBuild>, forceBig: boolean): Val[][] {
    const out: Val[][] = [];
    let off = 0;
    for (const keys of [probeNum, probeBig]) {
      const k = vec('int64', keys, forceBig);
      const c = b.probe({ length: keys.length, cols: [vec('int32', keys.map((_, i) => off + i))] }, [k], 'left');
      for (let i = 0; i < c.length; i++) out.push([valueAt(c.cols[0]!, i), valueAt(c.cols[1]!, i)].map((v) => (v === null ? null : Number(v))));
      off += keys.length;
    }
    return sorted(out);
  }

  it('wide build keys (general mode) match probes in num and big vectors, NULLs never match', async () => {
    const want = (await expected()).map((r0) => r0.map((v) => (v === null ? null : Number(v))));
    for (const forceBig of [false, true]) {
      const b = new join.HashJoinBuild({ length: build.length, cols: [vec('int32', build.map((_, i) => i))] }, [vec('int64', build)], ['int64']);
      expect(probeRows(b, forceBig)).toEqual(want);
    }
  });

  it('a build of safe keys (numeric, direct-mapped) is probed by big vectors: wide values match nothing', async () => {
    const safeBuild = [1n, 2n, 3n, 5n, null];
    await load('jb2', [['k', 'BIGINT'], ['b', 'INTEGER']], safeBuild.map((k, i) => [k, i]));
    await load('jp2', [['k', 'BIGINT'], ['p', 'INTEGER']], [...probeNum, ...probeBig].map((k, i) => [k, i]));
    const want = sorted(await db.rows('SELECT jp2.p, jb2.b FROM jp2 LEFT JOIN jb2 ON jp2.k = jb2.k')).map((r0) => r0.map((v) => (v === null ? null : Number(v))));
    for (const forceBig of [false, true]) {
      const b = new join.HashJoinBuild({ length: safeBuild.length, cols: [vec('int32', safeBuild.map((_, i) => i))] }, [vec('int64', safeBuild, forceBig)], ['int64']);
      expect(probeRows(b, true)).toEqual(want);
    }
    // A hashed (not direct) numeric build: sparse keys.
    const sparse = [1n, 10n ** 15n, -(10n ** 15n), 2n];
    const b = new join.HashJoinBuild({ length: 4, cols: [vec('int32', [0, 1, 2, 3])] }, [vec('int64', sparse)], ['int64']);
    const c = b.probe({ length: 3, cols: [vec('int32', [0, 1, 2])] }, [vec('int64', [10n ** 15n, P53 + 1n, 2n], true)], 'inner');
    expect(rowsOf(c)).toEqual([['0', '1'], ['2', '3']]);
  });
});

describe('ORDER BY', () => {
  async function order(sqlType: string, vals: Val[], lit: (v: Val) => string, desc: boolean): Promise<number[]> {
    const rows = await db.rows(`SELECT i FROM (VALUES ${vals.map((v, i) => `(${i}, ${v === null ? `NULL::${sqlType}` : lit(v)})`).join(', ')}) t(i, x) ORDER BY x ${desc ? 'DESC' : 'ASC'}, i`);
    return rows.map(([i]) => Number(i));
  }

  it('big integers, wide decimals, NaN (last ascending, first descending) and strings by code point, as DuckDB', async () => {
    const ints = [P53 + 1n, P53, 1n, null, INT64_MIN, INT64_MAX, P53 + 1n, -(P53 + 3n), 0n];
    const decs = [10n ** 37n + 1n, 10n ** 37n, -1n, null, 5n, -(10n ** 37n)];
    const dbls = [1, NaN, -1, null, Infinity, -Infinity, NaN, 0];
    const strs = ['\uffff', '😀', 'a', null, '\ue000', 'z', ''];
    const cases: Array<[DataType, string, Val[], (v: Val) => string]> = [
      ['int64', 'BIGINT', ints, (v) => `(${v})::BIGINT`],
      ['decimal(38,10)', 'DECIMAL(38,10)', decs, (v) => `(${dec(v as bigint, 10)})::DECIMAL(38,10)`],
      ['float64', 'DOUBLE', dbls, (v) => (Number.isNaN(v) ? `'nan'::DOUBLE` : Number.isFinite(v) ? `(${v})::DOUBLE` : `'${v}'::DOUBLE`)],
      ['string', 'VARCHAR', strs, (v) => cp(v as string)],
    ];
    for (const [t, sqlT, vals, lit] of cases) {
      for (const desc of [false, true]) {
        const want = await order(sqlT, vals, lit, desc);
        for (const forceBig of types.isExact(t) ? [false, true] : [false]) {
          const perm = sort.sortPermutation(vals.length, [{ vec: vec(t, vals, forceBig), desc, nullsFirst: false }]);
          expect([...perm]).toEqual(want);
        }
      }
    }
  });
});

describe('group table internals', () => {
  it('a numeric-mode table switches to the general mode when a wide key arrives and keeps its groups', () => {
    const t = new ht.GroupTable(['int64']);
    const g1 = t.insert([vec('int64', [5n, 6n, null, 5n])], 4);
    const g2 = t.insert([vec('int64', [P53 + 1n, 5n, null, 6n, P53 + 1n])], 5);
    expect([...g1]).toEqual([0, 1, 2, 0]);
    expect([...g2]).toEqual([3, 0, 2, 1, 3]);
    expect(t.lookup([vec('int64', [6n, P53 + 1n, P53 + 2n, null])], 4)).toEqual(Int32Array.from([1, 3, -1, -1]));
    const [k] = t.keyVecs();
    expect(Array.from({ length: 4 }, (_, i) => valueAt(k!, i))).toEqual(['5', '6', null, String(P53 + 1n)]);
  });

  it('partial state layout: exact sums carry a text column, int64 keys and min/max keep their type', () => {
    const layout = agg.partialTypes(['int64', 'int32'], [call('sum', 'int64'), call('avg', 'decimal(10,2)' as DataType), call('sum', 'float64'), call('max', 'int64')]);
    expect(layout).toEqual(['int64', 'float64', 'float64', 'string', 'float64', 'float64', 'string', 'float64', 'float64', 'float64', 'int64']);
  });
});
