/**
 * Where the team's shared TPC-H Parquet files are (DuckDB's dbgen output: DECIMAL(15,2) money
 * columns): `$LAKE_TPCH` when set, else `../shared/tpch` beside the checkout, one directory per
 * scale (`sf0.1`, …). Absent outside CI: suites skip (`haveTpch()` false); absent in CI: an error,
 * as for the fixtures (test/helpers/fixtures.ts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The directory of one scale's Parquet files (lineitem.parquet, orders.parquet, …). */
export function tpchDir(scale = 'sf0.1', env: NodeJS.ProcessEnv = process.env): string {
  return join(env['LAKE_TPCH'] ? resolve(env['LAKE_TPCH']) : join(repoRoot, '..', 'shared', 'tpch'), scale);
}

export function haveTpch(scale = 'sf0.1'): boolean {
  const ok = existsSync(join(tpchDir(scale), 'lineitem.parquet'));
  if (!ok && process.env['CI']) throw new Error(`CI=true but the TPC-H files are missing at ${tpchDir(scale)} (set LAKE_TPCH or put shared/ beside the checkout)`);
  return ok;
}

export const TPCH_TABLES = ['lineitem', 'orders', 'customer', 'part', 'partsupp', 'supplier', 'nation', 'region'] as const;

/**
 * Registers the eight SF 0.1 tables as `tpch.<table>` in each engine and, when given, as views
 * of the same files in the DuckDB oracle (the schema `tpch` is created there if missing).
 */
export async function registerTpch(
  engines: Array<{ registerTable(name: string, source: unknown): void }>,
  oracle?: { exec(sql: string): Promise<void> },
): Promise<void> {
  const { openObjectStore } = await import('lakehouse-engine/connectors');
  const { ParquetFilesSource } = await import('lakehouse-engine/engine');
  const store = await openObjectStore(tpchDir());
  if (oracle) await oracle.exec('CREATE SCHEMA IF NOT EXISTS tpch');
  for (const t of TPCH_TABLES) {
    const source = await ParquetFilesSource.open(store, [`${t}.parquet`]);
    for (const e of engines) e.registerTable(`tpch.${t}`, source);
    if (oracle) await oracle.exec(`CREATE VIEW tpch.${t} AS SELECT * FROM read_parquet('${join(tpchDir(), `${t}.parquet`)}')`);
  }
}
