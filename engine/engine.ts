/**
 * The public entry of the query engine.
 *
 *   const engine = await Engine.open();
 *   engine.registerTable('sales.orders', await ParquetFilesSource.open(store, keys));
 *   const rows = await engine.sql('SELECT region, sum(amount) FROM sales.orders GROUP BY region').toArray();
 *
 * Concurrency: one Engine owns one worker pool and may run any number of queries concurrently.
 * `close()` waits for nothing: it terminates the pool, failing queries still running.
 * Table writes (INSERT / CTAS / INSERT OVERWRITE), time travel and the Iceberg catalog arrive
 * with the catalog integration; until then tables are registered explicitly.
 */

import * as arrow from 'apache-arrow';
import { LakehouseError } from '../connectors/errors.js';
import { DataFrame, type QueryRunner } from './dataframe.js';
import { Executor, newStats, type QueryStats } from './exec/executor.js';
import { WorkerPool } from './exec/pool.js';
import { Binder } from './plan/binder.js';
import type { PlanNode } from './plan/logical.js';
import { optimize } from './plan/optimize.js';
import { simpleQuery, type UQuery } from './plan/unbound.js';
import { MemoryTableSource } from './source/memory-source.js';
import type { TableSource } from './source/table-source.js';
import { initSqlParser, parseSql } from './sql/parser.js';
import type { Chunk } from './compute/vec.js';

export interface EngineOptions {
  /** Warehouse URI of the Iceberg catalog (used once the catalog is wired in). */
  warehouse?: string;
  /** Worker threads (default: the machine's available parallelism). */
  threads?: number;
  /** Join build sides with at most this many rows are broadcast to the probe tasks (default 1M). */
  broadcastRows?: number;
  /** Tasks of one query running at once (default: 2 × threads). */
  maxInFlight?: number;
  /** Rows per scanned batch (default: the reader's, 65 536). */
  batchSize?: number;
  /** Tests only: make every worker task crash (`'crash'`); see `injectFault`. */
  faultInjection?: 'crash';
}

export class Engine implements QueryRunner {
  private readonly tables = new Map<string, TableSource>();
  private closed = false;

  private constructor(private readonly pool: WorkerPool, private readonly options: EngineOptions) {
    this.options = { ...options };
  }

  static async open(options: EngineOptions = {}): Promise<Engine> {
    await initSqlParser();
    return new Engine(new WorkerPool(options.threads !== undefined ? { threads: options.threads } : {}), options);
  }

  get warehouse(): string | undefined {
    return this.options.warehouse;
  }

  get threads(): number {
    return this.pool.threads;
  }

  /** Makes a table queryable as `name` (e.g. `ns.t`); an Arrow Table is held in memory. */
  registerTable(name: string, source: TableSource | arrow.Table): void {
    const key = normalizeName(name);
    this.tables.set(key, source instanceof arrow.Table ? new MemoryTableSource(source) : source);
  }

  dropTable(name: string): boolean {
    const key = normalizeName(name);
    const src = this.tables.get(key);
    if (src instanceof MemoryTableSource) src.release();
    return this.tables.delete(key);
  }

  tableNames(): string[] {
    return [...this.tables.keys()].sort();
  }

  /** A lazy query from SQL text. Syntax errors and unsupported statements throw here. */
  sql(text: string): DataFrame {
    this.checkOpen();
    const stmt = parseSql(text);
    if (stmt.kind !== 'query') {
      throw new LakehouseError('UNSUPPORTED', `not supported yet: ${stmt.overwrite ? 'INSERT OVERWRITE' : 'INSERT INTO'} (table writes arrive with the catalog integration)`);
    }
    return new DataFrame(this, stmt.query, text);
  }

  /** A lazy query over one table, to be refined with the builder. */
  table(name: string): DataFrame {
    this.checkOpen();
    const parts = name.split('.');
    return new DataFrame(this, simpleQuery({
      k: 'select', distinct: false, items: [{ k: 'star' }], from: { k: 'table', name: parts }, where: null, groupBy: [], having: null,
    }));
  }

  /** @internal (QueryRunner) */
  async plan(query: UQuery, sql: string | undefined): Promise<PlanNode> {
    const binder = new Binder({
      ...(sql !== undefined ? { sql } : {}),
      resolveTable: async (parts) => {
        const name = normalizeName(parts.join('.'));
        const source = this.tables.get(name);
        return source ? { name, source } : undefined;
      },
    });
    return optimize(await binder.bindQuery(query));
  }

  /** @internal (QueryRunner) */
  async *execute(plan: PlanNode, signal: AbortSignal | undefined, report: (s: QueryStats) => void): AsyncGenerator<Chunk> {
    this.checkOpen();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) throw new LakehouseError('CANCELLED', 'query cancelled before it started', { cause: signal.reason });
    signal?.addEventListener('abort', onAbort, { once: true });
    const stats = newStats();
    const executor = new Executor({
      pool: this.pool,
      signal: controller.signal,
      broadcastRows: this.options.broadcastRows ?? 1_000_000,
      maxInFlight: this.options.maxInFlight ?? this.pool.threads * 2,
      stats,
      ...(this.options.batchSize ? { batchSize: this.options.batchSize } : {}),
      ...(this.options.faultInjection ? { fault: this.options.faultInjection } : {}),
    });
    let completed = false;
    try {
      for await (const c of executor.run(plan)) {
        if (signal?.aborted) throw new LakehouseError('CANCELLED', 'query cancelled', { cause: signal.reason });
        yield c;
      }
      completed = true;
      report(stats);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // The consumer stopped early or the query failed: cancel whatever still runs.
      if (!completed) controller.abort(new LakehouseError('CANCELLED', 'query stopped'));
    }
  }

  /** Tests only: makes worker tasks of queries started from now on crash (or stop crashing). */
  injectFault(mode: 'crash' | undefined): void {
    if (mode) this.options.faultInjection = mode;
    else delete this.options.faultInjection;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new LakehouseError('INVALID_ARGUMENT', 'this Engine is closed', { help: 'Open a new one with Engine.open().' });
  }
}

function normalizeName(name: string): string {
  const parts = name.split('.').map((p) => p.trim().toLowerCase());
  if (parts.some((p) => p === '')) throw new LakehouseError('INVALID_IDENTIFIER', `"${name}" is not a valid table name`, { help: 'Use namespace.table.' });
  return parts.join('.');
}
