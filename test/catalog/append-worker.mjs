// Child process for the concurrent-append test: appends `count` small data files to one table,
// each in its own commit, and reports per-commit attempts. Loaded from dist via the package name.
import { recordBatchFromRows, writeParquetFiles } from 'lakehouse-engine/connectors';
import { Warehouse } from 'lakehouse-engine/catalog';

const args = JSON.parse(process.argv[2]);
const wh = await Warehouse.open(args.uri);
const table = await wh.loadTable(args.table);
const attempts = [];
const started = Date.now();
for (let i = 0; i < args.count; i++) {
  const schema = table.schema();
  const rows = [0, 1].map((k) => ({ id: BigInt(args.worker * 100_000 + i * 10 + k), writer: args.worker, seq: i }));
  const key = table.newDataFileKey();
  const [w] = await writeParquetFiles(table.io.store, () => key, [recordBatchFromRows(schema, rows)], { schema });
  const file = table.dataFile({ key: w.key, stats: w.stats });
  const res = await table.newAppend().appendFile(file).withProvenance({ runId: `w${args.worker}-${i}`, jobName: 'race' }).commit();
  attempts.push(res.stats.attempts);
}
await wh.close();
process.stdout.write(JSON.stringify({ worker: args.worker, attempts, ms: Date.now() - started }));
