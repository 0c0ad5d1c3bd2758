/**
 * Registrations (issue #12, item 4): a table registered from another warehouse is read-only
 * unless registered with --writable. Reads follow the owner's commits; every write through a
 * read-only registration (append, ingest, expire, remove-orphans) is refused with a coded error
 * whose Help names --writable, before any file is written into the other warehouse.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { Warehouse } from 'lakehouse-engine/catalog';
import { runLake } from '../helpers/cli.js';
import { readRows, writeDataFile } from '../catalog/util.js';

let dir: string;
let a: string;
let b: string;
let tableRoot: string;

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk(join(d, e.name)) : out.push(join(d, e.name)));
  };
  walk(root);
  return out.sort();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-cli-reg-'));
  a = join(dir, 'a');
  b = join(dir, 'b');
  const wa = await Warehouse.open(a);
  await wa.createNamespace('src');
  const t = await wa.createTable('src.t', [{ name: 'id', type: 'long', required: true }]);
  await t.newAppend().appendFile(await writeDataFile(t, [{ id: 1n }, { id: 2n }])).commit();
  await wa.close();
  tableRoot = join(a, 'src', 't');
  writeFileSync(join(dir, 'x.csv'), 'id\n7\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('registrations of tables outside the warehouse', () => {
  it('are read-only by default: shown as such, readable, every write refused, nothing written to the owner', async () => {
    const reg = await runLake(['table', 'register', 'ns.shared', tableRoot, '--json'], b);
    expect(reg.code, reg.stderr).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({ identifier: 'ns.shared', writable: false, external: true, totalRecords: 2 });
    const show = await runLake(['table', 'show', 'ns.shared'], b);
    expect(show.stdout).toMatch(/read-only registration of file:\/\/.*\/a\/src\/t/);
    const q = await runLake(['sql', 'SELECT count(*) AS n FROM ns.shared', '--format', 'json'], b);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/"n":\s*2/);

    const before = files(tableRoot);
    for (const args of [['ingest', 'ns.shared', join(dir, 'x.csv')], ['remove-orphans', 'ns.shared'], ['expire', 'ns.shared', '--older-than', '0s']]) {
      const r = await runLake(args, b);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('[UNSUPPORTED]');
      expect(r.stderr).toMatch(/read-only registration/);
      expect(r.stderr).toMatch(/Help: .*--writable/);
    }
    const wb = await Warehouse.open(b);
    const t = await wb.loadTable('ns.shared');
    expect(t.readOnly).toBe(true);
    let err: unknown;
    try {
      await t.newAppend().appendFile(await writeDataFile(await (await Warehouse.open(a)).loadTable('src.t'), [{ id: 3n }])).commit();
    } catch (e) {
      err = e;
    }
    expect(isLakehouseError(err, 'UNSUPPORTED')).toBe(true);
    expect((err as Error).message).toMatch(/--writable/);
    // The data file written above went to the owner's warehouse by the owner's handle; the
    // refused commits added nothing else.
    const added = files(tableRoot).filter((f) => !before.includes(f));
    expect(added.length).toBe(1);
    rmSync(added[0]!);
    expect(files(tableRoot)).toEqual(before);

    // Reads follow the owner's new commits.
    const owner = await (await Warehouse.open(a)).loadTable('src.t');
    await owner.newAppend().appendFile(await writeDataFile(owner, [{ id: 4n }])).commit();
    await t.refresh();
    expect((await readRows(t)).map((r) => r['id']).sort()).toEqual([1, 2, 4]);
    await wb.close();
  });

  it('with --writable: shown as writable, commits land in the owner table', async () => {
    const reg = await runLake(['table', 'register', 'ns.rw', tableRoot, '--writable', '--json'], b);
    expect(reg.code, reg.stderr).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({ writable: true, external: true });
    expect((await runLake(['table', 'show', 'ns.rw'], b)).stdout).toContain('writable registration');
    const ing = await runLake(['ingest', 'ns.rw', join(dir, 'x.csv')], b);
    expect(ing.code, ing.stderr).toBe(0);
    const owner = await (await Warehouse.open(a)).loadTable('src.t');
    expect((await readRows(owner)).map((r) => r['id']).sort()).toEqual([1, 2, 4, 7]);
  });

  it('a registration inside the warehouse is writable by default', async () => {
    const wb = await Warehouse.open(b);
    await wb.createNamespace('own');
    const t = await wb.createTable('own.t', [{ name: 'id', type: 'long', required: true }]);
    const alias = await wb.registerTable('own.alias', join(b, 'own', 't'));
    expect(alias.registration).toMatchObject({ writable: true, external: false });
    await alias.newAppend().appendFile(await writeDataFile(t, [{ id: 9n }])).commit();
    expect((await readRows(await wb.loadTable('own.t'))).map((r) => r['id'])).toEqual([9]);
    await wb.close();
  });
});
