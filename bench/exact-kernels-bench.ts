/**
 * `node dist/bench/exact-kernels-bench.js [--dir ../shared/tpch/sf0.1] [--runs 7]`: the expression
 * kernels alone (no decode, no aggregation) on TPC-H lineitem: Q1's arithmetic and WHERE and Q6's
 * WHERE and product, bound by the real binder and optimizer, over DECIMAL(15,2) vectors (unscaled
 * integers) against the same values as DOUBLE vectors, in batches of 122 880 rows (DuckDB's row
 * group). Prints ns/row, best of `runs` after warm-up. Issue #13's budget: decimal within 1.5×.
 */

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { compileExpr } from '../engine/compute/eval.js';
import type { Chunk, Vec } from '../engine/compute/vec.js';
import { Binder } from '../engine/plan/binder.js';
import { foldExpr } from '../engine/plan/optimize.js';
import type { DataType } from '../engine/plan/types.js';
import { parseSql } from '../engine/sql/parser.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = resolve(arg('dir', join(ROOT, '../shared/tpch/sf0.1')));
const RUNS = Number(arg('runs', '7'));
const BATCH = 122_880;
const COLS = ['l_quantity', 'l_extendedprice', 'l_discount', 'l_tax', 'l_shipdate'];

const EXPRS: Record<string, string> = {
  'Q1 disc_price': 'l_extendedprice * (1 - l_discount)',
  'Q1 charge': 'l_extendedprice * (1 - l_discount) * (1 + l_tax)',
  'Q1 WHERE': "l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY",
  'Q6 WHERE': "l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24",
  'Q6 revenue': 'l_extendedprice * l_discount',
};

async function main(): Promise<void> {
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  const res = await duck.runAndReadAll(`SELECT ${COLS.slice(0, 4).map((c) => `(${c} * 100)::BIGINT`).join(', ')}, (l_shipdate - DATE '1970-01-01')::INTEGER FROM '${join(DIR, 'lineitem.parquet')}'`);
  const rows = res.getRows();
  const n = rows.length;
  const unscaled = COLS.map((_, j) => Float64Array.from(rows, (r) => Number(r[j] as bigint | number)));
  duck.closeSync();
  const chunks = (decimal: boolean): Chunk[] => {
    const out: Chunk[] = [];
    for (let s = 0; s < n; s += BATCH) {
      const e = Math.min(n, s + BATCH);
      const cols: Vec[] = unscaled.map((v, j) => {
        if (j === 4) return { t: 'num', type: 'date', values: v.slice(s, e), valid: null };
        return decimal
          ? { t: 'num', type: 'decimal(15,2)', values: v.slice(s, e), valid: null }
          : { t: 'num', type: 'float64', values: Float64Array.from(v.subarray(s, e), (x) => x / 100), valid: null };
      });
      out.push({ length: e - s, cols });
    }
    return out;
  };
  const bind = (expr: string, decimal: boolean) => {
    const st = parseSql(`SELECT ${expr} FROM t`);
    if (st.kind !== 'query' || st.query.body.k !== 'select') throw new Error('not a select');
    const item = st.query.body.items[0]!;
    if (item.k !== 'expr') throw new Error('not an expression');
    const scope = COLS.map((name, j) => ({ qualifier: null, name, type: (j === 4 ? 'date' : decimal ? 'decimal(15,2)' : 'float64') as DataType }));
    const binder = new Binder({ resolveTable: async () => undefined });
    return compileExpr(foldExpr(binder.bindExpr(item.e, scope)));
  };
  const data = { dec: chunks(true), dbl: chunks(false) };
  for (const [name, sql] of Object.entries(EXPRS)) {
    const time = (decimal: boolean): number => {
      const ev = bind(sql, decimal);
      const cs = decimal ? data.dec : data.dbl;
      let best = Infinity;
      for (let r = 0; r < RUNS + 3; r++) {
        const t0 = performance.now();
        for (const c of cs) ev(c);
        const ms = performance.now() - t0;
        if (r >= 3) best = Math.min(best, ms);
      }
      return (best * 1e6) / n;
    };
    // Alternated, best of both rounds: neither side gets the warmer JIT or the emptier heap.
    const f1 = time(false);
    const d1 = time(true);
    const f = Math.min(f1, time(false));
    const d = Math.min(d1, time(true));
    console.log(`${name.padEnd(16)} decimal ${d.toFixed(2)} ns/row  double ${f.toFixed(2)} ns/row  ratio ${(d / f).toFixed(2)}`);
  }
}

await main();
