/**
 * Numeric functions of the registry, with DuckDB's result types: decimals and integers stay
 * exact (computed on BigInt unscaled values, OUT_OF_RANGE when a result leaves its type, never
 * rounded), doubles follow IEEE 754. `round` rounds half away from zero (as DuckDB).
 * Pure kernels; no allocation beyond the output except on the row-by-row path (kernel.ts).
 */

import { LakehouseError } from '../../connectors/errors.js';
import { exactBound, pow10n } from '../compute/exact.js';
import { decimalParts, decimalType, isDecimal, isIntegral, type DataType, type Expr, type Scalar } from '../plan/types.js';
import { arith, coerce } from '../plan/typing.js';
import { arity, call, constInt, dbl, num } from './bind-util.js';
import { rowwise } from './kernel.js';
import type { BindTools, ScalarFunction } from './types.js';

const big = (x: Scalar): bigint => (typeof x === 'bigint' ? x : BigInt(x as number));

function checked(x: bigint, type: DataType, what: string): bigint {
  const bound = exactBound(type);
  if (bound !== null && (x > bound || x < -bound)) {
    throw new LakehouseError('OUT_OF_RANGE', `${what}: the result ${x} does not fit ${type}`, { help: 'CAST the argument to a wider type (BIGINT, DECIMAL(38,S)) first.' });
  }
  return x;
}

/** Rounds unscaled `x` by `drop` decimal digits, half away from zero. */
function roundDigits(x: bigint, drop: number): bigint {
  if (drop <= 0) return x;
  const k = pow10n(drop);
  let q = x / k;
  const r = x - q * k;
  if ((r < 0n ? -r : r) * 2n >= k) q += x < 0n ? -1n : 1n;
  return q;
}

function floorDiv(x: bigint, k: bigint, ceil: boolean): bigint {
  let q = x / k;
  const r = x - q * k;
  if (r !== 0n && (ceil ? x > 0n : x < 0n)) q += ceil ? 1n : -1n;
  return q;
}

/** C's round (half away from zero). */
const cRound = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

/** DuckDB's round(DOUBLE, n): scale, round half away from zero, scale back (the same double operations). */
function roundDouble(x: number, n: number): number {
  if (n < 0) {
    const m = 10 ** -n;
    const r = cRound(x / m) * m;
    return Number.isFinite(r) ? r : 0;
  }
  const m = 10 ** n;
  const r = cRound(x * m) / m;
  return Number.isFinite(r) ? r : x;
}

function domain(what: string): LakehouseError {
  return new LakehouseError('OUT_OF_RANGE', what, { help: 'Filter the rows out first (WHERE x > 0) or guard with CASE.' });
}

const d1 = (name: string, fn: (x: number) => number, doc: string, aliases?: string[]): ScalarFunction => ({
  name, family: 'math', signature: `${name}(x DOUBLE) → DOUBLE`, doc, ...(aliases ? { aliases } : {}),
  bind(args, t) { arity(args, t, 1); return call(name, [dbl(args[0]!, t)], 'float64'); },
  kernel(_e, args) { return rowwise('float64', (x) => fn(x as number))(args); },
});

/** floor / ceil / trunc: decimals to scale 0 (exact), doubles as doubles, integers as DuckDB (DOUBLE for floor/ceil). */
function toWhole(name: 'floor' | 'ceil' | 'trunc', aliases: string[], doc: string): ScalarFunction {
  const fd = name === 'floor' ? Math.floor : name === 'ceil' ? Math.ceil : Math.trunc;
  return {
    name, aliases, family: 'math', signature: `${name}(x NUMERIC) → NUMERIC`, doc,
    bind(args, t) {
      arity(args, t, 1);
      const x = num(args[0]!, t);
      const d = decimalParts(x.type);
      if (d) return call(name, [x], decimalType(d.precision, 0));
      if (isIntegral(x.type)) return name === 'trunc' ? x : call(name, [coerce(x, 'float64')], 'float64');
      return call(name, [x], 'float64');
    },
    kernel(e, args) {
      const d = decimalParts(e.args[0]!.type);
      if (!d) return rowwise('float64', (x) => fd(x as number))(args);
      const k = pow10n(d.scale);
      return rowwise(e.type, (x) => (name === 'trunc' ? big(x) / k : floorDiv(big(x), k, name === 'ceil')))(args);
    },
  };
}

function bindRound(args: Expr[], t: BindTools): Expr {
  arity(args, t, 1, 2);
  const x = num(args[0]!, t);
  const n = args.length > 1 ? constInt(args[1]!, t, 'number of digits') : 0;
  if (n === null) return { k: 'lit', v: null, type: x.type };
  const nLit: Expr = { k: 'lit', v: n, type: 'int32' };
  const d = decimalParts(x.type);
  if (d) {
    if (n >= d.scale) return x;
    return call('round', [x, nLit], decimalType(d.precision, Math.max(0, n)));
  }
  if (isIntegral(x.type)) return n >= 0 ? x : call('round', [x, nLit], x.type);
  return call('round', [x, nLit], 'float64');
}

export const MATH_FUNCTIONS: ScalarFunction[] = [
  {
    name: 'round', family: 'math', signature: 'round(x NUMERIC[, digits INTEGER]) → NUMERIC',
    doc: 'x rounded to `digits` decimal places (default 0; negative rounds to tens, hundreds…), half away from zero. Decimals stay exact: DECIMAL(P,S) becomes DECIMAL(P,digits).',
    bind: bindRound,
    kernel(e, args) {
      const n = Number((e.args[1] as Extract<Expr, { k: 'lit' }>).v);
      const from = e.args[0]!.type;
      if (from === 'float64') return rowwise('float64', (x) => roundDouble(x as number, n))(args);
      const scale = decimalParts(from)?.scale ?? 0;
      // Round away `scale - n` digits; a negative n puts the zeros back at scale 0.
      const back = n < 0 ? pow10n(-n) : 1n;
      return rowwise(e.type, (x) => checked(roundDigits(big(x), scale - n) * back, e.type, 'round()'))([args[0]!]);
    },
  },
  toWhole('floor', [], 'The largest whole number ≤ x (decimals: exact DECIMAL(P,0); integers: DOUBLE, as DuckDB).'),
  toWhole('ceil', ['ceiling'], 'The smallest whole number ≥ x (decimals: exact DECIMAL(P,0); integers: DOUBLE, as DuckDB).'),
  toWhole('trunc', [], 'x with its fraction dropped (toward zero); integers unchanged.'),
  {
    name: 'abs', family: 'math', signature: 'abs(x NUMERIC) → NUMERIC',
    doc: 'The absolute value, of the same type (OUT_OF_RANGE for the most negative integer).',
    bind(args, t) { arity(args, t, 1); const x = num(args[0]!, t); return call('abs', [x], x.type); },
    kernel(e, args) {
      if (e.type === 'float64') return rowwise('float64', (x) => Math.abs(x as number))(args);
      return rowwise(e.type, (x) => { const b = big(x); return checked(b < 0n ? -b : b, e.type, 'abs()'); })(args);
    },
  },
  {
    name: 'sign', family: 'math', signature: 'sign(x NUMERIC) → INTEGER',
    doc: '-1, 0 or 1 by the sign of x (DuckDB types it TINYINT).',
    bind(args, t) { arity(args, t, 1); return call('sign', [num(args[0]!, t)], 'int32'); },
    kernel(e, args) {
      if (e.args[0]!.type === 'float64') return rowwise('int32', (x) => (Number.isNaN(x) ? 0 : Math.sign(x as number) + 0))(args);
      return rowwise('int32', (x) => { const b = big(x); return b > 0n ? 1 : b < 0n ? -1 : 0; })(args);
    },
  },
  {
    name: 'power', aliases: ['pow'], family: 'math', signature: 'power(x DOUBLE, y DOUBLE) → DOUBLE', doc: 'x raised to the power y.',
    bind(args, t) { arity(args, t, 2); return call('power', args.map((a) => dbl(a, t)), 'float64'); },
    kernel(_e, args) { return rowwise('float64', (x, y) => (x as number) ** (y as number))(args); },
  },
  d1('sqrt', (x) => { if (x < 0) throw domain('cannot take square root of a negative number'); return Math.sqrt(x); }, 'The square root (OUT_OF_RANGE for negative x, as DuckDB).'),
  d1('cbrt', Math.cbrt, 'The cube root.'),
  d1('exp', Math.exp, 'e raised to the power x.'),
  d1('ln', (x) => logOf(x, Math.log), 'The natural logarithm (OUT_OF_RANGE for x ≤ 0, as DuckDB).'),
  d1('log10', (x) => logOf(x, Math.log10), 'The base-10 logarithm.'),
  d1('log2', (x) => logOf(x, Math.log2), 'The base-2 logarithm.'),
  {
    name: 'log', family: 'math', signature: 'log([base DOUBLE,] x DOUBLE) → DOUBLE',
    doc: 'The base-10 logarithm of x (as DuckDB; Spark\'s log(x) is natural), or log to `base` with two arguments.',
    bind(args, t) { arity(args, t, 1, 2); return call('log', args.map((a) => dbl(a, t)), 'float64'); },
    kernel(_e, args) {
      if (args.length === 1) return rowwise('float64', (x) => logOf(x as number, Math.log10))(args);
      return rowwise('float64', (b, x) => logOf(x as number, Math.log) / logOf(b as number, Math.log))(args);
    },
  },
  {
    name: 'pi', family: 'math', signature: 'pi() → DOUBLE', doc: 'π.',
    bind(args, t) { arity(args, t, 0); return { k: 'lit', v: Math.PI, type: 'float64' }; },
  },
  {
    name: 'mod', family: 'math', signature: 'mod(x NUMERIC, y NUMERIC) → NUMERIC',
    doc: 'The remainder of x / y with the sign of x (same as `%`); NULL when y is 0.',
    bind(args, t) { arity(args, t, 2); return arith('%', num(args[0]!, t), num(args[1]!, t)); },
  },
  {
    name: 'divide', family: 'math', signature: 'divide(x NUMERIC, y NUMERIC) → NUMERIC',
    doc: 'Integer division, the same as `x // y`: integers divide truncating toward zero (NULL when y is 0, OUT_OF_RANGE for the minimum BIGINT // -1); other numbers divide as `/` (DuckDB).',
    bind(args, t) { arity(args, t, 2); return bindIntDiv(num(args[0]!, t), num(args[1]!, t)); },
    kernel(e, args) {
      return rowwise(e.type, (x, y) => {
        const b = big(y);
        if (b === 0n) return null;
        return checked(big(x) / b, e.type, 'integer division');
      })(args);
    },
  },
];

function logOf(x: number, f: (x: number) => number): number {
  if (x === 0) throw domain('cannot take logarithm of zero');
  if (x < 0) throw domain('cannot take logarithm of a negative number');
  return f(x);
}

/** `a // b` (DuckDB): integers truncate toward zero; anything else is the ordinary division. */
export function bindIntDiv(l: Expr, r: Expr): Expr {
  const li = isIntegral(l.type) || l.type === 'null';
  const ri = isIntegral(r.type) || r.type === 'null';
  if (li && ri && !(l.type === 'null' && r.type === 'null')) {
    return call('divide', [coerce(l, l.type === 'null' ? 'int64' : l.type), coerce(r, r.type === 'null' ? 'int64' : r.type)], 'int64');
  }
  if (isDecimal(l.type) || isDecimal(r.type) || l.type === 'float64' || r.type === 'float64') return arith('/', l, r);
  return arith('/', l, r);
}
