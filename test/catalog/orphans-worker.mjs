// Child process for the orphan-safety test: appends `count` small data files to one table, each
// in its own commit, the way the engine's writers do once markers are wired in: an in-flight
// marker (token = the commit id) before the first file, data files named after the commit id,
// the same id as the commit's provenance (so manifests and manifest lists carry it), and the
// marker removed only after the commit returned. Every few appends it also drops a file that
// nothing will ever reference (a crashed writer's leftover) for the sweeper to remove.
// Prints one JSON line per acknowledged append: {"worker":w,"i":i,"ids":[...]}.
import { randomUUID } from 'node:crypto';
import { recordBatchFromRows, writeParquetFiles } from 'lakehouse-engine/connectors';
import { InflightWrite, Warehouse } from 'lakehouse-engine/catalog';

const args = JSON.parse(process.argv[2]);
const wh = await Warehouse.open(args.uri);
const table = await wh.loadTable(args.table);
const schema = table.schema();
for (let i = 0; i < args.count; i++) {
  const commitId = randomUUID();
  const marker = await InflightWrite.begin(table.io.store, table.io.root, { tokens: [commitId], kind: 'test' });
  const rows = [0, 1].map((k) => ({ id: BigInt(args.worker * 100_000 + i * 10 + k), writer: args.worker, seq: i }));
  const key = table.io.key(`data/${commitId}-0.parquet`);
  const [w] = await writeParquetFiles(table.io.store, () => key, [recordBatchFromRows(schema, rows)], { schema });
  if (i % 3 === 1) {
    const junk = table.io.key(`data/junk-${randomUUID()}.parquet`);
    await writeParquetFiles(table.io.store, () => junk, [recordBatchFromRows(schema, rows)], { schema });
  }
  await table.newAppend().appendFile(table.dataFile({ key: w.key, stats: w.stats }))
    .withProvenance({ commitId, runId: `w${args.worker}-${i}`, jobName: 'orphan-race' }).commit();
  process.stdout.write(`${JSON.stringify({ worker: args.worker, i, ids: rows.map((r) => Number(r.id)) })}\n`);
  await marker.end();
}
await wh.close();
