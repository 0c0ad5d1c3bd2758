/**
 * Partition terms as written in `PARTITIONED BY (…)` and `--partition-by`, Spark/Iceberg style:
 * `col`, `identity(col)`, `year(col)`/`years(col)`, `month(s)`, `day(s)`, `hour(s)`,
 * `bucket(N, col)`, `truncate(W, col)` (also `truncate(col, W)`), `void(col)`. Pure.
 */

import type { PartitionFieldInput } from '../../catalog/index.js';
import { LakehouseError } from '../../connectors/errors.js';
import { splitTopLevel } from './parser.js';

const FUNCS: Record<string, string> = {
  identity: 'identity', year: 'year', years: 'year', month: 'month', months: 'month', day: 'day', days: 'day',
  date: 'day', hour: 'hour', hours: 'hour', date_hour: 'hour', void: 'void',
};

const ident = (s: string): string => s.trim().replace(/^`(.*)`$/, '$1').replace(/^"(.*)"$/, '$1');

function bad(term: string): LakehouseError {
  return new LakehouseError('INVALID_ARGUMENT', `"${term}" is not a partition term`, {
    help: 'Use a column name or a transform: year(c), month(c), day(c), hour(c), bucket(N, c), truncate(W, c), identity(c).',
  });
}

export function parsePartitionTerm(term: string): PartitionFieldInput {
  const t = term.trim();
  const m = /^([A-Za-z_]+)\s*\((.*)\)$/s.exec(t);
  if (!m) {
    if (!/^(`[^`]+`|"[^"]+"|[A-Za-z_][\w-]*)$/.test(t)) throw bad(term);
    return { column: ident(t) };
  }
  const fn = m[1]!.toLowerCase();
  const args = splitTopLevel(m[2]!);
  if (fn === 'bucket' || fn === 'truncate') {
    if (args.length !== 2) throw bad(term);
    const [a, b] = args as [string, string];
    const numFirst = /^\d+$/.test(a.trim());
    const n = Number(numFirst ? a : b);
    const column = ident(numFirst ? b : a);
    if (!Number.isInteger(n) || n <= 0 || !/^\d+$/.test((numFirst ? a : b).trim())) throw bad(term);
    return { column, transform: `${fn}[${n}]` };
  }
  const transform = FUNCS[fn];
  if (!transform || args.length !== 1) throw bad(term);
  return { column: ident(args[0]!), transform };
}

/** Parses "month(ts), bucket(16, id)" (or a list of terms) into partition fields. */
export function parsePartitionBy(terms: string | string[]): PartitionFieldInput[] {
  const list = (typeof terms === 'string' ? [terms] : terms).flatMap((t) => splitTopLevel(t));
  return list.filter((x) => x.trim() !== '').map(parsePartitionTerm);
}
