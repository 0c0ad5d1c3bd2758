/** Helpers shared by the catalog suites: write rows as a data file, collect rows of a table. */
import type * as arrow from 'apache-arrow';
import { recordBatchFromRows, writeParquetFiles, type IcebergValue } from 'lakehouse-engine/connectors';
import type { DataFile, Table } from 'lakehouse-engine/catalog';

export type Row = Record<string, IcebergValue | null>;

/** Writes `rows` as one Parquet data file of `table` (partition computed from the rows' values). */
export async function writeDataFile(table: Table, rows: Row[]): Promise<DataFile> {
  const schema = table.schema();
  const spec = table.spec();
  const first = rows[0] ?? {};
  const byId = new Map(schema.fields.map((f) => [f.id, f.name]));
  const partition = spec.fields.length ? table.partitionFor((id) => (first[byId.get(id)!] ?? null) as never) : [];
  const key = table.newDataFileKey(partition);
  const written = await writeParquetFiles(table.io.store, () => key, [recordBatchFromRows(schema, rows)], { schema });
  return table.dataFile({ key: written[0]!.key, stats: written[0]!.stats, partition });
}

/** Plain JS rows (bigint → number when safe, typed arrays → arrays) sorted by a column. */
export async function collect(batches: AsyncIterable<arrow.RecordBatch>): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const b of batches) {
    for (const r of b) {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.toJSON())) o[k] = typeof v === 'bigint' ? Number(v) : v;
      out.push(o);
    }
  }
  return out;
}

export async function readRows(table: Table, options: Parameters<Table['read']>[0] = {}): Promise<Array<Record<string, unknown>>> {
  return collect(await table.read(options));
}

export function sortBy<T extends Record<string, unknown>>(rows: T[], key: string): T[] {
  return [...rows].sort((a, b) => (a[key]! < b[key]! ? -1 : a[key]! > b[key]! ? 1 : 0));
}
