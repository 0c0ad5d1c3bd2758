/**
 * What every suite shares: the run context (scale, runs, data and work directories, which
 * peers loaded), the result shape, and the answer check. Answers of all engines are normalised
 * to rows of numbers/strings/null and compared with a relative tolerance for doubles (engines sum
 * in different orders); the reference is the answer most engines agree on, DuckDB's on a tie.
 * An engine whose answer differs is reported MISMATCH and gets no ratio.
 */

import * as arrow from 'apache-arrow';
import type { BenchResult } from '../lib/report.js';

export type EngineName = 'lakehouse' | 'duckdb' | 'polars';
export const ENGINES: EngineName[] = ['lakehouse', 'duckdb', 'polars'];

export interface SuiteContext {
  /** Scale factor of the data for every suite but `scale`. */
  sf: number;
  /** Scale factors of the `scale` suite. */
  scales: number[];
  quick: boolean;
  full: boolean;
  /** Warm-up and measured runs for the query suites. */
  warmup: number;
  runs: number;
  /** Warm-up and measured runs for the heavy suites (ingest, write, compaction). */
  heavyWarmup: number;
  heavyRuns: number;
  /** Stop measuring a heavy suite once its runs took this long (the cold run may be the only one). */
  heavyBudgetMs: number;
  /** Concurrent writer counts and commits per writer for the commit suite. */
  writers: number[];
  commitsPerWriter: number;
  dataRoot: string;
  /** Scratch directory of this run (deleted at the end). */
  workDir: string;
  /** Peers that loaded in this process (our engine is always present). */
  engines: EngineName[];
  /** Why a peer is missing, for the header. */
  missing: Partial<Record<EngineName, string>>;
  log(msg: string): void;
}

export interface SuiteOutput {
  results: BenchResult[];
  /** Extra markdown blocks (e.g. the commit-throughput table). */
  tables?: string[];
  notes?: string[];
  /** Suite-specific data kept in the JSON file. */
  details?: unknown;
}

export interface Suite {
  name: string;
  description: string;
  run(ctx: SuiteContext): Promise<SuiteOutput>;
}

export type Cell = number | string | null;
export type Rows = Cell[][];

function isoDay(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith('T00:00:00.000Z') ? s.slice(0, 10) : s;
}

export function normalizeCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return isoDay(v.getTime());
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'object' && v !== null && 'days' in v && typeof (v as { days: unknown }).days === 'number') {
    return isoDay((v as { days: number }).days * 86_400_000); // DuckDB DATE value object
  }
  return String(v);
}

/** Rows of an Arrow table (dates as YYYY-MM-DD, integers as numbers). */
export function arrowRows(t: arrow.Table): Rows {
  const cols = t.schema.fields.map((f, i) => ({ isDate: f.type.typeId === arrow.Type.Date, v: t.getChildAt(i)! }));
  const out: Rows = [];
  for (let r = 0; r < t.numRows; r++) {
    out.push(cols.map(({ isDate, v }) => {
      const x: unknown = v.get(r);
      if (isDate && typeof x === 'number') return isoDay(x);
      return normalizeCell(x);
    }));
  }
  return out;
}

export function plainRows(rows: unknown[][]): Rows {
  return rows.map((r) => r.map(normalizeCell));
}

export interface CompareOptions {
  /** Rows are in a defined order (ORDER BY); otherwise both sides are sorted by the key columns. */
  ordered: boolean;
  /** Leading columns that identify a row (group keys); compared exactly. Default: all. */
  keyColumns?: number;
  relTol?: number;
}

function cellsEqual(a: Cell, b: Cell, relTol: number): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b)) + 1e-9;
  }
  return false;
}

function cmpCell(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** Why two answers differ, or undefined when they are equal. */
export function diffRows(a: Rows, b: Rows, opts: CompareOptions): string | undefined {
  if (a.length !== b.length) return `${a.length} rows vs ${b.length}`;
  const relTol = opts.relTol ?? 1e-9;
  let x = a;
  let y = b;
  if (!opts.ordered) {
    const k = opts.keyColumns ?? (a[0]?.length ?? 0);
    const sort = (rows: Rows): Rows => [...rows].sort((p, q) => {
      for (let i = 0; i < k; i++) {
        const c = cmpCell(p[i]!, q[i]!);
        if (c) return c;
      }
      return 0;
    });
    x = sort(a);
    y = sort(b);
  }
  for (let r = 0; r < x.length; r++) {
    const p = x[r]!;
    const q = y[r]!;
    if (p.length !== q.length) return `row ${r}: ${p.length} columns vs ${q.length}`;
    for (let c = 0; c < p.length; c++) {
      if (!cellsEqual(p[c]!, q[c]!, relTol)) return `row ${r} column ${c}: ${JSON.stringify(p[c])} vs ${JSON.stringify(q[c])}`;
    }
  }
  return undefined;
}

/**
 * Judges every engine's answer: the reference is the answer most engines agree on (DuckDB's on a
 * tie); returns, per engine, undefined when it matches or the reason it does not.
 */
export function judge(answers: Map<EngineName, Rows>, opts: CompareOptions): Map<EngineName, string | undefined> {
  const names = [...answers.keys()];
  const agree = new Map<EngineName, number>();
  for (const a of names) agree.set(a, names.filter((b) => b !== a && diffRows(answers.get(a)!, answers.get(b)!, opts) === undefined).length);
  const order = [...names].sort((a, b) => agree.get(b)! - agree.get(a)! || (a === 'duckdb' ? -1 : b === 'duckdb' ? 1 : 0));
  const ref = order[0]!;
  const out = new Map<EngineName, string | undefined>();
  for (const n of names) {
    const d = n === ref ? undefined : diffRows(answers.get(n)!, answers.get(ref)!, opts);
    out.set(n, d === undefined ? undefined : `differs from ${ref}: ${d}`);
  }
  // With only two disagreeing engines there is no majority: both are suspect.
  if (names.length === 2 && out.get(names.find((n) => n !== ref)!) !== undefined) out.set(ref, `differs from ${names.find((n) => n !== ref)}`);
  return out;
}

/**
 * Marks every timed result by the engines' answers (correct, or the mismatch; unknown with fewer
 * than two answers) and appends it to `results`.
 */
export function addJudged(results: BenchResult[], timed: BenchResult[], answers: Map<EngineName, Rows>, opts: CompareOptions): void {
  const verdict = judge(answers, opts);
  for (const r of timed) {
    const why = verdict.get(r.engine as EngineName);
    r.correct = answers.size < 2 ? undefined : why === undefined;
    if (why) r.mismatch = why;
    results.push(r);
  }
}

/** A result row for an engine that failed or is unavailable. */
export function failed(suite: string, engine: EngineName, error: unknown, extra: Partial<BenchResult> = {}): BenchResult {
  const msg = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return { suite, engine, medianMs: NaN, minMs: NaN, maxMs: NaN, error: msg, ...extra };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}
