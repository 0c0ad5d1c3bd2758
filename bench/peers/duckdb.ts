/**
 * DuckDB (`@duckdb/node-api`, a devDependency) as a benchmark peer: one in-memory instance per
 * process with its default threads, views over the same Parquet files our engine reads, and
 * results converted to plain rows only after the timed part (the timed part ends when DuckDB has
 * materialised the result, in its own memory).
 */

import type { Schema } from '../../connectors/index.js';
import type { Dataset } from '../lib/datasets.js';
import type { TpchTable } from '../lib/tpch.js';
import { plainRows, type Rows } from '../suites/common.js';

export interface DuckDb {
  /** Runs a query to completion; the returned function converts the result to rows. */
  query(sql: string): Promise<() => Rows>;
  run(sql: string): Promise<void>;
  close(): void;
}

export async function openDuckDb(): Promise<DuckDb> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  return {
    query: async (sql) => {
      const reader = await con.runAndReadAll(sql);
      return () => plainRows(reader.getRowsJS() as unknown[][]);
    },
    run: async (sql) => {
      await con.run(sql);
    },
    close: () => {
      con.closeSync();
      db.closeSync();
    },
  };
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** `['a.parquet', 'b.parquet']` for read_parquet. */
export function parquetList(ds: Dataset): string {
  return `[${ds.files.map((f) => sqlString(`${ds.dir}/${f.name}`)).join(', ')}]`;
}

/** Creates a view per table over its Parquet files. */
export async function registerViews(duck: DuckDb, tables: Partial<Record<TpchTable, Dataset>>): Promise<void> {
  for (const [name, ds] of Object.entries(tables)) {
    await duck.run(`CREATE OR REPLACE VIEW ${name} AS SELECT * FROM read_parquet(${parquetList(ds)})`);
  }
}

const DUCK_TYPES: Record<string, string> = { long: 'BIGINT', int: 'INTEGER', double: 'DOUBLE', float: 'FLOAT', string: 'VARCHAR', date: 'DATE', boolean: 'BOOLEAN' };

/** read_csv's `columns = {…}` struct for an Iceberg schema, so DuckDB does not infer types. */
export function csvColumns(schema: Schema): string {
  return `{${schema.fields.map((f) => `${sqlString(f.name)}: ${sqlString(DUCK_TYPES[String(f.type)] ?? 'VARCHAR')}`).join(', ')}}`;
}
