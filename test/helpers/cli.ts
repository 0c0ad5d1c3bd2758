/** Runs the `lake` CLI as a user does: a child process on the built bin, exit code and output captured. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
export const lakeBin = join(repoRoot, pkg.bin['lake']!);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `lake …args`; `--warehouse` is appended unless the call asks for `--help`. */
export async function runLake(args: string[], warehouse?: string): Promise<CliResult> {
  const full = [...args, ...(args.includes('--help') || warehouse === undefined ? [] : ['--warehouse', warehouse])];
  try {
    const { stdout, stderr } = await run(process.execPath, [lakeBin, ...full]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
