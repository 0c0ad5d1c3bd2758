#!/usr/bin/env node
/**
 * The `lake` command line. Thin by design: it parses arguments, calls the public entries and
 * prints. Exit codes: 0 success, 1 failure (the error's code on stderr), 2 usage error.
 */

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isLakehouseError, redactSecrets } from '../../connectors/index.js';
import { UsageError } from './common.js';
import { expireCommand, removeOrphansCommand, rollbackCommand, tableCommand } from './table-commands.js';
import { runCommand, runsCommand } from './run-commands.js';
import { sqlCommand } from './sql-command.js';
import { ingestCommand } from './ingest-command.js';
import { compactCommand } from './compact-command.js';
import { commitCommand } from './commit-command.js';
import { interrupted } from './interrupt.js';
import { functionsText } from '../functions/docs.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('lake')
    .description('Lakehouse engine: Apache Iceberg tables of Parquet files on local disk or S3.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError('(run `lake --help` for usage)')
    .exitOverride();
  program.addCommand(tableCommand());
  program.addCommand(rollbackCommand());
  program.addCommand(expireCommand());
  program.addCommand(removeOrphansCommand());
  program.addCommand(runCommand());
  program.addCommand(runsCommand());
  program.addCommand(sqlCommand());
  program.addCommand(ingestCommand());
  program.addCommand(compactCommand());
  program.addCommand(commitCommand());
  program.addCommand(new Command('functions').description('list the SQL scalar functions (reference: docs/functions.md)').action(() => { process.stdout.write(`${functionsText()}\n`); }));
  program.addHelpText(
    'after',
    `
Warehouse: every command takes --warehouse URI (default: $LAKE_WAREHOUSE, else ./warehouse).
Output: --json prints stable camelCase JSON; 64-bit ids are numbers when exact, else strings.
Exit codes: 0 success, 1 failure (error code on stderr), 2 usage error.
  A URI is a directory path, file:///abs/path or s3://bucket/prefix (S3 settings come from
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, S3_FORCE_PATH_STYLE).

Examples:
  lake --version
  lake --help`,
  );
  applyRecursively(program, (c) => c.exitOverride().showHelpAfterError('(run `lake <command> --help` for usage)'));
  return program;
}

function applyRecursively(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const c of cmd.commands) applyRecursively(c, fn);
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // A command may set a non-zero code for a definite answer (e.g. `commit status`: 3).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${redactSecrets(err.message)}\n(run \`lake --help\` for usage)\n`);
      return 2;
    }
    const sig = interrupted();
    if (sig && isLakehouseError(err, 'CANCELLED')) {
      process.stderr.write(`cancelled by ${sig.signal}: ${err.message.split('\n')[0]}; staged files were deleted, nothing was committed\n`);
      return sig.exitCode;
    }
    if (isLakehouseError(err)) {
      process.stderr.write(`error [${err.code}]: ${redactSecrets(err.message)}\n`);
      const commitId = err.details['commitId'];
      if (typeof commitId === 'string') {
        const table = typeof err.details['table'] === 'string' ? err.details['table'] : '<table>';
        const unknown = err.details['outcomeUnknown'] === true;
        process.stderr.write(unknown
          ? `commit id: ${commitId} (outcome unknown: check it with \`lake commit status ${table} ${commitId}\` before retrying)\n`
          : `commit id: ${commitId} (not committed)\n`);
      }
    } else {
      process.stderr.write(`error: ${redactSecrets(String((err as Error)?.stack ?? err))}\n`);
    }
    return sig ? sig.exitCode : 1;
  }
}

// `lake … | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main().then((code) => {
  process.exitCode = code;
});
