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
import { openObjectStore } from 'lakehouse-engine/connectors';
import { Engine, ParquetFilesSource } from 'lakehouse-engine/engine';
import { diffAnswers, openOracle, runOurs, show, type Oracle, type Outcome } from '../helpers/duckdb-oracle.js';
import { haveTpch, tpchDir } from '../helpers/tpch.js';

const TABLES = ['lineitem', 'orders', 'customer', 'part', 'partsupp', 'supplier', 'nation', 'region'];
const queriesDir = (): string => join(tpchDir(), '..', 'queries');

let oracle: Oracle;
let engine: Engine;

beforeAll(async () => {
  if (!haveTpch()) return;
  oracle = await openOracle();
  engine = await Engine.open({ threads: 2 });
  const store = await openObjectStore(tpchDir());
  await oracle.exec('CREATE SCHEMA tpch');
  for (const t of TABLES) {
    engine.registerTable(`tpch.${t}`, await ParquetFilesSource.open(store, [`${t}.parquet`]));
    await oracle.exec(`CREATE VIEW tpch.${t} AS SELECT * FROM read_parquet('${join(tpchDir(), `${t}.parquet`)}')`);
  }
}, 120_000);

afterAll(async () => {
  await engine?.close();
  oracle?.close();
});

function brief(o: Outcome): string {
  return o.ok ? `${o.answer.rows.length} rows ${show(o.answer.rows.slice(0, 2))}` : `error ${o.error.code ?? o.error.name}: ${o.error.message.split('\n')[0]}`;
}

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
