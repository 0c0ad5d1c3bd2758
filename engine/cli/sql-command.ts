/**
 * `lake sql "<statements>"` / `lake sql -f file.sql` / `lake sql -f -` (stdin): runs one
 * statement or a script of `;`-separated statements, in order, printing each result as it comes:
 * a query's rows; a write's (INSERT INTO, INSERT OVERWRITE, CREATE TABLE … AS) new snapshot id;
 * CREATE/DROP VIEW's outcome; COPY … TO's row count. The first failing statement stops the
 * script: the error names its statement number and line (`statement 2 (line 3): …`), and
 * statements after it do not run (those before it stay committed).
 * Output formats: `table` (aligned text, default), `json` (an array of row objects; integers
 * as numbers within ±(2^53−1), else strings; decimals as exact strings; dates as YYYY-MM-DD,
 * timestamps as ISO-8601 UTC) and `csv` (RFC 4180, header row); every value is printed exactly
 * (engine/cli/sql-output.ts). `--json` is `--format json`; a script prints one JSON document
 * per statement. Query results are streamed with back-pressure from the printer to the workers
 * (engine/exec/executor.ts, streamFragments): memory stays bounded however many rows the query
 * returns. `--limit n` adds a LIMIT to every query's plan (every format).
 */

import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { Engine } from '../engine.js';
import { inStatement, type SqlResult } from '../write/sql-write.js';
import { onInterrupt } from './interrupt.js';
import { globals, printJson, UsageError, withCommonOptions } from './common.js';
import { printRows, type Format } from './sql-output.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function printResult(res: SqlResult, format: Format, limit: number | undefined, signal: AbortSignal): Promise<void> {
  if (res.kind === 'query') {
    // Streamed: rows are printed as the query produces them; --limit is a LIMIT in the plan,
    // so the scan stops early instead of materializing every row.
    const frame = limit === undefined ? res.frame : res.frame.limit(limit);
    const { schema, rows } = await frame.openRows({ signal });
    await printRows(schema, rows, format);
    return;
  }
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
  if (res.kind === 'view') {
    if (format === 'json') printJson({ statement: res.statement, view: res.name, temporary: res.temporary, outcome: res.outcome });
    else if (format === 'csv') process.stdout.write(`statement,view,temporary,outcome\n${res.statement},${res.name},${res.temporary},${res.outcome}\n`);
    else process.stdout.write(`${res.statement} ${res.name}${res.temporary ? ' (temporary)' : ''}: ${res.outcome}\n`);
    return;
  }
  if (format === 'json') printJson({ statement: res.statement, target: res.target, format: res.format, rowsWritten: res.rowsWritten });
  else if (format === 'csv') process.stdout.write(`statement,target,format,rows_written\n${res.statement},${res.target},${res.format},${res.rowsWritten}\n`);
  else process.stdout.write(`COPY ${res.target}: ${res.rowsWritten} rows (${res.format})\n`);
}

export function sqlCommand(): Command {
  return withCommonOptions(new Command('sql'))
    .description('run SQL: queries (print rows), writes (INSERT INTO / INSERT OVERWRITE / CREATE TABLE … AS; print the snapshot id), views, COPY … TO; several statements separated by ;')
    .argument('[statements]', 'one SQL statement, or several separated by ;')
    .option('-f, --file <path>', 'read the statements from a file (- for stdin)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--limit <n>', 'print at most n rows of each query (a LIMIT in the plan; every format)')
    .addHelpText(
      'after',
      `
Time travel: t VERSION AS OF <snapshot-id>, t TIMESTAMP AS OF '<iso>' (also FOR VERSION/TIMESTAMP AS OF).
Partitioned CTAS: CREATE TABLE ns.t PARTITIONED BY (month(d), bucket(8, id)) AS SELECT …
INSERT INTO ns.t (a, b) VALUES (1, 'x'), (2, NULL)   — unlisted columns are NULL (required ones are an error).
Views: CREATE [OR REPLACE] [TEMP] VIEW ns.v [(a, b)] AS SELECT …; DROP VIEW [IF EXISTS] ns.v
  (stored views live in the warehouse as Iceberg view metadata; TEMP views last one lake sql run).
Files: SELECT * FROM read_parquet('dir/*.parquet') | read_csv('f.csv', header = true, delim = ',')
  | read_json('f.ndjson'); paths may be local or s3://, with globs (*, **, ?).
Export: COPY (SELECT …) TO 'out.parquet' | 's3://bucket/out.csv' (FORMAT parquet | csv [, HEADER] [, DELIMITER ';'])
  — written atomically (no partial file on error or Ctrl-C); prints the row count.
Scripts: statements separated by ; run in order, each result printed; the first error stops the
  script and names its statement number and line.
Limits per statement (refused before parsing): 256 KiB of text, brackets nested at most 24 deep, at most 512 operators.
Output is streamed; --limit n adds LIMIT n to each query.

Examples:
  lake sql "SELECT region, sum(amount) AS revenue FROM sales.orders GROUP BY region ORDER BY revenue DESC"
  lake sql "SELECT * FROM sales.orders VERSION AS OF 4242424242 LIMIT 10" --format json
  lake sql -f nightly.sql
  echo "SELECT count(*) FROM read_parquet('s3://lake/raw/*.parquet')" | lake sql -f -
  lake sql "CREATE TABLE mart.daily PARTITIONED BY (month(order_date)) AS SELECT order_date, region, sum(amount) AS revenue FROM sales.orders GROUP BY order_date, region"
  lake sql "COPY (SELECT * FROM mart.daily) TO 's3://lake/export/daily.parquet' (FORMAT parquet)"
  lake sql "SELECT count(*) FROM sales.orders" --format csv --warehouse s3://lake/wh`,
    )
    .action(async (statements: string | undefined, opts: { format: Format; limit?: string; file?: string }, cmd: Command) => {
      const g = globals(cmd);
      const format: Format = g.json ? 'json' : opts.format;
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new UsageError(`--limit must be a non-negative integer, got "${opts.limit}"`);
      if (statements !== undefined && opts.file !== undefined) throw new UsageError('give the statements as an argument or with -f/--file, not both');
      if (statements === undefined && opts.file === undefined) throw new UsageError('no statement: give one as an argument, or -f file.sql (- for stdin)');
      let text: string;
      if (opts.file === undefined) text = statements!;
      else if (opts.file === '-') text = await readStdin();
      else {
        try {
          text = await readFile(opts.file, 'utf8');
        } catch (err) {
          throw new UsageError(`cannot read ${opts.file}: ${(err as Error).message}`);
        }
      }
      const engine = await Engine.open({ warehouse: g.warehouse });
      const interrupt = onInterrupt('the statement');
      try {
        let first = true;
        for await (const res of engine.sqlScript(text, { signal: interrupt.signal })) {
          // Results of a script are separated by a blank line in table format.
          if (!first && format === 'table') process.stdout.write('\n');
          first = false;
          try {
            await printResult(res, format, limit, interrupt.signal);
          } catch (err) {
            // A query failing while it streams: still named by its statement in a script.
            throw res.script.statements > 1 ? inStatement(err, res.script.statement, res.script.line) : err;
          }
        }
      } finally {
        interrupt.dispose();
        await engine.close();
      }
    });
}
