/**
 * Argument checks shared by the registry's `bind` functions: arity, string/number/time operands,
 * constant arguments. Pure functions over bound expressions; errors go through the call's
 * BindTools so they carry the SQL position.
 */

import { isDecimal, isIntegral, isNumeric, type DataType, type Expr, type Scalar } from '../plan/types.js';
import { coerce, literalAs } from '../plan/typing.js';
import type { BindTools } from './types.js';

export function call(fn: string, args: Expr[], type: DataType): Expr {
  return { k: 'call', fn, args, type };
}

export function arity(args: Expr[], t: BindTools, min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    t.fail(`${t.name}() takes ${want} argument${max === 1 ? '' : 's'}, got ${args.length}`);
  }
}

/** A VARCHAR operand (an untyped NULL becomes a VARCHAR NULL). */
export function str(e: Expr, t: BindTools): Expr {
  if (e.type === 'null') return { k: 'lit', v: null, type: 'string' };
  if (e.type !== 'string') t.fail(`${t.name}() needs a string argument, got ${e.type}`, 'CAST the argument to VARCHAR.');
  return e;
}

/** An integer operand as BIGINT. */
export function int(e: Expr, t: BindTools): Expr {
  if (e.type === 'null') return { k: 'lit', v: null, type: 'int64' };
  if (!isIntegral(e.type)) t.fail(`${t.name}() needs an integer argument, got ${e.type}`);
  return coerce(e, 'int64');
}

/** A numeric operand (integers, decimals, doubles as they are). */
export function num(e: Expr, t: BindTools): Expr {
  if (e.type === 'null') return { k: 'lit', v: null, type: 'float64' };
  if (!isNumeric(e.type)) t.fail(`${t.name}() needs a numeric argument, got ${e.type}`);
  return e;
}

/** A DOUBLE operand. */
export function dbl(e: Expr, t: BindTools): Expr {
  return coerce(num(e, t), 'float64');
}

/** A date or timestamp operand; a string literal is read as a timestamp (DuckDB's implicit cast). */
export function time(e: Expr, t: BindTools): Expr {
  if (e.type === 'null') return { k: 'lit', v: null, type: 'timestamp' };
  if (e.type === 'string' && e.k === 'lit') return { k: 'lit', v: literalAs(e, 'timestamp'), type: 'timestamp' };
  if (e.type !== 'date' && e.type !== 'timestamp') t.fail(`${t.name}() needs a date or timestamp, got ${e.type}`);
  return e;
}

/** A constant string argument (a unit, a format, a flag string), lower-cased when asked. */
export function constStr(e: Expr, t: BindTools, what: string): string | null {
  if (e.k === 'lit' && e.v === null) return null;
  if (e.k !== 'lit' || typeof e.v !== 'string') t.unsupported(`${t.name}() with a non-constant ${what}`);
  return e.v;
}

export function constInt(e: Expr, t: BindTools, what: string): number | null {
  if (e.k === 'lit' && e.v === null) return null;
  if (e.k !== 'lit' || !isIntegral(e.type)) t.unsupported(`${t.name}() with a non-constant ${what}`);
  return Number(e.v as Scalar);
}

export function lit(v: Scalar, type: DataType): Expr {
  return { k: 'lit', v, type };
}

export function isDec(t: DataType): boolean {
  return isDecimal(t);
}
