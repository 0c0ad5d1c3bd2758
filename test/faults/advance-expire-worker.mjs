// Child process for test/faults/stale-writer.test.ts: another writer and maintenance, in their
// own process (own manifest caches): `appends` appends to the table, then expiry of every
// snapshot but the newest. Prints the expired snapshot ids.
import { recordBatchFromRows, writeParquetFiles } from 'lakehouse-engine/connectors';
import { Warehouse, expireSnapshots } from 'lakehouse-engine/catalog';

const { uri, ident, appends } = JSON.parse(process.argv[2]);
const wh = await Warehouse.open(uri);
const table = await wh.loadTable(ident);
const schema = table.schema();
for (let i = 1; i <= appends; i++) {
  const key = table.newDataFileKey();
  const [w] = await writeParquetFiles(table.io.store, () => key, [recordBatchFromRows(schema, [{ id: BigInt(i) }])], { schema });
  await table.newAppend().appendFile(table.dataFile({ key: w.key, stats: w.stats })).commit();
}
const r = await expireSnapshots(table, { olderThan: Date.now() + 1_000, retainLast: 1 });
await wh.close();
process.stdout.write(JSON.stringify({ expired: r.expiredSnapshotIds.map(String), deleted: r.deleted.length }));
