/**
 * Statement conversions beyond queries and plain INSERT/CTAS (called from parser.ts
 * `convertStatement` / `convertFactor`): INSERT with a column list or a VALUES source,
 * CREATE [OR REPLACE] [TEMP] VIEW, DROP VIEW, COPY … TO, table functions in FROM
 * (`read_parquet(…)`, `read_csv(…)`, `read_json(…)`), and the splitting of a script into its
 * statements.
 *
 * Everything here reads the parser's AST (sqlparser-ts) and produces plain data: the unbound
 * trees of plan/unbound.ts and the statement records below. Pure, synchronous, deterministic.
 * Every AST field that is not read is refused (`rejectIgnored`), so a clause the parser accepts
 * and we would ignore is a `not supported yet`, never a silent wrong result.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { Pos, UExpr, UFrom, UQuery } from '../plan/unbound.js';

/* The AST is the JSON serialisation of sqlparser-rs's enums; we walk it structurally. */
type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What statements.ts needs from parser.ts (passed in to keep the import graph acyclic). */
export interface ConvertHelpers {
  convertQuery(q: J): UQuery;
  convertExpr(e: J): UExpr;
  objectName(parts: J): string[];
  rejectIgnored(node: J, read: readonly string[], what: string): void;
  unsupported(what: string): LakehouseError;
}

export type CopyFormat = 'parquet' | 'csv';

export type ExtraStatement =
  | {
      kind: 'insert'; table: string[]; overwrite: boolean; query: UQuery;
      /** `INSERT INTO t (a, b) …`: the target columns, in the order the source gives them. */
      columns?: string[];
    }
  | {
      kind: 'create_view'; name: string[]; orReplace: boolean; temporary: boolean; ifNotExists: boolean;
      columns?: string[]; query: UQuery;
      /** The view's query as written (for storage and error carets): statement text with everything else blanked. */
      queryText: string;
    }
  | { kind: 'drop_view'; names: string[][]; ifExists: boolean }
  | {
      kind: 'copy';
      /** `COPY (query) TO …` or `COPY table TO …` (then a SELECT * of it). */
      query: UQuery;
      target: string;
      format: CopyFormat;
      header: boolean;
      delimiter: string;
    };

const fail = (h: ConvertHelpers, what: string): LakehouseError => h.unsupported(what);

/** `INSERT [INTO|OVERWRITE] t [(cols)] (query | VALUES …)`. */
export function convertInsert(ins: J, h: ConvertHelpers): ExtraStatement {
  h.rejectIgnored(ins, ['table', 'table_name', 'columns', 'partitioned', 'source', 'overwrite', 'into', 'has_table_keyword'], 'INSERT');
  const name = ins.table?.TableName ?? ins.table_name ?? ins.table;
  if (ins.partitioned?.length) throw fail(h, 'INSERT … PARTITION (…) (INSERT OVERWRITE replaces the partitions present in the query output)');
  if (!ins.source) throw fail(h, 'INSERT without a query or VALUES');
  const columns: string[] | undefined = ins.columns?.length ? ins.columns.map((c: J) => identValue(c, h)) : undefined;
  if (columns) {
    const seen = new Set<string>();
    for (const c of columns) {
      const k = c.toLowerCase();
      if (seen.has(k)) throw new LakehouseError('PLAN_ERROR', `column "${c}" appears twice in the INSERT column list`, { help: 'Name each target column once.' });
      seen.add(k);
    }
  }
  const query = h.convertQuery(ins.source);
  return { kind: 'insert', table: h.objectName(name), overwrite: !!ins.overwrite, query, ...(columns ? { columns } : {}) };
}

function identValue(c: J, h: ConvertHelpers): string {
  const parts = Array.isArray(c) ? c : [c];
  if (parts.length !== 1) throw fail(h, 'qualified names in an INSERT column list');
  const v = parts[0]?.Identifier?.value ?? parts[0]?.value;
  if (typeof v !== 'string') throw fail(h, 'this INSERT column list');
  return v;
}

/** `VALUES (…), (…)` rows → the contract's `values` body. */
export function convertValuesRows(v: J, h: ConvertHelpers): Extract<UQuery['body'], { k: 'values' }> {
  h.rejectIgnored(v, ['rows', 'explicit_row', 'value_keyword'], 'VALUES');
  const rows: UExpr[][] = v.rows.map((r: J) => (Array.isArray(r) ? r : r.content).map(h.convertExpr));
  if (rows.length === 0) throw new LakehouseError('SQL_PARSE_ERROR', 'VALUES needs at least one row');
  const width = rows[0]!.length;
  rows.forEach((r, i) => {
    if (r.length !== width) {
      throw new LakehouseError('PLAN_ERROR', `VALUES row ${i + 1} has ${r.length} values; row 1 has ${width}`, { help: 'Every VALUES row must have the same number of values.' });
    }
  });
  return { k: 'values', rows };
}

/**
 * `CREATE [OR REPLACE] [TEMP|TEMPORARY] VIEW [IF NOT EXISTS] v [(a, b)] AS query`. `sql` is the
 * statement as parsed; the view keeps its query's text, cut at the first token of the query
 * (spans are 1-based line/column), with every position kept so error carets stay right.
 */
export function convertCreateView(cv: J, sql: string, h: ConvertHelpers): ExtraStatement {
  h.rejectIgnored(cv, ['or_replace', 'temporary', 'name', 'columns', 'query', 'if_not_exists', 'name_before_not_exists', 'options'], 'CREATE VIEW');
  if (cv.options !== 'None' && cv.options !== undefined && cv.options !== null) throw fail(h, 'CREATE VIEW … WITH/OPTIONS');
  if (cv.or_replace && cv.if_not_exists) throw new LakehouseError('PLAN_ERROR', 'CREATE OR REPLACE VIEW cannot have IF NOT EXISTS', { help: 'Use one of them.' });
  const columns: string[] | undefined = cv.columns?.length
    ? cv.columns.map((c: J) => {
      if (c.data_type) throw fail(h, 'typed column lists on a view');
      return c.name.value as string;
    })
    : undefined;
  const start = firstPos(cv.query);
  const queryText = start ? blankBefore(sql, start) : sql;
  return {
    kind: 'create_view', name: h.objectName(cv.name), orReplace: !!cv.or_replace, temporary: !!cv.temporary, ifNotExists: !!cv.if_not_exists,
    ...(columns ? { columns } : {}), query: h.convertQuery(cv.query), queryText,
  };
}

/** The earliest span start in an AST subtree (the query's first token). */
function firstPos(node: J): Pos | undefined {
  let best: Pos | undefined;
  const visit = (x: J): void => {
    if (!x || typeof x !== 'object') return;
    if (Array.isArray(x)) { x.forEach(visit); return; }
    const s = x.span?.start;
    if (s && s.line > 0 && (!best || s.line < best.line || (s.line === best.line && s.column < best.column))) best = { line: s.line, column: s.column };
    for (const [k, v] of Object.entries(x)) if (k !== 'span') visit(v);
  };
  visit(node);
  return best;
}

/** `sql` with every character before `pos` blanked (newlines kept). */
function blankBefore(sql: string, pos: Pos): string {
  const lines = sql.split('\n');
  return lines.map((l, i) => (i < pos.line - 1 ? ' '.repeat(l.length) : i === pos.line - 1 ? ' '.repeat(pos.column - 1) + l.slice(pos.column - 1) : l)).join('\n');
}

/** `DROP VIEW [IF EXISTS] a, b`. */
export function convertDrop(d: J, h: ConvertHelpers): ExtraStatement {
  h.rejectIgnored(d, ['object_type', 'if_exists', 'names', 'temporary'], 'DROP');
  if (d.object_type !== 'View') throw fail(h, `DROP ${String(d.object_type).toUpperCase()} (drop tables with \`lake table drop\`)`);
  return { kind: 'drop_view', names: d.names.map((n: J) => h.objectName(n)), ifExists: !!d.if_exists };
}

/** `COPY (query) TO 'target' (FORMAT parquet|csv [, HEADER [bool]] [, DELIMITER ','])` and `COPY t TO …`. */
export function convertCopy(c: J, h: ConvertHelpers): ExtraStatement {
  h.rejectIgnored(c, ['source', 'to', 'target', 'options'], 'COPY');
  if (!c.to) throw fail(h, 'COPY … FROM (load files with `lake ingest`, or INSERT INTO … SELECT * FROM read_csv(…))');
  const filename = c.target?.File?.filename;
  if (typeof filename !== 'string') throw fail(h, 'COPY … TO targets other than a file path or s3:// URI');
  let query: UQuery;
  if (c.source?.Query) query = h.convertQuery(c.source.Query);
  else if (c.source?.Table) {
    const t = c.source.Table;
    h.rejectIgnored(t, ['table_name', 'columns'], 'COPY table');
    const name = h.objectName(t.table_name);
    const cols: string[] = (t.columns ?? []).map((x: J) => x.value as string);
    query = {
      ctes: [], orderBy: [], limit: null, offset: 0,
      body: {
        k: 'select', distinct: false, from: { k: 'table', name }, where: null, groupBy: [], having: null,
        items: cols.length ? cols.map((x) => ({ k: 'expr', e: { k: 'ident', parts: [x] } })) : [{ k: 'star' }],
      },
    };
  } else throw fail(h, 'this COPY source');
  let format: CopyFormat | undefined;
  let header: boolean | undefined;
  let delimiter = ',';
  for (const o of c.options ?? []) {
    const key = Object.keys(o)[0]!;
    const v = o[key];
    if (key === 'Format') {
      const f = String(v?.value ?? v).toLowerCase();
      if (f !== 'parquet' && f !== 'csv') throw fail(h, `COPY … (FORMAT ${f}) (use parquet or csv)`);
      format = f;
    } else if (key === 'Header') header = v !== false;
    else if (key === 'Delimiter') {
      if (typeof v !== 'string' || v.length !== 1) throw new LakehouseError('INVALID_ARGUMENT', `COPY DELIMITER must be one character, got ${JSON.stringify(v)}`);
      delimiter = v;
    } else throw fail(h, `COPY option ${key.toUpperCase()}`);
  }
  // DuckDB: the format follows the file extension when FORMAT is not given.
  if (!format) {
    if (/\.parquet$/i.test(filename)) format = 'parquet';
    else if (/\.(csv|tsv|txt)$/i.test(filename)) format = 'csv';
    else throw new LakehouseError('INVALID_ARGUMENT', `COPY TO '${filename}': cannot tell the format from the file name`, { help: 'Add (FORMAT parquet) or (FORMAT csv).' });
  }
  if (format === 'parquet' && (header !== undefined || delimiter !== ',')) {
    throw new LakehouseError('INVALID_ARGUMENT', 'HEADER and DELIMITER apply to FORMAT csv only', { help: 'Leave them out for Parquet.' });
  }
  return { kind: 'copy', query, target: filename, format, header: header ?? true, delimiter };
}

/**
 * A table function in FROM: `read_parquet('f' | ['a', 'b'], …)`, `read_csv('f', header = true,
 * delim = ',', columns = struct('INTEGER' AS a))`. Positional arguments become `args`; `name =
 * value` and `name => value` become `named` (lower-case keys). A list `['a', 'b']` is the call
 * `list_value('a', 'b')` (DuckDB's name for a list constructor).
 */
export function convertTableFunction(t: J, h: ConvertHelpers): UFrom {
  h.rejectIgnored(t, ['name', 'alias', 'args'], 'table function');
  const parts = h.objectName(t.name);
  const name = parts.join('.').toLowerCase();
  h.rejectIgnored(t.args, ['args'], `${name}(…)`);
  const args: UExpr[] = [];
  const named: Record<string, UExpr> = {};
  const setNamed = (k: string, e: UExpr): void => {
    const key = k.toLowerCase();
    if (key in named) throw new LakehouseError('PLAN_ERROR', `${name}(): option ${key} is given twice`);
    named[key] = e;
  };
  for (const a of t.args?.args ?? []) {
    if (a.Named) {
      const e = a.Named.arg?.Expr;
      if (!e) throw fail(h, `${name}(): this argument form`);
      setNamed(a.Named.name.value, argExpr(e, h));
    } else if (a.Unnamed?.Expr) {
      const e = a.Unnamed.Expr;
      // `header = true` parses as a comparison with a bare identifier: a named option.
      if (e.BinaryOp?.op === 'Eq' && e.BinaryOp.left?.Identifier && !e.BinaryOp.left.Identifier.quote_style) {
        setNamed(e.BinaryOp.left.Identifier.value, argExpr(e.BinaryOp.right, h));
      } else {
        if (Object.keys(named).length) throw new LakehouseError('PLAN_ERROR', `${name}(): positional arguments must come before named options`);
        args.push(argExpr(e, h));
      }
    } else throw fail(h, `${name}(): argument ${JSON.stringify(a).slice(0, 40)}`);
  }
  const out: UFrom = { k: 'tablefn', name, args, named };
  const s = t.name?.[0]?.Identifier?.span?.start;
  if (s && s.line > 0) out.pos = { line: s.line, column: s.column };
  if (t.alias) {
    h.rejectIgnored(t.alias, ['explicit', 'name', 'columns'], 'table alias');
    out.alias = t.alias.name.value;
    const cols = t.alias.columns;
    if (cols?.length) out.columns = cols.map((c: J) => (c?.name?.value ?? c?.value) as string);
  }
  return out;
}

/** A table-function argument: lists and struct(…) are lowered to calls the binder of table functions reads. */
function argExpr(e: J, h: ConvertHelpers): UExpr {
  if (e.Array) return { k: 'fn', name: 'list_value', args: e.Array.elem.map((x: J) => argExpr(x, h)), distinct: false, star: false };
  if (e.Struct) {
    // struct('INTEGER' AS a, …) → struct_pack(a := 'INTEGER'): names ride along as string literals.
    const args: UExpr[] = [];
    for (const v of e.Struct.values ?? []) {
      if (!v.Named) throw fail(h, 'struct(…) fields without names (write struct(\'INTEGER\' AS a))');
      args.push({ k: 'lit', v: v.Named.name.value, type: 'string' }, argExpr(v.Named.expr, h));
    }
    return { k: 'fn', name: 'struct_pack', args, distinct: false, star: false };
  }
  return h.convertExpr(e);
}

/**
 * Splits a script into its statements at `;` outside string literals, quoted identifiers and
 * comments (a lexical scan: the text of each statement is then parsed on its own). Each piece is
 * the whole script with every other character blanked (newlines kept), so line/column positions
 * in errors point into the script as the user wrote it. Empty statements are skipped.
 */
export function splitScript(script: string): Array<{ text: string; index: number; start: Pos }> {
  const ranges: Array<[number, number]> = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const ch = script[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      i++;
      while (i < n) {
        if (script[i] === ch) {
          if (script[i + 1] === ch) { i += 2; continue; }
          break;
        }
        // Backslash escapes inside string literals (the databricks dialect accepts them).
        if (script[i] === '\\' && ch !== '`') i++;
        i++;
      }
      i++;
    } else if (ch === '-' && script[i + 1] === '-') {
      while (i < n && script[i] !== '\n') i++;
    } else if (ch === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (ch === ';') {
      ranges.push([start, i]);
      start = ++i;
    } else i++;
  }
  ranges.push([start, n]);
  const out: Array<{ text: string; index: number; start: Pos }> = [];
  for (const [a, b] of ranges) {
    const body = script.slice(a, b);
    if (!hasCode(body)) continue;
    const text = blankOutside(script, a, b);
    const before = script.slice(0, a + (body.length - body.trimStart().length));
    const lines = before.split('\n');
    out.push({ text, index: out.length + 1, start: { line: lines.length, column: lines[lines.length - 1]!.length + 1 } });
  }
  return out;
}

/** Anything but whitespace and comments? */
function hasCode(s: string): boolean {
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i]!)) i++;
    else if (s.startsWith('--', i)) { const e = s.indexOf('\n', i); i = e < 0 ? s.length : e; }
    else if (s.startsWith('/*', i)) { const e = s.indexOf('*/', i + 2); i = e < 0 ? s.length : e + 2; }
    else return true;
  }
  return false;
}

function blankOutside(s: string, a: number, b: number): string {
  const blank = (x: string): string => x.replace(/[^\n]/g, ' ');
  return blank(s.slice(0, a)) + s.slice(a, b) + blank(s.slice(b));
}
