/**
 * Where the team's shared fixtures are (tables written by Spark, Iceberg Java and Athena):
 * `$LAKE_FIXTURES` when set, else `../shared/fixtures` beside the checkout. One helper for every
 * suite, so no test depends on the paths of one machine.
 *
 * When they are absent, suites that need them are skipped outside CI (global-setup prints one
 * line saying so) and fail in CI, where a missing fixture directory is a broken set-up.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The fixtures root (it holds `iceberg/…`), whether or not it exists. */
export function fixturesRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['LAKE_FIXTURES'] ? resolve(env['LAKE_FIXTURES']) : join(repoRoot, '..', 'shared', 'fixtures');
}

/** True when the fixtures are there; in CI their absence is an error, not a skip. */
export function haveFixtures(): boolean {
  const ok = existsSync(join(fixturesRoot(), 'iceberg'));
  if (!ok && process.env['CI']) {
    throw new Error(`CI=true but the shared fixtures are missing at ${fixturesRoot()} (set LAKE_FIXTURES or put shared/ beside the checkout)`);
  }
  return ok;
}

/** Path of a file or directory under `fixtures/iceberg/`. */
export function icebergFixture(...parts: string[]): string {
  return join(fixturesRoot(), 'iceberg', ...parts);
}
