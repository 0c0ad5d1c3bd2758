/**
 * Conditional functions and NULL-aware comparisons of the registry: coalesce, nullif, greatest,
 * least, and the kernels of `IS [NOT] DISTINCT FROM` (NULL equals NULL; never NULL itself).
 * Values compare as everywhere else: exact numbers exactly, doubles with NaN equal to NaN and
 * greatest, strings by code point (eval.ts `cmpScalars`). Pure kernels.
 */

import { toVec } from '../compute/casts.js';
import { cmpDouble, cmpExactScalar } from '../compute/exact-kernels.js';
import { cmpStr } from '../compute/vec.js';
import type { DataType, Expr, Scalar } from '../plan/types.js';
import { coerce, compare, unify } from '../plan/typing.js';
import { arity, call } from './bind-util.js';
import { isNullConst, pickRows, rowwise, type Evaluator } from './kernel.js';
import type { BindTools, CallExpr, InternalKernel, ScalarFunction } from './types.js';

export function cmpValues(a: Scalar, b: Scalar, isFloat: boolean): number {
  if (typeof a === 'string' && typeof b === 'string') return cmpStr(a, b);
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  if (isFloat) return cmpDouble(Number(a), Number(b));
  return cmpExactScalar(a as number | bigint, b as number | bigint);
}

/** All arguments at their common type. */
function common(args: Expr[], t: BindTools): { args: Expr[]; type: DataType } {
  let type: DataType = 'null';
  for (const a of args) type = unify(type, a.type, `${t.name}() arguments`);
  return { args: args.map((a) => coerce(a, type)), type };
}

function extreme(name: 'greatest' | 'least'): ScalarFunction {
  const sign = name === 'greatest' ? 1 : -1;
  return {
    name, family: 'conditional', signature: `${name}(value ANY, …) → ANY`,
    doc: `The ${name === 'greatest' ? 'largest' : 'smallest'} non-NULL argument (NULL only when all are NULL, as DuckDB), at the arguments' common type.`,
    bind(args, t) {
      arity(args, t, 1, Infinity);
      const c = common(args, t);
      return call(name, c.args, c.type);
    },
    kernel(e: CallExpr, args: Evaluator[]) {
      const isFloat = e.type === 'float64';
      return rowwise(e.type, (...xs) => {
        let best: Scalar = null;
        for (const x of xs) if (x !== null && (best === null || sign * cmpValues(x, best, isFloat) > 0)) best = x;
        return best;
      }, { strict: false })(args);
    },
  };
}

export const COND_FUNCTIONS: ScalarFunction[] = [
  {
    name: 'coalesce', aliases: ['ifnull', 'nvl'], family: 'conditional', signature: 'coalesce(value ANY, …) → ANY',
    doc: 'The first non-NULL argument, at the arguments\' common type.',
    bind(args, t) {
      arity(args, t, 1, Infinity);
      const c = common(args, t);
      return call('coalesce', c.args, c.type);
    },
    kernel(e, args) {
      const type = e.type;
      return (c) => {
        const n = c.length;
        const vals = args.map((f) => f(c));
        if (vals[0]?.t === 'const' && vals[0].v !== null) return vals[0];
        const vecs = vals.filter((v) => !isNullConst(v));
        if (vecs.length === 0) return { t: 'const', v: null, type };
        const full = vecs.map((v) => toVec(v, n));
        return pickRows(full, type, n, (i, k) => full[k]!.valid === null || full[k]!.valid![i] === 1);
      };
    },
  },
  {
    name: 'nullif', family: 'conditional', signature: 'nullif(a ANY, b ANY) → ANY', doc: 'NULL when a = b, else a.',
    bind(args, t) {
      arity(args, t, 2);
      const a = args[0]!;
      const type = a.type === 'null' ? 'int32' : a.type;
      return { k: 'case', whens: [[compare('eq', a, args[1]!), { k: 'lit', v: null, type }]], else: coerce(a, type), type };
    },
  },
  extreme('greatest'),
  extreme('least'),
];

function distinctKernel(neg: boolean): InternalKernel['kernel'] {
  return (e, args) => {
    const isFloat = e.args[0]!.type === 'float64' || e.args[1]!.type === 'float64';
    return rowwise('boolean', (a, b) => {
      const distinct = a === null || b === null ? (a === null) !== (b === null) : cmpValues(a, b, isFloat) !== 0;
      return distinct !== neg;
    }, { strict: false })(args);
  };
}

export const COND_INTERNAL: InternalKernel[] = [
  { name: 'is_distinct', kernel: distinctKernel(false) },
  { name: 'is_not_distinct', kernel: distinctKernel(true) },
];
