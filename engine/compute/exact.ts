/**
 * Exact numbers: the shared helpers every kernel uses for integers, decimals and timestamps.
 * Pure and synchronous.
 *
 * Contract (docs/design.md, "Exact numbers"): a vector of an exact type is either `num`
 * (Float64Array; every value an integer within ±SAFE, so double arithmetic on it is exact as long
 * as each result is checked to stay within ±SAFE) or `big` (BigInts). A kernel computes in
 * doubles first and, when any result leaves ±SAFE, recomputes that vector with BigInts — the
 * common case pays one comparison per row. Results are then checked against their type's range
 * (int32, int64, decimal precision): leaving it is an `OUT_OF_RANGE` error, never a rounding.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { decimalParts, type DataType } from '../plan/types.js';
import type { BigValues, Valid, Vec } from './vec.js';

/** 2^53 − 1: the largest integer up to which every integer is a double. */
export const SAFE = Number.MAX_SAFE_INTEGER;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

const POW10_NUM: number[] = [];
const POW10_BIG: bigint[] = [];
for (let i = 0, p = 1n; i <= 77; i++, p *= 10n) {
  POW10_BIG.push(p);
  POW10_NUM.push(Number(p));
}

/** 10^k as a double (exact for k ≤ 22). */
export function pow10(k: number): number {
  return POW10_NUM[k]!;
}

/** 10^k as a BigInt. */
export function pow10n(k: number): bigint {
  const p = POW10_BIG[k];
  if (p === undefined) throw new LakehouseError('INTERNAL', `10^${k} is outside the decimal range`);
  return p;
}

/** The inclusive bound of a type's unscaled values: |v| ≤ bound. `null` when unbounded here
 * (float64, strings, booleans) — checks do not apply. */
export function exactBound(type: DataType): bigint | null {
  if (type === 'int32') return BigInt(INT32_MAX);
  if (type === 'int64' || type === 'timestamp') return INT64_MAX;
  if (type === 'date') return BigInt(INT32_MAX);
  const d = decimalParts(type);
  return d ? pow10n(d.precision) - 1n : null;
}

/** Out-of-range error in DuckDB's words (`Overflow in multiplication of INT64 (a * b)`). */
export function overflow(what: string, type: DataType, detail?: string): LakehouseError {
  return new LakehouseError('OUT_OF_RANGE', `Overflow in ${what} of ${typeLabel(type)}${detail ? ` (${detail})` : ''}`, {
    help: isDecimalish(type)
      ? 'The result has more digits than its decimal type holds: CAST the operands to a wider decimal (up to DECIMAL(38,S)) or to a smaller scale.'
      : 'CAST the operands to a wider type (BIGINT, or DECIMAL(38,0) for larger integers) before the operation.',
  });
}

function isDecimalish(t: DataType): boolean {
  return decimalParts(t) !== null;
}

/** SQL spelling of a type for messages: INTEGER, BIGINT, DECIMAL(10,2)… */
export function typeLabel(t: DataType): string {
  const d = decimalParts(t);
  if (d) return `DECIMAL(${d.precision},${d.scale})`;
  switch (t) {
    case 'int32': return 'INTEGER';
    case 'int64': return 'BIGINT';
    case 'float64': return 'DOUBLE';
    case 'string': return 'VARCHAR';
    case 'boolean': return 'BOOLEAN';
    case 'date': return 'DATE';
    case 'timestamp': return 'TIMESTAMP';
    default: return t.toUpperCase();
  }
}

/** The values of an exact vector as BigInts (a copy for `num`; the array itself for `big`). */
export function toBigValues(v: Extract<Vec, { t: 'num' | 'big' }>, n: number): BigValues {
  if (v.t === 'big') return v.values;
  const out: bigint[] = new Array<bigint>(n);
  const s = v.values;
  const valid = v.valid;
  for (let i = 0; i < n; i++) out[i] = valid !== null && valid[i] === 0 ? 0n : BigInt(s[i]!);
  return out;
}

/**
 * An exact vector from BigInt results: checked against the type's range (valid rows only;
 * `what` names the operation for the error), and narrowed back to `num` when every value fits a
 * double exactly (so later kernels take the fast path again).
 */
export function fromBigValues(values: BigValues, type: DataType, valid: Valid, n: number, what: string): Vec {
  const bound = exactBound(type);
  let fits = true;
  const safe = BigInt(SAFE);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const x = values[i]!;
    if (bound !== null && (x > bound || x < -bound - (type === 'int64' || type === 'timestamp' ? 1n : type === 'int32' ? 1n : 0n))) {
      throw overflow(what, type, String(x));
    }
    if (x > safe || x < -safe) fits = false;
  }
  if (!fits) return { t: 'big', type, values, valid };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = valid !== null && valid[i] === 0 ? 0 : Number(values[i]!);
  return { t: 'num', type, values: out, valid };
}

/** True when every valid value of a double result is within ±SAFE (the fast path held). */
export function allSafe(values: Float64Array, valid: Valid, n: number): boolean {
  let m = 0;
  if (valid === null) {
    for (let i = 0; i < n; i++) { const x = values[i]!; const a = x < 0 ? -x : x; if (a > m) m = a; }
  } else {
    for (let i = 0; i < n; i++) { const x = values[i]!; const a = x < 0 ? -x : x; if (valid[i] && a > m) m = a; }
  }
  // `m !== m` catches NaN (Infinity − Infinity, 0 · Infinity can only come from overflowed input).
  return m <= SAFE && m === m;
}

/** One value of an exact vector as a BigInt. */
export function bigAt(v: Extract<Vec, { t: 'num' | 'big' }>, i: number): bigint {
  return v.t === 'big' ? v.values[i]! : BigInt(v.values[i]!);
}

/** A scalar exact value as a BigInt (numbers must be integers). */
export function scalarToBig(x: number | bigint): bigint {
  if (typeof x === 'bigint') return x;
  if (!Number.isInteger(x)) throw new LakehouseError('INTERNAL', `exact scalar ${x} is not an integer`);
  return BigInt(x);
}

/** The canonical scalar of an exact value: a number when within ±SAFE, else the BigInt. */
export function normalizeScalar(x: bigint): number | bigint {
  return x <= BigInt(SAFE) && x >= -BigInt(SAFE) ? Number(x) : x;
}

/** Exact text of an unscaled decimal: formatDecimal(-5n, 2) = "-0.05" (DuckDB prints all S digits). */
export function formatDecimal(unscaled: number | bigint, scale: number): string {
  const x = typeof unscaled === 'bigint' ? unscaled : BigInt(unscaled);
  const neg = x < 0n;
  const digits = (neg ? -x : x).toString();
  if (scale === 0) return (neg ? '-' : '') + digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/**
 * Parses decimal text (`-12.345`, `1e-3`, ` 7 `) into the unscaled integer at `scale`, rounding
 * half away from zero as DuckDB and Spark do. `null` when the text is not a number; the caller
 * checks the precision.
 */
export function parseDecimalText(text: string, scale: number): bigint | null {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const neg = m[1] === '-';
  let intPart = m[2] ?? '';
  let frac = m[3] ?? '';
  let exp = m[4] ? Number(m[4]) : 0;
  // Move the decimal point by the exponent.
  while (exp > 0) { intPart += frac.charAt(0) || '0'; frac = frac.slice(1); exp--; }
  while (exp < 0) { frac = (intPart.slice(-1) || '0') + frac; intPart = intPart.slice(0, -1); exp++; }
  const kept = (frac + '0'.repeat(scale)).slice(0, scale);
  const rest = frac.slice(scale);
  let x = BigInt((intPart || '0') + kept);
  if (rest.length > 0 && rest.charCodeAt(0) >= 53 /* '5' */) x += 1n;
  return neg ? -x : x;
}

/** Rescales an unscaled value from scale `from` to scale `to`, rounding half away from zero. */
export function rescaleBig(x: bigint, from: number, to: number): bigint {
  if (to >= from) return x * pow10n(to - from);
  const d = pow10n(from - to);
  const q = x / d;
  const r = x % d;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= d) return x < 0n ? q - 1n : q + 1n;
  return q;
}

/** The double nearest to unscaled / 10^scale (correctly rounded even for 38-digit values). */
export function decimalToDouble(unscaled: number | bigint, scale: number): number {
  if (typeof unscaled === 'number' && scale <= 22) return unscaled / pow10(scale);
  return Number(formatDecimal(unscaled, scale));
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * The double nearest to n / d (round half to even), for BigInt n and d ≠ 0: one correctly
 * rounded quotient however wide the operands (avg of a 38-digit decimal sum over its count
 * × 10^S). The quotient is formed with 55–56 significant bits plus a sticky bit for a non-zero
 * remainder, so `Number()`'s own round-half-even rounds it exactly once.
 */
export function ratioToDouble(n: bigint, d: bigint): number {
  if (d === 0n) throw new LakehouseError('INTERNAL', 'ratioToDouble: division by zero');
  if (n === 0n) return 0;
  const neg = (n < 0n) !== (d < 0n);
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const k = 55 - (bitLength(an) - bitLength(ad));
  const num = k > 0 ? an << BigInt(k) : an;
  const den = k < 0 ? ad << BigInt(-k) : ad;
  let q = num / den;
  if (num % den !== 0n) q |= 1n;
  const r = Number(q) * 2 ** -k;
  return neg ? -r : r;
}
