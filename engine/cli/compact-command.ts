/**
 * `lake compact ns.t`: bin-packing compaction of small files (see engine/operations/compact.ts).
 * `--dry-run` prints the plan (groups, files in, expected files out, bytes) and changes nothing.
 */

import { Command } from 'commander';
import { Engine } from '../engine.js';
import { onInterrupt } from './interrupt.js';
import { fmtBytes, globals, printJson, printTable, UsageError, withCommonOptions } from './common.js';

/** "128MB", "64m", "1g", "1048576" → bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`"${text}" is not a size (e.g. 128MB, 512k, 1g)`);
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  const mul = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Math.round(Number(m[1]) * mul);
  if (n <= 0) throw new UsageError(`size must be positive, got "${text}"`);
  return n;
}

export function compactCommand(): Command {
  return withCommonOptions(new Command('compact'))
    .description('rewrite small files into files of the target size, per partition (one replace snapshot)')
    .argument('<table>', 'namespace.table')
    .option('--dry-run', 'print the plan, change nothing', false)
    .option('--target-file-size <size>', 'size of the files to write (default: write.target-file-size-bytes, else 128MB)')
    .option('--min-input-files <n>', 'rewrite a partition only with at least n small files (default 5)')
    .option('--where <predicate>', 'only files that may hold matching rows, e.g. "order_date >= DATE \'2024-05-01\'"')
    .option('--sort-by <columns>', 'rewrite sorted by these columns, e.g. "region, order_date DESC"')
    .option('--partial-progress', 'commit each file group as it finishes', false)
    .option('--max-concurrent-groups <n>', 'file groups rewritten at once (default: worker threads)')
    .addHelpText(
      'after',
      `
Defaults follow Iceberg's rewrite_data_files: files under 75% or over 180% of the target are
candidates; a partition is rewritten when it has at least 5 of them (or deletes to apply).

Examples:
  lake compact sales.orders --dry-run
  lake compact sales.orders --target-file-size 64MB --where "order_date >= DATE '2024-05-01'" --json
  lake compact sales.orders --sort-by "customer_id"`,
    )
    .action(async (table: string, opts: { dryRun: boolean; targetFileSize?: string; minInputFiles?: string; where?: string; sortBy?: string; partialProgress: boolean; maxConcurrentGroups?: string }, cmd: Command) => {
      const g = globals(cmd);
      const int = (v: string | undefined, what: string): number | undefined => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer, got "${v}"`);
        return n;
      };
      const minInputFiles = int(opts.minInputFiles, '--min-input-files');
      const maxConcurrentGroups = int(opts.maxConcurrentGroups, '--max-concurrent-groups');
      const engine = await Engine.open({ warehouse: g.warehouse });
      const interrupt = onInterrupt(`the compaction of ${table}`);
      try {
        const res = await engine.compact(table, {
          signal: interrupt.signal,
          dryRun: opts.dryRun,
          partialProgress: opts.partialProgress,
          ...(opts.targetFileSize ? { targetFileSize: parseSize(opts.targetFileSize) } : {}),
          ...(minInputFiles ? { minInputFiles } : {}),
          ...(maxConcurrentGroups ? { maxConcurrentGroups } : {}),
          ...(opts.where ? { where: opts.where } : {}),
          ...(opts.sortBy ? { sortBy: opts.sortBy.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        });
        if (g.json) {
          return printJson({ ...res, baseSnapshotId: res.baseSnapshotId === null ? null : BigInt(res.baseSnapshotId), snapshotIds: res.snapshotIds.map((x) => BigInt(x)) });
        }
        const m = res.metrics;
        process.stdout.write(`${res.dryRun ? 'plan for' : 'compacted'} ${res.table} (base snapshot ${res.baseSnapshotId ?? '-'}): ${res.groups.length} group(s)\n`);
        if (res.groups.length) {
          printTable(['partition', 'files in', 'bytes in', 'rows', 'expected files out'], res.groups.map((x) => [x.partitionPath || '(unpartitioned)', x.files.length, fmtBytes(x.inputBytes), x.inputRows, x.expectedFiles]));
        }
        if (!res.dryRun) {
          process.stdout.write(`files ${m.filesBefore} → ${m.filesAfter} (rewrote ${m.filesRewritten} into ${m.filesAdded}); read ${fmtBytes(m.bytesRead)}, wrote ${fmtBytes(m.bytesWritten)}, ${m.rows} rows in ${(m.durationMs / 1000).toFixed(2)} s`);
          process.stdout.write(` (${m.throughput.filesPerSecond.toFixed(1)} files/s, ${(m.throughput.bytesPerSecond / 1024 / 1024).toFixed(1)} MB/s)\n`);
          if (res.snapshotIds.length) process.stdout.write(`snapshot(s): ${res.snapshotIds.join(', ')}\n`);
        }
      } finally {
        interrupt.dispose();
        await engine.close();
      }
    });
}
