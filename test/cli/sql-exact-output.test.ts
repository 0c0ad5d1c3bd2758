/**
 * `lake sql` prints exact values in every format (issue #13): decimals with all S digits,
 * integers beyond 2^53 (int64 min included), times, uuids and blobs as DuckDB prints them, and
 * timestamps with their microseconds. The table is built in the test: DuckDB writes the Parquet
 * file (so the types are DuckDB's own DECIMAL/BIGINT/TIME/UUID/BLOB), `lake ingest` loads it, and
 * `lake sql` runs as a child process (the rows come back from a worker over Arrow IPC). JSON
 * carries decimals and integers beyond ±(2^53−1) as strings, as DuckDB's JSON rows do; the
 * DataFrame API (toArray, toTable) gives the same values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { Engine } from 'lakehouse-engine/engine';
import { runLake } from '../helpers/cli.js';

let dir: string;
let wh: string;

const COLUMNS = `id, amount, small, wide, big, minb, tm, u, b, d, ts, x`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-sql-exact-'));
  wh = join(dir, 'wh');
  const file = join(dir, 'exact.parquet');
  const c = await (await DuckDBInstance.create(':memory:')).connect();
  await c.run(`COPY (SELECT * FROM (VALUES
      (1, 12.30::DECIMAL(15,2), -0.05::DECIMAL(15,2), 12345678901234567890123.123456789012345::DECIMAL(38,15),
       9007199254740993::BIGINT, (-9223372036854775807)::BIGINT - 1, '12:34:56.5'::TIME,
       'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::UUID, '\\x00a\\x5Cb''\\x22~\\xFF'::BLOB, DATE '2024-02-29',
       TIMESTAMP '2024-01-02 03:04:05.123456', 1.5::DOUBLE),
      (2, NULL, 0.00::DECIMAL(15,2), -0.000000000000001::DECIMAL(38,15), 42, NULL, '00:00:00.000001'::TIME, NULL, ''::BLOB, NULL,
       TIMESTAMP '2024-01-02 03:04:05.5', NULL)
    ) t(${COLUMNS})) TO '${file}' (FORMAT parquet)`);
  c.closeSync();
  const r = await runLake(['ingest', 'e.t', file, '--create'], wh);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QUERY = `SELECT ${COLUMNS} FROM e.t ORDER BY id`;

describe('exact values in lake sql output', () => {
  it('table and CSV print every digit', async () => {
    const csv = await runLake(['sql', QUERY, '--format', 'csv'], wh);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(
      'id,amount,small,wide,big,minb,tm,u,b,d,ts,x\n'
      + '1,12.30,-0.05,12345678901234567890123.123456789012345,9007199254740993,-9223372036854775808,12:34:56.5,'
      + 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,\\x00a\\x5Cb\\x27\\x22~\\xFF,2024-02-29,2024-01-02T03:04:05.123456Z,1.5\n'
      + '2,,0.00,-0.000000000000001,42,,00:00:00.000001,,,,2024-01-02T03:04:05.500Z,\n',
    );
    const table = await runLake(['sql', 'SELECT id, amount, wide, big, minb, tm, b FROM e.t ORDER BY id'], wh);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toBe([
      'id  amount  wide                                     big               minb                  tm               b',
      '--  ------  ---------------------------------------  ----------------  --------------------  ---------------  -----------------------',
      '1   12.30   12345678901234567890123.123456789012345  9007199254740993  -9223372036854775808  12:34:56.5       \\x00a\\x5Cb\\x27\\x22~\\xFF',
      '2           -0.000000000000001                       42                                      00:00:00.000001',
      '(2 rows)',
      '',
    ].join('\n'));
  }, 60_000);

  it('JSON has decimals and integers beyond 2^53 as strings, as DuckDB', async () => {
    const r = await runLake(['sql', QUERY, '--json'], wh);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        id: 1, amount: '12.30', small: '-0.05', wide: '12345678901234567890123.123456789012345', big: '9007199254740993', minb: '-9223372036854775808',
        tm: '12:34:56.5', u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', b: '\\x00a\\x5Cb\\x27\\x22~\\xFF', d: '2024-02-29', ts: '2024-01-02T03:04:05.123456Z', x: 1.5,
      },
      { id: 2, amount: null, small: '0.00', wide: '-0.000000000000001', big: 42, minb: null, tm: '00:00:00.000001', u: null, b: '', d: null, ts: '2024-01-02T03:04:05.500Z', x: null },
    ]);
    expect(r.stdout).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
    // DuckDB's own JSON rows agree on every exact value it renders the same way.
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    const duck = (await c.runAndReadAll(`SELECT amount, small, wide, big, minb, tm, u FROM '${join(dir, 'exact.parquet')}' ORDER BY id`)).getRowObjectsJson();
    c.closeSync();
    const ours = (JSON.parse(r.stdout) as Array<Record<string, unknown>>).map((o) => ({ amount: o['amount'], small: o['small'], wide: o['wide'], big: String(o['big']), minb: o['minb'], tm: o['tm'], u: o['u'] }));
    expect(ours).toEqual(duck);
    // Arithmetic stays exact on the way out: a big int plus one, a decimal difference.
    const sum = await runLake(['sql', 'SELECT big + 1 AS b1, amount - small AS diff FROM e.t WHERE id = 1', '--json'], wh);
    expect(sum.code, sum.stderr).toBe(0);
    expect(JSON.parse(sum.stdout)).toEqual([{ b1: '9007199254740994', diff: '12.35' }]);
  }, 60_000);

  it('JSON keeps NaN and infinities as DuckDB\'s JSON does ("NaN", "Infinity"), never null', async () => {
    const r = await runLake(['sql', "SELECT CAST('nan' AS DOUBLE) AS n, CAST('inf' AS DOUBLE) AS p, CAST('-inf' AS DOUBLE) AS m, CAST(NULL AS DOUBLE) AS z", '--json'], wh);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ n: 'NaN', p: 'Infinity', m: '-Infinity', z: null }]);
  }, 60_000);

  it('toArray and toTable give the values the printers print', async () => {
    const engine = await Engine.open({ warehouse: wh, threads: 1 });
    try {
      const rows = await engine.sql('SELECT amount, wide, big, minb FROM e.t ORDER BY id').toArray();
      expect(rows[0]).toEqual({ amount: '12.30', wide: '12345678901234567890123.123456789012345', big: 9007199254740993n, minb: -9223372036854775808n });
      expect(rows[1]).toEqual({ amount: null, wide: '-0.000000000000001', big: 42, minb: null });
      const t = await engine.sql('SELECT amount, big FROM e.t ORDER BY id').toTable();
      expect(String(t.schema.fields[0]!.type)).toMatch(/Decimal\[15e?,\s*2\]|Decimal/);
      expect(t.getChild('big')!.get(0)).toBe(9007199254740993n);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
