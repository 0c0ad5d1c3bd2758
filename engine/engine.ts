/**
 * The public entry of the query engine.
 *
 *   const engine = await Engine.open({ warehouse: './warehouse' });
 *   const rows = await engine.sql('SELECT region, sum(amount) FROM sales.orders GROUP BY region').toArray();
 *   await engine.run("INSERT OVERWRITE sales.daily SELECT … FROM sales.orders WHERE order_date = DATE '2024-05-01'");
 *
 * Table names resolve to explicitly registered tables first (`registerTable`), then to the
 * Iceberg tables of the warehouse (`ns.table`). Each query pins every catalog table it reads to
 * one snapshot when it is planned: the current one, a `VERSION AS OF` / `TIMESTAMP AS OF` (also
 * written `FOR VERSION AS OF …`), or a job's `inputs` pin; the ids read are reported
 * (`df.inputSnapshots`, `StagedWrite.inputSnapshots`).
 *
 * Concurrency: one Engine owns one worker pool and may run any number of queries and writes
 * concurrently. `close()` waits for nothing: it terminates the pool, failing work still running.
 */

import * as arrow from 'apache-arrow';
import { Warehouse, type Table } from '../catalog/index.js';
import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import type { Chunk } from './compute/vec.js';
import { DataFrame, type QueryContext, type QueryRunner } from './dataframe.js';
import { Executor, newStats, type OpMetrics, type QueryStats, type ReuseLookup, type WriteOutcome } from './exec/executor.js';
import { WorkerPool } from './exec/pool.js';
import { compactTable, type CompactOptions, type CompactResult } from './operations/compact.js';
import { ingestFiles, type IngestOptions, type IngestResult } from './operations/ingest.js';
import { recoverRuns, type RecoveryAction } from './jobs/recover.js';
import { submitJob, type RunHandle, type SubmitOptions } from './jobs/runner.js';
import { explainFrame } from './physical/explain-frame.js';
import type { PhysicalNode } from './physical/plan.js';
import { PhysicalPlanner } from './physical/planner.js';
import { Binder, type ResolvedTable, type ResolvedView } from './plan/binder.js';
import type { PlanNode } from './plan/logical.js';
import { optimize } from './plan/optimize.js';
import { simpleQuery, type TimeTravel, type UQuery } from './plan/unbound.js';
import { CatalogTableSource, inputSnapshotsOf } from './source/catalog-source.js';
import { MemoryTableSource } from './source/memory-source.js';
import type { TableSource } from './source/table-source.js';
import { bindTableFunction } from './source/table-functions.js';
import { initSqlParser, parseSql, type Statement } from './sql/parser.js';
import { splitScript } from './sql/statements.js';
import { loadView, TempViews } from './views.js';
import { stageWrite, type StagedWrite, type StageWriteRequest, type WriteHost } from './write/stage.js';
import { inStatement, runStatement, type RunStatementOptions, type ScriptPosition, type SqlResult } from './write/sql-write.js';

export interface EngineOptions {
  /** Warehouse URI of the Iceberg catalog (a directory, file://, s3://bucket/prefix or memory://name). */
  warehouse?: string;
  /** Worker threads (default: the machine's available parallelism). */
  threads?: number;
  /** Join build sides with at most this many rows are broadcast to the probe tasks (default 1M). */
  broadcastRows?: number;
  /** A grouped aggregation whose partial groups number at most this many is merged on the
   * coordinator; above it, each hash partition is merged by its own task (default 100k). */
  localMergeRows?: number;
  /** Tasks of one query running at once (default: 2 × threads). */
  maxInFlight?: number;
  /** Rows per scanned batch (default: the reader's, 65 536). */
  batchSize?: number;
  /** Tests only: make every worker task crash (`'crash'`); see `injectFault`. */
  faultInjection?: 'crash';
}

export class Engine implements QueryRunner {
  private readonly tables = new Map<string, TableSource>();
  /** CREATE TEMP VIEW definitions (this Engine only). */
  private readonly tempViews = new TempViews();
  private closed = false;
  private wh: Promise<Warehouse> | undefined;

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

  /** The warehouse's catalog (opened on first use). */
  catalog(): Promise<Warehouse> {
    if (!this.options.warehouse) {
      return Promise.reject(new LakehouseError('INVALID_ARGUMENT', 'this Engine has no warehouse', { help: 'Open it with Engine.open({ warehouse: URI }).' }));
    }
    this.wh ??= Warehouse.open(this.options.warehouse);
    this.wh.catch(() => { this.wh = undefined; });
    return this.wh;
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

  /**
   * A lazy query from SQL text. Syntax errors and unsupported statements throw here. Write
   * statements (INSERT, CTAS) run with `run()`. `inputs` pins catalog tables to snapshots.
   */
  sql(text: string, options: QueryContext = {}): DataFrame {
    this.checkOpen();
    const stmt = parseSql(text);
    if (stmt.kind === 'explain') return explainFrame(this, this.writeHost(), stmt, text, options);
    if (stmt.kind !== 'query') {
      throw new LakehouseError('INVALID_ARGUMENT', `${statementName(stmt)} is not a query: run it with \`await engine.run(sql)\``, {
        help: 'engine.sql() builds lazy queries; engine.run() executes queries, writes, views and COPY.',
      });
    }
    return new DataFrame(this, stmt.query, text, options);
  }

  /**
   * Runs one statement: a query gives `{ kind: 'query', frame }` (lazy: consume the frame), a
   * write (INSERT INTO / INSERT OVERWRITE / CREATE TABLE … AS) is staged and committed and gives
   * `{ kind: 'write', snapshotId, … }`; CREATE/DROP VIEW give `{ kind: 'view' }`, COPY … TO
   * `{ kind: 'copy', rowsWritten }`. A failed or cancelled write leaves no files behind.
   */
  run(text: string, options: RunStatementOptions = {}): Promise<SqlResult> {
    this.checkOpen();
    let stmt: Statement;
    try {
      stmt = parseSql(text);
    } catch (err) {
      return Promise.reject(err);
    }
    return runStatement(this.statementHost(), stmt, text, options);
  }

  /**
   * Runs a script: statements separated by `;`, in order. Each result is yielded before the
   * next statement starts (a query's frame should be consumed then: later statements may change
   * what it reads). The first failing statement stops the script with its error, re-coded the
   * same and prefixed with "statement N (line L)"; `details.statement` is N (a script of one
   * statement fails with that statement's error as it is).
   */
  async *sqlScript(text: string, options: RunStatementOptions = {}): AsyncGenerator<SqlResult & ScriptPosition> {
    this.checkOpen();
    const parts = splitScript(text);
    if (parts.length === 0) throw new LakehouseError('SQL_PARSE_ERROR', 'the script holds no statement', { help: 'Separate statements with ;.' });
    for (const p of parts) {
      let res: SqlResult;
      try {
        res = await runStatement(this.statementHost(), parseSql(p.text), p.text, options);
        // Bound now, so that a query's name or type errors carry its statement number too.
        if (res.kind === 'query') await res.frame.plan();
      } catch (err) {
        // A lone statement's error stays as it is (the same as engine.run's).
        throw parts.length === 1 ? err : inStatement(err, p.index, p.start.line);
      }
      yield Object.assign(res, { script: { statement: p.index, line: p.start.line, statements: parts.length } });
    }
  }

  private statementHost(): import('./write/sql-write.js').StatementHost {
    return {
      runner: this,
      write: this.writeHost(),
      tempViews: this.tempViews,
      warehouse: () => (this.options.warehouse ? this.catalog() : undefined),
    };
  }

  /** A lazy query over one table, to be refined with the builder; `travel` reads an older snapshot. */
  table(name: string, travel?: { snapshotId: string | bigint } | { asOf: string | Date }): DataFrame {
    this.checkOpen();
    const parts = name.split('.');
    const t: TimeTravel | undefined = !travel ? undefined : 'snapshotId' in travel
      ? { kind: 'version', snapshotId: String(travel.snapshotId) }
      : { kind: 'timestamp', at: travel.asOf instanceof Date ? String(travel.asOf.getTime()) : travel.asOf };
    return new DataFrame(this, simpleQuery({
      k: 'select', distinct: false, items: [{ k: 'star' }], from: { k: 'table', name: parts, ...(t ? { travel: t } : {}) }, where: null, groupBy: [], having: null,
    }));
  }

  /**
   * Stages a table write (see write/stage.ts): the query's output becomes data files no snapshot
   * references yet; `commit()` publishes them in one catalog commit, `abort()` deletes them.
   */
  stageWrite(req: StageWriteRequest): Promise<StagedWrite> {
    this.checkOpen();
    return stageWrite(this.writeHost(), req);
  }

  /** Bin-packing compaction of a catalog table's small files (see operations/compact.ts). */
  compact(table: string, options: CompactOptions = {}): Promise<CompactResult> {
    this.checkOpen();
    return compactTable(this.writeHost(), table, options);
  }

  /** Loads CSV / NDJSON / Parquet files into a table through the staged write path (see operations/ingest.ts). */
  ingest(table: string, files: string[], options: IngestOptions = {}): Promise<IngestResult> {
    this.checkOpen();
    return ingestFiles(this, table, files, options);
  }

  /**
   * Submits a batch job (see jobs/runner.ts): validated spec, run ledger, idempotency key,
   * quality gates, reconciliation, one commit. Returns a handle with status(), result(),
   * cancel() and 'progress' events.
   */
  submit(spec: unknown, options: SubmitOptions = {}): Promise<RunHandle> {
    this.checkOpen();
    return submitJob(this, spec, options);
  }

  /** Settles runs whose process died, from durable state only (see jobs/recover.ts). */
  async recover(options: { leaseMs?: number; runId?: string } = {}): Promise<RecoveryAction[]> {
    this.checkOpen();
    return recoverRuns(await this.catalog(), options);
  }

  /** @internal */
  writeHost(): WriteHost {
    return {
      warehouse: () => this.catalog(),
      frame: (sql, context) => this.sql(sql, context),
      planner: () => this.planner(),
      runWrite: (plan, reuse, signal) => this.runWrite(plan, reuse, signal),
      threads: () => this.pool.threads,
    };
  }

  /** @internal (QueryRunner) */
  async plan(query: UQuery, sql: string | undefined, context: QueryContext = {}): Promise<PlanNode> {
    // One load per table and query, so a self-join reads one snapshot.
    const loaded = new Map<string, Promise<Table | undefined>>();
    const binder = new Binder({
      ...(sql !== undefined ? { sql } : {}),
      resolveTable: async (parts, travel): Promise<ResolvedTable | ResolvedView | undefined> => {
        const name = normalizeName(parts.join('.'));
        // TEMP views shadow tables of the same name (as in DuckDB and Spark).
        const temp = this.tempViews.get(name);
        if (temp) return { name, view: temp };
        const source = this.tables.get(name);
        if (source) return { name, source };
        if (!this.options.warehouse || parts.length < 2) return undefined;
        let p = loaded.get(name);
        if (!p) {
          p = this.catalog().then((wh) => wh.loadTable(name)).catch((err: unknown) => {
            if (isLakehouseError(err, 'TABLE_NOT_FOUND') || isLakehouseError(err, 'INVALID_IDENTIFIER')) return undefined;
            throw err;
          });
          loaded.set(name, p);
        }
        const table = await p;
        if (!table) return loadView(await this.catalog(), parts);
        const pin = context.inputs?.[name] ?? context.inputs?.[parts.join('.')];
        return { name, source: CatalogTableSource.open(name, table, travel, pin) };
      },
      tableFunction: (f) => bindTableFunction(f),
    });
    return optimize(await binder.bindQuery(query));
  }

  /** A physical planner with this engine's options (engine/physical/planner.ts). */
  planner(): PhysicalPlanner {
    return new PhysicalPlanner({
      broadcastRows: this.options.broadcastRows ?? 1_000_000,
      localMergeRows: this.options.localMergeRows ?? 100_000,
      threads: this.pool.threads,
      targetTasks: this.maxInFlight() * 2,
      ...(this.options.batchSize ? { batchSize: this.options.batchSize } : {}),
    });
  }

  /** @internal The physical plan of an optimized logical plan (EXPLAIN prints it). */
  physicalPlan(plan: PlanNode): Promise<PhysicalNode> {
    this.checkOpen();
    return this.planner().plan(plan);
  }

  private maxInFlight(): number {
    return this.options.maxInFlight ?? this.pool.threads * 2;
  }

  /** An executor for one query or write, with this engine's options and fresh stats. */
  private executorFor(snapshots: Record<string, string | null>, signal: AbortSignal, ordered: boolean): { executor: Executor; stats: QueryStats } {
    const stats = newStats();
    stats.inputSnapshots = snapshots;
    const executor = new Executor({
      pool: this.pool,
      signal,
      broadcastRows: this.options.broadcastRows ?? 1_000_000,
      maxInFlight: this.maxInFlight(),
      stats,
      ...(ordered ? { ordered } : {}),
      ...(this.options.faultInjection ? { fault: this.options.faultInjection } : {}),
    });
    return { executor, stats };
  }

  /** @internal runs a write's physical plan (a Sink at its root; see Executor.write); outputs are consumed in task order. */
  async runWrite(plan: PhysicalNode, reuse: ReuseLookup | undefined, signal: AbortSignal | undefined): Promise<{ outcome: WriteOutcome; stats: QueryStats; metrics: ReadonlyMap<number, OpMetrics> }> {
    this.checkOpen();
    if (signal?.aborted) throw new LakehouseError('CANCELLED', 'write cancelled before it started', { cause: signal.reason });
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    // The snapshots a write read are reported by the staged write, from its logical plan.
    const { executor, stats } = this.executorFor({}, controller.signal, true);
    try {
      const outcome = await executor.write(plan, reuse);
      if (signal?.aborted) throw new LakehouseError('CANCELLED', 'write cancelled', { cause: signal.reason });
      return { outcome, stats, metrics: executor.metrics };
    } catch (err) {
      controller.abort(err);
      if (signal?.aborted && !isLakehouseError(err, 'CANCELLED')) throw new LakehouseError('CANCELLED', 'write cancelled', { cause: signal.reason });
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** @internal (QueryRunner) */
  async *execute(plan: PlanNode, signal: AbortSignal | undefined, report: (s: QueryStats) => void): AsyncGenerator<Chunk> {
    yield* this.executePhysical(await this.physicalPlan(plan), inputSnapshotsOf(plan), signal, report);
  }

  /** @internal runs a physical plan; `report` gets the stats and per-operator metrics of a completed run. */
  async *executePhysical(plan: PhysicalNode, snapshots: Record<string, string | null>, signal: AbortSignal | undefined, report: (s: QueryStats, metrics: ReadonlyMap<number, OpMetrics>) => void): AsyncGenerator<Chunk> {
    this.checkOpen();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    if (signal?.aborted) throw new LakehouseError('CANCELLED', 'query cancelled before it started', { cause: signal.reason });
    signal?.addEventListener('abort', onAbort, { once: true });
    const { executor, stats } = this.executorFor(snapshots, controller.signal, false);
    let completed = false;
    try {
      for await (const c of executor.run(plan)) {
        if (signal?.aborted) throw new LakehouseError('CANCELLED', 'query cancelled', { cause: signal.reason });
        yield c;
      }
      completed = true;
      report(stats, executor.metrics);
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
    const wh = this.wh;
    this.wh = undefined;
    await this.pool.close();
    if (wh) await (await wh.catch(() => undefined))?.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new LakehouseError('INVALID_ARGUMENT', 'this Engine is closed', { help: 'Open a new one with Engine.open().' });
  }
}

function statementName(stmt: Statement): string {
  switch (stmt.kind) {
    case 'ctas': return 'CREATE TABLE … AS';
    case 'insert': return stmt.overwrite ? 'INSERT OVERWRITE' : 'INSERT INTO';
    case 'create_view': return 'CREATE VIEW';
    case 'drop_view': return 'DROP VIEW';
    case 'copy': return 'COPY';
    default: return 'this statement';
  }
}

function normalizeName(name: string): string {
  const parts = name.split('.').map((p) => p.trim().toLowerCase());
  if (parts.some((p) => p === '')) throw new LakehouseError('INVALID_IDENTIFIER', `"${name}" is not a valid table name`, { help: 'Use namespace.table.' });
  return parts.join('.');
}
