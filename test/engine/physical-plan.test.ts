/**
 * The physical plan (engine/physical/): strategies asserted through the plan the planner makes
 * (not through run counters) — broadcast vs partitioned joins, the swapped build side, local vs
 * partitioned aggregate merges, the adaptive broadcast→partitioned step — EXPLAIN and EXPLAIN
 * ANALYZE text (rows per operator equal the real row counts, checked against DuckDB on TPC-H Q3),
 * and writes as plans with a Sink at the root.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openObjectStore } from 'lakehouse-engine/connectors';
import { Engine, ParquetFilesSource } from 'lakehouse-engine/engine';
import { physicalNodes, type PhysicalNode } from '../../engine/physical/plan.js';
import { openOracle, type Oracle } from '../helpers/duckdb-oracle.js';
import { haveTpch, tpchDir } from '../helpers/tpch.js';

const BIG = 20_000;
const SMALL = 20;

function tables(engine: Engine): void {
  const id = Int32Array.from({ length: BIG }, (_, i) => i);
  engine.registerTable('t.big', arrow.tableFromArrays({ id, k: Int32Array.from(id, (i) => i % SMALL), g: Int32Array.from(id, (i) => i % 5000) }));
  engine.registerTable('t.small', arrow.tableFromArrays({ k: Int32Array.from({ length: SMALL }, (_, i) => i), name: Array.from({ length: SMALL }, (_, i) => `n${i}`) }));
}

async function physical(engine: Engine, sql: string): Promise<PhysicalNode> {
  return engine.physicalPlan(await engine.sql(sql).plan());
}

function only<T extends PhysicalNode['op']>(p: PhysicalNode, op: T): Extract<PhysicalNode, { op: T }> {
  const found = physicalNodes(p).filter((n) => n.op === op);
  expect(found, `exactly one ${op} in the plan`).toHaveLength(1);
  return found[0] as Extract<PhysicalNode, { op: T }>;
}

async function explain(engine: Engine, sql: string): Promise<string[]> {
  return (await engine.sql(sql).toArray()).map((r) => r['plan'] as string);
}

/** `actual: rows=N` of every EXPLAIN ANALYZE line whose operator text starts with `prefix`. */
function actualRows(lines: string[], prefix: string): number[] {
  return lines.filter((l) => l.trimStart().startsWith(prefix)).map((l) => {
    const m = /actual: rows=(\d+)/.exec(l);
    if (!m) throw new Error(`no actual rows in: ${l}`);
    return Number(m[1]);
  });
}

describe('physical plan strategies', () => {
  let engine: Engine;
  let shuffling: Engine;
  let merging: Engine;

  beforeAll(async () => {
    engine = await Engine.open({ threads: 2 });
    shuffling = await Engine.open({ threads: 2, broadcastRows: 0 });
    merging = await Engine.open({ threads: 2, localMergeRows: 1000 });
    for (const e of [engine, shuffling, merging]) tables(e);
  });

  afterAll(async () => {
    await Promise.all([engine?.close(), shuffling?.close(), merging?.close()]);
  });

  it('broadcasts a small build side', async () => {
    const j = only(await physical(engine, 'SELECT b.id, s.name FROM t.big b JOIN t.small s ON b.k = s.k'), 'hash-join');
    expect(j.strategy).toBe('broadcast');
    expect(j.swapped).toBe(false);
    expect(j.build.est.rows).toBe(SMALL);
    expect(j.partitions).toBe(0);
  });

  it('partitions every join when broadcastRows is 0', async () => {
    const j = only(await physical(shuffling, 'SELECT b.id, s.name FROM t.big b JOIN t.small s ON b.k = s.k'), 'hash-join');
    expect(j.strategy).toBe('partitioned');
    expect(j.partitions).toBeGreaterThanOrEqual(4);
    const lines = await explain(shuffling, 'EXPLAIN SELECT b.id, s.name FROM t.big b JOIN t.small s ON b.k = s.k');
    expect(lines.some((l) => /HashJoin inner partitioned .* partitions=\d+/.test(l))).toBe(true);
  });

  it('hashes the smaller side when the FROM order puts the big table second', async () => {
    const j = only(await physical(engine, 'SELECT b.id, s.name FROM t.small s JOIN t.big b ON s.k = b.k'), 'hash-join');
    // Either the join-order pass (plan/join-order.ts) or the planner's side swap puts small on the build side.
    expect(j.build.est.rows).toBe(SMALL);
    expect(j.probe.est.rows).toBe(BIG);
    // The output keeps the logical column order (small's columns first).
    const rows = await engine.sql('SELECT s.name, b.id, b.g FROM t.small s JOIN t.big b ON s.k = b.k WHERE b.id = 7').toArray();
    expect(rows).toEqual([{ name: 'n7', id: 7, g: 7 }]);
    const star = await engine.sql('SELECT * FROM t.small s JOIN t.big b ON s.k = b.k WHERE b.id = 7').toArray();
    expect(Object.values(star[0]!), 'small\'s columns first').toEqual([7, 'n7', 7, 7, 7]);
    const kept = only(await physical(engine, 'SELECT b.id FROM t.big b LEFT JOIN t.small s ON b.k = s.k'), 'hash-join');
    expect(kept.swapped, 'a left join keeps its sides').toBe(false);
  });

  it('merges many groups partition by partition, few on the coordinator', async () => {
    const many = only(await physical(merging, 'SELECT g, count(*) AS n FROM t.big GROUP BY g'), 'hash-aggregate');
    expect(many.strategy).toBe('partial+partitioned-merge');
    expect(many.partitions).toBe(4);
    const global = only(await physical(merging, 'SELECT count(*) AS n FROM t.big'), 'hash-aggregate');
    expect(global.strategy).toBe('partial+local-merge');
    const few = only(await physical(engine, 'SELECT g, count(*) AS n FROM t.big GROUP BY g'), 'hash-aggregate');
    expect(few.strategy, 'under localMergeRows').toBe('partial+local-merge');
    const over = only(await physical(engine, 'SELECT g, n FROM (SELECT g, count(*) AS n FROM t.big GROUP BY g) x ORDER BY g LIMIT 3'), 'limit');
    expect(over.pushed, 'a limit over a sort is not pushed into tasks').toBe(false);
    const lines = await explain(merging, 'EXPLAIN ANALYZE SELECT g, count(*) AS n FROM t.big GROUP BY g');
    expect(actualRows(lines, 'HashAggregate partial+partitioned-merge')).toEqual([5000]);
    expect(actualRows(lines, 'Scan t.big')).toEqual([BIG]);
  });

  it('re-plans a broadcast build that turns out too large as partitioned, visibly', async () => {
    const small = await Engine.open({ threads: 2, broadcastRows: 5 });
    try {
      tables(small);
      const sql = 'SELECT count(*) AS n FROM t.big b JOIN (SELECT k, count(*) AS c FROM t.small GROUP BY k) s ON b.k = s.k';
      const j = only(await physical(small, sql), 'hash-join');
      // The build side is an aggregate (not a pipeline): collected, and planned as a broadcast.
      expect(j.strategy).toBe('broadcast');
      expect(j.adaptive).toBeUndefined();
      const lines = await explain(small, `EXPLAIN ANALYZE ${sql}`);
      const join = lines.find((l) => l.includes('HashJoin'))!;
      expect(join).toContain('broadcast (adaptive: broadcast→partitioned)');
      expect(actualRows(lines, 'HashJoin')).toEqual([BIG]);
      expect(await small.sql(sql).toArray()).toEqual([{ n: BIG }]);
    } finally {
      await small.close();
    }
  });

  it('EXPLAIN is a frame of lines: `limit` keeps the first ones (lake sql --limit)', async () => {
    const all = await explain(engine, 'EXPLAIN SELECT b.id, s.name FROM t.big b JOIN t.small s ON b.k = s.k');
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = await engine.sql('EXPLAIN SELECT b.id, s.name FROM t.big b JOIN t.small s ON b.k = s.k').limit(1).toArray();
    expect(first).toEqual([{ plan: all[0] }]);
  });

  it('refuses EXPLAIN forms it does not print with a coded error', () => {
    expect(() => engine.sql('EXPLAIN VERBOSE SELECT 1')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining('not supported yet: EXPLAIN: VERBOSE') }));
  });
});

describe('EXPLAIN of TPC-H Q3', () => {
  let engine: Engine;
  let oracle: Oracle;
  const q3 = (): string => readFileSync(join(tpchDir(), '..', 'queries', 'q03.sql'), 'utf8');

  beforeAll(async () => {
    if (!haveTpch()) return;
    engine = await Engine.open({ threads: 2 });
    oracle = await openOracle();
    const store = await openObjectStore(tpchDir());
    for (const t of ['lineitem', 'orders', 'customer']) {
      engine.registerTable(`tpch.${t}`, await ParquetFilesSource.open(store, [`${t}.parquet`]));
      await oracle.exec(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${join(tpchDir(), `${t}.parquet`)}')`);
    }
  }, 120_000);

  afterAll(async () => {
    await engine?.close();
    oracle?.close();
  });

  it.skipIf(!haveTpch())('plans Limit ← Sort ← HashAggregate ← two broadcast joins over three scans', async () => {
    const lines = await explain(engine, `EXPLAIN ${q3()}`);
    const ops = lines.map((l) => l.trimStart().split(' ')[0]);
    expect(ops.filter((o) => o === 'Scan')).toHaveLength(3);
    expect(ops.filter((o) => o === 'HashJoin')).toHaveLength(2);
    expect(ops.slice(0, 2)).toEqual(['Limit', 'Sort']);
    expect(ops).toContain('HashAggregate');
    expect(lines.filter((l) => l.includes('HashJoin inner broadcast'))).toHaveLength(2);
    // lineitem, the largest input, is probed in its scan tasks: never a build side.
    const p = await physical(engine, q3());
    for (const j of physicalNodes(p)) if (j.op === 'hash-join') expect(physicalNodes(j.build).some((n) => n.op === 'scan' && n.table === 'tpch.lineitem')).toBe(false);
    expect(lines.every((l) => l.includes('(est rows='))).toBe(true);
  });

  it.skipIf(!haveTpch())('EXPLAIN ANALYZE reports the real row counts per operator', async () => {
    const lines = await explain(engine, `EXPLAIN ANALYZE ${q3()}`);
    const count = async (sql: string): Promise<number> => {
      const out = await oracle.run(sql);
      if (!out.ok) throw new Error(out.error.message);
      return Number(out.answer.rows[0]![0]);
    };
    const customers = await count("SELECT count(*) FROM customer WHERE c_mktsegment = 'BUILDING'");
    const orders = await count("SELECT count(*) FROM orders WHERE o_orderdate < DATE '1995-03-15'");
    const items = await count("SELECT count(*) FROM lineitem WHERE l_shipdate > DATE '1995-03-15'");
    const co = await count("SELECT count(*) FROM customer, orders WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND o_orderdate < DATE '1995-03-15'");
    const col = await count("SELECT count(*) FROM customer, orders, lineitem WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'");
    const groups = await count("SELECT count(*) FROM (SELECT l_orderkey, o_orderdate, o_shippriority FROM customer, orders, lineitem WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15' GROUP BY ALL)");
    expect(actualRows(lines, 'Scan tpch.customer')).toEqual([customers]);
    expect(actualRows(lines, 'Scan tpch.orders')).toEqual([orders]);
    expect(actualRows(lines, 'Scan tpch.lineitem')).toEqual([items]);
    expect(actualRows(lines, 'HashJoin').sort((a, b) => a - b)).toEqual([co, col].sort((a, b) => a - b));
    expect(actualRows(lines, 'HashAggregate')).toEqual([groups]);
    expect(actualRows(lines, 'Sort')).toEqual([groups]);
    expect(actualRows(lines, 'Limit')).toEqual([10]);
    expect(lines.at(-1)).toMatch(/^Total: 10 rows in [\d.]+ms; process peak RSS/);
    expect(lines.every((l, i) => i === lines.length - 1 || /actual: rows=\d+ bytes=.* time=[\d.]+ms/.test(l))).toBe(true);
  });
});

describe('writes are plans with a Sink at the root', () => {
  let dir: string;
  let engine: Engine;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'phys-plan-'));
    engine = await Engine.open({ warehouse: dir, threads: 2 });
    tables(engine);
    await engine.run('CREATE TABLE w.out AS SELECT id, k FROM t.big WHERE id < 10');
  });

  afterAll(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('EXPLAIN INSERT shows the Sink in the tasks of a pipeline, on the coordinator otherwise', async () => {
    const lines = await explain(engine, 'EXPLAIN INSERT INTO w.out SELECT id, k FROM t.big WHERE id > 5');
    expect(lines[0]).toMatch(/^Sink w\.out mode=append in every task/);
    expect(lines[1]).toMatch(/^ {2}(Filter|Project|Scan)/);
    const agg = await explain(engine, 'EXPLAIN INSERT OVERWRITE w.out SELECT min(id), k FROM t.big GROUP BY k');
    expect(agg[0]).toMatch(/^Sink w\.out mode=overwrite-partitions on the coordinator/);
    expect(agg.some((l) => l.includes('HashAggregate'))).toBe(true);
    // Nothing was written by EXPLAIN.
    expect(await engine.sql('SELECT count(*) AS n FROM w.out').toArray()).toEqual([{ n: 10 }]);
    await expect(engine.sql('EXPLAIN ANALYZE INSERT INTO w.out SELECT id, k FROM t.big').toArray()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('a staged write carries the plan it ran and what its Sink wrote', async () => {
    const staged = await engine.stageWrite({ query: 'SELECT id, k FROM t.big WHERE id >= 100 AND id < 150', table: 'w.out', mode: 'append', runId: 'plan-test' });
    try {
      expect(staged.plan.op).toBe('sink');
      if (staged.plan.op !== 'sink') return;
      expect(staged.plan.placement).toBe('tasks');
      expect(staged.operatorMetrics.get(staged.plan.id)?.rows).toBe(50);
      expect(staged.metrics.rowsWritten).toBe(50);
    } finally {
      await staged.abort();
    }
  });
});
