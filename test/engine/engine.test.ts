/**
 * Engine behaviour beyond result equality: errors (positions, names, codes), the typed builder
 * binding to the same plan as SQL, in-memory tables, result forms, cancellation, worker crashes.
 */

import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLakehouseError, openObjectStore } from 'lakehouse-engine/connectors';
import { Engine, ParquetFilesSource, col, count, countDistinct, sum, avg, lit, when, lower } from 'lakehouse-engine/engine';
import { createTestData, diffResults, rowsOf, TABLES, type TestData } from './data.js';

let data: TestData;
let engine: Engine;

beforeAll(async () => {
  data = await createTestData();
  engine = await Engine.open({ threads: 2 });
  const store = await openObjectStore(data.dir);
  for (const t of TABLES) engine.registerTable(`ns.${t}`, await ParquetFilesSource.open(store, [`ns.${t}.parquet`]));
});

afterAll(async () => {
  await engine?.close();
  await data?.close();
});

async function failure(p: () => Promise<unknown> | unknown): Promise<Error & { code?: string }> {
  try {
    await p();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

describe('errors', () => {
  it('names an unknown column and points at its position', async () => {
    const err = await failure(() => engine.sql('SELECT id,\n  nope FROM ns.facts').toArray());
    expect(isLakehouseError(err, 'PLAN_ERROR')).toBe(true);
    expect(err.message).toContain('unknown column "nope" at line 2, column 3');
    expect(err.message).toContain('Columns in scope:');
  });

  it('names an unknown table', async () => {
    const err = await failure(() => engine.sql('SELECT * FROM ns.nothing').toArray());
    expect(err.code).toBe('TABLE_NOT_FOUND');
    expect(err.message).toContain('"ns.nothing"');
    expect(err.message).toContain('line 1, column 15');
  });

  it('reports syntax errors with a position', async () => {
    const err = await failure(() => engine.sql('SELECT id FROM ns.facts WHERE id = = 1'));
    expect(err.code).toBe('SQL_PARSE_ERROR');
    expect(err.message).toMatch(/Line: 1, Column: 3\d/);
  });

  it('rejects type mismatches', async () => {
    const err = await failure(() => engine.sql("SELECT 'abc' + 1").toArray());
    expect(err.code).toBe('PLAN_ERROR');
    expect(err.message).toContain('cannot apply + to string and int32');
  });

  it('says "not supported yet" for unsupported SQL', async () => {
    for (const sql of [
      'SELECT * FROM ns.facts UNION BY NAME SELECT * FROM ns.facts',
      'SELECT array_agg(id) FROM ns.facts',
      'WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r',
      'SELECT a FROM ns.facts, LATERAL (SELECT 1 AS a) x',
    ]) {
      const err = await failure(() => engine.sql(sql).toArray());
      expect(err.code, sql).toBe('UNSUPPORTED');
      expect(err.message, sql).toContain('not supported yet');
    }
  });

  it('refuses to build a lazy frame from a write statement and names engine.run()', async () => {
    const err = await failure(async () => engine.sql('INSERT INTO ns.facts SELECT * FROM ns.facts'));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain('engine.run');
  });

  it('requires non-aggregated columns in GROUP BY', async () => {
    const err = await failure(() => engine.sql('SELECT region, id, count(*) FROM ns.facts GROUP BY region').toArray());
    expect(err.message).toContain('column "id" must appear in GROUP BY');
  });

  it('fails the query with the worker-side error code (bad CAST)', async () => {
    const err = await failure(() => engine.sql('SELECT CAST(s AS INTEGER) FROM ns.facts').toArray());
    expect(err.code).toBe('CONVERSION_ERROR');
    expect(err.message).toContain('Could not convert string');
  });
});

describe('builder', () => {
  it('binds to the same plan as SQL and gives the same rows', async () => {
    const built = engine.table('ns.facts').where(col('q').gt(5)).groupBy('region').agg(sum('v').as('total'), count().as('n'));
    const sql = engine.sql('SELECT region, sum(v) AS total, count(*) AS n FROM ns.facts WHERE q > 5 GROUP BY region');
    expect(await built.explain()).toBe(await sql.explain());
    expect(diffResults(rowsOf(await built.toArray()), rowsOf(await sql.toArray()), false)).toBeNull();
  });

  it('supports joins, expressions, ordering and limits', async () => {
    const f = engine.table('ns.facts').alias('f');
    const d = engine.table('ns.dims').alias('d');
    const built = f.join(d, col('f.region').eq(col('d.region')))
      .where(col('f.id').lt(2000).and(col('d.weight').isNotNull()))
      .groupBy(col('d.code'))
      .agg(avg('f.v').as('a'), countDistinct('f.g').as('dg'), sum(when(col('f.b'), 1).otherwise(0)).as('nb'))
      .orderBy(col('code').desc())
      .limit(3);
    const sql = engine.sql(`SELECT d.code, avg(f.v) AS a, count(DISTINCT f.g) AS dg, sum(CASE WHEN f.b THEN 1 ELSE 0 END) AS nb
      FROM ns.facts f JOIN ns.dims d ON f.region = d.region WHERE f.id < 2000 AND d.weight IS NOT NULL
      GROUP BY d.code ORDER BY code DESC LIMIT 3`);
    const ours = rowsOf(await built.toArray());
    expect(ours).toHaveLength(3);
    expect(diffResults(ours, rowsOf(await sql.toArray()), true)).toBeNull();
    const duck = rowsOf((await data.duck.runAndReadAll(`SELECT d.code, avg(f.v), count(DISTINCT f.g), sum(CASE WHEN f.b THEN 1 ELSE 0 END)
      FROM ns.facts f JOIN ns.dims d ON f.region = d.region WHERE f.id < 2000 AND d.weight IS NOT NULL GROUP BY d.code ORDER BY d.code DESC LIMIT 3`)).getRowObjectsJson() as Array<Record<string, unknown>>);
    expect(diffResults(ours, duck, true)).toBeNull();
  });

  it('selects expressions with literals and functions', async () => {
    const rows = await engine.table('ns.dims').select(col('region'), lower(col('code')).as('c'), col('weight').times(lit(2)).as('w2')).orderBy('region').toArray();
    expect(rows.map((r) => r['c'])).toEqual(['c', 'e', 'n', 'x', 's', 'w']);
    expect(rows.find((r) => r['region'] === 'west')!['w2']).toBeNull();
    // weight is DECIMAL(p,2): decimals come back as their exact text.
    expect(rows.find((r) => r['region'] === 'north')!['w2']).toBe('3.00');
  });
});

describe('sources and result forms', () => {
  it('queries an in-memory Arrow table like a Parquet one', async () => {
    const parquetRows = await engine.sql('SELECT * FROM ns.dims').toTable();
    engine.registerTable('mem.dims', parquetRows);
    try {
      const sql = 'SELECT code, weight * 2 AS w FROM {t} WHERE weight IS NULL OR weight > 1';
      const a = rowsOf(await engine.sql(sql.replace('{t}', 'mem.dims')).toArray());
      const b = rowsOf(await engine.sql(sql.replace('{t}', 'ns.dims')).toArray());
      expect(a.length).toBe(5);
      expect(diffResults(a, b, false)).toBeNull();
    } finally {
      engine.dropTable('mem.dims');
    }
  });

  it('streams Arrow record batches and reports where time went', async () => {
    const df = engine.sql('SELECT id, region, d, ts, b FROM ns.facts WHERE id < 50000');
    let rows = 0;
    for await (const batch of df) {
      expect(batch).toBeInstanceOf(arrow.RecordBatch);
      expect(batch.schema.fields.map((f) => f.name)).toEqual(['id', 'region', 'd', 'ts', 'b']);
      expect(String(batch.schema.fields[2]!.type)).toBe('Date32<DAY>');
      rows += batch.numRows;
    }
    expect(rows).toBe(50000);
    expect(df.lastStats!.tasks).toBeGreaterThan(1);
    expect(df.lastStats!.rowsScanned).toBeLessThan(120000); // row groups pruned by id statistics
  });
});

async function explainText(sql: string): Promise<string> {
  return (await engine.sql(`EXPLAIN ${sql}`).toArray()).map((r) => String(r['plan'])).join('\n');
}

describe('join sides', () => {
  async function run(sql: string): Promise<{ rows: ReturnType<typeof rowsOf>; joins: { broadcast: number; partitioned: number; local: number; swapped: number } }> {
    const df = engine.sql(sql);
    const rows = rowsOf(await df.toArray());
    return { rows, joins: df.lastStats!.joins };
  }

  it('hashes the smaller side of an inner join whatever the FROM order, with columns in SQL order', async () => {
    const smallSql = 'SELECT d.code, d.region, f.id, f.v FROM ns.dims d JOIN ns.facts f ON d.region = f.region WHERE f.id % 7 = 0';
    const bigSql = 'SELECT d.code, d.region, f.id, f.v FROM ns.facts f JOIN ns.dims d ON d.region = f.region WHERE f.id % 7 = 0';
    const smallFirst = await run(smallSql);
    const bigFirst = await run(bigSql);
    // The physical plan shows the decision: facts is probed in its scan tasks (the join's first
    // child), dims is the broadcast build side (its second child), whatever the FROM order.
    for (const sql of [smallSql, bigSql]) {
      const plan = await explainText(sql);
      expect(plan, plan).toMatch(/HashJoin inner broadcast .*build=right/);
      expect(plan.indexOf('Scan ns.facts'), plan).toBeLessThan(plan.indexOf('Scan ns.dims'));
    }
    expect(smallFirst.joins).toMatchObject({ broadcast: 1, partitioned: 0, local: 0 });
    expect(bigFirst.joins).toMatchObject({ broadcast: 1, partitioned: 0, local: 0 });
    expect(smallFirst.rows.length).toBeGreaterThan(10000);
    expect(typeof smallFirst.rows[0]![0]).toBe('string');
    expect(diffResults(smallFirst.rows, bigFirst.rows, false)).toBeNull();
  });

  it('keeps the column order of a three-way join with the small tables first', async () => {
    const from = 'FROM ns.keys k JOIN ns.facts f ON k.g = f.g JOIN ns.dims d ON d.region = f.region';
    const names = async (sql: string): Promise<string[]> => (await engine.sql(sql).toTable()).schema.fields.map((f) => f.name);
    const expected = [...(await names('SELECT * FROM ns.keys')), ...(await names('SELECT * FROM ns.facts')), ...(await names('SELECT * FROM ns.dims'))];
    // Repeated names get a suffix (g_1, region_1); the order is what matters here.
    expect((await names(`SELECT * ${from} LIMIT 3`)).map((n) => n.replace(/_1$/, ''))).toEqual(expected);
    const sql = `SELECT k.g, k.label, f.id, f.v, d.code, d.weight ${from} WHERE f.id < 3000`;
    const r = await run(sql);
    const plan = await explainText(sql);
    // Both small tables are build sides: facts, the probe side, is scanned first.
    expect(plan.indexOf('Scan ns.facts'), plan).toBeLessThan(plan.indexOf('Scan ns.keys'));
    expect(plan.indexOf('Scan ns.facts'), plan).toBeLessThan(plan.indexOf('Scan ns.dims'));
    expect(r.joins.local).toBe(0);
    const duck = rowsOf((await data.duck.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>);
    expect(r.rows.length).toBeGreaterThan(100);
    expect(diffResults(r.rows, duck, false)).toBeNull();
  });

  it('does not trade a probe in the scan tasks for one on the coordinator, and never swaps a left join', async () => {
    const agg = await run('SELECT f.id, t.total FROM (SELECT region, sum(v) AS total FROM ns.facts GROUP BY region) t JOIN ns.facts f ON f.region = t.region WHERE f.id < 100');
    expect(agg.joins).toEqual({ broadcast: 1, partitioned: 0, local: 0, swapped: 1 });
    const left = await run('SELECT d.region, f.id FROM ns.dims d LEFT JOIN ns.facts f ON d.region = f.region');
    expect(left.joins.swapped).toBe(0);
    expect(left.rows.some((r) => r[1] === null)).toBe(true);
  });
});

describe('cancellation and failures', () => {
  // Every row of `a` matches 100 rows of `b`: 12M output rows, seconds of work.
  const LONG = 'SELECT a.id, b.s FROM ns.facts a JOIN ns.facts b ON a.q = b.q WHERE b.id < 5000';

  it('aborting a long query stops its tasks within a second', async () => {
    const controller = new AbortController();
    const df = engine.sql(LONG);
    let batches = 0;
    let abortedAt = 0;
    const err = await failure(async () => {
      for await (const batch of df.batches({ signal: controller.signal })) {
        expect(batch.numRows).toBeGreaterThan(0);
        batches++;
        abortedAt = performance.now();
        controller.abort();
      }
    });
    expect(err.code).toBe('CANCELLED');
    expect(batches).toBe(1);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    // The workers are free again: a small query runs at once.
    const t0 = performance.now();
    const rows = await engine.sql('SELECT count(*) AS n FROM ns.dims').toArray();
    expect(rows).toEqual([{ n: 6 }]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a worker crash fails the query with the worker error, and the pool recovers', async () => {
    engine.injectFault('crash');
    try {
      const err = await failure(() => engine.sql('SELECT count(*) FROM ns.facts').toArray());
      expect(err.code).toBe('TASK_FAILED');
      expect(err.message).toContain('injected worker crash');
    } finally {
      engine.injectFault(undefined);
    }
    const rows = await engine.sql('SELECT count(*) AS n FROM ns.facts').toArray();
    expect(rows).toEqual([{ n: 120000 }]);
  });
});
