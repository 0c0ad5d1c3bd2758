/**
 * `lake sql` streams query results: rows leave the DataFrame's streaming API (openRows) before
 * the query finishes, the CLI prints them as they arrive in every format (a 300k-row table
 * printed as a table used to die with "Maximum call stack size exceeded"), and `--limit n` is a
 * LIMIT in the plan (the scan stops early). The 5M-row memory measurement is a script, not a
 * test (see the branch report).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from 'lakehouse-engine/engine';
import { lakeBin, runLake } from '../helpers/cli.js';

const N = 300_000;
let dir: string;
let wh: string;

/** Runs `lake` and counts its output lines without holding all of it; keeps the first and last lines. */
function lakeLines(args: string[]): Promise<{ code: number | null; lines: number; head: string[]; tail: string[]; stderr: string; text?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [lakeBin, ...args, '--warehouse', wh], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let rest = '';
    const head: string[] = [];
    let tail: string[] = [];
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const parts = (rest + d).split('\n');
      rest = parts.pop()!;
      for (const p of parts) {
        lines++;
        if (head.length < 5) head.push(p);
      }
      tail = [...tail, ...parts].slice(-3);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, lines, head, tail, stderr }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-sql-stream-'));
  wh = join(dir, 'wh');
  const regions = ['north', 'south', 'east', 'west'];
  const out: string[] = ['id,day,region,amount,note'];
  for (let i = 0; i < N; i++) out.push(`${i},2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')},${regions[i % 4]},${(i % 1000) / 4},note-${i % 977}`);
  writeFileSync(join(dir, 'big.csv'), `${out.join('\n')}\n`);
  const r = await runLake(['ingest', 's.big', join(dir, 'big.csv'), '--create'], wh);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('streaming query results', () => {
  it('openRows yields the first rows before the query has finished, and --limit reads little', async () => {
    const engine = await Engine.open({ warehouse: wh, threads: 2 });
    try {
      const df = engine.sql('SELECT * FROM s.big');
      const { schema, rows } = await df.openRows();
      expect(schema.map((f) => f.name)).toEqual(['id', 'day', 'region', 'amount', 'note']);
      let first: unknown[][] | undefined;
      for await (const slice of rows) {
        first = slice;
        // The run's statistics are reported when it completes: none yet means it is still running.
        expect(df.lastStats).toBeUndefined();
        break;
      }
      expect(first!.length).toBeGreaterThan(0);
      expect(first!.length).toBeLessThanOrEqual(8192);
      const limited = engine.sql('SELECT * FROM s.big').limit(3);
      const lim = await limited.openRows();
      let n = 0;
      for await (const slice of lim.rows) n += slice.length;
      expect(n).toBe(3);
      expect(limited.lastStats!.rowsScanned).toBeLessThan(N / 2);
    } finally {
      await engine.close();
    }
  }, 60_000);

  it('prints a 300k-row result in every format (table widths from the first rows)', async () => {
    const table = await lakeLines(['sql', 'SELECT * FROM s.big ORDER BY id']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.lines).toBe(N + 3);
    // Widths come from the first 1000 rows (ids up to 999); later, wider ids push their line wider.
    expect(table.head[0]).toBe('id   day         region  amount  note');
    expect(table.head[2]).toBe('0    2024-01-01  north   0       note-0');
    expect(table.tail[table.tail.length - 2]).toMatch(/^299999  2024-/);
    expect(table.tail[table.tail.length - 1]).toBe(`(${N} rows)`);
    const csv = await lakeLines(['sql', 'SELECT * FROM s.big', '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.lines).toBe(N + 1);
    expect(csv.head[0]).toBe('id,day,region,amount,note');
    const json = await lakeLines(['sql', 'SELECT id, note FROM s.big', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.lines).toBe(N * 4 + 2);
    expect(json.head[0]).toBe('[');
    expect(json.tail[json.tail.length - 1]).toBe(']');
  }, 90_000);

  it('JSON output is laid out as JSON.stringify(rows, null, 2); --limit n prints n rows in every format', async () => {
    const r = await runLake(['sql', "SELECT id, day, region, amount, NULL AS x, id > 1 AS big, 1 AS __proto__ FROM s.big ORDER BY id", '--json', '--limit', '3'], wh);
    expect(r.code, r.stderr).toBe(0);
    const expected = [0, 1, 2].map((i) => ({ id: i, day: `2024-${String(i + 1).padStart(2, '0')}-${String(i + 1).padStart(2, '0')}`, region: ['north', 'south', 'east'][i], amount: i / 4, x: null, big: i > 1, ['__proto__']: 1 }));
    const parsed = JSON.parse(r.stdout) as unknown[];
    expect(parsed.map((o) => Object.entries(o as object))).toEqual(expected.map((o) => Object.entries(o)));
    expect(r.stdout).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
    const csv = await runLake(['sql', 'SELECT id FROM s.big ORDER BY id', '--format', 'csv', '--limit', '3'], wh);
    expect(csv.stdout).toBe('id\n0\n1\n2\n');
    const t = await runLake(['sql', 'SELECT id FROM s.big ORDER BY id LIMIT 10', '--limit', '3'], wh);
    expect(t.stdout).toBe('id\n--\n0\n1\n2\n(3 rows)\n');
    const empty = await runLake(['sql', 'SELECT id FROM s.big WHERE NULL', '--json'], wh);
    expect(empty.stdout).toBe('[]\n');
  }, 60_000);

  it('dates print as ISO 8601 (negative years too); out-of-range literals are a coded error, not a stack trace', async () => {
    const r = await runLake(['sql', "SELECT DATE '-0001-06-01' AS a, TIMESTAMP '2024-01-02 03:04:05.5' AS b", '--format', 'csv'], wh);
    expect(r.stdout).toBe('a,b\n-0001-06-01,2024-01-02T03:04:05.500Z\n');
    const bad = await runLake(['sql', "SELECT DATE '999999-01-01' AS d"], wh);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('out of the supported date range');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
