/**
 * One differential query of the SQL corpus (test/engine/sql-corpus.test.ts): run on our engine
 * (default plan and the all-shuffled plan) and on DuckDB over the same Parquet files, compared
 * exactly (decimals and 64-bit integers as text; doubles within `tolerance`, default 1e-9).
 */
export interface CorpusCase {
  name: string;
  sql: string;
  /** DuckDB's text, where the spelling differs (documented differences only). */
  duck?: string;
  /** Compare row order (the query orders by a total order). */
  ordered?: boolean;
  /** Compare exact numbers by value and exact against double cells (when result types legitimately differ). */
  loose?: boolean;
  tolerance?: number;
  /** Both engines must fail; ours with this LakehouseError code. */
  error?: string;
}
