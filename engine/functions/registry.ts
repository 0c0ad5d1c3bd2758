/**
 * The scalar-function registry: the one place that knows which functions exist. The binder looks
 * names (and aliases) up here to type a call; the workers look the bound call's `fn` up here to
 * compile its kernel; docs/functions.md and `lake functions` are generated from it.
 *
 * A bound call stays plain data — `{k:'call', fn: <canonical name>, args, type}` — so plans
 * travel to workers unchanged; only the registry (a module constant, identical in every thread)
 * maps the name to code. The core operators (arithmetic, comparison, logic: plan/types.ts
 * `CoreFn`) are compiled by compute/eval.ts itself.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { Evaluator } from './kernel.js';
import { COND_FUNCTIONS, COND_INTERNAL } from './scalar-cond.js';
import { DATE_FUNCTIONS, DATE_INTERNAL } from './scalar-date.js';
import { MATH_FUNCTIONS } from './scalar-math.js';
import { REGEX_FUNCTIONS } from './scalar-regex.js';
import { STRING_FUNCTIONS, STRING_INTERNAL } from './scalar-string.js';
import type { CallExpr, InternalKernel, ScalarFunction } from './types.js';

export const SCALAR_FUNCTIONS: readonly ScalarFunction[] = [
  ...STRING_FUNCTIONS, ...REGEX_FUNCTIONS, ...MATH_FUNCTIONS, ...DATE_FUNCTIONS, ...COND_FUNCTIONS,
];

const INTERNAL: readonly InternalKernel[] = [...STRING_INTERNAL, ...DATE_INTERNAL, ...COND_INTERNAL];

const byName = new Map<string, ScalarFunction>();
const kernels = new Map<string, NonNullable<ScalarFunction['kernel']>>();
for (const f of SCALAR_FUNCTIONS) {
  for (const n of [f.name, ...(f.aliases ?? [])]) {
    if (byName.has(n)) throw new LakehouseError('INTERNAL', `scalar function name ${n} is registered twice`);
    byName.set(n, f);
  }
  if (f.kernel) kernels.set(f.name, f.kernel);
}
for (const k of INTERNAL) {
  if (kernels.has(k.name)) throw new LakehouseError('INTERNAL', `kernel ${k.name} is registered twice`);
  kernels.set(k.name, k.kernel);
}

/** The function a SQL name (or alias) denotes, case-insensitively. */
export function lookupScalar(name: string): ScalarFunction | undefined {
  return byName.get(name.toLowerCase());
}

/** Compiles a bound registry call (on the worker). */
export function compileRegistryCall(e: CallExpr, args: Evaluator[]): Evaluator {
  const k = kernels.get(e.fn);
  if (!k) throw new LakehouseError('INTERNAL', `no kernel for the bound function ${e.fn}`, { help: 'The plan names a function this engine build does not have.' });
  return k(e, args);
}

/** Every callable name (canonical names and aliases), sorted. */
export function scalarNames(): string[] {
  return [...byName.keys()].sort();
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known names closest to `name` (for "did you mean"), among `extra` names too (aggregates). */
export function suggestFunction(name: string, extra: Iterable<string> = []): string[] {
  const all = [...scalarNames(), ...extra];
  const scored = all.map((n) => ({ n, d: editDistance(name.toLowerCase(), n) })).filter(({ n, d }) => d <= Math.max(2, Math.floor(n.length / 3)));
  scored.sort((x, y) => x.d - y.d || x.n.localeCompare(y.n));
  return scored.slice(0, 3).map(({ n }) => n);
}
