/**
 * The aggregate registry and the merge functions of the extended aggregates, on the built dist/
 * kernels: moments (Welford + Chan merge, shifted for large means), co-moments, arg_min/arg_max,
 * the HyperLogLog sketch, and the holistic collectors (quantiles, string_agg) — each fed in
 * several "tasks" whose partials travel through Arrow IPC and merge in another order, against
 * one single-pass aggregator and against closed-form answers. Plus the registry's refusals
 * through SQL. Query answers against DuckDB are in the SQL corpus (corpus/aggregate.ts).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { Engine, MemoryTableSource } from 'lakehouse-engine/engine';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { rng } from '../helpers/prng.js';

const dist = (p: string): string => new URL(`../../dist/engine/${p}`, import.meta.url).href;
const agg = (await import(dist('compute/aggregate.js'))) as typeof import('../../engine/compute/aggregate.js');
const ipc = (await import(dist('exec/ipc.js'))) as typeof import('../../engine/exec/ipc.js');
const reg = (await import(dist('functions/aggregates.js'))) as typeof import('../../engine/functions/aggregates.js');

type Vec = import('../../engine/compute/vec.js').Vec;
type Chunk = import('../../engine/compute/vec.js').Chunk;
type AggCall = import('../../engine/plan/types.js').AggCall;
type DataType = import('../../engine/plan/types.js').DataType;

const f64 = (xs: Array<number | null>): Vec => ({
  t: 'num', type: 'float64', values: Float64Array.from(xs, (x) => x ?? 0), valid: xs.includes(null) ? Uint8Array.from(xs, (x) => (x === null ? 0 : 1)) : null,
});
const ints = (xs: Array<number | bigint | null>, type: DataType = 'int64'): Vec => {
  const valid = xs.includes(null) ? Uint8Array.from(xs, (x) => (x === null ? 0 : 1)) : null;
  if (xs.some((x) => typeof x === 'bigint')) return { t: 'big', type, values: xs.map((x) => BigInt(x ?? 0)), valid };
  return { t: 'num', type, values: Float64Array.from(xs, (x) => Number(x ?? 0)), valid };
};
const strs = (xs: Array<string | null>): Vec => {
  const dict = [...new Set(xs.filter((x): x is string => x !== null))];
  return { t: 'str', codes: Int32Array.from(xs, (x) => (x === null ? 0 : dict.indexOf(x))), dict: dict.length ? dict : [''], valid: xs.includes(null) ? Uint8Array.from(xs, (x) => (x === null ? 0 : 1)) : null };
};
const col = (i: number, type: DataType) => ({ k: 'col' as const, i, type });

function slice(v: Vec, a: number, b: number): Vec {
  const valid = v.valid ? v.valid.slice(a, b) : null;
  if (v.t === 'num') return { ...v, values: v.values.slice(a, b), valid };
  if (v.t === 'big') return { ...v, values: Array.from(v.values).slice(a, b), valid };
  if (v.t === 'bool') return { ...v, values: v.values.slice(a, b), valid };
  return { ...v, codes: v.codes.slice(a, b), valid };
}

/**
 * Aggregates `cols` (column 0 the group key when `keyed`, the others the inputs the calls read
 * by column index) in `tasks` tasks over interleaved row blocks; partials go through Arrow IPC
 * and merge in reverse task order. `tasks` 0 means one aggregator over all rows (no partials).
 */
function run(aggs: AggCall[], cols: Vec[], n: number, tasks: number, keyed: boolean): Chunk {
  const keyTypes: DataType[] = keyed ? [cols[0]!.t === 'str' ? 'string' : 'int64'] : [];
  const feed = (a: InstanceType<typeof agg.HashAggregator>, lo: number, hi: number): void => {
    const part = cols.map((c) => slice(c, lo, hi));
    const input = (e: { k: 'col'; i: number } | null): Vec | null => (e ? part[e.i]! : null);
    a.addChunk(keyed ? [part[0]!] : [], aggs.map((c) => input(c.arg as { k: 'col'; i: number } | null)), hi - lo, undefined,
      aggs.map((c) => c.extra?.map((e) => input(e as { k: 'col'; i: number })!) ?? null));
  };
  if (tasks === 0) {
    const one = new agg.HashAggregator(keyTypes, aggs);
    for (let s = 0; s < n; s += 97) feed(one, s, Math.min(n, s + 97));
    return one.finish();
  }
  const layout = agg.partialLayout(keyTypes, aggs);
  const partials: Array<{ main: Chunk; distinct: Chunk[] }> = [];
  for (let t = 0; t < tasks; t++) {
    const a = new agg.HashAggregator(keyTypes, aggs);
    for (let s = t * 61; s < n; s += 61 * tasks) feed(a, s, Math.min(n, s + 61));
    const { main, distinct } = a.partial();
    partials.push({
      main: ipc.oneChunkFromIPC(ipc.chunkToIPC(main, layout[0]!), layout[0]!),
      distinct: distinct.map((d, j) => ipc.oneChunkFromIPC(ipc.chunkToIPC(d, layout[j + 1]!), layout[j + 1]!)),
    });
  }
  const merger = new agg.HashAggregator(keyTypes, aggs);
  for (const p of partials.reverse()) merger.mergePartial(p.main, p.distinct);
  return merger.finish();
}

function values(v: Vec, size: number): Array<number | bigint | string | null> {
  return Array.from({ length: size }, (_, i) => {
    if (v.valid && !v.valid[i]) return null;
    if (v.t === 'str') return v.dict[v.codes[i]!]!;
    return v.values[i]! as number | bigint;
  });
}

/** Result rows keyed by group key (first column), for comparing plans whatever the group order. */
function byKey(c: Chunk): Map<unknown, unknown[]> {
  const cols = c.cols.map((v) => values(v, c.length));
  const out = new Map<unknown, unknown[]>();
  for (let i = 0; i < c.length; i++) out.set(cols[0]![i], cols.slice(1).map((x) => x[i]));
  return out;
}

function close(a: unknown, b: unknown, rel = 1e-12): boolean {
  if (typeof a !== 'number' || typeof b !== 'number') return a === b;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('moments: Welford per row, Chan merge', () => {
  const r = rng(7);
  const n = 5000;
  const key = ints(Array.from({ length: n }, (_, i) => i % 7));
  const x = f64(Array.from({ length: n }, (_, i) => (i % 23 === 0 ? null : r() * 1000 - 300)));
  const y = f64(Array.from({ length: n }, (_, i) => (i % 29 === 0 ? null : r() * 50 + (i % 7))));
  const fns = ['var_samp', 'var_pop', 'stddev_samp', 'stddev_pop'] as const;
  const calls: AggCall[] = [
    ...fns.map((fn): AggCall => ({ fn, arg: col(1, 'float64'), distinct: false, type: 'float64' })),
    ...(['covar_samp', 'covar_pop', 'corr'] as const).map((fn): AggCall => ({ fn, arg: col(2, 'float64'), extra: [col(1, 'float64')], distinct: false, type: 'float64' })),
  ];

  it('merged partials equal the single pass and the two-pass formulas', () => {
    const one = byKey(run(calls, [key, x, y], n, 0, true));
    for (const tasks of [2, 5]) {
      const merged = byKey(run(calls, [key, x, y], n, tasks, true));
      expect(merged.size).toBe(7);
      for (const [k, row] of one) row.forEach((v, j) => expect(close(merged.get(k)![j], v, 1e-10), `task ${tasks} key ${k} agg ${j}`).toBe(true));
    }
    // Two-pass reference for group 3.
    const xs: number[] = [];
    const pairs: Array<[number, number]> = [];
    for (let i = 3; i < n; i += 7) {
      if (x.valid![i]) xs.push((x as Extract<Vec, { t: 'num' }>).values[i]!);
      if (x.valid![i] && y.valid![i]) pairs.push([(y as Extract<Vec, { t: 'num' }>).values[i]!, (x as Extract<Vec, { t: 'num' }>).values[i]!]);
    }
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
    const my = pairs.reduce((a, p) => a + p[0], 0) / pairs.length;
    const mx = pairs.reduce((a, p) => a + p[1], 0) / pairs.length;
    const cxy = pairs.reduce((a, p) => a + (p[0] - my) * (p[1] - mx), 0);
    const row = one.get(3)!;
    expect(close(row[0], ss / (xs.length - 1), 1e-12)).toBe(true);
    expect(close(row[1], ss / xs.length, 1e-12)).toBe(true);
    expect(close(row[3], Math.sqrt(ss / xs.length), 1e-12)).toBe(true);
    expect(close(row[4], cxy / (pairs.length - 1), 1e-10)).toBe(true);
  });

  it('stays accurate around a mean of 9e15 (BIGINTs near 2^53 as doubles)', () => {
    // 2^53 + 3i − 1500: the population standard deviation is 3·sqrt((n² − 1)/12).
    const m = 3000;
    const big = f64(Array.from({ length: m }, (_, i) => 9007199254740992 + i * 3 - 1500));
    const c: AggCall[] = [{ fn: 'stddev_pop', arg: col(0, 'float64'), distinct: false, type: 'float64' }];
    const truth = 3 * Math.sqrt((m * m - 1) / 12);
    for (const tasks of [0, 3]) {
      const out = run(c, [big], m, tasks, false);
      expect(Math.abs((values(out.cols[0]!, 1)[0] as number) / truth - 1)).toBeLessThan(1e-6);
    }
  });

  it('NULL below the minimum count, 0 and NaN at one row', () => {
    const c = calls;
    const out = run(c, [ints([1]), f64([5]), f64([2])], 1, 2, true);
    const row = byKey(out).get(1)!;
    expect(row.slice(0, 4)).toEqual([null, 0, null, 0]);
    expect(row[4]).toBe(null);
    expect(row[5]).toBe(0);
    expect(Number.isNaN(row[6])).toBe(true);
  });
});

describe('arg_min / arg_max', () => {
  it('keep exact values beyond 2^53 across merges and skip NULLs', () => {
    const P = 2n ** 53n;
    const n = 600;
    const key = strs(Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3]!));
    const arg = ints(Array.from({ length: n }, (_, i) => (i % 10 === 4 ? null : P + BigInt(i))));
    const val = ints(Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : ((i * 7919) % 1000) - 500)));
    const calls: AggCall[] = [
      { fn: 'arg_min', arg: col(1, 'int64'), extra: [col(2, 'int64')], distinct: false, type: 'int64' },
      { fn: 'arg_max', arg: col(1, 'int64'), extra: [col(2, 'int64')], distinct: false, type: 'int64' },
    ];
    const want = new Map<string, [bigint, bigint]>();
    for (const k of ['a', 'b', 'c']) {
      let lo: [number, bigint] | null = null;
      let hi: [number, bigint] | null = null;
      for (let i = 0; i < n; i++) {
        if (['a', 'b', 'c'][i % 3] !== k || i % 10 === 4 || i % 13 === 0) continue;
        const v = ((i * 7919) % 1000) - 500;
        if (!lo || v < lo[0]) lo = [v, P + BigInt(i)];
        if (!hi || v > hi[0]) hi = [v, P + BigInt(i)];
      }
      want.set(k, [lo![1], hi![1]]);
    }
    for (const tasks of [0, 4]) {
      const got = byKey(run(calls, [key, arg, val], n, tasks, true));
      for (const [k, [lo, hi]] of want) expect(got.get(k)!.map((x) => BigInt(x as bigint | number))).toEqual([lo, hi]);
    }
  });
});

describe('approx_count_distinct (HyperLogLog)', () => {
  const call: AggCall = { fn: 'approx_count_distinct', arg: col(1, 'int64'), distinct: false, type: 'int64' };
  const estimate = (vals: Vec, n: number, tasks: number): number => {
    const key = ints(new Array(n).fill(1));
    return Number(values(run([call], [key, vals], n, tasks, true).cols[1]!, 1)[0]);
  };

  it('is exact on small sets (sparse), whatever the merge order, and ignores NULLs', () => {
    const n = 2000;
    const vals = ints(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : (i * 31) % 700)));
    const truth = new Set(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : (i * 31) % 700)).filter((x) => x !== null)).size;
    for (const tasks of [0, 3, 7]) expect(estimate(vals, n, tasks)).toBe(truth);
  });

  it('is within 5% on 100k values, and merging sketches equals one sketch', () => {
    const n = 100_000;
    const vals = ints(Array.from({ length: n }, (_, i) => i * 2654435761 % 4294967311));
    const one = estimate(vals, n, 0);
    expect(Math.abs(one / n - 1)).toBeLessThan(0.05);
    // HLL registers merge by max: the merged sketch is the single-pass sketch exactly.
    expect(estimate(vals, n, 4)).toBe(one);
  });

  it('counts strings and BIGINTs beyond 2^53', () => {
    const n = 900;
    const s: Vec = strs(Array.from({ length: n }, (_, i) => `v${i % 300}`));
    const sc: AggCall = { ...call, arg: col(1, 'string') };
    const key = ints(new Array(n).fill(1));
    expect(values(run([sc], [key, s], n, 3, true).cols[1]!, 1)[0]).toBe(300);
    const big = ints(Array.from({ length: n }, (_, i) => 2n ** 60n + BigInt(i % 450)));
    expect(estimate(big, n, 3)).toBe(450);
  });
});

describe('holistic aggregates', () => {
  it("quantile_disc picks index ceil(n·q) − 1 with q's exact decimal value", () => {
    const n = 10;
    const key = ints(new Array(n).fill(1));
    const x = ints(Array.from({ length: n }, (_, i) => (i + 1) * 10));
    const disc: AggCall = { fn: 'quantile_disc', arg: col(1, 'int64'), distinct: false, type: 'int64', param: { num: 3, den: 10 } };
    // n·q = 3 exactly (as a double 10 × 0.3 = 3.0000000000000004 would give index 3).
    expect(values(run([disc], [key, x], n, 2, true).cols[1]!, 1)[0]).toBe(30);
  });

  it('quantile_cont of decimals truncates the interpolation step as DuckDB', () => {
    // DuckDB: median of -1.05, -2.10, -3.33, -4.44 (DECIMAL(18,2)) is -2.72.
    const key = ints([1, 1, 1, 1]);
    const x = ints([-105, -210, -333, -444], 'decimal(18,2)');
    const med: AggCall = { fn: 'quantile_cont', arg: col(1, 'decimal(18,2)'), distinct: false, type: 'decimal(18,2)', param: { num: 1, den: 2 } };
    expect(values(run([med], [key, x], 4, 2, true).cols[1]!, 1)[0]).toBe(-272);
  });

  it('string_agg orders by its keys across partials, DISTINCT drops repeats, empty groups are NULL', () => {
    const n = 300;
    const key = ints(Array.from({ length: n }, (_, i) => i % 4));
    const s = strs(Array.from({ length: n }, (_, i) => (i % 4 === 3 ? null : `s${i % 11}`)));
    const ord = ints(Array.from({ length: n }, (_, i) => n - i));
    const calls: AggCall[] = [
      { fn: 'string_agg', arg: col(1, 'string'), extra: [col(2, 'int64')], order: [{ desc: false, nullsFirst: false }], distinct: false, type: 'string', param: ',' },
      { fn: 'string_agg', arg: col(1, 'string'), distinct: true, type: 'string', param: '|' },
    ];
    const got = byKey(run(calls, [key, s, ord], n, 3, true));
    const expectOrdered = Array.from({ length: n }, (_, i) => i).filter((i) => i % 4 === 1).reverse().map((i) => `s${i % 11}`).join(',');
    expect(got.get(1)![0]).toBe(expectOrdered);
    const distinct = [...new Set(Array.from({ length: n }, (_, i) => i).filter((i) => i % 4 === 1).map((i) => `s${i % 11}`))].sort().join('|');
    expect(got.get(1)![1]).toBe(distinct);
    expect(got.get(3)).toEqual([null, null]);
  });
});

describe('the aggregate registry', () => {
  it('documents every aggregate and resolves every alias to one entry', () => {
    const seen = new Set<string>();
    for (const d of reg.AGGREGATES) {
      expect(d.doc.length, d.name).toBeGreaterThan(10);
      expect(d.signature.startsWith(d.name), d.name).toBe(true);
      for (const n of [d.name, ...d.aliases]) {
        expect(seen.has(n), `${n} registered twice`).toBe(false);
        seen.add(n);
        expect(reg.findAggregate(n)).toBe(d);
      }
    }
    for (const n of ['stddev', 'variance', 'median', 'min_by', 'max_by', 'every', 'listagg', 'group_concat', 'percentile_cont', 'quantile_cont', 'approx_count_distinct', 'count_if']) expect(reg.isAggregateName(n), n).toBe(true);
  });

  describe('through SQL', () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await Engine.open({ threads: 1 });
      engine.registerTable('t', new MemoryTableSource(arrow.tableFromJSON([{ x: 1, s: 'a' }, { x: 2, s: 'b' }, { x: null, s: null }])));
    });
    afterAll(async () => engine?.close());

    const fails = async (sql: string, code: string, text: RegExp): Promise<void> => {
      let caught: unknown;
      try { await engine.sql(sql).toArray(); } catch (e) { caught = e; }
      expect(isLakehouseError(caught), String(caught)).toBe(true);
      expect((caught as { code: string }).code).toBe(code);
      expect((caught as Error).message).toMatch(text);
    };

    it('answers the new aggregates', async () => {
      const rows = await engine.sql("SELECT string_agg(s, '+' ORDER BY s DESC), median(x), bool_or(x > 1), count_if(x > 0), every(x > 0), arg_max(s, x) FROM t").toArray();
      expect(Object.values(rows[0]!)).toEqual(['b+a', 1.5, true, 2, true, 'b']);
    });

    it('refuses array_agg, ORDER BY where it means nothing, and bad arguments', async () => {
      await fails('SELECT array_agg(x) FROM t', 'UNSUPPORTED', /not supported yet: array_agg \(LIST values\)/);
      await fails('SELECT sum(x ORDER BY x) FROM t', 'UNSUPPORTED', /ORDER BY inside sum/);
      await fails('SELECT corr(DISTINCT x, x) FROM t', 'UNSUPPORTED', /DISTINCT in corr/);
      await fails('SELECT quantile_cont(x, x) FROM t', 'PLAN_ERROR', /constant fraction/);
      await fails('SELECT percentile_cont(0.5) FROM t', 'PLAN_ERROR', /WITHIN GROUP/);
      await fails('SELECT string_agg(DISTINCT s, \',\' ORDER BY x) FROM t', 'PLAN_ERROR', /ORDER BY expressions must be the argument/);
      await fails('SELECT median(x) FROM t WHERE median(x) > 1', 'PLAN_ERROR', /not allowed in WHERE/);
    });
  });
});
