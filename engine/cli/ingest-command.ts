/**
 * `lake ingest ns.t FILE…`: loads CSV / NDJSON / Parquet files into a table through the engine's
 * staged write (clustered by the partition spec, one commit). `--create` creates the table from
 * the first file's inferred schema, partitioned by `--partition-by`.
 */

import { Command, Option } from 'commander';
import { LakehouseError } from '../../connectors/errors.js';
import { Engine } from '../engine.js';
import type { IngestFormat } from '../operations/ingest.js';
import { fmtBytes, globals, printJson, withCommonOptions } from './common.js';
import { onInterrupt } from './interrupt.js';

export function ingestCommand(): Command {
  return withCommonOptions(new Command('ingest'))
    .description('load CSV, NDJSON or Parquet files into a table (one atomic commit)')
    .argument('<table>', 'target table, namespace.table')
    .argument('<files...>', 'input files (local paths or URIs such as s3://bucket/dir/file.csv)')
    .addOption(new Option('--format <format>', 'input format (default: from the file extension)').choices(['csv', 'ndjson', 'parquet']))
    .option('--create', 'create the table from the first file\'s schema if it does not exist', false)
    .option('--partition-by <terms>', 'partition spec of a created table, e.g. "month(ts), bucket(16, id)"')
    .option('--type <column=type...>', 'type of a column of a created table (CSV/NDJSON), overriding inference; repeatable: --type unit_price=decimal(10,2) --type id=long')
    .option('--delimiter <char>', 'CSV field delimiter (default "," or tab for .tsv)')
    .option('--idempotency-key <key>', 'make a retry a no-op: if a commit with this key is already in the table, nothing is loaded')
    .addHelpText(
      'after',
      `
Partition terms: col, year(c), month(c), day(c), hour(c), bucket(N, c), truncate(W, c).

Examples:
  lake ingest sales.orders orders-2024-*.csv --create --partition-by "month(order_date), bucket(16, customer_id)"
  lake ingest sales.orders orders.csv --create --type unit_price=decimal(10,2) --type order_id=long
  lake ingest sales.events events.ndjson --format ndjson --json
  lake ingest sales.orders s3://landing/orders/part-0.parquet --warehouse s3://lake/wh
  lake ingest sales.orders orders-2026-06-01.csv --idempotency-key orders-2026-06-01

The commit id is printed on stderr before anything is written. If the command fails with
COMMIT_STATE_UNKNOWN or the process dies, \`lake commit status <table> <commit-id>\` says whether
the load landed; rerunning with the same --idempotency-key is always safe.`,
    )
    .action(async (table: string, files: string[], opts: { format?: IngestFormat; create: boolean; partitionBy?: string; delimiter?: string; idempotencyKey?: string; type?: string[] }, cmd: Command) => {
      const g = globals(cmd);
      const engine = await Engine.open({ warehouse: g.warehouse });
      const interrupt = onInterrupt(`the ingest into ${table}`);
      try {
        const res = await engine.ingest(table, files, {
          signal: interrupt.signal,
          create: opts.create,
          ...(opts.format ? { format: opts.format } : {}),
          ...(opts.partitionBy ? { partitionBy: opts.partitionBy } : {}),
          ...(opts.delimiter ? { delimiter: opts.delimiter } : {}),
          ...(opts.type?.length ? { columnTypes: parseTypeOptions(opts.type) } : {}),
          ...(opts.idempotencyKey !== undefined ? { idempotencyKey: opts.idempotencyKey } : {}),
          onCommitId: (id) => {
            interrupt.describe(`the ingest into ${table} (commit id ${id})`);
            process.stderr.write(`lake ingest ${table}: commit id ${id}\n`);
          },
        });
        if (g.json) return printJson({ ...res, snapshotId: BigInt(res.snapshotId) });
        if (res.alreadyCommitted) {
          process.stdout.write(`nothing to do: idempotency key ${opts.idempotencyKey} already committed to ${res.table} as snapshot ${res.snapshotId}\n`);
          return;
        }
        process.stdout.write(`${res.created ? 'created and loaded' : 'loaded'} ${res.table}: ${res.rowsWritten} rows from ${res.filesRead} file(s) into ${res.filesWritten} data file(s) (${fmtBytes(res.bytesWritten)}); snapshot ${res.snapshotId}\n`);
      } finally {
        interrupt.dispose();
        await engine.close();
      }
    });
}

/** `--type name=type` options as a column → type map (INVALID_ARGUMENT for a malformed one). */
function parseTypeOptions(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      throw new LakehouseError('INVALID_ARGUMENT', `--type ${item} is not of the form column=type`, { help: 'For example: --type unit_price=decimal(10,2)' });
    }
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

