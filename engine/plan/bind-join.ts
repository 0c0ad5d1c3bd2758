/**
 * Binding of joins in FROM: `[INNER] | LEFT | RIGHT | FULL [OUTER] | CROSS JOIN`, comma joins,
 * `ON <any condition>`, `USING (cols)` and `NATURAL`. Pure: unbound join + the bound sides →
 * a logical plan and the name scope above it (the binder, binder.ts, binds the sides and
 * expressions through the `JoinBinding` callbacks).
 *
 * The ON condition is split into conjuncts:
 * - `l = r` with `l` over the left side only and `r` over the right side only: an equi key;
 * - everything else: for inner joins a filter above the join (pushdown moves one-side conjuncts
 *   into the sides); when there is no equi key at all, mixed conjuncts become the join's
 *   `residual` (a nested-loop join evaluates it per pair). For LEFT/RIGHT/FULL joins the other
 *   conjuncts decide matching and must not filter the preserved side: they are the `residual`
 *   — except conjuncts over the null-supplying side only, which filter that side's input (a row
 *   failing them can never match, the same answer with less work).
 *
 * RIGHT JOIN is bound as the swapped LEFT JOIN with a projection restoring SQL's column order
 * (the preserved side stays the streaming probe side).
 *
 * USING / NATURAL (as DuckDB): the join keys are the named columns; `SELECT *` shows each once, at
 * the left side's position, then the left's other columns, then the right's other columns. The
 * shown column is the left value (inner, left), the right value (right), or
 * `COALESCE(left, right)` (full). Qualified references (`a.k`, `b.k`) still reach each side's own
 * column: those are `hidden` in the scope (not expanded by `*`, not matched by an unqualified name).
 * NATURAL JOIN with no common column is an error, as in DuckDB (write CROSS JOIN).
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { JoinKind, PlanNode } from './logical.js';
import { conjuncts, exprColumns, remapColumns, type DataType, type Expr, type Field, type Schema } from './types.js';
import { coerce, compare, unify } from './typing.js';
import type { UExpr, UFrom } from './unbound.js';

/** One column of a name scope (column i of the scope is column i of the plan). */
export interface ScopeCol {
  qualifier: string | null;
  name: string;
  type: DataType;
  /** Reachable by a qualified name only: not expanded by `*`, not matched by an unqualified name. */
  hidden?: boolean;
  /** A column of an enclosing query (a correlated reference, plan/subquery.ts); inner names win. */
  outer?: boolean;
}

export type Scope = ScopeCol[];

export interface BoundFrom {
  plan: PlanNode;
  scope: Scope;
}

/** What join binding needs from the binder. */
export interface JoinBinding {
  bindFrom(f: UFrom): Promise<BoundFrom>;
  bindExpr(u: UExpr, scope: Scope): Expr;
}

type UJoin = Extract<UFrom, { k: 'join' }>;

const col = (i: number, type: DataType): Expr => ({ k: 'col', i, type });
const nullable = (f: Field): Field => ({ ...f, nullable: true });

function planError(msg: string, help: string): LakehouseError {
  return new LakehouseError('PLAN_ERROR', msg, { help });
}

/** The visible column of a side named `name` (case-insensitive), or an error naming the clause. */
function usingColumn(scope: Scope, name: string, side: string, what: string): number {
  const key = name.toLowerCase();
  const hits = scope.map((c, i) => ({ c, i })).filter(({ c }) => !c.hidden && c.name.toLowerCase() === key);
  if (hits.length === 1) return hits[0]!.i;
  if (hits.length === 0) {
    throw planError(`column "${name}" in ${what} is not a column of the ${side} side of the join`, `Columns of the ${side} side: ${scope.filter((c) => !c.hidden).map((c) => c.name).slice(0, 20).join(', ')}.`);
  }
  throw planError(`column "${name}" in ${what} is ambiguous on the ${side} side of the join`, 'Join the sides with ON and qualified names instead.');
}

/** Binds a join (see the module header). */
export async function bindJoin(b: JoinBinding, f: UJoin): Promise<BoundFrom> {
  const left = await b.bindFrom(f.left);
  const right = await b.bindFrom(f.right);
  const nl = left.plan.schema.length;
  const kind: JoinKind = f.kind === 'cross' ? 'inner' : f.kind;
  const scope: Scope = [...left.scope, ...right.scope];

  // The condition, as bound conjuncts over left ++ right.
  const conds: Expr[] = [];
  /** USING pairs: left column, right column, name. */
  const using: Array<{ l: number; r: number; name: string }> = [];
  if (f.natural || f.using) {
    let names: string[];
    if (f.natural) {
      const rightNames = new Set(right.scope.filter((c) => !c.hidden).map((c) => c.name.toLowerCase()));
      names = [...new Set(left.scope.filter((c) => !c.hidden && rightNames.has(c.name.toLowerCase())).map((c) => c.name))];
      if (names.length === 0) throw planError('NATURAL JOIN: the two sides have no column name in common', 'Use CROSS JOIN for a cross product, or JOIN … ON <condition>.');
    } else {
      names = f.using!;
      const seen = new Set<string>();
      for (const n of names) {
        if (seen.has(n.toLowerCase())) throw planError(`column "${n}" appears twice in JOIN … USING`, 'List each column once.');
        seen.add(n.toLowerCase());
      }
    }
    const what = f.natural ? 'NATURAL JOIN' : 'JOIN … USING';
    for (const name of names) {
      const l = usingColumn(left.scope, name, 'left', what);
      const r = usingColumn(right.scope, name, 'right', what);
      using.push({ l, r, name: left.scope[l]!.name });
      conds.push(compare('eq', col(l, left.scope[l]!.type), col(nl + r, right.scope[r]!.type)));
    }
  } else if (f.on) {
    const c = b.bindExpr(f.on, scope);
    if (c.type !== 'boolean' && c.type !== 'null') throw planError(`JOIN … ON needs a boolean condition, got ${c.type}`, 'Write a comparison such as a.id = b.id.');
    conds.push(...(c.type === 'null' ? [{ k: 'lit', v: false, type: 'boolean' } as Expr] : conjuncts(c)));
  }

  // Split into equi keys and the rest.
  const side = (e: Expr): 'l' | 'r' | 'both' | null => {
    const cs = [...exprColumns(e)];
    if (cs.length === 0) return null;
    if (cs.every((i) => i < nl)) return 'l';
    if (cs.every((i) => i >= nl)) return 'r';
    return 'both';
  };
  const leftKeys: Expr[] = [];
  const rightKeys: Expr[] = [];
  const rest: Expr[] = [];
  for (const c of conds) {
    if (c.k === 'call' && c.fn === 'eq') {
      const [a, bb] = c.args as [Expr, Expr];
      const sa = side(a);
      const sb = side(bb);
      if ((sa === 'l' && sb === 'r') || (sa === 'r' && sb === 'l')) {
        let [l, r] = sa === 'l' ? [a, bb] : [bb, a];
        // compare() aligned numbers to one scale; other differing types meet at their common type.
        if (l.type !== r.type && !(isInt(l.type) && isInt(r.type))) {
          const t = unify(l.type, r.type, 'JOIN keys');
          l = coerce(l, t);
          r = coerce(r, t);
        }
        leftKeys.push(l);
        rightKeys.push(remapColumns(r, (i) => i - nl));
        continue;
      }
    }
    rest.push(c);
  }

  // Where the other conjuncts go (module header).
  const above: Expr[] = [];
  const residual: Expr[] = [];
  const leftInput: Expr[] = [];
  const rightInput: Expr[] = [];
  for (const c of rest) {
    const s = side(c);
    if (kind === 'inner') {
      if (s === 'both' && leftKeys.length === 0) residual.push(c);
      else above.push(c);
    } else if (kind === 'left' && s === 'r') rightInput.push(remapColumns(c, (i) => i - nl));
    else if (kind === 'right' && s === 'l') leftInput.push(c);
    else residual.push(c);
  }
  const filtered = (p: PlanNode, preds: Expr[]): PlanNode => (preds.length ? { op: 'filter', input: p, predicate: andOf(preds), schema: p.schema } : p);
  const lp = filtered(left.plan, leftInput);
  const rp = filtered(right.plan, rightInput);
  const ls = left.plan.schema.map((c) => (kind === 'right' || kind === 'full' ? nullable(c) : c));
  const rs = right.plan.schema.map((c) => (kind === 'left' || kind === 'full' ? nullable(c) : c));
  const schema: Schema = [...ls, ...rs];
  const res = residual.length ? andOf(residual) : null;

  let plan: PlanNode;
  if (kind === 'right') {
    // a RIGHT JOIN b is b LEFT JOIN a, with the columns put back in SQL order.
    const nr = right.plan.schema.length;
    const swap = (i: number): number => (i < nl ? nr + i : i - nl);
    const swapped: PlanNode = {
      op: 'join', kind: 'left', left: rp, right: lp, leftKeys: rightKeys, rightKeys: leftKeys,
      ...(res ? { residual: remapColumns(res, swap) } : {}), schema: [...rs, ...ls],
    };
    plan = { op: 'project', input: swapped, exprs: schema.map((c, i): Expr => col(swap(i), c.type)), schema };
  } else {
    plan = { op: 'join', kind, left: lp, right: rp, leftKeys, rightKeys, ...(res ? { residual: res } : {}), schema };
  }
  if (above.length) plan = { op: 'filter', input: plan, predicate: andOf(above), schema };
  if (using.length === 0) return { plan, scope };
  return usingOutput(plan, kind, left, right, using);
}

/**
 * The output of a USING / NATURAL join: for inner and left joins the left key columns are the
 * shown ones (same plan, the right's key columns hidden); for right and full joins a projection
 * puts the shown value (right's / COALESCE) at the left column's position and keeps the left's
 * own column, hidden, at the end.
 */
function usingOutput(plan: PlanNode, kind: JoinKind, left: BoundFrom, right: BoundFrom, using: Array<{ l: number; r: number; name: string }>): BoundFrom {
  const nl = left.scope.length;
  const rightUsing = new Set(using.map((u) => u.r));
  const rightScope: Scope = right.scope.map((c, i) => (rightUsing.has(i) ? { ...c, hidden: true } : c));
  if (kind === 'inner' || kind === 'left') return { plan, scope: [...left.scope, ...rightScope] };
  const byLeft = new Map(using.map((u) => [u.l, u]));
  const exprs: Expr[] = [];
  const schema: Schema = [];
  const scope: Scope = [];
  left.scope.forEach((c, i) => {
    const u = byLeft.get(i);
    if (!u) {
      exprs.push(col(i, plan.schema[i]!.type));
      schema.push(plan.schema[i]!);
      scope.push(c);
      return;
    }
    const lt = plan.schema[i]!.type;
    const rt = plan.schema[nl + u.r]!.type;
    const t = unify(lt, rt, `JOIN … USING column "${u.name}"`);
    const l = coerce(col(i, lt), t);
    const r = coerce(col(nl + u.r, rt), t);
    exprs.push(kind === 'right' ? r : { k: 'call', fn: 'coalesce', args: [l, r], type: t });
    schema.push({ name: c.name, type: t, nullable: true });
    scope.push({ qualifier: null, name: c.name, type: t });
  });
  right.scope.forEach((c, i) => {
    exprs.push(col(nl + i, plan.schema[nl + i]!.type));
    schema.push(plan.schema[nl + i]!);
    scope.push(rightScope[i]!);
  });
  for (const u of using) {
    exprs.push(col(u.l, plan.schema[u.l]!.type));
    schema.push(plan.schema[u.l]!);
    scope.push({ ...left.scope[u.l]!, hidden: true });
  }
  return { plan: { op: 'project', input: plan, exprs, schema }, scope };
}

function isInt(t: DataType): boolean {
  return t === 'int32' || t === 'int64';
}

function andOf(parts: Expr[]): Expr {
  return parts.reduce((acc, p) => ({ k: 'call', fn: 'and', args: [acc, p], type: 'boolean' }));
}
