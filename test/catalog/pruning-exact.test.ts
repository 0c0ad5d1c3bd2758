/**
 * Scan pruning is exact and never loses a row: file pruning (Iceberg manifest bounds) and
 * row-group pruning (Parquet footer statistics) over real tables in a local warehouse.
 *
 * - decimals compared with literals of other scales and with integers, int64 values around 2^53
 *   and at ±2^63, timestamps to the microsecond (and sub-microsecond literals);
 * - one string order (code points = UTF-8 bytes): `s < U+FFFF` with an emoji row, bounds
 *   truncated to 16 characters, and a bound a writer cut inside a character;
 * - field ids: after columns are dropped and two are renamed to each other's names, files prune
 *   by the bounds of the predicate's field id (not by name, not by position);
 * - NaN: DuckDB's order (NaN = NaN, NaN above every double) with bounds that exclude NaN.
 *
 * DuckDB is the oracle: for every predicate it evaluates the SQL over the same Parquet files
 * (with the file name of each matching row). Every file holding a match must be kept; and the
 * test states which files pruning skips, so it shows pruning at work, not just switched off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import { recordBatchFromRows, writeParquetFiles, type IcebergValue } from 'lakehouse-engine/connectors';
import { DeleteCache, readDataFile, Warehouse, where, type DataFile, type Predicate, type Table } from 'lakehouse-engine/catalog';
import { CatalogTableSource, Engine, type IcebergScanTask } from 'lakehouse-engine/engine';
import { collect } from './util.js';

type Row = Record<string, IcebergValue | null>;

let dir: string;
let wh: Warehouse;
let db: DuckDBInstance;
let con: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-prune-'));
  wh = await Warehouse.open(dir);
  await wh.createNamespace('db');
  db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run(`SET TimeZone = 'UTC'`);
});

afterAll(async () => {
  con?.closeSync();
  await wh?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes each group of rows as one data file (row groups of `rowGroupSize` rows) and appends them in one commit. */
async function appendFiles(t: Table, files: Row[][], rowGroupSize?: number, edit?: (i: number, f: DataFile) => void): Promise<string[]> {
  const schema = t.schema();
  const app = t.newAppend();
  const paths: string[] = [];
  for (const [i, rows] of files.entries()) {
    const key = t.newDataFileKey();
    const [w] = await writeParquetFiles(t.io.store, () => key, [recordBatchFromRows(schema, rows)], { schema, ...(rowGroupSize ? { rowGroupSize } : {}) });
    const f = t.dataFile({ key: w!.key, stats: w!.stats });
    edit?.(i, f);
    app.appendFile(f);
    paths.push(localPath(f.filePath));
  }
  await app.commit();
  return paths;
}

function localPath(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

/** DuckDB's answer over the files: the matching ids and the files they are in. */
async function duck(paths: string[], sqlWhere: string): Promise<{ ids: string[]; files: Set<string> }> {
  const list = paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ');
  // Materialized first: DuckDB's own Parquet pruning reads min/max as if they covered NaN, and
  // parquet-rs (rightly) leaves NaN out of them — `d > 1e308` would skip a row group holding NaN.
  await con.run(`CREATE OR REPLACE TEMP TABLE oracle AS SELECT * FROM read_parquet([${list}], filename = true)`);
  const rows = (await con.runAndReadAll(`SELECT CAST(id AS VARCHAR) AS sid, filename FROM oracle WHERE ${sqlWhere} ORDER BY id`)).getRowObjectsJson();
  return { ids: rows.map((r) => String(r['sid'])), files: new Set(rows.map((r) => String(r['filename']))) };
}

interface Case {
  name: string;
  filter: Predicate;
  sql: string;
  /** Indices of the files pruning keeps (every other file is skipped). */
  keep: number[];
}

/** Plans the scan with the filter, checks it against DuckDB and the expected kept files, and reads the kept files. */
async function check(t: Table, paths: string[], c: Case): Promise<void> {
  const plan = await t.scan({ filter: c.filter });
  const kept = new Set(plan.tasks.map((x) => localPath(x.file.filePath)));
  const oracle = await duck(paths, c.sql);
  for (const f of oracle.files) expect(kept.has(f), `${c.name}: a file holding a match (${paths.indexOf(f)}) was pruned`).toBe(true);
  expect(paths.map((p, i) => (kept.has(p) ? i : -1)).filter((i) => i >= 0), `${c.name}: kept files`).toEqual(c.keep);
  // Skipped by their bounds — or, when the predicate is false for every row, with their manifest.
  const skipped = plan.metrics.manifestsScanned === 0 ? paths.length : plan.metrics.dataFilesSkipped;
  expect(skipped, c.name).toBe(paths.length - c.keep.length);
  // The rows of the kept files contain every row DuckDB matches.
  const ids = new Set<string>();
  for (const task of plan.tasks) {
    const batches = readDataFile(t.io.store, { key: task.key, filePath: task.file.filePath, fileSizeInBytes: task.file.fileSizeInBytes, deletes: [] }, t.schema().fields, new DeleteCache(t.io.store));
    for (const r of await collect(batches)) ids.add(String(r['id']));
  }
  for (const id of oracle.ids) expect(ids.has(id), `${c.name}: row ${id}`).toBe(true);
}

const P53 = 2n ** 53n;
const TS0 = BigInt(Date.parse('2024-01-01T00:00:00Z')) * 1000n;

describe('exact numbers', () => {
  let t: Table;
  let paths: string[];
  beforeAll(async () => {
    t = await wh.createTable('db.money', [
      { name: 'id', type: 'long', required: true },
      { name: 'price', type: 'decimal(15,2)' },
      { name: 'big', type: 'long' },
      { name: 'ts', type: 'timestamp' },
    ]);
    paths = await appendFiles(t, [
      [{ id: 0n, price: 100n, big: P53, ts: TS0 }, { id: 1n, price: 100n, big: P53, ts: TS0 }],
      [{ id: 2n, price: 101n, big: P53 + 1n, ts: TS0 + 1n }, { id: 3n, price: 200n, big: P53 + 1n, ts: TS0 + 1n }],
      [{ id: 4n, price: -500n, big: -(2n ** 63n), ts: -1n }, { id: 5n, price: 99n, big: -(2n ** 62n), ts: -1n }],
      [{ id: 6n, price: 999_999_999_999_999n, big: 2n ** 63n - 1n, ts: TS0 * 2n }, { id: 7n, price: 10_000_000n, big: 2n ** 62n + 1n, ts: TS0 * 2n }],
      [{ id: 8n, price: null, big: null, ts: null }],
    ]);
  });

  const cases: Case[] = [
    { name: 'decimal = literal of a larger scale', filter: where.eq('price', { unscaled: 1000n, scale: 3 }), sql: 'price = 1.000', keep: [0] },
    { name: 'decimal < 1.005 (between two cents)', filter: where.lt('price', '1.005'), sql: 'price < 1.005', keep: [0, 2] },
    { name: 'decimal > 1.005', filter: where.gt('price', 1.005), sql: 'price > 1.005', keep: [1, 3] },
    { name: 'decimal = 1.005 matches nothing', filter: where.eq('price', '1.005'), sql: 'price = 1.005', keep: [] },
    { name: 'negative: decimal < -4.995', filter: where.lt('price', '-4.995'), sql: 'price < -4.995', keep: [2] },
    { name: 'negative: decimal <= -5.001 matches nothing', filter: where.lte('price', { unscaled: -5001n, scale: 3 }), sql: 'price <= -5.001', keep: [] },
    { name: 'decimal <= integer', filter: where.lte('price', 1), sql: 'price <= 1', keep: [0, 2] },
    { name: 'decimal >= its type maximum', filter: where.gte('price', '9999999999999.99'), sql: 'price >= 9999999999999.99', keep: [3] },
    { name: 'decimal > its type maximum', filter: where.gt('price', '9999999999999.99'), sql: 'price > 9999999999999.99', keep: [] },
    { name: 'decimal < a literal beyond its precision', filter: where.lt('price', 100000000000000n * 100n), sql: 'price < 100000000000000', keep: [0, 1, 2, 3] },
    { name: 'decimal IN literals of two scales', filter: where.in('price', ['2.00', { unscaled: 99n, scale: 2 }, '0.999']), sql: 'price IN (2.00, 0.99, 0.999)', keep: [1, 2] },
    { name: 'bigint > 2^53 skips the file holding exactly 2^53', filter: where.gt('big', P53), sql: `big > ${P53}`, keep: [1, 3] },
    { name: 'bigint = 2^53 + 1', filter: where.eq('big', P53 + 1n), sql: `big = ${P53 + 1n}`, keep: [1] },
    { name: 'bigint < -2^62 (the file holding -2^63)', filter: where.lt('big', -(2n ** 62n)), sql: `big < ${-(2n ** 62n)}`, keep: [2] },
    { name: 'bigint >= 2^63 - 1', filter: where.gte('big', 2n ** 63n - 1n), sql: `big >= ${2n ** 63n - 1n}`, keep: [3] },
    { name: 'bigint = 2^53 + 0.5 matches nothing', filter: where.eq('big', { unscaled: P53 * 10n + 5n, scale: 1 }), sql: 'false', keep: [] },
    { name: 'timestamp > midnight skips the file at midnight', filter: where.gt('ts', '2024-01-01T00:00:00Z'), sql: `ts > TIMESTAMP '2024-01-01 00:00:00'`, keep: [1, 3] },
    { name: 'timestamp = one microsecond past', filter: where.eq('ts', '2024-01-01 00:00:00.000001'), sql: `ts = TIMESTAMP '2024-01-01 00:00:00.000001'`, keep: [1] },
    { name: 'timestamp = a sub-microsecond instant matches nothing', filter: where.eq('ts', '2024-01-01 00:00:00.0000005'), sql: 'false', keep: [] },
    { name: 'timestamp < epoch', filter: where.lt('ts', new Date(0)), sql: `ts < TIMESTAMP '1970-01-01 00:00:00'`, keep: [2] },
    { name: 'OR of a decimal and a bigint leaf', filter: where.or(where.lt('price', 0), where.gt('big', 2n ** 62n)), sql: `price < 0 OR big > ${2n ** 62n}`, keep: [2, 3] },
    { name: 'IS NULL keeps only the file with nulls', filter: where.isNull('price'), sql: 'price IS NULL', keep: [4] },
  ];
  for (const c of cases) it(c.name, () => check(t, paths, c));

  it('refuses a value that is not a number with a coded error', async () => {
    await expect(t.scan({ filter: where.lt('price', 'ten') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(t.scan({ filter: where.lt('ts', '2024-02-31') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('one string order: code points = UTF-8 bytes', () => {
  let t: Table;
  let paths: string[];
  const A20Z = 'a'.repeat(20) + 'Z';
  const EMOJI20 = '😀'.repeat(20);
  beforeAll(async () => {
    t = await wh.createTable('db.str', [{ name: 'id', type: 'long', required: true }, { name: 's', type: 'string' }]);
    const files: Row[][] = [['a', 'b'], ['\uFFFF'], ['😀'], ['\uE000', '\uE001'], [A20Z], [EMOJI20], ['😀😀']].map((vals, f) => vals.map((s, k) => ({ id: BigInt(f * 10 + k), s })));
    paths = await appendFiles(t, files, undefined, (i, f) => {
      // File 6: the upper bound a writer produced by cutting '😀😀' after 6 bytes and
      // incrementing the last byte — not valid UTF-8, but a valid upper bound in byte order.
      if (i === 6) f.upperBounds!.set(2, Uint8Array.of(0xf0, 0x9f, 0x98, 0x80, 0xf0, 0xa0));
    });
  });

  const cases: Case[] = [
    { name: "s < '\\uFFFF' keeps the BMP files and skips the emoji", filter: where.lt('s', '\uFFFF'), sql: "s < '\uFFFF'", keep: [0, 3, 4] },
    { name: "s > '\\uFFFF' keeps only the emoji files", filter: where.gt('s', '\uFFFF'), sql: "s > '\uFFFF'", keep: [2, 5, 6] },
    { name: 'a value longer than the 16-character bounds', filter: where.eq('s', A20Z), sql: `s = '${A20Z}'`, keep: [0, 4] },
    { name: 'below a 16-character truncated lower bound', filter: where.lt('s', 'a'.repeat(16)), sql: `s < '${'a'.repeat(16)}'`, keep: [0] },
    { name: 'emoji bounds truncated to 16 code points', filter: where.eq('s', EMOJI20), sql: `s = '${EMOJI20}'`, keep: [5, 6] },
    { name: 'below an emoji lower bound', filter: where.lt('s', '😀'.repeat(16)), sql: `s < '${'😀'.repeat(16)}'`, keep: [0, 1, 2, 3, 4, 6] },
    { name: 'an upper bound cut inside a character still bounds', filter: where.eq('s', '😀😀'), sql: "s = '😀😀'", keep: [6] },
  ];
  for (const c of cases) it(c.name, () => check(t, paths, c));

  it("the engine returns the same rows for s < '\\uFFFF' with and without pruning", async () => {
    const engine = await Engine.open({ warehouse: dir, threads: 1 });
    try {
      const pruned = await engine.sql("SELECT id FROM db.str WHERE s < '\uFFFF' ORDER BY id").toArray();
      // `s || ''` is not pushed down: the same comparison without any pruning.
      const unpruned = await engine.sql("SELECT id FROM db.str WHERE s || '' < '\uFFFF' ORDER BY id").toArray();
      const oracle = await duck(paths, "s < '\uFFFF'");
      expect(pruned.map((r) => String(r['id']))).toEqual(oracle.ids);
      expect(unpruned.map((r) => String(r['id']))).toEqual(oracle.ids);
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe('NaN: DuckDB order with bounds that exclude NaN', () => {
  let t: Table;
  let paths: string[];
  beforeAll(async () => {
    t = await wh.createTable('db.nan', [{ name: 'id', type: 'long', required: true }, { name: 'd', type: 'double' }]);
    const files = [[1, 2, Number.NaN], [10, 20], [-5, 0], [Number.NaN], [3, 4]];
    paths = await appendFiles(t, files.map((vals, f) => vals.map((d, k) => ({ id: BigInt(f * 10 + k), d }))));
  });

  it('records NaN counts beside bounds that exclude NaN (the premise)', async () => {
    const plan = await t.scan();
    const f0 = plan.tasks.find((x) => localPath(x.file.filePath) === paths[0])!.file;
    expect(f0.nanValueCounts?.get(2)).toBe(1);
    expect(new DataView(f0.upperBounds!.get(2)!.buffer.slice(0)).getFloat64(0, true)).toBe(2);
  });

  const cases: Case[] = [
    { name: 'd > 5 keeps the files holding NaN', filter: where.gt('d', 5), sql: 'd > 5', keep: [0, 1, 3] },
    { name: 'd > 1e308: only NaN is above', filter: where.gt('d', 1e308), sql: 'd > 1e308', keep: [0, 3] },
    { name: 'd = NaN', filter: where.eq('d', Number.NaN), sql: "d = 'nan'::DOUBLE", keep: [0, 3] },
    { name: 'd >= NaN', filter: where.gte('d', Number.NaN), sql: "d >= 'nan'::DOUBLE", keep: [0, 3] },
    { name: 'd > NaN matches nothing', filter: where.gt('d', Number.NaN), sql: "d > 'nan'::DOUBLE", keep: [] },
    { name: 'd < 3 (NaN never below)', filter: where.lt('d', 3), sql: 'd < 3', keep: [0, 2, 3] },
    { name: 'd <> 0 keeps NaN files', filter: where.neq('d', 0), sql: 'd <> 0', keep: [0, 1, 2, 3, 4] },
  ];
  for (const c of cases) it(c.name, () => check(t, paths, c));
});

describe('field ids: swapped, renamed and dropped columns prune by id', () => {
  let t: Table;
  let paths: string[];
  beforeAll(async () => {
    t = await wh.createTable('db.swap', [
      { name: 'id', type: 'long', required: true },
      { name: 'z', type: 'int' },
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int' },
    ]);
    // Before: z (id 2) = 7..9, a (id 3) = 1..3, b (id 4) = 100..102. Row groups of one row.
    const before = await appendFiles(t, [[0, 1, 2].map((k) => ({ id: BigInt(k), z: 7 + k, a: 1 + k, b: 100 + k }))], 1);
    // Drop z (positions shift) and swap the names of a and b: now b is id 3, a is id 4.
    await t.updateSchema([
      { kind: 'drop-column', name: 'z' },
      { kind: 'rename-column', name: 'a', newName: 'tmp' },
      { kind: 'rename-column', name: 'b', newName: 'a' },
      { kind: 'rename-column', name: 'tmp', newName: 'b' },
    ]);
    const after = await appendFiles(t, [[{ id: 10n, b: 4, a: 200 }, { id: 11n, b: 5, a: 201 }]]);
    paths = [...before, ...after];
  });

  it('the schema is what the test means', () => {
    expect(t.schema().fields.map((f) => [f.name, f.id])).toEqual([['id', 1], ['b', 3], ['a', 4]]);
  });

  // DuckDB reads the files by their own column names, so the oracle SQL names the physical
  // columns: the old file's b (id 3) is its column "a", the new file's column "b".
  it('b <= 3 keeps the old file (its id 3 column holds 1..3; its column named b holds 100..102)', async () => {
    const plan = await t.scan({ filter: where.lte('b', 3) });
    expect(plan.tasks.map((x) => localPath(x.file.filePath))).toEqual([paths[0]]);
    expect(plan.metrics.dataFilesSkipped).toBe(1);
  });

  it('b >= 7 skips the old file (its first column, z, holds 7..9)', async () => {
    const plan = await t.scan({ filter: where.gte('b', 7) });
    expect(plan.tasks).toEqual([]);
    expect(plan.metrics.dataFilesSkipped).toBe(2);
  });

  it('a >= 150 keeps only the new file; a >= 100 both', async () => {
    expect((await t.scan({ filter: where.gte('a', 150) })).tasks.map((x) => localPath(x.file.filePath))).toEqual([paths[1]]);
    expect((await t.scan({ filter: where.gte('a', 100) })).tasks.length).toBe(2);
  });

  it('row groups prune by field id too, and the engine returns the right rows', async () => {
    const source = CatalogTableSource.open('db.swap', t);
    const col = (i: number, type = 'int32'): unknown => ({ k: 'col', i, type });
    const lit = (v: number): unknown => ({ k: 'lit', v, type: 'int32' });
    const eq = { k: 'call', fn: 'eq', args: [col(0), lit(2)], type: 'boolean' };
    const tasks = (await source.planScan({ columns: ['b', 'a'], filters: [eq as never] })) as IcebergScanTask[];
    const slices = tasks.flatMap((x) => x.files);
    // Only the old file's row group 1 (b = 2) is read.
    expect(slices.map((s) => [localPath(s.filePath), s.rowGroups])).toEqual([[paths[0], [1]]]);

    const engine = await Engine.open({ warehouse: dir, threads: 1 });
    try {
      const rows = await engine.sql('SELECT id, a, b FROM db.swap WHERE b <= 4 ORDER BY id').toArray();
      expect(rows.map((r) => [Number(r['id']), Number(r['a']), Number(r['b'])])).toEqual([[0, 100, 1], [1, 101, 2], [2, 102, 3], [10, 200, 4]]);
      const none = await engine.sql('SELECT id FROM db.swap WHERE b >= 7').toArray();
      expect(none).toEqual([]);
    } finally {
      await engine.close();
    }
  }, 60_000);
});

describe('engine pushdown: plan literals against manifest bounds and row-group statistics', () => {
  let t: Table;
  let paths: string[];
  const N = 1000;
  const GROUP = 100;
  beforeAll(async () => {
    t = await wh.createTable('db.rg', [
      { name: 'id', type: 'long', required: true },
      { name: 'price', type: 'decimal(15,2)' },
      { name: 'big', type: 'long' },
      { name: 'ts', type: 'timestamp' },
      { name: 'd', type: 'double' },
    ]);
    // Row k: price k/100, big 2^53 − 500 + k, ts TS0 + k µs, d k/10 — ten row groups of 100 rows.
    const rows: Row[] = Array.from({ length: N }, (_, k) => ({ id: BigInt(k), price: BigInt(k), big: P53 - 500n + BigInt(k), ts: TS0 + BigInt(k), d: k / 10 }));
    // A second file of two row groups whose second holds a NaN.
    const nan: Row[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, Number.NaN].map((d, k) => ({ id: BigInt(N + k), price: 0n, big: 0n, ts: TS0, d }));
    paths = [...(await appendFiles(t, [rows], GROUP)), ...(await appendFiles(t, [nan], 5))];
  });

  const col = (i: number, type: string): unknown => ({ k: 'col', i, type });
  const lit = (v: number | bigint, type: string): unknown => ({ k: 'lit', v, type });
  const call = (fn: string, a: unknown, b: unknown): unknown => ({ k: 'call', fn, args: [a, b], type: 'boolean' });
  const COLS = ['id', 'price', 'big', 'ts', 'd'];
  const PRICE = col(1, 'decimal(15,2)');

  interface EngineCase {
    name: string;
    filter: unknown;
    sql: string;
    /** Row groups of the first file, and of the NaN file, that are read. */
    groups: number[];
    nanFile?: number[];
  }
  const cases: EngineCase[] = [
    { name: 'decimal(15,2) < decimal(4,3) literal 1.005', filter: call('lt', PRICE, lit(1005, 'decimal(4,3)')), sql: 'price < 1.005', groups: [0, 1], nanFile: [0, 1] },
    { name: 'decimal > integer literal 8', filter: call('gt', PRICE, lit(8, 'int32')), sql: 'price > 8', groups: [8, 9] },
    { name: 'literal on the left: 9.985 < decimal', filter: call('lt', lit(9985, 'decimal(4,3)'), PRICE), sql: 'price > 9.985', groups: [9] },
    { name: 'decimal IN (0.50, 9.99)', filter: { k: 'in', e: PRICE, list: [50, 999], neg: false, type: 'boolean' }, sql: 'price IN (0.50, 9.99)', groups: [0, 9] },
    { name: 'CAST(decimal AS DOUBLE) >= 3.0 (a double comparison, pushed with a margin)', filter: call('ge', { k: 'cast', e: PRICE, type: 'float64' }, lit(3, 'float64')), sql: 'price::DOUBLE >= 3.0', groups: [3, 4, 5, 6, 7, 8, 9] },
    { name: 'a decimal column read as DOUBLE < 0.5', filter: call('lt', col(1, 'float64'), lit(0.5, 'float64')), sql: 'price::DOUBLE < 0.5', groups: [0], nanFile: [0, 1] },
    { name: 'bigint > 2^53', filter: call('gt', col(2, 'int64'), lit(P53, 'int64')), sql: `big > ${P53}`, groups: [5, 6, 7, 8, 9] },
    { name: 'bigint = 2^53 − 1', filter: call('eq', col(2, 'int64'), lit(P53 - 1n, 'int64')), sql: `big = ${P53 - 1n}`, groups: [4] },
    { name: 'bigint >= 2^53 + 100', filter: call('ge', col(2, 'int64'), lit(P53 + 100n, 'int64')), sql: `big >= ${P53 + 100n}`, groups: [6, 7, 8, 9] },
    { name: 'timestamp >= TS0 + 250 µs', filter: call('ge', col(3, 'timestamp'), lit(Number(TS0) + 250, 'timestamp')), sql: `ts >= TIMESTAMP '2024-01-01 00:00:00.00025'`, groups: [2, 3, 4, 5, 6, 7, 8, 9] },
    { name: 'timestamp < TS0 + 100 µs', filter: call('lt', col(3, 'timestamp'), lit(Number(TS0) + 100, 'timestamp')), sql: `ts < TIMESTAMP '2024-01-01 00:00:00.0001'`, groups: [0], nanFile: [0, 1] },
    { name: 'double > 95 (the file without NaN prunes its row groups)', filter: call('gt', col(4, 'float64'), lit(95, 'float64')), sql: 'd > 95', groups: [9], nanFile: [0, 1] },
    { name: 'double > 200: only NaN qualifies', filter: call('gt', col(4, 'float64'), lit(200, 'float64')), sql: 'd > 200', groups: [], nanFile: [0, 1] },
    { name: 'double < 4.5: NaN never below', filter: call('lt', col(4, 'float64'), lit(4.5, 'float64')), sql: 'd < 4.5', groups: [0], nanFile: [0] },
    { name: 'comparison with NULL', filter: call('eq', PRICE, lit(null as never, 'decimal(15,2)')), sql: 'false', groups: [] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const source = CatalogTableSource.open('db.rg', t);
      const tasks = (await source.planScan({ columns: COLS, filters: [c.filter as never] })) as IcebergScanTask[];
      const groupsOf = (p: string): number[] => tasks.flatMap((x) => x.files).filter((s) => localPath(s.filePath) === p).flatMap((s) => s.rowGroups ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).sort((a, b) => a - b);
      expect(groupsOf(paths[0]!), 'row groups read').toEqual(c.groups);
      expect(groupsOf(paths[1]!), 'row groups of the NaN file').toEqual(c.nanFile ?? []);
      // Every row DuckDB matches lies in a row group that is read.
      const oracle = await duck(paths, c.sql);
      for (const id of oracle.ids.map(Number)) {
        if (id < N) expect(c.groups, `row ${id}`).toContain(Math.floor(id / GROUP));
        else expect(c.nanFile ?? [], `row ${id}`).toContain(Math.floor((id - N) / 5));
      }
    });
  }
});

describe('SQL end to end: pruned answers equal DuckDB over the same files', () => {
  let paths: string[];
  let engine: Engine;
  beforeAll(async () => {
    const t = await wh.createTable('db.e2e', [
      { name: 'id', type: 'long', required: true },
      { name: 'price', type: 'decimal(15,2)' },
      { name: 'big', type: 'long' },
      { name: 'ts', type: 'timestamp' },
      { name: 'd', type: 'double' },
      { name: 'dt', type: 'date' },
      { name: 's', type: 'string' },
    ]);
    const strs = ['a', 'b', '\uE000', '\uFFFF', '😀', '😀x'];
    paths = await appendFiles(t, strs.map((s, f) => [0, 1].map((k) => ({
      id: BigInt(2 * f + k), price: BigInt(100 * f + k), big: P53 - 2n + BigInt(f), ts: TS0 + BigInt(f),
      d: f === 5 && k === 0 ? Number.NaN : f + 0.5, dt: 19723 + f, s,
    }))));
    engine = await Engine.open({ warehouse: dir, threads: 1 });
  });
  afterAll(async () => {
    await engine?.close();
  });

  /** Files the engine's scan of `sql` reads (after pruning). */
  async function filesRead(sql: string): Promise<number> {
    let p = (await engine.sql(sql).plan()) as unknown as { op: string; input?: unknown; source?: CatalogTableSource; columns?: string[]; filters?: unknown[] };
    while (p.op !== 'scan') p = p.input as typeof p;
    const tasks = (await p.source!.planScan({ columns: p.columns!, filters: p.filters as never })) as IcebergScanTask[];
    return tasks.reduce((n, x) => n + x.files.length, 0);
  }

  const cases: Array<[where: string, files: number]> = [
    ['price < 1.005', 2],
    ['price >= 5.01', 1],
    ['price = 2', 1],
    ['price IN (1.00, 3.01)', 2],
    ['CAST(price AS DOUBLE) < 1.5', 2],
    [`big > ${P53}`, 3],
    [`big = ${P53 + 1n}`, 1],
    ['d > 3.0', 3],
    ['d > 1e308', 1],
    ["s < '\uFFFF'", 3],
    ["s > '\uFFFF'", 2],
    ["ts > TIMESTAMP '2024-01-01 00:00:00.000003'", 2],
    ["dt >= TIMESTAMP '2024-01-03 00:00:01'", 3],
  ];
  it('nanosecond timestamps (read as µs, floored), uuid, time and binary columns', async () => {
    const t = await wh.createTable('db.other', [
      { name: 'id', type: 'long', required: true }, { name: 'tns', type: 'timestamp_ns' }, { name: 'u', type: 'uuid' }, { name: 'tm', type: 'time' }, { name: 'bin', type: 'binary' },
    ], { formatVersion: 3 });
    const U = ['00000000-0000-0000-0000-000000000001', 'ffffffff-0000-0000-0000-000000000001'];
    // File 0: 1500 and 1501 ns (both read as 1 µs); file 1: 11500 and 11501 ns.
    await appendFiles(t, [0, 1].map((f) => [0, 1].map((k) => ({ id: BigInt(2 * f + k), tns: BigInt(1500 + 10_000 * f + k), u: U[f]!, tm: BigInt(1_000_000 * f + k), bin: Uint8Array.of(200 * f, k) }))));
    const q = async (cond: string): Promise<[number[], number]> => {
      const sql = `SELECT id FROM db.other WHERE ${cond} ORDER BY id`;
      return [(await engine.sql(sql).toArray()).map((r) => Number(r['id'])), await filesRead(sql)];
    };
    // An exact comparison in nanoseconds would skip file 0 here: 1500 ns ≠ 1000 ns.
    expect(await q("tns = TIMESTAMP '1970-01-01 00:00:00.000001'")).toEqual([[0, 1], 1]);
    expect(await q("tns < TIMESTAMP '1970-01-01 00:00:00.000002'")).toEqual([[0, 1], 1]);
    expect(await q("tns >= TIMESTAMP '1970-01-01 00:00:00.000011'")).toEqual([[2, 3], 1]);
    expect(await q("u = 'ffffffff-0000-0000-0000-000000000001'")).toEqual([[2, 3], 1]);
    expect(await q("tm >= TIME '00:00:01'")).toEqual([[2, 3], 1]);
    expect(await q("bin > '\\x01'::BLOB")).toEqual([[2, 3], 1]);
  }, 60_000);

  for (const [cond, files] of cases) {
    it(`WHERE ${cond}`, async () => {
      const sql = `SELECT id FROM db.e2e WHERE ${cond} ORDER BY id`;
      const rows = await engine.sql(sql).toArray();
      expect(rows.map((r) => String(r['id']))).toEqual((await duck(paths, cond)).ids);
      expect(await filesRead(sql), 'files read').toBe(files);
    }, 30_000);
  }
});

describe('property: random literals never prune a file holding a match', () => {
  it('holds for decimals of any scale, int64 around 2^53 and strings around U+FFFF (seeded)', async () => {
    const t = await wh.createTable('db.prop', [
      { name: 'id', type: 'long', required: true }, { name: 'price', type: 'decimal(9,2)' }, { name: 'big', type: 'long' }, { name: 's', type: 'string' },
    ]);
    const CHARS = ['a', 'z', '\uE000', '\uFFFF', '😀', '𝄞'];
    const rnd = fc.sample(fc.tuple(fc.integer({ min: -3000, max: 3000 }), fc.integer({ min: -40, max: 40 }), fc.array(fc.constantFrom(...CHARS), { maxLength: 3 })), { numRuns: 8 * 12, seed: 13 });
    // Eight files whose rows share a neighbourhood (so bounds are narrow and pruning has work).
    const files: Row[][] = Array.from({ length: 8 }, (_, f) => rnd.slice(f * 12, f * 12 + 12).map(([p, b, cs], k) => ({
      id: BigInt(f * 100 + k), price: BigInt(f * 2000 - 8000 + p), big: P53 + BigInt(f * 40 + b), s: CHARS[f % CHARS.length]! + cs.join(''),
    })));
    const paths = await appendFiles(t, files);
    const opSql = { lt: '<', lte: '<=', gt: '>', gte: '>=', eq: '=', neq: '<>' } as const;
    // Literals next to the files' own bounds (one unit of a finer scale off, or on them), where
    // an off-by-one in rounding would show, and anywhere in the range.
    const ends = (c: string): bigint[] => files.flatMap((rows) => {
      const v = rows.map((r) => r[c] as bigint).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return [v[0]!, v[v.length - 1]!];
    });
    const prices = ends('price');
    const bigs = ends('big');
    const fmt = (u: bigint, sc: number): string => {
      const digits = (u < 0n ? -u : u).toString().padStart(sc + 1, '0');
      return (u < 0n ? '-' : '') + (sc ? `${digits.slice(0, -sc)}.${digits.slice(-sc)}` : digits);
    };
    const leaf = fc.oneof(
      { arbitrary: fc.tuple(fc.constantFrom(...prices), fc.constantFrom(-5n, -1n, 0n, 1n, 5n)).map(([p, d]) => fmt(p * 10n + d, 3)), weight: 3 },
      { arbitrary: fc.tuple(fc.integer({ min: -12_000_000, max: 12_000_000 }), fc.integer({ min: 0, max: 4 })).map(([u, sc]) => fmt(BigInt(u), sc)), weight: 1 },
    ).map((text) => ({ column: 'price', value: text as unknown, sql: text }));
    const bigLeaf = fc.tuple(fc.constantFrom(...bigs), fc.constantFrom(-1n, 0n, 1n)).map(([b, d]) => ({ column: 'big', value: (b + d) as unknown, sql: String(b + d) }));
    const strLeaf = fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 3 }).map((cs) => ({ column: 's', value: cs.join('') as unknown, sql: `'${cs.join('')}'` }));
    const anyLeaf = fc.oneof(leaf, bigLeaf, strLeaf);
    let skipped = 0;
    await fc.assert(fc.asyncProperty(anyLeaf, fc.constantFrom('lt', 'lte', 'gt', 'gte', 'eq', 'neq') as fc.Arbitrary<keyof typeof opSql>, async (l, op) => {
      const plan = await t.scan({ filter: { op, column: l.column, value: l.value } });
      const kept = new Set(plan.tasks.map((x) => localPath(x.file.filePath)));
      skipped += paths.length - kept.size;
      for (const f of (await duck(paths, `${l.column} ${opSql[op]} ${l.sql}`)).files) expect(kept.has(f), `${l.column} ${op} ${l.sql}`).toBe(true);
    }), { numRuns: 300, seed: 42 });
    // Pruning was at work, not just switched off.
    expect(skipped).toBeGreaterThan(300);
  }, 90_000);
});
