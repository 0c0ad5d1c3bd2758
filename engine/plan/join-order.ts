/**
 * Join ordering from statistics: every maximal region of inner joins (comma joins, INNER JOIN
 * chains, with the filters and column-only projections between them) is taken apart into its
 * relations and predicates and rebuilt by greedy operator ordering (GOO: repeatedly join the two
 * connected components whose join is estimated smallest), so that
 * - no two relations are joined without a connecting predicate while one exists (no cross
 *   product when the query has a join path; relations with no connection at all are joined last);
 * - each join's larger input is its left (probe) side and the smaller its right (build) side,
 *   which puts small dimension tables — and small joined combinations of them, e.g. a filtered
 *   `customer ⋈ orders` in Q3 — on the build side;
 * - every equality between the two sides is an equi key; a join with no equality gets its other
 *   connecting predicates as `residual` (a nested-loop join, compute/nested-loop.ts), one with
 *   keys gets them as a filter right above it;
 * - columns that no later predicate and no output needs are dropped right after each join.
 *
 * Estimates (`estimateRows`): scans from the statistics provider's row count (after file and
 * row-group pruning) times the selectivity of their filters (heuristics: `=` 0.1, range 1/3,
 * IN 0.1 per item, LIKE 0.2, AND multiplies, OR adds). An equi join of A and B yields
 * |A|·|B| / ndv, ndv from the provider's distinct counts when it has them (the larger of the two
 * sides), else the foreign-key assumption: the smaller of the two key columns' tables (before
 * filters) holds each key once. A multi-key join uses its most selective key.
 *
 * Pure and deterministic: a function of the plan and the `JoinStatistics` (ties keep FROM order).
 * Scan nodes are reused, not copied (the executor caches scan plans by node). Output layout of
 * every rewritten region is its original one (a projection restores it).
 */

import { children, withChildren, type PlanNode } from './logical.js';
import { andAll, conjuncts, exprColumns, isNumeric, remapColumns, type Expr } from './types.js';
import { coerce, unify } from './typing.js';

export type ScanNode = Extract<PlanNode, { op: 'scan' }>;

export interface JoinStatistics {
  /** Rows a scan reads after file/row-group pruning, before its filters. */
  scanRows(scan: ScanNode): number;
  /** Distinct values of a scan's column `column` (index into `scan.columns`), when known. */
  distinct?(scan: ScanNode, column: number): number | undefined;
}

/** Fraction of rows a predicate keeps (heuristics; see the module header). */
export function selectivity(e: Expr): number {
  if (e.k === 'lit') return e.v === true ? 1 : 0;
  if (e.k === 'in') return e.neg ? 0.9 : Math.min(0.5, 0.1 * Math.max(1, e.list.length));
  if (e.k === 'like') return e.neg ? 0.8 : 0.2;
  if (e.k !== 'call') return 0.5;
  switch (e.fn) {
    case 'and': return e.args.reduce((s, a) => s * selectivity(a), 1);
    case 'or': return Math.min(1, e.args.reduce((s, a) => s + selectivity(a), 0));
    case 'not': return 1 - selectivity(e.args[0]!);
    case 'eq': return 0.1;
    case 'ne': return 0.9;
    case 'lt': case 'le': case 'gt': case 'ge': return 1 / 3;
    case 'is_null': return 0.1;
    case 'is_not_null': return 0.9;
    default: return 0.5;
  }
}

const filtersSel = (fs: Expr[]): number => fs.reduce((s, f) => s * selectivity(f), 1);

/** Estimated output rows of a plan. */
export function estimateRows(p: PlanNode, stats: JoinStatistics): number {
  switch (p.op) {
    case 'scan': return stats.scanRows(p) * filtersSel(p.filters);
    case 'values': return p.rows;
    case 'filter': return estimateRows(p.input, stats) * selectivity(p.predicate);
    case 'limit': return Math.min(p.n ?? Infinity, estimateRows(p.input, stats));
    case 'aggregate': return p.keys.length ? estimateRows(p.input, stats) / 2 : 1;
    case 'union': return p.inputs.reduce((s, i) => s + estimateRows(i, stats), 0);
    case 'join': {
      const l = estimateRows(p.left, stats);
      const r = estimateRows(p.right, stats);
      switch (p.kind) {
        case 'inner': return p.leftKeys.length ? Math.max(l, r) : l * r * (p.residual ? selectivity(p.residual) : 1);
        case 'full': return l + r;
        case 'right': return r;
        case 'semi': case 'anti': return l / 2;
        default: return l;
      }
    }
    case 'setop': return estimateRows(p.left, stats);
    default: return estimateRows(p.input, stats);
  }
}

/** A relation of a region: its plan, its first global column id, estimated and base rows. */
interface Leaf {
  plan: PlanNode;
  offset: number;
  rows: number;
}

interface Pred {
  e: Expr;
  leaves: Set<number>;
  done: boolean;
}

interface Region {
  leaves: Leaf[];
  preds: Pred[];
  /** Global column id of each output column of the region's root. */
  out: number[];
}

/** Whether a node continues an inner-join region (a join, or a filter / column-only projection over one). */
function inRegion(p: PlanNode): boolean {
  if (p.op === 'join') return p.kind === 'inner';
  if (p.op === 'filter') return inRegion(p.input);
  if (p.op === 'project') return p.exprs.every((e) => e.k === 'col') && inRegion(p.input);
  return false;
}

/** Reorders every inner-join region of a plan (see the module header). */
export function orderJoins(plan: PlanNode, stats: JoinStatistics): PlanNode {
  if (plan.op === 'join' && plan.kind === 'inner') return reorderRegion(plan, stats);
  if ((plan.op === 'filter' || plan.op === 'project') && inRegion(plan)) return reorderRegion(plan, stats);
  const kids = children(plan);
  return kids.length ? withChildren(plan, kids.map((k) => orderJoins(k, stats))) : plan;
}

function flatten(p: PlanNode, r: Region, stats: JoinStatistics, width: { n: number }): number[] {
  const addPred = (e: Expr, out: number[]): void => {
    for (const c of conjuncts(remapColumns(e, (i) => out[i]!))) r.preds.push({ e: c, leaves: new Set(), done: false });
  };
  if (p.op === 'join' && p.kind === 'inner') {
    const lo = flatten(p.left, r, stats, width);
    const ro = flatten(p.right, r, stats, width);
    const out = [...lo, ...ro];
    p.leftKeys.forEach((k, i) => {
      const l = remapColumns(k, (c) => lo[c]!);
      const rr = remapColumns(p.rightKeys[i]!, (c) => ro[c]!);
      r.preds.push({ e: { k: 'call', fn: 'eq', args: [l, rr], type: 'boolean' }, leaves: new Set(), done: false });
    });
    if (p.residual) addPred(p.residual, out);
    return out;
  }
  if (p.op === 'filter' && inRegion(p.input)) {
    const out = flatten(p.input, r, stats, width);
    addPred(p.predicate, out);
    return out;
  }
  if (p.op === 'project' && inRegion(p)) {
    const inner = flatten(p.input, r, stats, width);
    return p.exprs.map((e) => inner[(e as Extract<Expr, { k: 'col' }>).i]!);
  }
  const plan = orderJoins(p, stats);
  const offset = width.n;
  width.n += plan.schema.length;
  r.leaves.push({ plan, offset, rows: Math.max(1, estimateRows(plan, stats)) });
  return plan.schema.map((_, i) => offset + i);
}

/** A component being built: its plan, the global id of each of its columns, its leaves and rows. */
interface Comp {
  plan: PlanNode;
  cols: number[];
  leaves: Set<number>;
  rows: number;
}

function reorderRegion(root: PlanNode, stats: JoinStatistics): PlanNode {
  const r: Region = { leaves: [], preds: [], out: [] };
  const width = { n: 0 };
  r.out = flatten(root, r, stats, width);
  const leafOf = (g: number): number => {
    let lo = 0;
    for (let i = 0; i < r.leaves.length; i++) if (r.leaves[i]!.offset <= g) lo = i;
    return lo;
  };
  for (const p of r.preds) for (const c of exprColumns(p.e)) p.leaves.add(leafOf(c));

  let comps: Comp[] = r.leaves.map((l, i) => ({ plan: l.plan, cols: l.plan.schema.map((_, j) => l.offset + j), leaves: new Set([i]), rows: l.rows }));
  // One-relation predicates filter their relation at once.
  comps = comps.map((c) => applyPreds(c, r.preds.filter((p) => !p.done && p.leaves.size > 0 && [...p.leaves].every((l) => c.leaves.has(l)))));

  const baseRows = (g: number): number => {
    const leaf = r.leaves[leafOf(g)]!;
    return leaf.plan.op === 'scan' ? Math.max(1, stats.scanRows(leaf.plan)) : leaf.rows;
  };
  const distinct = (g: number): number | undefined => {
    const leaf = r.leaves[leafOf(g)]!;
    return leaf.plan.op === 'scan' && stats.distinct ? stats.distinct(leaf.plan, g - leaf.offset) : undefined;
  };

  while (comps.length > 1) {
    let best: { i: number; j: number; rows: number; keyed: boolean } | null = null;
    for (let i = 0; i < comps.length; i++) {
      for (let j = i + 1; j < comps.length; j++) {
        const a = comps[i]!;
        const b = comps[j]!;
        const conn = connecting(r.preds, a, b);
        if (conn.length === 0) continue;
        const { keys, other } = splitKeys(conn, a, b);
        let rows: number;
        if (keys.length) {
          let ndv = 1;
          for (const [ka, kb] of keys) ndv = Math.max(ndv, keyNdv(ka, kb, baseRows, distinct));
          rows = (a.rows * b.rows) / ndv;
        } else rows = a.rows * b.rows;
        rows *= filtersSel(other);
        const keyed = keys.length > 0;
        if (!best || (keyed && !best.keyed) || (keyed === best.keyed && rows < best.rows)) best = { i, j, rows, keyed };
      }
    }
    if (!best) {
      // No predicate connects any two components: a cross product of the two smallest.
      const order = comps.map((c, i) => ({ c, i })).sort((x, y) => x.c.rows - y.c.rows || x.i - y.i);
      const [x, y] = [order[0]!.i, order[1]!.i].sort((u, v) => u - v) as [number, number];
      best = { i: x, j: y, rows: comps[x]!.rows * comps[y]!.rows, keyed: false };
    }
    const a = comps[best.i]!;
    const b = comps[best.j]!;
    const merged = joinComps(a, b, connecting(r.preds, a, b), Math.max(1, best.rows), r);
    comps = comps.filter((_, k) => k !== best!.i && k !== best!.j);
    comps.splice(best.i, 0, merged);
  }
  let top = comps[0]!;
  // Column-free predicates (`WHERE false`, folded constants) go on top.
  top = applyPreds(top, r.preds.filter((p) => !p.done));
  const pos = new Map(top.cols.map((g, i) => [g, i]));
  const exprs: Expr[] = r.out.map((g, i): Expr => ({ k: 'col', i: pos.get(g)!, type: root.schema[i]!.type }));
  const same = exprs.length === top.plan.schema.length && exprs.every((e, i) => (e as { i: number }).i === i && top.plan.schema[i]!.name === root.schema[i]!.name);
  if (same) return top.plan;
  return { op: 'project', input: top.plan, exprs, schema: root.schema };
}

function connecting(preds: Pred[], a: Comp, b: Comp): Pred[] {
  return preds.filter((p) => {
    if (p.done || p.leaves.size === 0) return false;
    let inA = false;
    let inB = false;
    for (const l of p.leaves) {
      if (a.leaves.has(l)) inA = true;
      else if (b.leaves.has(l)) inB = true;
      else return false;
    }
    return inA && inB;
  });
}

/** Equalities with one side over `a` only and the other over `b` only, as [a-side, b-side]. */
function splitKeys(preds: Pred[], a: Comp, b: Comp): { keys: Array<[Expr, Expr]>; other: Expr[]; keyPreds: Set<Pred> } {
  const aCols = new Set(a.cols);
  const bCols = new Set(b.cols);
  const over = (e: Expr, s: Set<number>): boolean => {
    const cs = [...exprColumns(e)];
    return cs.length > 0 && cs.every((c) => s.has(c));
  };
  const keys: Array<[Expr, Expr]> = [];
  const other: Expr[] = [];
  const keyPreds = new Set<Pred>();
  for (const p of preds) {
    const e = p.e;
    if (e.k === 'call' && e.fn === 'eq') {
      let [x, y] = e.args as [Expr, Expr];
      // Keys meet at one type (integers of either width hash alike; decimals of one scale are
      // aligned by the binder's comparison, other numeric pairs are cast to their common type).
      if (x.type !== y.type && !(isInt(x.type) && isInt(y.type))) {
        if (!isNumeric(x.type) || !isNumeric(y.type)) { other.push(e); continue; }
        const t = unify(x.type, y.type, 'join keys');
        x = coerce(x, t);
        y = coerce(y, t);
      }
      if (over(x, aCols) && over(y, bCols)) { keys.push([x, y]); keyPreds.add(p); continue; }
      if (over(y, aCols) && over(x, bCols)) { keys.push([y, x]); keyPreds.add(p); continue; }
    }
    other.push(e);
  }
  return { keys, other, keyPreds };
}

function isInt(t: string): boolean {
  return t === 'int32' || t === 'int64';
}

/** The distinct values an equi key is estimated to have (module header). */
function keyNdv(ka: Expr, kb: Expr, baseRows: (g: number) => number, distinct: (g: number) => number | undefined): number {
  const one = (e: Expr): { base: number; known: number | undefined } => {
    const cs = [...exprColumns(e)];
    const base = Math.max(...cs.map(baseRows));
    const known = e.k === 'col' ? distinct(e.i) : undefined;
    return { base, known };
  };
  const x = one(ka);
  const y = one(kb);
  if (x.known !== undefined && y.known !== undefined) return Math.max(1, x.known, y.known);
  if (x.known !== undefined) return Math.max(1, x.known);
  if (y.known !== undefined) return Math.max(1, y.known);
  return Math.max(1, Math.min(x.base, y.base));
}

function localize(e: Expr, cols: number[]): Expr {
  const pos = new Map(cols.map((g, i) => [g, i]));
  return remapColumns(e, (g) => pos.get(g)!);
}

function applyPreds(c: Comp, preds: Pred[]): Comp {
  if (preds.length === 0) return c;
  for (const p of preds) p.done = true;
  const predicate = andAll(preds.map((p) => localize(p.e, c.cols)))!;
  return { ...c, plan: { op: 'filter', input: c.plan, predicate, schema: c.plan.schema }, rows: Math.max(1, c.rows * selectivity(predicate)) };
}

/** Joins two components: larger side left (probe), smaller right (build); drops columns no longer needed. */
function joinComps(x: Comp, y: Comp, preds: Pred[], rows: number, r: Region): Comp {
  const [a, b] = y.rows > x.rows ? [y, x] : [x, y];
  const { keys, keyPreds } = splitKeys(preds, a, b);
  for (const p of preds) p.done = true;
  const rest = preds.filter((p) => !keyPreds.has(p)).map((p) => p.e);
  const cols = [...a.cols, ...b.cols];
  const schema = [...a.plan.schema, ...b.plan.schema];
  const leftKeys = keys.map(([k]) => localize(k, a.cols));
  const rightKeys = keys.map(([, k]) => localize(k, b.cols));
  const pred = rest.length ? andAll(rest.map((e) => localize(e, cols)))! : null;
  let plan: PlanNode = {
    op: 'join', kind: 'inner', left: a.plan, right: b.plan, leftKeys, rightKeys,
    ...(pred && keys.length === 0 ? { residual: pred } : {}), schema,
  };
  if (pred && keys.length > 0) plan = { op: 'filter', input: plan, predicate: pred, schema };
  // Keep the columns the region's output and the predicates not applied yet still read.
  const need = new Set(r.out);
  for (const p of r.preds) if (!p.done) for (const c of exprColumns(p.e)) need.add(c);
  const keep = cols.map((g, i) => ({ g, i })).filter(({ g }) => need.has(g));
  const leaves = new Set([...a.leaves, ...b.leaves]);
  if (keep.length === cols.length) return { plan, cols, leaves, rows };
  plan = { op: 'project', input: plan, exprs: keep.map(({ i }): Expr => ({ k: 'col', i, type: schema[i]!.type })), schema: keep.map(({ i }) => schema[i]!) };
  return { plan, cols: keep.map(({ g }) => g), leaves, rows };
}

/**
 * Statistics for `orderJoins` from the scan plans: `tasksOf` plans (or returns the cached plan
 * of) a scan; rows are the tasks' row counts (bytes / 16 where a task does not know its rows).
 */
export async function scanStatistics(plan: PlanNode, tasksOf: (scan: ScanNode) => Promise<Array<{ rows?: number; bytes: number }>>): Promise<JoinStatistics> {
  const rows = new Map<PlanNode, number>();
  const visit = async (p: PlanNode): Promise<void> => {
    if (p.op === 'scan') {
      const tasks = await tasksOf(p);
      rows.set(p, tasks.reduce((s, t) => s + (t.rows ?? t.bytes / 16), 0));
    }
    await Promise.all(children(p).map(visit));
  };
  await visit(plan);
  return { scanRows: (s) => rows.get(s) ?? 1 };
}
