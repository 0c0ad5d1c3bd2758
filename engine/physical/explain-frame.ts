/**
 * `EXPLAIN [ANALYZE] <statement>` as a DataFrame of one string column `plan`, one row per line of
 * the physical plan (explain.ts), so every consumer of query results — `toArray`, `lake sql` —
 * prints it unchanged.
 *
 *   - EXPLAIN <query>: plans it (binding, optimization, physical planning with the scan plans'
 *     estimates); nothing is read but the table metadata the scan planning needs.
 *   - EXPLAIN ANALYZE <query>: runs it to the end (its rows are counted and dropped) and prints
 *     the plan with each operator's measured rows, bytes, time and held memory, then a total line
 *     (rows, wall time, the process's peak RSS).
 *   - EXPLAIN INSERT …: the write's plan with its Sink at the root (engine/write/stage.ts
 *     planWrite); nothing is written. EXPLAIN ANALYZE of a write is refused (it would write).
 *
 * Lazy like every DataFrame: the work happens when the frame is consumed, each time afresh.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { Chunk } from '../compute/vec.js';
import { DataFrame, type QueryContext, type QueryRunner } from '../dataframe.js';
import { newStats, type OpMetrics, type QueryStats } from '../exec/executor.js';
import type { PlanNode } from '../plan/logical.js';
import type { Schema } from '../plan/types.js';
import { inputSnapshotsOf } from '../source/catalog-source.js';
import type { Statement } from '../sql/parser.js';
import { planWrite, type WriteHost } from '../write/stage.js';
import { explainLines, formatBytes } from './explain.js';
import type { PhysicalNode } from './plan.js';

/** What EXPLAIN needs from the engine. */
export interface ExplainHost extends QueryRunner {
  physicalPlan(plan: PlanNode): Promise<PhysicalNode>;
  executePhysical(plan: PhysicalNode, snapshots: Record<string, string | null>, signal: AbortSignal | undefined, report: (s: QueryStats, metrics: ReadonlyMap<number, OpMetrics>) => void): AsyncGenerator<Chunk>;
}

const SCHEMA: Schema = [{ name: 'plan', type: 'string', nullable: false }];

type ExplainStatement = Extract<Statement, { kind: 'explain' }>;

/** The lines of EXPLAIN [ANALYZE] for a statement. */
export async function explainStatement(host: ExplainHost, writes: WriteHost, stmt: ExplainStatement, text: string, context: QueryContext, signal?: AbortSignal): Promise<string[]> {
  const inner = stmt.statement;
  if (inner.kind === 'insert') {
    if (stmt.analyze) {
      throw new LakehouseError('UNSUPPORTED', 'not supported yet: EXPLAIN ANALYZE of a write (it would write the rows)', {
        help: 'Use EXPLAIN INSERT … to see the write\'s plan, or EXPLAIN ANALYZE its SELECT to measure the query.',
      });
    }
    if (inner.columns) throw new LakehouseError('UNSUPPORTED', 'not supported yet: EXPLAIN of an INSERT with a column list', { help: 'EXPLAIN the INSERT without its column list, or its SELECT.' });
    const query = new DataFrame(host, inner.query, text, context);
    const { plan } = await planWrite(writes, { query, table: inner.table.join('.').toLowerCase(), mode: inner.overwrite ? 'overwrite-partitions' : 'append', runId: 'explain' });
    return explainLines(plan);
  }
  const logical = await host.plan(inner.query, text, context);
  const physical = await host.physicalPlan(logical);
  if (!stmt.analyze) return explainLines(physical);
  let metrics: ReadonlyMap<number, OpMetrics> = new Map();
  let rows = 0;
  const t0 = performance.now();
  for await (const c of host.executePhysical(physical, inputSnapshotsOf(logical), signal, (_s, m) => { metrics = m; })) rows += c.length;
  const ms = performance.now() - t0;
  // maxRSS is in kilobytes: the process's high-water mark so far (this query or an earlier one).
  const rss = process.resourceUsage().maxRSS * 1024;
  return [...explainLines(physical, metrics), `Total: ${rows} rows in ${ms.toFixed(1)}ms; process peak RSS ${formatBytes(rss)}`];
}

function linesChunk(lines: string[]): Chunk {
  return { length: lines.length, cols: [{ t: 'str', codes: Int32Array.from(lines, (_, i) => i), dict: lines, valid: null }] };
}

/**
 * The frame of an EXPLAIN: a DataFrame whose rows are the plan's lines. `limit` (as `lake sql
 * --limit` applies) keeps the first lines; other builder refinements are refused (the lines are
 * not a table to query).
 */
class ExplainFrame extends DataFrame {
  constructor(
    private readonly host: ExplainHost, private readonly writes: WriteHost, private readonly stmt: ExplainStatement,
    private readonly text: string, context: QueryContext, private readonly window: { offset: number; n: number },
  ) {
    const query = stmt.statement.query;
    const runner: QueryRunner = {
      plan: async (q) => {
        if (q !== query) throw new LakehouseError('UNSUPPORTED', 'not supported yet: refining the result of EXPLAIN with the builder', { help: 'Consume the EXPLAIN frame as it is (toArray, lake sql).' });
        return { op: 'values', rows: 0, schema: SCHEMA };
      },
      execute: async function* (_plan, signal, report) {
        const lines = await explainStatement(host, writes, stmt, text, context, signal);
        yield linesChunk(lines.slice(window.offset, window.offset + window.n));
        report(newStats());
      },
    };
    super(runner, query, text, context);
  }

  override limit(n: number, offset = 0): DataFrame {
    const w = this.window;
    return new ExplainFrame(this.host, this.writes, this.stmt, this.text, this.context, { offset: w.offset + offset, n: Math.max(0, Math.min(n, w.n - offset)) });
  }
}

/** The DataFrame of an EXPLAIN statement (see the module header). */
export function explainFrame(host: ExplainHost, writes: WriteHost, stmt: ExplainStatement, text: string, context: QueryContext = {}): DataFrame {
  return new ExplainFrame(host, writes, stmt, text, context, { offset: 0, n: Infinity });
}
