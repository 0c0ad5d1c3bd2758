/**
 * Binder: unbound query (SQL or builder) → bound logical plan. Resolves table and column names
 * (case-insensitively, as Spark and DuckDB do for unquoted names), infers and checks types,
 * inserts implicit casts (numeric widening, date/timestamp literals from strings), extracts
 * aggregates, and plans ORDER BY over select aliases, ordinals or hidden columns.
 * Errors name the offending table/column and point at its SQL position when known.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { caret } from '../sql/parser.js';
import type { TableSource } from '../source/table-source.js';
import type { PlanNode, SortItem } from './logical.js';
import { parseTime, parseTimestampExact, parseUuid } from '../compute/casts.js';
import {
  exprColumns, exprEquals, isNumeric, parseDateLiteral, type AggCall, type DataType, type Expr, type Field, type Schema,
} from './types.js';
import { bindJoin, type Scope } from './bind-join.js';
import { foldExpr } from './optimize.js';
import { bindSetOp, bindValues } from './bind-setop.js';
import { bindGroupingCall, groupingSetsPlan, isGroupingFn, rewriteAggFilter } from './bind-grouping.js';
import { AGGREGATES, findAggregate, isAggregateName } from '../functions/aggregates.js';
import { arith, coerce, compare, literalAs, numberLiteral, toStr, unify } from './typing.js';
import { selectUsesWindows, WindowBinder } from './bind-window.js';
import type { Pos, TimeTravel, UBody, UExpr, UFrom, UOrder, UQuery, USelect } from './unbound.js';
import { SubqueryPlanner, hasSubquery, type OuterContext, type ScopeColumn } from './subquery.js';
import { walkExpr } from './unbound-walk.js';
import { lookupScalar, scalarNames, suggestFunction } from '../functions/registry.js';
import { addInterval } from '../functions/scalar-date.js';
import { bindIntDiv } from '../functions/scalar-math.js';
import type { BindTools, IntervalValue } from '../functions/types.js';

export interface ResolvedTable {
  name: string;
  source: TableSource;
}

/** A view: a named query, bound where it is used (engine/views.ts). */
export interface ResolvedView {
  name: string;
  view: { query: UQuery; sql: string; columns?: string[] };
}

export interface BindContext {
  resolveTable(parts: string[], travel: TimeTravel | undefined): Promise<ResolvedTable | ResolvedView | undefined>;
  /** Table functions in FROM (engine/source/table-functions.ts); absent: refused. */
  tableFunction?(f: Extract<UFrom, { k: 'tablefn' }>, sql: string | undefined): Promise<ResolvedTable>;
  sql?: string;
  /** The statement's clock in µs since the epoch (default: read once when first needed). */
  now?: number;
  /** Views being bound (outermost first), to refuse a view that reads itself. */
  viewStack?: string[];
}

type ScopeCol = ScopeColumn;

/** Aggregate names come from the registry (engine/functions/aggregates.ts). */
const AGGS = { has: isAggregateName };

function err(ctx: BindContext, msg: string, pos: Pos | undefined, help?: string, code: 'PLAN_ERROR' | 'TABLE_NOT_FOUND' | 'UNSUPPORTED' = 'PLAN_ERROR'): LakehouseError {
  const where = pos ? ` at line ${pos.line}, column ${pos.column}` : '';
  const snippet = pos && ctx.sql ? `\n${caret(ctx.sql, pos)}` : '';
  return new LakehouseError(code, `${msg}${where}${snippet}`, { ...(help ? { help } : {}), details: pos ? { ...pos } : {} });
}

function unsupported(what: string): LakehouseError {
  return new LakehouseError('UNSUPPORTED', `not supported yet: ${what}`);
}

const schemaOfScope = (s: Scope, nullable = true): Schema => s.map((c) => ({ name: c.name, type: c.type, nullable }));

export class Binder {
  private readonly ctes: Array<Map<string, PlanNode>> = [];
  /** Subqueries (plan/subquery.ts): decorrelated into joins; scopes of the enclosing queries. */
  private readonly subq = new SubqueryPlanner(this);
  readonly outerScopes: Scope[] = [];

  constructor(private readonly ctx: BindContext) {}

  containsAgg(u: UExpr): boolean {
    return containsAgg(u);
  }

  /** " at line L, column C" and the caret snippet, for errors about the construct at `pos`. */
  where(pos: Pos | undefined): string {
    return pos ? ` at line ${pos.line}, column ${pos.column}${this.ctx.sql ? `\n${caret(this.ctx.sql, pos)}` : ''}` : '';
  }

  /** The context of subqueries in a non-aggregating clause over `scope` (its columns are the plan's). */
  private outerOf(scope: Scope): OuterContext {
    return { scope, bind: (u) => this.bindExpr(u, scope), col: (i) => ({ k: 'col', i, type: scope[i]!.type }) };
  }

  async bindQuery(q: UQuery): Promise<PlanNode> {
    const frame = new Map<string, PlanNode>();
    this.ctes.push(frame);
    try {
      for (const c of q.ctes) frame.set(c.name.toLowerCase(), renameColumns(await this.bindQuery(c.query), c.columns, `CTE "${c.name}"`));
      let plan: PlanNode;
      if (q.orderByAll) {
        // ORDER BY ALL (DuckDB): by every output column, left to right.
        const o = q.orderByAll;
        plan = await this.bindBody(q.body);
        const keys = plan.schema.map((f, i): SortItem => ({ e: { k: 'col', i, type: f.type }, desc: o.desc, nullsFirst: o.nullsFirst ?? false }));
        plan = { op: 'sort', input: plan, keys, schema: plan.schema };
      } else if (q.body.k === 'select') {
        plan = await this.bindSelect(q.body, q.orderBy);
      } else {
        plan = await this.bindBody(q.body);
        if (q.orderBy.length) {
          const scope: Scope = plan.schema.map((f) => ({ qualifier: null, name: f.name, type: f.type }));
          const keys = q.orderBy.map((o) => this.orderOverOutput(o, scope, plan.schema.length));
          plan = { op: 'sort', input: plan, keys, schema: plan.schema };
        }
      }
      if (q.limit !== null || q.offset) plan = { op: 'limit', input: plan, n: q.limit, offset: q.offset, schema: plan.schema };
      return plan;
    } finally {
      this.ctes.pop();
    }
  }

  private async bindBody(b: UBody): Promise<PlanNode> {
    if (b.k === 'select') return this.bindSelect(b, []);
    if (b.k === 'nested') return this.bindQuery(b.query);
    // VALUES and UNION / INTERSECT / EXCEPT: plan/bind-setop.ts.
    if (b.k === 'values') return bindValues(b, (u) => this.bindExpr(u, []));
    return bindSetOp(b, (x) => this.bindBody(x));
  }

  private orderOverOutput(o: UOrder, scope: Scope, width: number): SortItem {
    const base = { desc: o.desc, nullsFirst: o.nullsFirst ?? false };
    if (o.e.k === 'num') {
      const k = Number(o.e.text);
      if (!Number.isInteger(k) || k < 1 || k > width) throw new LakehouseError('PLAN_ERROR', `ORDER BY position ${o.e.text} is not in the select list (1..${width})`);
      return { e: { k: 'col', i: k - 1, type: scope[k - 1]!.type }, ...base };
    }
    return { e: this.bindExpr(o.e, scope), ...base };
  }

  async bindFrom(f: UFrom): Promise<{ plan: PlanNode; scope: Scope }> {
    if (f.k === 'table') {
      const qualifier = (f.alias ?? f.name[f.name.length - 1]!).toLowerCase();
      if (f.name.length === 1 && !f.travel) {
        const key = f.name[0]!.toLowerCase();
        for (let i = this.ctes.length - 1; i >= 0; i--) {
          const cte = this.ctes[i]!.get(key);
          if (cte) return { plan: cte, scope: cte.schema.map((c) => ({ qualifier, name: c.name, type: c.type })) };
        }
      }
      if (f.columns) {
        const inner = await this.bindFrom({ ...f, columns: undefined } as UFrom);
        const plan = renameColumns(inner.plan, f.columns, `table alias "${qualifier}"`);
        return { plan, scope: plan.schema.map((c) => ({ qualifier, name: c.name, type: c.type })) };
      }
      const resolved = await this.ctx.resolveTable(f.name, f.travel);
      if (!resolved) {
        throw err(this.ctx, `table "${f.name.join('.')}" does not exist`, f.pos, 'Check the name (namespace.table) or register/create the table first.', 'TABLE_NOT_FOUND');
      }
      if ('view' in resolved) {
        // A view is bound afresh where it is used, in its own scope (it sees no CTE of the query).
        const stack = this.ctx.viewStack ?? [];
        if (f.travel) throw err(this.ctx, `not supported yet: time travel on view ${resolved.name}`, f.pos, 'Time travel applies to the tables the view reads.', 'UNSUPPORTED');
        if (stack.includes(resolved.name)) throw err(this.ctx, `view ${resolved.name} refers to itself (${[...stack, resolved.name].join(' → ')})`, f.pos, 'Redefine one of the views without the cycle.');
        const inner = new Binder({ ...this.ctx, sql: resolved.view.sql, viewStack: [...stack, resolved.name] });
        const plan = renameColumns(await inner.bindQuery(resolved.view.query), resolved.view.columns, `view ${resolved.name}`);
        return { plan, scope: plan.schema.map((c) => ({ qualifier, name: c.name, type: c.type })) };
      }
      const schema = resolved.source.schema;
      const plan: PlanNode = {
        op: 'scan', table: resolved.name, source: resolved.source, columns: schema.map((c) => c.name), filters: [], schema,
        ...(f.travel ? { travel: f.travel } : {}),
      };
      return { plan, scope: schema.map((c) => ({ qualifier, name: c.name, type: c.type })) };
    }
    if (f.k === 'sub') {
      const plan = renameColumns(await this.bindQuery(f.query), f.columns, `subquery "${f.alias}"`);
      const q = f.alias.toLowerCase();
      return { plan, scope: plan.schema.map((c) => ({ qualifier: q, name: c.name, type: c.type })) };
    }
    if (f.k === 'tablefn') {
      if (!this.ctx.tableFunction) throw unsupported(`table function ${f.name}()`);
      const resolved = await this.ctx.tableFunction(f, this.ctx.sql);
      const schema = resolved.source.schema;
      const scan: PlanNode = { op: 'scan', table: resolved.name, source: resolved.source, columns: schema.map((c) => c.name), filters: [], schema };
      const plan = renameColumns(scan, f.columns, `${f.name}()`);
      const qualifier = (f.alias ?? f.name).toLowerCase();
      return { plan, scope: plan.schema.map((c) => ({ qualifier, name: c.name, type: c.type })) };
    }
    if (f.k === 'join' && f.on && hasSubquery(f.on)) return this.bindJoinOnSubqueries(f, f.on);
    // Joins: plan/bind-join.ts.
    return bindJoin({ bindFrom: (x) => this.bindFrom(x), bindExpr: (u, sc) => this.bindExpr(u, sc) }, f);
  }

  /**
   * `a JOIN b ON … <subquery> …` (plan/subquery.ts): the inner join with the subqueries' joins
   * and the rest of the condition above it (the optimizer turns its equalities into join keys).
   * In an outer join the condition decides matching, which these joins cannot express yet.
   */
  private async bindJoinOnSubqueries(f: Extract<UFrom, { k: 'join' }>, on: UExpr): Promise<{ plan: PlanNode; scope: Scope }> {
    if (f.kind !== 'inner') throw unsupported(`subqueries in the ON condition of a ${f.kind.toUpperCase()} JOIN`);
    const inner = await this.bindFrom({ ...f, on: null });
    const { recipes, rest } = await this.subq.prepareFilter(on, this.outerOf(inner.scope));
    let plan = this.subq.attach(inner.plan, recipes);
    if (rest) plan = { op: 'filter', input: plan, predicate: asCondition(this.subq.resolve(this.bindExpr(rest, inner.scope)), 'JOIN … ON'), schema: plan.schema };
    const width = inner.plan.schema.length;
    if (plan.schema.length !== width) {
      plan = { op: 'project', input: plan, exprs: inner.plan.schema.map((c, i): Expr => ({ k: 'col', i, type: c.type })), schema: inner.plan.schema };
    }
    return { plan, scope: inner.scope };
  }

  /** `pre`: the FROM clause already bound (a decorrelated subquery, plan/subquery.ts). */
  async bindSelect(s: USelect, orderBy: UOrder[], pre?: { plan: PlanNode; scope: Scope }): Promise<PlanNode> {
    let plan: PlanNode;
    let scope: Scope;
    if (pre) ({ plan, scope } = pre);
    else if (s.from) ({ plan, scope } = await this.bindFrom(s.from));
    else { plan = { op: 'values', rows: 1, schema: [] }; scope = []; }
    if (s.where) {
      if (containsAgg(s.where)) throw new LakehouseError('PLAN_ERROR', 'aggregate functions are not allowed in WHERE', { help: 'Use HAVING to filter on aggregates.' });
      // Subquery conjuncts become semi/anti joins, other subqueries mark/single joins (subquery.ts).
      const { recipes, rest } = hasSubquery(s.where) ? await this.subq.prepareFilter(s.where, this.outerOf(scope)) : { recipes: [], rest: s.where };
      plan = this.subq.attach(plan, recipes);
      if (rest) {
        const pred = asCondition(this.subq.resolve(this.bindExpr(rest, scope)), 'WHERE');
        plan = { op: 'filter', input: plan, predicate: pred, schema: plan.schema };
      }
    }
    // Expand stars and name the select items.
    const items: Array<{ u?: UExpr; bound?: Expr; name: string }> = [];
    for (const it of s.items) {
      if (it.k === 'star') {
        const q = it.qualifier?.toLowerCase();
        let cols = scope.map((c, i) => ({ c, i })).filter(({ c }) => (q === undefined ? !c.hidden : c.qualifier === q));
        if (q !== undefined && cols.length === 0) throw new LakehouseError('PLAN_ERROR', `"${it.qualifier}.*" names no table in FROM`);
        if (it.except) {
          const drop = new Set<string>();
          for (const x of it.except) {
            const key = x.toLowerCase();
            if (!cols.some(({ c }) => c.name.toLowerCase() === key)) {
              throw new LakehouseError('PLAN_ERROR', `column "${x}" in * EXCEPT (…) is not a column of ${q === undefined ? 'the FROM clause' : `"${it.qualifier}"`}`, {
                help: `Columns: ${cols.map(({ c }) => c.name).slice(0, 20).join(', ')}.`,
              });
            }
            drop.add(key);
          }
          cols = cols.filter(({ c }) => !drop.has(c.name.toLowerCase()));
          if (cols.length === 0) throw new LakehouseError('PLAN_ERROR', '* EXCEPT (…) leaves no columns', { help: 'Name fewer columns in EXCEPT.' });
        }
        for (const { c, i } of cols) items.push({ u: { k: 'ident', parts: [c.qualifier ?? '', c.name].filter(Boolean) }, bound: { k: 'col', i, type: c.type }, name: c.name });
      } else {
        items.push({ u: it.e, name: it.alias ?? nameOf(it.e) });
      }
    }
    // GROUP BY ALL (DuckDB): every select item without an aggregate is a grouping key.
    const groupBy = s.groupByAll ? items.filter((it) => !containsAgg(it.u!)).map((it) => it.u!) : s.groupBy;
    const aggregated = groupBy.length > 0 || s.groupByAll === true || s.groupingSets !== undefined || s.having !== null || s.items.some((it) => it.k === 'expr' && containsAgg(it.e));
    // A select alias used in an expression (HAVING s > 10, ORDER BY s * 2, a later select item:
    // DuckDB allows all three) stands for its item's expression, unless a column of that name
    // can be used there (`columnWins`: any column; when aggregating, a GROUP BY column).
    const expanding = new Set<string>();
    const aliasItem = (u: UExpr, columnWins: (name: string) => boolean): UExpr | undefined => {
      if (u.k !== 'ident' || u.parts.length !== 1) return undefined;
      const key = u.parts[0]!.toLowerCase();
      if (expanding.has(key) || columnWins(key)) return undefined;
      const item = s.items.find((it) => it.k === 'expr' && it.alias?.toLowerCase() === key);
      return item && item.k === 'expr' ? item.e : undefined;
    };
    const aliasOf = (u: UExpr, rebind: (e: UExpr) => Expr, columnWins: (name: string) => boolean): Expr | undefined => {
      const e = aliasItem(u, columnWins);
      if (!e) return undefined;
      const key = (u as Extract<UExpr, { k: 'ident' }>).parts[0]!.toLowerCase();
      expanding.add(key);
      try { return rebind(e); } finally { expanding.delete(key); }
    };
    const inScope = (name: string): boolean => scope.some((c) => c.name.toLowerCase() === name);
    const mentionsAlias = (u: UExpr, columnWins: (name: string) => boolean): boolean => {
      let found = false;
      walkExpr(u, { expr: (x) => { if (!found && aliasItem(x, columnWins)) found = true; } }, new Set());
      return found;
    };
    let finishAgg: (() => PlanNode) | null = null;
    let exprs: Expr[];
    let bindOut: (u: UExpr) => Expr;
    // Window functions (plan/bind-window.ts): calls bind to placeholder columns through `win`'s
    // hook; `win.apply` adds the window nodes and QUALIFY below the projection.
    const usesWindows = selectUsesWindows(s, orderBy);
    const win = new WindowBinder(s, (u, h) => this.bindExpr(u, scope, h), s.items.flatMap((it) => (it.k === 'expr' ? [{ u: it.e, alias: it.alias }] : [])), (n) => scope.some((c) => c.name.toLowerCase() === n.toLowerCase()));
    let qualify: Expr | null = null;
    if (aggregated) {
      const groupKeys = groupBy.map((g) => {
        // GROUP BY may name a select alias or position (Spark, DuckDB, Postgres allow both).
        if (g.k === 'num') {
          const k = Number(g.text);
          const item = s.items[k - 1];
          if (!item || item.k !== 'expr') throw new LakehouseError('PLAN_ERROR', `GROUP BY position ${g.text} is not in the select list`);
          return this.bindExpr(item.e, scope);
        }
        if (g.k === 'ident' && g.parts.length === 1 && !scope.some((c) => c.name.toLowerCase() === g.parts[0]!.toLowerCase())) {
          const item = s.items.find((it) => it.k === 'expr' && it.alias?.toLowerCase() === g.parts[0]!.toLowerCase());
          if (item && item.k === 'expr') return this.bindExpr(item.e, scope);
        }
        if (containsAgg(g)) throw new LakehouseError('PLAN_ERROR', 'aggregate functions are not allowed in GROUP BY');
        return this.bindExpr(g, scope);
      });
      const aggs: AggCall[] = [];
      // GROUPING SETS: a grouping id column follows the keys (plan/bind-grouping.ts).
      const nk = groupKeys.length + (s.groupingSets ? 1 : 0);
      const groupColumn = (name: string): boolean => groupKeys.some((g) => g.k === 'col' && scope[g.i]!.name.toLowerCase() === name);
      const hook = (u0: UExpr): Expr | undefined => {
        const alias = aliasOf(u0, (e) => bindOut(e), groupColumn);
        if (alias) return alias;
        // agg(…) FILTER (WHERE p): the aggregate over CASE WHEN p THEN … END (plan/bind-grouping.ts).
        const u = rewriteAggFilter(u0, (name) => AGGS.has(name));
        if (u.k === 'fn' && isGroupingFn(u)) return bindGroupingCall(u, (x) => this.bindExpr(x, scope), groupKeys, s.groupingSets, groupKeys.length);
        if (u.k === 'fn' && AGGS.has(u.name)) {
          const call = this.bindAgg(u, scope);
          let j = aggs.findIndex((a) => sameAgg(a, call));
          if (j < 0) { j = aggs.length; aggs.push(call); }
          return { k: 'col', i: nk + j, type: call.type };
        }
        // Parts that are aggregates or select aliases are bound one by one.
        if (containsAgg(u) || mentionsAlias(u, groupColumn)) return undefined;
        const plain = this.bindExpr(u, scope);
        const ki = groupKeys.findIndex((g) => exprEquals(g, plain));
        if (ki >= 0) return { k: 'col', i: ki, type: plain.type };
        if (exprColumns(plain).size === 0) return plain;
        if (u.k === 'ident') {
          throw err(this.ctx, `column "${u.parts.join('.')}" must appear in GROUP BY or be used in an aggregate function`, u.pos, 'Add it to GROUP BY or wrap it in an aggregate such as min() or max().');
        }
        return undefined;
      };
      const outHook = usesWindows ? win.hook(hook) : hook;
      bindOut = (u) => this.bindExpr(u, scope, outHook);
      // Subqueries in the select list and HAVING run over the aggregate's output: correlated
      // references must be GROUP BY keys (subquery.ts); the joins go right above the aggregate.
      const subUs = [...items.map((it) => it.u!), ...(s.having ? [s.having] : [])].filter(hasSubquery);
      const recipes = subUs.length
        ? await this.subq.prepareValues(subUs, {
          scope, bind: bindOut,
          col: (i) => { const ki = groupKeys.findIndex((g) => g.k === 'col' && g.i === i); return ki < 0 ? null : { k: 'col', i: ki, type: groupKeys[ki]!.type }; },
        })
        : [];
      exprs = items.map((it) => bindOut(it.u!));
      const having = s.having ? bindOut(s.having) : null;
      qualify = win.bindQualify();
      const input = plan;
      // Built once ORDER BY is bound too: ORDER BY may add aggregates.
      finishAgg = () => {
        const keyFields = groupKeys.map((g, i): Field => ({ name: keyName(groupBy[i]!, i), type: g.type, nullable: true }));
        const aggFields = aggs.map((a, j): Field => ({ name: `agg${j}`, type: a.type, nullable: true }));
        let out: PlanNode = s.groupingSets
          ? groupingSetsPlan(input, groupKeys, aggs, s.groupingSets, keyFields, aggFields)
          : { op: 'aggregate', input, keys: groupKeys, aggs, schema: [...keyFields, ...aggFields] };
        out = this.subq.attach(out, recipes);
        if (having) out = { op: 'filter', input: out, predicate: asCondition(this.subq.resolve(having), 'HAVING'), schema: out.schema };
        return out;
      };
    } else {
      const aliasHook = (u: UExpr): Expr | undefined => aliasOf(u, (e) => bindOut(e), inScope);
      const outHook = usesWindows ? win.hook(aliasHook) : aliasHook;
      bindOut = (u) => this.bindExpr(u, scope, outHook);
      // Subqueries in the select list: mark/single joins below the projection (subquery.ts).
      const subUs = items.filter((it) => !it.bound && hasSubquery(it.u!)).map((it) => it.u!);
      if (subUs.length) {
        plan = this.subq.attach(plan, await this.subq.prepareValues(subUs, this.outerOf(scope)));
        const inner = bindOut;
        bindOut = (u) => this.subq.resolve(inner(u));
      }
      exprs = items.map((it) => it.bound ?? bindOut(it.u!));
      qualify = win.bindQualify();
    }
    // Output names are made unique (x, x_1, …) so that rows can be objects keyed by name.
    const seen = new Map<string, number>();
    const outSchema: Schema = items.map((it, i) => {
      let name = it.name;
      const n = seen.get(name.toLowerCase()) ?? 0;
      seen.set(name.toLowerCase(), n + 1);
      if (n > 0) {
        let k = n;
        while (seen.has(`${name}_${k}`.toLowerCase())) k++;
        name = `${name}_${k}`;
        seen.set(name.toLowerCase(), 1);
      }
      return { name, type: exprs[i]!.type, nullable: true };
    });
    // ORDER BY: output alias / ordinal / matching select expression, else a hidden column.
    const sortKeys: SortItem[] = [];
    const hidden: Expr[] = [];
    for (const o of orderBy) {
      const base = { desc: o.desc, nullsFirst: o.nullsFirst ?? false };
      if (o.e.k === 'num') {
        const k = Number(o.e.text);
        if (!Number.isInteger(k) || k < 1 || k > items.length) throw new LakehouseError('PLAN_ERROR', `ORDER BY position ${o.e.text} is not in the select list (1..${items.length})`);
        sortKeys.push({ e: { k: 'col', i: k - 1, type: exprs[k - 1]!.type }, ...base });
        continue;
      }
      if (o.e.k === 'ident' && o.e.parts.length === 1) {
        const name = o.e.parts[0]!.toLowerCase();
        const idx = items.findIndex((it) => it.name.toLowerCase() === name);
        if (idx >= 0) {
          sortKeys.push({ e: { k: 'col', i: idx, type: exprs[idx]!.type }, ...base });
          continue;
        }
      }
      const bound = bindOut(o.e);
      let idx = exprs.findIndex((e) => exprEquals(e, bound));
      if (idx < 0) {
        if (s.distinct) throw new LakehouseError('PLAN_ERROR', 'with SELECT DISTINCT, ORDER BY expressions must appear in the select list');
        idx = exprs.length + hidden.length;
        hidden.push(bound);
      }
      sortKeys.push({ e: { k: 'col', i: idx, type: bound.type }, ...base });
    }
    if (finishAgg) {
      plan = finishAgg();
      // Subquery placeholders of an aggregating select are columns above the aggregate now.
      exprs = exprs.map((e) => this.subq.resolve(e));
      hidden.forEach((h, i) => { hidden[i] = this.subq.resolve(h); });
    }
    if (win.active || qualify) plan = win.apply(plan, qualify, [exprs, hidden]);
    const allExprs = [...exprs, ...hidden];
    const projSchema: Schema = [...outSchema, ...hidden.map((h, i): Field => ({ name: `__order${i}`, type: h.type, nullable: true }))];
    plan = { op: 'project', input: plan, exprs: allExprs, schema: projSchema };
    if (s.distinct) {
      plan = { op: 'aggregate', input: plan, keys: outSchema.map((f, i): Expr => ({ k: 'col', i, type: f.type })), aggs: [], schema: outSchema };
    }
    if (sortKeys.length) plan = { op: 'sort', input: plan, keys: sortKeys, schema: plan.schema };
    if (hidden.length) {
      plan = { op: 'project', input: plan, exprs: outSchema.map((f, i): Expr => ({ k: 'col', i, type: f.type })), schema: outSchema };
    }
    return plan;
  }

  private bindAgg(u: Extract<UExpr, { k: 'fn' }>, scope: Scope): AggCall {
    if (u.args.some(containsAgg) || u.orderBy?.some((o) => containsAgg(o.e))) throw err(this.ctx, `aggregate functions cannot be nested (in ${u.name})`, u.pos);
    const def = findAggregate(u.name)!;
    return def.bind({
      name: u.name,
      args: u.args.map((a) => this.bindExpr(a, scope)),
      star: u.star,
      distinct: u.distinct,
      orderBy: (u.orderBy ?? []).map((o) => ({ e: this.bindExpr(o.e, scope), desc: o.desc, nullsFirst: o.nullsFirst ?? false })),
      fail: (msg, help) => { throw err(this.ctx, msg, u.pos, help); },
    });
  }

  /** Binds an expression against a scope. `hook` may take over any node (aggregate binding). */
  bindExpr(u: UExpr, scope: Scope, hook?: (u: UExpr) => Expr | undefined): Expr {
    if (hook) {
      const h = hook(u);
      if (h) return h;
    }
    const rec = (x: UExpr): Expr => this.bindExpr(x, scope, hook);
    switch (u.k) {
      case 'ident': return this.resolveColumn(u, scope);
      case 'num': return numberLiteral(u.text);
      case 'lit': return { k: 'lit', v: u.v, type: u.type };
      case 'typed':
        try {
          switch (u.type) {
            case 'date': return { k: 'lit', v: parseDateLiteral(u.text), type: 'date' };
            case 'time': return { k: 'lit', v: parseTime(u.text), type: 'time' };
            case 'uuid': return { k: 'lit', v: parseUuid(u.text), type: 'uuid' };
            default: return { k: 'lit', v: parseTimestampExact(u.text), type: 'timestamp' };
          }
        } catch (e) {
          throw err(this.ctx, (e as Error).message, u.pos);
        }
      case 'interval':
        throw new LakehouseError('PLAN_ERROR', 'an INTERVAL can only be added to or subtracted from a date or timestamp');
      case 'not': {
        const e = asBoolean(rec(u.e), 'NOT');
        return { k: 'call', fn: 'not', args: [e], type: 'boolean' };
      }
      case 'neg': {
        const e = rec(u.e);
        if (!isNumeric(e.type) && e.type !== 'null') throw new LakehouseError('PLAN_ERROR', `cannot negate a ${e.type}`);
        return { k: 'call', fn: 'neg', args: [e], type: e.type === 'int32' ? 'int64' : e.type };
      }
      case 'isnull':
        return { k: 'call', fn: u.neg ? 'is_not_null' : 'is_null', args: [rec(u.e)], type: 'boolean' };
      case 'bin':
        return this.bindBinary(u, rec);
      case 'between': {
        const e = rec(u.e);
        const lo = compare(u.neg ? 'lt' : 'ge', e, rec(u.lo));
        const hi = compare(u.neg ? 'gt' : 'le', e, rec(u.hi));
        return { k: 'call', fn: u.neg ? 'or' : 'and', args: [lo, hi], type: 'boolean' };
      }
      case 'in': {
        let e = rec(u.e);
        const items = u.list.map((x) => {
          const b = foldExpr(rec(x));
          if (b.k !== 'lit') throw unsupported('IN lists with non-constant values');
          return b;
        });
        // Numbers meet at their common type (`int_col IN (1.5)` compares as decimals, exactly).
        let t = e.type;
        if (isNumeric(t)) for (const b of items) if (isNumeric(b.type)) t = unify(t, b.type, 'IN list');
        e = coerce(e, t);
        const list = items.map((b) => literalAs(b, t === 'null' ? b.type : t));
        return { k: 'in', e, list, neg: u.neg, type: 'boolean' };
      }
      case 'like': {
        const e = rec(u.e);
        const p = rec(u.pattern);
        if (p.k !== 'lit' || (typeof p.v !== 'string' && p.v !== null)) throw unsupported('LIKE with a non-constant pattern');
        if (e.type !== 'string' && e.type !== 'null') throw new LakehouseError('PLAN_ERROR', `LIKE needs a string operand, got ${e.type}`);
        if (u.escape !== undefined && [...u.escape].length !== 1) throw new LakehouseError('PLAN_ERROR', `LIKE … ESCAPE needs a single character, got '${u.escape}'`);
        if (p.v === null) return { k: 'lit', v: null, type: 'boolean' };
        return { k: 'like', e, pattern: p.v, neg: u.neg, type: 'boolean', ...(u.ci ? { ci: true } : {}), ...(u.escape !== undefined ? { escape: u.escape } : {}) };
      }
      case 'case': {
        const operand = u.operand ? rec(u.operand) : null;
        const whens = u.whens.map(([w, t]): [Expr, Expr] => {
          const cond = operand ? compare('eq', operand, rec(w)) : rec(w);
          expectBoolean(cond, 'CASE WHEN');
          return [cond, rec(t)];
        });
        const els = u.else ? rec(u.else) : null;
        let type: DataType = 'null';
        for (const [, t] of whens) type = unify(type, t.type, 'CASE branches');
        if (els) type = unify(type, els.type, 'CASE branches');
        return { k: 'case', whens: whens.map(([w, t]) => [w, coerce(t, type)]), else: els ? coerce(els, type) : null, type };
      }
      case 'cast': {
        const e = rec(u.e);
        if (u.try) return e.type === u.to ? e : { k: 'cast', e, type: u.to, try: true };
        if (e.k === 'lit' && e.type === 'string' && (u.to === 'date' || u.to === 'timestamp')) return { k: 'lit', v: literalAs(e, u.to), type: u.to };
        return e.type === u.to ? e : { k: 'cast', e, type: u.to };
      }
      case 'fn':
        // Window calls are bound by plan/bind-window.ts where they are allowed; anywhere else they are an error.
        if (u.over || u.ignoreNulls) throw err(this.ctx, `${u.over ? 'window functions' : 'IGNORE NULLS'} ${u.over ? 'are' : 'is'} not allowed here (${u.name}())`, u.pos, 'Window functions may appear in the select list, QUALIFY and ORDER BY; they cannot be nested or used in WHERE, GROUP BY, HAVING or aggregate arguments.');
        if (AGGS.has(u.name) || isGroupingFn(u)) throw err(this.ctx, `aggregate function ${u.name}() is not allowed here`, u.pos);
        if (u.filter) throw err(this.ctx, `FILTER (WHERE …) is only allowed on aggregate functions, not ${u.name}()`, u.pos);
        return this.bindFunction(u, rec);
      case 'subquery': case 'exists': case 'insub': case 'quantified': {
        // Prepared by the clause that holds it (WHERE, HAVING, SELECT, ON): see subquery.ts.
        const ph = this.subq.lookup(u);
        if (ph) return ph;
        throw err(this.ctx, `not supported yet: ${u.k === 'subquery' ? 'a scalar subquery' : u.k === 'exists' ? 'EXISTS' : u.k === 'insub' ? 'IN (subquery)' : 'ANY/ALL (subquery)'} in this clause`, u.pos, 'Subqueries work in WHERE, HAVING, the select list and JOIN … ON; compute it there (or in a derived table) and refer to its column.', 'UNSUPPORTED');
      }
    }
  }

  private resolveColumn(u: Extract<UExpr, { k: 'ident' }>, scope: Scope): Expr {
    const parts = u.parts.map((p) => p.toLowerCase());
    const name = parts[parts.length - 1]!;
    const qual = parts.length > 1 ? parts[parts.length - 2]! : null;
    let hits = scope.map((c, i) => ({ c, i })).filter(({ c }) => c.name.toLowerCase() === name && (qual === null ? !c.hidden : c.qualifier === qual));
    // A correlated subquery's scope holds the enclosing query's columns too: inner names win.
    if (hits.some(({ c }) => !c.outer)) hits = hits.filter(({ c }) => !c.outer);
    if (hits.length === 1) return { k: 'col', i: hits[0]!.i, type: hits[0]!.c.type };
    if (hits.length > 1) {
      const exact = hits.filter(({ c }) => c.name === u.parts[u.parts.length - 1]);
      if (exact.length === 1) return { k: 'col', i: exact[0]!.i, type: exact[0]!.c.type };
      throw err(this.ctx, `column reference "${u.parts.join('.')}" is ambiguous`, u.pos, 'Qualify it with the table name or alias.');
    }
    if (this.outerScopes.some((o) => o.some((c) => c.name.toLowerCase() === name && (qual === null || c.qualifier === qual)))) {
      throw err(this.ctx, `not supported yet: the correlated reference "${u.parts.join('.')}" here (correlated references work in the subquery's WHERE, to the query right around it)`, u.pos, 'Move the condition into the subquery\'s WHERE, or join the tables instead.', 'UNSUPPORTED');
    }
    const known = [...new Set(scope.map((c) => (c.qualifier ? `${c.qualifier}.${c.name}` : c.name)))].slice(0, 20).join(', ');
    throw err(this.ctx, `unknown column "${u.parts.join('.')}"`, u.pos, known ? `Columns in scope: ${known}.` : 'The query has no FROM clause.');
  }

  private bindBinary(u: Extract<UExpr, { k: 'bin' }>, rec: (x: UExpr) => Expr): Expr {
    if ((u.op === '+' || u.op === '-') && (u.r.k === 'interval' || u.l.k === 'interval')) {
      if (u.l.k === 'interval') {
        if (u.r.k === 'interval') throw unsupported('arithmetic between INTERVALs (the engine has no INTERVAL type yet)');
        if (u.op === '-') throw new LakehouseError('PLAN_ERROR', 'cannot subtract a date or timestamp from an INTERVAL', { help: 'Write x - INTERVAL …' });
        return this.bindBinary({ ...u, l: u.r, r: u.l }, rec);
      }
      const shifted = addInterval(rec(u.l), intervalValue(u.r as Extract<UExpr, { k: 'interval' }>), u.op === '-' ? -1 : 1);
      // A constant (DATE '…' + INTERVAL …) is folded now, so comparisons see a literal (typing.ts compare).
      return exprColumns(shifted).size === 0 ? foldExpr(shifted) : shifted;
    }
    const l = rec(u.l);
    const r = rec(u.r);
    switch (u.op) {
      case 'and': case 'or':
        return { k: 'call', fn: u.op, args: [asBoolean(l, u.op.toUpperCase()), asBoolean(r, u.op.toUpperCase())], type: 'boolean' };
      case '=': return compare('eq', l, r);
      case '<>': return compare('ne', l, r);
      case '<': return compare('lt', l, r);
      case '<=': return compare('le', l, r);
      case '>': return compare('gt', l, r);
      case '>=': return compare('ge', l, r);
      case '||': return { k: 'call', fn: 'strcat', args: [toStr(l), toStr(r)], type: 'string' };
      case 'is_distinct': case 'is_not_distinct': {
        // NULL-aware equality: the operands meet at one type exactly as for `=`.
        const eq = compare('eq', l, r) as Extract<Expr, { k: 'call' }>;
        return { ...eq, fn: u.op };
      }
      case '//': {
        if (!(isNumeric(l.type) || l.type === 'null') || !(isNumeric(r.type) || r.type === 'null')) {
          throw new LakehouseError('PLAN_ERROR', `type mismatch: cannot apply // to ${l.type} and ${r.type}`);
        }
        return bindIntDiv(l, r);
      }
      case '-':
        if ((l.type === 'timestamp' && (r.type === 'timestamp' || r.type === 'date')) || (l.type === 'date' && r.type === 'timestamp')) {
          throw unsupported("timestamp − timestamp (its result is an INTERVAL, and the engine has no INTERVAL type yet; use date_diff('microsecond', a, b) or date_sub(part, a, b))");
        }
        return arith(u.op, l, r);
      default: return arith(u.op, l, r);
    }
  }

  /** The statement's clock (µs since the epoch, UTC), read once: current_date/now() are the same everywhere. */
  private clock: number | undefined;

  private now(): number {
    this.clock ??= this.ctx.now ?? Date.now() * 1000;
    return this.clock;
  }

  /** A scalar function call: looked up in the registry (engine/functions/registry.ts), which types and binds it. */
  private bindFunction(u: Extract<UExpr, { k: 'fn' }>, rec: (x: UExpr) => Expr): Expr {
    // DISTINCT and * only mean something to aggregates: never drop them silently.
    if (u.distinct) throw unsupported(`DISTINCT in ${u.name}()`);
    if (u.star) throw err(this.ctx, `${u.name}(*) is not valid`, u.pos, 'Only count(*) takes *.');
    if (u.name === 'not') {
      // The parser reads `NOT (x)` after another `NOT (` as a call of the function not (Spark has it too).
      if (u.args.length !== 1) throw err(this.ctx, `not() takes 1 argument, got ${u.args.length}`, u.pos);
      return { k: 'call', fn: 'not', args: [asBoolean(rec(u.args[0]!), 'not()')], type: 'boolean' };
    }
    const def = lookupScalar(u.name);
    if (!def) {
      const aggNames = AGGREGATES.flatMap((a) => [a.name, ...a.aliases]);
      const near = suggestFunction(u.name, aggNames);
      throw err(this.ctx, `unknown function ${u.name}()`, u.pos,
        `${near.length ? `Did you mean ${near.map((n) => `${n}()`).join(', ')}? ` : ''}Functions: ${scalarNames().join(', ')}; aggregates: ${AGGREGATES.map((a) => a.name).join(', ')}. See docs/functions.md or \`lake functions\`.`,
        'UNSUPPORTED');
    }
    const intervals = u.args.map((a) => (a.k === 'interval' ? intervalValue(a) : undefined));
    const args = u.args.map((a) => (a.k === 'interval' ? ({ k: 'lit', v: null, type: 'null' } as Expr) : rec(a)));
    const tools: BindTools = {
      name: u.name,
      fail: (msg, help) => { throw err(this.ctx, msg, u.pos, help); },
      unsupported: (what) => { throw err(this.ctx, `not supported yet: ${what}`, u.pos, undefined, 'UNSUPPORTED'); },
      interval: (i) => intervals[i],
      now: () => this.now(),
    };
    if (intervals.some((iv, i) => iv && !intervalArgOk(def.name, i))) tools.fail(`${u.name}() does not take an INTERVAL argument`);
    try {
      return def.bind(args, tools);
    } catch (e) {
      if (e instanceof LakehouseError && !/ at line \d+/.test(e.message) && u.pos) throw err(this.ctx, e.message.split('\nHelp:')[0]!, u.pos, e.help, e.code as 'PLAN_ERROR');
      throw e;
    }
  }
}

const intervalArgOk = (fn: string, i: number): boolean => fn === 'date_add' && i === 1;

/** INTERVAL literal → months, days, µs (DuckDB's three fields). */
function intervalValue(u: Extract<UExpr, { k: 'interval' }>): IntervalValue {
  const out: IntervalValue = { months: 0, days: 0, micros: 0 };
  for (const { value, unit } of [{ value: u.value, unit: u.unit }]) {
    switch (unit) {
      case 'year': out.months += value * 12; break;
      case 'quarter': out.months += value * 3; break;
      case 'month': out.months += value; break;
      case 'week': out.days += value * 7; break;
      case 'day': out.days += value; break;
      case 'hour': out.micros += value * 3_600_000_000; break;
      case 'minute': out.micros += value * 60_000_000; break;
      case 'second': out.micros += value * 1_000_000; break;
      case 'millisecond': out.micros += value * 1000; break;
      case 'microsecond': out.micros += value; break;
    }
  }
  if (![out.months, out.days, out.micros].every(Number.isSafeInteger)) {
    throw new LakehouseError('OUT_OF_RANGE', 'the INTERVAL is too large', { help: 'Use a smaller interval.' });
  }
  return out;
}

/**
 * `name (a, b, …)` over a relation: its first columns take the listed names (DuckDB and Postgres
 * allow fewer names than columns; the rest keep theirs). More names than columns is an error.
 */
function renameColumns(plan: PlanNode, names: string[] | undefined, what: string): PlanNode {
  if (!names?.length) return plan;
  if (names.length > plan.schema.length) {
    throw new LakehouseError('PLAN_ERROR', `${what} names ${names.length} columns but has ${plan.schema.length}`, { help: 'List at most as many column names as the query returns.' });
  }
  const schema = plan.schema.map((f, i) => (i < names.length ? { ...f, name: names[i]! } : f));
  return { op: 'project', input: plan, exprs: plan.schema.map((f, i): Expr => ({ k: 'col', i, type: f.type })), schema };
}

/** Two aggregate calls that compute the same value (one column of the aggregate serves both). */
function sameAgg(a: AggCall, b: AggCall): boolean {
  if (a.fn !== b.fn || a.distinct !== b.distinct || a.type !== b.type) return false;
  if (a.arg === null ? b.arg !== null : b.arg === null || !exprEquals(a.arg, b.arg)) return false;
  const ea = a.extra ?? [];
  const eb = b.extra ?? [];
  if (ea.length !== eb.length || ea.some((e, i) => !exprEquals(e, eb[i]!))) return false;
  const json = (x: unknown): string => JSON.stringify(x ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? { bigint: v.toString() } : v));
  return json(a.param) === json(b.param) && json(a.order) === json(b.order);
}

function containsAgg(u: UExpr): boolean {
  switch (u.k) {
    // A window call is not an aggregate of the query, but its arguments and window may hold some.
    case 'fn': return (AGGS.has(u.name) && !u.over) || isGroupingFn(u) || u.args.some(containsAgg) || (u.over ? u.over.partitionBy.some(containsAgg) || u.over.orderBy.some((o) => containsAgg(o.e)) : false);
    case 'bin': return containsAgg(u.l) || containsAgg(u.r);
    case 'not': case 'neg': case 'isnull': case 'cast': return containsAgg(u.e);
    case 'between': return containsAgg(u.e) || containsAgg(u.lo) || containsAgg(u.hi);
    case 'in': return containsAgg(u.e) || u.list.some(containsAgg);
    case 'like': return containsAgg(u.e) || containsAgg(u.pattern);
    case 'case': return (u.operand !== null && containsAgg(u.operand)) || u.whens.some(([w, t]) => containsAgg(w) || containsAgg(t)) || (u.else !== null && containsAgg(u.else));
    default: return false;
  }
}

export function nameOf(u: UExpr): string {
  switch (u.k) {
    case 'ident': return u.parts[u.parts.length - 1]!;
    case 'fn': return `${u.name}(${u.star ? '*' : `${u.distinct ? 'DISTINCT ' : ''}${u.args.map(nameOf).join(', ')}`})`;
    case 'num': return u.text;
    case 'lit': return u.v === null ? 'NULL' : typeof u.v === 'string' ? `'${u.v}'` : String(u.v);
    case 'cast': return `CAST(${nameOf(u.e)} AS ${u.to})`;
    case 'bin': return `(${nameOf(u.l)} ${u.op} ${nameOf(u.r)})`;
    default: return u.k;
  }
}

function keyName(u: UExpr, i: number): string {
  return u.k === 'ident' ? u.parts[u.parts.length - 1]! : `key${i}`;
}

/**
 * A boolean operand: an untyped NULL (`NULL`, `CASE … THEN NULL END`) is always NULL, so it
 * becomes a boolean NULL constant — the kernels only take boolean vectors.
 */
function asBoolean(e: Expr, where: string): Expr {
  expectBoolean(e, where);
  return e.type === 'null' ? { k: 'lit', v: null, type: 'boolean' } : e;
}

/** A filter condition: NULL keeps no row (`WHERE NULL` returns nothing, as in every SQL engine). */
function asCondition(e: Expr, where: string): Expr {
  expectBoolean(e, where);
  return e.type === 'null' ? { k: 'lit', v: false, type: 'boolean' } : e;
}

function expectBoolean(e: Expr, where: string): void {
  if (e.type !== 'boolean' && e.type !== 'null') {
    throw new LakehouseError('PLAN_ERROR', `${where} needs a boolean condition, got ${e.type}`);
  }
}

export { schemaOfScope };
