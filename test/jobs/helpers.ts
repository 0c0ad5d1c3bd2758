/** Shared set-up for batch-job tests: a warehouse with a raw input table holding known bad rows. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { recordBatchFromRows, writeParquetFiles } from 'lakehouse-engine/connectors';
import { expect } from 'vitest';
import { Warehouse, removeOrphanFiles, type Table } from 'lakehouse-engine/catalog';

export const WORKER = fileURLToPath(new URL('./job-worker.mjs', import.meta.url));

export interface RawRow {
  id: bigint;
  region: string | null;
  amount: number;
  day: number;
}

/** 400 rows over 4 regions; rows with id % 50 === 7 have a null region, id % 40 === 3 a negative amount. */
export function rawRows(n = 400): RawRow[] {
  const regions = ['north', 'south', 'east', 'west'];
  return Array.from({ length: n }, (_, i) => ({
    id: BigInt(i),
    region: i % 50 === 7 ? null : regions[i % 4]!,
    amount: i % 40 === 3 ? -5 : (i % 97) + 0.25,
    day: 19_700 + (i % 3),
  }));
}

export async function makeRawTable(warehouse: string, rows: RawRow[] = rawRows()): Promise<Table> {
  const wh = await Warehouse.open(warehouse);
  for (const ns of ['raw', 'mart']) if (!(await wh.namespaceExists(ns))) await wh.createNamespace(ns);
  const t = await wh.createTable('raw.sales', [
    { name: 'id', type: 'long', required: true },
    { name: 'region', type: 'string' },
    { name: 'amount', type: 'double', required: true },
    { name: 'day', type: 'date', required: true },
  ]);
  const schema = t.schema();
  // Two data files, so the job has more than one scan task.
  const half = Math.ceil(rows.length / 2);
  const files = [];
  for (const part of [rows.slice(0, half), rows.slice(half)]) {
    const key = t.newDataFileKey();
    const [w] = await writeParquetFiles(t.io.store, () => key, [recordBatchFromRows(schema, part as never)], { schema });
    files.push(t.dataFile({ key: w!.key, stats: w!.stats }));
  }
  await t.newAppend().addFiles(files).commit();
  return t;
}

export function runWorker(args: object): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [WORKER, JSON.stringify(args)], { env: process.env }, (error, stdout, stderr) => {
      const e = error as (Error & { code?: number; signal?: string }) | null;
      resolve({ code: e ? (e.code ?? null) : 0, signal: e?.signal ?? null, out: stdout, err: stderr });
    });
  });
}

/**
 * Nothing of a run is left behind for table `name` or its quarantine table: every object under
 * the table's directory (even when the table was never created) is either metadata or a data
 * file a snapshot references. Listing the store prefix, not asking the table, is what makes
 * this honest: a run that failed before its table existed must leave that directory empty.
 */
export async function expectNoOrphans(warehouse: string, name: string): Promise<void> {
  const wh = await Warehouse.open(warehouse);
  try {
    for (const t of [name, `${name}__quarantine`]) {
      const [ns, tn] = t.split('.') as [string, string];
      const keys: string[] = [];
      for await (const o of wh.store.list(`${ns}/${tn}/`)) keys.push(o.key);
      const table = await wh.loadTable(t).catch(() => undefined);
      if (!table) {
        expect(keys, `objects under ${ns}/${tn}/ although ${t} does not exist`).toEqual([]);
        continue;
      }
      expect(keys.some((k) => k.includes('/data/')), `${t} exists but has no data objects at all: the listing is wrong`).toBe(true);
      const res = await removeOrphanFiles(table, { olderThan: Date.now() + 60_000, dryRun: true });
      expect(res.orphans.filter((k) => !k.includes('/metadata/'))).toEqual([]);
    }
  } finally {
    await wh.close();
  }
}
