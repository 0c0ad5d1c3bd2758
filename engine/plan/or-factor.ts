/**
 * OR factoring, a logical rewrite applied by the optimizer before predicate pushdown (TPC-H Q19):
 *
 * 1. Common conjuncts of every branch of an OR are pulled out:
 *    `(a AND b) OR (a AND c)` → `a AND (b OR c)`; a branch left empty makes the OR true
 *    (`a OR (a AND c)` → `a`). Distribution and absorption hold in SQL's three-valued logic, so
 *    this is an equivalence wherever the predicate appears. Q19 repeats `p_partkey = l_partkey`
 *    in all three branches: factored out, it becomes an equi key of the join instead of a
 *    predicate over a cross product.
 * 2. For a filter directly over an inner join, an OR that mixes both sides also yields one
 *    implied predicate per side when every branch constrains that side:
 *    `(l.x = 1 AND r.y = 2) OR (l.x = 3 AND r.y = 4)` implies `l.x = 1 OR l.x = 3` (and the same
 *    for r). The implied predicates are added (the original stays), so pushdown can filter each
 *    input before the join. A filter keeps TRUE rows only, and a TRUE OR has a TRUE branch whose
 *    side conjuncts are all TRUE, so the added conjuncts never drop a row the original keeps.
 *
 * Pure functions over plain plan data; deterministic (conjunct order is kept).
 */

import { transformPlan, type PlanNode } from './logical.js';
import { andAll, conjuncts, exprColumns, exprEquals, type Expr } from './types.js';

function disjuncts(e: Expr): Expr[] {
  if (e.k === 'call' && e.fn === 'or') return e.args.flatMap(disjuncts);
  return [e];
}

function orAll(parts: Expr[]): Expr {
  return parts.reduce((acc, p) => ({ k: 'call', fn: 'or', args: [acc, p], type: 'boolean' }));
}

const TRUE: Expr = { k: 'lit', v: true, type: 'boolean' };

/** Pulls the conjuncts common to every branch out of each OR, bottom-up (rule 1). */
export function factorOr(e: Expr): Expr {
  if (e.k !== 'call' || (e.fn !== 'and' && e.fn !== 'or')) return e;
  if (e.fn === 'and') return andAll(conjuncts(e).map(factorOr))!;
  const branches = disjuncts(e).map((d) => conjuncts(factorOr(d)));
  const common = branches[0]!.filter((c) => branches.every((b) => b.some((x) => exprEquals(x, c))));
  if (common.length === 0) return orAll(branches.map((b) => andAll(b)!));
  const rests = branches.map((b) => b.filter((x) => !common.some((c) => exprEquals(c, x))));
  // A branch made only of common conjuncts is TRUE once they hold: the OR adds nothing.
  if (rests.some((r) => r.length === 0)) return andAll(common)!;
  return andAll([...common, orAll(rests.map((r) => andAll(r)!))])!;
}

/**
 * The implied one-side predicates of an OR over a join's two sides (rule 2): for each side
 * (`nl` = the left side's width), `OR_i (AND of branch i's conjuncts over that side only)`
 * when every branch has at least one; right-side predicates stay over left ++ right columns.
 */
export function impliedSidePredicates(e: Expr, nl: number): Expr[] {
  const branches = disjuncts(e).map(conjuncts);
  if (branches.length < 2) return [];
  const out: Expr[] = [];
  for (const onSide of [(i: number) => i < nl, (i: number) => i >= nl]) {
    const parts: Expr[] = [];
    for (const b of branches) {
      const mine = b.filter((c) => {
        const cs = [...exprColumns(c)];
        return cs.length > 0 && cs.every(onSide);
      });
      if (mine.length === 0) break;
      parts.push(andAll(mine)!);
    }
    if (parts.length === branches.length) out.push(orAll(parts));
  }
  return out;
}

/** Rules 1 and 2 over every filter (and rule 1 over every join residual) of a plan. */
export function factorOrs(plan: PlanNode): PlanNode {
  return transformPlan(plan, (p) => {
    if (p.op === 'join' && p.residual) return { ...p, residual: factorOr(p.residual) };
    if (p.op !== 'filter') return p;
    let preds = conjuncts(factorOr(p.predicate));
    if (preds.some((c) => exprEquals(c, TRUE))) preds = preds.filter((c) => !exprEquals(c, TRUE));
    if (p.input.op === 'join' && p.input.kind === 'inner') {
      const nl = p.input.left.schema.length;
      const extra: Expr[] = [];
      for (const c of preds) {
        const cs = [...exprColumns(c)];
        if (!cs.some((i) => i < nl) || !cs.some((i) => i >= nl)) continue;
        for (const x of impliedSidePredicates(c, nl)) if (![...preds, ...extra].some((y) => exprEquals(x, y))) extra.push(x);
      }
      preds = [...preds, ...extra];
    }
    const predicate = andAll(preds);
    return predicate ? { ...p, predicate } : p.input;
  });
}
