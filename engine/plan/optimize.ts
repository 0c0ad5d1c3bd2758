/**
 * Logical rewrites, applied once after binding:
 * 1. Predicate pushdown — filters move through projections, sorts, unions, the grouping keys of
 *    aggregates, and the matching side of joins (both sides of an inner join, the preserved side
 *    of a left join), down into scans, where the source may use them to prune files/row groups.
 * 0. Constant folding — column-free subexpressions (DATE '1994-01-01' + INTERVAL '1' YEAR) are
 *    evaluated once, with the run-time kernels (exact decimals and 64-bit integers), so scans can
 *    prune on them and kernels see plain literals.
 * 2. Projection pruning — every node keeps only the columns its parents need, so scans read
 *    only the columns the query uses.
 */

import { scalarAt } from '../compute/casts.js';
import { compileExpr } from '../compute/eval.js';
import { normalizeScalar } from '../compute/exact.js';
import { children, withChildren, type PlanNode } from './logical.js';
import { factorOrs } from './or-factor.js';
import { aggExprs, andAll, conjuncts, exprColumns, isNumeric, mapAggExprs, remapColumns, substituteColumns, type Expr } from './types.js';

export function optimize(plan: PlanNode): PlanNode {
  // OR factoring (plan/or-factor.ts) first, so factored equalities become join keys below.
  const pushed = pushdown(factorOrs(foldPlan(plan)));
  const { node, map } = prune(pushed, plan.schema.map((_, i) => i));
  // The root must keep its exact output layout.
  if (node.schema.length === plan.schema.length && plan.schema.every((_, i) => map.get(i) === i)) return node;
  return {
    op: 'project', input: node,
    exprs: plan.schema.map((f, i): Expr => ({ k: 'col', i: map.get(i)!, type: f.type })), schema: plan.schema,
  };
}

function pushdown(p: PlanNode): PlanNode {
  if (p.op === 'filter') return pushFilter(pushdown(p.input), conjuncts(p.predicate));
  return withChildren(p, children(p).map(pushdown));
}

function wrap(input: PlanNode, preds: Expr[]): PlanNode {
  const pred = andAll(preds);
  return pred ? { op: 'filter', input, predicate: pred, schema: input.schema } : input;
}

function pushFilter(input: PlanNode, preds: Expr[]): PlanNode {
  if (preds.length === 0) return input;
  switch (input.op) {
    case 'scan':
      return { ...input, filters: [...input.filters, ...preds] };
    case 'filter':
      return pushFilter(input.input, [...conjuncts(input.predicate), ...preds]);
    case 'project': {
      const exprs = input.exprs;
      return { ...input, input: pushFilter(input.input, preds.map((c) => substituteColumns(c, (i) => exprs[i]!))) };
    }
    case 'sort':
      return { ...input, input: pushFilter(input.input, preds) };
    case 'union':
      return { ...input, inputs: input.inputs.map((i) => pushFilter(i, preds)) };
    case 'aggregate': {
      const nk = input.keys.length;
      const down: Expr[] = [];
      const keep: Expr[] = [];
      for (const c of preds) {
        const cols = [...exprColumns(c)];
        if (nk > 0 && cols.every((i) => i < nk)) down.push(substituteColumns(c, (i) => input.keys[i]!));
        else keep.push(c);
      }
      return wrap({ ...input, input: pushFilter(input.input, down) }, keep);
    }
    case 'join': {
      const nl = input.left.schema.length;
      const left: Expr[] = [];
      const right: Expr[] = [];
      const keep: Expr[] = [];
      const leftKeys = [...input.leftKeys];
      const rightKeys = [...input.rightKeys];
      for (const c of preds) {
        const cols = [...exprColumns(c)];
        if (input.kind === 'inner' && c.k === 'call' && c.fn === 'eq') {
          // WHERE a.x = b.y over an inner (or cross) join becomes a join key.
          const [a, b] = c.args as [Expr, Expr];
          const side = (e: Expr): 'l' | 'r' | null => {
            const cs = [...exprColumns(e)];
            return cs.length === 0 ? null : cs.every((i) => i < nl) ? 'l' : cs.every((i) => i >= nl) ? 'r' : null;
          };
          const sa = side(a);
          const sb = side(b);
          if (sa && sb && sa !== sb && (a.type === b.type || (isNumeric(a.type) && isNumeric(b.type)))) {
            const [l, r] = sa === 'l' ? [a, b] : [b, a];
            leftKeys.push(l);
            rightKeys.push(remapColumns(r, (i) => i - nl));
            continue;
          }
        }
        // Only into a side whose rows are not NULL-extended: the left of inner/left/single joins
        // and of semi/anti/mark joins (whose output is the left columns, plus the mark, which
        // stays above); the right of inner and right joins. FULL keeps everything above.
        const toLeft = input.kind === 'inner' || input.kind === 'left' || input.kind === 'single' || input.kind === 'semi' || input.kind === 'anti' || input.kind === 'mark';
        const toRight = input.kind === 'inner' || input.kind === 'right';
        if (toLeft && cols.length > 0 && cols.every((i) => i < nl)) left.push(c);
        else if (toRight && cols.length > 0 && cols.every((i) => i >= nl)) right.push(remapColumns(c, (i) => i - nl));
        else keep.push(c);
      }
      return wrap({ ...input, leftKeys, rightKeys, left: pushFilter(input.left, left), right: pushFilter(input.right, right) }, keep);
    }
    case 'window': {
      // A predicate over PARTITION BY columns only keeps or drops whole partitions: it can run
      // before the window (the other calls' results do not change). Anything else stays above.
      const keyCols = new Set(input.partitionBy.flatMap((e) => (e.k === 'col' ? [e.i] : [])));
      const down: Expr[] = [];
      const keep: Expr[] = [];
      for (const c of preds) {
        const cols = [...exprColumns(c)];
        (cols.length > 0 && cols.every((i) => keyCols.has(i)) ? down : keep).push(c);
      }
      return wrap({ ...input, input: pushFilter(input.input, down) }, keep);
    }
    default:
      return wrap(input, preds);
  }
}

interface Pruned {
  node: PlanNode;
  /** old output column → new output column */
  map: Map<number, number>;
}

function sortedUnique(xs: Iterable<number>): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

function identity(n: number): Map<number, number> {
  return new Map(Array.from({ length: n }, (_, i) => [i, i]));
}

function prune(p: PlanNode, required: number[]): Pruned {
  switch (p.op) {
    case 'values': {
      if (!p.data) return { node: p, map: identity(0) };
      // Constant rows (VALUES): keep the required columns.
      const keep = sortedUnique(required);
      return {
        node: { ...p, data: p.data.map((r) => keep.map((i) => r[i]!)), schema: keep.map((i) => p.schema[i]!) },
        map: new Map(keep.map((old, i) => [old, i])),
      };
    }
    case 'scan': {
      const need = new Set(required);
      for (const f of p.filters) for (const c of exprColumns(f)) need.add(c);
      // Zero columns is fine: sources still report row counts (count(*)).
      const keep = sortedUnique(need);
      const map = new Map(keep.map((old, i) => [old, i]));
      return {
        node: { ...p, columns: keep.map((i) => p.columns[i]!), schema: keep.map((i) => p.schema[i]!), filters: p.filters.map((f) => remapColumns(f, (i) => map.get(i)!)) },
        map,
      };
    }
    case 'filter': {
      const need = sortedUnique([...required, ...exprColumns(p.predicate)]);
      const inner = prune(p.input, need);
      return { node: { ...p, input: inner.node, predicate: remapColumns(p.predicate, (i) => inner.map.get(i)!), schema: inner.node.schema }, map: inner.map };
    }
    case 'limit': {
      const inner = prune(p.input, required);
      return { node: { ...p, input: inner.node, schema: inner.node.schema }, map: inner.map };
    }
    case 'sort': {
      const need = sortedUnique([...required, ...p.keys.flatMap((k) => [...exprColumns(k.e)])]);
      const inner = prune(p.input, need);
      const keys = p.keys.map((k) => ({ ...k, e: remapColumns(k.e, (i) => inner.map.get(i)!) }));
      return { node: { ...p, input: inner.node, keys, schema: inner.node.schema }, map: inner.map };
    }
    case 'project': {
      const keep = sortedUnique(required);
      const exprs = keep.map((i) => p.exprs[i]!);
      const inner = prune(p.input, sortedUnique(exprs.flatMap((e) => [...exprColumns(e)])));
      return {
        node: { ...p, input: inner.node, exprs: exprs.map((e) => remapColumns(e, (i) => inner.map.get(i)!)), schema: keep.map((i) => p.schema[i]!) },
        map: new Map(keep.map((old, i) => [old, i])),
      };
    }
    case 'aggregate': {
      const nk = p.keys.length;
      const keepAggs = sortedUnique(required.filter((i) => i >= nk).map((i) => i - nk));
      const aggs = keepAggs.map((j) => p.aggs[j]!);
      const need = sortedUnique([...p.keys.flatMap((k) => [...exprColumns(k)]), ...aggs.flatMap((a) => aggExprs(a).flatMap((e) => [...exprColumns(e)]))]);
      const inner = prune(p.input, need);
      const m = (i: number): number => inner.map.get(i)!;
      const map = identity(nk);
      keepAggs.forEach((j, k) => map.set(nk + j, nk + k));
      return {
        node: {
          ...p, input: inner.node, keys: p.keys.map((k) => remapColumns(k, m)),
          aggs: aggs.map((a) => mapAggExprs(a, (e) => remapColumns(e, m))),
          schema: [...p.schema.slice(0, nk), ...keepAggs.map((j) => p.schema[nk + j]!)],
        },
        map,
      };
    }
    case 'join': {
      const nl = p.left.schema.length;
      const resCols = p.residual ? [...exprColumns(p.residual)] : [];
      // semi/anti/mark joins output only the left columns (and a mark): nothing of the right is required above.
      const leftOnly = p.kind === 'semi' || p.kind === 'anti' || p.kind === 'mark';
      const above = leftOnly ? required.filter((i) => i < nl) : required;
      const lneed = sortedUnique([...above.filter((i) => i < nl), ...p.leftKeys.flatMap((k) => [...exprColumns(k)]), ...resCols.filter((i) => i < nl)]);
      const rneed = sortedUnique([...above.filter((i) => i >= nl).map((i) => i - nl), ...p.rightKeys.flatMap((k) => [...exprColumns(k)]), ...resCols.filter((i) => i >= nl).map((i) => i - nl)]);
      const l = prune(p.left, lneed);
      const r = prune(p.right, rneed);
      const lw = l.node.schema.length;
      const map = new Map<number, number>();
      for (const [o, n] of l.map) map.set(o, n);
      if (!leftOnly) for (const [o, n] of r.map) map.set(o + nl, n + lw);
      if (p.kind === 'mark') map.set(nl, lw);
      const both = (i: number): number => (i < nl ? l.map.get(i)! : r.map.get(i - nl)! + lw);
      const outSchema = leftOnly
        ? [...l.node.schema, ...(p.kind === 'mark' ? [p.schema[nl]!] : [])]
        : [...l.node.schema.map((f) => (p.kind === 'right' || p.kind === 'full' ? { ...f, nullable: true } : f)), ...r.node.schema.map((f) => (p.kind === 'inner' ? f : { ...f, nullable: true }))];
      const node: PlanNode = {
        ...p, left: l.node, right: r.node,
        leftKeys: p.leftKeys.map((k) => remapColumns(k, (i) => l.map.get(i)!)),
        rightKeys: p.rightKeys.map((k) => remapColumns(k, (i) => r.map.get(i)!)),
        ...(p.residual ? { residual: remapColumns(p.residual, both) } : {}),
        schema: outSchema,
      };
      // Columns only the join itself needed (its keys, filter-only scan columns) are dropped
      // right after it: a join's output is what gets collected into a build side or shipped back
      // from the scan tasks, so it should not carry them.
      const keep = sortedUnique(required.map((i) => map.get(i)!));
      if (keep.length === node.schema.length) return { node, map };
      const exprs = keep.map((i): Expr => ({ k: 'col', i, type: node.schema[i]!.type }));
      const pos = new Map(keep.map((n, k) => [n, k]));
      return {
        node: { op: 'project', input: node, exprs, schema: keep.map((i) => node.schema[i]!) },
        map: new Map(required.map((o) => [o, pos.get(map.get(o)!)!])),
      };
    }
    case 'window': {
      // The calls' columns are appended after the input's; keep every input column the node
      // reads, and the calls whose outputs are required.
      const ni = p.input.schema.length;
      const keepCalls = sortedUnique(required.filter((i) => i >= ni).map((i) => i - ni));
      // No call is needed: the node goes (it neither filters nor adds rows).
      if (keepCalls.length === 0) return prune(p.input, required);
      const calls = keepCalls.map((j) => p.calls[j]!);
      const need = sortedUnique([
        ...required.filter((i) => i < ni), ...p.partitionBy.flatMap((e) => [...exprColumns(e)]), ...p.orderBy.flatMap((k) => [...exprColumns(k.e)]),
        ...calls.flatMap((c) => c.args.flatMap((a) => [...exprColumns(a)])),
      ]);
      const inner = prune(p.input, need);
      const m = (i: number): number => inner.map.get(i)!;
      const w = inner.node.schema.length;
      const map = new Map(inner.map);
      keepCalls.forEach((j, k) => map.set(ni + j, w + k));
      return {
        node: {
          ...p, input: inner.node, partitionBy: p.partitionBy.map((e) => remapColumns(e, m)), orderBy: p.orderBy.map((k) => ({ ...k, e: remapColumns(k.e, m) })),
          calls: calls.map((c) => ({ ...c, args: c.args.map((a) => remapColumns(a, m)) })), schema: [...inner.node.schema, ...keepCalls.map((j) => p.schema[ni + j]!)],
        },
        map,
      };
    }
    case 'setop': {
      // Rows compare on every column: nothing below can be pruned.
      const all = (n: PlanNode): PlanNode => {
        const inner = prune(n, n.schema.map((_, i) => i));
        return inner.node;
      };
      return { node: { ...p, left: all(p.left), right: all(p.right) }, map: identity(p.schema.length) };
    }
    case 'union': {
      const keep = sortedUnique(required);
      const inputs = p.inputs.map((inp) => {
        const inner = prune(inp, keep);
        const exprs = keep.map((i): Expr => ({ k: 'col', i: inner.map.get(i)!, type: inp.schema[i]!.type }));
        const aligned = exprs.every((e, i) => e.k === 'col' && e.i === i) && inner.node.schema.length === keep.length;
        return aligned ? inner.node : ({ op: 'project', input: inner.node, exprs, schema: keep.map((i) => inp.schema[i]!) } as PlanNode);
      });
      return { node: { ...p, inputs, schema: keep.map((i) => p.schema[i]!) }, map: new Map(keep.map((old, i) => [old, i])) };
    }
  }
}

/** Evaluates column-free subexpressions once. */
export function foldExpr(e: Expr): Expr {
  if (e.k === 'lit') return e;
  if (exprColumns(e).size === 0) {
    // The same kernels as at run time (exact for integers and decimals: an overflow here is the
    // same OUT_OF_RANGE error the query would raise).
    const v = compileExpr(e)({ length: 1, cols: [] });
    if (v.t === 'const') return { k: 'lit', v: typeof v.v === 'bigint' ? normalizeScalar(v.v) : v.v, type: e.type };
    return { k: 'lit', v: scalarAt(v, 0), type: e.type };
  }
  switch (e.k) {
    case 'call': return { ...e, args: e.args.map(foldExpr) };
    case 'case': return { ...e, whens: e.whens.map(([w, t]) => [foldExpr(w), foldExpr(t)] as [Expr, Expr]), else: e.else ? foldExpr(e.else) : null };
    case 'cast': case 'in': case 'like': return { ...e, e: foldExpr(e.e) };
    default: return e;
  }
}

function foldPlan(p: PlanNode): PlanNode {
  switch (p.op) {
    case 'scan': return { ...p, filters: p.filters.map(foldExpr) };
    case 'values': return p;
    case 'filter': return { ...p, input: foldPlan(p.input), predicate: foldExpr(p.predicate) };
    case 'project': return { ...p, input: foldPlan(p.input), exprs: p.exprs.map(foldExpr) };
    case 'aggregate': return { ...p, input: foldPlan(p.input), keys: p.keys.map(foldExpr), aggs: p.aggs.map((a) => mapAggExprs(a, foldExpr)) };
    case 'join': return { ...p, left: foldPlan(p.left), right: foldPlan(p.right), leftKeys: p.leftKeys.map(foldExpr), rightKeys: p.rightKeys.map(foldExpr), ...(p.residual ? { residual: foldExpr(p.residual) } : {}) };
    case 'window': return { ...p, input: foldPlan(p.input), partitionBy: p.partitionBy.map(foldExpr), orderBy: p.orderBy.map((k) => ({ ...k, e: foldExpr(k.e) })), calls: p.calls.map((c) => ({ ...c, args: c.args.map(foldExpr) })) };
    case 'setop': return { ...p, left: foldPlan(p.left), right: foldPlan(p.right) };
    case 'sort': return { ...p, input: foldPlan(p.input), keys: p.keys.map((k) => ({ ...k, e: foldExpr(k.e) })) };
    case 'limit': return { ...p, input: foldPlan(p.input) };
    case 'union': return { ...p, inputs: p.inputs.map(foldPlan) };
  }
}
