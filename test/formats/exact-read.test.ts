/**
 * The read path keeps other writers' values exact (issue #13, Build 1–3, read side): Parquet
 * files written by DuckDB with DECIMAL(10,2), DECIMAL(38,10), DECIMAL(38,0), BIGINT to ±2^63,
 * UBIGINT, HUGEINT, DOUBLE with NaN/±Infinity/−0, TIMESTAMP_NS/_MS/_S, timestamps far from 1970,
 * BLOB, UUID, TIME and dates are read through the engine (`SELECT *`, a plain Parquet table) and
 * every value is compared with DuckDB's own reading of the same file, as exact text.
 * Also: UINT64 values ≥ 2^63 and INTERVAL columns are refused with coded errors naming the
 * column, and Arrow Decimal256 columns (which DuckDB cannot write) are read exactly.
 *
 * The files are served from a `memory://` store, so the scan runs on the coordinator thread:
 * this suite checks the read path (Arrow → vectors) on its own, not the worker replies.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { isLakehouseError, openObjectStore, type ObjectStore } from 'lakehouse-engine/connectors';
import { Engine, MemoryTableSource, ParquetFilesSource, type DataType } from 'lakehouse-engine/engine';
import { canonicalRows, CREATE, decimalText, ENGINE_TYPES, EXPECT, ROWS } from './exact-fixture.js';

let dir: string;
let db: DuckDBInstance;
let duck: DuckDBConnection;
let store: ObjectStore;
let engine: Engine;

async function duckRows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
}

/** Writes a DuckDB query to a Parquet file and puts it in the memory store under `name`. */
async function duckFile(name: string, select: string): Promise<void> {
  const path = join(dir, name);
  await duck.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
  await store.put(name, readFileSync(path));
}

async function engineRows(sql: string): Promise<{ names: string[]; types: DataType[]; rows: unknown[][] }> {
  const { schema, rows } = await engine.sql(sql).openRows();
  const out: unknown[][] = [];
  for await (const part of rows) out.push(...part);
  return { names: schema.map((f) => f.name), types: schema.map((f) => f.type), rows: out };
}

async function refusal(p: Promise<unknown>): Promise<Error & { code?: string }> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected an error').toBeInstanceOf(Error);
  return err as Error & { code?: string };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-exact-read-'));
  db = await DuckDBInstance.create(':memory:');
  duck = await db.connect();
  await duck.run(CREATE);
  store = await openObjectStore(`memory://exact-read-${process.pid}`);
  await duckFile('exact.parquet', 'SELECT * FROM t ORDER BY g');
  await duckFile('ubig.parquet', "SELECT g, CASE WHEN g = 5 THEN 18446744073709551615 ELSE g END::UBIGINT AS ub FROM range(10) r(g)");
  await duckFile('interval.parquet', 'SELECT g, INTERVAL (g) DAY AS iv FROM range(10) r(g)');
  engine = await Engine.open({ warehouse: `memory://exact-read-wh-${process.pid}`, threads: 1 });
  engine.registerTable('exact', await ParquetFilesSource.open(store, ['exact.parquet']));
  engine.registerTable('ubig', await ParquetFilesSource.open(store, ['ubig.parquet']));
  engine.registerTable('iv', await ParquetFilesSource.open(store, ['interval.parquet']));
}, 60_000);

afterAll(async () => {
  await engine?.close();
  duck?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('DuckDB-written Parquet read exactly (compared with DuckDB reading the same file)', () => {
  it('maps every column to its engine type', async () => {
    const { names, types } = await engineRows('SELECT * FROM exact LIMIT 1');
    expect(Object.fromEntries(names.map((n, i) => [n, types[i]]))).toEqual(ENGINE_TYPES);
  });

  it('SELECT * returns DuckDB\'s values, exact to the last digit', async () => {
    const { names, rows } = await engineRows('SELECT * FROM exact');
    const expected = await duckRows(`${EXPECT} FROM '${join(dir, 'exact.parquet')}'`);
    expect(rows.length).toBe(ROWS);
    const { got, want } = canonicalRows(names, rows, expected);
    // Column by column, so a failure names the column.
    for (const n of names) expect(got.map((r) => r[n]), `column ${n}`).toEqual(want.map((r) => r[n]));
    // The edge values really are there (not all nulls): beyond 2^53 and at the ends of int64.
    expect(got[1]!['big']).toBe('9223372036854775807');
    expect(got[2]!['big']).toBe('-9223372036854775808');
    expect(got[1]!['d38']).toBe('9999999999999999999999999999.9999999999');
    expect(got[1]!['d380']).toBe('99999999999999999999999999999999999999');
    expect(got[1]!['ub']).toBe('9223372036854775807');
    expect(got.filter((r) => r['dbl'] === 'NaN').length).toBeGreaterThan(100);
    expect(got.some((r) => r['dbl'] === '-Infinity')).toBe(true);
    expect(got[2]!['bl']).toBe('00FF80819F7F');
  }, 60_000);

  it('nanoseconds are truncated to microseconds by floor division, before 1970 too', async () => {
    await duckFile('ns.parquet', `SELECT * FROM (VALUES (1, make_timestamp_ns(-500)), (2, make_timestamp_ns(1577836800123456789)), (3, make_timestamp_ns(-1001))) v(k, ts)`);
    engine.registerTable('ns', await ParquetFilesSource.open(store, ['ns.parquet']));
    const { rows } = await engineRows('SELECT k, ts FROM ns');
    expect(rows.map((r) => [Number(r[0]), String(r[1])])).toEqual([[1, '-1'], [2, '1577836800123456'], [3, '-2']]);
  });

  it('an unsigned 64-bit value ≥ 2^63 is a CONVERSION_ERROR naming the column and suggesting DECIMAL(20,0)', async () => {
    const err = await refusal(engineRows('SELECT * FROM ubig'));
    expect(isLakehouseError(err, 'CONVERSION_ERROR'), String(err)).toBe(true);
    expect(err.message).toContain('"ub"');
    expect(err.message).toContain('18446744073709551615');
    expect((err as { help?: string }).help).toContain('DECIMAL(20,0)');
    // The values that fit are read.
    const { rows } = await engineRows('SELECT g FROM ubig');
    expect(rows.length).toBe(10);
  });

  it('an INTERVAL column is refused by name; the other columns are read', async () => {
    const err = await refusal(engineRows('SELECT * FROM iv'));
    expect(isLakehouseError(err, 'UNSUPPORTED'), String(err)).toBe(true);
    expect(err.message).toContain('not supported yet: INTERVAL column "iv"');
    const { rows } = await engineRows('SELECT g FROM iv');
    expect(rows.map((r) => Number(r[0])).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('Arrow decimals of 256 bits', () => {
  /** Decimal256 words (8 little-endian uint32 per value) for BigInts. */
  function decimal256(values: Array<bigint | null>, precision: number, scale: number): arrow.Data {
    const words = new Uint32Array(values.length * 8);
    const valid = new Uint8Array(Math.ceil(values.length / 8));
    values.forEach((v, i) => {
      if (v === null) return;
      valid[i >> 3]! |= 1 << (i & 7);
      let x = BigInt.asUintN(256, v);
      for (let w = 0; w < 8; w++) { words[i * 8 + w] = Number(x & 0xffffffffn); x >>= 32n; }
    });
    const nulls = values.filter((v) => v === null).length;
    return arrow.makeData({ type: new arrow.Decimal(scale, precision, 256), length: values.length, nullCount: nulls, nullBitmap: valid, data: words });
  }

  function table(data: arrow.Data): arrow.Table {
    const field = new arrow.Field('x', data.type, true);
    const struct = arrow.makeData({ type: new arrow.Struct([field]), length: data.length, nullCount: 0, children: [data] });
    return new arrow.Table([new arrow.RecordBatch(new arrow.Schema([field]), struct)]);
  }

  it('reads narrow and 38-digit values exactly, with nulls and negatives', async () => {
    const vals = [12345n, -1n, null, 10n ** 37n + 7n, -(10n ** 38n - 1n), 2n ** 53n, -(2n ** 53n) + 1n];
    engine.registerTable('d256', new MemoryTableSource(table(decimal256(vals, 38, 4))));
    const { types, rows } = await engineRows('SELECT x FROM d256');
    expect(types).toEqual(['decimal(38,4)']);
    // Rows give decimals as their exact text.
    expect(rows.map((r) => (r[0] === null ? null : typeof r[0] === 'string' ? r[0] : decimalText(r[0] as bigint, 4)))).toEqual(vals.map((v) => (v === null ? null : decimalText(v, 4))));
  });

  it('a decimal wider than 38 digits is refused by name', async () => {
    engine.registerTable('d256w', new MemoryTableSource(table(decimal256([1n], 60, 2))));
    const err = await refusal(engineRows('SELECT x FROM d256w'));
    expect(isLakehouseError(err, 'UNSUPPORTED'), String(err)).toBe(true);
    expect(err.message).toContain('"x"');
  });

  it('a file decimal may only widen its precision into the table type: the scale must match', async () => {
    // The read path's own module (not a public entry): the check every scan goes through.
    const mod = await import(new URL('../../dist/engine/compute/arrow-in.js', import.meta.url).href) as {
      dataToVec(d: arrow.Data, type: DataType, name: string): { t: string; values: ArrayLike<number | bigint> };
    };
    const data = decimal256([150n, -5n], 10, 2);
    const widened = mod.dataToVec(data, 'decimal(12,2)', 'price');
    expect(Array.from(widened.values, Number)).toEqual([150, -5]);
    for (const other of ['decimal(12,3)', 'decimal(9,2)', 'decimal(12,1)'] as DataType[]) {
      let err: unknown;
      try { mod.dataToVec(data, other, 'price'); } catch (e) { err = e; }
      expect(isLakehouseError(err, 'SCHEMA_MISMATCH'), `${other}: ${String(err)}`).toBe(true);
      expect(String((err as Error).message)).toContain('"price"');
    }
  });
});
