/**
 * Expression compiler: a bound `Expr` is compiled once per task into a tree of closures, each of
 * which runs one specialised loop (kernels-gen.ts) over a whole batch — column at a time, the
 * way vectorised engines do. Per batch, each node allocates its output array once; nothing is
 * allocated per row except where a function must build new strings (concat over two columns,
 * CAST of numbers to strings); string predicates and string → string functions run once per
 * distinct value of the dictionary.
 *
 * SQL semantics: NULL propagates through operators and functions; AND/OR/NOT use three-valued
 * logic; comparisons with NULL are NULL; `x IN (…, NULL)` is NULL when x matches nothing.
 * Division or modulo by zero yields NULL (Spark's non-ANSI mode; DuckDB ≥ 1.1 returns ±inf for
 * `/` instead — we chose NULL so that a bad row cannot turn an aggregate into infinity).
 * Integers and decimals are exact (exact-kernels.ts: OUT_OF_RANGE on overflow, never a
 * rounding); strings compare by code point (`cmpStr`); doubles compare as DuckDB does (NaN
 * equals NaN and is the greatest value, −0 = 0). CAST semantics: casts.ts.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { isExact, isStringLike, type DataType, type Expr, type Scalar } from '../plan/types.js';
import { castVal, toVec, buildStrings, type Const, type Val } from './casts.js';
import { arithExact, cmpBig, cmpDouble, cmpExactScalar, cmpFn, negExact, type ExactOp, type ExactVal } from './exact-kernels.js';
import { fusedArith, fusedConjunction } from './fused.js';
import { arithKernel, cmpKernel, cmpNanKernel, divKernel, strCmpKernel, type Shape } from './kernels-gen.js';
import { andValid, cmpStr, type Chunk, type Vec } from './vec.js';
import { compileRegistryCall } from '../functions/registry.js';
import { mapStrToBool, pickRows, vecFromScalars, type Evaluator } from '../functions/kernel.js';
import { isLakehouseError } from '../../connectors/errors.js';
import { scalarAt } from './casts.js';

export { castScalar, toVec } from './casts.js';
export type { Const, Val } from './casts.js';
export type { Evaluator };

export function compileExpr(e: Expr): Evaluator {
  switch (e.k) {
    case 'col':
      return (c) => c.cols[e.i]!;
    case 'lit': {
      const k: Const = { t: 'const', v: e.v, type: e.type };
      return () => k;
    }
    case 'cast': {
      const inner = compileExpr(e.e);
      const from = e.e.type;
      if (e.try) return (c) => tryCastVal(inner(c), from, e.type, c.length);
      return (c) => castVal(inner(c), from, e.type, c.length);
    }
    case 'in': {
      const inner = compileExpr(e.e);
      return (c) => inList(inner(c), e.list, e.neg, c.length);
    }
    case 'like': {
      const inner = compileExpr(e.e);
      const re = likeToRegExp(e.pattern, e.escape, e.ci);
      return (c) => mapStrToBool(inner(c), (s) => re.test(s) !== e.neg, c.length);
    }
    case 'case':
      return compileCase(e);
    case 'call':
      return compileCall(e);
  }
}

/** Evaluates and materialises a constant result as a full vector. */
export function evalVec(ev: Evaluator, c: Chunk): Vec {
  return toVec(ev(c), c.length);
}

/**
 * A LIKE pattern as an anchored RegExp: `%` any run, `_` one character (code point); `escape`
 * makes the next character literal (a trailing escape is an error, as in DuckDB); `ci` is ILIKE
 * (Unicode case folding of the JavaScript engine, as DuckDB's lower-casing ILIKE for the common
 * scripts).
 */
export function likeToRegExp(pattern: string, escape?: string, ci = false): RegExp {
  let src = '';
  let escaped = false;
  for (const ch of pattern) {
    if (escaped) { src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'); escaped = false; continue; }
    if (escape !== undefined && ch === escape) { escaped = true; continue; }
    if (ch === '%') src += '[\\s\\S]*';
    else if (ch === '_') src += '[\\s\\S]';
    else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  if (escaped) throw new LakehouseError('INVALID_ARGUMENT', `the LIKE pattern '${pattern}' ends with its escape character`, { help: 'Escape characters must be followed by a character.' });
  return new RegExp(`^${src}$`, ci ? 'iu' : 'u');
}

/**
 * TRY_CAST: the whole batch converts at once when it can; otherwise value by value, a value
 * that does not convert (CONVERSION_ERROR, OUT_OF_RANGE) becoming NULL.
 */
function tryCastVal(a: Val, from: DataType, to: DataType, n: number): Val {
  // A value that does not convert: CONVERSION_ERROR / OUT_OF_RANGE, or PLAN_ERROR from the date
  // parser (casts.ts reads dates with plan/types.ts parseDateLiteral).
  const bad = (err: unknown): boolean => isLakehouseError(err, 'CONVERSION_ERROR') || isLakehouseError(err, 'OUT_OF_RANGE') || isLakehouseError(err, 'PLAN_ERROR');
  try {
    return castVal(a, from, to, n);
  } catch (err) {
    if (!bad(err)) throw err;
  }
  const one = (v: Scalar): Scalar => {
    if (v === null) return null;
    try {
      return (castVal({ t: 'const', v, type: from }, from, to, 1) as Const).v;
    } catch (err) {
      if (bad(err)) return null;
      throw err;
    }
  };
  if (a.t === 'const') return { t: 'const', v: one(a.v), type: to };
  const out: Scalar[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = one(scalarAt(a, i));
  return vecFromScalars(to, out, n);
}

function isNullConst(v: Val): boolean {
  return v.t === 'const' && v.v === null;
}

function numOperand(v: Val): [unknown, Shape] {
  if (v.t === 'const') return [typeof v.v === 'boolean' ? (v.v ? 1 : 0) : v.v, 'c'];
  if (v.t === 'num' || v.t === 'bool') return [v.values, 'v'];
  throw new LakehouseError('INTERNAL', `a ${v.t} vector reached a double kernel`);
}

function compileCall(e: Extract<Expr, { k: 'call' }>): Evaluator {
  const args = e.args.map(compileExpr);
  switch (e.fn) {
    case 'add': case 'sub': case 'mul': case 'div': case 'mod': {
      const generic = compileArith(e, args);
      return fusedArith(e, generic) ?? generic;
    }
    default:
      return compileOther(e, args);
  }
}

function compileArith(e: Extract<Expr, { k: 'call' }>, args: Evaluator[]): Evaluator {
  const type = e.type;
  switch (e.fn) {
    case 'add': case 'sub': case 'mul': case 'div': case 'mod': {
      const [fa, fb] = args as [Evaluator, Evaluator];
      const op = e.fn;
      if (op !== 'div' && exactArith(type)) {
        return (c) => {
          const a = fa(c);
          const b = fb(c);
          if (isNullConst(a) || isNullConst(b)) return { t: 'const', v: null, type };
          return arithExact(op as ExactOp, a as ExactVal, b as ExactVal, type, c.length);
        };
      }
      return (c) => {
        const a = fa(c);
        const b = fb(c);
        const n = c.length;
        if (isNullConst(a) || isNullConst(b)) return { t: 'const', v: null, type };
        if (a.t === 'const' && b.t === 'const') return { t: 'const', v: scalarArith(op, a.v as number, b.v as number), type };
        const [av, sa] = numOperand(a);
        const [bv, sb] = numOperand(b);
        const out = new Float64Array(n);
        let valid = andValid(n, a.t === 'const' ? null : a.valid, b.t === 'const' ? null : b.valid);
        if (op === 'div' || op === 'mod') {
          const v2 = valid ? valid.slice() : new Uint8Array(n).fill(1);
          divKernel(op as 'div' | 'mod', sa, sb)(n, av, bv, out, v2);
          valid = v2;
        } else {
          arithKernel(op, sa, sb)(n, av, bv, out);
        }
        return { t: 'num', type, values: out, valid };
      };
    }
    default:
      throw new Error(`internal: ${e.fn} is not arithmetic`);
  }
}

function compileOther(e: Extract<Expr, { k: 'call' }>, args: Evaluator[]): Evaluator {
  const type = e.type;
  switch (e.fn) {
    case 'neg': {
      const f = args[0]!;
      if (exactArith(type)) return (c) => negExact(f(c) as ExactVal, type, c.length);
      return (c) => {
        const a = f(c);
        if (a.t === 'const') return { t: 'const', v: a.v === null ? null : -(a.v as number), type };
        const av = (a as Extract<Vec, { t: 'num' }>).values;
        const out = new Float64Array(c.length);
        for (let i = 0; i < c.length; i++) out[i] = -av[i]!;
        return { t: 'num', type, values: out, valid: a.valid };
      };
    }
    case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge':
      return compileCompare(e.fn, args[0]!, args[1]!, e.args[0]!.type === 'float64' || e.args[1]!.type === 'float64');
    case 'and': case 'or': {
      const generic = compileLogic(e.fn as 'and' | 'or', args[0]!, args[1]!);
      return e.fn === 'and' ? fusedConjunction(e, generic) ?? generic : generic;
    }
    case 'not': {
      const f = args[0]!;
      return (c) => {
        const a = f(c);
        if (a.t === 'const') return { t: 'const', v: a.v === null ? null : !a.v, type: 'boolean' };
        const av = (a as Extract<Vec, { t: 'bool' }>).values;
        const out = new Uint8Array(c.length);
        for (let i = 0; i < c.length; i++) out[i] = av[i]! ^ 1;
        return { t: 'bool', values: out, valid: a.valid };
      };
    }
    case 'is_null': case 'is_not_null': {
      const f = args[0]!;
      const want = e.fn === 'is_null' ? 0 : 1;
      return (c) => {
        const a = f(c);
        if (a.t === 'const') return { t: 'const', v: (a.v === null) === (want === 0), type: 'boolean' };
        const out = new Uint8Array(c.length);
        if (a.valid) for (let i = 0; i < c.length; i++) out[i] = a.valid[i] === want ? 1 : 0;
        else out.fill(want);
        return { t: 'bool', values: out, valid: null };
      };
    }
    default:
      return compileRegistryCall(e, args);
  }
}

function scalarArith(op: string, a: number, b: number): number | null {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return b === 0 ? null : a / b;
    default: return b === 0 ? null : a % b;
  }
}

/**
 * Exact result types computed by exact-kernels.ts — dates and timestamps too (days and µs are
 * integers: a far timestamp becomes a BigInt vector, never a rounded double).
 */
function exactArith(t: DataType): boolean {
  return isExact(t);
}

/** Three-way comparison of two non-null scalars of the same type class. */
export function cmpScalars(a: Scalar, b: Scalar, isFloat: boolean): number {
  if (typeof a === 'string' && typeof b === 'string') return cmpStr(a, b);
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  if (isFloat) return cmpDouble(Number(a), Number(b));
  return cmpExactScalar(a as number | bigint, b as number | bigint);
}

function compileCompare(op: string, fa: Evaluator, fb: Evaluator, isFloat: boolean): Evaluator {
  const test = cmpFn(op);
  return (c) => {
    const n = c.length;
    let a = fa(c);
    let b = fb(c);
    if (isNullConst(a) || isNullConst(b)) return { t: 'const', v: null, type: 'boolean' };
    if (a.t === 'const' && b.t === 'const') return { t: 'const', v: test(cmpScalars(a.v, b.v, isFloat)), type: 'boolean' };
    let cmp = op;
    if (a.t === 'const') {
      // Normalise to vector ⋈ constant.
      [a, b] = [b, a];
      cmp = ({ lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' } as Record<string, string>)[op] ?? op;
    }
    const out = new Uint8Array(n);
    if (a.t === 'str') {
      if (b.t === 'const') {
        // Once per distinct value, in code-point order.
        const k = b.v as string;
        const t2 = cmpFn(cmp);
        const lut = new Uint8Array(a.dict.length);
        for (let d = 0; d < lut.length; d++) lut[d] = t2(cmpStr(a.dict[d]!, k)) ? 1 : 0;
        const codes = a.codes;
        for (let i = 0; i < n; i++) out[i] = lut[codes[i]!]!;
        return { t: 'bool', values: out, valid: a.valid };
      }
      const bs = b as Extract<Vec, { t: 'str' }>;
      strCmpKernel(cmp)(n, a.codes, a.dict, bs.codes, bs.dict, out);
      return { t: 'bool', values: out, valid: andValid(n, a.valid, bs.valid) };
    }
    const valid = andValid(n, (a as Vec).valid, b.t === 'const' ? null : b.valid);
    if (a.t === 'big' || b.t === 'big' || (b.t === 'const' && typeof b.v === 'bigint')) {
      return { t: 'bool', values: cmpBig(cmp, a as ExactVal, b as ExactVal, n), valid };
    }
    const [av] = numOperand(a);
    const [bv, sb] = numOperand(b);
    (isFloat ? cmpNanKernel(cmp, 'v', sb) : cmpKernel(cmp, 'v', sb))(n, av, bv, out);
    return { t: 'bool', values: out, valid };
  };
}

function compileLogic(op: 'and' | 'or', fa: Evaluator, fb: Evaluator): Evaluator {
  // AND: FALSE dominates NULL; OR: TRUE dominates NULL.
  const dom = op === 'and' ? 0 : 1;
  return (c) => {
    const n = c.length;
    const a = fa(c);
    if (a.t === 'const' && a.v === (dom === 1)) return a;
    const b = fb(c);
    if (b.t === 'const' && b.v === (dom === 1)) return b;
    if (a.t === 'const' && b.t === 'const') return { t: 'const', v: a.v === null || b.v === null ? null : dom === 0, type: 'boolean' };
    if (a.t === 'const') return a.v === null ? nullUnless(b as Extract<Vec, { t: 'bool' }>, dom, n) : b;
    if (b.t === 'const') return b.v === null ? nullUnless(a as Extract<Vec, { t: 'bool' }>, dom, n) : a;
    const av = (a as Extract<Vec, { t: 'bool' }>).values;
    const bv = (b as Extract<Vec, { t: 'bool' }>).values;
    const out = new Uint8Array(n);
    if (!a.valid && !b.valid) {
      if (dom === 0) for (let i = 0; i < n; i++) out[i] = av[i]! & bv[i]!;
      else for (let i = 0; i < n; i++) out[i] = av[i]! | bv[i]!;
      return { t: 'bool', values: out, valid: null };
    }
    const va = a.valid;
    const vb = b.valid;
    const valid = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const xa = va ? va[i]! : 1;
      const xb = vb ? vb[i]! : 1;
      const x = av[i]!;
      const y = bv[i]!;
      if (dom === 0) {
        const f = (xa & (x ^ 1)) | (xb & (y ^ 1));
        valid[i] = f | (xa & xb);
        out[i] = f ? 0 : 1;
      } else {
        const t = (xa & x) | (xb & y);
        valid[i] = t | (xa & xb);
        out[i] = t;
      }
    }
    return { t: 'bool', values: out, valid };
  };
}

/** `x AND NULL` / `x OR NULL`: the dominant value survives, everything else becomes NULL. */
function nullUnless(v: Extract<Vec, { t: 'bool' }>, dom: number, n: number): Vec {
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) valid[i] = (v.valid ? v.valid[i]! : 1) & (v.values[i] === dom ? 1 : 0);
  return { t: 'bool', values: v.values, valid };
}

function compileCase(e: Extract<Expr, { k: 'case' }>): Evaluator {
  const conds = e.whens.map(([w]) => compileExpr(w));
  const thens = e.whens.map(([, t]) => compileExpr(t));
  const els = e.else ? compileExpr(e.else) : null;
  const type = e.type;
  return (c) => {
    const n = c.length;
    const cv = conds.map((f) => toVec(f(c), n) as Extract<Vec, { t: 'bool' }>);
    const srcs = thens.map((f) => toVec(f(c), n));
    const k = srcs.length;
    if (els) srcs.push(toVec(els(c), n));
    else srcs.push(toVec({ t: 'const', v: null, type }, n));
    return pickRows(srcs, type, n, (i, j) => {
      if (j === k) return true;
      const cond = cv[j]!;
      return cond.values[i] === 1 && (cond.valid === null || cond.valid[i] === 1);
    });
  };
}

const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** One key per value for IN's set: exact values as numbers when they fit, else BigInts. */
function inKey(x: number | bigint | string | boolean): number | bigint | string {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'bigint') return x <= SAFE_BIG && x >= -SAFE_BIG ? Number(x) : x;
  return x;
}

/**
 * `x IN (…)`: set membership, i.e. equality — exact for integers/decimals (the binder brings the
 * list to x's type), NaN matching NaN and −0 matching 0 for doubles (SameValueZero), strings by
 * their code points.
 */
function inList(a: Val, list: Scalar[], neg: boolean, n: number): Val {
  const hasNull = list.some((x) => x === null);
  const set = new Set((list.filter((x) => x !== null) as Array<number | bigint | string | boolean>).map(inKey));
  const test = (x: number | bigint | string | boolean): boolean | null => {
    if (set.has(inKey(x))) return !neg;
    return hasNull ? null : neg;
  };
  if (a.t === 'const') return { t: 'const', v: a.v === null ? null : test(a.v), type: 'boolean' };
  const out = new Uint8Array(n);
  if (a.t === 'str') {
    const lut = new Int8Array(a.dict.length);
    for (let d = 0; d < lut.length; d++) {
      const r = test(a.dict[d]!);
      lut[d] = r === null ? -1 : r ? 1 : 0;
    }
    const lutValid = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const r = lut[a.codes[i]!]!;
      out[i] = r === 1 ? 1 : 0;
      lutValid[i] = r < 0 ? 0 : a.valid ? a.valid[i]! : 1;
    }
    return { t: 'bool', values: out, valid: lutValid };
  }
  const hit = neg ? 0 : 1;
  const miss = neg ? 1 : 0;
  const found = new Uint8Array(n);
  if (a.t === 'big') {
    const vals = a.values;
    for (let i = 0; i < n; i++) found[i] = set.has(inKey(vals[i]!)) ? 1 : 0;
  } else {
    const vals = a.values;
    for (let i = 0; i < n; i++) found[i] = set.has(vals[i]!) ? 1 : 0;
  }
  for (let i = 0; i < n; i++) out[i] = found[i] ? hit : miss;
  if (!hasNull) return { t: 'bool', values: out, valid: a.valid };
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) valid[i] = (a.valid ? a.valid[i]! : 1) & found[i]!;
  return { t: 'bool', values: out, valid };
}
