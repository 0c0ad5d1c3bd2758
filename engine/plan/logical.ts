/**
 * Bound logical plan. Column references in a node's expressions are indexes into the node's
 * input schema (for joins: left columns followed by right columns). Scans carry the table source;
 * everything else is plain data.
 */

import type { TableSource } from '../source/table-source.js';
import type { AggCall, DataType, Expr, Scalar, Schema } from './types.js';
import type { TimeTravel } from './unbound.js';

export interface SortItem {
  e: Expr;
  desc: boolean;
  nullsFirst: boolean;
}

/**
 * Join kinds. The output is the left columns then the right columns, except:
 * - `semi` / `anti`: the left columns only (left rows with / without a match);
 * - `mark`: the left columns plus one boolean "mark" column: TRUE when the row has a match,
 *   otherwise FALSE — or NULL when `nullAware` and a comparison with a NULL key made the answer
 *   unknown (SQL's `x IN (subquery)` / `NOT IN` three-valued semantics);
 * - `single`: left join whose right side may match at most one row per left row (a scalar
 *   subquery); a second match is the error CARDINALITY_VIOLATION.
 * `anti` with `nullAware` is `NOT IN`: a left row whose key is NULL, or any right key NULL, keeps
 * no row (unless the right side is empty). With several keys, only the last pair is the
 * null-aware `IN` key (the others are strict correlation keys); a null-aware join without keys
 * takes its three-valued answer from the residual (`x op ANY (…)`). See compute/join.ts.
 * `residual` is a predicate over the joined row (left columns then right columns) that a match
 * must also satisfy; for outer joins it decides matching (it is not a filter after the join).
 */
export type JoinKind = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti' | 'mark' | 'single';

/** A window frame; offsets are constants (rows, or the ORDER BY key's units for RANGE). */
export interface WindowFrame {
  units: 'rows' | 'range' | 'groups';
  start: { k: 'unbounded_preceding' | 'current' | 'unbounded_following' } | { k: 'preceding' | 'following'; n: number | bigint };
  end: { k: 'unbounded_preceding' | 'current' | 'unbounded_following' } | { k: 'preceding' | 'following'; n: number | bigint };
}

/** One window function over the window node's partitioning and order. */
export interface WindowCall {
  /** `row_number`, `rank`, …, `lag`, …, or an aggregate name (`sum`, `count_star`, …). */
  fn: string;
  args: Expr[];
  distinct: boolean;
  ignoreNulls: boolean;
  frame: WindowFrame;
  type: DataType;
}

export type PlanNode =
  | { op: 'scan'; table: string; source: TableSource; travel?: TimeTravel; columns: string[]; filters: Expr[]; schema: Schema }
  | { op: 'filter'; input: PlanNode; predicate: Expr; schema: Schema }
  | { op: 'project'; input: PlanNode; exprs: Expr[]; schema: Schema }
  | { op: 'aggregate'; input: PlanNode; keys: Expr[]; aggs: AggCall[]; schema: Schema }
  | { op: 'join'; kind: JoinKind; left: PlanNode; right: PlanNode; leftKeys: Expr[]; rightKeys: Expr[]; residual?: Expr | null; nullAware?: boolean; schema: Schema }
  /** Input columns followed by one column per call; one partitioning and order per node. */
  | { op: 'window'; input: PlanNode; partitionBy: Expr[]; orderBy: SortItem[]; calls: WindowCall[]; schema: Schema }
  /** INTERSECT / EXCEPT [ALL] (UNION is `union` plus a DISTINCT aggregate); rows compare NULL-safely. */
  | { op: 'setop'; kind: 'intersect' | 'except'; all: boolean; left: PlanNode; right: PlanNode; schema: Schema }
  | { op: 'sort'; input: PlanNode; keys: SortItem[]; schema: Schema }
  | { op: 'limit'; input: PlanNode; n: number | null; offset: number; schema: Schema }
  | { op: 'union'; inputs: PlanNode[]; schema: Schema }
  /** `rows` rows of zero columns (SELECT without FROM), or the constant rows of a VALUES list. */
  | { op: 'values'; rows: number; data?: Scalar[][]; schema: Schema };

export function children(p: PlanNode): PlanNode[] {
  switch (p.op) {
    case 'scan': case 'values': return [];
    case 'join': case 'setop': return [p.left, p.right];
    case 'union': return p.inputs;
    default: return [p.input];
  }
}

/** The node with its children replaced (same order as `children`): the one generic rebuild. */
export function withChildren(p: PlanNode, kids: PlanNode[]): PlanNode {
  switch (p.op) {
    case 'scan': case 'values': return p;
    case 'join': case 'setop': return { ...p, left: kids[0]!, right: kids[1]! };
    case 'union': return { ...p, inputs: kids };
    default: return { ...p, input: kids[0]! };
  }
}

/** Bottom-up rewrite: `fn` sees each node after its children were rewritten. */
export function transformPlan(p: PlanNode, fn: (p: PlanNode) => PlanNode): PlanNode {
  const kids = children(p);
  return fn(kids.length ? withChildren(p, kids.map((k) => transformPlan(k, fn))) : p);
}

export function exprText(e: Expr, names: string[]): string {
  switch (e.k) {
    case 'col': return names[e.i] ?? `#${e.i}`;
    case 'lit': return e.v === null ? 'NULL' : typeof e.v === 'string' ? `'${e.v}'` : String(e.v);
    case 'call': return `${e.fn}(${e.args.map((a) => exprText(a, names)).join(', ')})`;
    case 'case': return `CASE ${e.whens.map(([w, t]) => `WHEN ${exprText(w, names)} THEN ${exprText(t, names)}`).join(' ')}${e.else ? ` ELSE ${exprText(e.else, names)}` : ''} END`;
    case 'cast': return `CAST(${exprText(e.e, names)} AS ${e.type})`;
    case 'in': return `${exprText(e.e, names)} ${e.neg ? 'NOT IN' : 'IN'} (${e.list.map(String).join(', ')})`;
    case 'like': return `${exprText(e.e, names)} ${e.neg ? 'NOT LIKE' : 'LIKE'} '${e.pattern}'`;
  }
}

/** Human-readable plan tree (also used to check that SQL and the builder produce the same plan). */
export function explain(p: PlanNode, indent = ''): string {
  const inNames = (n: PlanNode): string[] => n.schema.map((f) => f.name);
  let line: string;
  switch (p.op) {
    case 'scan':
      line = `Scan ${p.table}${p.travel ? ` ${p.travel.kind === 'version' ? `VERSION AS OF ${p.travel.snapshotId}` : `TIMESTAMP AS OF '${p.travel.at}'`}` : ''} [${p.columns.join(', ')}]${p.filters.length ? ` filters=[${p.filters.map((f) => exprText(f, p.columns)).join(', ')}]` : ''}`;
      break;
    case 'filter': line = `Filter ${exprText(p.predicate, inNames(p.input))}`; break;
    case 'project': line = `Project ${p.exprs.map((e, i) => `${exprText(e, inNames(p.input))} AS ${p.schema[i]!.name}`).join(', ')}`; break;
    case 'aggregate':
      line = `Aggregate keys=[${p.keys.map((k) => exprText(k, inNames(p.input))).join(', ')}] aggs=[${p.aggs.map((a) => `${a.fn}(${a.distinct ? 'DISTINCT ' : ''}${a.arg ? exprText(a.arg, inNames(p.input)) : '*'})`).join(', ')}]`;
      break;
    case 'join': {
      const ln = inNames(p.left);
      const rn = inNames(p.right);
      const kind = p.kind[0]!.toUpperCase() + p.kind.slice(1);
      line = `${kind}Join on [${p.leftKeys.map((k, i) => `${exprText(k, ln)} = ${exprText(p.rightKeys[i]!, rn)}`).join(', ')}]${p.residual ? ` residual=${exprText(p.residual, [...ln, ...rn])}` : ''}${p.nullAware ? ' null-aware' : ''}`;
      break;
    }
    case 'sort': line = `Sort ${p.keys.map((k) => `${exprText(k.e, inNames(p.input))} ${k.desc ? 'DESC' : 'ASC'}${k.nullsFirst ? ' NULLS FIRST' : ''}`).join(', ')}`; break;
    case 'limit': line = `Limit ${p.n ?? 'ALL'}${p.offset ? ` OFFSET ${p.offset}` : ''}`; break;
    case 'union': line = 'UnionAll'; break;
    case 'setop': line = `${p.kind === 'intersect' ? 'Intersect' : 'Except'}${p.all ? 'All' : ''}`; break;
    case 'window': {
      const n = inNames(p.input);
      line = `Window partition=[${p.partitionBy.map((e) => exprText(e, n)).join(', ')}] order=[${p.orderBy.map((k) => `${exprText(k.e, n)}${k.desc ? ' DESC' : ''}`).join(', ')}] calls=[${p.calls.map((c) => `${c.fn}(${c.args.map((a) => exprText(a, n)).join(', ')})`).join(', ')}]`;
      break;
    }
    case 'values': line = `Values rows=${p.rows}`; break;
  }
  return [indent + line, ...children(p).map((c) => explain(c, indent + '  '))].join('\n');
}
