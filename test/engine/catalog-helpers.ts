/** Helpers for the engine's catalog suites: a sales-like source table, file listings, icebird over local files. */
import * as arrow from 'apache-arrow';
import { icebergValueAt, readParquet, type ObjectStore } from 'lakehouse-engine/connectors';
import type { Table } from 'lakehouse-engine/catalog';

export const DAY0 = Math.floor(Date.parse('2024-01-01T00:00:00Z') / 86_400_000);

/** n rows: id, d (a date over ~6 months), region (5 values, some null), amount (cents as double). */
export function salesBatch(n: number, offset = 0): arrow.RecordBatch {
  const id = new Int32Array(n);
  const d = new Int32Array(n);
  const amount = new Float64Array(n);
  const regions = ['north', 'south', 'east', 'west', null];
  const region: Array<string | null> = [];
  for (let k = 0; k < n; k++) {
    const i = k + offset;
    id[k] = i;
    d[k] = DAY0 + ((i * 7) % 182);
    amount[k] = ((i * 37) % 1000) / 4;
    region.push(regions[i % 5]!);
  }
  const table = new arrow.Table({
    id: arrow.makeVector(id),
    d: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: n, data: d })),
    region: arrow.vectorFromArray(region, new arrow.Utf8()),
    amount: arrow.makeVector(amount),
  });
  return table.batches[0]!;
}

/** Data files of the table's current snapshot, with their partitions (JSON) and keys. */
export async function liveFiles(t: Table): Promise<Array<{ key: string; path: string; partition: string; rows: number }>> {
  const plan = await t.scan();
  return plan.tasks.map((x) => ({ key: x.key, path: x.file.filePath, partition: JSON.stringify(x.file.partition, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)), rows: x.file.recordCount }));
}

/** Every object key under a prefix. */
export async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out.sort();
}

/** Rows of one Parquet data file in the catalog's value conventions (dates as days, longs as bigint). */
export async function fileRows(store: ObjectStore, key: string): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for await (const b of readParquet(store, key)) {
    for (let i = 0; i < b.numRows; i++) {
      const r: Record<string, unknown> = {};
      for (const f of b.schema.fields) r[f.name] = icebergValueAt(b.getChild(f.name)!, i);
      rows.push(r);
    }
  }
  return rows;
}

/** Canonical, order-free form of rows: one JSON line per row, keys sorted, bigints as numbers, dates as ISO days. */
export function canon(rows: Array<Record<string, unknown>>): string[] {
  return rows
    .map((r) => JSON.stringify(Object.keys(r).sort().map((k) => {
      const v = r[k];
      if (typeof v === 'bigint') return Number(v);
      if (v instanceof Date) return v.toISOString().slice(0, 10);
      return v ?? null;
    })))
    .sort();
}
