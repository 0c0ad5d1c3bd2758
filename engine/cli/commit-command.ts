/**
 * `lake commit status <table> <commit-id>`: did a write land? Answered from the table itself
 * (the `lake.commit-id` / `lake.idempotency-key` of its snapshots, including snapshots expired
 * since, through the metadata log). This is what a user runs after COMMIT_STATE_UNKNOWN or a
 * process that died mid-commit, before retrying.
 *
 * Exit codes: 0 committed, 3 not committed (a definite answer, not a failure of the command),
 * 1 the table could not be read.
 */

import { Command } from 'commander';
import { commitStatus, Warehouse } from '../../catalog/index.js';
import { fmtTime, globals, printJson, UsageError, withCommonOptions } from './common.js';
import { historyEntry } from './table-commands.js';

export const NOT_COMMITTED_EXIT = 3;

export function commitCommand(): Command {
  const commit = new Command('commit').description('check whether a commit landed (after an unknown outcome or a crash)');
  withCommonOptions(commit.command('status <table> [commit-id]'))
    .description('committed or not committed, from the table\'s snapshots (exit 0 committed, 3 not committed)')
    .option('--idempotency-key <key>', 'look up the commit by the idempotency key it was given instead of its commit id')
    .addHelpText(
      'after',
      `
A commit that ended with COMMIT_STATE_UNKNOWN (or whose process died) prints its commit id.
"not committed" is final once the table's version is past the version the commit tried
(COMMIT_STATE_UNKNOWN reports it): a metadata version is written only once.

Examples:
  lake commit status sales.orders 0b6c4c1e-3a8d-4b61-9a55-0f7e3c2d1a90
  lake commit status sales.orders --idempotency-key orders-2026-06-01 --json`,
    )
    .action(async (ident: string, commitId: string | undefined, opts: { idempotencyKey?: string }, cmd: Command) => {
      if (!commitId === !opts.idempotencyKey) throw new UsageError('give either a commit id or --idempotency-key');
      const wh = await Warehouse.open(globals(cmd).warehouse);
      try {
        const table = await wh.loadTable(ident);
        const st = await commitStatus(table, commitId ? { commitId } : { idempotencyKey: opts.idempotencyKey! });
        const what = commitId ? `commit ${commitId}` : `idempotency key ${opts.idempotencyKey}`;
        if (globals(cmd).json) {
          printJson(st.status === 'committed'
            ? { status: st.status, expired: st.expired, tableVersion: st.tableVersion, snapshot: historyEntry(st.snapshot), commitId: st.snapshot.summary['lake.commit-id'] ?? null }
            : { status: st.status, tableVersion: st.tableVersion });
        } else if (st.status === 'committed') {
          const s = st.snapshot;
          process.stdout.write(`${what}: committed as snapshot ${s['snapshot-id']} (${s.summary.operation}, ${fmtTime(s['timestamp-ms'])})${st.expired ? ', since expired from the table\'s history' : ''}\n`);
        } else {
          process.stdout.write(`${what}: not committed (the table is at metadata version ${st.tableVersion})\n`);
        }
        if (st.status !== 'committed') process.exitCode = NOT_COMMITTED_EXIT;
      } finally {
        await wh.close();
      }
    });
  return commit;
}
