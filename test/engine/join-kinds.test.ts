/**
 * The join kernel (engine/compute/join.ts) through the executor: every join kind × with and
 * without a residual × NULL keys (and 64-bit keys beyond 2^53, which must match exactly) × the
 * three strategies (broadcast build, partitioned/shuffled, probe on the coordinator), against a
 * nested-loop reference of SQL's semantics written here. The plan nodes are built directly, so
 * kinds the SQL binder does not produce (RIGHT/FULL with a residual) are covered too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { Engine, type PlanNode } from 'lakehouse-engine/engine';
import { rng } from '../helpers/prng.js';

type Row = Array<bigint | number | boolean | null>;
type Kind = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti' | 'mark' | 'single';

const BASE = 9007199254740992n; // 2^53

/** k: BIGINT keys around 2^53 (±1 differ only beyond double precision), a/b: small ints. */
function makeRows(n: number, seed: number, keys: number, nullEvery: number, col: 'a' | 'b'): { rows: Row[]; table: arrow.Table } {
  const rnd = rng(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % nullEvery === 0 ? null : BASE + BigInt(Math.floor(rnd() * keys)) - 2n;
    const v = i % 7 === 3 ? null : Math.floor(rnd() * 10);
    rows.push([k, v]);
  }
  const table = new arrow.Table({
    k: arrow.vectorFromArray(rows.map((r) => r[0] as bigint | null), new arrow.Int64()),
    [col]: arrow.vectorFromArray(rows.map((r) => r[1] as number | null), new arrow.Int32()),
  });
  return { rows, table };
}

let L: Row[];
let R: Row[];
let R1: Row[];
const engines: Record<'broadcast' | 'partitioned' | 'local', Engine> = {} as never;
let scanL: PlanNode;
let scanR: PlanNode;
let scanR1: PlanNode;

beforeAll(async () => {
  const l = makeRows(500, 1, 12, 9, 'a');
  const r = makeRows(120, 2, 14, 5, 'b');
  // At most one row per key (for `single` without a cardinality error), one NULL key.
  const r1rows: Row[] = [];
  for (let i = 0; i < 10; i++) r1rows.push([i === 4 ? null : BASE + BigInt(i) - 2n, i % 3 === 0 ? null : i]);
  const r1 = new arrow.Table({
    k: arrow.vectorFromArray(r1rows.map((x) => x[0] as bigint | null), new arrow.Int64()),
    b: arrow.vectorFromArray(r1rows.map((x) => x[1] as number | null), new arrow.Int32()),
  });
  L = l.rows;
  R = r.rows;
  R1 = r1rows;
  engines.broadcast = await Engine.open({ threads: 2 });
  engines.partitioned = await Engine.open({ threads: 2, broadcastRows: 0 });
  engines.local = await Engine.open({ threads: 2 });
  for (const e of Object.values(engines)) {
    e.registerTable('j.l', l.table);
    e.registerTable('j.r', r.table);
    e.registerTable('j.r1', r1);
  }
  scanL = await engines.broadcast.sql('SELECT k, a FROM j.l').plan();
  scanR = await engines.broadcast.sql('SELECT k, b FROM j.r').plan();
  scanR1 = await engines.broadcast.sql('SELECT k, b FROM j.r1').plan();
}, 60_000);

afterAll(async () => {
  for (const e of Object.values(engines)) await e?.close();
});

/** Residual over left ++ right: l.a < r.b (NULL when either is NULL). */
const RESIDUAL = { k: 'call', fn: 'lt', args: [{ k: 'col', i: 1, type: 'int32' }, { k: 'col', i: 3, type: 'int32' }], type: 'boolean' } as const;

/** SQL's three-valued l.a < r.b. */
const resid = (l: Row, r: Row): boolean | null => (l[1] === null || r[1] === null ? null : (l[1] as number) < (r[1] as number));

function reference(kind: Kind, left: Row[], right: Row[], residual: boolean, nullAware: boolean): string[] {
  const out: Row[] = [];
  const state = (l: Row, r: Row): boolean | null => {
    // Null-aware: `l.k = r.k` is three-valued; else NULL keys never match.
    if (l[0] === null || r[0] === null) return nullAware ? (residual ? (resid(l, r) === false ? false : null) : null) : false;
    if (l[0] !== r[0]) return false;
    return residual ? resid(l, r) : true;
  };
  const rightHit = new Set<number>();
  for (const l of left) {
    const states = right.map((r) => state(l, r));
    const hits = right.filter((_, j) => states[j] === true);
    right.forEach((_, j) => { if (states[j] === true) rightHit.add(j); });
    const unknown = states.some((s) => s === null);
    switch (kind) {
      case 'inner': case 'right': for (const r of hits) out.push([...l, ...r]); break;
      case 'left': case 'full': case 'single':
        if (kind === 'single' && hits.length > 1) throw new Error('CARDINALITY_VIOLATION');
        if (hits.length) for (const r of hits) out.push([...l, ...r]);
        else out.push([...l, null, null]);
        break;
      case 'semi': if (hits.length) out.push(l); break;
      case 'anti': if (!hits.length && !(nullAware && unknown)) out.push(l); break;
      case 'mark': out.push([...l, hits.length ? true : nullAware && unknown ? null : false]); break;
    }
  }
  if (kind === 'right' || kind === 'full') right.forEach((r, j) => { if (!rightHit.has(j)) out.push([null, null, ...r]); });
  return out.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).sort();
}

function joinPlan(kind: Kind, right: PlanNode, residual: boolean, nullAware: boolean, local: boolean): PlanNode {
  // A sort is not a scan pipeline: the join above it probes on the coordinator (executeLocal).
  const left: PlanNode = local ? { op: 'sort', input: scanL, keys: [{ e: { k: 'col', i: 1, type: 'int32' }, desc: false, nullsFirst: false }], schema: scanL.schema } : scanL;
  const nullable = (s: PlanNode['schema']): PlanNode['schema'] => s.map((f) => ({ ...f, nullable: true }));
  const schema = kind === 'semi' || kind === 'anti' ? scanL.schema
    : kind === 'mark' ? [...scanL.schema, { name: 'mark', type: 'boolean' as const, nullable: true }]
      : [...nullable(scanL.schema), ...nullable(right.schema)];
  return {
    op: 'join', kind, left, right, leftKeys: [{ k: 'col', i: 0, type: 'int64' }], rightKeys: [{ k: 'col', i: 0, type: 'int64' }], schema,
    ...(residual ? { residual: RESIDUAL } : {}), ...(nullAware ? { nullAware: true } : {}),
  };
}

async function run(engine: Engine, plan: PlanNode): Promise<{ rows: string[]; joins: Record<string, number> }> {
  const rows: string[] = [];
  let joins: Record<string, number> = {};
  for await (const c of engine.execute(plan, undefined, (s) => { joins = { ...s.joins }; })) {
    for (let i = 0; i < c.length; i++) {
      const row = c.cols.map((v) => {
        if (v.valid && !v.valid[i]) return null;
        if (v.t === 'big') return v.values[i]!.toString();
        if (v.t === 'bool') return v.values[i] === 1;
        if (v.t === 'num') return v.type === 'int64' ? BigInt(v.values[i]!).toString() : v.values[i]!;
        return v.dict[v.codes[i]!]!;
      });
      rows.push(JSON.stringify(row));
    }
  }
  return { rows: rows.sort(), joins };
}

const KINDS: Kind[] = ['inner', 'left', 'right', 'full', 'semi', 'anti', 'mark', 'single'];

describe('join kinds × residual × NULL keys × strategy', () => {
  for (const strategy of ['broadcast', 'partitioned', 'local'] as const) {
    for (const kind of KINDS) {
      for (const residual of [false, true]) {
        it(`${kind}${residual ? ' + residual' : ''} (${strategy})`, async () => {
          const right = kind === 'single' ? scanR1 : scanR;
          const rightRows = kind === 'single' ? R1 : R;
          const expected = reference(kind, L, rightRows, residual, false);
          const { rows, joins } = await run(engines[strategy], joinPlan(kind, right, residual, false, strategy === 'local'));
          expect(rows).toEqual(expected);
          expect(rows.length).toBeGreaterThan(0);
          // An inner join over a non-pipeline left side is swapped (its residual rewritten) so
          // that the scan side is probed in its tasks instead.
          if (strategy === 'local' && kind === 'inner') expect(joins.swapped).toBe(1);
          else if (strategy === 'local') expect(joins.local).toBe(1);
          // RIGHT/FULL must see all build rows of a key range in one task: never broadcast.
          else if (strategy === 'broadcast' && kind !== 'right' && kind !== 'full') expect(joins.broadcast).toBe(1);
          else expect(joins.partitioned).toBe(1);
        });
      }
    }
    for (const kind of ['mark', 'anti'] as const) {
      for (const residual of [false, true]) {
        it(`null-aware ${kind}${residual ? ' + residual' : ''} (${strategy})`, async () => {
          const expected = reference(kind, L, R, residual, true);
          const { rows, joins } = await run(engines[strategy], joinPlan(kind, scanR, residual, true, strategy === 'local'));
          expect(rows).toEqual(expected);
          // Null-aware joins need the whole build side in every task: broadcast even when large.
          if (strategy === 'local') expect(joins.local).toBe(1);
          else expect(joins.broadcast).toBe(1);
        });
      }
    }
  }

  it('single raises CARDINALITY_VIOLATION on a second match', async () => {
    expect(() => reference('single', L, R, false, false)).toThrow('CARDINALITY_VIOLATION');
    for (const strategy of ['broadcast', 'partitioned', 'local'] as const) {
      await expect(run(engines[strategy], joinPlan('single', scanR, false, false, strategy === 'local'))).rejects.toMatchObject({ code: 'CARDINALITY_VIOLATION' });
    }
  });

  it('keys beyond 2^53 match exactly (2^53 and 2^53 + 1 are different keys)', () => {
    const keys = new Set(L.filter((r) => r[0] !== null).map((r) => r[0]));
    expect(keys.has(BASE) && keys.has(BASE + 1n)).toBe(true);
    const inner = reference('inner', L, R, false, false);
    expect(inner.every((s) => { const r = JSON.parse(s) as string[]; return r[0] === r[2]; })).toBe(true);
  });
});
