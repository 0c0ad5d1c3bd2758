/**
 * DuckDB as the oracle of the differential suites (exact numbers, SQL fuzz): one in-memory
 * DuckDB per suite; a query's answer — from DuckDB or from our engine — becomes rows of
 * canonical cells, so that two answers compare cell by cell without either side's number type
 * getting in the way.
 *
 * Canonical cells, by the column's type:
 * - exact numbers (every integer width, DECIMAL): their exact decimal text. DuckDB's JSON gives
 *   BIGINT, HUGEINT and DECIMAL as strings ("1.50", "9223372036854775807") and INTEGER as a
 *   number; our `toArray()` gives decimals as exact text ("1.50") and integers as numbers, or
 *   `bigint` beyond ±(2^53−1). Text keeps the scale, so DECIMAL(10,2) "3.00" differs from an
 *   integer "3" unless the caller asks for value equality (`loose`).
 * - doubles: numbers, with NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (as
 *   DuckDB's JSON spells them), compared within a relative tolerance the caller chooses.
 * - dates as "YYYY-MM-DD", timestamps as "YYYY-MM-DD HH:MM:SS[.fff]", strings and booleans as they are.
 *
 * Errors are answers too: `run*` never throws for a failing query; it returns the error, so a
 * test can require that our failure is a coded `LakehouseError` where DuckDB fails.
 *
 * Cleanup: `close()` closes the connection and the instance (the suites call it in afterAll).
 */

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import type { DataFrame, Engine } from 'lakehouse-engine/engine';

export type Kind = 'exact' | 'double' | 'bool' | 'string' | 'date' | 'timestamp' | 'other';
export type Cell = string | number | boolean | null;

export interface Answer {
  names: string[];
  /** Each column's type in our engine's spelling (DuckDB's types mapped by `oursFromDuck`). */
  types: string[];
  kinds: Kind[];
  rows: Cell[][];
}

export interface Failure {
  /** The LakehouseError code, or undefined when the error is not a LakehouseError. */
  code: string | undefined;
  name: string;
  message: string;
}

export type Outcome = { ok: true; answer: Answer } | { ok: false; error: Failure };

export interface Oracle {
  duck: DuckDBConnection;
  /** Runs a statement that returns nothing interesting (DDL, COPY). Throws on failure. */
  exec(sql: string): Promise<void>;
  run(sql: string): Promise<Outcome>;
  close(): void;
}

export async function openOracle(): Promise<Oracle> {
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  return {
    duck,
    async exec(sql) {
      await duck.run(sql);
    },
    async run(sql) {
      try {
        const reader = await duck.runAndReadAll(sql);
        const names = reader.columnNames();
        const duckTypes = reader.columnTypes().map(String);
        const kinds = duckTypes.map(kindOfDuck);
        const rows = reader.getRowsJson().map((r) => r.map((v, j) => canonical(v, kinds[j]!)));
        return { ok: true, answer: { names, types: duckTypes.map(oursFromDuck), kinds, rows } };
      } catch (e) {
        const err = e as Error;
        return { ok: false, error: { code: undefined, name: err?.name ?? typeof e, message: String(err?.message ?? e) } };
      }
    },
    close() {
      duck.closeSync();
      instance.closeSync();
    },
  };
}

/** Runs `sql` on our engine; a failure is returned, not thrown. `onRun` sees the DataFrame after it ran (its `lastStats`). */
export async function runOurs(engine: Engine, sql: string, onRun?: (df: DataFrame) => void): Promise<Outcome> {
  try {
    const df = engine.sql(sql);
    const schema = await df.schema();
    const objs = await df.toArray();
    onRun?.(df);
    const names = schema.map((f) => f.name);
    const types = schema.map((f) => String(f.type));
    const kinds = types.map(kindOfOurs);
    const rows = objs.map((o) => {
      const vals = Object.values(o);
      if (vals.length !== names.length) {
        throw new Error(`toArray() row has ${vals.length} values for ${names.length} columns (duplicate column names? alias them)`);
      }
      return vals.map((v, j) => canonical(v, kinds[j]!));
    });
    return { ok: true, answer: { names, types, kinds, rows } };
  } catch (e) {
    const err = e as Error;
    return {
      ok: false,
      error: { code: isLakehouseError(e) ? e.code : undefined, name: err?.name ?? typeof e, message: String(err?.message ?? e) },
    };
  }
}

/** DuckDB's type name in our engine's spelling. HUGEINT (DuckDB's sum of integers) is our int64: documented deviation. */
export function oursFromDuck(t: string): string {
  const d = /^DECIMAL\((\d+),(\d+)\)$/.exec(t);
  if (d) return `decimal(${d[1]},${d[2]})`;
  switch (t) {
    case 'TINYINT': case 'SMALLINT': case 'INTEGER': return 'int32';
    case 'BIGINT': case 'HUGEINT': return 'int64';
    case 'DOUBLE': case 'FLOAT': return 'float64';
    case 'VARCHAR': return 'string';
    case 'BOOLEAN': return 'boolean';
    case 'DATE': return 'date';
    case 'TIMESTAMP': return 'timestamp';
    case '"NULL"': case 'NULL': return 'null';
    default: return t.toLowerCase();
  }
}

function kindOfDuck(t: string): Kind {
  if (/^DECIMAL\(/.test(t) || /^(U?TINYINT|U?SMALLINT|U?INTEGER|U?BIGINT|U?HUGEINT)$/.test(t)) return 'exact';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'double';
  if (t === 'BOOLEAN') return 'bool';
  if (t === 'VARCHAR') return 'string';
  if (t === 'DATE') return 'date';
  if (t === 'TIMESTAMP') return 'timestamp';
  return 'other';
}

function kindOfOurs(t: string): Kind {
  if (t === 'int32' || t === 'int64' || t.startsWith('decimal(')) return 'exact';
  if (t === 'float64') return 'double';
  if (t === 'boolean') return 'bool';
  if (t === 'string') return 'string';
  if (t === 'date') return 'date';
  if (t === 'timestamp') return 'timestamp';
  return 'other';
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function canonical(v: unknown, kind: Kind): Cell {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'exact':
      return typeof v === 'number' && !Number.isSafeInteger(v) ? `UNSAFE:${v}` : String(v);
    case 'double': {
      const x = typeof v === 'number' ? v : Number(v);
      if (Number.isNaN(x)) return 'NaN';
      if (x === Infinity) return 'Infinity';
      if (x === -Infinity) return '-Infinity';
      return x;
    }
    case 'date':
      if (v instanceof Date) return `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
      return String(v);
    case 'timestamp': {
      if (v instanceof Date) {
        const ms = v.getUTCMilliseconds();
        return `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}${ms ? `.${pad(ms, 3).replace(/0+$/, '')}` : ''}`;
      }
      return String(v).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
    }
    case 'bool':
      return typeof v === 'boolean' ? v : String(v);
    default:
      return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : String(v);
  }
}

/** The value of exact decimal text without its scale: "1.50" → "1.5", "-0.00" → "0", "3.00" → "3". */
export function decimalValue(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return text;
  const int = m[2]!.replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zero = /^0*$/.test(int) && frac === '';
  return `${m[1] && !zero ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

export interface CompareOptions {
  /** Keep row order (the query has an ORDER BY over a total order); otherwise rows are sorted first. */
  ordered: boolean;
  /** Relative tolerance for doubles (0 = bit-equal). */
  tolerance: number;
  /**
   * Compare exact numbers by value ("1.50" = "1.5"), and an exact cell with a double cell as
   * doubles: for the fuzz, where result types may differ in scale. Off: text must be equal.
   */
  loose?: boolean;
}

function cellsEqual(a: Cell, b: Cell, ka: Kind, kb: Kind, o: CompareOptions): boolean {
  if (a === null || b === null) return a === b;
  if (ka === 'exact' && kb === 'exact') return o.loose ? decimalValue(String(a)) === decimalValue(String(b)) : a === b;
  const numeric = (k: Kind): boolean => k === 'exact' || k === 'double';
  if ((ka === 'double' && kb === 'double') || (o.loose && numeric(ka) && numeric(kb))) {
    if (typeof a === 'string' || typeof b === 'string') {
      const x = typeof a === 'string' ? Number(a) : a;
      const y = typeof b === 'string' ? Number(b) : b;
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
      if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
      return closeEnough(x, y, o.tolerance);
    }
    return closeEnough(a as number, b as number, o.tolerance);
  }
  return a === b;
}

function closeEnough(x: number, y: number, tol: number): boolean {
  if (x === y) return true;
  return Math.abs(x - y) <= tol * Math.max(Math.abs(x), Math.abs(y));
}

function sortKey(row: Cell[], kinds: Kind[], loose: boolean): string {
  return JSON.stringify(row.map((c, j) => {
    if (typeof c === 'number') return Number(c.toPrecision(9));
    if (loose && typeof c === 'string' && kinds[j] === 'exact') {
      const n = Number(c);
      return Number.isFinite(n) ? Number(n.toPrecision(9)) : c;
    }
    return c;
  }));
}

function sortedRows(a: Answer, loose: boolean): Cell[][] {
  const keyed = a.rows.map((r) => [sortKey(r, a.kinds, loose), r] as const);
  keyed.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return keyed.map((k) => k[1]);
}

/** null when the answers are equal, else a message naming the first difference (and both rows). */
export function diffAnswers(ours: Answer, theirs: Answer, o: CompareOptions): string | null {
  if (ours.kinds.length !== theirs.kinds.length) return `${ours.kinds.length} columns vs DuckDB ${theirs.kinds.length}`;
  if (ours.rows.length !== theirs.rows.length) {
    return `row count ${ours.rows.length} vs DuckDB ${theirs.rows.length}\n ours (first 5):   ${show(ours.rows.slice(0, 5))}\n duckdb (first 5): ${show(theirs.rows.slice(0, 5))}`;
  }
  const loose = o.loose ?? false;
  const a = o.ordered ? ours.rows : sortedRows(ours, loose);
  const b = o.ordered ? theirs.rows : sortedRows(theirs, loose);
  for (let i = 0; i < a.length; i++) {
    const ra = a[i]!;
    const rb = b[i]!;
    for (let j = 0; j < ra.length; j++) {
      if (!cellsEqual(ra[j]!, rb[j]!, ours.kinds[j]!, theirs.kinds[j]!, o)) {
        return `row ${i} column ${j} (${ours.names[j]}): ${show(ra[j])} vs DuckDB ${show(rb[j])}\n ours:   ${show(ra)}\n duckdb: ${show(rb)}`;
      }
    }
  }
  return null;
}

export function show(x: unknown): string {
  return JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** One line for a failure message: the row count and the first `n` rows, or the error. */
export function briefOutcome(o: Outcome, n = 3): string {
  return o.ok ? `${o.answer.rows.length} rows ${show(o.answer.rows.slice(0, n))}` : `error ${o.error.code ?? o.error.name}: ${o.error.message.split('\n')[0]}`;
}
