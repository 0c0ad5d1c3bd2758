/**
 * The SQL corpus against DuckDB (issue #14's differential suite): every case of
 * test/engine/corpus/*.ts runs on DuckDB and on two of our engines over the same Parquet files —
 * the default plan, and one whose broadcast and local-merge thresholds are 0 (every join
 * shuffled, every grouped aggregation merged partition by partition). Answers must be equal:
 * exact numbers as exact text, doubles within a relative 1e-9, row order where the case says
 * `ordered`. A case with `error` must fail on both, ours with that code.
 *
 * Tables: c.* (test/engine/corpus/data.ts) and the TPC-H SF 0.1 files as tpch.* when present.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { openObjectStore } from 'lakehouse-engine/connectors';
import { Engine, ParquetFilesSource } from 'lakehouse-engine/engine';
import { briefOutcome, diffAnswers, openOracle, runOurs, type Oracle, type Outcome } from '../helpers/duckdb-oracle.js';
import { haveTpch, registerTpch } from '../helpers/tpch.js';
import { AGGREGATE_CASES } from './corpus/aggregate.js';
import { CORPUS_TABLES, writeCorpusTables } from './corpus/data.js';
import { FUNCTION_CASES } from './corpus/function.js';
import { JOIN_CASES } from './corpus/join.js';
import { SETOP_CASES } from './corpus/setop.js';
import { STATEMENT_CASES, STATEMENT_VIEWS } from './corpus/statement.js';
import { SUBQUERY_CASES } from './corpus/subquery.js';
import type { CorpusCase } from './corpus/types.js';
import { WINDOW_CASES } from './corpus/window.js';

const GROUPS: Array<[string, CorpusCase[]]> = [
  ['subqueries', SUBQUERY_CASES],
  ['joins', JOIN_CASES],
  ['windows', WINDOW_CASES],
  ['set operations and grouping', SETOP_CASES],
  ['aggregates', AGGREGATE_CASES],
  ['functions', FUNCTION_CASES],
  ['statements', STATEMENT_CASES],
];


let oracle: Oracle;
let engine: Engine;
let shuffling: Engine;
let dir = '';

beforeAll(async () => {
  oracle = await openOracle();
  dir = await writeCorpusTables(oracle);
  engine = await Engine.open({ threads: 2 });
  shuffling = await Engine.open({ threads: 2, broadcastRows: 0, localMergeRows: 0 });
  const store = await openObjectStore(dir);
  for (const name of Object.keys(CORPUS_TABLES)) {
    const source = await ParquetFilesSource.open(store, [`${name}.parquet`]);
    engine.registerTable(`c.${name}`, source);
    shuffling.registerTable(`c.${name}`, source);
  }
  if (haveTpch()) await registerTpch([engine, shuffling], oracle);
  // Views the statement cases read (created on each side, after the tables they read).
  for (const v of STATEMENT_VIEWS) {
    await oracle.exec(v);
    await engine.run(v);
    await shuffling.run(v);
  }
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await shuffling?.close();
  oracle?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const brief = (o: Outcome): string => briefOutcome(o);

async function check(c: CorpusCase): Promise<void> {
  const duck = await oracle.run(c.duck ?? c.sql);
  for (const [label, e] of [['default', engine], ['shuffled', shuffling]] as const) {
    const ours = await runOurs(e, c.sql);
    const context = `${c.name} (${label} plan)\n ${c.sql}\n ours:   ${brief(ours)}\n duckdb: ${brief(duck)}`;
    if (c.error) {
      expect(duck.ok, `DuckDB should fail too: ${context}`).toBe(false);
      expect(ours.ok ? 'answered' : ours.error.code, context).toBe(c.error);
      continue;
    }
    expect(duck.ok, `DuckDB failed: ${context}`).toBe(true);
    expect(ours.ok, context).toBe(true);
    if (!duck.ok || !ours.ok) return;
    const diff = diffAnswers(ours.answer, duck.answer, { ordered: c.ordered ?? false, tolerance: c.tolerance ?? 1e-9, loose: c.loose ?? false });
    expect(diff, `${diff}\n${context}`).toBeNull();
  }
}

describe('SQL corpus vs DuckDB', () => {
  it('has at least 100 cases', () => {
    expect(GROUPS.reduce((n, [, cs]) => n + cs.length, 0)).toBeGreaterThanOrEqual(100);
  });
  for (const [group, cases] of GROUPS) {
    describe(group, () => {
      const names = new Set<string>();
      for (const c of cases) {
        if (names.has(c.name)) throw new Error(`duplicate corpus case name: ${c.name}`);
        names.add(c.name);
        const uses = /\btpch\./.test(c.sql);
        it.runIf(!uses || haveTpch())(c.name, () => check(c), 120_000);
      }
    });
  }
});
