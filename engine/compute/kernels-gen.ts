/**
 * Generated loop kernels. Each (operator, operand shape) pair is turned into one specialised
 * JavaScript loop with `new Function` the first time it is needed and cached for the life of the
 * thread, so the per-row work is a monomorphic typed-array loop that V8 compiles to tight machine
 * code — no per-row interpretation of the expression tree and no per-row allocation.
 * Shapes: `v` = vector operand (`x[i]`), `c` = constant operand (`x`).
 */

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

type StrCmpKernel = (n: number, ac: Int32Array, ad: string[], bc: Int32Array, bd: string[], out: Uint8Array) => void;

/** Compares two dictionary string vectors row by row (strings are shared, never built). */
export function strCmpKernel(op: string): StrCmpKernel {
  const key = `s|${op}`;
  let k = cache.get(key) as StrCmpKernel | undefined;
  if (!k) {
    const sym = CMP[op];
    if (!sym) throw new Error(`internal: no comparison kernel for ${op}`);
    k = genKernel<StrCmpKernel>(key, ['n', 'ac', 'ad', 'bc', 'bd', 'out'], `for (let i = 0; i < n; i++) out[i] = ad[ac[i]] ${sym} bd[bc[i]] ? 1 : 0;`);
    cache.set(key, k);
  }
  return k;
}

export function compareScalars(op: string, a: number | string | boolean, b: number | string | boolean): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'lt': return a < b;
    case 'le': return a <= b;
    case 'gt': return a > b;
    case 'ge': return a >= b;
    default: throw new Error(`internal: unknown comparison ${op}`);
  }
}
