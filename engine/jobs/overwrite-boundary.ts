/**
 * The INSERT OVERWRITE boundary check. `INSERT OVERWRITE` replaces every partition its output
 * touches, whole. A job whose declared boundary — its WHERE on the target's partition source
 * columns — selects only part of a partition would delete the rest of that partition silently
 * (`WHERE d = :day` on a table partitioned by `month(d)` replaces the whole month with one
 * day). Such a job is refused before it runs, with the mismatch spelled out.
 *
 * What counts as whole partitions, per partition field of the target's current spec (checked
 * on the bound query tree; every WHERE conjunct that mentions the field's source column):
 *   - identity: any predicate on the column alone (each partition is one value);
 *   - year/month/day/hour: `>=`/`<` (and `<=`/`>` on dates, `=`/IN on dates for day) with
 *     literal bounds that fall on the transform's unit boundaries;
 *   - void: nothing to check; bucket/truncate: no predicate on the column can be proven whole.
 * A conjunct that mixes the column with other columns, a non-literal bound, or an output
 * column computed by an expression is not provably whole and is refused too.
 *
 * `overwrite: "replace-where"` lifts the check: the WHERE is then the predicate on the target
 * (Delta's replaceWhere), and exactly the rows matching it are replaced (engine/write/
 * replace-where.ts). `replacePredicate` derives that predicate: the WHERE of the statement's
 * single SELECT, every column it names a column of the target. Pure.
 */

import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import type { Table, Warehouse } from '../../catalog/index.js';
import type { UBody, UExpr, UQuery, USelect } from '../plan/unbound.js';
import type { JobSpec } from './spec.js';
import type { JobTarget } from './target.js';

interface Field {
  column: string;
  transform: string;
  type: string;
}

/**
 * Refuses, before any run exists, an overwrite that would delete rows it does not replace: an
 * INSERT OVERWRITE whose WHERE cuts through partitions of the existing target table. With
 * `overwrite: "replace-where"`, returns the predicate whose rows the job replaces instead.
 */
export async function checkOverwrite(spec: JobSpec, target: JobTarget, warehouse: Warehouse): Promise<UExpr | undefined> {
  if (spec.overwrite === 'replace-where' && target.mode !== 'overwrite-partitions') {
    throw new LakehouseError('INVALID_JOB_SPEC', `"overwrite": "replace-where" applies to INSERT OVERWRITE (or "output": { "mode": "overwrite-partitions" }), not to a write in mode ${target.mode}`, {
      help: 'Write the statement as INSERT OVERWRITE ns.t SELECT … WHERE <the rows to replace>, or remove "overwrite".',
    });
  }
  if (target.mode !== 'overwrite-partitions') return undefined;
  const existing = await warehouse.loadTable(target.table).catch((err: unknown) => {
    if (isLakehouseError(err, 'TABLE_NOT_FOUND')) return undefined;
    throw err;
  });
  if (spec.overwrite === 'replace-where') {
    if (!existing) {
      throw new LakehouseError('TABLE_NOT_FOUND', `"overwrite": "replace-where" replaces rows of ${target.table}, which does not exist`, {
        help: 'Create the table first (CREATE TABLE … AS SELECT, or `lake ingest … --create`).',
      });
    }
    return replacePredicate(target.query, existing.schema().fields.map((f) => f.name), target.table);
  }
  if (existing) checkOverwriteBoundary(target.query, existing, target.table);
  return undefined;
}

/**
 * The replace-where predicate: the WHERE of the statement's single SELECT, evaluated on the
 * target, so every column it names must be a target column (qualifiers dropped). A filter on a
 * source column that the target lacks belongs in a CTE or a subquery in FROM.
 */
export function replacePredicate(query: UQuery, columns: string[], tableName: string): UExpr {
  const refuse = (msg: string, help: string): never => {
    throw new LakehouseError('INVALID_JOB_SPEC', `"overwrite": "replace-where" into ${tableName}: ${msg}`, { help });
  };
  const body = query.body;
  if (body.k !== 'select') return refuse('the statement must be one SELECT (not a UNION or a parenthesised query): its WHERE is the predicate of the rows to replace', 'Move the UNION into a CTE and select from it with the WHERE of the rows to replace.');
  if (!body.where) return refuse('the SELECT has no WHERE, so there is no predicate saying which rows to replace', 'Add the WHERE of the rows to replace (e.g. WHERE d = :day), or use "output": { "mode": "replace" } to replace the whole table.');
  const byLower = new Map(columns.map((c) => [c.toLowerCase(), c]));
  const missing = new Set<string>();
  const rename = (e: UExpr): UExpr => {
    switch (e.k) {
      case 'ident': {
        const name = byLower.get(lower(e.parts[e.parts.length - 1]!));
        if (name === undefined) missing.add(e.parts.join('.'));
        return { k: 'ident', parts: [name ?? e.parts[e.parts.length - 1]!], ...(e.pos ? { pos: e.pos } : {}) };
      }
      case 'bin': return { ...e, l: rename(e.l), r: rename(e.r) };
      case 'not': case 'neg': case 'cast': case 'isnull': return { ...e, e: rename(e.e) };
      case 'fn': return { ...e, args: e.args.map(rename) };
      case 'case': return { ...e, operand: e.operand ? rename(e.operand) : null, whens: e.whens.map(([a, b]) => [rename(a), rename(b)] as [UExpr, UExpr]), else: e.else ? rename(e.else) : null };
      case 'in': return { ...e, e: rename(e.e), list: e.list.map(rename) };
      case 'between': return { ...e, e: rename(e.e), lo: rename(e.lo), hi: rename(e.hi) };
      case 'like': return { ...e, e: rename(e.e), pattern: rename(e.pattern) };
      default: return e;
    }
  };
  const pred = rename(body.where);
  if (missing.size) {
    refuse(
      `its WHERE (${show(body.where)}) is the predicate of the rows to replace, evaluated on ${tableName}, but ${[...missing].join(', ')} ${missing.size === 1 ? 'is not a column' : 'are not columns'} of ${tableName} (columns: ${columns.join(', ')})`,
      'Filter the source in a CTE or a subquery in FROM, and keep in the WHERE only the predicate on the target\'s columns (e.g. WHERE d = :day).',
    );
  }
  return pred;
}

/** Throws INVALID_JOB_SPEC when the query's WHERE selects part of a partition of `table`. */
export function checkOverwriteBoundary(query: UQuery, table: Table, tableName: string): void {
  const schema = table.schema();
  const fields: Field[] = table.spec().fields.map((f) => {
    const src = schema.fields.find((x) => x.id === f['source-id']);
    return { column: src?.name ?? String(f['source-id']), transform: f.transform, type: typeof src?.type === 'string' ? src.type : 'other' };
  });
  if (!fields.length) return;
  for (const sel of selects(query.body)) {
    for (const f of fields) {
      if (f.transform === 'void') continue;
      const inputs = inputColumnsOf(sel, f.column);
      for (const c of conjuncts(sel.where)) {
        const cols = columnsOf(c);
        if (!cols.some((x) => inputs.cols.includes(x))) continue;
        const why = wholeUnits(c, f, inputs, cols);
        if (why) refuse(tableName, f, c, why);
      }
    }
  }
}

function refuse(table: string, f: Field, c: UExpr, why: string): never {
  const term = f.transform === 'identity' ? f.column : `${f.transform.replace(/\[.*$/, '')}(${f.column})`;
  throw new LakehouseError(
    'INVALID_JOB_SPEC',
    `INSERT OVERWRITE into ${table} replaces whole partitions, but its WHERE selects part of one: ${table} is partitioned by ${term}, and "${show(c)}" ${why}. ` +
      `Every other row of each partition it touches would be deleted.`,
    {
      help:
        `To replace exactly the rows matching the WHERE, add the job option "overwrite": "replace-where" (copy-on-write of the files holding such rows, in one commit). ` +
        `Or widen the WHERE to whole ${term} partitions${suggest(f, c)}, or write to a table partitioned at the WHERE's granularity.`,
      details: { table, partitionField: term, predicate: show(c) },
    },
  );
}

/** `(e.g. d >= DATE '2026-11-01' AND d < DATE '2026-12-01')` around a conjunct's literal, when there is one. */
function suggest(f: Field, c: UExpr): string {
  const lit = c.k === 'bin' ? (literalTime(c.r) ?? literalTime(c.l)) : c.k === 'between' ? literalTime(c.lo) : undefined;
  const unit = f.transform;
  if (lit === undefined || !['year', 'month', 'day', 'hour'].includes(unit)) return '';
  const d = new Date(lit);
  const start = unit === 'year' ? Date.UTC(d.getUTCFullYear(), 0, 1) : unit === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) : unit === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) : Math.floor(lit / 3_600_000) * 3_600_000;
  const s = new Date(start);
  const end = unit === 'year' ? Date.UTC(s.getUTCFullYear() + 1, 0, 1) : unit === 'month' ? Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 1) : start + (unit === 'day' ? 86_400_000 : 3_600_000);
  const fmt = (ms: number): string => (f.type === 'date' ? `DATE '${new Date(ms).toISOString().slice(0, 10)}'` : `TIMESTAMP '${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}'`);
  return ` (e.g. ${f.column} >= ${fmt(start)} AND ${f.column} < ${fmt(end)})`;
}

function selects(b: UBody): USelect[] {
  if (b.k === 'select') return [b];
  if (b.k === 'setop') return [...selects(b.left), ...selects(b.right)];
  if (b.k === 'values') return [];
  return selects(b.query.body);
}

function conjuncts(e: UExpr | null): UExpr[] {
  if (!e) return [];
  if (e.k === 'bin' && e.op === 'and') return [...conjuncts(e.l), ...conjuncts(e.r)];
  return [e];
}

const lower = (s: string): string => s.toLowerCase();

function columnsOf(e: UExpr): string[] {
  const out: string[] = [];
  const walk = (x: UExpr): void => {
    switch (x.k) {
      case 'ident': out.push(lower(x.parts[x.parts.length - 1]!)); break;
      case 'bin': walk(x.l); walk(x.r); break;
      case 'not': case 'neg': case 'cast': case 'isnull': walk(x.e); break;
      case 'fn': x.args.forEach(walk); break;
      case 'case': if (x.operand) walk(x.operand); x.whens.forEach(([a, b]) => { walk(a); walk(b); }); if (x.else) walk(x.else); break;
      case 'in': walk(x.e); x.list.forEach(walk); break;
      case 'between': walk(x.e); walk(x.lo); walk(x.hi); break;
      case 'like': walk(x.e); walk(x.pattern); break;
      default: break;
    }
  };
  walk(e);
  return out;
}

/** The input columns that produce output column `col`, and whether it is a plain copy of one. */
function inputColumnsOf(sel: USelect, col: string): { cols: string[]; plain: boolean } {
  for (const it of sel.items) {
    if (it.k === 'star') continue;
    const name = it.alias ?? (it.e.k === 'ident' ? it.e.parts[it.e.parts.length - 1] : undefined);
    if (name !== undefined && lower(name) === lower(col)) return { cols: columnsOf(it.e), plain: it.e.k === 'ident' };
  }
  return { cols: [lower(col)], plain: true };
}

/** undefined when conjunct `c` selects whole partitions of `f`, else why not. */
function wholeUnits(c: UExpr, f: Field, inputs: { cols: string[]; plain: boolean }, cols: string[]): string | undefined {
  if (!inputs.plain) return `filters an input of the computed partition column ${f.column}, which cannot be checked against whole partitions`;
  if (cols.some((x) => !inputs.cols.includes(x))) return `mixes ${f.column} with other columns, so it can keep part of a partition`;
  const t = f.transform.replace(/\[.*$/, '');
  if (t === 'identity') return undefined;
  if (t === 'bucket' || t === 'truncate') return `filters the column of a ${t} partition, which holds many values of it`;
  const isDate = f.type === 'date';
  const unit = t as 'year' | 'month' | 'day' | 'hour';
  const aligned = (e: UExpr, nextDay = false): boolean => {
    const v = literalTime(e);
    if (v === undefined) return false;
    const d = new Date(v + (nextDay ? 86_400_000 : 0));
    if (d.getUTCMinutes() || d.getUTCSeconds() || d.getUTCMilliseconds()) return false;
    if (unit === 'hour') return true;
    if (d.getUTCHours()) return false;
    if (unit === 'day') return true;
    if (d.getUTCDate() !== 1) return false;
    return unit === 'month' || d.getUTCMonth() === 0;
  };
  const plainCol = (e: UExpr): boolean => e.k === 'ident';
  const unitName = { year: 'year', month: 'month', day: 'day', hour: 'hour' }[unit];
  const notWhole = `does not fall on ${unitName} boundaries`;
  if (c.k === 'bin' && ['>=', '<', '<=', '>', '='].includes(c.op)) {
    const colLeft = plainCol(c.l);
    const [lit, op] = colLeft ? [c.r, c.op] : [c.l, flip(c.op)];
    if (!plainCol(colLeft ? c.l : c.r)) return notWhole;
    if (op === '>=' || op === '<') return aligned(lit) ? undefined : notWhole;
    if (isDate && (op === '>' || op === '<=')) return aligned(lit, true) ? undefined : notWhole;
    if (op === '=' && isDate && unit === 'day') return literalTime(lit) !== undefined ? undefined : notWhole;
    return op === '=' ? `selects a single ${isDate ? 'day' : 'instant'} of a ${unitName} partition` : notWhole;
  }
  if (c.k === 'between' && !c.neg && plainCol(c.e) && isDate) return aligned(c.lo) && aligned(c.hi, true) ? undefined : notWhole;
  if (c.k === 'in' && !c.neg && plainCol(c.e) && isDate && unit === 'day') return c.list.every((x) => literalTime(x) !== undefined) ? undefined : notWhole;
  return notWhole;
}

function flip(op: string): string {
  return ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[op] ?? op;
}

/** A date/timestamp literal as epoch ms (UTC), else undefined. */
function literalTime(e: UExpr): number | undefined {
  const text = e.k === 'typed' ? e.text : e.k === 'lit' && typeof e.v === 'string' ? e.v : e.k === 'cast' && e.e.k === 'lit' && typeof e.e.v === 'string' ? e.e.v : undefined;
  if (text === undefined) return undefined;
  const iso = text.trim().replace(' ', 'T');
  const ms = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : `${iso}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A short rendering of a predicate, for messages only (never executed). */
export function show(e: UExpr): string {
  switch (e.k) {
    case 'ident': return e.parts.join('.');
    case 'num': return e.text;
    case 'lit': return typeof e.v === 'string' ? `'${e.v}'` : String(e.v);
    case 'typed': return `${e.type.toUpperCase()} '${e.text}'`;
    case 'bin': return `${show(e.l)} ${e.op.toUpperCase()} ${show(e.r)}`;
    case 'cast': return `CAST(${show(e.e)} AS ${e.to})`;
    case 'between': return `${show(e.e)} ${e.neg ? 'NOT ' : ''}BETWEEN ${show(e.lo)} AND ${show(e.hi)}`;
    case 'in': return `${show(e.e)} ${e.neg ? 'NOT ' : ''}IN (${e.list.map(show).join(', ')})`;
    case 'fn': return `${e.name}(${e.args.map(show).join(', ')})`;
    case 'not': return `NOT ${show(e.e)}`;
    case 'isnull': return `${show(e.e)} IS ${e.neg ? 'NOT ' : ''}NULL`;
    default: return `(${e.k} expression)`;
  }
}
