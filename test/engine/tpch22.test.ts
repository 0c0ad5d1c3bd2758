/**
 * The 22 TPC-H queries (../shared/tpch/queries, the specification's validation parameters) over
 * the SF 0.1 Parquet files give DuckDB's answers: decimals exactly (as text, with their scale),
 * doubles within a relative 1e-9, row order wherever the query has ORDER BY (every TPC-H ORDER
 * BY that ends a query is a total order over its output, except ties that DuckDB and we must
 * break the same way — those queries order by every column that distinguishes rows).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from 'lakehouse-engine/engine';
import { briefOutcome, diffAnswers, openOracle, runOurs, type Oracle, type Outcome } from '../helpers/duckdb-oracle.js';
import { haveTpch, registerTpch, tpchDir } from '../helpers/tpch.js';

const queriesDir = (): string => join(tpchDir(), '..', 'queries');

let oracle: Oracle;
let engine: Engine;

beforeAll(async () => {
  if (!haveTpch()) return;
  oracle = await openOracle();
  engine = await Engine.open({ threads: 2 });
  await registerTpch([engine], oracle);
}, 120_000);

afterAll(async () => {
  await engine?.close();
  oracle?.close();
});

const brief = (o: Outcome): string => briefOutcome(o, 2);

describe.runIf(haveTpch())('TPC-H SF 0.1: the 22 queries give DuckDB\'s answers', () => {
  it('has the 22 query files', () => {
    for (let q = 1; q <= 22; q++) expect(existsSync(join(queriesDir(), `q${String(q).padStart(2, '0')}.sql`))).toBe(true);
  });
  for (let q = 1; q <= 22; q++) {
    const n = `q${String(q).padStart(2, '0')}`;
    it(n, async () => {
      const sql = readFileSync(join(queriesDir(), `${n}.sql`), 'utf8');
      const duck = await oracle.run(sql);
      const ours = await runOurs(engine, sql);
      const context = `${n}\n ours:   ${brief(ours)}\n duckdb: ${brief(duck)}`;
      expect(duck.ok, context).toBe(true);
      expect(ours.ok, context).toBe(true);
      if (!duck.ok || !ours.ok) return;
      expect(ours.answer.rows.length, context).toBeGreaterThan(0);
      const diff = diffAnswers(ours.answer, duck.answer, { ordered: /ORDER\s+BY/i.test(sql), tolerance: 1e-9 });
      expect(diff, `${diff}\n${context}`).toBeNull();
    }, 180_000);
  }
});
