/**
 * Expression typing for the binder (docs/design.md, "Exact numbers"): literal types, the common
 * type of two operands, implicit casts, and the result types of comparisons and arithmetic.
 * Pure functions over bound expressions.
 *
 * Rules (DuckDB's, measured): an integer literal is INTEGER, else BIGINT, else DECIMAL(38,0);
 * a literal with a point is DECIMAL(P,S) with S its written fraction digits; an exponent makes a
 * DOUBLE. Integers meet decimals as DECIMAL(10,0) (INTEGER) / DECIMAL(19,0) (BIGINT).
 * `+ −`: DECIMAL(max S + max(P−S) + 1, max S); `×`: DECIMAL(P1+P2, S1+S2); `%`: DECIMAL(max(P−S)
 * + max S, max S); precision capped at 38. `/` is always DOUBLE. Any DOUBLE operand makes the
 * result DOUBLE. Operands of `+ − %` and of comparisons are brought to one scale here (exact
 * rescaling casts; literals are rescaled in place), so the kernels compare and add unscaled
 * integers directly.
 */

import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import { castScalar, parseTimestampExact } from '../compute/casts.js';
import { normalizeScalar } from '../compute/exact.js';
import {
  decimalParts, decimalType, isDecimal, isNumeric, isStringLike, MAX_DECIMAL_PRECISION, parseDateLiteral,
  type DataType, type Expr, type Scalar,
} from './types.js';

const US_PER_DAY = 86_400_000_000;

/** A numeric literal's bound form from its SQL text (`-` included). */
export function numberLiteral(text: string): Expr {
  if (/^[+-]?\d+$/.test(text)) {
    const v = BigInt(text);
    if (v >= -2147483648n && v <= 2147483647n) return { k: 'lit', v: Number(v), type: 'int32' };
    if (v >= -(2n ** 63n) && v < 2n ** 63n) return { k: 'lit', v: normalizeScalar(v), type: 'int64' };
    const digits = text.replace(/^[+-]?0*/, '').length;
    if (digits <= MAX_DECIMAL_PRECISION) return { k: 'lit', v, type: decimalType(MAX_DECIMAL_PRECISION, 0) };
    return { k: 'lit', v: Number(text), type: 'float64' };
  }
  const m = /^([+-]?)(\d*)\.(\d*)$/.exec(text);
  if (m && (m[2] !== '' || m[3] !== '')) {
    const intPart = m[2]!;
    const frac = m[3]!;
    const precision = Math.max(1, intPart.length + frac.length);
    if (precision <= MAX_DECIMAL_PRECISION) {
      const u = BigInt(`${m[1] === '-' ? '-' : ''}${intPart}${frac}` || '0');
      return { k: 'lit', v: normalizeScalar(u), type: decimalType(precision, frac.length) };
    }
  }
  const v = Number(text);
  if (Number.isNaN(v)) throw new LakehouseError('PLAN_ERROR', `invalid number ${text}`);
  return { k: 'lit', v, type: 'float64' };
}

/** Exact integer/decimal types as (integer digits, scale); `null` for every other type. */
function exactShape(t: DataType): { int: number; scale: number } | null {
  if (t === 'int32') return { int: 10, scale: 0 };
  if (t === 'int64') return { int: 19, scale: 0 };
  const d = decimalParts(t);
  return d ? { int: d.precision - d.scale, scale: d.scale } : null;
}

function isInt(t: DataType): boolean {
  return t === 'int32' || t === 'int64';
}

function capped(int: number, scale: number): DataType {
  return decimalType(Math.min(MAX_DECIMAL_PRECISION, Math.max(1, int + scale)), Math.min(scale, MAX_DECIMAL_PRECISION));
}

/** The common type of two operands (CASE, COALESCE, UNION, IN, comparisons). */
export function unify(a: DataType, b: DataType, where: string): DataType {
  if (a === b) return a;
  if (a === 'null') return b;
  if (b === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) {
    if (a === 'float64' || b === 'float64') return 'float64';
    if (isInt(a) && isInt(b)) return 'int64';
    const x = exactShape(a)!;
    const y = exactShape(b)!;
    return capped(Math.max(x.int, y.int), Math.max(x.scale, y.scale));
  }
  if ((a === 'date' && b === 'timestamp') || (a === 'timestamp' && b === 'date')) return 'timestamp';
  throw new LakehouseError('PLAN_ERROR', `type mismatch in ${where}: ${a} and ${b}`, { help: 'Add an explicit CAST.' });
}

/** A literal converted to `type` (strings parse as values of that type). */
export function literalAs(e: Extract<Expr, { k: 'lit' }>, type: DataType): Scalar {
  const v = e.v;
  if (v === null || e.type === type) return v;
  if (e.type === 'string' && typeof v === 'string') {
    if (type === 'date') return parseDateLiteral(v);
    if (type === 'timestamp') return parseTimestampExact(v);
    if (type === 'boolean') throw new LakehouseError('PLAN_ERROR', `type mismatch: cannot compare ${type} with string '${v}'`);
    try {
      return castScalar(v, 'string', type);
    } catch (err) {
      if (isNumeric(type)) throw new LakehouseError('PLAN_ERROR', `type mismatch: '${v}' is not a number${isDecimal(type) || isInt(type) ? ` of type ${type}` : ''}`, { help: (err as Error).message });
      throw new LakehouseError('PLAN_ERROR', `type mismatch: cannot compare ${type} with string '${v}'`, { help: (err as Error).message });
    }
  }
  if (isNumeric(e.type) && isNumeric(type)) return castScalar(v, e.type, type);
  if (e.type === 'date' && type === 'timestamp') return (v as number) * US_PER_DAY;
  throw new LakehouseError('PLAN_ERROR', `type mismatch: cannot use a ${e.type} literal as ${type}`);
}

/** `e` as a value of `type`: literals converted in place, everything else through a CAST. */
export function coerce(e: Expr, type: DataType): Expr {
  if (e.type === type) return e;
  if (e.k === 'lit') return { k: 'lit', v: literalAs(e, type), type };
  return { k: 'cast', e, type };
}

/**
 * Brings an exact operand to scale `scale` (the other side's): a literal is rescaled exactly;
 * anything else gets a CAST to a decimal wide enough for its integer digits.
 */
function toScale(e: Expr, scale: number): Expr {
  const s = exactShape(e.type);
  if (!s || s.scale === scale) return e;
  return coerce(e, capped(s.int, scale));
}

/** Aligns two numeric operands for `=`/`<`/`+`/…: one scale for exact pairs, DOUBLE when either is. */
function align(l: Expr, r: Expr): [Expr, Expr] {
  if (!isNumeric(l.type) || !isNumeric(r.type) || l.type === r.type) return [l, r];
  if (l.type === 'float64' || r.type === 'float64') return [coerce(l, 'float64'), coerce(r, 'float64')];
  const a = exactShape(l.type)!;
  const b = exactShape(r.type)!;
  if (a.scale === b.scale) return [l, r];
  // A literal whose extra fraction digits are zeros is rescaled down instead (keeps the column
  // untouched, so scans can still prune on it).
  const [hi, lo, hiIsL] = a.scale > b.scale ? [l, r, true] : [r, l, false];
  const loScale = Math.min(a.scale, b.scale);
  if (hi.k === 'lit' && hi.v !== null) {
    const down = tryCast(hi.v, hi.type, capped(exactShape(hi.type)!.int, loScale));
    // The trial rounding may carry past the narrower precision (9.5 → 10 in DECIMAL(1,0)):
    // then the literal is not exact at that scale and the column side is rescaled instead.
    if (down !== undefined && tryCast(down, capped(exactShape(hi.type)!.int, loScale), hi.type) === hi.v) {
      const lit: Expr = { k: 'lit', v: down, type: capped(exactShape(hi.type)!.int, loScale) };
      return hiIsL ? [lit, lo] : [lo, lit];
    }
  }
  const up = toScale(lo, Math.max(a.scale, b.scale));
  return hiIsL ? [hi, up] : [up, hi];
}

export type CmpFn = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export function compare(fn: CmpFn, l: Expr, r: Expr): Expr {
  // String literals next to dates/timestamps/numbers/uuids are read as values of that type.
  if (l.k === 'lit' && l.type === 'string' && r.type !== 'string' && r.type !== 'null') l = { k: 'lit', v: literalAs(l, r.type), type: r.type };
  if (r.k === 'lit' && r.type === 'string' && l.type !== 'string' && l.type !== 'null') r = { k: 'lit', v: literalAs(r, l.type), type: l.type };
  // A DATE against a TIMESTAMP constant at midnight (what `DATE '…' + INTERVAL …` folds to) compares
  // as dates — the same answer, and the date column stays prunable.
  if (l.type === 'date' && atMidnight(r)) r = { k: 'lit', v: Number((r as Extract<Expr, { k: 'lit' }>).v) / US_PER_DAY, type: 'date' };
  if (r.type === 'date' && atMidnight(l)) l = { k: 'lit', v: Number((l as Extract<Expr, { k: 'lit' }>).v) / US_PER_DAY, type: 'date' };
  if (isNumeric(l.type) && isNumeric(r.type)) {
    [l, r] = align(l, r);
  } else if (!(l.type === r.type || l.type === 'null' || r.type === 'null')) {
    const t = unify(l.type, r.type, `comparison ${fn}`);
    l = coerce(l, t);
    r = coerce(r, t);
  }
  return { k: 'call', fn, args: [l, r], type: 'boolean' };
}

function atMidnight(e: Expr): boolean {
  return e.k === 'lit' && e.type === 'timestamp' && typeof e.v === 'number' && e.v % US_PER_DAY === 0 && Math.abs(e.v / US_PER_DAY) <= 100_000_000;
}

function isIntegralOrNull(t: DataType): boolean {
  return t === 'int32' || t === 'int64' || t === 'null';
}

export function arith(op: '+' | '-' | '*' | '/' | '%', l: Expr, r: Expr): Expr {
  const fn = ({ '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod' } as const)[op];
  const lt = l.type;
  const rt = r.type;
  if (lt === 'date' && isIntegralOrNull(rt) && (op === '+' || op === '-')) return { k: 'call', fn, args: [l, r], type: 'date' };
  if (rt === 'date' && isIntegralOrNull(lt) && op === '+') return { k: 'call', fn, args: [l, r], type: 'date' };
  if (lt === 'date' && rt === 'date' && op === '-') return { k: 'call', fn, args: [l, r], type: 'int64' };
  const okL = isNumeric(lt) || lt === 'null';
  const okR = isNumeric(rt) || rt === 'null';
  if (!okL || !okR) {
    throw new LakehouseError('PLAN_ERROR', `type mismatch: cannot apply ${op} to ${lt} and ${rt}`, {
      help: 'Arithmetic needs numbers; CAST strings explicitly if they hold numbers.',
    });
  }
  // An untyped NULL takes the other side's type (both NULL: BIGINT).
  if (lt === 'null') l = { k: 'lit', v: null, type: rt === 'null' ? 'int64' : rt };
  if (rt === 'null') r = { k: 'lit', v: null, type: l.type };
  if (op === '/') return { k: 'call', fn, args: [coerce(l, 'float64'), coerce(r, 'float64')], type: 'float64' };
  if (l.type === 'float64' || r.type === 'float64') return { k: 'call', fn, args: [coerce(l, 'float64'), coerce(r, 'float64')], type: 'float64' };
  if (isInt(l.type) && isInt(r.type)) return { k: 'call', fn, args: [l, r], type: 'int64' };
  const a = exactShape(l.type)!;
  const b = exactShape(r.type)!;
  const scale = Math.max(a.scale, b.scale);
  const int = Math.max(a.int, b.int);
  if (op === '*') {
    if (a.scale + b.scale > MAX_DECIMAL_PRECISION) {
      throw new LakehouseError('PLAN_ERROR', `the product of ${l.type} and ${r.type} needs scale ${a.scale + b.scale}, more than ${MAX_DECIMAL_PRECISION}`, {
        help: 'CAST an operand to a decimal with a smaller scale first.',
      });
    }
    const p = a.int + a.scale + b.int + b.scale;
    return { k: 'call', fn, args: [l, r], type: decimalType(Math.min(MAX_DECIMAL_PRECISION, p), a.scale + b.scale) };
  }
  const type = op === '%' ? capped(int, scale) : capped(int + 1, scale);
  return { k: 'call', fn, args: [toScale(l, scale), toScale(r, scale)], type };
}

/** `x || y` and concat(): strings, with non-strings cast to VARCHAR (BLOBs refused). */
export function toStr(e: Expr): Expr {
  if (e.type === 'string') return e;
  if (e.type === 'binary') {
    throw new LakehouseError('PLAN_ERROR', 'string functions do not take BLOB values', { help: 'CAST the BLOB to VARCHAR first (it prints as \\xHH escapes).' });
  }
  if (e.k === 'lit' && e.v === null) return { k: 'lit', v: null, type: 'string' };
  return { k: 'cast', e, type: 'string' };
}

export function isStringType(t: DataType): boolean {
  return isStringLike(t);
}

/** castScalar, or `undefined` where the value does not fit the target (an out-of-range trial). */
function tryCast(v: Scalar, from: DataType, to: DataType): Scalar | undefined {
  try {
    return castScalar(v, from, to);
  } catch (err) {
    if (isLakehouseError(err, 'OUT_OF_RANGE')) return undefined;
    throw err;
  }
}
