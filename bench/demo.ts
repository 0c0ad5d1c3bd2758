/**
 * `npm run demo`: an end-to-end run on a local warehouse directory (./warehouse, or
 * $LAKE_WAREHOUSE). It generates a small, seeded sales dataset, stores it through the
 * object-store layer, and shows the commit primitive at work: two writers race to create the
 * same metadata version and exactly one wins.
 */

import { openObjectStore } from '../connectors/index.js';
import { generateSales, salesToCsv } from './lib/sales.js';

async function main(): Promise<void> {
  const warehouse = process.env['LAKE_WAREHOUSE'] ?? 'warehouse';
  const store = await openObjectStore(warehouse);
  console.log(`warehouse: ${store.uri}`);

  const rows = generateSales({ rows: 10_000, seed: 42 });
  const csv = new TextEncoder().encode(salesToCsv(rows));
  const runId = new Date().toISOString().replace(/[:.]/g, '-');
  const key = `demo/sales/raw/sales-${runId}.csv`;
  await store.put(key, csv);
  const head = await store.head(key);
  console.log(`staged ${rows.length} sales rows as ${key} (${head?.size} bytes)`);

  const tail = new TextDecoder().decode(await store.get(key, { suffix: 64 }));
  console.log(`last bytes (ranged read): …${tail.trim().split('\n').pop()}`);

  const versionKey = `demo/sales/metadata/v-${runId}.json`;
  const [a, b] = await Promise.all([
    store.putIfAbsent(versionKey, new TextEncoder().encode(JSON.stringify({ writer: 'a', file: key }))),
    store.putIfAbsent(versionKey, new TextEncoder().encode(JSON.stringify({ writer: 'b', file: key }))),
  ]);
  const stored = JSON.parse(new TextDecoder().decode(await store.get(versionKey))) as { writer: string };
  console.log(`commit race: writer a ${a ? 'won' : 'lost'}, writer b ${b ? 'won' : 'lost'}; stored version belongs to ${stored.writer}`);

  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.region, (totals.get(r.region) ?? 0) + r.quantity * r.unitPrice);
  console.log('revenue by region:');
  for (const [region, total] of [...totals].sort()) console.log(`  ${region.padEnd(8)} ${total.toFixed(2).padStart(14)}`);
  await store.close();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
