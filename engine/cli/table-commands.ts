/**
 * `lake table …` (inspection and registration) and the maintenance commands `lake rollback`,
 * `lake expire`, `lake remove-orphans`. Thin: each parses options, calls the catalog's public
 * functions and prints text or `--json`.
 */

import { Command } from 'commander';
import {
  partitionPath,
  rollbackTo,
  rollbackToTime,
  setCurrentSnapshot,
  Warehouse,
  type Snapshot,
  type Table,
} from '../../catalog/index.js';
import { registrationOf } from '../../catalog/warehouse.js';
import type { FileInfo } from '../../catalog/maintenance.js';
import { expire, removeOrphans } from '../operations/maintenance.js';
import { fmtBytes, fmtTime, globals, parseOlderThan, printJson, printTable, UsageError, withCommonOptions } from './common.js';
import { tableHealth } from './health.js';

async function withTable<T>(cmd: Command, ident: string, fn: (table: Table, wh: Warehouse) => Promise<T>): Promise<T> {
  const wh = await Warehouse.open(globals(cmd).warehouse);
  try {
    return await fn(await wh.loadTable(ident), wh);
  } finally {
    await wh.close();
  }
}

export function historyEntry(s: Snapshot): Record<string, unknown> {
  const sum = s.summary as Record<string, string | undefined>;
  const num = (k: string): number | undefined => (sum[k] !== undefined ? Number(sum[k]) : undefined);
  return {
    snapshotId: s['snapshot-id'],
    parentId: s['parent-snapshot-id'] ?? null,
    sequenceNumber: s['sequence-number'],
    timestampMs: s['timestamp-ms'],
    operation: sum['operation'],
    addedDataFiles: num('added-data-files') ?? 0,
    deletedDataFiles: num('deleted-data-files') ?? 0,
    addedRecords: num('added-records') ?? 0,
    deletedRecords: num('deleted-records') ?? 0,
    totalRecords: num('total-records'),
    totalDataFiles: num('total-data-files'),
    summary: s.summary,
  };
}

async function liveFiles(table: Table, snapshotId?: string): Promise<Record<string, unknown>[]> {
  const plan = await table.scan(snapshotId ? { snapshotId } : {});
  const schema = table.schema();
  return plan.tasks.map((t) => {
    const spec = table.metadata['partition-specs'].find((p) => p['spec-id'] === t.file.specId);
    return {
      path: t.file.filePath,
      partition: spec && spec.fields.length ? partitionPath(spec, schema, t.file.partition) : '',
      recordCount: t.file.recordCount,
      fileSizeInBytes: t.file.fileSizeInBytes,
      deleteFiles: t.deletes.length,
    };
  });
}

export function tableCommand(): Command {
  const table = new Command('table').description('inspect and register tables');

  withCommonOptions(table.command('list'))
    .description('list namespaces and their tables')
    .addHelpText('after', '\nExample:\n  lake table list --warehouse s3://lake/wh --json')
    .action(async (_opts, cmd: Command) => {
      const wh = await Warehouse.open(globals(cmd).warehouse);
      try {
        const out: { namespace: string; table: string }[] = [];
        for (const ns of await wh.listNamespaces()) for (const t of await wh.listTables(ns)) out.push({ namespace: ns, table: t });
        if (globals(cmd).json) printJson(out.map((o) => ({ ...o, identifier: `${o.namespace}.${o.table}` })));
        else if (out.length === 0) process.stdout.write(`no tables in ${wh.uri}\n`);
        else printTable(['table'], out.map((o) => [`${o.namespace}.${o.table}`]));
      } finally {
        await wh.close();
      }
    });

  withCommonOptions(table.command('show <table>'))
    .description('schema, partition spec, properties and current snapshot')
    .addHelpText('after', '\nExample:\n  lake table show sales.orders')
    .action(async (ident: string, _opts, cmd: Command) => {
      await withTable(cmd, ident, async (t) => {
        const cur = t.currentSnapshot();
        const reg = registrationOf(t);
        const out = {
          identifier: ident,
          location: t.location,
          metadataLocation: t.metadataLocation,
          formatVersion: t.metadata['format-version'],
          tableUuid: t.metadata['table-uuid'],
          schema: t.schema(),
          partitionSpec: t.spec(),
          sortOrder: t.metadata['sort-orders']?.find((o) => o['order-id'] === t.metadata['default-sort-order-id']),
          properties: t.metadata.properties ?? {},
          currentSnapshot: cur ? historyEntry(cur) : null,
          registration: reg ? { metadataLocation: reg.metadataLocation, external: reg.external, writable: reg.writable } : null,
        };
        if (globals(cmd).json) return printJson(out);
        const regLine = reg ? (reg.writable ? `writable registration of ${reg.metadataLocation}\n` : `read-only registration of ${reg.metadataLocation}\n`) : '';
        process.stdout.write(`table ${ident}\nlocation ${out.location}\nmetadata ${out.metadataLocation}\n${regLine}\nschema (id ${t.schema()['schema-id']}):\n`);
        printTable(['id', 'name', 'type', 'required'], t.schema().fields.map((f) => [f.id, f.name, typeof f.type === 'string' ? f.type : f.type.type, f.required]));
        const spec = t.spec();
        process.stdout.write(`\npartition spec (id ${spec['spec-id']}): ${spec.fields.length ? spec.fields.map((f) => `${f.transform}(${t.schema().fields.find((x) => x.id === f['source-id'])?.name ?? f['source-id']}) as ${f.name}`).join(', ') : 'unpartitioned'}\n`);
        const props = Object.entries(out.properties);
        process.stdout.write(`properties: ${props.length ? props.map(([k, v]) => `${k}=${v}`).join(', ') : '(none)'}\n`);
        process.stdout.write(cur ? `current snapshot: ${cur['snapshot-id']} (${cur.summary.operation}, ${fmtTime(cur['timestamp-ms'])}, ${cur.summary['total-records'] ?? '?'} rows in ${cur.summary['total-data-files'] ?? '?'} files)\n` : 'current snapshot: none (empty table)\n');
      });
    });

  withCommonOptions(table.command('history <table>'))
    .description('snapshots of the current history, newest first')
    .addHelpText('after', '\nExample:\n  lake table history sales.orders --json')
    .action(async (ident: string, _opts, cmd: Command) => {
      await withTable(cmd, ident, async (t) => {
        const entries = t.history().map(historyEntry);
        if (globals(cmd).json) return printJson(entries);
        printTable(
          ['snapshot id', 'parent', 'time', 'operation', '+files', '-files', '+rows', '-rows', 'total rows'],
          entries.map((e) => [e['snapshotId'], e['parentId'] ?? '-', fmtTime(e['timestampMs'] as number), e['operation'], e['addedDataFiles'], e['deletedDataFiles'], e['addedRecords'], e['deletedRecords'], e['totalRecords']]),
        );
      });
    });

  withCommonOptions(table.command('files <table>'))
    .description('live data files of a snapshot (default: current)')
    .option('--snapshot <id>', 'snapshot id')
    .addHelpText('after', '\nExample:\n  lake table files sales.orders --snapshot 4951213507629824583 --json')
    .action(async (ident: string, opts: { snapshot?: string }, cmd: Command) => {
      await withTable(cmd, ident, async (t) => {
        const files = await liveFiles(t, opts.snapshot);
        if (globals(cmd).json) return printJson(files);
        printTable(['path', 'partition', 'rows', 'size', 'deletes'], files.map((f) => [f['path'], f['partition'] || '-', f['recordCount'], fmtBytes(f['fileSizeInBytes'] as number), f['deleteFiles']]));
      });
    });

  withCommonOptions(table.command('health <table>'))
    .description('files per partition, file sizes, small files, delete files, manifests, and what to do')
    .addHelpText('after', '\nExample:\n  lake table health sales.orders')
    .action(async (ident: string, _opts, cmd: Command) => {
      await withTable(cmd, ident, async (t) => {
        const h = await tableHealth(t);
        if (globals(cmd).json) return printJson(h);
        process.stdout.write(`table ${ident}: ${h.dataFiles} data files, ${h.partitions} partitions, ${h.totalRecords} rows, ${fmtBytes(h.totalBytes)}\n`);
        process.stdout.write(`file size: average ${fmtBytes(h.averageFileSize)}, median ${fmtBytes(h.medianFileSize)} (target ${fmtBytes(h.targetFileSize)})\n`);
        process.stdout.write(`small files (< ${fmtBytes(h.smallFileThreshold)}): ${h.smallFiles}; delete files: ${h.deleteFiles}; manifests: ${h.manifests}; snapshots: ${h.snapshots}\n\n`);
        printTable(['partition', 'files', 'small', 'rows', 'bytes', 'avg size'], h.perPartition.map((p) => [p.partition || '(unpartitioned)', p.files, p.smallFiles, p.records, fmtBytes(p.bytes), fmtBytes(p.averageFileSize)]));
        process.stdout.write(`\n${h.recommendations.length ? h.recommendations.map((r) => `- ${r}`).join('\n') : '- healthy: nothing to do'}\n`);
      });
    });

  withCommonOptions(table.command('register <table> <metadataUri>'))
    .description('adopt an Iceberg table written by another engine (e.g. Spark) by its metadata file')
    .option('--map-prefix <FROM=TO...>', 'rewrite a file-path prefix (tables that were moved or copied); repeatable', collect, [])
    .option('--writable', 'allow commits, expiry and orphan removal through this registration of a table outside the warehouse (default: read-only)', false)
    .addHelpText('after', '\nA table outside this warehouse is registered read-only: it can be queried, but writes through it\nare refused unless --writable is given.\n\nExamples:\n  lake table register bunnies.spark ./copy/metadata/v3.metadata.json --map-prefix s3a://bucket/spark/bunnies=./copy\n  lake table register sales.shared s3://other/wh/sales/orders --writable')
    .action(async (ident: string, metadataUri: string, opts: { mapPrefix: string[]; writable: boolean }, cmd: Command) => {
      const pathMapping: Record<string, string> = {};
      for (const m of opts.mapPrefix) {
        const eq = m.indexOf('=');
        if (eq <= 0) throw new UsageError(`--map-prefix expects FROM=TO, got "${m}"`);
        pathMapping[m.slice(0, eq)] = m.slice(eq + 1);
      }
      const wh = await Warehouse.open(globals(cmd).warehouse);
      try {
        const ns = ident.slice(0, ident.lastIndexOf('.'));
        // Like CREATE NAMESPACE IF NOT EXISTS: adopting a table should not need a second command.
        if (ns && !(await wh.namespaceExists(ns))) await wh.createNamespace(ns);
        const t = await wh.registerTable(ident, metadataUri, { pathMapping, writable: opts.writable });
        const cur = t.currentSnapshot();
        const out = {
          identifier: ident, metadataLocation: t.metadataLocation, currentSnapshotId: cur?.['snapshot-id'] ?? null, totalRecords: cur ? Number(cur.summary['total-records'] ?? 0) : 0,
          writable: t.registration.writable, external: t.registration.external,
        };
        if (globals(cmd).json) return printJson(out);
        process.stdout.write(`registered ${ident} → ${out.metadataLocation} (snapshot ${out.currentSnapshotId ?? 'none'}, ${out.totalRecords} rows, ${out.writable ? 'writable' : 'read-only'})\n`);
      } finally {
        await wh.close();
      }
    });

  return table;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function snapshotTotals(t: Table, id: bigint | undefined): Promise<{ snapshotId: bigint | null; records: number; files: number }> {
  if (id === undefined) return { snapshotId: null, records: 0, files: 0 };
  const plan = await t.scan({ snapshotId: id });
  return { snapshotId: id, records: plan.tasks.reduce((n, x) => n + x.file.recordCount, 0), files: plan.tasks.length };
}

export function rollbackCommand(): Command {
  return withCommonOptions(new Command('rollback'))
    .description('move a table back to an earlier snapshot (recorded as a new metadata version)')
    .argument('<table>')
    .option('--to <snapshotId>', 'an ancestor of the current snapshot')
    .option('--to-time <iso>', 'the snapshot that was current at this time')
    .option('--set-current <snapshotId>', 'any snapshot, also one that is not an ancestor')
    .addHelpText('after', '\nExamples:\n  lake rollback sales.orders --to 4951213507629824583\n  lake rollback sales.orders --to-time 2026-11-20T08:00:00Z\n  lake rollback sales.orders --set-current 6458828015811002920')
    .action(async (ident: string, opts: { to?: string; toTime?: string; setCurrent?: string }, cmd: Command) => {
      const chosen = [opts.to, opts.toTime, opts.setCurrent].filter((x) => x !== undefined);
      if (chosen.length !== 1) throw new UsageError('give exactly one of --to, --to-time or --set-current');
      await withTable(cmd, ident, async (t) => {
        const before = await snapshotTotals(t, t.currentSnapshot()?.['snapshot-id']);
        let res;
        if (opts.to !== undefined) res = await rollbackTo(t, parseSnapshotId(opts.to));
        else if (opts.setCurrent !== undefined) res = await setCurrentSnapshot(t, parseSnapshotId(opts.setCurrent));
        else {
          const ts = Date.parse(opts.toTime!);
          if (Number.isNaN(ts)) throw new UsageError(`--to-time expects an ISO timestamp, got "${opts.toTime}"`);
          res = await rollbackToTime(t, ts);
        }
        await t.refresh();
        const after = await snapshotTotals(t, t.currentSnapshot()?.['snapshot-id']);
        const out = { table: ident, before, after, metadataLocation: t.metadataLocation };
        if (globals(cmd).json) return printJson(out);
        process.stdout.write(`rolled back ${ident}: snapshot ${before.snapshotId ?? 'none'} → ${res.metrics.toSnapshotId}\n`);
        process.stdout.write(`rows ${before.records} → ${after.records}, files ${before.files} → ${after.files}\nnew metadata: ${t.metadataLocation}\n`);
      });
    });
}

function parseSnapshotId(s: string): bigint {
  if (!/^-?\d+$/.test(s)) throw new UsageError(`"${s}" is not a snapshot id`);
  return BigInt(s);
}

export function expireCommand(): Command {
  return withCommonOptions(new Command('expire'))
    .description('expire old snapshots and delete files only they reference')
    .argument('<table>')
    .option('--older-than <age>', 'expire snapshots older than this (5d, 36h, or an ISO time)', '5d')
    .option('--retain-last <n>', 'always keep the newest N snapshots of the current history', '1')
    .option('--dry-run', 'list what would be deleted, delete nothing', false)
    .addHelpText('after', `
Never deletes a file that a retained snapshot, a metadata version committed after the expiry,
a live in-flight write or an unsettled run (lake runs list) still needs. A table whose retained
snapshots cannot be read is refused (error INVALID_METADATA or CORRUPT_FILE) before anything
is committed.

Example:
  lake expire sales.orders --older-than 5d --retain-last 1 --dry-run`)
    .action(async (ident: string, opts: { olderThan: string; retainLast: string; dryRun: boolean }, cmd: Command) => {
      const retainLast = Number(opts.retainLast);
      if (!Number.isInteger(retainLast) || retainLast < 1) throw new UsageError('--retain-last must be a whole number ≥ 1');
      await withTable(cmd, ident, async (t, wh) => {
        const res = await expire(wh.store, t, { olderThan: parseOlderThan(opts.olderThan), retainLast, dryRun: opts.dryRun });
        const out = { table: ident, dryRun: opts.dryRun, expiredSnapshotIds: res.expiredSnapshotIds, metrics: res.metrics, deleted: res.deleted, protectedFiles: res.protectedFiles };
        if (globals(cmd).json) return printJson(out);
        const verb = opts.dryRun ? 'would expire' : 'expired';
        process.stdout.write(`${verb} ${res.expiredSnapshotIds.length} snapshot(s) of ${ident}${res.expiredSnapshotIds.length ? `: ${res.expiredSnapshotIds.join(', ')}` : ''}\n`);
        process.stdout.write(`${opts.dryRun ? 'would delete' : 'deleted'}: ${res.metrics.deletedDataFiles} data files, ${res.metrics.deletedDeleteFiles} delete files, ${res.metrics.deletedManifests} manifests, ${res.metrics.deletedManifestLists} manifest lists\n`);
        if (res.protectedFiles.length) process.stdout.write(`kept ${res.protectedFiles.length} file(s) that in-flight writes or unsettled runs protect\n`);
        if (opts.dryRun) for (const k of res.deleted) process.stdout.write(`  ${k}\n`);
      });
    });
}

export function removeOrphansCommand(): Command {
  return withCommonOptions(new Command('remove-orphans'))
    .description('delete files under the table location that no metadata version references')
    .argument('<table>')
    .option('--older-than <age>', 'only files older than this: a duration (1d, 36h) or an ISO time; at least 1 day', '1d')
    .option('--force-unsafe-age', 'allow --older-than below 1 day (prints a warning); referenced files and files of live in-flight writes are still kept', false)
    .option('--dry-run', 'list orphans, delete nothing (any --older-than is allowed)', false)
    .option('--verbose', 'also list recent and protected files', false)
    .addHelpText('after', `
Deletes a file only when no snapshot of any metadata version reaches it, no live in-flight
write or unsettled run (lake runs list) claims it, and it is older than --older-than. Metadata
versions, the version hint and registration.json are never deleted. Stale in-flight markers and
.lake-tmp-* leftovers of killed processes (local disk) older than the threshold are removed too.
Unreferenced files younger than the threshold are reported as "recent, not removed".

Why 1 day at least: a younger unreferenced file may belong to a write that has not committed yet
(see docs/operations.md). A table whose snapshots cannot be read is refused (INVALID_METADATA or
CORRUPT_FILE), never reported as having no orphans.

Examples:
  lake remove-orphans sales.orders --dry-run
  lake remove-orphans sales.orders --older-than 3d --json`)
    .action(async (ident: string, opts: { olderThan: string; forceUnsafeAge: boolean; dryRun: boolean; verbose: boolean }, cmd: Command) => {
      const olderThan = parseOlderThan(opts.olderThan);
      await withTable(cmd, ident, async (t, wh) => {
        const res = await removeOrphans(wh.store, t, {
          olderThan,
          dryRun: opts.dryRun,
          forceUnsafeAge: opts.forceUnsafeAge,
          onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
        });
        const out = {
          table: ident,
          dryRun: opts.dryRun,
          olderThan: new Date(res.olderThan).toISOString(),
          orphanFiles: res.orphans.length,
          recentFiles: res.recent.length,
          protectedFiles: res.protectedFiles.length,
          tempFiles: res.tempFiles.length,
          orphans: res.orphans,
          temporary: res.tempFiles,
          recent: res.recent,
          protected: res.protectedFiles,
          skipped: res.skipped,
          metrics: res.metrics,
        };
        if (globals(cmd).json) return printJson(out);
        const m = res.metrics;
        process.stdout.write(`${opts.dryRun ? 'found' : 'removed'} ${res.orphans.length} orphan file(s) (${fmtBytes(m.orphanBytes)}) of ${m.filesScanned} scanned${m.staleMarkers ? `, ${m.staleMarkers} of them stale in-flight markers` : ''}\n`);
        for (const k of res.orphans) process.stdout.write(`  ${k}\n`);
        if (res.tempFiles.length) {
          process.stdout.write(`${opts.dryRun ? 'found' : 'removed'} ${res.tempFiles.length} temporary file(s) (${fmtBytes(m.tempBytes)}) left by killed processes\n`);
          for (const k of res.tempFiles) process.stdout.write(`  ${k}\n`);
        }
        process.stdout.write(`recent, not removed: ${m.recentFiles} file(s) (${fmtBytes(m.recentBytes)}) younger than ${fmtTime(res.olderThan)}${m.recentFiles && !opts.verbose ? ' (--verbose lists them)' : ''}\n`);
        if (opts.verbose) printFiles(res.recent);
        if (res.protectedFiles.length) {
          process.stdout.write(`protected, not removed: ${res.protectedFiles.length} file(s) of in-flight writes or unsettled runs${opts.verbose ? '' : ' (--verbose lists them)'}\n`);
          if (opts.verbose) printFiles(res.protectedFiles);
        }
      });
    });
}

function printFiles(files: FileInfo[]): void {
  for (const f of files) process.stdout.write(`  ${f.key}  ${fmtBytes(f.size)}  ${fmtTime(f.lastModifiedMs)}${f.reason ? `  (${f.reason})` : ''}\n`);
}
