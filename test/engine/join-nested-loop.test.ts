/**
 * The nested-loop join kernel (engine/compute/nested-loop.ts, built into dist/) against a
 * row-at-a-time reference written from SQL's definitions: every join kind, a condition with
 * NULL outcomes (`l.a < r.b` over columns with NULLs), no condition (cross product), an empty
 * build side, probe batches of uneven sizes, BIGINTs above 2^53, and the documented bounds.
 */
import { describe, expect, it } from 'vitest';
import { rng } from '../helpers/prng.js';

const dist = (p: string): string => new URL(`../../dist/engine/${p}`, import.meta.url).href;
const nl = (await import(dist('compute/nested-loop.js'))) as typeof import('../../engine/compute/nested-loop.js');
type Chunk = import('../../engine/compute/vec.js').Chunk;
type Vec = import('../../engine/compute/vec.js').Vec;
type JoinKind = import('../../engine/plan/logical.js').JoinKind;
type Expr = import('../../engine/plan/types.js').Expr;

type Cell = number | bigint | null;

/** Left rows: [a INT64 (num), id INT64 (big, above 2^53)]; right rows: [b INT64 (num)]. */
function numVec(vals: Array<number | null>): Vec {
  const valid = vals.some((v) => v === null) ? Uint8Array.from(vals, (v) => (v === null ? 0 : 1)) : null;
  return { t: 'num', type: 'int64', values: Float64Array.from(vals, (v) => v ?? 0), valid };
}

function bigVec(vals: bigint[]): Vec {
  return { t: 'big', type: 'int64', values: [...vals], valid: null };
}

function cell(v: Vec, i: number): Cell {
  if (v.valid && !v.valid[i]) return null;
  if (v.t === 'num') return v.values[i]!;
  if (v.t === 'big') return v.values[i]!;
  if (v.t === 'bool') return v.values[i]! ? 1 : 0;
  throw new Error('unexpected vector');
}

function rowsOf(chunks: Chunk[]): string[] {
  const out: string[] = [];
  for (const c of chunks) for (let i = 0; i < c.length; i++) out.push(JSON.stringify(c.cols.map((v) => cell(v, i)), (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)));
  return out;
}

async function* stream(chunks: Chunk[]): AsyncGenerator<Chunk> {
  for (const c of chunks) yield c;
}

/** `l.a < r.b` — NULL when either is NULL. */
const LT: Expr = { k: 'call', fn: 'lt', args: [{ k: 'col', i: 0, type: 'int64' }, { k: 'col', i: 2, type: 'int64' }], type: 'boolean' };

function reference(kind: JoinKind, left: Array<[number | null, bigint]>, right: Array<number | null>, cond: boolean, nullAware: boolean): string[] {
  const test = (a: number | null, b: number | null): boolean | null => (!cond ? true : a === null || b === null ? null : a < b);
  const rows: Cell[][] = [];
  const rightHit = new Array<boolean>(right.length).fill(false);
  for (const [a, id] of left) {
    let hits = 0;
    let unknown = false;
    for (let j = 0; j < right.length; j++) {
      const t = test(a, right[j]!);
      if (t === null) unknown = true;
      if (t !== true) continue;
      hits++;
      rightHit[j] = true;
      if (kind === 'inner' || kind === 'left' || kind === 'right' || kind === 'full') rows.push([a, id, right[j]!]);
    }
    if (hits === 0 && (kind === 'left' || kind === 'full')) rows.push([a, id, null]);
    if (kind === 'semi' && hits > 0) rows.push([a, id]);
    if (kind === 'anti' && hits === 0) rows.push([a, id]);
    if (kind === 'mark') rows.push([a, id, hits > 0 ? 1 : nullAware && unknown ? null : 0]);
  }
  if (kind === 'right' || kind === 'full') right.forEach((b, j) => { if (!rightHit[j]) rows.push([null, null, b]); });
  return rows.map((r) => JSON.stringify(r, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)));
}

const KINDS: JoinKind[] = ['inner', 'left', 'right', 'full', 'semi', 'anti', 'mark'];

describe('nested-loop join kernel', () => {
  const rand = rng(7);
  const maybe = (p: number): number | null => (rand() < 0.15 ? null : Math.floor(rand() * p));
  const left: Array<[number | null, bigint]> = Array.from({ length: 157 }, (_, i) => [maybe(40), 9007199254740993n + BigInt(i * 3)]);
  const right: Array<number | null> = Array.from({ length: 61 }, () => maybe(40));
  // Uneven probe batches; the build side in one chunk.
  const cuts = [0, 1, 50, 51, 120, 157];
  const probe = cuts.slice(1).map((end, k): Chunk => {
    const part = left.slice(cuts[k]!, end);
    return { length: part.length, cols: [numVec(part.map((r) => r[0])), bigVec(part.map((r) => r[1]))] };
  });
  const build: Chunk = { length: right.length, cols: [numVec(right)] };
  const empty: Chunk = { length: 0, cols: [numVec([])] };
  type Spec = import('../../engine/compute/nested-loop.js').NestedLoopSpec;
  const spec = (kind: JoinKind, residual: Expr | null, nullAware = false): Spec => ({ kind, residual, nullAware, leftTypes: ['int64', 'int64'], rightTypes: ['int64'] });

  for (const kind of KINDS) {
    for (const cond of [true, false]) {
      it(`${kind} join ${cond ? 'with a condition that can be NULL' : 'without a condition'}`, async () => {
        const got: Chunk[] = [];
        for await (const c of nl.nestedLoopJoin(spec(kind, cond ? LT : null), build, stream(probe))) got.push(c);
        expect(rowsOf(got).sort()).toEqual(reference(kind, left, right, cond, false).sort());
      });
    }
    it(`${kind} join with an empty build side`, async () => {
      const got: Chunk[] = [];
      for await (const c of nl.nestedLoopJoin(spec(kind, LT), empty, stream(probe))) got.push(c);
      expect(rowsOf(got).sort()).toEqual(reference(kind, left, [], true, false).sort());
    });
  }

  it('null-aware mark join: NULL when no pair is TRUE and some pair is NULL', async () => {
    const got: Chunk[] = [];
    for await (const c of nl.nestedLoopJoin(spec('mark', LT, true), build, stream(probe))) got.push(c);
    expect(rowsOf(got).sort()).toEqual(reference('mark', left, right, true, true).sort());
  });

  it('refuses more pairs than its bound with RESOURCE_LIMIT, before evaluating them', async () => {
    const run = async (): Promise<void> => {
      for await (const _ of nl.nestedLoopJoin({ ...spec('inner', LT), limits: { pairs: 1000, buildRows: 100 } }, build, stream(probe))) void _;
    };
    await expect(run()).rejects.toMatchObject({ code: 'RESOURCE_LIMIT' });
  });

  it('refuses a build side over its bound while collecting it', async () => {
    await expect(nl.collectBounded(stream(probe), ['int64', 'int64'], 100)).rejects.toMatchObject({ code: 'RESOURCE_LIMIT' });
    const all = await nl.collectBounded(stream(probe), ['int64', 'int64'], 157);
    expect(all.length).toBe(157);
  });
});
