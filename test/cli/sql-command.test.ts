/**
 * `lake sql` as a user runs it (child processes on a local warehouse): query output in the json,
 * csv and table formats, writes printing the committed snapshot id, errors and --help.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLake, type CliResult } from '../helpers/cli.js';
import { Warehouse } from 'lakehouse-engine/catalog';

let dir: string;
let wh: string;

const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

const CSV = 'id,day,region,amount\n1,2024-01-05,north,10.5\n2,2024-02-07,south,3\n3,2024-02-09,,7.25\n4,2024-03-01,north,1\n';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-cli-sql-'));
  wh = join(dir, 'wh');
  writeFileSync(join(dir, 'sales.csv'), CSV);
  const r = await lake('ingest', 's.sales', join(dir, 'sales.csv'), '--create', '--partition-by', 'month(day)');
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lake sql', () => {
  it('--format json prints an array of row objects (dates as YYYY-MM-DD, NULL as null)', async () => {
    const r = await lake('sql', 'SELECT id, day, region, amount FROM s.sales ORDER BY id', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { id: 1, day: '2024-01-05', region: 'north', amount: 10.5 },
      { id: 2, day: '2024-02-07', region: 'south', amount: 3 },
      { id: 3, day: '2024-02-09', region: null, amount: 7.25 },
      { id: 4, day: '2024-03-01', region: 'north', amount: 1 },
    ]);
    const j = await lake('sql', 'SELECT region, count(*) AS n FROM s.sales GROUP BY region ORDER BY region NULLS FIRST', '--json');
    expect(JSON.parse(j.stdout)).toEqual([{ region: null, n: 1 }, { region: 'north', n: 2 }, { region: 'south', n: 1 }]);
  });

  it('--format csv and table', async () => {
    const c = await lake('sql', 'SELECT id, region FROM s.sales WHERE id <= 3 ORDER BY id', '--format', 'csv');
    expect(c.stdout).toBe('id,region\n1,north\n2,south\n3,\n');
    const t = await lake('sql', 'SELECT id, region FROM s.sales WHERE id = 2');
    expect(t.stdout.split('\n')[0]).toMatch(/^id\s+region$/);
    expect(t.stdout).toContain('(1 row)');
  });

  it('a write prints the committed snapshot id (a number when exact) and the rows written', async () => {
    const r = await lake('sql', "INSERT OVERWRITE s.sales SELECT id, day, region, amount * 10 AS amount FROM s.sales WHERE day >= DATE '2024-02-01' AND day < DATE '2024-03-01'", '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const w = await Warehouse.open(wh);
    const t = await w.loadTable('s.sales');
    const cur = t.currentSnapshot()!;
    expect(String(out.snapshotId)).toBe(String(cur['snapshot-id']));
    expect(typeof out.snapshotId === 'number' || typeof out.snapshotId === 'string').toBe(true);
    expect(Number.isSafeInteger(out.snapshotId) || typeof out.snapshotId === 'string').toBe(true);
    expect(out).toMatchObject({ statement: 'INSERT OVERWRITE', table: 's.sales', rowsWritten: 2 });
    expect(String(out.inputSnapshots['s.sales'])).toBe(String(cur['parent-snapshot-id']));
    await w.close();
    const sums = JSON.parse((await lake('sql', 'SELECT sum(amount) AS s FROM s.sales', '--json')).stdout);
    expect(sums).toEqual([{ s: 10.5 + 30 + 72.5 + 1 }]);
    const old = JSON.parse((await lake('sql', `SELECT sum(amount) AS s FROM s.sales VERSION AS OF ${cur['parent-snapshot-id']}`, '--json')).stdout);
    expect(old).toEqual([{ s: 10.5 + 3 + 7.25 + 1 }]);
  });

  it('errors: unknown table → exit 1 with the code on stderr; bad usage → exit 2', async () => {
    const r = await lake('sql', 'SELECT * FROM s.nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TABLE_NOT_FOUND');
    const u = await lake('sql', 'SELECT 1', '--format', 'xml');
    expect(u.code).toBe(2);
  });

  it('--help has examples', async () => {
    const r = await lake('sql', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('VERSION AS OF');
  });
});
