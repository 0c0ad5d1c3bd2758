import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`create table a as select * from (values (1, 'a1', 10), (2, 'a2', 20), (null, 'an', 30)) v(k, x, y)`);
await con.run(`create table b as select * from (values (1, 'b1', 10), (3, 'b3', 30), (null, 'bn', 40)) v(k, x, z)`);
for (const q of process.argv.slice(2)) {
  try {
    const r = await con.runAndReadAll(q);
    console.log('== ' + q + '\n' + r.columnNames().join(' | '));
    for (const row of r.getRowsJS()) console.log(row.map(String).join(' | '));
  } catch (e) { console.log('== ' + q + '\nERR ' + e.message); }
}
