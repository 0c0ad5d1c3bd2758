/**
 * `npm run demo`: an end-to-end run on a local warehouse directory (./warehouse, or
 * $LAKE_WAREHOUSE). Re-runnable: every run is one more "day" of the pipeline.
 *
 *   1. generate a batch of seeded sales orders as a CSV file (the landing zone);
 *   2. ingest it into the Iceberg table demo.sales, partitioned by month(order_date) and
 *      bucket(4, customer_id) (created on the first run, appended to afterwards);
 *   3. run the aggregation job into demo.revenue, partitioned by month(order_month): a CTAS on
 *      the first run, an INSERT OVERWRITE (dynamic partition overwrite) afterwards;
 *   4. show the result, a time-travel comparison with the previous version, and the history.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Warehouse } from '../catalog/index.js';
import { Engine } from '../engine/index.js';
import { generateSales, salesToCsv } from './lib/sales.js';

const REVENUE_SQL = `
  SELECT CAST(date_trunc('month', order_date) AS DATE) AS order_month, region,
         sum(quantity * unit_price) AS revenue, count(*) AS orders, count(DISTINCT customer_id) AS customers
  FROM demo.sales
  GROUP BY CAST(date_trunc('month', order_date) AS DATE), region`;

const fmt = (n: unknown): string => (typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(n));

async function main(): Promise<void> {
  const warehouse = process.env['LAKE_WAREHOUSE'] ?? 'warehouse';
  const engine = await Engine.open({ warehouse });
  const wh = await Warehouse.open(warehouse);
  const landing = mkdtempSync(join(tmpdir(), 'lake-demo-'));
  try {
    console.log(`warehouse: ${wh.uri}  (worker threads: ${engine.threads})`);
    const exists = await wh.tableExists('demo.sales');
    const day = exists ? (await wh.loadTable('demo.sales')).snapshots().length : 0;

    // 1. A new batch of orders lands as CSV.
    const rows = generateSales({ rows: 20_000, seed: 42 + day, firstOrderId: 1 + day * 20_000 });
    const csv = join(landing, `sales-batch-${day + 1}.csv`);
    writeFileSync(csv, salesToCsv(rows));
    console.log(`\n[1] generated ${rows.length} orders (batch ${day + 1}) → ${csv}`);

    // 2. Ingest (the same staged write path as INSERT INTO: clustered by partition, one commit).
    let t0 = performance.now();
    // Money is exact: unit_price is declared DECIMAL(10,2) (CSV inference alone would pick DOUBLE).
    const ing = await engine.ingest('demo.sales', [csv], { create: true, partitionBy: 'month(order_date), bucket(4, customer_id)', columnTypes: { unit_price: 'decimal(10,2)' } });
    console.log(`[2] ${ing.created ? 'created and loaded' : 'appended to'} demo.sales: ${ing.rowsWritten} rows → ${ing.filesWritten} data files, snapshot ${ing.snapshotId} (${((performance.now() - t0) / 1000).toFixed(2)} s)`);

    // 3. The aggregation job into a partitioned table.
    t0 = performance.now();
    const revenueExists = await wh.tableExists('demo.revenue');
    const job = revenueExists
      ? await engine.run(`INSERT OVERWRITE demo.revenue ${REVENUE_SQL}`)
      : await engine.run(`CREATE TABLE demo.revenue PARTITIONED BY (month(order_month)) AS ${REVENUE_SQL}`);
    if (job.kind !== 'write') throw new Error('expected a write');
    console.log(`[3] ${job.statement} demo.revenue: ${job.rowsWritten} rows, snapshot ${job.snapshotId}, read demo.sales@${job.inputSnapshots['demo.sales']} (${((performance.now() - t0) / 1000).toFixed(2)} s)`);

    // 4. The result, a time-travel comparison, and the tables' history.
    const top = await engine.sql(`
      SELECT region, sum(revenue) AS revenue, sum(orders) AS orders
      FROM demo.revenue GROUP BY region ORDER BY revenue DESC`).toArray();
    console.log('\n[4] revenue by region (from demo.revenue):');
    for (const r of top) console.log(`    ${String(r['region']).padEnd(8)} ${fmt(r['revenue']).padStart(16)}  ${fmt(r['orders']).padStart(8)} orders`);
    const months = await engine.sql(`SELECT order_month, sum(revenue) AS revenue FROM demo.revenue GROUP BY order_month ORDER BY order_month LIMIT 3`).toArray();
    console.log('    first months:', months.map((m) => `${(m['order_month'] as Date).toISOString().slice(0, 7)}: ${fmt(m['revenue'])}`).join(', '));

    const revenue = await wh.loadTable('demo.revenue');
    const prev = revenue.history()[1];
    if (prev) {
      const [now] = await engine.sql('SELECT sum(orders) AS n FROM demo.revenue').toArray();
      const [then] = await engine.sql(`SELECT sum(orders) AS n FROM demo.revenue VERSION AS OF ${prev['snapshot-id']}`).toArray();
      console.log(`    time travel: ${fmt(then!['n'])} orders as of snapshot ${prev['snapshot-id']} → ${fmt(now!['n'])} now`);
    }
    for (const name of ['demo.sales', 'demo.revenue']) {
      const t = await wh.loadTable(name);
      console.log(`\n    history of ${name}:`);
      for (const s of t.history().reverse()) {
        const sum = s.summary;
        console.log(`      ${new Date(s['timestamp-ms']).toISOString()}  ${String(s['snapshot-id']).padEnd(20)} ${sum.operation.padEnd(9)} +${sum['added-records'] ?? 0} -${sum['deleted-records'] ?? 0} rows, ${sum['total-data-files']} files`);
      }
    }
    console.log('\nTry: npx lake sql "SELECT * FROM demo.revenue ORDER BY revenue DESC LIMIT 5"   (or node dist/engine/cli/main.js …)');
  } finally {
    rmSync(landing, { recursive: true, force: true });
    await engine.close();
    await wh.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? `${(err as { code?: string }).code ? `[${(err as { code?: string }).code}] ` : ''}${err.message}` : err);
  process.exitCode = 1;
});
