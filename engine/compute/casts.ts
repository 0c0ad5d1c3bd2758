/**
 * CAST between engine types, over whole vectors (string sources: once per distinct value that a
 * valid row uses). Pure and synchronous.
 *
 * Semantics follow DuckDB (measured): decimal ↔ decimal and decimal → integer round half away
 * from zero; double → integer rounds half to even; double → decimal rounds `x · 10^S` half away
 * from zero; a value outside the target type is OUT_OF_RANGE (never wrapped or clamped); text
 * that is not a value of the target type is CONVERSION_ERROR. Decimals print all S digits,
 * 64-bit integers print exactly, BLOBs print as DuckDB does (`\xAA\x01abc`), TIME as
 * `HH:MM:SS[.ffffff]` without trailing zeros.
 */

import { LakehouseError } from '../../connectors/errors.js';
import {
  decimalParts, formatDate, formatTimestamp, isStringLike, parseDateLiteral, parseTimestampLiteral,
  type DataType, type Scalar,
} from '../plan/types.js';
import {
  decimalToDouble, exactBound, formatDecimal, INT64_MAX, INT64_MIN, normalizeScalar, parseDecimalText, pow10, pow10n, rescaleBig, SAFE, typeLabel,
} from './exact.js';
import type { BigValues, Valid, Vec } from './vec.js';

export type Const = { t: 'const'; v: Scalar; type: DataType };
export type Val = Vec | Const;

const US_PER_DAY = 86_400_000_000;

/** A constant as a full vector of n rows. */
export function toVec(v: Val, n: number): Vec {
  if (v.t !== 'const') return v;
  const valid = v.v === null ? new Uint8Array(n) : null;
  if (isStringLike(v.type)) return { t: 'str', codes: new Int32Array(n), dict: [v.v === null ? '' : String(v.v)], valid };
  if (v.type === 'boolean') return { t: 'bool', values: new Uint8Array(n).fill(v.v ? 1 : 0), valid };
  if (typeof v.v === 'bigint') return { t: 'big', type: v.type, values: new Array<bigint>(n).fill(v.v), valid };
  return { t: 'num', type: v.type, values: new Float64Array(n).fill(typeof v.v === 'number' ? v.v : 0), valid };
}

/** Row 0 of a vector as a scalar. */
export function scalarAt(v: Vec, i: number): Scalar {
  if (v.valid !== null && !v.valid[i]) return null;
  if (v.t === 'str') return v.dict[v.codes[i]!]!;
  if (v.t === 'bool') return v.values[i] === 1;
  if (v.t === 'big') return normalizeScalar(v.values[i]!);
  return v.values[i]!;
}

export function buildStrings(n: number, valid: Valid, at: (i: number) => string): Vec {
  const dict: string[] = [];
  const ids = new Map<string, number>();
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    const s = at(i);
    let id = ids.get(s);
    if (id === undefined) { id = dict.length; dict.push(s); ids.set(s, id); }
    codes[i] = id;
  }
  return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
}

function conversion(msg: string): LakehouseError {
  return new LakehouseError('CONVERSION_ERROR', msg, { help: 'Fix the value or filter the row out before the CAST.' });
}

function outOfRange(from: DataType, value: string, to: DataType): LakehouseError {
  return new LakehouseError('OUT_OF_RANGE', `Type ${typeLabel(from)} with value ${value} can't be cast because the value is out of range for the destination type ${typeLabel(to)}`, {
    help: 'CAST to a wider type (BIGINT, DECIMAL(38,S), DOUBLE) or filter the row out.',
  });
}

function decimalOutOfRange(value: string, to: DataType): LakehouseError {
  return new LakehouseError('OUT_OF_RANGE', `Casting value "${value}" to type ${typeLabel(to)} failed: value is out of range!`, {
    help: 'CAST to a decimal with more digits before the point (a larger precision, up to 38) or a smaller scale.',
  });
}

function refuse(from: DataType, to: DataType): LakehouseError {
  return new LakehouseError('PLAN_ERROR', `cannot cast ${typeLabel(from)} to ${typeLabel(to)}`, { help: 'CAST through VARCHAR or use a function that converts between these types.' });
}

/** Text of one exact or double value of `type` (the VARCHAR cast). */
export function formatValue(x: number | bigint, type: DataType): string {
  const d = decimalParts(type);
  if (d) return formatDecimal(x, d.scale);
  if (type === 'date') return formatDate(Number(x));
  if (type === 'timestamp') {
    // DuckDB drops trailing zeros of the fraction (`…00:00:00.5`).
    const t = typeof x === 'bigint' ? formatTimestampBig(x) : formatTimestamp(x);
    return t.includes('.') ? t.replace(/0+$/, '') : t;
  }
  if (type === 'time') return formatTime(Number(x));
  if (type === 'float64') return formatDouble(Number(x));
  return String(x);
}

/** A timestamp beyond ±2^53 µs, exactly: the day by BigInt division, then the time of day. */
function formatTimestampBig(us: bigint): string {
  const day = 86_400_000_000n;
  let days = us / day;
  if (us % day < 0n) days -= 1n;
  const rest = Number(us - days * day);
  const t = formatTimestamp(rest);
  return `${formatDate(Number(days))}${t.slice(t.indexOf(' '))}`;
}

function formatDouble(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return String(x);
}

/** `HH:MM:SS[.ffffff]` (trailing zeros of the fraction dropped, as DuckDB prints TIME). */
export function formatTime(micros: number | bigint): string {
  const us = Number(micros);
  const s = Math.floor(us / 1_000_000);
  const frac = us - s * 1_000_000;
  const p2 = (x: number): string => String(x).padStart(2, '0');
  const base = `${p2(Math.floor(s / 3600))}:${p2(Math.floor(s / 60) % 60)}:${p2(s % 60)}`;
  return frac ? `${base}.${String(frac).padStart(6, '0').replace(/0+$/, '')}` : base;
}

/** Microseconds since midnight for `HH:MM[:SS[.ffffff]]` (24:00:00 allowed, as DuckDB). */
export function parseTime(text: string): number {
  const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?\s*$/.exec(text);
  const bad = (): LakehouseError => conversion(`time field value out of range: "${text}", expected format is HH:MM:SS[.ffffff]`);
  if (!m) throw bad();
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const s = Number(m[3] ?? 0);
  const us = m[4] ? Number(m[4].padEnd(6, '0')) : 0;
  if (mi > 59 || s > 59 || h > 24 || (h === 24 && (mi || s || us))) throw bad();
  return ((h * 60 + mi) * 60 + s) * 1_000_000 + us;
}

const UUID_RE = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

/** Canonical lower-case 8-4-4-4-12 text of a UUID (hyphens and braces optional on input). */
export function parseUuid(text: string): string {
  const m = UUID_RE.exec(text.trim());
  if (!m) throw conversion(`Could not convert string '${text}' to UUID`);
  return m.slice(1, 6).join('-').toLowerCase();
}

/** A BLOB as DuckDB prints it: printable ASCII as is but for \ ' ", every other byte as `\xHH`. */
export function formatBlob(bytes: string): string {
  // DuckDB escapes \ ' " too, in its printer and in CAST(blob AS VARCHAR) alike (measured).
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    out += c >= 32 && c <= 126 && c !== 0x5c && c !== 0x27 && c !== 0x22 ? bytes[i]! : `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** VARCHAR → BLOB as DuckDB: ASCII as is, `\xHH` escapes; any other character is refused. */
export function parseBlob(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      const hex = text.slice(i + 1, i + 4);
      if (!/^x[0-9a-fA-F]{2}$/.test(hex)) throw conversion(`Invalid hex escape code encountered in string -> blob conversion of string "${text}"`);
      out += String.fromCharCode(parseInt(hex.slice(1), 16));
      i += 3;
    } else if (c > 127) {
      throw conversion(`Invalid byte encountered in STRING -> BLOB conversion of string "${text}". All non-ascii characters must be escaped with hex codes (e.g. \\xAA)`);
    } else out += text[i]!;
  }
  return out;
}

/**
 * Microseconds since the epoch for timestamp text, exact beyond ±2^53 (a BigInt there):
 * `parseTimestampLiteral` validates and computes in doubles, which round past the year 2255.
 */
export function parseTimestampExact(text: string): number | bigint {
  const approx = parseTimestampLiteral(text);
  if (Math.abs(approx) < 2 ** 52) return approx;
  const m = /^\s*(-?\d{1,6}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i.exec(text)!;
  const days = BigInt(parseDateLiteral(m[1]!));
  const frac = m[5] ? BigInt((m[5] + '000000').slice(0, 6)) : 0n;
  let us = days * 86_400_000_000n + (BigInt(m[2] ?? 0) * 3600n + BigInt(m[3] ?? 0) * 60n + BigInt(m[4] ?? 0)) * 1_000_000n + frac;
  if (m[6] && m[6].toUpperCase() !== 'Z') {
    const digits = m[6].slice(1).replace(':', '');
    const off = (BigInt(digits.slice(0, 2)) * 60n + BigInt(digits.slice(2))) * 60_000_000n;
    us -= m[6][0] === '-' ? -off : off;
  }
  return normalizeScalar(us);
}

/** Round half to even, as DuckDB casts doubles to integers (2.5 → 2, 3.5 → 4). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** One string parsed as a value of `to` (numbers as unscaled exact values or doubles). */
function parseText(s: string, to: DataType): number | bigint | boolean {
  const t = s.trim();
  const d = decimalParts(to);
  if (d || to === 'int32' || to === 'int64') {
    const scale = d ? d.scale : 0;
    const x = /^[+-]?\d+$/.test(t) ? BigInt(t) * pow10n(scale) : parseDecimalText(t, scale);
    if (x === null || !fits(x, to)) throw conversion(`Could not convert string '${s}' to ${to === 'int32' ? 'INT32' : to === 'int64' ? 'INT64' : typeLabel(to)}`);
    return normalizeScalar(x);
  }
  switch (to) {
    case 'float64': {
      const x = Number(t);
      if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
      if (t === '' || (Number.isNaN(x) && !/^[+-]?nan$/i.test(t))) throw conversion(`Could not convert string '${s}' to DOUBLE`);
      return x;
    }
    case 'date': return parseDateLiteral(t);
    case 'timestamp': return parseTimestampExact(t);
    case 'time': return parseTime(t);
    case 'boolean': {
      const l = t.toLowerCase();
      if (['true', 't', '1', 'yes', 'y'].includes(l)) return true;
      if (['false', 'f', '0', 'no', 'n'].includes(l)) return false;
      throw conversion(`Could not convert string '${s}' to BOOL`);
    }
    default: throw refuse('string', to);
  }
}

function fits(x: bigint, type: DataType): boolean {
  if (type === 'int32') return x >= -2147483648n && x <= 2147483647n;
  if (type === 'int64') return x >= INT64_MIN && x <= INT64_MAX;
  const b = exactBound(type);
  return b === null || (x <= b && x >= -b);
}

/** An exact vector from per-row values that may be numbers or BigInts. */
function exactFrom(vals: Array<number | bigint>, type: DataType, valid: Valid, n: number): Vec {
  let big = false;
  for (let i = 0; i < n; i++) if (typeof vals[i] === 'bigint') { big = true; break; }
  if (!big) return { t: 'num', type, values: Float64Array.from(vals as number[]), valid };
  return { t: 'big', type, values: vals.map((x) => (typeof x === 'bigint' ? x : BigInt(x))), valid };
}

/** CAST of a vector or constant from `from` to `to` over n rows. */
export function castVal(a: Val, from: DataType, to: DataType, n: number): Val {
  if (from === to) return a;
  if (a.t === 'const') {
    if (a.v === null) return { t: 'const', v: null, type: to };
    return { t: 'const', v: scalarAt(castVec(toVec(a, 1), from, to, 1), 0), type: to };
  }
  return castVec(a, from, to, n);
}

/** CAST of one scalar (constant folding, literal coercion). */
export function castScalar(v: Scalar, from: DataType, to: DataType): Scalar {
  if (v === null || from === to) return v;
  return (castVal({ t: 'const', v, type: from }, from, to, 1) as Const).v;
}

function castVec(a: Vec, from: DataType, to: DataType, n: number): Vec {
  if (from === 'null') return toVec({ t: 'const', v: null, type: to }, n);
  if (isStringLike(to)) return castToStringLike(a, from, to, n);
  if (a.t === 'str') {
    if (from !== 'string') throw refuse(from, to);
    // Only values actually present (and valid) must parse; unused dictionary entries need not.
    const used = new Uint8Array(a.dict.length);
    for (let i = 0; i < n; i++) if (a.valid === null || a.valid[i]) used[a.codes[i]!] = 1;
    const lut: Array<number | bigint | boolean> = a.dict.map((s, d) => (used[d] ? parseText(s, to) : 0));
    if (to === 'boolean') {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = lut[a.codes[i]!] ? 1 : 0;
      return { t: 'bool', values: out, valid: a.valid };
    }
    const vals: Array<number | bigint> = new Array(n);
    for (let i = 0; i < n; i++) vals[i] = lut[a.codes[i]!] as number | bigint;
    return exactFrom(vals, to, a.valid, n);
  }
  if (a.t === 'bool') {
    if (to === 'date' || to === 'timestamp' || to === 'time') throw refuse(from, to);
    const d = decimalParts(to);
    const k = d ? pow10(d.scale) : 1;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = a.values[i]! * k;
    return { t: 'num', type: to, values: out, valid: a.valid };
  }
  if (to === 'boolean') {
    const out = new Uint8Array(n);
    if (a.t === 'big') for (let i = 0; i < n; i++) out[i] = a.values[i] !== 0n ? 1 : 0;
    else for (let i = 0; i < n; i++) out[i] = a.values[i] !== 0 ? 1 : 0;
    return { t: 'bool', values: out, valid: a.valid };
  }
  return castNumeric(a, from, to, n);
}

function castToStringLike(a: Vec, from: DataType, to: DataType, n: number): Vec {
  if (a.t === 'str') {
    if (to === 'string') return from === 'binary' ? { ...a, dict: a.dict.map(formatBlob) } : a;
    if (from !== 'string') throw refuse(from, to);
    const used = new Uint8Array(a.dict.length);
    for (let i = 0; i < n; i++) if (a.valid === null || a.valid[i]) used[a.codes[i]!] = 1;
    const parse = to === 'uuid' ? parseUuid : parseBlob;
    return { ...a, dict: a.dict.map((s, d) => (used[d] ? parse(s) : '')) };
  }
  if (to !== 'string') throw refuse(from, to);
  if (a.t === 'bool') return { t: 'str', codes: Int32Array.from(a.values), dict: ['false', 'true'], valid: a.valid };
  const vals = a.values;
  return buildStrings(n, a.valid, (i) => formatValue(vals[i]!, from));
}

function castNumeric(a: Extract<Vec, { t: 'num' | 'big' }>, from: DataType, to: DataType, n: number): Vec {
  const valid = a.valid;
  const fd = decimalParts(from);
  const td = decimalParts(to);
  if (to === 'float64') {
    if (fd) {
      const out = new Float64Array(n);
      if (a.t === 'num' && fd.scale <= 22) { const k = pow10(fd.scale); for (let i = 0; i < n; i++) out[i] = a.values[i]! / k; }
      else for (let i = 0; i < n; i++) out[i] = decimalToDouble(a.values[i]!, fd.scale);
      return { t: 'num', type: to, values: out, valid };
    }
    if (from === 'date' || from === 'timestamp' || from === 'time') throw refuse(from, to);
    if (a.t === 'num') return { t: 'num', type: to, values: a.values, valid };
    return { t: 'num', type: to, values: Float64Array.from(a.values as BigValues, (x) => Number(x)), valid };
  }
  if (to === 'date' || to === 'timestamp' || to === 'time') {
    const x = a.t === 'num' ? a.values : Float64Array.from(a.values as BigValues, (v) => Number(v));
    const out = new Float64Array(n);
    if (to === 'date' && from === 'timestamp') for (let i = 0; i < n; i++) out[i] = Math.floor(x[i]! / US_PER_DAY);
    else if (to === 'timestamp' && from === 'date') for (let i = 0; i < n; i++) out[i] = x[i]! * US_PER_DAY;
    else if (to === 'time' && from === 'timestamp') for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v - Math.floor(v / US_PER_DAY) * US_PER_DAY; }
    else if (fd || from === 'float64' || (from === 'time') !== (to === 'time')) throw refuse(from, to);
    else out.set(x);
    return { t: 'num', type: to, values: out, valid };
  }
  // to an integer or a decimal
  if (from === 'date' || from === 'timestamp' || from === 'time') throw refuse(from, to);
  const toScale = td ? td.scale : 0;
  if (from === 'float64') return fromDouble(a.values as Float64Array, to, toScale, valid, n);
  const fromScale = fd ? fd.scale : 0;
  const err = (x: bigint): LakehouseError => (td ? decimalOutOfRange(fd ? formatDecimal(x, fd.scale) : String(x), to) : outOfRange(from, fd ? formatDecimal(x, fd.scale) : String(x), to));
  if (a.t === 'num' && Math.abs(toScale - fromScale) <= 15) {
    // Fast path: exact in doubles while every result stays within ±SAFE.
    const s = a.values;
    const out = new Float64Array(n);
    const lim = limitOf(to);
    let ok = true;
    if (toScale >= fromScale) {
      const k = pow10(toScale - fromScale);
      for (let i = 0; i < n; i++) {
        const r = s[i]! * k;
        out[i] = r;
        if ((r > lim || r < -lim) && (valid === null || valid[i])) { ok = false; break; }
      }
    } else {
      const d = pow10(fromScale - toScale);
      for (let i = 0; i < n; i++) {
        const x = s[i]!;
        const rem = x % d;
        let q = (x - rem) / d;
        if (2 * Math.abs(rem) >= d) q += x < 0 ? -1 : 1;
        out[i] = q;
        if ((q > lim || q < -lim) && (valid === null || valid[i])) { ok = false; break; }
      }
    }
    if (ok) return { t: 'num', type: to, values: out, valid };
  }
  const vals: Array<number | bigint> = new Array(n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) { vals[i] = 0; continue; }
    const x = a.t === 'big' ? a.values[i]! : BigInt(a.values[i]!);
    const r = rescaleBig(x, fromScale, toScale);
    if (!fits(r, to)) throw err(x);
    vals[i] = normalizeScalar(r);
  }
  return exactFrom(vals, to, valid, n);
}

/** The largest |v| the fast path may produce for a type: its bound, capped at SAFE. */
function limitOf(type: DataType): number {
  if (type === 'int32') return 2147483647;
  const b = exactBound(type);
  return b === null || b >= BigInt(SAFE) ? SAFE : Number(b);
}

function fromDouble(s: Float64Array, to: DataType, scale: number, valid: Valid, n: number): Vec {
  const isDec = decimalParts(to) !== null;
  const k = pow10(scale);
  const lim = limitOf(to);
  const vals: Array<number | bigint> = new Array(n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) { vals[i] = 0; continue; }
    const x = s[i]!;
    if (x !== x || x === Infinity || x === -Infinity) {
      if (isDec) throw conversion(`Could not cast value ${x !== x ? 'nan' : x > 0 ? 'inf' : '-inf'} to ${typeLabel(to)}`);
      throw outOfRange('float64', x !== x ? 'nan' : x > 0 ? 'inf' : '-inf', to);
    }
    const r = isDec ? roundHalfAway(x * k) : roundHalfEven(x);
    if (r <= lim && r >= -lim) { vals[i] = r === 0 ? 0 : r; continue; }
    const b = BigInt(r);
    if (!fits(b, to)) throw isDec ? decimalOutOfRange(String(x), to) : outOfRange('float64', String(x), to);
    vals[i] = normalizeScalar(b);
  }
  return exactFrom(vals, to, valid, n);
}

