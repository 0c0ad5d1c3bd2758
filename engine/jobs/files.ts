/** Helpers over a run's staged files: checksums, the shadow table's name, partition specs as text. */

import { readParquet, readParquetMetadata, writeParquetFiles, arrowSchemaToIceberg } from '../../connectors/index.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import type { Table } from '../../catalog/index.js';
import * as arrow from 'apache-arrow';
import { xxh } from '../compute/partition.js';

export { xxh };

/** xxh64 of an object's bytes, hex. */
export async function fileChecksum(store: ObjectStore, key: string): Promise<string> {
  const h = await xxh();
  return h.h64Raw(await store.get(key)).toString(16).padStart(16, '0');
}

/** `ns.t` → `ns.t__shadow_<run>`: a sibling table production never reads. */
export function shadowTableName(table: string, runId: string): string {
  return `${table}__shadow_${runId.replace(/^run-/, '').replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function quarantineTableName(table: string): string {
  return `${table}__quarantine`;
}

/** A table's default partition spec as `PARTITIONED BY` terms: `month(d)`, `bucket(8, id)`. */
export function partitionByOf(table: Table): string[] {
  const schema = table.schema();
  return table.spec().fields.map((f) => {
    const col = schema.fields.find((x) => x.id === f['source-id'])?.name ?? String(f['source-id']);
    const m = /^(bucket|truncate)\[(\d+)\]$/.exec(f.transform);
    if (m) return `${m[1]}(${m[2]}, ${col})`;
    return f.transform === 'identity' ? col : `${f.transform}(${col})`;
  });
}

/** Tests only: rewrites a staged file without its last row (simulated data loss). */
export async function dropLastRow(store: ObjectStore, key: string): Promise<void> {
  const batches: arrow.RecordBatch[] = [];
  for await (const b of readParquet(store, key)) batches.push(b);
  const t = new arrow.Table(batches);
  const cut = t.slice(0, t.numRows - 1);
  const meta = await readParquetMetadata(store, key);
  void meta;
  const schema = arrowSchemaToIceberg(t.schema);
  await store.delete(key);
  await writeParquetFiles(store, () => key, cut.batches, { schema });
}
