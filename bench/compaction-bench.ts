/**
 * `npm run bench:compaction`: compacts a generated table of many small files and prints files/s
 * and MB/s. The table (in a temp dir, removed afterwards) is written by the engine from
 * in-memory batches: every batch holds rows of every partition, so each becomes one small file per
 * partition — the shape streaming appends and unshuffled writes leave behind.
 *
 *   BENCH_BATCHES (default 100) × BENCH_ROWS (default 5000) rows, 8 partitions (bucket(8, id)).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { Warehouse } from '../catalog/index.js';
import { Engine, MemoryTableSource } from '../engine/index.js';
import { generateSales } from './lib/sales.js';

function salesBatch(k: number, rows: number): arrow.RecordBatch {
  const sales = generateSales({ rows, seed: 1000 + k, firstOrderId: 1 + k * rows });
  return new arrow.Table({
    order_id: arrow.makeVector(BigInt64Array.from(sales, (s) => BigInt(s.orderId))),
    order_date: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: rows, data: Int32Array.from(sales, (s) => Date.parse(`${s.orderDate}T00:00:00Z`) / 86_400_000) })),
    customer_id: arrow.makeVector(Int32Array.from(sales, (s) => s.customerId)),
    region: arrow.vectorFromArray(sales.map((s) => s.region), new arrow.Utf8()),
    product: arrow.vectorFromArray(sales.map((s) => s.product), new arrow.Utf8()),
    quantity: arrow.makeVector(Int32Array.from(sales, (s) => s.quantity)),
    unit_price: arrow.makeVector(Float64Array.from(sales, (s) => s.unitPrice)),
  }).batches[0]!;
}

async function main(): Promise<void> {
  const batches = Number(process.env['BENCH_BATCHES'] ?? 100);
  const rows = Number(process.env['BENCH_ROWS'] ?? 5000);
  const dir = mkdtempSync(join(tmpdir(), 'lake-compaction-bench-'));
  const engine = await Engine.open({ warehouse: dir });
  try {
    engine.registerTable('bench.src', new MemoryTableSource(Array.from({ length: batches }, (_, k) => salesBatch(k, rows))));
    let t0 = performance.now();
    await engine.run('CREATE TABLE bench.sales PARTITIONED BY (bucket(8, order_id)) AS SELECT * FROM bench.src');
    const wh = await Warehouse.open(dir);
    const before = (await wh.loadTable('bench.sales')).currentSnapshot()!.summary;
    console.log(`generated bench.sales: ${batches * rows} rows in ${before['total-data-files']} files, ${(Number(before['total-files-size']) / 1024 / 1024).toFixed(1)} MB (${((performance.now() - t0) / 1000).toFixed(2)} s); worker threads: ${engine.threads}`);
    const plan = await engine.compact('bench.sales', { dryRun: true });
    console.log(`plan: ${plan.groups.length} groups, ${plan.groups.reduce((s, g) => s + g.files.length, 0)} files in, ${plan.groups.reduce((s, g) => s + g.expectedFiles, 0)} expected out`);
    t0 = performance.now();
    const res = await engine.compact('bench.sales');
    const m = res.metrics;
    const secs = (performance.now() - t0) / 1000;
    console.log(`compacted: files ${m.filesBefore} → ${m.filesAfter}; read ${(m.bytesRead / 1024 / 1024).toFixed(1)} MB, wrote ${(m.bytesWritten / 1024 / 1024).toFixed(1)} MB, ${m.rows} rows in ${secs.toFixed(2)} s`);
    console.log(`throughput: ${m.throughput.filesPerSecond.toFixed(1)} files/s, ${(m.throughput.bytesPerSecond / 1024 / 1024).toFixed(1)} MB/s (input), ${Math.round(m.throughput.rowsPerSecond).toLocaleString('en-US')} rows/s`);
    const [check] = await engine.sql('SELECT count(*) AS n FROM bench.sales').toArray();
    if (check!['n'] !== batches * rows) throw new Error(`row count changed: ${check!['n']} != ${batches * rows}`);
    await wh.close();
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
