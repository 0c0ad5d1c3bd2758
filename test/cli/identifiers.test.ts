/**
 * Identifiers (issue #12, item 3): namespace and table names resolve case-insensitively and are
 * stored lower case, so a table ingested as Sales.Orders is queried as sales.orders or
 * SALES.ORDERS, and its files live under sales/orders/.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse } from 'lakehouse-engine/catalog';
import { runLake, type CliResult } from '../helpers/cli.js';
import { readRows, writeDataFile } from '../catalog/util.js';

let dir: string;
let wh: string;
const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lake-cli-ident-'));
  wh = join(dir, 'wh');
  writeFileSync(join(dir, 'x.csv'), 'id,name\n1,a\n2,b\n3,c\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('case-insensitive identifiers', () => {
  it('lake ingest Sales.Orders, then SELECT from sales.orders and SALES.ORDERS', async () => {
    const r = await lake('ingest', 'Sales.Orders', join(dir, 'x.csv'), '--create');
    expect(r.code, r.stderr).toBe(0);
    for (const name of ['sales.orders', 'SALES.ORDERS', 'Sales.Orders', '"Sales"."Orders"']) {
      const q = await lake('sql', `SELECT count(*) AS n FROM ${name}`, '--format', 'json');
      expect(q.code, `${name}: ${q.stderr}`).toBe(0);
      expect(q.stdout).toMatch(/"n":\s*3/);
    }
    // A second ingest with other casing appends to the same table.
    expect((await lake('ingest', 'SALES.orders', join(dir, 'x.csv'))).code).toBe(0);
    const q = await lake('sql', 'SELECT count(*) AS n FROM Sales.ORDERS', '--format', 'json');
    expect(q.stdout).toMatch(/"n":\s*6/);
    // Stored lower case: one directory, data files inside the table location.
    expect(readdirSync(wh).filter((n) => !n.startsWith('_')).sort()).toEqual(['sales']);
    const list = JSON.parse((await lake('table', 'list', '--json')).stdout);
    expect(list).toEqual([{ namespace: 'sales', table: 'orders', identifier: 'sales.orders' }]);
    expect((await lake('table', 'show', 'SALES.Orders')).code).toBe(0);
  });

  it('Warehouse folds names on create, load, exists, list, register and drop', async () => {
    const w = await Warehouse.open(join(dir, 'lib'));
    await w.createNamespace('Mart');
    expect(await w.namespaceExists('MART')).toBe(true);
    expect(await w.listNamespaces()).toEqual(['mart']);
    const t = await w.createTable('Mart.Daily', [{ name: 'id', type: 'long', required: true }]);
    expect(t.identifier).toEqual({ namespace: 'mart', name: 'daily' });
    await t.newAppend().appendFile(await writeDataFile(t, [{ id: 1n }])).commit();
    expect(await w.tableExists('MART.DAILY')).toBe(true);
    expect(await w.listTables('MART')).toEqual(['daily']);
    expect((await readRows(await w.loadTable('mart.daily'))).length).toBe(1);
    await expect(w.createTable('mart.DAILY', [{ name: 'id', type: 'long' }])).rejects.toMatchObject({ code: 'TABLE_EXISTS' });
    const reg = await w.registerTable('Mart.Alias', join(dir, 'lib', 'mart', 'daily'));
    expect(reg.identifier).toEqual({ namespace: 'mart', name: 'alias' });
    await w.dropTable('MART.ALIAS');
    expect(await w.tableExists('mart.alias')).toBe(false);
    // A table created before the rule under a mixed-case directory is still found by its exact name.
    cpSync(join(dir, 'lib', 'mart', 'daily'), join(dir, 'lib', 'Old', 'Table'), { recursive: true });
    expect((await readRows(await w.loadTable('Old.Table'))).length).toBe(1);
    await w.dropTable('Mart.Daily', { purge: true });
    const md = join(dir, 'lib', 'mart', 'daily', 'metadata');
    expect(existsSync(md) ? readdirSync(md) : []).toEqual([]);
    await w.close();
  });
});
