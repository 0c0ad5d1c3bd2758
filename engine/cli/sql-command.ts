/**
 * `lake sql "<statement>"`: runs a query and prints its rows, or runs a write (INSERT INTO,
 * INSERT OVERWRITE, CREATE TABLE … AS) and prints the new snapshot id.
 * Output formats: `table` (aligned text, default), `json` (an array of row objects; integers
 * as numbers within ±(2^53−1), else strings; decimals as exact strings; dates as YYYY-MM-DD,
 * timestamps as ISO-8601 UTC) and `csv` (RFC 4180, header row); every value is printed exactly
 * (engine/cli/sql-output.ts). `--json` is `--format json`. Query results are streamed with
 * back-pressure from the printer to the workers (engine/exec/executor.ts, streamFragments):
 * memory stays bounded however many rows the query returns.
 * `--limit n` adds a LIMIT to the plan (every format).
 */

import { Command, Option } from 'commander';
import { Engine } from '../engine.js';
import { onInterrupt } from './interrupt.js';
import { globals, printJson, UsageError, withCommonOptions } from './common.js';
import { printRows, type Format } from './sql-output.js';

export function sqlCommand(): Command {
  return withCommonOptions(new Command('sql'))
    .description('run a SQL query (prints rows) or write (INSERT INTO / INSERT OVERWRITE / CREATE TABLE … AS; prints the snapshot id)')
    .argument('<statement>', 'one SQL statement')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--limit <n>', 'print at most n rows of a query (a LIMIT in the plan; every format)')
    .addHelpText(
      'after',
      `
Time travel: t VERSION AS OF <snapshot-id>, t TIMESTAMP AS OF '<iso>' (also FOR VERSION/TIMESTAMP AS OF).
Partitioned CTAS: CREATE TABLE ns.t PARTITIONED BY (month(d), bucket(8, id)) AS SELECT …
Limits (refused before parsing): 256 KiB of text, brackets nested at most 24 deep, at most 512 operators.
Output is streamed; --limit n adds LIMIT n to the query.

Examples:
  lake sql "SELECT region, sum(amount) AS revenue FROM sales.orders GROUP BY region ORDER BY revenue DESC"
  lake sql "SELECT * FROM sales.orders VERSION AS OF 4242424242 LIMIT 10" --format json
  lake sql "CREATE TABLE mart.daily PARTITIONED BY (month(order_date)) AS SELECT order_date, region, sum(amount) AS revenue FROM sales.orders GROUP BY order_date, region"
  lake sql "INSERT OVERWRITE mart.daily SELECT order_date, region, sum(amount) AS revenue FROM sales.orders WHERE order_date >= DATE '2024-05-01' GROUP BY order_date, region"
  lake sql "SELECT count(*) FROM sales.orders" --format csv --warehouse s3://lake/wh`,
    )
    .action(async (statement: string, opts: { format: Format; limit?: string }, cmd: Command) => {
      const g = globals(cmd);
      const format: Format = g.json ? 'json' : opts.format;
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new UsageError(`--limit must be a non-negative integer, got "${opts.limit}"`);
      const engine = await Engine.open({ warehouse: g.warehouse });
      const interrupt = onInterrupt('the statement');
      try {
        const res = await engine.run(statement, { signal: interrupt.signal });
        if (res.kind === 'write') {
          // Snapshot ids follow the CLI's 64-bit convention (numbers when exact, else strings).
          const id = (s: string | null): bigint | null => (s === null ? null : BigInt(s));
          const out = {
            statement: res.statement, table: res.table, snapshotId: id(res.snapshotId), rowsWritten: res.rowsWritten, filesWritten: res.filesWritten,
            inputSnapshots: Object.fromEntries(Object.entries(res.inputSnapshots).map(([k, v]) => [k, id(v)])),
          };
          if (format === 'json') printJson(out);
          else if (format === 'csv') process.stdout.write(`snapshot_id,table,rows_written,files_written\n${res.snapshotId ?? ''},${res.table},${res.rowsWritten},${res.filesWritten}\n`);
          else process.stdout.write(res.snapshotId === null ? `${res.table} exists; nothing written\n` : `${res.statement} ${res.table}: committed snapshot ${res.snapshotId} (${res.rowsWritten} rows, ${res.filesWritten} files)\n`);
          return;
        }
        // Streamed: rows are printed as the query produces them; --limit is a LIMIT in the plan,
        // so the scan stops early instead of materializing every row.
        const frame = limit === undefined ? res.frame : res.frame.limit(limit);
        const { schema, rows } = await frame.openRows({ signal: interrupt.signal });
        await printRows(schema, rows, format);
      } finally {
        interrupt.dispose();
        await engine.close();
      }
    });
}
