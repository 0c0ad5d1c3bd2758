/**
 * Quality gates and reconciliation over a run's staged output, expressed as SQL the engine runs
 * against the staged files (registered as a temporary table per partition), so rules use the
 * same expression semantics as jobs. A row-level rule's "bad" predicate is NULL-safe: a row
 * fails an `expression` rule when the expression is FALSE or NULL; `range` and
 * `accepted_values` ignore NULLs (use `not_null` for those).
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { QualityRule } from './spec.js';
import { parseDuration } from './spec.js';

export interface RuleOutcome {
  rule: string;
  kind: QualityRule['rule'];
  severity: QualityRule['severity'];
  partition: string;
  failedRows: number;
  passed: boolean;
  detail?: string;
}

export function ruleName(r: QualityRule, i: number): string {
  if (r.name) return r.name;
  switch (r.rule) {
    case 'not_null':
    case 'unique':
      return `${r.rule}(${r.columns.join(',')})#${i}`;
    case 'range':
    case 'accepted_values':
    case 'freshness':
      return `${r.rule}(${r.column})#${i}`;
    default:
      return `${r.rule}#${i}`;
  }
}

export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

function sqlLiteral(v: string | number | boolean): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LakehouseError('INVALID_JOB_SPEC', `quality rule value ${v} is not finite`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return `'${v.replace(/'/g, "''")}'`;
}

/** The predicate that marks a row as failing a row-level rule (undefined for table-level rules). */
export function badRowPredicate(r: QualityRule): string | undefined {
  switch (r.rule) {
    case 'not_null':
      return r.columns.map((c) => `${quoteIdent(c)} IS NULL`).join(' OR ');
    case 'range': {
      const c = quoteIdent(r.column);
      const parts: string[] = [];
      if (r.min !== undefined) parts.push(`${c} < ${sqlLiteral(r.min)}`);
      if (r.max !== undefined) parts.push(`${c} > ${sqlLiteral(r.max)}`);
      return `(${c} IS NOT NULL AND (${parts.join(' OR ')}))`;
    }
    case 'accepted_values':
      return `(${quoteIdent(r.column)} IS NOT NULL AND ${quoteIdent(r.column)} NOT IN (${r.values.map(sqlLiteral).join(', ')}))`;
    case 'expression':
      return `NOT COALESCE((${r.expression}), FALSE)`;
    default:
      return undefined;
  }
}

export interface QueryRunner {
  sql(text: string): { toArray(): Promise<Array<Record<string, unknown>>> };
}

async function scalar(engine: QueryRunner, text: string): Promise<number> {
  const rows = await engine.sql(text).toArray();
  const v = Object.values(rows[0] ?? {})[0];
  return v === null || v === undefined ? 0 : Number(v);
}

/** Evaluates every rule on one partition's staged rows (table `t`). */
export async function evaluateRules(engine: QueryRunner, t: string, partition: string, rules: QualityRule[], runClockMs: number): Promise<RuleOutcome[]> {
  const out: RuleOutcome[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    const base = { rule: ruleName(r, i), kind: r.rule, severity: r.severity, partition };
    const bad = badRowPredicate(r);
    if (bad) {
      const failedRows = await scalar(engine, `SELECT count(*) AS n FROM ${t} WHERE ${bad}`);
      out.push({ ...base, failedRows, passed: failedRows === 0 });
    } else if (r.rule === 'unique') {
      const cols = r.columns.map(quoteIdent).join(', ');
      const failedRows = await scalar(engine, `SELECT coalesce(sum(n), 0) AS n FROM (SELECT ${cols}, count(*) AS n FROM ${t} GROUP BY ${cols} HAVING count(*) > 1) d`);
      out.push({ ...base, failedRows, passed: failedRows === 0, detail: failedRows ? `${failedRows} rows share a key` : undefined });
    } else if (r.rule === 'row_count') {
      const n = await scalar(engine, `SELECT count(*) AS n FROM ${t}`);
      const ok = (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max);
      out.push({ ...base, failedRows: ok ? 0 : n, passed: ok, detail: `${n} rows (bounds ${r.min ?? '-'}..${r.max ?? '-'})` });
    } else if (r.rule === 'freshness') {
      const rows = await engine.sql(`SELECT max(${quoteIdent(r.column)}) AS m FROM ${t}`).toArray();
      const m = rows[0]?.['m'];
      const newest = m === null || m === undefined ? undefined : typeof m === 'number' ? m : m instanceof Date ? m.getTime() : Date.parse(String(m));
      const limit = runClockMs - parseDuration(r.maxAge);
      const ok = newest !== undefined && newest >= limit;
      out.push({ ...base, failedRows: ok ? 0 : 1, passed: ok, detail: `newest ${newest === undefined ? 'none' : new Date(newest).toISOString()}, must be ≥ ${new Date(limit).toISOString()}` });
    }
  }
  return out;
}

/** Order-independent checksum over rows: the sum mod 2^64 of each row's xxh64. */
export function combineRowHashes(hashes: Iterable<bigint>): string {
  let acc = 0n;
  for (const h of hashes) acc = (acc + h) & 0xffff_ffff_ffff_ffffn;
  return acc.toString(16).padStart(16, '0');
}
