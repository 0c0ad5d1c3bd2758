/** `lake run` as a user runs it: every failed quality rule is printed with its counts, whatever its severity. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLake } from '../helpers/cli.js';
import { makeRawTable, rawRows } from './helpers.js';

let wh: string;

beforeAll(async () => {
  wh = mkdtempSync(join(tmpdir(), 'lake-cli-rules-'));
  await makeRawTable(wh);
});

afterAll(() => rmSync(wh, { recursive: true, force: true }));

describe('lake run prints failed rules', () => {
  const negatives = rawRows().filter((r) => r.amount < 0).length;
  const nullRegions = rawRows().filter((r) => r.region === null).length;

  it('a warn rule that fails is printed with its row count, and the run publishes', async () => {
    const job = join(wh, 'warn.json');
    writeFileSync(job, JSON.stringify({
      name: 'warned',
      sql: 'CREATE TABLE mart.warned AS SELECT id, region, amount FROM raw.sales',
      quality: [
        { rule: 'range', column: 'amount', min: 0, severity: 'warn' },
        { rule: 'not_null', columns: ['id'], severity: 'warn' },
      ],
    }));
    const r = await runLake(['run', job], wh);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PUBLISHED/);
    expect(r.stdout).toContain(`quality rule range(amount)#0 (warn) FAILED: ${negatives} rows`);
    expect(r.stdout).not.toContain('not_null(id)');
  }, 60_000);

  it('a fail-run rule is printed with its count on a failed run (exit 1), and --json lists failedRules', async () => {
    const job = join(wh, 'fail.json');
    writeFileSync(job, JSON.stringify({
      name: 'failing',
      sql: 'CREATE TABLE mart.failing AS SELECT id, region, amount FROM raw.sales',
      quality: [
        { rule: 'not_null', columns: ['region'], severity: 'fail-run' },
        { rule: 'range', column: 'amount', min: 0, severity: 'warn' },
      ],
    }));
    const r = await runLake(['run', job], wh);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`quality rule not_null(region)#0 (fail-run) FAILED: ${nullRegions} rows`);
    expect(r.stdout).toContain(`quality rule range(amount)#1 (warn) FAILED: ${negatives} rows`);
    const j = await runLake(['run', job, '--json'], wh);
    expect(j.code).toBe(1);
    const out = JSON.parse(j.stdout);
    expect(out.failedRules).toEqual([
      expect.objectContaining({ rule: 'not_null(region)#0', severity: 'fail-run', failedRows: nullRegions }),
      expect.objectContaining({ rule: 'range(amount)#1', severity: 'warn', failedRows: negatives }),
    ]);
  }, 60_000);
});
