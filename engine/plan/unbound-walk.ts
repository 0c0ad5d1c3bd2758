/**
 * The one walk over the unbound tree (plan/unbound.ts): every query, FROM item and expression,
 * including the queries nested in expressions (scalar, IN, EXISTS, ANY/ALL subqueries), window
 * specs and aggregate FILTER / ORDER BY clauses. Analyses that need "every table a statement
 * reads" or "every SELECT" use it instead of their own switch, so a new construct is covered
 * everywhere once it is covered here.
 *
 * CTE scoping: `visitor.table` receives the names of the CTEs visible at that point (lower case),
 * so a caller can tell a CTE reference from a table.
 */

import type { UBody, UExpr, UFrom, UQuery, USelect, UWindowSpec } from './unbound.js';

export interface UnboundVisitor {
  query?(q: UQuery): void;
  select?(s: USelect): void;
  table?(f: Extract<UFrom, { k: 'table' }>, ctes: ReadonlySet<string>): void;
  tableFunction?(f: Extract<UFrom, { k: 'tablefn' }>): void;
  expr?(e: UExpr): void;
}

export function walkQuery(q: UQuery, v: UnboundVisitor, ctes: ReadonlySet<string> = new Set()): void {
  v.query?.(q);
  const scope = new Set(ctes);
  for (const c of q.ctes) {
    walkQuery(c.query, v, scope);
    scope.add(c.name.toLowerCase());
  }
  walkBody(q.body, v, scope);
  for (const o of q.orderBy) walkExpr(o.e, v, scope);
}

export function walkBody(b: UBody, v: UnboundVisitor, ctes: ReadonlySet<string>): void {
  switch (b.k) {
    case 'setop':
      walkBody(b.left, v, ctes);
      walkBody(b.right, v, ctes);
      return;
    case 'nested':
      walkQuery(b.query, v, ctes);
      return;
    case 'values':
      for (const r of b.rows) for (const e of r) walkExpr(e, v, ctes);
      return;
    case 'select': {
      v.select?.(b);
      if (b.from) walkFrom(b.from, v, ctes);
      for (const it of b.items) if (it.k === 'expr') walkExpr(it.e, v, ctes);
      for (const e of [b.where, b.having, b.qualify ?? null, ...b.groupBy]) if (e) walkExpr(e, v, ctes);
      for (const w of b.windows ?? []) walkWindow(w.spec, v, ctes);
    }
  }
}

export function walkFrom(f: UFrom, v: UnboundVisitor, ctes: ReadonlySet<string>): void {
  switch (f.k) {
    case 'table': v.table?.(f, ctes); return;
    case 'sub': walkQuery(f.query, v, ctes); return;
    case 'tablefn':
      v.tableFunction?.(f);
      for (const a of [...f.args, ...Object.values(f.named)]) walkExpr(a, v, ctes);
      return;
    case 'join':
      walkFrom(f.left, v, ctes);
      walkFrom(f.right, v, ctes);
      if (f.on) walkExpr(f.on, v, ctes);
  }
}

function walkWindow(w: UWindowSpec, v: UnboundVisitor, ctes: ReadonlySet<string>): void {
  for (const e of w.partitionBy) walkExpr(e, v, ctes);
  for (const o of w.orderBy) walkExpr(o.e, v, ctes);
  for (const b of w.frame ? [w.frame.start, w.frame.end] : []) if ('n' in b) walkExpr(b.n, v, ctes);
}

export function walkExpr(e: UExpr, v: UnboundVisitor, ctes: ReadonlySet<string>): void {
  v.expr?.(e);
  const rec = (x: UExpr): void => walkExpr(x, v, ctes);
  switch (e.k) {
    case 'ident': case 'num': case 'lit': case 'typed': case 'interval':
      return;
    case 'bin': rec(e.l); rec(e.r); return;
    case 'not': case 'neg': case 'isnull': case 'cast': rec(e.e); return;
    case 'between': rec(e.e); rec(e.lo); rec(e.hi); return;
    case 'in': rec(e.e); e.list.forEach(rec); return;
    case 'like': rec(e.e); rec(e.pattern); return;
    case 'case':
      if (e.operand) rec(e.operand);
      for (const [w, t] of e.whens) { rec(w); rec(t); }
      if (e.else) rec(e.else);
      return;
    case 'fn':
      e.args.forEach(rec);
      if (e.filter) rec(e.filter);
      for (const o of e.orderBy ?? []) rec(o.e);
      if (e.over) walkWindow(e.over, v, ctes);
      return;
    case 'subquery': case 'exists':
      walkQuery(e.query, v, ctes);
      return;
    case 'insub': case 'quantified':
      rec(e.e);
      walkQuery(e.query, v, ctes);
  }
}
