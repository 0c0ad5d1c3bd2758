/**
 * Set operations and grouping sets below the SQL corpus (which compares whole queries with
 * DuckDB in test/engine/corpus/setop.ts):
 * - the INTERSECT / EXCEPT [ALL] kernel (dist/ compute/setop.js) over random multi-chunk inputs
 *   against a reference computed on exact text keys: BIGINTs around 2^53 arriving as `num` or
 *   `big` vectors, decimals, doubles with −0 and NaN, strings, NULLs;
 * - GROUP BY ROLLUP / CUBE / GROUPING SETS expansion in the parser (the sets, in indexes);
 * - the plans: GROUPING SETS without the empty set read their input once, ROLLUP twice.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from 'lakehouse-engine/engine';
import { exact, rng, rowsOf, sorted, vec, type Chunk, type DataType, type Val } from './exact-kernels.js';

const dist = (p: string): string => new URL(`../../dist/engine/${p}`, import.meta.url).href;
const setop = (await import(dist('compute/setop.js'))) as typeof import('../../engine/compute/setop.js');
const parser = (await import(dist('sql/parser.js'))) as typeof import('../../engine/sql/parser.js');

const P53 = 2n ** 53n;

/** Canonical text of a row for the reference: exact values by value, −0 as 0, NaN as one value. */
function keyOf(row: Val[]): string {
  return JSON.stringify(row.map((v) => (typeof v === 'number' ? (Object.is(v, -0) ? 0 : Number.isNaN(v) ? 'NaN' : v) : v)));
}

function reference(left: Val[][], right: Val[][], kind: 'intersect' | 'except', all: boolean): Val[][] {
  const count = (rows: Val[][]): Map<string, { row: Val[]; n: number }> => {
    const m = new Map<string, { row: Val[]; n: number }>();
    for (const r of rows) {
      const k = keyOf(r);
      const e = m.get(k);
      if (e) e.n++;
      else m.set(k, { row: r, n: 1 });
    }
    return m;
  };
  const l = count(left);
  const r = count(right);
  const out: Val[][] = [];
  for (const [k, { row, n: m }] of l) {
    const n = r.get(k)?.n ?? 0;
    const copies = kind === 'intersect' ? (all ? Math.min(m, n) : m > 0 && n > 0 ? 1 : 0) : all ? Math.max(m - n, 0) : n === 0 ? 1 : 0;
    for (let c = 0; c < copies; c++) out.push(row);
  }
  return out;
}

/** Rows as chunks of random sizes; each exact column independently as `num` or forced `big`. */
function chunksOf(types: DataType[], rows: Val[][], rand: () => number): Chunk[] {
  const out: Chunk[] = [];
  for (let i = 0; i < rows.length;) {
    const n = Math.min(rows.length - i, 1 + Math.floor(rand() * 40));
    const part = rows.slice(i, i + n);
    out.push({ length: n, cols: types.map((t, c) => vec(t, part.map((r) => r[c]!), rand() < 0.5)) });
    i += n;
  }
  return out;
}

/** The kernel's output as rows in the reference's value form (doubles as numbers, exact as text). */
function kernelRows(chunks: Chunk[]): Val[][] {
  return chunks.flatMap((c) => rowsOf(c)).map((r) => r.map((v) => (v === 'NaN' ? Number.NaN : v)));
}

function canon(rows: Val[][]): Val[][] {
  return sorted(rows.map((r) => JSON.parse(keyOf(r)) as Val[]));
}

describe('INTERSECT / EXCEPT kernel', () => {
  const types: DataType[] = ['int64', 'decimal(38,2)', 'float64', 'string'];
  const bigs = [P53 - 1n, P53, P53 + 1n, P53 + 2n, P53 + 3n, -(P53 + 1n), 2n ** 63n - 1n, null];
  const decs = [1n, 10n ** 30n + 1n, 10n ** 30n, -5n, null];
  const dbls: Val[] = [0, -0, Number.NaN, 1.5, null];
  const strs: Val[] = ['a', 'b', 'é', '', null];
  for (const seed of [1, 2, 3, 4]) {
    it(`matches the exact reference (seed ${seed})`, () => {
      const rand = rng(seed);
      const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const row = (): Val[] => [pick(bigs), pick(decs), pick(dbls), pick(strs)].map((v) => (typeof v === 'bigint' ? v.toString() : v)) as Val[];
      const left = Array.from({ length: 300 }, row);
      const right = Array.from({ length: 200 }, row);
      for (const kind of ['intersect', 'except'] as const) {
        for (const all of [false, true]) {
          const counter = new setop.SetOpCounter(types);
          for (const c of chunksOf(types, left, rand)) counter.addLeft(c);
          for (const c of chunksOf(types, right, rand)) counter.addRight(c);
          const got = kernelRows([...counter.finish(kind, all)]);
          // Decimals come back as text with their scale (unscaled 1 is "0.01").
          const want = reference(left, right, kind, all).map((r) => r.map((v, j) => (j === 1 && v !== null ? exact.formatDecimal(BigInt(v as string), 2) : v)));
          expect(canon(got), `${kind}${all ? ' all' : ''}`).toEqual(canon(want));
        }
      }
    });
  }

  it('keeps 2^53 + 1 apart from 2^53 whichever vector kind holds them', () => {
    const counter = new setop.SetOpCounter(['int64']);
    counter.addLeft({ length: 2, cols: [vec('int64', [(P53 + 1n).toString(), P53.toString()], true)] });
    counter.addRight({ length: 1, cols: [vec('int64', [P53.toString()])] });
    expect([...counter.finish('except', false)].flatMap((c) => rowsOf(c))).toEqual([[(P53 + 1n).toString()]]);
  });
});

describe('GROUP BY ROLLUP / CUBE / GROUPING SETS in the parser', () => {
  const setsOf = (sql: string): { keys: number; sets: number[][] | undefined } => {
    const st = parser.parseSql(sql);
    if (st.kind !== 'query' || st.query.body.k !== 'select') throw new Error('not a select');
    return { keys: st.query.body.groupBy.length, sets: st.query.body.groupingSets };
  };
  it('expands each form to sets of key indexes', () => {
    expect(setsOf('SELECT 1 FROM t GROUP BY a, b')).toEqual({ keys: 2, sets: undefined });
    expect(setsOf('SELECT 1 FROM t GROUP BY ROLLUP (a, b)')).toEqual({ keys: 2, sets: [[0, 1], [0], []] });
    expect(setsOf('SELECT 1 FROM t GROUP BY CUBE (a, b)')).toEqual({ keys: 2, sets: [[0, 1], [0], [1], []] });
    expect(setsOf('SELECT 1 FROM t GROUP BY GROUPING SETS ((a, b), (b), ())')).toEqual({ keys: 2, sets: [[0, 1], [1], []] });
    expect(setsOf('SELECT 1 FROM t GROUP BY a, ROLLUP (b, c)')).toEqual({ keys: 3, sets: [[0, 1, 2], [0, 1], [0]] });
    expect(setsOf('SELECT 1 FROM t GROUP BY ROLLUP ((a, b), c)')).toEqual({ keys: 3, sets: [[0, 1, 2], [0, 1], []] });
    expect(setsOf('SELECT 1 FROM t GROUP BY CUBE (a), CUBE (b)')).toEqual({ keys: 2, sets: [[0, 1], [0], [1], []] });
    expect(setsOf('SELECT 1 FROM t GROUP BY a, b WITH ROLLUP')).toEqual({ keys: 2, sets: [[0, 1], [0], []] });
    // The same expression in several places is one key.
    expect(setsOf('SELECT 1 FROM t GROUP BY GROUPING SETS ((a), (a, b), (t.a))')).toEqual({ keys: 3, sets: [[0], [0, 1], [2]] });
    expect(setsOf('SELECT 1 FROM t GROUP BY GROUPING SETS ((a + 1), (a+1, b))')).toEqual({ keys: 2, sets: [[0], [0, 1]] });
  });
  it('refuses more grouping sets than the limit', () => {
    expect(() => setsOf(`SELECT 1 FROM t GROUP BY CUBE (${'abcdefghij'.split('').join(', ')})`)).toThrow(/grouping sets/);
  });
});

describe('grouping set plans', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open({ threads: 1 });
    const { tableFromArrays } = await import('apache-arrow');
    engine.registerTable('t', tableFromArrays({ a: Int32Array.from([1, 2, 2, 3]), b: Int32Array.from([1, 1, 2, 2]) }));
  });
  afterAll(async () => { await engine?.close(); });

  const scans = (plan: string): number => plan.split('\n').filter((l) => l.trim().startsWith('Scan ')).length;

  it('GROUPING SETS without () read the input once; with () twice', async () => {
    expect(scans(await engine.sql('SELECT a, b, count(*) FROM t GROUP BY GROUPING SETS ((a), (b), (a, b))').explain())).toBe(1);
    expect(scans(await engine.sql('SELECT a, b, count(*) FROM t GROUP BY CUBE (a, b)').explain())).toBe(2);
  });

  it('answers as DuckDB on a tiny table, rolled-up NULLs beside grouping()', async () => {
    const rows = await engine.sql('SELECT a, grouping(a) AS g, count(*) AS n FROM t GROUP BY ROLLUP (a) ORDER BY g, a').toArray();
    expect(rows.map((r) => [r['a'], Number(r['g']), Number(r['n'])])).toEqual([[1, 0, 1], [2, 0, 2], [3, 0, 1], [null, 1, 4]]);
  });
});
