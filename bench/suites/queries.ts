/**
 * Query suites over the generated TPC-H-like Parquet files, our engine (SQL on its worker pool)
 * next to DuckDB and Polars on the same files: scan/filter (Q6), aggregate (Q1), high-cardinality
 * group-by (l_orderkey), join with group-by (Q3: customer ⋈ orders ⋈ lineitem), a broadcast
 * join with a dimension (lineitem ⋈ part, grouped by brand) and a join of two large tables
 * (lineitem ⋈ orders: shuffled on our engine from SF 1 on). Each engine's last answer is
 * checked against the others before its timing is reported.
 */

import { openObjectStore } from '../../connectors/index.js';
import { Engine, ParquetFilesSource } from '../../engine/index.js';
import { ensureDataset, type Dataset } from '../lib/datasets.js';
import { measureWithResult } from '../lib/measure.js';
import type { BenchResult } from '../lib/report.js';
import type { TpchTable } from '../lib/tpch.js';
import { openDuckDb, registerViews } from '../peers/duckdb.js';
import { loadPolars, polarsQueries, polarsRows } from '../peers/polars.js';
import { addJudged, arrowRows, errorMessage, failed, type CompareOptions, type EngineName, type Rows, type Suite, type SuiteContext, type SuiteOutput } from './common.js';

export interface QueryDef {
  name: string;
  sql: string;
  tables: TpchTable[];
  compare: CompareOptions;
}

export const QUERIES: QueryDef[] = [
  {
    name: 'Q6',
    sql: `SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
      WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR
      AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND l_quantity < 24`,
    tables: ['lineitem'],
    compare: { ordered: true },
  },
  {
    name: 'Q1',
    sql: `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
      sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
      avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
      FROM lineitem WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
      GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`,
    tables: ['lineitem'],
    compare: { ordered: true },
  },
  {
    name: 'group by l_orderkey',
    sql: 'SELECT l_orderkey, sum(l_quantity) AS sum_qty, count(*) AS n FROM lineitem GROUP BY l_orderkey',
    tables: ['lineitem'],
    compare: { ordered: false, keyColumns: 1 },
  },
  {
    name: 'Q3 (join)',
    sql: `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
      FROM customer JOIN orders ON c_custkey = o_custkey JOIN lineitem ON l_orderkey = o_orderkey
      WHERE c_mktsegment = 'BUILDING' AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
      GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate, l_orderkey LIMIT 10`,
    tables: ['customer', 'orders', 'lineitem'],
    compare: { ordered: true },
  },
  {
    name: 'broadcast join (part)',
    sql: `SELECT p_brand, sum(l_extendedprice * (1 - l_discount)) AS revenue, count(*) AS n
      FROM lineitem JOIN part ON l_partkey = p_partkey
      WHERE l_shipdate >= DATE '1995-09-01' AND l_shipdate < DATE '1995-10-01'
      GROUP BY p_brand ORDER BY p_brand`,
    tables: ['lineitem', 'part'],
    compare: { ordered: true },
  },
  {
    // Both sides are large (orders is 1.5M rows at SF 1, over the 1M broadcast threshold): a
    // shuffled (hash-partitioned) join on our engine.
    name: 'large join (orders)',
    sql: `SELECT o_orderpriority, count(*) AS n, sum(l_extendedprice) AS price
      FROM lineitem JOIN orders ON l_orderkey = o_orderkey
      GROUP BY o_orderpriority ORDER BY o_orderpriority`,
    tables: ['lineitem', 'orders'],
    compare: { ordered: true },
  },
];

const TABLES: TpchTable[] = ['lineitem', 'orders', 'part', 'customer'];

/** Our engine with the four tables registered over their Parquet files. */
export async function openOurEngine(data: Record<TpchTable, Dataset>, tables: TpchTable[] = TABLES): Promise<Engine> {
  const engine = await Engine.open();
  for (const t of tables) {
    const ds = data[t];
    engine.registerTable(t, await ParquetFilesSource.open(await openObjectStore(ds.dir), ds.files.map((f) => f.name)));
  }
  return engine;
}

export async function tpchParquet(ctx: SuiteContext, sf: number, tables: TpchTable[] = TABLES): Promise<Record<TpchTable, Dataset>> {
  const out = {} as Record<TpchTable, Dataset>;
  for (const t of tables) out[t] = await ensureDataset(ctx.dataRoot, sf, 'parquet', t, ctx.log);
  return out;
}

type Runner = (q: QueryDef) => Promise<() => Rows>;

export const querySuite: Suite = {
  name: 'queries',
  description: 'Q6 scan/filter, Q1 aggregate, high-cardinality group-by, Q3 join, broadcast join over Parquet',
  async run(ctx: SuiteContext): Promise<SuiteOutput> {
    const data = await tpchParquet(ctx, ctx.sf);
    const runners = new Map<EngineName, Runner>();
    const closers: (() => Promise<void> | void)[] = [];
    const setupErrors = new Map<EngineName, string>();
    try {
      try {
        const engine = await openOurEngine(data);
        closers.push(() => engine.close());
        runners.set('lakehouse', async (q) => {
          const t = await engine.sql(q.sql).toTable();
          return () => arrowRows(t);
        });
      } catch (err) {
        setupErrors.set('lakehouse', errorMessage(err));
      }
      if (ctx.engines.includes('duckdb')) {
        try {
          const duck = await openDuckDb();
          closers.push(() => duck.close());
          await registerViews(duck, data);
          runners.set('duckdb', (q) => duck.query(q.sql));
        } catch (err) {
          setupErrors.set('duckdb', errorMessage(err));
        }
      }
      if (ctx.engines.includes('polars')) {
        try {
          const pl = await loadPolars();
          const pq = polarsQueries(pl, data);
          runners.set('polars', async (q) => {
            const df = await pq[q.name]!();
            return () => polarsRows(df);
          });
        } catch (err) {
          setupErrors.set('polars', errorMessage(err));
        }
      }
      const results: BenchResult[] = [];
      for (const q of QUERIES) {
        const rows = q.tables.reduce((s, t) => s + data[t].rows, 0);
        const bytes = q.tables.reduce((s, t) => s + data[t].bytes, 0);
        const answers = new Map<EngineName, Rows>();
        const timed: BenchResult[] = [];
        for (const [name, err] of setupErrors) results.push(failed(q.name, name, err));
        for (const [name, run] of runners) {
          ctx.log(`${q.name}: ${name} (warm-up ${ctx.warmup}, ${ctx.runs} runs)`);
          try {
            const m = await measureWithResult(() => run(q), { warmup: ctx.warmup, runs: ctx.runs, budgetMs: ctx.heavyBudgetMs });
            answers.set(name, m.result());
            timed.push({ suite: q.name, engine: name, medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, runs: m.runs.length, rows, bytes });
          } catch (err) {
            results.push(failed(q.name, name, err));
          }
        }
        addJudged(results, timed, answers, q.compare);
      }
      return { results };
    } finally {
      for (const c of closers.reverse()) await c();
    }
  },
};
