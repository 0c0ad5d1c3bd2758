/**
 * The unbound query tree shared by both front ends: the SQL parser and the typed builder both
 * produce it, and the binder (binder.ts) turns it into one bound logical plan. Names are not
 * resolved yet; `pos` is the SQL position (1-based line/column) when the text came from SQL.
 */

import type { DataType, Scalar } from './types.js';

export interface Pos {
  line: number;
  column: number;
}

export type UExpr =
  | { k: 'ident'; parts: string[]; pos?: Pos }
  | { k: 'num'; text: string }
  | { k: 'lit'; v: Scalar; type: DataType }
  | { k: 'typed'; type: 'date' | 'timestamp' | 'time' | 'uuid'; text: string; pos?: Pos }
  | { k: 'interval'; value: number; unit: IntervalUnit }
  | { k: 'bin'; op: BinOp; l: UExpr; r: UExpr }
  | { k: 'not'; e: UExpr }
  | { k: 'neg'; e: UExpr }
  | {
      k: 'fn'; name: string; args: UExpr[]; distinct: boolean; star: boolean; pos?: Pos;
      /** `f(…) OVER (…)` / `OVER w`: a window function call (plan/bind-window.ts). */
      over?: UWindowSpec;
      /** Aggregate `FILTER (WHERE …)`. */
      filter?: UExpr;
      /** `string_agg(x, ',' ORDER BY y)`, `percentile_cont(0.5) WITHIN GROUP (ORDER BY x)`. */
      orderBy?: UOrder[];
      /** `lag(x) IGNORE NULLS` and friends. */
      ignoreNulls?: boolean;
    }
  /** A scalar subquery `(SELECT …)`. */
  | { k: 'subquery'; query: UQuery; pos?: Pos }
  /** `[NOT] EXISTS (SELECT …)`. */
  | { k: 'exists'; query: UQuery; neg: boolean; pos?: Pos }
  /** `e [NOT] IN (SELECT …)`. */
  | { k: 'insub'; e: UExpr; query: UQuery; neg: boolean; pos?: Pos }
  /** `e <op> ANY|SOME|ALL (SELECT …)`. */
  | { k: 'quantified'; e: UExpr; op: CmpOp; quantifier: 'any' | 'all'; query: UQuery; pos?: Pos }
  | { k: 'case'; operand: UExpr | null; whens: Array<[UExpr, UExpr]>; else: UExpr | null }
  | { k: 'cast'; e: UExpr; to: DataType; /** TRY_CAST: NULL instead of an error. */ try?: boolean }
  | { k: 'in'; e: UExpr; list: UExpr[]; neg: boolean }
  | { k: 'between'; e: UExpr; lo: UExpr; hi: UExpr; neg: boolean }
  | { k: 'like'; e: UExpr; pattern: UExpr; neg: boolean; /** ILIKE */ ci?: boolean; escape?: string }
  | { k: 'isnull'; e: UExpr; neg: boolean };

export type IntervalUnit = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond' | 'microsecond';

export type CmpOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** `//` is integer division (DuckDB); `is_distinct` / `is_not_distinct` are `IS [NOT] DISTINCT FROM`. */
export type BinOp = '+' | '-' | '*' | '/' | '//' | '%' | CmpOp | 'and' | 'or' | '||' | 'is_distinct' | 'is_not_distinct';

/** One frame bound: `UNBOUNDED PRECEDING`, `n PRECEDING`, `CURRENT ROW`, `n FOLLOWING`, `UNBOUNDED FOLLOWING`. */
export type UFrameBound =
  | { k: 'unbounded_preceding' } | { k: 'preceding'; n: UExpr } | { k: 'current' } | { k: 'following'; n: UExpr } | { k: 'unbounded_following' };

export interface UFrame {
  units: 'rows' | 'range' | 'groups';
  start: UFrameBound;
  end: UFrameBound;
}

/** `OVER (…)`; `ref` names a `WINDOW w AS (…)` of the SELECT that this spec extends. */
export interface UWindowSpec {
  ref?: string;
  partitionBy: UExpr[];
  orderBy: UOrder[];
  frame: UFrame | null;
}

/** `except`: `* EXCEPT (a, b)` — the named columns are left out of the expansion. */
export type USelectItem = { k: 'expr'; e: UExpr; alias?: string } | { k: 'star'; qualifier?: string; except?: string[] };

export type TimeTravel = { kind: 'version'; snapshotId: string } | { kind: 'timestamp'; at: string };

export type UFrom =
  | { k: 'table'; name: string[]; alias?: string; /** `t AS a(x, y)` */ columns?: string[]; travel?: TimeTravel; pos?: Pos }
  | { k: 'sub'; query: UQuery; alias: string; columns?: string[] }
  /** A table function in FROM: `read_parquet('…')`, `read_csv(…)`, `read_json(…)`. */
  | { k: 'tablefn'; name: string; args: UExpr[]; named: Record<string, UExpr>; alias?: string; columns?: string[]; pos?: Pos }
  /** `using`: `JOIN … USING (a, b)`; `natural`: `NATURAL JOIN` (columns resolved by the binder). */
  | { k: 'join'; kind: 'inner' | 'left' | 'right' | 'full' | 'cross'; left: UFrom; right: UFrom; on: UExpr | null; using?: string[]; natural?: boolean };

export interface USelect {
  k: 'select';
  distinct: boolean;
  items: USelectItem[];
  from: UFrom | null;
  where: UExpr | null;
  groupBy: UExpr[];
  /**
   * `GROUP BY GROUPING SETS / ROLLUP / CUBE`: each set lists indexes into `groupBy` (the
   * distinct grouping expressions); absent for a plain GROUP BY.
   */
  groupingSets?: number[][];
  having: UExpr | null;
  /** `QUALIFY …` (a filter over window function results). */
  qualify?: UExpr | null;
  /** `WINDOW w AS (…)`, in order. */
  windows?: Array<{ name: string; spec: UWindowSpec }>;
}

export type SetOpKind = 'union' | 'intersect' | 'except';

export type UBody =
  | USelect
  | { k: 'setop'; op: SetOpKind; all: boolean; left: UBody; right: UBody }
  | { k: 'values'; rows: UExpr[][]; pos?: Pos }
  | { k: 'nested'; query: UQuery };

export interface UOrder {
  e: UExpr;
  desc: boolean;
  nullsFirst?: boolean;
}

export interface UQuery {
  ctes: Array<{ name: string; /** `WITH t (a, b) AS (…)` */ columns?: string[]; query: UQuery }>;
  body: UBody;
  orderBy: UOrder[];
  limit: number | null;
  offset: number;
}

export function simpleQuery(body: UBody): UQuery {
  return { ctes: [], body, orderBy: [], limit: null, offset: 0 };
}
