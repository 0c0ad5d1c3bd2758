/**
 * `lake sql` output is streamed with back-pressure, so the scan never runs far ahead of the
 * printer (issue #13: `SELECT *` over 5M rows must stay under 500 MB; that number is measured by
 * `npm run bench:stream`, not asserted here). Shown through a real child process without timing:
 * the test reads the first printed rows, stops reading (the child's stdout pipe fills and the
 * printer blocks), deletes every data file of the table, then reads on. A streamed query has
 * read only the first files when its first rows come out, so it must fail on a missing file
 * after printing some rows; a query that scanned everything before printing would print all N.
 * (Each file is one slice; a blocked printer holds the scan at one task and a window of slices,
 * about 3 of the 8 files. Before the fix that counted waiting slices against that bound, a task
 * of one slice freed its place at once and all 8 files were read before the first rows came
 * out — seen with this procedure by hand: every row printed, exit 0.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeBin, runLake } from '../helpers/cli.js';

const FILES = 8;
const PER_FILE = 20_000;
const N = FILES * PER_FILE;
let dir: string;

/** Ingests the table into a fresh warehouse: FILES appends of PER_FILE rows, one data file each. */
async function makeWarehouse(name: string): Promise<string> {
  const wh = join(dir, name);
  for (let f = 0; f < FILES; f++) {
    const lines = ['id,amount,note'];
    for (let i = f * PER_FILE; i < (f + 1) * PER_FILE; i++) lines.push(`${i},${(i % 10000) / 100},note-${i % 977}`);
    const csv = join(dir, `${name}-${f}.csv`);
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const r = await runLake(['ingest', 's.t', csv, ...(f === 0 ? ['--create'] : [])], wh);
    expect(r.code, r.stderr).toBe(0);
  }
  return wh;
}

function dataFiles(wh: string): string[] {
  const d = join(wh, 's', 't', 'data');
  return readdirSync(d, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet')).map((f) => join(d, f));
}

/** Polls `cond` until it holds, failing after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let wh: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-sql-bounded-'));
  wh = await makeWarehouse('wh');
  expect(dataFiles(wh)).toHaveLength(FILES);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streamed output is bounded by the consumer', () => {
  it('a child printing CSV has read only the first files when its first rows come out', async () => {
    const child = spawn(process.execPath, [lakeBin, 'sql', 'SELECT * FROM s.t', '--format', 'csv', '--warehouse', wh], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let rest = '';
    let stderr = '';
    let paused = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const parts = (rest + d).split('\n');
      rest = parts.pop()!;
      lines += parts.length;
      // Stop reading after the first rows: the pipe fills and the child's printer blocks.
      if (lines > 10 && !paused) {
        paused = true;
        child.stdout.pause();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => lines > 10 || child.exitCode !== null, 60_000, 'the first printed rows');
    expect(child.exitCode, stderr).toBeNull();
    for (const f of dataFiles(wh)) rmSync(f);
    child.stdout.resume();
    const code = await exited;
    // Rows were printed, not all of them: the scan reached the deleted files only later.
    expect(lines).toBeGreaterThan(10);
    expect(lines).toBeLessThan(N + 1);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error \[[A-Z_]+\]/);
  }, 90_000);
});
