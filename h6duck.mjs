import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const qs = process.argv.slice(2);
for (const q of qs) {
  try {
    const r = await c.runAndReadAll(q);
    console.log(q, '\n  types:', r.columnTypes().map(String).join(', '), '\n  rows:', JSON.stringify(r.getRowsJson()));
  } catch (e) { console.log(q, '\n  ERROR', e.message); }
}
