/**
 * Exact literal values for scan predicates: every number a predicate compares with an integer,
 * decimal, date, time or timestamp column is turned into an exact rational first and then placed
 * on the column's grid (its unscaled integers) with the comparison adjusted, so that
 * `price < 1.005` on a decimal(10,2) column becomes `unscaled <= 100` — never a rounded literal
 * that could prune a file holding a matching row. Pure and synchronous.
 *
 * Values a caller may give (see `Predicate` in expressions.ts):
 * - `{ unscaled: bigint, scale: number }` — the exact decimal unscaled / 10^scale;
 * - `{ num: bigint, den: bigint }` — the exact rational num / den (den > 0);
 * - a `bigint` — for a decimal column the unscaled value (the project's Iceberg value convention),
 *   otherwise the integer itself (days, µs or ns for dates/times/timestamps, as the column's unit);
 * - a finite `number` — read as its shortest decimal text (`0.1` is one tenth), which is what a
 *   user who types a number means;
 * - decimal text (`'12.345'`, `'1e-3'`), dates `'YYYY-MM-DD'` and timestamps
 *   `'YYYY-MM-DD HH:MM:SS.fffffffff[Z|±HH:MM]'` (read exactly, to the nanosecond), `Date`s.
 *
 * Also the catalog's one value order (`compareValues`): numbers and bigints exactly, strings by
 * code point — the order of their UTF-8 bytes, the same as the engine's `cmpStr` — bytes unsigned.
 */

import { LakehouseError } from '../connectors/errors.js';
import { parseDecimal, type PrimitiveType } from '../connectors/iceberg-types.js';
import type { IcebergValue } from '../connectors/single-value.js';

/** An exact rational num / den with den > 0. */
export interface Ratio {
  num: bigint;
  den: bigint;
}

/** The exact decimal unscaled / 10^scale. */
export interface ExactDecimal {
  unscaled: bigint;
  scale: number;
}

export type GridOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';

/** A comparison placed on a column's integer grid: an op with an integer, or a constant outcome. */
export type GridLeaf = { op: GridOp; k: bigint } | { op: 'true' | 'false' | 'not-null' };

const POW10: bigint[] = [1n];
function pow10(k: number): bigint {
  while (POW10.length <= k) POW10.push(POW10[POW10.length - 1]! * 10n);
  return POW10[k]!;
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

const DECIMAL_TEXT = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,5}))?\s*$/;

/** Exact value of decimal text ('-12.5', '1e-3', '.5'); undefined when it is not one. */
export function parseExactText(text: string): Ratio | undefined {
  const m = DECIMAL_TEXT.exec(text);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) return undefined;
  const digits = (m[2] ?? '') + (m[3] ?? '');
  let scale = (m[3] ?? '').length - (m[4] ? Number(m[4]) : 0);
  let num = BigInt(digits || '0');
  if (m[1] === '-') num = -num;
  if (scale < 0) {
    num *= pow10(-scale);
    scale = 0;
  }
  return { num, den: pow10(scale) };
}

/** The exact value of a double (every finite double is a binary fraction). */
export function doubleToRatio(x: number): Ratio {
  if (!Number.isFinite(x)) throw new LakehouseError('INTERNAL', `doubleToRatio(${x}): not a finite number`);
  if (Number.isInteger(x)) return { num: BigInt(x), den: 1n };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e = exp - 1075;
  if (exp === 0) e = -1074;
  else mant |= 1n << 52n;
  if (x < 0) mant = -mant;
  return e >= 0 ? { num: mant << BigInt(e), den: 1n } : { num: mant, den: 1n << BigInt(-e) };
}

/** The next double above (dir 1) or below (dir −1) a finite x. */
export function nextDouble(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, (x > 0) === (dir > 0) ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

/** The double nearest to num / den, correctly rounded (through decimal text); undefined when
 * den is not a power of ten (no exact text, so no rounding we could vouch for). */
export function ratioToDouble(r: Ratio): number | undefined {
  let k = 0;
  let d = r.den;
  while (d % 10n === 0n) {
    d /= 10n;
    k++;
  }
  if (d === 1n) {
    const neg = r.num < 0n;
    const s = (neg ? -r.num : r.num).toString().padStart(k + 1, '0');
    return Number(`${neg ? '-' : ''}${s.slice(0, s.length - k)}.${s.slice(s.length - k) || '0'}`);
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** A caller's numeric value as an exact rational; undefined when it is not numeric. `bigintScale`
 * says what a bare bigint means (a decimal column's bigints are unscaled). */
export function toRatio(v: unknown, bigintScale = 0): Ratio | undefined {
  if (typeof v === 'bigint') return { num: v, den: pow10(bigintScale) };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    if (Number.isSafeInteger(v)) return { num: BigInt(v), den: 1n };
    return parseExactText(String(v));
  }
  if (typeof v === 'string') return parseExactText(v);
  if (isRecord(v)) {
    if (typeof v.unscaled === 'bigint' && Number.isInteger(v.scale) && (v.scale as number) >= 0 && (v.scale as number) <= 1100) {
      return { num: v.unscaled, den: pow10(v.scale as number) };
    }
    if (typeof v.num === 'bigint' && typeof v.den === 'bigint' && v.den > 0n) return { num: v.num, den: v.den };
  }
  return undefined;
}

const TS_TEXT = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i;

/** Exact timestamp text in units of 1/perSecond seconds since the epoch (UTC unless an offset is given). */
export function parseTimestampText(text: string, perSecond: bigint): Ratio | undefined {
  const m = TS_TEXT.exec(text);
  if (!m) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : { num: BigInt(ms) * perSecond, den: 1000n };
  }
  const [y, mo, d, H, M, S] = m.slice(1, 7).map((x) => Number(x ?? '0')) as [number, number, number, number, number, number];
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0..99 as 1900..1999.
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(H, M, S, 0);
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d || H > 23 || M > 59 || S > 59) return undefined;
  let secs = BigInt(dt.getTime() / 1000);
  const tz = m[8];
  if (tz && tz.toUpperCase() !== 'Z') {
    const sign = tz.startsWith('-') ? -1n : 1n;
    const digits = tz.slice(1).replace(':', '');
    secs -= sign * (BigInt(Number(digits.slice(0, 2))) * 3600n + BigInt(Number(digits.slice(2) || '0')) * 60n);
  }
  const frac = m[7] ?? '';
  const den = pow10(frac.length);
  return { num: secs * perSecond * den + BigInt(frac || '0') * perSecond, den };
}

/** Scale of a column's grid: the decimal scale, 0 for the other integer-valued types. */
export function gridScale(type: PrimitiveType): number | undefined {
  const d = parseDecimal(type);
  if (d) return d.scale;
  switch (type) {
    case 'int': case 'long': case 'date': case 'time':
    case 'timestamp': case 'timestamptz': case 'timestamp_ns': case 'timestamptz_ns':
      return 0;
    default:
      return undefined;
  }
}

/** Inclusive range of a grid type's unscaled values. */
function gridRange(type: PrimitiveType): [bigint, bigint] {
  const d = parseDecimal(type);
  if (d) return [-(pow10(d.precision) - 1n), pow10(d.precision) - 1n];
  if (type === 'int' || type === 'date') return [-(2n ** 31n), 2n ** 31n - 1n];
  return [-(2n ** 63n), 2n ** 63n - 1n];
}

/**
 * `column op r` for a column whose values are integers g meaning g / 10^scale: the equivalent
 * comparison on g (an integer), or a constant outcome when none is needed. Exact: for an
 * integer g, g < 2.5 ⟺ g <= 2, g > 2.5 ⟺ g >= 3, g = 2.5 never holds, g ≠ 2.5 always does.
 */
export function onGrid(op: GridOp, r: Ratio, type: PrimitiveType): GridLeaf {
  const scale = gridScale(type) ?? 0;
  const n = r.num * pow10(scale);
  const floor = floorDiv(n, r.den);
  const exact = floor * r.den === n;
  let leaf: GridLeaf;
  if (exact) leaf = { op, k: floor };
  else {
    switch (op) {
      case 'lt': case 'lte': leaf = { op: 'lte', k: floor }; break;
      case 'gt': case 'gte': leaf = { op: 'gte', k: floor + 1n }; break;
      case 'eq': return { op: 'false' };
      case 'neq': return { op: 'not-null' };
    }
  }
  // A literal beyond every value of the type decides the comparison on its own.
  const [min, max] = gridRange(type);
  if (leaf.k > max) return leaf.op === 'lt' || leaf.op === 'lte' || leaf.op === 'neq' ? { op: 'not-null' } : { op: 'false' };
  if (leaf.k < min) return leaf.op === 'gt' || leaf.op === 'gte' || leaf.op === 'neq' ? { op: 'not-null' } : { op: 'false' };
  return leaf;
}

/** A grid integer in the column's value convention (int and date as numbers, the rest bigints). */
export function gridValue(type: PrimitiveType, k: bigint): number | bigint {
  return type === 'int' || type === 'date' ? Number(k) : k;
}

/** A caller's value for an integer-valued column as an exact rational in the column's units. */
export function gridRatio(type: PrimitiveType, v: unknown): Ratio | undefined {
  const dec = parseDecimal(type);
  if (dec) return toRatio(v, dec.scale);
  if (type === 'date') {
    if (v instanceof Date) return { num: BigInt(Math.floor(v.getTime() / 86_400_000)), den: 1n };
    if (typeof v === 'string' && /^\s*\d{4}-\d{2}-\d{2}\s*$/.test(v)) {
      const r = parseTimestampText(v, 1n);
      return r === undefined ? undefined : { num: floorDiv(r.num, r.den * 86_400n), den: 1n };
    }
    return typeof v === 'string' ? undefined : toRatio(v);
  }
  if (type.startsWith('timestamp')) {
    const perSecond = type.endsWith('_ns') ? 1_000_000_000n : 1_000_000n;
    if (v instanceof Date) return { num: BigInt(v.getTime()) * perSecond, den: 1000n };
    if (typeof v === 'string' && !DECIMAL_TEXT.test(v)) return parseTimestampText(v, perSecond);
    return toRatio(v);
  }
  return toRatio(v);
}

const utf8 = new TextEncoder();

/** Code points order (= UTF-8 byte order); UTF-16 code units differ above U+FFFF vs U+E000..U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (code points above U+FFFF) sort after U+E000..U+FFFF.
      if (x >= 0xd800 && y >= 0xd800) return (x >= 0xe000 ? x - 0x800 : x + 0x2000) - (y >= 0xe000 ? y - 0x800 : y + 0x2000);
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Unsigned byte order. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.byteLength - b.byteLength;
}

/** bigint vs any finite number, exactly (no rounding of either side). */
function compareBigNumber(x: bigint, y: number): number {
  if (y === Infinity) return -1;
  if (y === -Infinity) return 1;
  const f = Math.floor(y);
  const fb = BigInt(f);
  if (x !== fb) return x < fb ? -1 : 1;
  return f === y ? 0 : -1;
}

/**
 * Compares two non-null values of one Iceberg type: numbers and bigints exactly, strings by code
 * point, bytes unsigned, a string against bytes by its UTF-8 bytes (bounds truncated inside a
 * character stay bytes). NaN compares equal to everything here: callers keep NaN out.
 */
export function compareValues(a: IcebergValue, b: IcebergValue): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    if (typeof a === 'bigint' && typeof b === 'number') return Number.isNaN(b) ? 0 : compareBigNumber(a, b);
    if (typeof a === 'number' && typeof b === 'bigint') return Number.isNaN(a) ? 0 : -compareBigNumber(b, a);
    return 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    const x = typeof a === 'string' ? utf8.encode(a) : a;
    const y = typeof b === 'string' ? utf8.encode(b) : b;
    return x instanceof Uint8Array && y instanceof Uint8Array ? compareBytes(x, y) : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
