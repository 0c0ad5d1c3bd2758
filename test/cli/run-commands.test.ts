/** `lake run` and `lake runs list|show|recover`: --json shapes and --help, as a user runs them. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLake, type CliResult } from '../helpers/cli.js';
import { makeRawTable } from '../jobs/helpers.js';

let wh: string;

const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

beforeAll(async () => {
  wh = mkdtempSync(join(tmpdir(), 'lake-cli-run-'));
  await makeRawTable(wh);
});

afterAll(() => rmSync(wh, { recursive: true, force: true }));

describe('lake run / lake runs (--json)', () => {
  let runId = '';

  it('run publishes a job and prints its summary', async () => {
    const job = join(wh, 'job.json');
    writeFileSync(job, JSON.stringify({
      name: 'big_sales',
      idempotencyKey: 'big-sales-1',
      sql: 'CREATE TABLE mart.big PARTITIONED BY (region) AS SELECT id, region, amount FROM raw.sales WHERE amount > :min',
      parameters: { min: { type: 'double', value: 50 } },
      quality: [{ rule: 'not_null', columns: ['region'], severity: 'warn' }],
    }));
    const r = await lake('run', job, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.state).toBe('PUBLISHED');
    expect(out.jobName).toBe('big_sales');
    expect(out.output.table).toBe('mart.big');
    expect(typeof out.committedSnapshotId === 'number' || typeof out.committedSnapshotId === 'string').toBe(true);
    expect(Object.keys(out.inputs)).toEqual(['raw.sales']);
    runId = out.runId;
    const again = JSON.parse((await lake('run', job, '--json')).stdout);
    expect(again.runId).toBe(runId);
  });

  it('runs list and runs show', async () => {
    const list = JSON.parse((await lake('runs', 'list', '--json')).stdout);
    expect(list).toEqual([expect.objectContaining({ runId, state: 'PUBLISHED', jobName: 'big_sales' })]);
    const show = JSON.parse((await lake('runs', 'show', runId, '--json')).stdout);
    expect(show.transitions.map((t: { state: string }) => t.state)).toEqual(['PLANNED', 'INPUT_LOCKED', 'RUNNING', 'VALIDATING', 'COMMITTING', 'PUBLISHED']);
    expect(show.staged.length).toBeGreaterThan(0);
    expect(show.reconciliation.ok).toBe(true);
    expect(show.parameters).toEqual({ min: 50 });
  });

  it('runs recover has nothing to do when no run died', async () => {
    expect(JSON.parse((await lake('runs', 'recover', '--json')).stdout)).toEqual([]);
  });

  it('an invalid job spec exits 1 listing every problem', async () => {
    const bad = join(wh, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x y', sql: '' }));
    const r = await lake('run', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID_JOB_SPEC');
    expect(r.stderr).toMatch(/name:.*\n.*sql:/s);
  });
});

describe('--help', () => {
  for (const cmd of [['run'], ['runs', 'list'], ['runs', 'show'], ['runs', 'recover']]) {
    it(`lake ${cmd.join(' ')} --help`, async () => {
      const r = await lake(...cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Example');
      expect(r.stdout).toContain('--json');
    });
  }
});
