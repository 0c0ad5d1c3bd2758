/**
 * Typed expression builder for the DataFrame API: `col('x').gt(5)`, `sum('v').as('total')`.
 * Builder expressions are unbound trees (plan/unbound.ts) — exactly what the SQL parser
 * produces — so the builder and SQL bind to the same logical plan.
 */

import { LakehouseError } from '../connectors/errors.js';
import type { DataType } from './plan/types.js';
import type { UExpr } from './plan/unbound.js';

/**
 * Literal values. Numbers mean what their text means in SQL: `5` an INTEGER, `0.05` an exact
 * DECIMAL(3,2) (the text JavaScript prints, so `0.1 + 0.2` is 0.30000000000000004), `1e21` a
 * DOUBLE; a `bigint` is an exact BIGINT (or DECIMAL(38,0) beyond 64 bits).
 */
export type Literal = number | bigint | string | boolean | null | Date;
export type ExprLike = Expr | Literal;

function isoTimestamp(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export function toUExpr(x: ExprLike): UExpr {
  if (x instanceof Expr) return x.node;
  if (x === null) return { k: 'lit', v: null, type: 'null' };
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new LakehouseError('INVALID_ARGUMENT', `literal ${x} is not a finite number`);
    return { k: 'num', text: String(x) };
  }
  if (typeof x === 'bigint') return { k: 'num', text: x.toString() };
  if (typeof x === 'string') return { k: 'lit', v: x, type: 'string' };
  if (typeof x === 'boolean') return { k: 'lit', v: x, type: 'boolean' };
  if (x instanceof Date) return { k: 'typed', type: 'timestamp', text: isoTimestamp(x) };
  throw new LakehouseError('INVALID_ARGUMENT', `cannot use ${typeof x} as a literal`);
}

/** An unbound expression with an optional output name and sort direction. */
export class Expr {
  constructor(readonly node: UExpr, readonly alias?: string, readonly order?: { desc: boolean; nullsFirst?: boolean }) {}

  private bin(op: Extract<UExpr, { k: 'bin' }>['op'], other: ExprLike): Expr {
    return new Expr({ k: 'bin', op, l: this.node, r: toUExpr(other) });
  }

  eq(o: ExprLike): Expr { return this.bin('=', o); }
  ne(o: ExprLike): Expr { return this.bin('<>', o); }
  lt(o: ExprLike): Expr { return this.bin('<', o); }
  le(o: ExprLike): Expr { return this.bin('<=', o); }
  gt(o: ExprLike): Expr { return this.bin('>', o); }
  ge(o: ExprLike): Expr { return this.bin('>=', o); }
  and(o: ExprLike): Expr { return this.bin('and', o); }
  or(o: ExprLike): Expr { return this.bin('or', o); }
  plus(o: ExprLike): Expr { return this.bin('+', o); }
  minus(o: ExprLike): Expr { return this.bin('-', o); }
  times(o: ExprLike): Expr { return this.bin('*', o); }
  div(o: ExprLike): Expr { return this.bin('/', o); }
  mod(o: ExprLike): Expr { return this.bin('%', o); }
  concat(o: ExprLike): Expr { return this.bin('||', o); }
  not(): Expr { return new Expr({ k: 'not', e: this.node }); }
  neg(): Expr { return new Expr({ k: 'neg', e: this.node }); }
  isNull(): Expr { return new Expr({ k: 'isnull', e: this.node, neg: false }); }
  isNotNull(): Expr { return new Expr({ k: 'isnull', e: this.node, neg: true }); }
  in(...values: ExprLike[]): Expr { return new Expr({ k: 'in', e: this.node, list: values.map(toUExpr), neg: false }); }
  notIn(...values: ExprLike[]): Expr { return new Expr({ k: 'in', e: this.node, list: values.map(toUExpr), neg: true }); }
  between(lo: ExprLike, hi: ExprLike): Expr { return new Expr({ k: 'between', e: this.node, lo: toUExpr(lo), hi: toUExpr(hi), neg: false }); }
  like(pattern: string): Expr { return new Expr({ k: 'like', e: this.node, pattern: toUExpr(pattern), neg: false }); }
  notLike(pattern: string): Expr { return new Expr({ k: 'like', e: this.node, pattern: toUExpr(pattern), neg: true }); }
  cast(type: DataType): Expr { return new Expr({ k: 'cast', e: this.node, to: type }); }
  as(name: string): Expr { return new Expr(this.node, name, this.order); }
  asc(nullsFirst?: boolean): Expr { return new Expr(this.node, this.alias, { desc: false, ...(nullsFirst !== undefined ? { nullsFirst } : {}) }); }
  desc(nullsFirst?: boolean): Expr { return new Expr(this.node, this.alias, { desc: true, ...(nullsFirst !== undefined ? { nullsFirst } : {}) }); }
}

/** A column, optionally qualified: `col('t.x')`. */
export function col(name: string): Expr {
  return new Expr({ k: 'ident', parts: name.split('.') });
}

export function lit(v: Literal): Expr {
  return new Expr(toUExpr(v));
}

/** A date literal, `date('2024-01-31')`. */
export function date(iso: string): Expr {
  return new Expr({ k: 'typed', type: 'date', text: iso });
}

export function timestamp(iso: string): Expr {
  return new Expr({ k: 'typed', type: 'timestamp', text: iso });
}

const asExpr = (x: Expr | string): UExpr => (typeof x === 'string' ? col(x).node : x.node);

function call(name: string, args: Array<Expr | string>, distinct = false): Expr {
  return new Expr({ k: 'fn', name, args: args.map(asExpr), distinct, star: false });
}

/** `count()` is count(*); `count(x)` counts non-null values. */
export function count(x?: Expr | string): Expr {
  return x === undefined ? new Expr({ k: 'fn', name: 'count', args: [], distinct: false, star: true }) : call('count', [x]);
}
export function countDistinct(x: Expr | string): Expr { return call('count', [x], true); }
export function sum(x: Expr | string): Expr { return call('sum', [x]); }
export function avg(x: Expr | string): Expr { return call('avg', [x]); }
export function min(x: Expr | string): Expr { return call('min', [x]); }
export function max(x: Expr | string): Expr { return call('max', [x]); }

/** Any scalar function by name (`fn('date_trunc', lit('month'), col('ts'))`). */
export function fn(name: string, ...args: ExprLike[]): Expr {
  return new Expr({ k: 'fn', name: name.toLowerCase(), args: args.map(toUExpr), distinct: false, star: false });
}

export function coalesce(...args: ExprLike[]): Expr { return fn('coalesce', ...args); }
export function lower(x: Expr | string): Expr { return call('lower', [x]); }
export function upper(x: Expr | string): Expr { return call('upper', [x]); }

/** `when(cond, value).when(…).otherwise(value)` — a searched CASE. */
export function when(cond: ExprLike, value: ExprLike): CaseBuilder {
  return new CaseBuilder([[toUExpr(cond), toUExpr(value)]]);
}

export class CaseBuilder extends Expr {
  constructor(private readonly whens: Array<[UExpr, UExpr]>, els: UExpr | null = null) {
    super({ k: 'case', operand: null, whens, else: els });
  }
  when(cond: ExprLike, value: ExprLike): CaseBuilder {
    return new CaseBuilder([...this.whens, [toUExpr(cond), toUExpr(value)]]);
  }
  otherwise(value: ExprLike): Expr {
    return new Expr({ k: 'case', operand: null, whens: this.whens, else: toUExpr(value) });
  }
}
