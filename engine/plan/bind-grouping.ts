/**
 * Binding of the grouping extensions of an aggregating SELECT (called from binder.ts
 * `bindSelect`):
 *
 * - GROUPING SETS / ROLLUP / CUBE (`USelect.groupingSets`, indexes into the GROUP BY keys):
 *   one aggregate per grouping set over the same input, each projected to the full layout
 *   [every key … , grouping id, every aggregate …] — keys outside the set are NULL there, the
 *   grouping id is the set's position — and the branches concatenated (UNION ALL). A rolled-up
 *   key is thus NULL, and `grouping(…)` tells it apart from a NULL in the data.
 * - `grouping(a, b, …)` / `grouping_id(…)`: a bit per argument (the first argument is the most
 *   significant bit), 1 where that key is rolled up in the row's grouping set (DuckDB, SQL
 *   standard); bound as a CASE over the grouping id column, 0 for a plain GROUP BY. BIGINT.
 * - `agg(args) FILTER (WHERE p)`: rewritten as `agg(CASE WHEN p THEN arg END, …)` — NULL where
 *   the row is filtered out, which every NULL-ignoring aggregate skips — and `count(*) FILTER
 *   (WHERE p)` as `count(CASE WHEN p THEN 1 END)`. The rewrite does not depend on which
 *   aggregate it is: every argument that is not a constant (a separator, a fraction) and every
 *   ORDER BY key of the call is wrapped (the first argument always, when nothing else is).
 *   Aggregates that keep NULL inputs (array_agg, list, first, last, …) would see the filtered
 *   rows as NULLs, so FILTER on them is refused as not supported yet.
 *
 * Pure functions over plain plan data. Run time: one aggregation per grouping set, each reading
 * the input again (the input plan is shared; its scans run once per set).
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { PlanNode } from './logical.js';
import { exprEquals, type AggCall, type Expr, type Field, type Schema } from './types.js';
import type { UExpr } from './unbound.js';

type UFn = Extract<UExpr, { k: 'fn' }>;

/** `grouping(…)` and its DuckDB alias `grouping_id(…)`. */
export function isGroupingFn(u: UExpr): boolean {
  return u.k === 'fn' && (u.name === 'grouping' || u.name === 'grouping_id') && !u.over;
}

/** Aggregates that keep NULL inputs: the CASE rewrite of FILTER would add rows to them. */
const NULL_KEEPING = new Set(['array_agg', 'list', 'first', 'last', 'arbitrary', 'histogram']);

const isConstant = (u: UExpr): boolean => u.k === 'lit' || u.k === 'num' || u.k === 'typed' || (u.k === 'neg' && isConstant(u.e));

/**
 * `agg(…) FILTER (WHERE p)` → the same call without FILTER, its inputs NULL where p is not
 * TRUE (see the header). Calls without FILTER, window calls (OVER) and calls of functions that
 * are not aggregates (the binder rejects their FILTER) are returned as they are.
 */
export function rewriteAggFilter(u: UExpr, isAggregate: (name: string) => boolean): UExpr {
  if (u.k !== 'fn' || !u.filter || u.over || !isAggregate(u.name)) return u;
  const p = u.filter;
  if (NULL_KEEPING.has(u.name)) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: FILTER (WHERE …) on ${u.name}()${u.pos ? ` at line ${u.pos.line}, column ${u.pos.column}` : ''}`, {
      help: `Filter the rows in a subquery or WHERE instead, or use CASE inside ${u.name}().`,
    });
  }
  const when = (x: UExpr): UExpr => ({ k: 'case', operand: null, whens: [[p, x]], else: null });
  const { filter: _f, ...rest } = u;
  void _f;
  if (u.star) return { ...rest, star: false, args: [when({ k: 'num', text: '1' })] };
  if (u.args.length === 0) throw new LakehouseError('PLAN_ERROR', `FILTER (WHERE …) needs an aggregate with arguments, not ${u.name}()`, { help: 'Use count(*) FILTER (WHERE …) to count rows.' });
  let wrapped = false;
  const args = u.args.map((a) => {
    if (isConstant(a)) return a;
    wrapped = true;
    return when(a);
  });
  const orderBy = u.orderBy?.map((o) => ({ ...o, e: when(o.e) }));
  if (!wrapped && !orderBy?.length) args[0] = when(args[0]!);
  return { ...rest, args, ...(orderBy ? { orderBy } : {}) };
}

/**
 * `grouping(a, …)`: `bindArg` binds an argument over the SELECT's input; `keys` are the bound
 * GROUP BY keys, `sets` the grouping sets (undefined: plain GROUP BY), `gidCol` the index of
 * the grouping id column in the aggregate layout.
 */
export function bindGroupingCall(u: UFn, bindArg: (x: UExpr) => Expr, keys: Expr[], sets: number[][] | undefined, gidCol: number): Expr {
  if (u.args.length === 0 || u.star || u.distinct || u.filter) {
    throw new LakehouseError('PLAN_ERROR', `${u.name}() takes one or more GROUP BY columns`, { help: `Write ${u.name}(a, b) over columns of GROUP BY.` });
  }
  if (u.args.length > 52) throw new LakehouseError('PLAN_ERROR', `${u.name}() takes at most 52 arguments`);
  const idx = u.args.map((a) => {
    const b = bindArg(a);
    const i = keys.findIndex((k) => exprEquals(k, b));
    if (i < 0) {
      throw new LakehouseError('PLAN_ERROR', `arguments of ${u.name}() must be GROUP BY expressions${u.pos ? ` (at line ${u.pos.line}, column ${u.pos.column})` : ''}`, {
        help: 'Pass columns or expressions that appear in GROUP BY.',
      });
    }
    return i;
  });
  const bits = (set: number[] | null): number => idx.reduce((acc, i) => acc * 2 + (set === null || set.includes(i) ? 0 : 1), 0);
  if (!sets) return { k: 'lit', v: 0, type: 'int64' };
  const vals = sets.map(bits);
  if (vals.every((v) => v === vals[0])) return { k: 'lit', v: vals[0]!, type: 'int64' };
  const gid: Expr = { k: 'col', i: gidCol, type: 'int64' };
  return {
    k: 'case',
    whens: vals.map((v, s): [Expr, Expr] => [{ k: 'call', fn: 'eq', args: [gid, { k: 'lit', v: s, type: 'int64' }], type: 'boolean' }, { k: 'lit', v, type: 'int64' }]),
    else: null,
    type: 'int64',
  };
}

/**
 * The aggregation of a GROUPING SETS query: layout [keys…, grouping id (BIGINT), aggregates…].
 * `keyFields` / `aggFields` name and type the key and aggregate columns.
 */
export function groupingSetsPlan(input: PlanNode, keys: Expr[], aggs: AggCall[], sets: number[][], keyFields: Field[], aggFields: Field[]): PlanNode {
  const gidField: Field = { name: '__grouping_id', type: 'int64', nullable: false };
  const schema: Schema = [...keyFields.map((f) => ({ ...f, nullable: true })), gidField, ...aggFields];
  const branches = sets.map((set, s): PlanNode => {
    const agg: PlanNode = {
      op: 'aggregate', input, keys: set.map((i) => keys[i]!), aggs: [...aggs],
      schema: [...set.map((i) => keyFields[i]!), ...aggFields],
    };
    const exprs: Expr[] = [
      ...keys.map((k, i): Expr => (set.includes(i) ? { k: 'col', i: set.indexOf(i), type: k.type } : { k: 'lit', v: null, type: k.type })),
      { k: 'lit', v: s, type: 'int64' },
      ...aggs.map((a, j): Expr => ({ k: 'col', i: set.length + j, type: a.type })),
    ];
    return { op: 'project', input: agg, exprs, schema };
  });
  return branches.length === 1 ? branches[0]! : { op: 'union', inputs: branches, schema };
}
