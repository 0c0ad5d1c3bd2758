/**
 * EXPLAIN text of a physical plan: one line per operator, children indented under their parent,
 * each with its strategy and the planner's estimates; with metrics (EXPLAIN ANALYZE) each line
 * also carries what the run measured — rows, approximate bytes, time and the peak bytes the
 * operator held on the coordinator — and an adaptive re-planning is shown where it happened.
 *
 * Pure and deterministic for a given plan (EXPLAIN without ANALYZE prints the same text for the
 * same plan and inputs); the line format is for people, tests read only `rows=` of `actual:`.
 */

import { exprText } from '../plan/logical.js';
import type { Expr } from '../plan/types.js';
import type { OpMetrics } from '../exec/executor.js';
import { physicalChildren, type PhysicalNode } from './plan.js';

const names = (p: PhysicalNode): string[] => p.schema.map((f) => f.name);
const list = (es: Expr[], n: string[]): string => es.map((e) => exprText(e, n)).join(', ');

export function formatBytes(b: number): string {
  if (b < 1024) return `${Math.round(b)} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 ** 3) return `${(b / 1024 / 1024).toFixed(1)} MiB`;
  return `${(b / 1024 ** 3).toFixed(2)} GiB`;
}

/** The operator's own description (no estimates, no metrics). */
export function describe(p: PhysicalNode): string {
  switch (p.op) {
    case 'scan': {
      const travel = p.travel ? ` ${p.travel.kind === 'version' ? `VERSION AS OF ${p.travel.snapshotId}` : `TIMESTAMP AS OF '${p.travel.at}'`}` : '';
      return `Scan ${p.table}${travel} [${p.columns.join(', ')}]${p.filters.length ? ` filters=[${list(p.filters, p.columns)}]` : ''} tasks=${p.tasks.length}`;
    }
    case 'filter': return `Filter ${exprText(p.predicate, names(p.input))}`;
    case 'project': return `Project ${p.exprs.map((e, i) => `${exprText(e, names(p.input))} AS ${p.schema[i]!.name}`).join(', ')}`;
    case 'hash-join': {
      const pn = names(p.probe);
      const bn = names(p.build);
      const keys = p.probeKeys.map((k, i) => `${exprText(k, pn)} = ${exprText(p.buildKeys[i]!, bn)}`).join(', ');
      const strategy = p.adaptive ? `${p.strategy} (adaptive: ${p.adaptive})` : p.strategy;
      return `HashJoin ${p.kind} ${strategy} on [${keys}] build=${p.swapped ? 'left (swapped)' : 'right'}${p.partitions ? ` partitions=${p.partitions}` : ''}`
        + `${p.residual ? ` residual=${exprText(p.residual, [...pn, ...bn])}` : ''}${p.nullAware ? ' null-aware' : ''}`;
    }
    case 'nested-loop-join':
      return `NestedLoopJoin ${p.kind}${p.condition ? ` on ${exprText(p.condition, [...names(p.left), ...names(p.right)])}` : ''}${p.nullAware ? ' null-aware' : ''}`;
    case 'hash-aggregate': {
      const n = names(p.input);
      const aggs = p.aggs.map((a) => `${a.fn}(${a.distinct ? 'DISTINCT ' : ''}${a.arg ? exprText(a.arg, n) : '*'})`).join(', ');
      return `HashAggregate ${p.strategy}${p.partitions ? ` partitions=${p.partitions}` : ''} keys=[${list(p.keys, n)}] aggs=[${aggs}]`;
    }
    case 'sort': return `Sort ${p.keys.map((k) => `${exprText(k.e, names(p.input))} ${k.desc ? 'DESC' : 'ASC'}${k.nullsFirst ? ' NULLS FIRST' : ''}`).join(', ')}`;
    case 'limit': return `Limit ${p.n ?? 'ALL'}${p.offset ? ` OFFSET ${p.offset}` : ''}${p.pushed ? ' (pushed into tasks)' : ''}`;
    case 'union': return 'UnionAll';
    case 'window': {
      const n = names(p.input);
      return `Window partition=[${list(p.partitionBy, n)}] order=[${p.orderBy.map((k) => `${exprText(k.e, n)}${k.desc ? ' DESC' : ''}`).join(', ')}] calls=[${p.calls.map((c) => `${c.fn}(${list(c.args, n)})`).join(', ')}]`;
    }
    case 'setop': return `${p.kind === 'intersect' ? 'Intersect' : 'Except'}${p.all ? 'All' : ''}`;
    case 'values': return `Values rows=${p.rows}`;
    case 'sink': return `Sink ${p.table} mode=${p.mode} ${p.placement === 'tasks' ? 'in every task' : 'on the coordinator'}${p.sink.partitionFields.length ? ` partitioned by [${p.sink.spec.fields.map((f) => f.name).join(', ')}]` : ''}`;
  }
}

function actual(p: PhysicalNode, m: OpMetrics | undefined): string {
  if (!m) return '  actual: not run';
  const parts = [`rows=${m.rows}`, `bytes=${formatBytes(m.bytes)}`, `time=${m.ms.toFixed(1)}ms`];
  if (m.mem) parts.push(`mem=${formatBytes(m.mem)}`);
  if (m.rowsRead !== undefined) parts.push(`read=${m.rowsRead}`, `tasks=${m.tasks ?? 0}`);
  if (m.partialRows !== undefined) parts.push(`partial=${m.partialRows}`);
  if (p.op === 'sink') parts[0] = `rows written=${m.rows}`;
  return `  actual: ${parts.join(' ')}`;
}

/** The plan as lines; with `metrics`, each line also shows what the run measured. */
export function explainLines(p: PhysicalNode, metrics?: ReadonlyMap<number, OpMetrics>, indent = ''): string[] {
  const est = `  (est rows=${p.est.rows} bytes=${formatBytes(p.est.bytes)})`;
  const line = `${indent}${describe(p)}${est}${metrics ? actual(p, metrics.get(p.id)) : ''}`;
  return [line, ...physicalChildren(p).flatMap((c) => explainLines(c, metrics, indent + '  '))];
}

export function explainPhysical(p: PhysicalNode, metrics?: ReadonlyMap<number, OpMetrics>): string {
  return explainLines(p, metrics).join('\n');
}
