/**
 * Generated loop kernels. Each (operator, operand shape) pair is turned into one specialised
 * JavaScript loop with `new Function` the first time it is needed and cached for the life of the
 * thread, so the per-row work is a monomorphic typed-array loop that V8 compiles to tight machine
 * code — no per-row interpretation of the expression tree and no per-row allocation.
 * Shapes: `v` = vector operand (`x[i]`), `c` = constant operand (`x`).
 */

import { cmpStr } from './vec.js';

export type Shape = 'v' | 'c';

const ARITH: Record<string, string> = { add: '+', sub: '-', mul: '*' };
const CMP: Record<string, string> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };

type ArithKernel = (n: number, a: unknown, b: unknown, out: Float64Array) => void;
type CmpKernel = (n: number, a: unknown, b: unknown, out: Uint8Array) => void;
type DivKernel = (n: number, a: unknown, b: unknown, out: Float64Array, valid: Uint8Array) => void;

const cache = new Map<string, unknown>();

/**
 * Compiles one generated kernel. The `sourceURL` names it in CPU profiles (`node --cpu-prof`),
 * where anonymous `new Function` code would otherwise be lumped together.
 */
export function genKernel<T>(name: string, params: string[], body: string): T {
  const tag = name.replace(/[^\w|.+*<>=!-]/g, '_').slice(0, 80);
  return new Function(...params, `${body}\n//# sourceURL=kernel/${tag}`) as T;
}

function operand(name: string, s: Shape): string {
  return s === 'v' ? `${name}[i]` : name;
}

/** out[i] = a ∘ b for + − ×. */
export function arithKernel(op: string, sa: Shape, sb: Shape): ArithKernel {
  const key = `a|${op}|${sa}${sb}`;
  let k = cache.get(key) as ArithKernel | undefined;
  if (!k) {
    const sym = ARITH[op];
    if (!sym) throw new Error(`internal: no arithmetic kernel for ${op}`);
    k = genKernel<ArithKernel>(key, ['n', 'a', 'b', 'out'], `for (let i = 0; i < n; i++) out[i] = ${operand('a', sa)} ${sym} ${operand('b', sb)};`);
    cache.set(key, k);
  }
  return k;
}

/** Division and modulo: a zero divisor yields NULL (valid[i] = 0). */
export function divKernel(op: 'div' | 'mod', sa: Shape, sb: Shape): DivKernel {
  const key = `d|${op}|${sa}${sb}`;
  let k = cache.get(key) as DivKernel | undefined;
  if (!k) {
    const sym = op === 'div' ? '/' : '%';
    k = genKernel<DivKernel>(
      key, ['n', 'a', 'b', 'out', 'valid'],
      `for (let i = 0; i < n; i++) { const y = ${operand('b', sb)}; if (y === 0) { valid[i] = 0; out[i] = 0; } else { out[i] = ${operand('a', sa)} ${sym} y; } }`,
    );
    cache.set(key, k);
  }
  return k;
}

/** out[i] = a ⋈ b ? 1 : 0 over any indexable operands (typed arrays or string arrays). */
export function cmpKernel(op: string, sa: Shape, sb: Shape): CmpKernel {
  const key = `c|${op}|${sa}${sb}`;
  let k = cache.get(key) as CmpKernel | undefined;
  if (!k) {
    const sym = CMP[op];
    if (!sym) throw new Error(`internal: no comparison kernel for ${op}`);
    k = genKernel<CmpKernel>(key, ['n', 'a', 'b', 'out'], `for (let i = 0; i < n; i++) out[i] = ${operand('a', sa)} ${sym} ${operand('b', sb)} ? 1 : 0;`);
    cache.set(key, k);
  }
  return k;
}

/**
 * Comparisons of doubles as DuckDB orders them: NaN equals NaN and is greater than every other
 * value (+Infinity included); −0 equals 0 (as `===` already has it). Only float64 operands use
 * this kernel, so exact types do not pay for the NaN tests.
 */
const NAN_CMP: Record<string, (x: string, y: string) => string> = {
  eq: (x, y) => `(${x} === ${y} || (${x} !== ${x} && ${y} !== ${y}))`,
  ne: (x, y) => `!(${x} === ${y} || (${x} !== ${x} && ${y} !== ${y}))`,
  lt: (x, y) => `(${x} < ${y} || (${y} !== ${y} && ${x} === ${x}))`,
  le: (x, y) => `(${x} <= ${y} || ${y} !== ${y})`,
  gt: (x, y) => `(${x} > ${y} || (${x} !== ${x} && ${y} === ${y}))`,
  ge: (x, y) => `(${x} >= ${y} || ${x} !== ${x})`,
};

export function cmpNanKernel(op: string, sa: Shape, sb: Shape): CmpKernel {
  const key = `cn|${op}|${sa}${sb}`;
  let k = cache.get(key) as CmpKernel | undefined;
  if (!k) {
    const f = NAN_CMP[op];
    if (!f) throw new Error(`internal: no comparison kernel for ${op}`);
    k = genKernel<CmpKernel>(key, ['n', 'a', 'b', 'out'], `for (let i = 0; i < n; i++) { const x = ${operand('a', sa)}; const y = ${operand('b', sb)}; out[i] = ${f('x', 'y')} ? 1 : 0; }`);
    cache.set(key, k);
  }
  return k;
}

type StrCmpKernel = (n: number, ac: Int32Array, ad: string[], bc: Int32Array, bd: string[], out: Uint8Array) => void;

/**
 * Compares two dictionary string vectors row by row (strings are shared, never built). Order is
 * by code point (`cmpStr`, vec.ts), never JavaScript's UTF-16 `<`.
 */
export function strCmpKernel(op: string): StrCmpKernel {
  const key = `s|${op}`;
  let k = cache.get(key) as StrCmpKernel | undefined;
  if (!k) {
    const sym = CMP[op];
    if (!sym) throw new Error(`internal: no comparison kernel for ${op}`);
    const body = op === 'eq' || op === 'ne'
      ? `for (let i = 0; i < n; i++) out[i] = ad[ac[i]] ${sym} bd[bc[i]] ? 1 : 0;`
      : `for (let i = 0; i < n; i++) out[i] = cmpStr(ad[ac[i]], bd[bc[i]]) ${sym} 0 ? 1 : 0;`;
    const make = genKernel<(cmp: typeof cmpStr) => StrCmpKernel>(key, ['cmpStr'], `return function (n, ac, ad, bc, bd, out) { ${body} };`);
    k = make(cmpStr);
    cache.set(key, k);
  }
  return k;
}
