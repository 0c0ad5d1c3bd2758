/**
 * `lake ingest --type col=type`: declared column types for a created table (money as an exact
 * DECIMAL instead of an inferred DOUBLE), checked against DuckDB's exact sum over the same CSV;
 * bad declarations and over-wide inputs are coded errors that leave nothing behind.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse } from 'lakehouse-engine/catalog';
import { runLake, type CliResult } from '../helpers/cli.js';

let dir: string;
let wh: string;
const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

/** Every file under a directory, recursively (nothing left behind checks). */
function filesUnder(p: string): string[] {
  if (!existsSync(p)) return [];
  return readdirSync(p, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lake-cli-types-'));
  wh = join(dir, 'wh');
  const csv = ['order_id,region,unit_price'];
  // Prices whose double sum is not exact (0.1 + 0.2 …), and ids beyond 2^53.
  for (let i = 0; i < 3000; i++) csv.push(`${9007199254740993 + i},${['a', 'b', 'c'][i % 3]},${(i % 100) / 10 + 0.01}`);
  writeFileSync(join(dir, 'orders.csv'), `${csv.join('\n')}\n`);
  const wide: Record<string, number> = {};
  for (let i = 0; i < 10_001; i++) wide[`k${i}`] = i;
  writeFileSync(join(dir, 'wide.ndjson'), `${JSON.stringify(wide)}\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lake ingest --type', () => {
  it('a declared DECIMAL(10,2) and BIGINT column: Iceberg types as declared, sums exactly as DuckDB', async () => {
    const r = await lake('ingest', 'shop.orders', join(dir, 'orders.csv'), '--create', '--type', 'unit_price=decimal(10,2)', '--type', 'order_id=bigint');
    expect(r.code, r.stderr).toBe(0);
    const w = await Warehouse.open(wh);
    const types = Object.fromEntries((await w.loadTable('shop.orders')).schema().fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({ order_id: 'long', unit_price: 'decimal(10,2)' });
    await w.close();
    const q = await lake('sql', 'SELECT region, sum(unit_price) AS s, max(order_id) AS m FROM shop.orders GROUP BY region ORDER BY region', '--format', 'csv');
    expect(q.code, q.stderr).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const duck = (await c.runAndReadAll(`SELECT region, sum(unit_price::DECIMAL(10,2)) AS s, max(order_id::BIGINT) AS m FROM read_csv('${join(dir, 'orders.csv')}', all_varchar = true) GROUP BY region ORDER BY region`)).getRowObjectsJson();
    c.closeSync();
    const expected = ['region,s,m', ...duck.map((row) => `${String(row['region'])},${String(row['s'])},${String(row['m'])}`)].join('\n');
    expect(q.stdout.trim()).toBe(expected);
  });

  it('a type for a column the input does not have, or a malformed --type: INVALID_ARGUMENT, no table', async () => {
    const r = await lake('ingest', 'shop.bad', join(dir, 'orders.csv'), '--create', '--type', 'price=decimal(10,2)');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('INVALID_ARGUMENT');
    expect(r.stderr).toContain('"price"');
    const m = await lake('ingest', 'shop.bad', join(dir, 'orders.csv'), '--create', '--type', 'unit_price');
    expect(m.stderr).toContain('INVALID_ARGUMENT');
    expect(existsSync(join(wh, 'shop', 'bad'))).toBe(false);
  });

  it('an NDJSON record with 10,001 keys: refused by name before anything is written', async () => {
    const before = filesUnder(wh).length;
    const r = await lake('ingest', 'shop.wide', join(dir, 'wide.ndjson'), '--create');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('UNSUPPORTED');
    expect(r.stderr).toContain('10001 columns');
    expect(filesUnder(wh).length).toBe(before);
  });
});
