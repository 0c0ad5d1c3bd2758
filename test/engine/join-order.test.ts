/**
 * Join planning over TPC-H SF 0.1 (plan/or-factor.ts, plan/join-order.ts, compute/nested-loop.ts):
 * - Q19 (an OR of three conjunctions, each repeating `p_partkey = l_partkey`) plans as a keyed
 *   join, not a cross product, and gives DuckDB's answer;
 * - the order chosen for a 5-way join written big-table-first probes lineitem and builds every
 *   smaller table (and the filtered `customer ⋈ orders`), with no join lacking an equi key;
 * - a comma join listing two unconnected tables first still joins along predicates only;
 * - a non-equi join beyond the nested-loop bound fails with RESOURCE_LIMIT (never an OOM).
 * Strategies are asserted on the plans (the logical plan after the optimizer, then orderJoins
 * with the scan plans' statistics — what the executor runs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Engine, type PlanNode } from 'lakehouse-engine/engine';
import { diffAnswers, openOracle, runOurs, type Oracle } from '../helpers/duckdb-oracle.js';
import { haveTpch, registerTpch, tpchDir } from '../helpers/tpch.js';

const dist = (p: string): string => new URL(`../../dist/engine/${p}`, import.meta.url).href;
const jo = (await import(dist('plan/join-order.js'))) as typeof import('../../engine/plan/join-order.js');

type Join = Extract<PlanNode, { op: 'join' }>;
type Scan = Extract<PlanNode, { op: 'scan' }>;


let engine: Engine;
let oracle: Oracle;

beforeAll(async () => {
  if (!haveTpch()) return;
  engine = await Engine.open({ threads: 2 });
  oracle = await openOracle();
  await registerTpch([engine], oracle);
}, 120_000);

afterAll(async () => {
  await engine?.close();
  oracle?.close();
});

function joins(p: PlanNode, out: Join[] = []): Join[] {
  if (p.op === 'join') out.push(p);
  for (const k of 'input' in p ? [p.input] : p.op === 'join' || p.op === 'setop' ? [p.left, p.right] : p.op === 'union' ? p.inputs : []) joins(k, out);
  return out;
}

function scanNodes(p: PlanNode): Scan[] {
  if (p.op === 'scan') return [p];
  return ('input' in p ? [p.input] : p.op === 'join' || p.op === 'setop' ? [p.left, p.right] : p.op === 'union' ? p.inputs : []).flatMap(scanNodes);
}

const scans = (p: PlanNode): string[] => scanNodes(p).map((s) => s.table);

/** The leftmost scan under a node: the table the probe pipeline reads. */
function probeTable(p: PlanNode): string {
  if (p.op === 'scan') return p.table;
  if (p.op === 'join') return probeTable(p.left);
  if ('input' in p) return probeTable(p.input);
  throw new Error(`no probe table under ${p.op}`);
}

/** The plan the executor runs: the optimizer's plan, reordered with the scan plans' statistics. */
async function ordered(sql: string): Promise<{ plan: PlanNode; stats: import('../../engine/plan/join-order.js').JoinStatistics }> {
  const logical = await engine.sql(sql).plan();
  const stats = await jo.scanStatistics(logical, (s: Scan) => s.source.planScan({ columns: s.columns, filters: s.filters }));
  return { plan: jo.orderJoins(logical, stats), stats };
}

describe.runIf(haveTpch())('join planning over TPC-H SF 0.1', () => {
  it('Q19 joins lineitem and part on the factored key, with no cross product, and matches DuckDB', async () => {
    const sql = readFileSync(join(tpchDir(), '..', 'queries', 'q19.sql'), 'utf8');
    const logical = await engine.sql(sql).plan();
    const js = joins(logical);
    expect(js).toHaveLength(1);
    expect(js[0]!.leftKeys).toHaveLength(1);
    // The implied per-side filters reached both scans.
    for (const s of scanNodes(logical)) expect(s.filters.length, s.table).toBeGreaterThan(0);
    const { plan } = await ordered(sql);
    expect(joins(plan).every((j) => j.leftKeys.length > 0)).toBe(true);
    const ours = await runOurs(engine, sql);
    const duck = await oracle.run(sql);
    expect(ours.ok && duck.ok).toBe(true);
    if (ours.ok && duck.ok) expect(diffAnswers(ours.answer, duck.answer, { ordered: false, tolerance: 1e-9, loose: false })).toBeNull();
  }, 120_000);

  it('a 5-way join written big-first probes lineitem and builds the small tables', async () => {
    const sql = `SELECT n_name, sum(l_extendedprice) FROM tpch.lineitem, tpch.orders, tpch.customer, tpch.nation, tpch.region
      WHERE l_orderkey = o_orderkey AND o_custkey = c_custkey AND c_nationkey = n_nationkey AND n_regionkey = r_regionkey
        AND r_name = 'EUROPE' AND o_orderdate >= DATE '1995-01-01' AND o_orderdate < DATE '1995-04-01' GROUP BY n_name`;
    const { plan, stats } = await ordered(sql);
    const js = joins(plan);
    expect(js).toHaveLength(4);
    for (const j of js) {
      expect(j.leftKeys.length, 'every join has an equi key').toBeGreaterThan(0);
      // The build (right) side is never estimated larger than the probe side.
      expect(jo.estimateRows(j.right, stats)).toBeLessThanOrEqual(jo.estimateRows(j.left, stats));
    }
    const root = js[0]!;
    expect(probeTable(root)).toBe('tpch.lineitem');
    expect(scans(root.right).sort()).toEqual(['tpch.customer', 'tpch.nation', 'tpch.orders', 'tpch.region']);
    // No join's build side reads lineitem.
    for (const j of js) expect(scans(j.right)).not.toContain('tpch.lineitem');
  }, 120_000);

  it('a comma join listing unconnected tables first still joins along its predicates', async () => {
    const sql = `SELECT count(*) FROM tpch.region, tpch.supplier, tpch.nation
      WHERE s_nationkey = n_nationkey AND n_regionkey = r_regionkey`;
    const logical = await engine.sql(sql).plan();
    // Bound in FROM order, the first join (region × supplier) has no key.
    expect(joins(logical).some((j) => j.leftKeys.length === 0)).toBe(true);
    const { plan } = await ordered(sql);
    expect(joins(plan).every((j) => j.leftKeys.length > 0)).toBe(true);
    const ours = await runOurs(engine, sql);
    const duck = await oracle.run(sql);
    expect(ours.ok && duck.ok).toBe(true);
    if (ours.ok && duck.ok) expect(diffAnswers(ours.answer, duck.answer, { ordered: false, tolerance: 0, loose: false })).toBeNull();
  }, 120_000);

  it('a non-equi join past the nested-loop bound fails with RESOURCE_LIMIT', async () => {
    const ours = await runOurs(engine, 'SELECT count(*) FROM tpch.lineitem l JOIN tpch.part p ON l.l_partkey < p.p_partkey');
    expect(ours.ok).toBe(false);
    if (!ours.ok) {
      expect(ours.error.code).toBe('RESOURCE_LIMIT');
      expect(ours.error.message).toMatch(/nested-loop join/);
    }
  }, 120_000);
});
