/**
 * Building blocks of scalar-function kernels (the registry's entries compile a bound call into
 * one `Evaluator` from these). An evaluator maps a chunk to a vector or a constant (`Val`);
 * constants stay constants (a call over constants is evaluated once per batch, and folded once
 * per query by the optimizer), string → x functions run once per distinct dictionary value.
 *
 * Memory: one output array per batch and node; `rowwise` allocates one scalar per row and
 * argument only on its general path (two or more vectors, or a non-string vector), which the
 * functions it serves (string padding, regexes, calendar arithmetic) need anyway.
 * Determinism: kernels are pure functions of their inputs (no clock, no randomness: the
 * current time is a literal the binder pins once per query).
 */

import { LakehouseError } from '../../connectors/errors.js';
import { isExact, isStringLike, type DataType, type Scalar } from '../plan/types.js';
import { buildStrings, scalarAt, toVec, type Const, type Val } from '../compute/casts.js';
import { normalizeScalar } from '../compute/exact.js';
import type { Chunk, Valid, Vec } from '../compute/vec.js';

export type Evaluator = (c: Chunk) => Val;

const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

export function isNullConst(v: Val): boolean {
  return v.t === 'const' && v.v === null;
}

/** String → string, once per distinct value. */
export function strMap(f: Evaluator, fn: (s: string) => string): Evaluator {
  return (c) => {
    const a = f(c);
    if (a.t === 'const') return { t: 'const', v: a.v === null ? null : fn(a.v as string), type: 'string' };
    const s = a as Extract<Vec, { t: 'str' }>;
    return { t: 'str', codes: s.codes, dict: s.dict.map(fn), valid: s.valid };
  };
}

export function mapStrToNum(a: Val, fn: (s: string) => number, type: DataType, n: number): Val {
  if (a.t === 'const') return { t: 'const', v: a.v === null ? null : fn(a.v as string), type };
  const s = a as Extract<Vec, { t: 'str' }>;
  const lut = Float64Array.from(s.dict, fn);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lut[s.codes[i]!]!;
  return { t: 'num', type, values: out, valid: s.valid };
}

export function mapStrToBool(a: Val, fn: (s: string) => boolean, n: number): Val {
  if (a.t === 'const') return { t: 'const', v: a.v === null ? null : fn(a.v as string), type: 'boolean' };
  const s = a as Extract<Vec, { t: 'str' }>;
  const lut = Uint8Array.from(s.dict, (x) => (fn(x) ? 1 : 0));
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = lut[s.codes[i]!]!;
  return { t: 'bool', values: out, valid: s.valid };
}

/**
 * A per-value date/time function. Inputs beyond ±2^53 (timestamps past the year 2255) are read
 * as doubles — exact enough for their calendar fields — but a timestamp *result* must be exact,
 * so one beyond ±2^53 is refused rather than rounded.
 */
export function mapNum(a: Val, type: DataType, n: number, fn: (x: number) => number): Val {
  const check = (r: number): number => {
    if (type === 'timestamp' && !(r <= Number.MAX_SAFE_INTEGER && r >= -Number.MAX_SAFE_INTEGER)) {
      throw new LakehouseError('UNSUPPORTED', 'not supported yet: calendar arithmetic on timestamps beyond ±2^53 µs (after the year 2255 or before 1685)');
    }
    return r;
  };
  if (a.t === 'const') return { t: 'const', v: a.v === null ? null : check(fn(Number(a.v))), type };
  const v = a as Extract<Vec, { t: 'num' | 'big' }>;
  const out = new Float64Array(n);
  if (v.t === 'big') {
    const src = v.values;
    for (let i = 0; i < n; i++) out[i] = v.valid !== null && !v.valid[i] ? 0 : check(fn(Number(src[i]!)));
  } else {
    const src = v.values;
    for (let i = 0; i < n; i++) out[i] = v.valid !== null && !v.valid[i] ? 0 : fn(src[i]!);
    if (type === 'timestamp') for (let i = 0; i < n; i++) if (v.valid === null || v.valid[i]) check(out[i]!);
  }
  return { t: 'num', type, values: out, valid: v.valid };
}

/** A vector of `type` from per-row scalars (null = NULL); exact values beyond 2^53 make a `big` vector. */
export function vecFromScalars(type: DataType, vals: Scalar[], n: number): Vec {
  let valid: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    if (vals[i] === null) {
      if (!valid) valid = new Uint8Array(n).fill(1);
      valid[i] = 0;
    }
  }
  if (isStringLike(type)) return buildStrings(n, valid, (i) => vals[i] as string);
  if (type === 'boolean') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = vals[i] ? 1 : 0;
    return { t: 'bool', values: out, valid };
  }
  let big = false;
  if (isExact(type)) {
    for (let i = 0; i < n; i++) {
      const x = vals[i];
      if (typeof x === 'bigint' && (x > SAFE_BIG || x < -SAFE_BIG)) { big = true; break; }
    }
  }
  if (big) return { t: 'big', type, values: vals.map((x) => (x === null ? 0n : BigInt(x as number | bigint))), valid };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) { const x = vals[i]; out[i] = x === null ? 0 : Number(x); }
  return { t: 'num', type, values: out, valid };
}

/** Normalises a kernel's scalar result (BigInts that fit become numbers). */
function norm(x: Scalar): Scalar {
  return typeof x === 'bigint' ? normalizeScalar(x) : x;
}

export interface RowwiseOptions {
  /** A NULL argument gives NULL without calling `fn` (default true). */
  strict?: boolean;
}

/**
 * A kernel from a scalar function of the argument values (dates as days, timestamps as µs,
 * decimals as unscaled integers, strings as strings). Constants in, constant out; one string
 * vector among constants is mapped once per distinct value; anything else row by row.
 */
export function rowwise(type: DataType, fn: (...a: Scalar[]) => Scalar, opts: RowwiseOptions = {}): (args: Evaluator[]) => Evaluator {
  const strict = opts.strict ?? true;
  return (args) => (c) => {
    const n = c.length;
    const vals = args.map((f) => f(c));
    if (strict && vals.some(isNullConst)) return { t: 'const', v: null, type };
    if (vals.every((v) => v.t === 'const')) return { t: 'const', v: norm(fn(...vals.map((v) => (v as Const).v))), type };
    const vecs = vals.filter((v) => v.t !== 'const');
    if (vecs.length === 1 && vecs[0]!.t === 'str') {
      const sv = vecs[0] as Extract<Vec, { t: 'str' }>;
      const at = vals.indexOf(sv);
      const scal = vals.map((v) => (v.t === 'const' ? v.v : null));
      const lut = sv.dict.map((s) => { scal[at] = s; return norm(fn(...scal)); });
      if (!strict) {
        const nullRes = (scal[at] = null, norm(fn(...scal)));
        return vecFromScalars(type, Array.from({ length: n }, (_, i) => (sv.valid && !sv.valid[i] ? nullRes : lut[sv.codes[i]!]!)), n);
      }
      return vecFromLut(type, lut, sv.codes, sv.valid, n);
    }
    const full = vals.map((v) => toVec(v, n));
    const out: Scalar[] = new Array(n);
    const row: Scalar[] = new Array(full.length);
    for (let i = 0; i < n; i++) {
      let isNull = false;
      for (let k = 0; k < full.length; k++) {
        const x = scalarAt(full[k]!, i);
        if (x === null) isNull = true;
        row[k] = x;
      }
      out[i] = isNull && strict ? null : norm(fn(...row));
    }
    return vecFromScalars(type, out, n);
  };
}

/** A vector from a per-dictionary-value result table (NULL results become invalid rows). */
function vecFromLut(type: DataType, lut: Scalar[], codes: Int32Array, valid: Valid, n: number): Vec {
  if (isStringLike(type) && lut.every((x) => x !== null)) return { t: 'str', codes, dict: lut.length ? (lut as string[]) : [''], valid };
  const out: Scalar[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = valid && !valid[i] ? null : lut[codes[i]!]!;
  return vecFromScalars(type, out, n);
}

/** Builds a vector whose row i comes from the first source k with `use(i, k)`; NULL if none. */
export function pickRows(srcs: Vec[], type: DataType, n: number, use: (i: number, k: number) => boolean): Vec {
  const valid = new Uint8Array(n);
  if (isStringLike(type)) {
    const dict: string[] = [];
    const ids = new Map<string, number>();
    const remaps = srcs.map((s) => {
      const sv = s as Extract<Vec, { t: 'str' }>;
      return Int32Array.from(sv.dict, (str) => {
        let id = ids.get(str);
        if (id === undefined) { id = dict.length; dict.push(str); ids.set(str, id); }
        return id;
      });
    });
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < srcs.length; k++) {
        if (use(i, k)) {
          const s = srcs[k] as Extract<Vec, { t: 'str' }>;
          codes[i] = remaps[k]![s.codes[i]!]!;
          valid[i] = s.valid ? s.valid[i]! : 1;
          break;
        }
      }
    }
    return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
  }
  if (srcs.some((s) => s.t === 'big')) {
    // One source too wide for doubles: pick BigInts (exact), then narrow back when they fit.
    const big: bigint[] = new Array<bigint>(n).fill(0n);
    let fits = true;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < srcs.length; k++) {
        if (use(i, k)) {
          const s = srcs[k] as Extract<Vec, { t: 'num' | 'big' }>;
          const x = s.t === 'big' ? s.values[i]! : BigInt(s.values[i]!);
          valid[i] = s.valid ? s.valid[i]! : 1;
          if (valid[i]) { big[i] = x; if (x > SAFE_BIG || x < -SAFE_BIG) fits = false; }
          break;
        }
      }
    }
    if (!fits) return { t: 'big', type, values: big, valid };
    return { t: 'num', type, values: Float64Array.from(big, (x) => Number(x)), valid };
  }
  const out = type === 'boolean' ? new Uint8Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < srcs.length; k++) {
      if (use(i, k)) {
        const s = srcs[k] as Extract<Vec, { t: 'num' | 'bool' }>;
        out[i] = s.values[i]!;
        valid[i] = s.valid ? s.valid[i]! : 1;
        break;
      }
    }
  }
  return type === 'boolean'
    ? { t: 'bool', values: out as Uint8Array, valid }
    : { t: 'num', type, values: out as Float64Array, valid };
}
