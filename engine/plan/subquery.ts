/**
 * Subqueries in WHERE, HAVING, SELECT and JOIN … ON, decorrelated into joins (no per-row
 * re-execution), after Neumann & Kemper, "Unnesting Arbitrary Queries" (2015), as DuckDB and
 * DataFusion do:
 * - `[NOT] EXISTS` → semi / anti join in a WHERE conjunct, else a mark join;
 * - `x IN (…)` → semi join on x = y (WHERE conjunct) or a null-aware mark join; `NOT IN` → a
 *   null-aware anti join (three-valued: a NULL on either side keeps no row) or NOT(mark);
 * - `x op ANY|ALL (…)` → semi / null-aware mark or anti joins whose residual is `x op y`
 *   (ALL is NOT ANY of the negated comparison);
 * - a scalar subquery → a `single` join (a second row for one outer row is CARDINALITY_VIOLATION).
 * Correlation: conjuncts of the subquery's WHERE that reference the enclosing query are pulled
 * up into the join — equalities between an inner and an outer expression become join keys,
 * anything else the join's residual. A correlated aggregate subquery is grouped by its
 * correlation keys (equalities only) and joined back; an outer row without a group gets the
 * aggregate's value over no rows (the COUNT bug: count is 0, not NULL). A subquery that returns
 * one aggregate row (no GROUP BY / HAVING) is a scalar: `x IN (SELECT max(…))` is `x = (…)`.
 *
 * Protocol with the binder (binder.ts): `prepare*` binds the subqueries of an expression and
 * returns the joins to add; the expression is then bound with each subquery node standing for a
 * placeholder column (`lookup`), `attach` adds the joins to the plan the expression runs over,
 * and `resolve` rewrites the placeholders into that plan's columns. Placeholders never leave
 * the binder. Forms that cannot be decorrelated fail with UNSUPPORTED and their position.
 * Plan-time only; plans stay plain data.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { walkExpr, walkQuery } from './unbound-walk.js';
import type { ScopeCol } from './bind-join.js';
import type { JoinKind, PlanNode } from './logical.js';
import { exprColumns, remapColumns, substituteColumns, type DataType, type Expr, type Schema } from './types.js';
import { foldExpr } from './optimize.js';
import { coerce, compare, type CmpFn, unify } from './typing.js';
import type { CmpOp, Pos, UExpr, UQuery, USelect, USelectItem } from './unbound.js';

/** The binder's scope column (one definition: plan/bind-join.ts). */
export type ScopeColumn = ScopeCol;

/** What the planner needs of the binder. */
export interface SubqueryHost {
  bindQuery(q: UQuery): Promise<PlanNode>;
  bindFrom(f: NonNullable<USelect['from']>): Promise<{ plan: PlanNode; scope: ScopeColumn[] }>;
  bindSelect(s: USelect, orderBy: [], pre: { plan: PlanNode; scope: ScopeColumn[] }): Promise<PlanNode>;
  bindExpr(u: UExpr, scope: ScopeColumn[]): Expr;
  /** Scopes of the enclosing queries while a subquery is bound (innermost last). */
  readonly outerScopes: ScopeColumn[][];
  containsAgg(u: UExpr): boolean;
  where(pos: Pos | undefined): string;
}

/** The query a subquery sits in. */
export interface OuterContext {
  /** Names visible to correlated references (the enclosing query's FROM scope). */
  scope: ScopeColumn[];
  /** Binds an expression of the enclosing query over the plan the joins attach to. */
  bind(u: UExpr): Expr;
  /** Column `i` of `scope` over the plan the joins attach to; null when it is not there (not a GROUP BY key). */
  col(i: number): Expr | null;
}

/** Right columns inside a recipe's residual; placeholders of subquery values. */
const RIGHT_BASE = 1 << 28;
const PH_BASE = 1 << 29;

interface Recipe {
  kind: JoinKind;
  /** Null: no join, only a placeholder with a constant value. */
  right: PlanNode | null;
  /** Over the attach plan (may hold placeholders of earlier recipes). */
  leftKeys: Expr[];
  rightKeys: Expr[];
  /** Over attach ++ right, right columns from RIGHT_BASE. */
  residual: Expr | null;
  nullAware: boolean;
  /** The placeholder this join defines, and its value given the attach plan's width. */
  ph?: { id: number; value: (w: number) => Expr };
}

/** A bound subquery: value columns 0..width-1 of `plan`, and its correlation. */
interface BoundSub {
  plan: PlanNode;
  width: number;
  leftKeys: Expr[];
  rightKeys: Expr[];
  /** Correlation conditions over attach ++ right (right from RIGHT_BASE). */
  residual: Expr[];
  /** Column of `plan` that is TRUE on every row (count-bug fix), with the value over no rows. */
  empty?: { flag: number; value: Expr };
}

export type Prepared = Recipe[];

const NEG_OP: Record<CmpOp, CmpOp> = { '=': '<>', '<>': '=', '<': '>=', '<=': '>', '>': '<=', '>=': '<' };
const CMP_FN: Record<CmpOp, CmpFn> = { '=': 'eq', '<>': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };

const isSub = (u: UExpr): boolean => u.k === 'subquery' || u.k === 'exists' || u.k === 'insub' || u.k === 'quantified';

function unsupported(what: string, where: string): LakehouseError {
  return new LakehouseError('UNSUPPORTED', `not supported yet: ${what}${where}`, {
    help: 'Rewrite the subquery as a join or derived table (FROM (SELECT …)) or move the correlated condition into the subquery\'s WHERE.',
  });
}

/** The subquery nodes of `u` not nested in another subquery, children before parents. */
export function topSubqueries(u: UExpr): UExpr[] {
  const all: UExpr[] = [];
  walkExpr(u, { expr: (e) => { if (isSub(e)) all.push(e); } }, new Set());
  const nested = new Set<UExpr>();
  for (const s of all) {
    const q = (s as { query: UQuery }).query;
    walkQuery(q, { expr: (e) => { if (isSub(e)) nested.add(e); } });
  }
  return all.filter((s) => !nested.has(s)).reverse();
}

export function hasSubquery(u: UExpr): boolean {
  let found = false;
  walkExpr(u, { expr: (e) => { if (isSub(e)) found = true; } }, new Set());
  return found;
}

function splitAnd(u: UExpr | null): UExpr[] {
  if (!u) return [];
  if (u.k === 'bin' && u.op === 'and') return [...splitAnd(u.l), ...splitAnd(u.r)];
  return [u];
}

export function andOf(parts: UExpr[]): UExpr | null {
  return parts.length ? parts.reduce((a, b) => ({ k: 'bin', op: 'and', l: a, r: b })) : null;
}

/** NOT pushed into a subquery predicate: NOT EXISTS, NOT IN, ALL ↔ ANY with the negated comparison. */
function normalizeNot(u: UExpr): UExpr {
  if (u.k !== 'not') return u;
  const e = normalizeNot(u.e);
  switch (e.k) {
    case 'not': return normalizeNot(e.e);
    case 'exists': case 'insub': return { ...e, neg: !e.neg };
    case 'quantified': return { ...e, op: NEG_OP[e.op], quantifier: e.quantifier === 'any' ? 'all' : 'any' };
    default: return u;
  }
}

/** A subquery that returns exactly one row: an aggregate without GROUP BY/HAVING/LIMIT. */
function singleRow(q: UQuery, host: SubqueryHost): boolean {
  const b = q.body;
  return b.k === 'select' && q.ctes.length === 0 && b.groupBy.length === 0 && !b.having && q.limit === null && q.offset === 0 && !b.groupingSets
    && b.items.length === 1 && b.items.every((it) => it.k === 'expr' && host.containsAgg(it.e));
}

const lit = (v: boolean | null, type: DataType = 'boolean'): Expr => ({ k: 'lit', v, type });
const col = (i: number, type: DataType): Expr => ({ k: 'col', i, type });
const not = (e: Expr): Expr => ({ k: 'call', fn: 'not', args: [e], type: 'boolean' });

export class SubqueryPlanner {
  private seq = 0;
  private readonly placeholders = new Map<UExpr, Expr>();
  private readonly resolved = new Map<number, Expr>();

  constructor(private readonly host: SubqueryHost) {}

  /** The placeholder a prepared subquery node binds to (undefined: not prepared here). */
  lookup(u: UExpr): Expr | undefined {
    return this.placeholders.get(u);
  }

  /**
   * A WHERE / ON condition: conjuncts that are subquery predicates become semi/anti joins (and
   * leave the condition); the subqueries of the other conjuncts become mark/single joins.
   * Returns the joins and the remaining condition (to bind, then `resolve`).
   */
  async prepareFilter(u: UExpr, outer: OuterContext): Promise<{ recipes: Prepared; rest: UExpr | null }> {
    const recipes: Recipe[] = [];
    const rest: UExpr[] = [];
    for (const raw of splitAnd(u)) {
      const c = normalizeNot(raw);
      const direct = c.k === 'exists' || ((c.k === 'insub' || c.k === 'quantified') && !hasSubquery(c.e));
      if (direct && !singleRow(c.query, this.host)) {
        recipes.push(await this.filterJoin(c, outer));
        continue;
      }
      if (hasSubquery(c)) recipes.push(...(await this.prepareValues([c], outer)));
      rest.push(c);
    }
    return { recipes, rest: andOf(rest) };
  }

  /** The subqueries of expressions evaluated per row (SELECT items, HAVING, non-conjunct predicates). */
  async prepareValues(us: UExpr[], outer: OuterContext): Promise<Prepared> {
    const out: Recipe[] = [];
    for (const u of us) for (const s of topSubqueries(u)) out.push(await this.valueJoin(s, outer));
    return out;
  }

  /** Adds prepared joins over `plan` (the plan the outer context binds to), in order. */
  attach(plan: PlanNode, recipes: Prepared): PlanNode {
    for (const r of recipes) {
      const w = plan.schema.length;
      if (!r.right) {
        if (r.ph) this.resolved.set(r.ph.id, r.ph.value(w));
        continue;
      }
      const leftKeys = r.leftKeys.map((k) => this.resolve(k));
      const residual = r.residual ? this.resolve(remapColumns(r.residual, (i) => (i >= RIGHT_BASE && i < PH_BASE ? w + i - RIGHT_BASE : i))) : null;
      const nullable = (s: Schema): Schema => s.map((f) => ({ ...f, nullable: true }));
      const schema: Schema = r.kind === 'semi' || r.kind === 'anti'
        ? plan.schema
        : r.kind === 'mark' ? [...plan.schema, { name: '__mark', type: 'boolean', nullable: true }] : [...plan.schema, ...nullable(r.right.schema)];
      plan = {
        op: 'join', kind: r.kind, left: plan, right: r.right, leftKeys, rightKeys: r.rightKeys, schema,
        ...(residual ? { residual } : {}), ...(r.nullAware ? { nullAware: true } : {}),
      };
      if (r.ph) this.resolved.set(r.ph.id, r.ph.value(w));
    }
    return plan;
  }

  /** Rewrites placeholders into the columns `attach` added. */
  resolve(e: Expr): Expr {
    let any = false;
    for (const i of exprColumns(e)) if (i >= PH_BASE) any = true;
    if (!any) return e;
    return mapPlaceholders(e, (i) => {
      const v = this.resolved.get(i - PH_BASE);
      if (!v) throw new LakehouseError('INTERNAL', 'a subquery placeholder was not attached');
      return v;
    });
  }

  private newPlaceholder(u: UExpr, type: DataType): number {
    const id = this.seq++;
    this.placeholders.set(u, col(PH_BASE + id, type));
    return id;
  }

  /** A subquery predicate that is a WHERE conjunct: semi or anti join. */
  private async filterJoin(c: Extract<UExpr, { k: 'exists' | 'insub' | 'quantified' }>, outer: OuterContext): Promise<Recipe> {
    const where = this.host.where(c.pos);
    if (c.k === 'exists') {
      const sub = await this.bindSub(c.query, outer, { exists: true, where });
      return { kind: c.neg ? 'anti' : 'semi', right: sub.plan, leftKeys: sub.leftKeys, rightKeys: sub.rightKeys, residual: andExprs(sub.residual), nullAware: false };
    }
    const sub = await this.bindSub(c.query, outer, { exists: false, where });
    // x IN S / x op ANY S keeps rows where some pair is TRUE; NOT IN / ALL keeps rows where no
    // pair is TRUE or NULL (null-aware anti join over the negated comparison).
    const negated = c.k === 'insub' ? c.neg : c.quantifier === 'all';
    const cmp = this.comparison(c, sub, outer, where, negated);
    return { ...cmp, kind: negated ? 'anti' : 'semi', nullAware: negated };
  }

  /**
   * The join of `x [NOT] IN S` / `x op ANY|ALL S` as the comparison it tests: IN and = ANY as the
   * last join key (null-aware key), other comparisons in the residual. ALL / NOT IN test the
   * negated comparison (the caller negates the result).
   */
  private comparison(c: Extract<UExpr, { k: 'insub' | 'quantified' }>, sub: BoundSub, outer: OuterContext, where: string, nullAware: boolean): Omit<Recipe, 'kind' | 'nullAware'> {
    if (sub.width !== 1) throw new LakehouseError('PLAN_ERROR', `the subquery of ${c.k === 'insub' ? 'IN' : 'ANY/ALL'} returns ${sub.width} columns; it must return one${where}`);
    const op: CmpOp = c.k === 'insub' ? '=' : c.quantifier === 'all' ? NEG_OP[c.op] : c.op;
    let x = outer.bind(c.e);
    let y: Expr = col(0, sub.plan.schema[0]!.type);
    // Three-valued correlation filters must not turn the answer UNKNOWN: they are TRUE or not a pair.
    const corr = sub.residual.map((r) => ({ k: 'call', fn: 'coalesce', args: [r, lit(false)], type: 'boolean' }) as Expr);
    if (op === '=') {
      if (x.type !== y.type) {
        const t = unify(x.type, y.type, 'IN (subquery)');
        x = coerce(x, t);
        y = coerce(y, t);
      }
      return { right: sub.plan, leftKeys: [...sub.leftKeys, x], rightKeys: [...sub.rightKeys, y], residual: andExprs(corr) };
    }
    const test = compare(CMP_FN[op], x, remapColumns(y, (i) => i + RIGHT_BASE));
    if (!nullAware) return { right: sub.plan, leftKeys: sub.leftKeys, rightKeys: sub.rightKeys, residual: andExprs([...corr, test]) };
    // A null-aware join's keys end with its IN key: correlation equalities go to the residual.
    const keyed = sub.leftKeys.map((l, i) => ({ k: 'call', fn: 'coalesce', args: [compare('eq', l, remapColumns(sub.rightKeys[i]!, (j) => j + RIGHT_BASE)), lit(false)], type: 'boolean' }) as Expr);
    return { right: sub.plan, leftKeys: [], rightKeys: [], residual: andExprs([...keyed, ...corr, test]) };
  }

  /** A subquery evaluated per row: mark join (predicates) or single join (scalar). */
  private async valueJoin(s: UExpr, outer: OuterContext): Promise<Recipe> {
    const pos = (s as { pos?: Pos }).pos;
    const where = this.host.where(pos);
    switch (s.k) {
      case 'exists': {
        if (singleRow(s.query, this.host)) {
          // An aggregate without GROUP BY returns one row: EXISTS is TRUE.
          const id = this.newPlaceholder(s, 'boolean');
          return this.constRecipe(id, lit(!s.neg));
        }
        const sub = await this.bindSub(s.query, outer, { exists: true, where });
        const id = this.newPlaceholder(s, 'boolean');
        return {
          kind: 'mark', right: sub.plan, leftKeys: sub.leftKeys, rightKeys: sub.rightKeys, residual: andExprs(sub.residual), nullAware: false,
          ph: { id, value: (w) => (s.neg ? not(col(w, 'boolean')) : col(w, 'boolean')) },
        };
      }
      case 'insub': case 'quantified': {
        const sub = await this.bindSub(s.query, outer, { exists: false, where });
        if (singleRow(s.query, this.host)) {
          // One row {y}: x IN {y} is x = y, x op ANY|ALL {y} is x op y (three-valued alike).
          const op: CmpOp = s.k === 'insub' ? (s.neg ? '<>' : '=') : s.op;
          const x = outer.bind(s.e);
          const id = this.newPlaceholder(s, 'boolean');
          return this.scalarRecipe(sub, id, (v) => compare(CMP_FN[op], x, v), where);
        }
        const negated = s.k === 'insub' ? s.neg : s.quantifier === 'all';
        const cmp = this.comparison(s, sub, outer, where, true);
        const id = this.newPlaceholder(s, 'boolean');
        return { ...cmp, kind: 'mark', nullAware: true, ph: { id, value: (w) => (negated ? not(col(w, 'boolean')) : col(w, 'boolean')) } };
      }
      case 'subquery': {
        const sub = await this.bindSub(s.query, outer, { exists: false, where });
        if (sub.width !== 1) throw new LakehouseError('PLAN_ERROR', `a scalar subquery must return one column, this one returns ${sub.width}${where}`);
        const id = this.newPlaceholder(s, sub.plan.schema[0]!.type);
        return this.scalarRecipe(sub, id, (v) => v, where);
      }
      default:
        throw new LakehouseError('INTERNAL', `not a subquery: ${s.k}`);
    }
  }

  /** A placeholder with a constant value (no join). */
  private constRecipe(id: number, value: Expr): Recipe {
    return { kind: 'semi', right: null, leftKeys: [], rightKeys: [], residual: null, nullAware: false, ph: { id, value: () => value } };
  }

  /** Single join; the value is `f(column 0)`, or `f(value over no rows)` for an outer row without a group. */
  private scalarRecipe(sub: BoundSub, id: number, f: (v: Expr) => Expr, where: string): Recipe {
    if (sub.width !== 1) throw new LakehouseError('PLAN_ERROR', `the subquery returns ${sub.width} columns; it must return one${where}`);
    const type = sub.plan.schema[0]!.type;
    return {
      kind: 'single', right: sub.plan, leftKeys: sub.leftKeys, rightKeys: sub.rightKeys, residual: andExprs(sub.residual), nullAware: false,
      ph: {
        id,
        value: (w) => {
          const v = col(w, type);
          if (!sub.empty) return f(v);
          const matched: Expr = { k: 'call', fn: 'is_not_null', args: [col(w + sub.empty.flag, 'boolean')], type: 'boolean' };
          const e = f(v);
          const none = foldExpr(f(coerce(sub.empty.value, type)));
          return { k: 'case', whens: [[matched, e]], else: coerce(none, e.type), type: e.type };
        },
      },
    };
  }

  /**
   * Binds a subquery in the context of its enclosing query. Uncorrelated: the query as it is.
   * Correlated (its WHERE references the enclosing query): the correlated conjuncts leave the
   * WHERE and become join keys/residual over the columns they use, which the subquery passes
   * through as extra output columns (grouped by, when it aggregates).
   */
  private async bindSub(q: UQuery, outer: OuterContext, opts: { exists: boolean; where: string }): Promise<BoundSub> {
    const host = this.host;
    host.outerScopes.push(outer.scope);
    try {
      const plain = async (): Promise<BoundSub> => {
        let plan = await host.bindQuery(q);
        // EXISTS over an uncorrelated query only asks whether it has a row.
        if (opts.exists) plan = { op: 'limit', input: plan, n: 1, offset: 0, schema: plan.schema };
        return { plan, width: plan.schema.length, leftKeys: [], rightKeys: [], residual: [] };
      };
      const s = q.body;
      if (s.k !== 'select' || !s.where) return await plain();
      const { plan: fromPlan, scope: fromScope } = s.from ? await host.bindFrom(s.from) : { plan: { op: 'values', rows: 1, schema: [] } as PlanNode, scope: [] };
      const nf = fromScope.length;
      const combined: ScopeColumn[] = [...fromScope, ...outer.scope.map((c) => ({ ...c, outer: true }))];
      const local: UExpr[] = [];
      const corr: Array<{ u: UExpr; b: Expr }> = [];
      for (const c of splitAnd(s.where)) {
        if (hasSubquery(c)) { local.push(c); continue; }
        const b = host.bindExpr(c, combined);
        if ([...exprColumns(b)].some((i) => i >= nf)) corr.push({ u: c, b });
        else local.push(c);
      }
      if (!corr.length) return await plain();
      if (q.ctes.length) throw unsupported('WITH inside a correlated subquery', opts.where);
      if (q.limit !== null || q.offset) throw unsupported('LIMIT/OFFSET in a correlated subquery', opts.where);
      if (s.groupingSets) throw unsupported('GROUPING SETS in a correlated subquery', opts.where);
      const aggregated = s.groupBy.length > 0 || s.having !== null || s.items.some((it) => it.k === 'expr' && host.containsAgg(it.e));
      // Each correlated conjunct: inner = outer (a key) or anything else (residual).
      const side = (e: Expr): 'in' | 'out' | null => {
        const cs = [...exprColumns(e)];
        return cs.length === 0 ? null : cs.every((i) => i < nf) ? 'in' : cs.every((i) => i >= nf) ? 'out' : null;
      };
      const eqs: Array<{ inner: Expr; outerE: Expr; innerU: UExpr }> = [];
      const others: Expr[] = [];
      for (const { u, b } of corr) {
        if (b.k === 'call' && b.fn === 'eq' && u.k === 'bin' && u.op === '=') {
          const [a, c] = b.args as [Expr, Expr];
          const sa = side(a);
          const sc = side(c);
          if (sa && sc && sa !== sc) {
            const innerFirst = sa === 'in';
            eqs.push({ inner: innerFirst ? a : c, outerE: innerFirst ? c : a, innerU: innerFirst ? u.l : u.r });
            continue;
          }
        }
        others.push(b);
      }
      if (aggregated && others.length) throw unsupported('a correlated condition other than inner = outer in an aggregating subquery', opts.where);
      if (!aggregated && s.distinct && !opts.exists && others.length) throw unsupported('SELECT DISTINCT in a subquery correlated by a non-equality', opts.where);
      const toOuter = (e: Expr): Expr => substituteColumns(e, (i) => {
        const c = outer.col(i - nf);
        if (!c) throw unsupported(`a correlated reference to "${outer.scope[i - nf]!.name}", which is not a GROUP BY key of the enclosing query`, opts.where);
        return c;
      });
      const ident = (i: number): UExpr => ({ k: 'ident', parts: fromScope[i]!.qualifier ? [fromScope[i]!.qualifier!, fromScope[i]!.name] : [fromScope[i]!.name] });
      const items: USelectItem[] = opts.exists && !aggregated ? [{ k: 'expr', e: { k: 'lit', v: true, type: 'boolean' } }] : s.items;
      let extras: UExpr[];
      let innerCol: (e: Expr, w: number) => Expr;
      if (aggregated) {
        // Grouped by the inner sides of the correlation equalities, passed through as columns.
        extras = eqs.map((e) => e.innerU);
        innerCol = () => { throw new LakehouseError('INTERNAL', 'residual in an aggregating subquery'); };
      } else {
        const used = [...new Set([...eqs.flatMap((e) => [...exprColumns(e.inner)]), ...others.flatMap((o) => [...exprColumns(o)].filter((i) => i < nf))])].sort((a, b) => a - b);
        extras = used.map(ident);
        const at = new Map(used.map((c, k) => [c, k]));
        innerCol = (e, w) => remapColumns(e, (i) => w + at.get(i)!);
      }
      const sel: USelect = { ...s, items: [...items, ...extras.map((e): USelectItem => ({ k: 'expr', e }))], where: andOf(local), groupBy: aggregated ? [...s.groupBy, ...extras] : s.groupBy };
      let plan = await host.bindSelect(sel, [], { plan: fromPlan, scope: fromScope });
      const width = plan.schema.length - extras.length;
      const leftKeys: Expr[] = [];
      const rightKeys: Expr[] = [];
      eqs.forEach((e, k) => {
        let l = toOuter(e.outerE);
        let r = aggregated ? coerce(col(width + k, plan.schema[width + k]!.type), e.inner.type) : innerCol(e.inner, width);
        if (l.type !== r.type) {
          const t = unify(l.type, r.type, 'correlated equality');
          l = coerce(l, t);
          r = coerce(r, t);
        }
        leftKeys.push(l);
        rightKeys.push(r);
      });
      const residual = others.map((o) => substituteColumns(o, (i) => (i < nf ? innerCol(col(i, fromScope[i]!.type), width + RIGHT_BASE) : toOuter(col(i, outer.scope[i - nf]!.type)))));
      let empty: BoundSub['empty'];
      if (aggregated && s.groupBy.length === 0) {
        const value = emptyValue(plan, opts.where);
        if (value && !(value.k === 'lit' && value.v === null)) {
          empty = { flag: plan.schema.length, value };
          plan = { op: 'project', input: plan, exprs: [...plan.schema.map((f, i) => col(i, f.type)), lit(true)], schema: [...plan.schema, { name: '__matched', type: 'boolean', nullable: false }] };
        }
      }
      return { plan, width, leftKeys, rightKeys, residual, ...(empty ? { empty } : {}) };
    } finally {
      host.outerScopes.pop();
    }
  }
}

/**
 * The first column of an aggregating subquery (without GROUP BY) over no input rows: count is
 * 0, other aggregates NULL, HAVING applied. Null when that is NULL.
 */
function emptyValue(plan: PlanNode, where: string): Expr | null {
  if (plan.op !== 'project') throw unsupported('this correlated aggregating subquery', where);
  let below = plan.input;
  let having: Expr | null = null;
  if (below.op === 'filter') { having = below.predicate; below = below.input; }
  if (below.op !== 'aggregate') throw unsupported('this correlated aggregating subquery', where);
  const agg = below;
  const nk = agg.keys.length;
  const sub = (i: number): Expr => {
    if (i < nk) return lit(null, agg.keys[i]!.type);
    const a = agg.aggs[i - nk]!;
    return a.fn === 'count' || a.fn === 'count_star' ? { k: 'lit', v: 0, type: a.type } : lit(null, a.type);
  };
  if (having) {
    const h = foldExpr(substituteColumns(having, sub));
    if (h.k !== 'lit') throw unsupported('this HAVING in a correlated subquery', where);
    if (h.v !== true) return null;
  }
  const v = foldExpr(substituteColumns(plan.exprs[0]!, sub));
  if (v.k !== 'lit') throw unsupported('this correlated aggregating subquery', where);
  return v;
}

/** `e` with each placeholder column (index ≥ PH_BASE) replaced; other columns keep their types. */
function mapPlaceholders(e: Expr, f: (i: number) => Expr): Expr {
  const rec = (x: Expr): Expr => mapPlaceholders(x, f);
  switch (e.k) {
    case 'col': return e.i >= PH_BASE ? f(e.i) : e;
    case 'lit': return e;
    case 'call': return { ...e, args: e.args.map(rec) };
    case 'case': return { ...e, whens: e.whens.map(([w, t]) => [rec(w), rec(t)] as [Expr, Expr]), else: e.else ? rec(e.else) : null };
    case 'cast': case 'in': case 'like': return { ...e, e: rec(e.e) };
  }
}

function andExprs(parts: Expr[]): Expr | null {
  return parts.length ? parts.reduce((a, b) => ({ k: 'call', fn: 'and', args: [a, b], type: 'boolean' })) : null;
}
