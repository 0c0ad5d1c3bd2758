/**
 * Window syntax of the sqlparser-ts AST → the unbound window forms (plan/unbound.ts): the `OVER`
 * clause of a function call (`OVER (…)` or `OVER w`), `WINDOW w AS (…)` definitions and
 * `IGNORE NULLS` / `RESPECT NULLS`. Pure and synchronous; called by parser.ts (convertFunction,
 * convertSelect). Named windows are resolved by the binder (plan/bind-window.ts), not here.
 *
 * As everywhere in the parser, a field of the AST this converter does not read must be empty:
 * anything else is a clause we would otherwise ignore, and is refused as `not supported yet`.
 */

import { convertExpr, unsupported } from './parser.js';
import type { UExpr, UFrame, UFrameBound, UOrder, UWindowSpec } from '../plan/unbound.js';

/* The AST is the JSON serialisation of sqlparser-rs's enums. */
type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function isEmpty(v: J): boolean {
  if (v === null || v === undefined || v === false || v === 'None') return true;
  if (Array.isArray(v)) return v.every(isEmpty);
  return typeof v === 'object' && Object.keys(v).length === 0;
}

function rejectOthers(node: J, read: readonly string[], what: string): void {
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (read.includes(k) || k === 'span' || k.endsWith('_token') || isEmpty(v)) continue;
    throw unsupported(`${what}: ${k.replace(/_/g, ' ').toUpperCase()}`);
  }
}

/** `null_treatment` of a function call: true for IGNORE NULLS, false for RESPECT NULLS / absent. */
export function convertNullTreatment(nt: J): boolean {
  if (nt === undefined || nt === null || nt === 'None') return false;
  if (nt === 'IgnoreNulls') return true;
  if (nt === 'RespectNulls') return false;
  throw unsupported(`null treatment ${JSON.stringify(nt).slice(0, 40)}`);
}

/** The `over` field of a function call: `OVER w` (a named window) or `OVER (…)`. */
export function convertOver(over: J): UWindowSpec {
  if (over.NamedWindow) return { ref: over.NamedWindow.value, partitionBy: [], orderBy: [], frame: null };
  if (over.WindowSpec) return convertWindowSpec(over.WindowSpec);
  throw unsupported(`OVER form ${Object.keys(over)[0]}`);
}

/** `WINDOW w AS (…), w2 AS w` of a SELECT: each definition, in order. */
export function convertNamedWindows(list: J[]): Array<{ name: string; spec: UWindowSpec }> {
  return list.map((entry: J) => {
    const [ident, def] = entry as [J, J];
    const name = ident?.value;
    if (typeof name !== 'string') throw unsupported('this WINDOW definition');
    if (def?.WindowSpec) return { name, spec: convertWindowSpec(def.WindowSpec) };
    // `WINDOW w2 AS w1`: an alias of another named window.
    if (def?.NamedWindow) return { name, spec: { ref: def.NamedWindow.value, partitionBy: [], orderBy: [], frame: null } };
    throw unsupported(`WINDOW definition ${Object.keys(def ?? {})[0]}`);
  });
}

function convertWindowSpec(w: J): UWindowSpec {
  rejectOthers(w, ['window_name', 'partition_by', 'order_by', 'window_frame'], 'OVER (…)');
  const spec: UWindowSpec = {
    partitionBy: (w.partition_by ?? []).map(convertExpr),
    orderBy: (w.order_by ?? []).map(convertOrder),
    frame: w.window_frame ? convertFrame(w.window_frame) : null,
  };
  if (w.window_name?.value) spec.ref = w.window_name.value;
  return spec;
}

function convertOrder(o: J): UOrder {
  rejectOthers(o, ['expr', 'options', 'with_fill'], 'window ORDER BY');
  if (o.with_fill) throw unsupported('ORDER BY … WITH FILL');
  rejectOthers(o.options, ['asc', 'nulls_first'], 'window ORDER BY');
  const item: UOrder = { e: convertExpr(o.expr), desc: o.options?.asc === false };
  if (o.options?.nulls_first !== undefined && o.options?.nulls_first !== null) item.nullsFirst = o.options.nulls_first;
  return item;
}

function convertFrame(f: J): UFrame {
  rejectOthers(f, ['units', 'start_bound', 'end_bound'], 'window frame');
  const units = f.units === 'Rows' ? 'rows' : f.units === 'Range' ? 'range' : f.units === 'Groups' ? 'groups' : null;
  if (!units) throw unsupported(`window frame units ${JSON.stringify(f.units)}`);
  const start = convertBound(f.start_bound);
  // `ROWS n PRECEDING` without BETWEEN ends at the current row (SQL standard).
  const end: UFrameBound = f.end_bound === undefined || f.end_bound === null || f.end_bound === 'None' ? { k: 'current' } : convertBound(f.end_bound);
  return { units, start, end };
}

function convertBound(b: J): UFrameBound {
  if (b === 'CurrentRow') return { k: 'current' };
  if (b && typeof b === 'object' && 'Preceding' in b) {
    return isEmpty(b.Preceding) ? { k: 'unbounded_preceding' } : { k: 'preceding', n: offsetExpr(b.Preceding) };
  }
  if (b && typeof b === 'object' && 'Following' in b) {
    return isEmpty(b.Following) ? { k: 'unbounded_following' } : { k: 'following', n: offsetExpr(b.Following) };
  }
  // `UNBOUNDED PRECEDING/FOLLOWING` arrive as `{ Preceding: undefined }`: the key is present.
  throw unsupported(`window frame bound ${JSON.stringify(b).slice(0, 40)}`);
}

/** A frame offset: a number, or an INTERVAL for RANGE over dates and timestamps (checked by the binder). */
function offsetExpr(e: J): UExpr {
  return convertExpr(e);
}
