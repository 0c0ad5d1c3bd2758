/**
 * Bound logical plan. Column references in a node's expressions are indexes into the node's
 * input schema (for joins: left columns followed by right columns). Scans carry the table source;
 * everything else is plain data.
 */

import type { TableSource } from '../source/table-source.js';
import type { AggCall, Expr, Schema } from './types.js';
import type { TimeTravel } from './unbound.js';

export interface SortItem {
  e: Expr;
  desc: boolean;
  nullsFirst: boolean;
}

export type PlanNode =
  | { op: 'scan'; table: string; source: TableSource; travel?: TimeTravel; columns: string[]; filters: Expr[]; schema: Schema }
  | { op: 'filter'; input: PlanNode; predicate: Expr; schema: Schema }
  | { op: 'project'; input: PlanNode; exprs: Expr[]; schema: Schema }
  | { op: 'aggregate'; input: PlanNode; keys: Expr[]; aggs: AggCall[]; schema: Schema }
  | { op: 'join'; kind: 'inner' | 'left'; left: PlanNode; right: PlanNode; leftKeys: Expr[]; rightKeys: Expr[]; schema: Schema }
  | { op: 'sort'; input: PlanNode; keys: SortItem[]; schema: Schema }
  | { op: 'limit'; input: PlanNode; n: number | null; offset: number; schema: Schema }
  | { op: 'union'; inputs: PlanNode[]; schema: Schema }
  | { op: 'values'; rows: number; schema: Schema };

export function children(p: PlanNode): PlanNode[] {
  switch (p.op) {
    case 'scan': case 'values': return [];
    case 'join': return [p.left, p.right];
    case 'union': return p.inputs;
    default: return [p.input];
  }
}

function exprText(e: Expr, names: string[]): string {
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
      line = `${p.kind === 'left' ? 'LeftJoin' : 'InnerJoin'} on [${p.leftKeys.map((k, i) => `${exprText(k, ln)} = ${exprText(p.rightKeys[i]!, rn)}`).join(', ')}]`;
      break;
    }
    case 'sort': line = `Sort ${p.keys.map((k) => `${exprText(k.e, inNames(p.input))} ${k.desc ? 'DESC' : 'ASC'}${k.nullsFirst ? ' NULLS FIRST' : ''}`).join(', ')}`; break;
    case 'limit': line = `Limit ${p.n ?? 'ALL'}${p.offset ? ` OFFSET ${p.offset}` : ''}`; break;
    case 'union': line = 'UnionAll'; break;
    case 'values': line = `Values rows=${p.rows}`; break;
  }
  return [indent + line, ...children(p).map((c) => explain(c, indent + '  '))].join('\n');
}
