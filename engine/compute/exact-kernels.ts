/**
 * Exact arithmetic and comparison kernels for integers and decimals (docs/design.md, "Exact
 * numbers"). Pure and synchronous; no shared state beyond the generated-kernel cache.
 *
 * Contract: operands of `+ − %` arrive with equal scales (the binder inserts the rescaling
 * casts), `×` multiplies unscaled values (scales add). A batch is computed in doubles first —
 * exact while every result stays within ±(2^53−1), which one max-abs pass checks — and
 * recomputed with BigInts only when it does not; results outside their type (INT64, the
 * decimal's precision) are an OUT_OF_RANGE error in DuckDB's words, never a rounding.
 * Modulo by zero is NULL (as `/` and as DuckDB's `%`).
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { DataType, Scalar } from '../plan/types.js';
import { exactBound, normalizeScalar, overflow, SAFE, scalarToBig } from './exact.js';
import { arithKernel, divKernel, type Shape } from './kernels-gen.js';
import { andValid, type Valid, type Vec } from './vec.js';

export type ExactConst = { t: 'const'; v: Scalar; type: DataType };
export type ExactVal = Extract<Vec, { t: 'num' | 'big' }> | ExactConst;
export type ExactOp = 'add' | 'sub' | 'mul' | 'mod';

const OP_WORD: Record<ExactOp | 'neg', string> = { add: 'addition', sub: 'subtraction', mul: 'multiplication', mod: 'modulo', neg: 'negation' };
const OP_SYM: Record<ExactOp, string> = { add: '+', sub: '-', mul: '*', mod: '%' };

/** The largest |v| a type admits, as a double (≤ SAFE) for the fast path's check. */
function fastLimit(type: DataType): number {
  const b = exactBound(type);
  if (b === null) return SAFE;
  return b < BigInt(SAFE) ? Number(b) : SAFE;
}

function lowBound(type: DataType, bound: bigint): bigint {
  // Two's complement types reach one further below zero; decimals are symmetric.
  return type === 'int64' || type === 'int32' || type === 'timestamp' ? -bound - 1n : -bound;
}

/** Whether an exact value lies in its type's range. */
export function inRange(x: bigint, type: DataType): boolean {
  const b = exactBound(type);
  return b === null || (x <= b && x >= lowBound(type, b));
}

function opBig(op: ExactOp, x: bigint, y: bigint): bigint | null {
  switch (op) {
    case 'add': return x + y;
    case 'sub': return x - y;
    case 'mul': return x * y;
    default: return y === 0n ? null : x % y;
  }
}

/** One exact operation on scalars (constant folding and constant ⋈ constant). */
export function scalarExact(op: ExactOp, a: number | bigint, b: number | bigint, type: DataType): number | bigint | null {
  const x = scalarToBig(a);
  const y = scalarToBig(b);
  const r = opBig(op, x, y);
  if (r === null) return null;
  if (!inRange(r, type)) throw overflow(OP_WORD[op], type, `${x} ${OP_SYM[op]} ${y}`);
  return normalizeScalar(r);
}

function isNumConst(v: ExactVal): boolean {
  return v.t === 'const' ? typeof v.v === 'number' : v.t === 'num';
}

/** Max |x| over valid rows (exact inputs within ±SAFE cannot produce NaN or ±Infinity in one step). */
function maxAbs(values: Float64Array, valid: Valid, n: number): number {
  let m = 0;
  if (valid === null) {
    for (let i = 0; i < n; i++) { const x = values[i]!; const a = x < 0 ? -x : x; if (a > m) m = a; }
  } else {
    for (let i = 0; i < n; i++) { const x = values[i]!; const a = x < 0 ? -x : x; if (valid[i] && a > m) m = a; }
  }
  return m;
}

function bigOperand(v: ExactVal, _n: number): (i: number) => bigint {
  if (v.t === 'const') {
    const x = scalarToBig(v.v as number | bigint);
    return () => x;
  }
  if (v.t === 'big') { const s = v.values; return (i) => s[i]!; }
  const s = v.values;
  return (i) => BigInt(s[i]!);
}

/**
 * `a ∘ b` for an exact result type. Constants are `{ t: 'const' }` with number or bigint values
 * (never null here: the caller handles NULL constants).
 */
export function arithExact(op: ExactOp, a: ExactVal, b: ExactVal, type: DataType, n: number): ExactVal {
  if (a.t === 'const' && b.t === 'const') return { t: 'const', v: scalarExact(op, a.v as number | bigint, b.v as number | bigint, type), type };
  let valid = andValid(n, a.t === 'const' ? null : a.valid, b.t === 'const' ? null : b.valid);
  if (isNumConst(a) && isNumConst(b)) {
    const sa: Shape = a.t === 'const' ? 'c' : 'v';
    const sb: Shape = b.t === 'const' ? 'c' : 'v';
    const av = a.t === 'const' ? a.v : a.values;
    const bv = b.t === 'const' ? b.v : b.values;
    const out = new Float64Array(n);
    if (op === 'mod') {
      const v2 = valid ? valid.slice() : new Uint8Array(n).fill(1);
      divKernel('mod', sa, sb)(n, av, bv, out, v2);
      valid = v2;
    } else {
      arithKernel(op, sa, sb)(n, av, bv, out);
    }
    const m = maxAbs(out, valid, n);
    if (m <= fastLimit(type)) return { t: 'num', type, values: out, valid };
    if (m <= SAFE) throw overflowAt(op, a, b, out, valid, type, n);
  }
  return bigArith(op, a, b, type, valid, n);
}

/** The BigInt path: exact whatever the magnitudes; checked against the type; narrowed back. */
function bigArith(op: ExactOp, a: ExactVal, b: ExactVal, type: DataType, valid: Valid, n: number): ExactVal {
  const fa = bigOperand(a, n);
  const fb = bigOperand(b, n);
  const out: bigint[] = new Array<bigint>(n);
  let v2 = valid;
  const bound = exactBound(type);
  const lo = bound === null ? 0n : lowBound(type, bound);
  let fits = true;
  const safe = BigInt(SAFE);
  for (let i = 0; i < n; i++) {
    if (v2 !== null && v2[i] === 0) { out[i] = 0n; continue; }
    const x = fa(i);
    const y = fb(i);
    const r = opBig(op, x, y);
    if (r === null) {
      if (v2 === valid) v2 = valid ? valid.slice() : new Uint8Array(n).fill(1);
      v2![i] = 0;
      out[i] = 0n;
      continue;
    }
    if (bound !== null && (r > bound || r < lo)) throw overflow(OP_WORD[op], type, `${x} ${OP_SYM[op]} ${y}`);
    if (r > safe || r < -safe) fits = false;
    out[i] = r;
  }
  return narrow(out, type, v2, n, fits);
}

function narrow(values: bigint[], type: DataType, valid: Valid, n: number, fits: boolean): ExactVal {
  if (!fits) return { t: 'big', type, values, valid };
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) f[i] = Number(values[i]!);
  return { t: 'num', type, values: f, valid };
}

function overflowAt(op: ExactOp, a: ExactVal, b: ExactVal, out: Float64Array, valid: Valid, type: DataType, n: number): LakehouseError {
  const lim = fastLimit(type);
  const fa = bigOperand(a, n);
  const fb = bigOperand(b, n);
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) continue;
    const x = out[i]!;
    if (x > lim || x < -lim) return overflow(OP_WORD[op], type, `${fa(i)} ${OP_SYM[op]} ${fb(i)}`);
  }
  return new LakehouseError('INTERNAL', 'an exact result left its range but no row was found');
}

/** Unary minus of an exact value (INT64's minimum has no negation: OUT_OF_RANGE). */
export function negExact(a: ExactVal, type: DataType, n: number): ExactVal {
  if (a.t === 'const') {
    if (a.v === null) return { t: 'const', v: null, type };
    const r = -scalarToBig(a.v as number | bigint);
    if (!inRange(r, type)) throw overflow('negation', type, `-(${-r})`);
    return { t: 'const', v: normalizeScalar(r), type };
  }
  if (a.t === 'num') {
    const out = new Float64Array(n);
    const s = a.values;
    for (let i = 0; i < n; i++) out[i] = -s[i]!;
    return { t: 'num', type, values: out, valid: a.valid };
  }
  const out: bigint[] = new Array<bigint>(n);
  let fits = true;
  const safe = BigInt(SAFE);
  for (let i = 0; i < n; i++) {
    if (a.valid !== null && !a.valid[i]) { out[i] = 0n; continue; }
    const r = -a.values[i]!;
    if (!inRange(r, type)) throw overflow('negation', type, `-(${a.values[i]})`);
    if (r > safe || r < -safe) fits = false;
    out[i] = r;
  }
  return narrow(out, type, a.valid, n, fits);
}

/** `a ⋈ b` row by row over exact values where at least one side is BigInt-valued. */
export function cmpBig(op: string, a: ExactVal, b: ExactVal, n: number): Uint8Array {
  const fa = bigOperand(a, n);
  const fb = bigOperand(b, n);
  const out = new Uint8Array(n);
  const test = cmpFn(op);
  for (let i = 0; i < n; i++) {
    const x = fa(i);
    const y = fb(i);
    out[i] = test(x < y ? -1 : x > y ? 1 : 0) ? 1 : 0;
  }
  return out;
}

/** A comparison as a predicate over a three-way result (−, 0, +). */
export function cmpFn(op: string): (c: number) => boolean {
  switch (op) {
    case 'eq': return (c) => c === 0;
    case 'ne': return (c) => c !== 0;
    case 'lt': return (c) => c < 0;
    case 'le': return (c) => c <= 0;
    case 'gt': return (c) => c > 0;
    case 'ge': return (c) => c >= 0;
    default: throw new LakehouseError('INTERNAL', `unknown comparison ${op}`);
  }
}

/**
 * DuckDB's double order: NaN equals NaN and is above every other value (+Infinity included);
 * −0 equals 0. Three-way result.
 */
export function cmpDouble(x: number, y: number): number {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  const nx = x !== x;
  const ny = y !== y;
  return nx === ny ? 0 : nx ? 1 : -1;
}

/** Three-way comparison of two exact scalars (numbers or BigInts). */
export function cmpExactScalar(x: number | bigint, y: number | bigint): number {
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  const a = scalarToBig(x);
  const b = scalarToBig(y);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Values of a vector or constant as BigInts for row i. */
export function bigGetter(v: ExactVal, n: number): (i: number) => bigint {
  return bigOperand(v, n);
}
