/**
 * Child process of the commit-throughput suite: appends `count` small data files to one table,
 * one commit each, and reports per-commit latency and attempts to its parent over IPC. It waits
 * for the parent's `go` after opening the table, so process start-up is not measured and all
 * writers start together.
 */

import { recordBatchFromRows, writeParquetFiles } from '../../connectors/index.js';
import { Warehouse } from '../../catalog/index.js';

export interface CommitWorkerArgs {
  uri: string;
  table: string;
  worker: number;
  count: number;
  rowsPerCommit: number;
}

export interface CommitSample {
  writeMs: number;
  commitMs: number;
  attempts: number;
}

export interface CommitWorkerReport {
  worker: number;
  startEpochMs: number;
  endEpochMs: number;
  samples: CommitSample[];
}

const now = (): number => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as CommitWorkerArgs;
  const wh = await Warehouse.open(args.uri);
  const table = await wh.loadTable(args.table);
  const schema = table.schema();
  const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
  process.send!({ type: 'ready' });
  await go;
  const samples: CommitSample[] = [];
  const start = now();
  for (let i = 0; i < args.count; i++) {
    const t0 = now();
    const rows = Array.from({ length: args.rowsPerCommit }, (_, k) => ({ id: BigInt(i * args.rowsPerCommit + k), writer: args.worker, seq: i }));
    const key = table.newDataFileKey();
    const [w] = await writeParquetFiles(table.io.store, () => key, [recordBatchFromRows(schema, rows)], { schema });
    const file = table.dataFile({ key: w!.key, stats: w!.stats });
    const t1 = now();
    const res = await table.newAppend().appendFile(file).withProvenance({ runId: `bench-w${args.worker}-${i}`, jobName: 'commit-bench' }).commit();
    samples.push({ writeMs: t1 - t0, commitMs: now() - t1, attempts: res.stats.attempts });
  }
  const report: CommitWorkerReport = { worker: args.worker, startEpochMs: start, endEpochMs: now(), samples };
  await wh.close();
  process.send!({ type: 'done', report }, () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`commit worker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
