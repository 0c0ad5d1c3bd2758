/**
 * The aggregate function registry: every SQL aggregate the engine knows, with its aliases, its
 * argument typing and result type (DuckDB's), the partial state it ships between tasks, and a
 * one-line doc. The binder (plan/binder.ts) asks `findAggregate` whether a call is an aggregate
 * and lets the entry bind it to a plain-data `AggCall`; the kernels live in compute/aggregate.ts
 * (count/sum/avg/min/max, exact), compute/agg-stats.ts (moments, arg_min/arg_max),
 * compute/agg-hll.ts (approx_count_distinct) and compute/agg-holistic.ts (quantiles,
 * string_agg). Some names are rewrites onto another kernel (bool_and is min over booleans,
 * count_if a sum of 0/1, median a 0.5 quantile); `AGGREGATES` lists them all, for docs and --help.
 *
 * Every aggregate skips NULL inputs; over no rows it is NULL, except count/count(*) and
 * approx_count_distinct (0). Pure functions over bound expressions; no state.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { foldExpr } from '../plan/optimize.js';
import {
  exprEquals,
  aggResultType, decimalParts, isDecimal, isNumeric, type AggCall, type AggFn, type DataType, type Expr,
} from '../plan/types.js';
import { coerce, toStr } from '../plan/typing.js';

/** What the binder hands an aggregate entry: the call's bound arguments and clauses. */
export interface AggBindInput {
  /** The name as written, lower case (an alias or the name). */
  name: string;
  args: Expr[];
  star: boolean;
  distinct: boolean;
  /** `ORDER BY` inside the call or `WITHIN GROUP (ORDER BY …)`. */
  orderBy: Array<{ e: Expr; desc: boolean; nullsFirst: boolean }>;
  /** Throws a PLAN_ERROR at the call's position. */
  fail(msg: string, help?: string): never;
}

export interface AggregateDef {
  name: string;
  aliases: readonly string[];
  /** SQL signature and result type, e.g. `stddev_samp(x NUMERIC) → DOUBLE`. */
  signature: string;
  /** The partial state shipped from a task to the merge (one line). */
  state: string;
  doc: string;
  bind(i: AggBindInput): AggCall;
}

function unsupported(what: string): LakehouseError {
  return new LakehouseError('UNSUPPORTED', `not supported yet: ${what}`);
}

function arity(i: AggBindInput, min: number, max = min): void {
  if (i.star) i.fail(`${i.name}(*) is not valid`, 'Only count(*) takes *.');
  if (i.args.length < min || i.args.length > max) {
    i.fail(`${i.name}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${i.args.length}`);
  }
}

function noOrder(i: AggBindInput): void {
  if (i.orderBy.length) throw unsupported(`ORDER BY inside ${i.name}() (its result does not depend on an order)`);
}

function noDistinct(i: AggBindInput): void {
  if (i.distinct) throw unsupported(`DISTINCT in ${i.name}()`);
}

function numericArg(i: AggBindInput, e: Expr): Expr {
  if (!isNumeric(e.type) && e.type !== 'null') i.fail(`${i.name}() needs a numeric argument, got ${e.type}`);
  return e;
}

/** A numeric argument as DOUBLE (the moments are computed in doubles, as DuckDB does). */
function doubleArg(i: AggBindInput, e: Expr): Expr {
  return coerce(numericArg(i, e), 'float64');
}

function call(fn: AggFn, arg: Expr | null, distinct: boolean, type?: DataType): AggCall {
  return { fn, arg, distinct, type: type ?? aggResultType(fn, arg?.type) };
}

/** A constant argument (after folding), or a PLAN_ERROR naming what it is for. */
function constant(i: AggBindInput, e: Expr, what: string): Extract<Expr, { k: 'lit' }> {
  const f = foldExpr(e);
  if (f.k !== 'lit') i.fail(`${i.name}() needs a constant ${what}`);
  return f as Extract<Expr, { k: 'lit' }>;
}

/** A quantile fraction 0 ≤ q ≤ 1 as an exact ratio (decimal literals keep their digits). */
function fraction(i: AggBindInput, e: Expr): { num: number; den: number } {
  const lit = constant(i, e, 'fraction between 0 and 1');
  if (lit.v === null || typeof lit.v === 'string' || typeof lit.v === 'boolean' || !isNumeric(lit.type)) i.fail(`${i.name}() needs a numeric fraction between 0 and 1`);
  const scale = decimalParts(lit.type)?.scale ?? 0;
  const q = { num: Number(lit.v), den: 10 ** scale };
  if (!(q.num >= 0 && q.num <= q.den)) i.fail(`${i.name}() fraction must be between 0 and 1, got ${q.num / q.den}`);
  return q;
}

const TEMPORAL = new Set<DataType>(['date', 'timestamp']);

/** quantile_cont's result type: decimals keep theirs, dates and timestamps become TIMESTAMP, other numbers DOUBLE. */
function contType(i: AggBindInput, t: DataType): DataType {
  if (isDecimal(t)) return t;
  if (TEMPORAL.has(t)) return 'timestamp';
  if (isNumeric(t) || t === 'null') return 'float64';
  return i.fail(`${i.name}() needs a numeric, date or timestamp value, got ${t}`);
}

function quantile(fn: 'quantile_cont' | 'quantile_disc', i: AggBindInput, x: Expr, q: { num: number; den: number }, desc: boolean): AggCall {
  if (x.type === 'null') x = { k: 'cast', e: x, type: 'float64' };
  const type = fn === 'quantile_cont' ? contType(i, x.type) : x.type;
  const out: AggCall = { fn, arg: x, distinct: i.distinct, type, param: q };
  if (desc) out.order = [{ desc: true, nullsFirst: false }];
  return out;
}

function boolArg(i: AggBindInput): Expr {
  arity(i, 1);
  const e = i.args[0]!;
  if (e.type === 'null') return { k: 'lit', v: null, type: 'boolean' };
  if (e.type !== 'boolean') i.fail(`${i.name}() needs a boolean argument, got ${e.type}`);
  return e;
}

const basic = (fn: 'sum' | 'avg', name: string, aliases: string[], doc: string): AggregateDef => ({
  name, aliases, doc,
  signature: fn === 'sum' ? `${name}(x NUMERIC) → BIGINT | DECIMAL(38,S) | DOUBLE` : `${name}(x NUMERIC) → DOUBLE`,
  state: 'double part, exact BigInt carry (decimal text), count',
  bind(i) {
    arity(i, 1); noOrder(i);
    let x = numericArg(i, i.args[0]!);
    if (x.type === 'null') x = { k: 'cast', e: x, type: 'float64' };
    return call(fn, x, i.distinct);
  },
});

const minMax = (fn: 'min' | 'max', name: string, aliases: string[], doc: string): AggregateDef => ({
  name, aliases, doc, signature: `${name}(x ANY) → type of x`, state: 'the value so far (exact types exactly)',
  bind(i) {
    arity(i, 1); noOrder(i);
    // DISTINCT does not change a minimum or maximum.
    return call(fn, i.args[0]!, false);
  },
});

const moments = (fn: 'var_samp' | 'var_pop' | 'stddev_samp' | 'stddev_pop', aliases: string[], doc: string): AggregateDef => ({
  name: fn, aliases, doc, signature: `${fn}(x NUMERIC) → DOUBLE`, state: 'count, mean, M2 (Welford; merged by Chan et al.)',
  bind(i) {
    arity(i, 1); noOrder(i);
    return call(fn, doubleArg(i, i.args[0]!), i.distinct);
  },
});

const coMoments = (fn: 'covar_samp' | 'covar_pop' | 'corr', doc: string): AggregateDef => ({
  name: fn, aliases: [], doc, signature: `${fn}(y NUMERIC, x NUMERIC) → DOUBLE`, state: 'count, means, M2 of x and y, co-moment',
  bind(i) {
    arity(i, 2); noOrder(i); noDistinct(i);
    return { ...call(fn, doubleArg(i, i.args[0]!), false), extra: [doubleArg(i, i.args[1]!)] };
  },
});

const argExt = (fn: 'arg_min' | 'arg_max', aliases: string[], doc: string): AggregateDef => ({
  name: fn, aliases, doc, signature: `${fn}(arg ANY, val ANY) → type of arg`, state: 'best val and its arg (exact types exactly)',
  bind(i) {
    arity(i, 2); noOrder(i); noDistinct(i);
    const [arg, val] = i.args as [Expr, Expr];
    return { fn, arg, distinct: false, type: arg.type, extra: [val] };
  },
});

export const AGGREGATES: readonly AggregateDef[] = [
  {
    name: 'count', aliases: [], signature: 'count(*) | count(x ANY) → BIGINT', state: 'count',
    doc: 'Number of rows (count(*)) or of non-NULL values of x; 0 over no rows.',
    bind(i) {
      noOrder(i);
      if (i.star) {
        if (i.distinct) throw unsupported('count(DISTINCT *)');
        return { fn: 'count_star', arg: null, distinct: false, type: 'int64' };
      }
      arity(i, 1);
      return call('count', i.args[0]!, i.distinct);
    },
  },
  basic('sum', 'sum', [], 'Sum of x: exact for integers (BIGINT, OUT_OF_RANGE on overflow) and decimals (DECIMAL(38,S)).'),
  basic('avg', 'avg', ['mean'], 'Mean of x as DOUBLE: the correctly rounded quotient of the exact sum for integers and decimals.'),
  minMax('min', 'min', [], 'Least value of x (strings by code point, NaN greatest).'),
  minMax('max', 'max', [], 'Greatest value of x (strings by code point, NaN greatest).'),
  {
    name: 'any_value', aliases: ['arbitrary'], signature: 'any_value(x ANY) → type of x', state: 'as min',
    doc: 'Some non-NULL value of x in the group (here the least, so every plan gives the same one).',
    bind(i) { arity(i, 1); noOrder(i); return call('min', i.args[0]!, false); },
  },
  {
    name: 'bool_and', aliases: ['every'], signature: 'bool_and(b BOOLEAN) → BOOLEAN', state: 'as min',
    doc: 'True when every non-NULL b is true (min over booleans).',
    bind(i) { noOrder(i); return call('min', boolArg(i), false, 'boolean'); },
  },
  {
    name: 'bool_or', aliases: [], signature: 'bool_or(b BOOLEAN) → BOOLEAN', state: 'as max',
    doc: 'True when some non-NULL b is true (max over booleans).',
    bind(i) { noOrder(i); return call('max', boolArg(i), false, 'boolean'); },
  },
  {
    name: 'count_if', aliases: ['countif'], signature: 'count_if(b BOOLEAN) → BIGINT', state: 'as sum',
    doc: 'Number of rows where b is true; NULL when every b is NULL (DuckDB: the sum of b as 0/1).',
    bind(i) {
      noOrder(i); noDistinct(i);
      const b = boolArg(i);
      const one: Expr = { k: 'lit', v: 1, type: 'int32' };
      const zero: Expr = { k: 'lit', v: 0, type: 'int32' };
      const asInt: Expr = { k: 'case', whens: [[b, one], [{ k: 'call', fn: 'not', args: [b], type: 'boolean' }, zero]], else: null, type: 'int32' };
      return call('sum', asInt, false);
    },
  },
  moments('stddev_samp', ['stddev'], 'Sample standard deviation of x; NULL below 2 values.'),
  moments('stddev_pop', [], 'Population standard deviation of x.'),
  moments('var_samp', ['variance'], 'Sample variance of x; NULL below 2 values.'),
  moments('var_pop', [], 'Population variance of x.'),
  coMoments('covar_samp', 'Sample covariance of (y, x) over rows where both are non-NULL; NULL below 2 rows.'),
  coMoments('covar_pop', 'Population covariance of (y, x) over rows where both are non-NULL.'),
  coMoments('corr', 'Pearson correlation of (y, x); NaN when either is constant.'),
  argExt('arg_min', ['argmin', 'min_by'], 'arg at the row with the least val (rows where arg or val is NULL are skipped).'),
  argExt('arg_max', ['argmax', 'max_by'], 'arg at the row with the greatest val (rows where arg or val is NULL are skipped).'),
  {
    name: 'percentile_cont', aliases: [], signature: 'percentile_cont(q) WITHIN GROUP (ORDER BY x [DESC]) → DOUBLE | DECIMAL | TIMESTAMP', state: 'all values (holistic)',
    doc: 'Interpolated q-quantile of x (decimals stay exact decimals, as DuckDB).',
    bind(i) {
      arity(i, 1);
      if (i.orderBy.length !== 1) i.fail(`${i.name}() needs WITHIN GROUP (ORDER BY x) with one expression`);
      return quantile('quantile_cont', i, i.orderBy[0]!.e, fraction(i, i.args[0]!), i.orderBy[0]!.desc);
    },
  },
  {
    name: 'percentile_disc', aliases: [], signature: 'percentile_disc(q) WITHIN GROUP (ORDER BY x [DESC]) → type of x', state: 'all values (holistic)',
    doc: 'The first value of x (in order) whose cumulative share reaches q.',
    bind(i) {
      arity(i, 1);
      if (i.orderBy.length !== 1) i.fail(`${i.name}() needs WITHIN GROUP (ORDER BY x) with one expression`);
      return quantile('quantile_disc', i, i.orderBy[0]!.e, fraction(i, i.args[0]!), i.orderBy[0]!.desc);
    },
  },
  {
    name: 'quantile_cont', aliases: [], signature: 'quantile_cont(x, q) → DOUBLE | DECIMAL | TIMESTAMP', state: 'all values (holistic)',
    doc: "DuckDB's spelling of percentile_cont(q) WITHIN GROUP (ORDER BY x).",
    bind(i) { arity(i, 2); noOrder(i); return quantile('quantile_cont', i, i.args[0]!, fraction(i, i.args[1]!), false); },
  },
  {
    name: 'quantile_disc', aliases: ['quantile'], signature: 'quantile_disc(x, q) → type of x', state: 'all values (holistic)',
    doc: "DuckDB's spelling of percentile_disc(q) WITHIN GROUP (ORDER BY x).",
    bind(i) { arity(i, 2); noOrder(i); return quantile('quantile_disc', i, i.args[0]!, fraction(i, i.args[1]!), false); },
  },
  {
    name: 'median', aliases: [], signature: 'median(x) → DOUBLE | DECIMAL | TIMESTAMP | type of x', state: 'all values (holistic)',
    doc: 'quantile_cont(x, 0.5) for numbers, dates and timestamps; quantile_disc(x, 0.5) for other types.',
    bind(i) {
      arity(i, 1); noOrder(i);
      const x = i.args[0]!;
      const cont = isNumeric(x.type) || TEMPORAL.has(x.type) || x.type === 'null';
      return quantile(cont ? 'quantile_cont' : 'quantile_disc', i, x, { num: 1, den: 2 }, false);
    },
  },
  {
    name: 'approx_quantile', aliases: [], signature: 'approx_quantile(x, q) → type of x (integers) | DOUBLE', state: 'a T-digest (≤ ~100 centroids) as text',
    doc: 'Estimated q-quantile of x from a T-digest in bounded memory (rounded for integers); exact interpolation for groups of ≤ 100 values.',
    bind(i) {
      arity(i, 2); noOrder(i); noDistinct(i);
      const x = i.args[0]!;
      if (x.type !== 'int32' && x.type !== 'int64' && x.type !== 'float64') throw unsupported(`approx_quantile over ${x.type} (use quantile_cont)`);
      return { fn: 'approx_quantile', arg: x, distinct: false, type: x.type, param: fraction(i, i.args[1]!) };
    },
  },
  {
    name: 'approx_count_distinct', aliases: [], signature: 'approx_count_distinct(x ANY) → BIGINT', state: 'a HyperLogLog sketch (sparse, then 2^12 registers)',
    doc: 'Estimated number of distinct non-NULL x (HyperLogLog, ±1.6%; exact for small groups up to hash collisions).',
    bind(i) {
      arity(i, 1); noOrder(i);
      return call('approx_count_distinct', i.args[0]!, false);
    },
  },
  {
    name: 'string_agg', aliases: ['listagg', 'group_concat'], signature: "string_agg(x, sep = ',' [ORDER BY …]) → VARCHAR", state: 'all values with their order keys (holistic)',
    doc: 'The non-NULL values of x (as text) joined by sep, in the ORDER BY order.',
    bind(i) {
      arity(i, 1, 2);
      const x = toStr(i.args[0]!);
      let sep = ',';
      if (i.args.length === 2) {
        const lit = constant(i, i.args[1]!, 'separator string');
        if (typeof lit.v !== 'string') i.fail(`${i.name}() needs a non-NULL string separator`);
        sep = lit.v as string;
      }
      if (i.distinct && i.orderBy.some((o) => !exprEquals(o.e, i.args[0]!))) {
        i.fail(`in ${i.name}(DISTINCT …), ORDER BY expressions must be the argument`);
      }
      const out: AggCall = { fn: 'string_agg', arg: x, distinct: i.distinct, type: 'string', param: sep };
      if (i.orderBy.length) {
        out.extra = i.orderBy.map((o) => o.e);
        out.order = i.orderBy.map((o) => ({ desc: o.desc, nullsFirst: o.nullsFirst }));
      }
      return out;
    },
  },
  {
    name: 'array_agg', aliases: ['list'], signature: 'array_agg(x) → LIST', state: '—',
    doc: 'Not supported yet: the engine has no LIST values.',
    bind() { throw unsupported('array_agg (LIST values)'); },
  },
];

const BY_NAME = new Map<string, AggregateDef>();
for (const d of AGGREGATES) for (const n of [d.name, ...d.aliases]) BY_NAME.set(n, d);

/** The aggregate named (or aliased) `name` (lower case), if any. */
export function findAggregate(name: string): AggregateDef | undefined {
  return BY_NAME.get(name);
}

export function isAggregateName(name: string): boolean {
  return BY_NAME.has(name);
}
