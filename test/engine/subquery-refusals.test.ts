/**
 * Subquery forms that are not decorrelated yet fail with UNSUPPORTED "not supported yet: …" and
 * the SQL position (never a wrong answer); misuse fails with PLAN_ERROR. Also the decorrelated
 * plan shapes: semi/anti/mark/single joins, no per-row re-execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { Engine } from 'lakehouse-engine/engine';

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.open({ threads: 1 });
  engine.registerTable('s.t', new arrow.Table({ k: arrow.vectorFromArray([1, 2, null, 4], new arrow.Int32()), x: arrow.vectorFromArray([10, 20, 30, 40], new arrow.Int32()) }));
  engine.registerTable('s.u', new arrow.Table({ k: arrow.vectorFromArray([1, 1, 2, null], new arrow.Int32()), y: arrow.vectorFromArray([5, 6, 7, 8], new arrow.Int32()) }));
});

afterAll(async () => {
  await engine?.close();
});

async function failure(sql: string): Promise<{ code: string; message: string }> {
  try {
    await engine.sql(sql).toArray();
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error(`no error for ${sql}`);
}

describe('subquery refusals', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['correlated reference in the select list', 'SELECT (SELECT t.x + u.y FROM s.u u WHERE u.k = t.k) FROM s.t t', /not supported yet: the correlated reference "t\.x".*line 1, column 16/s],
    ['LIMIT in a correlated subquery', 'SELECT (SELECT u.y FROM s.u u WHERE u.k = t.k LIMIT 1) FROM s.t t', /not supported yet: LIMIT\/OFFSET in a correlated subquery at line 1, column 9/],
    ['non-equality correlation under an aggregate', 'SELECT (SELECT count(*) FROM s.u u WHERE u.k < t.k) FROM s.t t', /not supported yet: a correlated condition other than inner = outer in an aggregating subquery at line 1, column 9/],
    ['subquery in the ON of a LEFT JOIN', 'SELECT * FROM s.t t LEFT JOIN s.u u ON t.k = u.k AND u.y IN (SELECT y FROM s.u)', /not supported yet: subqueries in the ON condition of a LEFT JOIN/],
    ['subquery in ORDER BY', 'SELECT k FROM s.t ORDER BY (SELECT max(y) FROM s.u)', /not supported yet: a scalar subquery in this clause/],
    ['reference two levels out', 'SELECT k FROM s.t t WHERE EXISTS (SELECT 1 FROM s.u u WHERE u.k = t.k AND EXISTS (SELECT 1 FROM s.u v WHERE v.y = t.x))', /not supported yet: the correlated reference "t\.x"/],
  ];
  for (const [name, sql, re] of cases) {
    it(name, async () => {
      const f = await failure(sql);
      expect(f.code).toBe('UNSUPPORTED');
      expect(f.message).toMatch(re);
    });
  }

  it('IN over a two-column subquery is a plan error', async () => {
    const f = await failure('SELECT k FROM s.t WHERE k IN (SELECT k, y FROM s.u)');
    expect(f.code).toBe('PLAN_ERROR');
    expect(f.message).toMatch(/returns 2 columns; it must return one at line 1, column 31/);
  });

  it('plans joins, not per-row re-execution', async () => {
    const plan = await engine.sql(`SELECT k, (SELECT count(*) FROM s.u u WHERE u.k = t.k) AS c, k IN (SELECT k FROM s.u) AS i FROM s.t t
      WHERE EXISTS (SELECT 1 FROM s.u u WHERE u.k = t.k AND u.y > t.x - 10) AND k NOT IN (SELECT y FROM s.u)`).explain();
    expect(plan).toMatch(/SemiJoin on \[k = k\] residual=/);
    expect(plan).toMatch(/AntiJoin on \[k = y\] null-aware/);
    expect(plan).toMatch(/SingleJoin on \[k = k\]/);
    expect(plan).toMatch(/MarkJoin on \[k = k\] null-aware/);
    expect(await engine.sql(`SELECT k, (SELECT count(*) FROM s.u u WHERE u.k = t.k) AS c, k IN (SELECT k FROM s.u) AS i FROM s.t t ORDER BY k NULLS LAST`).toArray()).toEqual([
      { k: 1, c: 2, i: true }, { k: 2, c: 1, i: true }, { k: 4, c: 0, i: null }, { k: null, c: 0, i: null },
    ]);
  });
});
