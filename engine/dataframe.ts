/**
 * DataFrame: a lazy query — built from SQL (`engine.sql`) or with the typed builder
 * (`engine.table('ns.t').where(…).groupBy(…).agg(…)`). Both produce the same unbound query
 * tree, so they bind and optimize to the same plan. Nothing runs until the result is consumed:
 * `toArray()`, `toTable()`, or `for await (const batch of df)` (Arrow RecordBatches).
 * Each consumption runs the query afresh; breaking out of the iteration cancels its tasks.
 */

import type * as arrow from 'apache-arrow';
import { LakehouseError } from '../connectors/errors.js';
import { Expr, col, toUExpr, type ExprLike } from './builder.js';
import { chunkToBatch } from './compute/arrow-io.js';
import { formatTime } from './compute/casts.js';
import { formatDecimal, normalizeScalar } from './compute/exact.js';
import type { Chunk, Vec } from './compute/vec.js';
import type { QueryStats } from './exec/executor.js';
import type { PlanNode } from './plan/logical.js';
import { decimalParts, type Schema } from './plan/types.js';
import { simpleQuery, type UExpr, type UFrom, type UQuery, type USelect, type USelectItem } from './plan/unbound.js';

/** Per-query options that travel with a DataFrame (and the frames derived from it). */
export interface QueryContext {
  /** Catalog tables pinned to snapshots (`{ 'ns.t': { snapshotId } }`), as batch jobs lock their inputs. */
  inputs?: Record<string, { snapshotId: string }>;
}

/** What a DataFrame needs from its engine (implemented by Engine). */
export interface QueryRunner {
  plan(query: UQuery, sql: string | undefined, context: QueryContext): Promise<PlanNode>;
  execute(plan: PlanNode, signal: AbortSignal | undefined, stats: (s: QueryStats) => void): AsyncGenerator<Chunk>;
}

export interface RunOptions {
  signal?: AbortSignal;
}

let aliasSeq = 0;

/** Rows per array that `openRows` yields. */
const ROW_SLICE = 8192;

/** `*` without EXCEPT: a frame selecting it can absorb a where/select/aggregate. */
const plainStar = (i: USelectItem): boolean => i.k === 'star' && !i.except;

export class DataFrame implements AsyncIterable<arrow.RecordBatch> {
  /** Statistics of the last completed run (tasks, rows scanned, time per phase). */
  lastStats: QueryStats | undefined;

  constructor(private readonly runner: QueryRunner, readonly query: UQuery, private readonly sqlText?: string, readonly context: QueryContext = {}) {}

  /** The bound, optimized logical plan (catalog tables are pinned to their snapshots here). */
  plan(): Promise<PlanNode> {
    return this.runner.plan(this.query, this.sqlText, this.context);
  }

  /** Snapshot ids the last completed run read, per catalog table. */
  get inputSnapshots(): Record<string, string | null> | undefined {
    return this.lastStats?.inputSnapshots;
  }

  async explain(): Promise<string> {
    const { explain } = await import('./plan/logical.js');
    return explain(await this.plan());
  }

  async schema(): Promise<Schema> {
    return (await this.plan()).schema;
  }

  /** Streams the result as Arrow record batches (strings as Utf8, dates as Date32, timestamps in µs). */
  async *batches(options: RunOptions = {}): AsyncGenerator<arrow.RecordBatch> {
    const plan = await this.plan();
    for await (const c of this.runner.execute(plan, options.signal, (s) => { this.lastStats = s; })) {
      if (c.length) yield chunkToBatch(c, plan.schema);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<arrow.RecordBatch> {
    return this.batches()[Symbol.asyncIterator]();
  }

  async toTable(options: RunOptions = {}): Promise<arrow.Table> {
    const arrowMod = await import('apache-arrow');
    const plan = await this.plan();
    const batches: arrow.RecordBatch[] = [];
    for await (const c of this.runner.execute(plan, options.signal, (s) => { this.lastStats = s; })) {
      if (c.length) batches.push(chunkToBatch(c, plan.schema));
    }
    if (batches.length === 0) {
      const { arrowSchemaOf } = await import('./compute/arrow-io.js');
      return new arrowMod.Table(arrowSchemaOf(plan.schema));
    }
    return new arrowMod.Table(batches);
  }

  /**
   * Rows as plain objects: numbers (64-bit integers too, as `bigint` beyond ±(2^53−1) so that no
   * value is rounded), decimals as their exact text (`"12.30"`, as DuckDB's JSON gives them),
   * strings (uuids as their text, binary as a byte string: one char per byte), times as
   * `HH:MM:SS[.ffffff]`, booleans, `Date`s for dates and timestamps (UTC; sub-millisecond digits
   * dropped), null.
   */
  async toArray(options: RunOptions = {}): Promise<Array<Record<string, unknown>>> {
    const plan = await this.plan();
    const rows: Array<Record<string, unknown>> = [];
    const names = plan.schema.map((f) => f.name);
    // Any column name must survive, "__proto__" included: plain assignment of that key would set
    // the prototype instead of creating a property, so it is defined explicitly.
    const special = names.map((n) => n === '__proto__');
    for await (const c of this.runner.execute(plan, options.signal, (s) => { this.lastStats = s; })) {
      for (let i = 0; i < c.length; i++) {
        const row: Record<string, unknown> = {};
        c.cols.forEach((v, j) => {
          let x: unknown = null;
          if (v.valid === null || v.valid[i]) {
            if (v.t === 'str') x = v.dict[v.codes[i]!];
            else if (v.t === 'bool') x = v.values[i] === 1;
            else x = exactValue(v, i);
          }
          if (special[j]) Object.defineProperty(row, names[j]!, { value: x, enumerable: true, writable: true, configurable: true });
          else row[names[j]!] = x;
        });
        rows.push(row);
      }
    }
    return rows;
  }

  /**
   * Plans once and streams the result as row arrays, one array per executed chunk, in result
   * order, for printers and exporters that must hold at most a chunk at a time. A row is an
   * array of cells in schema order, exact: numbers (integers of exact types within ±(2^53−1)),
   * `bigint` for integers beyond that, decimals as their exact text with all S digits
   * ("-0.05"), strings (uuids as text, binary as a byte string), booleans or null; dates as days
   * since 1970-01-01, timestamps as microseconds since the epoch and times as microseconds since
   * midnight (numbers, or `bigint` when beyond ±(2^53−1); so no Date range limit). Memory: one chunk of rows plus the executor's in-flight tasks. Breaking out of the
   * iteration cancels the query's remaining tasks.
   */
  async openRows(options: RunOptions = {}): Promise<{ schema: Schema; rows: AsyncGenerator<unknown[][]> }> {
    const plan = await this.plan();
    const runner = this.runner;
    const self = this;
    // Decimal columns are converted to their text here (-1: not a decimal).
    const scales = plan.schema.map((f) => decimalParts(f.type)?.scale ?? -1);
    async function* rows(): AsyncGenerator<unknown[][]> {
      for await (const c of runner.execute(plan, options.signal, (s) => { self.lastStats = s; })) {
        // Converted a slice at a time, so the row arrays alive at once stay small however big
        // the executor's chunk is.
        for (let from = 0; from < c.length; from += ROW_SLICE) {
          const to = Math.min(c.length, from + ROW_SLICE);
          const out: unknown[][] = new Array(to - from);
          for (let i = from; i < to; i++) out[i - from] = new Array(c.cols.length);
          c.cols.forEach((v, j) => {
            for (let i = from; i < to; i++) {
              let x: unknown = null;
              if (v.valid === null || v.valid[i]) {
                if (v.t === 'str') x = v.dict[v.codes[i]!];
                else if (v.t === 'bool') x = v.values[i] === 1;
                else if (scales[j]! >= 0) x = decimalText(v.values[i]!, scales[j]!);
                else if (v.t === 'big') x = normalizeScalar(v.values[i]!);
                else if (v.type !== 'null') x = v.values[i];
              }
              out[i - from]![j] = x;
            }
          });
          yield out;
        }
      }
    }
    return { schema: plan.schema, rows: rows() };
  }

  // ---- builder ----

  private select_(): USelect | null {
    const q = this.query;
    if (q.ctes.length || q.orderBy.length || q.orderByAll || q.limit !== null || q.offset || q.body.k !== 'select') return null;
    return q.body;
  }

  private derive(query: UQuery): DataFrame {
    return new DataFrame(this.runner, query, undefined, this.context);
  }

  /** This frame as a FROM item (a table reference when it is a plain table scan). */
  asFrom(alias?: string): UFrom {
    const s = this.select_();
    if (s && s.from?.k === 'table' && !s.where && !s.groupBy.length && !s.groupByAll && !s.groupingSets && !s.having && !s.distinct && s.items.length === 1 && plainStar(s.items[0]!)) {
      return alias ? { ...s.from, alias } : s.from;
    }
    return { k: 'sub', query: this.query, alias: alias ?? `q${aliasSeq++}` };
  }

  private wrapped(): USelect {
    return { k: 'select', distinct: false, items: [{ k: 'star' }], from: this.asFrom(), where: null, groupBy: [], having: null };
  }

  /** The same frame under a name usable as a qualifier in joins (`a.id`). */
  alias(name: string): DataFrame {
    return this.derive(simpleQuery({ k: 'select', distinct: false, items: [{ k: 'star' }], from: this.asFrom(name), where: null, groupBy: [], having: null }));
  }

  where(cond: Expr): DataFrame {
    const s = this.select_();
    const base = s && !s.groupBy.length && !s.distinct && !s.having && s.items.every(plainStar) ? s : this.wrapped();
    const where: UExpr = base.where ? { k: 'bin', op: 'and', l: base.where, r: cond.node } : cond.node;
    return this.derive(simpleQuery({ ...base, where }));
  }

  filter(cond: Expr): DataFrame {
    return this.where(cond);
  }

  select(...items: Array<Expr | string>): DataFrame {
    const s = this.select_();
    const base = s && !s.groupBy.length && !s.distinct && s.items.every(plainStar) ? s : this.wrapped();
    return this.derive(simpleQuery({ ...base, items: items.map(selectItem) }));
  }

  groupBy(...keys: Array<Expr | string>): GroupedFrame {
    return new GroupedFrame(this, keys.map((k) => (typeof k === 'string' ? col(k) : k)));
  }

  /** Aggregates over all rows (no grouping). */
  agg(...aggs: Expr[]): DataFrame {
    return this.groupBy().agg(...aggs);
  }

  /** @internal used by GroupedFrame */
  aggregate(keys: Expr[], aggs: Expr[]): DataFrame {
    const s = this.select_();
    const base = s && !s.groupBy.length && !s.distinct && s.items.every(plainStar) ? s : this.wrapped();
    return this.derive(simpleQuery({ ...base, groupBy: keys.map((k) => k.node), items: [...keys, ...aggs].map(selectItem) }));
  }

  orderBy(...keys: Array<Expr | string>): DataFrame {
    const q = this.query.limit !== null || this.query.offset ? simpleQuery(this.wrapped()) : this.query;
    const orderBy = keys.map((k) => {
      const e = typeof k === 'string' ? col(k) : k;
      return { e: e.node, desc: e.order?.desc ?? false, ...(e.order?.nullsFirst !== undefined ? { nullsFirst: e.order.nullsFirst } : {}) };
    });
    return this.derive({ ...q, orderBy });
  }

  limit(n: number, offset = 0): DataFrame {
    if (!Number.isInteger(n) || n < 0) throw new LakehouseError('INVALID_ARGUMENT', `limit must be a non-negative integer, got ${n}`);
    const q = this.query.limit !== null || this.query.offset ? simpleQuery(this.wrapped()) : this.query;
    return this.derive({ ...q, limit: n, offset });
  }

  join(other: DataFrame, on: Expr, kind: 'inner' | 'left' = 'inner'): DataFrame {
    const s = this.select_();
    const base = s && !s.groupBy.length && !s.distinct && !s.where && s.items.every(plainStar) && s.from ? s : this.wrapped();
    const from: UFrom = { k: 'join', kind, left: base.from!, right: other.asFrom(), on: on.node };
    return this.derive(simpleQuery({ ...base, from }));
  }

  unionAll(other: DataFrame): DataFrame {
    const body = (d: DataFrame): UQuery['body'] => (d.select_() ? d.query.body : { k: 'nested', query: d.query });
    return this.derive(simpleQuery({ k: 'setop', op: 'union', all: true, left: body(this), right: body(other) }));
  }
}

export class GroupedFrame {
  constructor(private readonly df: DataFrame, private readonly keys: Expr[]) {}

  agg(...aggs: Expr[]): DataFrame {
    if (aggs.length === 0 && this.keys.length === 0) throw new LakehouseError('INVALID_ARGUMENT', 'agg() needs at least one aggregate');
    return this.df.aggregate(this.keys, aggs);
  }
}

function selectItem(x: Expr | string | ExprLike): USelectItem {
  if (typeof x === 'string') return x === '*' ? { k: 'star' } : { k: 'expr', e: col(x).node };
  const e = x instanceof Expr ? x : new Expr(toUExpr(x));
  return e.alias ? { k: 'expr', e: e.node, alias: e.alias } : { k: 'expr', e: e.node };
}

/**
 * formatDecimal with a fast path for the common case (an unscaled value within ±(2^53−1) held
 * as a number: its digits without a BigInt). Same text.
 */
export function decimalText(unscaled: number | bigint, scale: number): string {
  if (typeof unscaled !== 'number' || scale === 0 || !Number.isSafeInteger(unscaled)) return formatDecimal(unscaled, scale);
  const neg = unscaled < 0;
  const digits = String(neg ? -unscaled : unscaled).padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** One non-null numeric value as toArray() returns it (see there). */
function exactValue(v: Extract<Vec, { t: 'num' | 'big' }>, i: number): unknown {
  const x = v.values[i]!;
  const d = decimalParts(v.type);
  if (d) return decimalText(x, d.scale);
  if (v.type === 'date') return new Date(Number(x) * 86_400_000);
  if (v.type === 'timestamp') return typeof x === 'bigint' ? new Date(Number(x / 1000n)) : new Date(Math.floor(x / 1000));
  if (v.type === 'time') return formatTime(x);
  if (v.type === 'null') return null;
  return typeof x === 'bigint' ? normalizeScalar(x) : x;
}
