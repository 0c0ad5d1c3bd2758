/**
 * The README's "Library use" block is executed as written (only the warehouse comes from the
 * environment, as the block itself says), against a fresh warehouse holding demo.sales, so the
 * documented example cannot rot: it must exit 0 with the batch job PUBLISHED.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runLake } from '../helpers/cli.js';

let dir: string;
let script: string;

function libraryBlock(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = /## Library use\n\n```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no "## Library use" ts block');
  return m[1]!;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lake-readme-'));
  const lines = ['order_date,region,customer_id,amount'];
  for (let i = 0; i < 300; i++) lines.push(`2024-0${1 + (i % 6)}-${String(1 + (i % 28)).padStart(2, '0')},${['north', 'south', 'east'][i % 3]},${i % 40},${(i * 1.25).toFixed(2)}`);
  writeFileSync(join(dir, 'sales.csv'), `${lines.join('\n')}\n`);
  // Inside the checkout, so that `lakehouse-engine/…` resolves to this package (self-reference).
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  script = join(repoRoot, '.tmp', `readme-${randomBytes(4).toString('hex')}.mjs`);
  writeFileSync(script, libraryBlock());
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(script, { force: true });
});

describe("the README's library example", () => {
  it('runs as written and its batch job is PUBLISHED', async () => {
    const wh = join(dir, 'wh');
    const ing = await runLake(['ingest', 'demo.sales', join(dir, 'sales.csv'), '--create', '--partition-by', 'month(order_date)'], wh);
    expect(ing.code, ing.stderr).toBe(0);
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [script], { env: { ...process.env, LAKE_WAREHOUSE: wh } }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
    });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^true PUBLISHED \d+/);
  }, 120_000);
});
