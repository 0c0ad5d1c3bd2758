/**
 * The engine's logical type system and the bound expression tree.
 *
 * Everything here is plain data (no classes, no functions) so that bound expressions and plan
 * fragments can be sent to worker threads as-is (msgpackr) and compiled there.
 *
 * Value model inside the kernels (see compute/vec.ts and docs/design.md "Exact numbers"): every
 * numeric-like type (int32, int64, float64, decimal(P,S) as its unscaled integer, date as days,
 * timestamp as microseconds) is computed as a float64 while its values are exact there (integers
 * within ±(2^53−1)); a vector of an exact type (integers, decimals, timestamps) whose values do
 * not all fit is a `big` vector of BigInts instead, and every kernel accepts both. Nothing is
 * ever rounded silently: a result that leaves its type's range is an error.
 * Strings are dictionary vectors (codes + distinct strings), compared by code point.
 */

import { LakehouseError } from '../../connectors/errors.js';

/** `decimal(P,S)`: precision 1..38, scale 0..P, written without spaces (Iceberg's spelling). */
export type DecimalType = `decimal(${number},${number})`;

/**
 * Engine types. Beyond the obvious: `time` is microseconds since midnight (a `num` vector);
 * `uuid` is a string vector of canonical lower-case 8-4-4-4-12 text (whose order is the byte
 * order); `binary` (Iceberg binary and fixed[N]) is a string vector of *byte strings* — one
 * character per byte, code 0..255 — so equality, hashing and order are the bytes' own.
 */
export type DataType = 'boolean' | 'int32' | 'int64' | 'float64' | 'string' | 'date' | 'timestamp' | 'time' | 'uuid' | 'binary' | 'null' | DecimalType;

export const MAX_DECIMAL_PRECISION = 38;

/** `decimal(P,S)` with the bounds checked (PLAN_ERROR otherwise). */
export function decimalType(precision: number, scale: number): DecimalType {
  if (!Number.isInteger(precision) || !Number.isInteger(scale) || precision < 1 || precision > MAX_DECIMAL_PRECISION || scale < 0 || scale > precision) {
    throw new LakehouseError('PLAN_ERROR', `decimal(${precision},${scale}) is not a valid decimal type`, {
      help: `Precision must be 1..${MAX_DECIMAL_PRECISION} and scale 0..precision.`,
    });
  }
  return `decimal(${precision},${scale})`;
}

const DECIMAL_RE = /^decimal\((\d+),(\d+)\)$/;
const decimalCache = new Map<string, { precision: number; scale: number } | null>();

/** Precision and scale of a decimal type; `null` for every other type. */
export function decimalParts(t: DataType): { precision: number; scale: number } | null {
  if (t.charCodeAt(0) !== 100 /* d */ || t.charCodeAt(1) !== 101 /* e */) return null;
  let r = decimalCache.get(t);
  if (r === undefined) {
    const m = DECIMAL_RE.exec(t);
    r = m ? { precision: Number(m[1]), scale: Number(m[2]) } : null;
    decimalCache.set(t, r);
  }
  return r;
}

export function isDecimal(t: DataType): t is DecimalType {
  return decimalParts(t) !== null;
}

/** Types whose values are integers inside the kernels (exact; may be `big` vectors). */
export function isExact(t: DataType): boolean {
  return t === 'int32' || t === 'int64' || t === 'timestamp' || t === 'date' || t === 'time' || isDecimal(t);
}

/** Types held in string (dictionary) vectors. */
export function isStringLike(t: DataType): boolean {
  return t === 'string' || t === 'uuid' || t === 'binary';
}

export interface Field {
  name: string;
  type: DataType;
  nullable: boolean;
  /** Iceberg field id of a table column, when the source knows it. */
  fieldId?: number;
}

export type Schema = Field[];

export function isNumeric(t: DataType): boolean {
  return t === 'int32' || t === 'int64' || t === 'float64' || isDecimal(t);
}

export function isIntegral(t: DataType): boolean {
  return t === 'int32' || t === 'int64';
}

/**
 * Scalar literal values as the kernels see them: dates are days, timestamps microseconds,
 * decimals their unscaled integer. Exact values beyond ±(2^53−1) are BigInts (int64 literals,
 * wide decimals); plans carry them to workers through msgpackr's BigInt extension.
 */
export type Scalar = number | bigint | string | boolean | null;

/**
 * The core operators, compiled by compute/eval.ts itself. Every other call names a function of
 * the scalar-function registry (engine/functions/registry.ts) by its canonical name — `fn` stays
 * a plain string so bound expressions remain plain data on their way to the workers.
 */
export type CoreFn =
  // arithmetic
  | 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'neg'
  // comparison
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  // logic
  | 'and' | 'or' | 'not' | 'is_null' | 'is_not_null';

export type ScalarFn = CoreFn | (string & {});

export type Expr =
  | { k: 'col'; i: number; type: DataType }
  | { k: 'lit'; v: Scalar; type: DataType }
  | { k: 'call'; fn: ScalarFn; args: Expr[]; type: DataType }
  | { k: 'case'; whens: Array<[Expr, Expr]>; else: Expr | null; type: DataType }
  /** `try`: TRY_CAST — a value that does not convert becomes NULL instead of an error. */
  | { k: 'cast'; e: Expr; type: DataType; try?: boolean }
  | { k: 'in'; e: Expr; list: Scalar[]; neg: boolean; type: 'boolean' }
  /** `ci`: ILIKE (case-insensitive); `escape`: the LIKE … ESCAPE character. */
  | { k: 'like'; e: Expr; pattern: string; neg: boolean; type: 'boolean'; ci?: boolean; escape?: string };

/**
 * Aggregate kernels (engine/functions/aggregates.ts is the registry of SQL names: aliases such as
 * `stddev`, `median`, `min_by`, `bool_and` and `count_if` bind to one of these).
 */
export type AggFn =
  | 'count_star' | 'count' | 'sum' | 'avg' | 'min' | 'max'
  | 'var_samp' | 'var_pop' | 'stddev_samp' | 'stddev_pop' | 'covar_samp' | 'covar_pop' | 'corr'
  | 'arg_min' | 'arg_max' | 'approx_count_distinct'
  | 'quantile_cont' | 'quantile_disc' | 'approx_quantile' | 'string_agg';

export interface AggCall {
  fn: AggFn;
  arg: Expr | null;
  distinct: boolean;
  type: DataType;
  /**
   * Further per-row inputs: corr/covar the second argument, arg_min/arg_max the value compared,
   * string_agg its ORDER BY keys (after the separator).
   */
  extra?: Expr[];
  /**
   * Constant parameter: quantiles their fraction as an exact ratio num/den (0 ≤ q ≤ 1; DuckDB
   * picks the discrete index with exact decimal arithmetic), string_agg its separator.
   */
  param?: { num: number; den: number } | string;
  /** Directions of the ORDER BY keys in `extra` (string_agg), or of the quantile's WITHIN GROUP order. */
  order?: Array<{ desc: boolean; nullsFirst: boolean }>;
}

/** Every expression an aggregate call evaluates per row: its argument, then `extra`. */
export function aggExprs(a: AggCall): Expr[] {
  return a.arg ? [a.arg, ...(a.extra ?? [])] : [...(a.extra ?? [])];
}

/** The call with every per-row expression rewritten by `f` (column pruning, folding). */
export function mapAggExprs(a: AggCall, f: (e: Expr) => Expr): AggCall {
  const out: AggCall = { ...a, arg: a.arg ? f(a.arg) : null };
  if (a.extra) out.extra = a.extra.map(f);
  return out;
}

/** The result type of the basic aggregates (the registry computes every other aggregate's). */
export function aggResultType(fn: AggFn, argType: DataType | undefined): DataType {
  switch (fn) {
    case 'count_star':
    case 'count':
    case 'approx_count_distinct':
      return 'int64';
    case 'avg':
    case 'var_samp': case 'var_pop': case 'stddev_samp': case 'stddev_pop':
    case 'covar_samp': case 'covar_pop': case 'corr':
      return 'float64';
    case 'string_agg':
      return 'string';
    case 'sum': {
      // Spark and DuckDB: sum(decimal(P,S)) is decimal(38,S). Integer sums stay int64 and fail on
      // overflow (compute/aggregate.ts); DuckDB widens to int128 instead.
      const d = argType ? decimalParts(argType) : null;
      if (d) return decimalType(MAX_DECIMAL_PRECISION, d.scale);
      return argType === 'float64' ? 'float64' : 'int64';
    }
    default:
      return argType ?? 'null';
  }
}

/** Column indexes an expression reads. */
export function exprColumns(e: Expr, out: Set<number> = new Set()): Set<number> {
  switch (e.k) {
    case 'col':
      out.add(e.i);
      break;
    case 'lit':
      break;
    case 'call':
      for (const a of e.args) exprColumns(a, out);
      break;
    case 'case':
      for (const [w, t] of e.whens) {
        exprColumns(w, out);
        exprColumns(t, out);
      }
      if (e.else) exprColumns(e.else, out);
      break;
    case 'cast':
    case 'in':
    case 'like':
      exprColumns(e.e, out);
      break;
  }
  return out;
}

/** Rewrites column references through `map` (old index → new index). */
export function remapColumns(e: Expr, map: (i: number) => number): Expr {
  switch (e.k) {
    case 'col':
      return { ...e, i: map(e.i) };
    case 'lit':
      return e;
    case 'call':
      return { ...e, args: e.args.map((a) => remapColumns(a, map)) };
    case 'case':
      return {
        ...e,
        whens: e.whens.map(([w, t]) => [remapColumns(w, map), remapColumns(t, map)] as [Expr, Expr]),
        else: e.else ? remapColumns(e.else, map) : null,
      };
    case 'cast':
    case 'in':
    case 'like':
      return { ...e, e: remapColumns(e.e, map) };
  }
}

/** Replaces column references with other expressions (used to push filters through projections). */
export function substituteColumns(e: Expr, sub: (i: number) => Expr): Expr {
  switch (e.k) {
    case 'col':
      return sub(e.i);
    case 'lit':
      return e;
    case 'call':
      return { ...e, args: e.args.map((a) => substituteColumns(a, sub)) };
    case 'case':
      return {
        ...e,
        whens: e.whens.map(([w, t]) => [substituteColumns(w, sub), substituteColumns(t, sub)] as [Expr, Expr]),
        else: e.else ? substituteColumns(e.else, sub) : null,
      };
    case 'cast':
    case 'in':
    case 'like':
      return { ...e, e: substituteColumns(e.e, sub) };
  }
}

/** Structural equality; BigInt literals (exact values beyond 2^53) compare by value and never equal a number. */
export function exprEquals(a: Expr, b: Expr): boolean {
  const key = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? { bigint: v.toString() } : v);
  return JSON.stringify(a, key) === JSON.stringify(b, key);
}

/** Splits a predicate into its top-level AND conjuncts. */
export function conjuncts(e: Expr): Expr[] {
  if (e.k === 'call' && e.fn === 'and') return e.args.flatMap(conjuncts);
  return [e];
}

export function andAll(parts: Expr[]): Expr | null {
  if (parts.length === 0) return null;
  return parts.reduce((acc, p) => ({ k: 'call', fn: 'and', args: [acc, p], type: 'boolean' }));
}

/** Days since 1970-01-01 for an ISO date `YYYY-MM-DD`. */
export function parseDateLiteral(s: string): number {
  const m = /^\s*(-?\d{1,6})-(\d{1,2})-(\d{1,2})\s*$/.exec(s);
  if (!m) throw new LakehouseError('PLAN_ERROR', `"${s}" is not a valid date (expected YYYY-MM-DD)`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const days = daysFromCivil(y, mo, d);
  const back = civilFromDays(days);
  if (back[1] !== mo || back[2] !== d) throw new LakehouseError('PLAN_ERROR', `"${s}" is not a valid date`);
  if (Math.abs(days) > MAX_DATE_DAYS) {
    throw new LakehouseError('PLAN_ERROR', `"${s}" is out of the supported date range (${formatDate(-MAX_DATE_DAYS)} to ${formatDate(MAX_DATE_DAYS)})`, {
      help: 'Dates and timestamps must lie within ±100,000,000 days of 1970-01-01 (the range results can be returned in, as JavaScript Dates).',
    });
  }
  return days;
}

/** Microseconds since the epoch (UTC) for `YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|±HH:MM]`. */
export function parseTimestampLiteral(s: string): number {
  const m = /^\s*(-?\d{1,6}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i.exec(s);
  if (!m) throw new LakehouseError('PLAN_ERROR', `"${s}" is not a valid timestamp (expected YYYY-MM-DD HH:MM:SS[.ffffff])`);
  const days = parseDateLiteral(m[1]!);
  const frac = m[5] ? Number((m[5] + '000000').slice(0, 6)) : 0;
  let micros = days * 86_400_000_000 + (Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1_000_000 + frac;
  if (m[6] && m[6].toUpperCase() !== 'Z') {
    const sign = m[6][0] === '-' ? -1 : 1;
    const digits = m[6].slice(1).replace(':', '');
    micros -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000_000;
  }
  return micros;
}

/** Howard Hinnant's days_from_civil: proleptic Gregorian calendar, no allocation. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [y + (m <= 2 ? 1 : 0), m, d];
}

/** Dates (and timestamps' days) are limited to the range of a JavaScript Date: ±10^8 days. */
export const MAX_DATE_DAYS = 100_000_000;

/** ISO 8601 with astronomical years: 0001-06-01, -0001-06-01 (2 BC), 12345-01-01. */
export function formatDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${y < 0 ? '-' : ''}${String(Math.abs(y)).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function formatTimestamp(micros: number): string {
  const days = Math.floor(micros / 86_400_000_000);
  let rest = micros - days * 86_400_000_000;
  const h = Math.floor(rest / 3_600_000_000);
  rest -= h * 3_600_000_000;
  const mi = Math.floor(rest / 60_000_000);
  rest -= mi * 60_000_000;
  const s = Math.floor(rest / 1_000_000);
  const us = rest - s * 1_000_000;
  const base = `${formatDate(days)} ${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return us ? `${base}.${String(us).padStart(6, '0')}` : base;
}
