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
  | { k: 'interval'; value: number; unit: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' }
  | { k: 'bin'; op: BinOp; l: UExpr; r: UExpr }
  | { k: 'not'; e: UExpr }
  | { k: 'neg'; e: UExpr }
  | { k: 'fn'; name: string; args: UExpr[]; distinct: boolean; star: boolean; pos?: Pos }
  | { k: 'case'; operand: UExpr | null; whens: Array<[UExpr, UExpr]>; else: UExpr | null }
  | { k: 'cast'; e: UExpr; to: DataType }
  | { k: 'in'; e: UExpr; list: UExpr[]; neg: boolean }
  | { k: 'between'; e: UExpr; lo: UExpr; hi: UExpr; neg: boolean }
  | { k: 'like'; e: UExpr; pattern: UExpr; neg: boolean }
  | { k: 'isnull'; e: UExpr; neg: boolean };

export type BinOp = '+' | '-' | '*' | '/' | '%' | '=' | '<>' | '<' | '<=' | '>' | '>=' | 'and' | 'or' | '||';

/** `except`: `* EXCEPT (a, b)` — the named columns are left out of the expansion. */
export type USelectItem = { k: 'expr'; e: UExpr; alias?: string } | { k: 'star'; qualifier?: string; except?: string[] };

export type TimeTravel = { kind: 'version'; snapshotId: string } | { kind: 'timestamp'; at: string };

export type UFrom =
  | { k: 'table'; name: string[]; alias?: string; travel?: TimeTravel; pos?: Pos }
  | { k: 'sub'; query: UQuery; alias: string }
  | { k: 'join'; kind: 'inner' | 'left' | 'right' | 'cross'; left: UFrom; right: UFrom; on: UExpr | null };

export interface USelect {
  k: 'select';
  distinct: boolean;
  items: USelectItem[];
  from: UFrom | null;
  where: UExpr | null;
  groupBy: UExpr[];
  having: UExpr | null;
}

export type UBody = USelect | { k: 'union'; left: UBody; right: UBody } | { k: 'nested'; query: UQuery };

export interface UOrder {
  e: UExpr;
  desc: boolean;
  nullsFirst?: boolean;
}

export interface UQuery {
  ctes: Array<{ name: string; query: UQuery }>;
  body: UBody;
  orderBy: UOrder[];
  limit: number | null;
  offset: number;
}

export function simpleQuery(body: UBody): UQuery {
  return { ctes: [], body, orderBy: [], limit: null, offset: 0 };
}
