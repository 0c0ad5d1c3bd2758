/**
 * GROUP BY of the SQL parser's AST → the unbound `groupBy` list plus `groupingSets`
 * (plan/unbound.ts USelect): plain expressions, `ROLLUP (…)`, `CUBE (…)`, `GROUPING SETS (…)`,
 * any mix of them (the clause is the cross product of its elements, as in the SQL standard,
 * DuckDB and Postgres), and MySQL's trailing `WITH ROLLUP` / `WITH CUBE`.
 *
 * `groupBy` lists each distinct grouping expression once (compared structurally, positions
 * ignored); every grouping set is a sorted list of indexes into it. Duplicate sets are kept
 * (`GROUPING SETS ((a), (a))` returns every group twice, as DuckDB does). A plain GROUP BY
 * returns its expressions as written and no sets. Pure and synchronous; the number of sets is
 * bounded by MAX_GROUPING_SETS (each set is one aggregation at run time).
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { UExpr } from '../plan/unbound.js';

/* The AST is the JSON serialisation of sqlparser-rs's enums (see parser.ts). */
type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** More grouping sets than this (CUBE of 9+ columns, large cross products) is refused. */
export const MAX_GROUPING_SETS = 256;

function refuse(what: string): LakehouseError {
  return new LakehouseError('UNSUPPORTED', `not supported yet: ${what}`, {
    help: 'See the engine documentation for the supported SQL subset.',
  });
}

function tooMany(n: number): LakehouseError {
  return new LakehouseError('PLAN_ERROR', `GROUP BY expands to ${n} grouping sets (at most ${MAX_GROUPING_SETS})`, {
    help: 'Use fewer CUBE / ROLLUP columns, or list the GROUPING SETS you need.',
  });
}

/** Structural key of an unbound expression, SQL positions left out. */
function exprKey(u: UExpr): string {
  return JSON.stringify(u, (k, v) => (k === 'pos' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}

/** Cross product of alternatives: every way of picking one set from each list, unioned. */
function cross(lists: number[][][]): number[][] {
  let out: number[][] = [[]];
  for (const alts of lists) {
    if (out.length * alts.length > MAX_GROUPING_SETS) throw tooMany(out.length * alts.length);
    out = out.flatMap((acc) => alts.map((s) => [...acc, ...s]));
  }
  return out;
}

function rollup(tuples: number[][]): number[][] {
  const out: number[][] = [];
  for (let i = tuples.length; i >= 0; i--) out.push(tuples.slice(0, i).flat());
  return out;
}

function cube(tuples: number[][]): number[][] {
  const n = tuples.length;
  if (2 ** n > MAX_GROUPING_SETS) throw tooMany(2 ** n);
  const out: number[][] = [];
  // Largest sets first (the full set, then each one left out, …, the grand total).
  for (let mask = (1 << n) - 1; mask >= 0; mask--) out.push(tuples.filter((_, i) => (mask >> (n - 1 - i)) & 1).flat());
  return out;
}

const isGroupingElement = (e: J): boolean => !!e && typeof e === 'object' && (e.Rollup !== undefined || e.Cube !== undefined || e.GroupingSets !== undefined);

export function convertGroupBy(gb: J, convertExpr: (e: J) => UExpr): { groupBy: UExpr[]; groupingSets?: number[][] } {
  const [exprs, modifiers] = (gb.Expressions ?? [[], []]) as [J[], J[]];
  const mods = (modifiers ?? []).map((m: J) => (typeof m === 'string' ? m : Object.keys(m)[0]));
  if (!exprs.some(isGroupingElement) && mods.length === 0) return { groupBy: exprs.map(convertExpr) };

  const groupBy: UExpr[] = [];
  const index = new Map<string, number>();
  const idx = (e: J): number => {
    const u = convertExpr(e);
    const key = exprKey(u);
    let i = index.get(key);
    if (i === undefined) {
      i = groupBy.length;
      groupBy.push(u);
      index.set(key, i);
    }
    return i;
  };
  // The alternatives one element contributes (a plain expression: the one set {e}).
  const setsOf = (e: J): number[][] => {
    if (e?.Rollup !== undefined) return rollup((e.Rollup as J[][]).map(tuple));
    if (e?.Cube !== undefined) return cube((e.Cube as J[][]).map(tuple));
    if (e?.GroupingSets !== undefined) {
      const out = (e.GroupingSets as J[][]).flatMap((set) => cross(set.map(setsOf)));
      if (out.length > MAX_GROUPING_SETS) throw tooMany(out.length);
      return out;
    }
    return [[idx(e)]];
  };
  // A ROLLUP / CUBE item: one expression or a parenthesised list, all kept together.
  const tuple = (items: J[]): number[] => items.map((x) => {
    if (isGroupingElement(x)) throw refuse('ROLLUP / CUBE / GROUPING SETS nested inside ROLLUP or CUBE');
    return idx(x);
  });

  let sets: number[][];
  if (mods.length) {
    if (mods.length > 1 || (mods[0] !== 'Rollup' && mods[0] !== 'Cube')) throw refuse(`GROUP BY … WITH ${mods.join(' ').toUpperCase()}`);
    if (exprs.some(isGroupingElement)) throw refuse(`GROUP BY … WITH ${String(mods[0]).toUpperCase()} over ROLLUP / CUBE / GROUPING SETS`);
    const tuples = exprs.map((e) => [idx(e)]);
    sets = mods[0] === 'Rollup' ? rollup(tuples) : cube(tuples);
  } else {
    sets = cross(exprs.map(setsOf));
  }
  return { groupBy, groupingSets: sets.map((s) => [...new Set(s)].sort((a, b) => a - b)) };
}
