import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string; bin: Record<string, string> };
const lake = `${root}/${pkg.bin['lake']}`;

async function lakeCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [lake, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('lake CLI basics', () => {
  it('prints the package version', async () => {
    const r = await lakeCli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('prints help with the warehouse conventions', async () => {
    const r = await lakeCli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: lake');
    expect(r.stdout).toContain('LAKE_WAREHOUSE');
  });

  it('exits 2 on a usage error', async () => {
    const r = await lakeCli('--no-such-option');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option');
  });
});
