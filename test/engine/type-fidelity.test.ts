/**
 * Type fidelity of ingest (issue #13, Build 3): what `engine.ingest` (= `lake ingest`) does with
 * other writers' types.
 *
 * - Parquet written by DuckDB: a created table gets the Iceberg type the spec maps each Parquet
 *   type to (DECIMAL(P,S) → decimal(P,S), UBIGINT → long, TIMESTAMP_NS → timestamp, BLOB →
 *   binary, UUID → uuid, TIME → time), and `SELECT *` over the table returns DuckDB's reading of
 *   the source file, value for value, as exact text.
 * - Columns the engine cannot hold are refused before anything is written, naming the column:
 *   INTERVAL ("not supported yet: INTERVAL column x", not "a bare NULL"), UBIGINT ≥ 2^63
 *   (CONVERSION_ERROR suggesting DECIMAL(20,0)); the refused ingest leaves no table and no file.
 * - CSV/NDJSON into decimal columns parse exactly (half away from zero, as DuckDB's cast) and a
 *   bad value is a BAD_RECORD naming the line and the column.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { isLakehouseError, openObjectStore, readCsv, readNdjson, type Schema } from 'lakehouse-engine/connectors';
import { Warehouse } from 'lakehouse-engine/catalog';
import { Engine } from 'lakehouse-engine/engine';
import { canonicalRows, CREATE, EXPECT, ROWS } from '../formats/exact-fixture.js';

let dir: string;
let wh: string;
let db: DuckDBInstance;
let duck: DuckDBConnection;
let engine: Engine;

async function duckFile(name: string, select: string): Promise<string> {
  const path = join(dir, name);
  await duck.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
  return path;
}

async function duckRows(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
}

async function refusal(p: Promise<unknown>): Promise<Error & { code?: string; help?: string }> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected an error').toBeInstanceOf(Error);
  return err as Error & { code?: string; help?: string };
}

/** Every file under a directory (recursively). */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try { names = readdirSync(d); } catch { return; }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(root);
  return out;
}

async function icebergTypes(table: string): Promise<Record<string, unknown>> {
  const w = await Warehouse.open(wh);
  try {
    const t = await w.loadTable(table);
    return Object.fromEntries(t.schema().fields.map((f) => [f.name, f.type]));
  } finally {
    await w.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-type-fidelity-'));
  wh = join(dir, 'wh');
  db = await DuckDBInstance.create(':memory:');
  duck = await db.connect();
  engine = await Engine.open({ warehouse: wh, threads: 1 });
}, 60_000);

afterAll(async () => {
  await engine?.close();
  duck?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('ingest of DuckDB-written Parquet', () => {
  it('every type maps to its Iceberg type, and SELECT * returns DuckDB\'s reading of the file exactly', async () => {
    await duck.run(CREATE);
    const file = await duckFile('exact.parquet', 'SELECT * FROM t');
    const res = await engine.ingest('f.exact', [file], { create: true });
    expect(res.rowsWritten).toBe(ROWS);
    expect(await icebergTypes('f.exact')).toEqual({
      g: 'long', d10: 'decimal(10,2)', d38: 'decimal(38,10)', d380: 'decimal(38,0)', big: 'long', ub: 'long',
      hi: 'double', dbl: 'double', tns: 'timestamp', ts_old: 'timestamp', ts_ms: 'timestamp', ts_s: 'timestamp',
      tstz: 'timestamptz', bl: 'binary', u: 'uuid', tm: 'time', dt: 'date',
    });
    const { schema, rows } = await engine.sql('SELECT * FROM f.exact').openRows();
    const all: unknown[][] = [];
    for await (const part of rows) all.push(...part);
    const names = schema.map((f) => f.name);
    const { got, want } = canonicalRows(names, all, await duckRows(`${EXPECT} FROM '${file}'`));
    expect(got.length).toBe(ROWS);
    for (const n of names) expect(got.map((r) => r[n]), `column ${n}`).toEqual(want.map((r) => r[n]));
    expect(got[1]!['big']).toBe('9223372036854775807');
    expect(got[1]!['d38']).toBe('9999999999999999999999999999.9999999999');
  }, 90_000);

  it('doubles keep NaN, ±Infinity and −0; nanosecond timestamps are truncated by floor', async () => {
    const file = await duckFile('dbl.parquet', `SELECT g, CASE g % 5 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE
      WHEN 3 THEN NULL ELSE g / 8 END AS x, make_timestamp_ns(g * 1234567891 - 3000000000) AS tns FROM range(50) r(g)`);
    await engine.ingest('f.dbl', [file], { create: true });
    expect(await icebergTypes('f.dbl')).toEqual({ g: 'long', x: 'double', tns: 'timestamp' });
    const { rows } = await engine.sql('SELECT g, x, tns FROM f.dbl').openRows();
    const got: unknown[][] = [];
    for await (const part of rows) got.push(...part);
    got.sort((a, b) => Number(a[0]) - Number(b[0]));
    const want = await duckRows(`SELECT g::VARCHAR g, x, epoch_ns(tns)::VARCHAR tns FROM '${file}' ORDER BY 1::INT`);
    want.sort((a, b) => Number(a['g']) - Number(b['g']));
    const text = (x: unknown): string | null => (x === null ? null : typeof x === 'string' ? x : Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : String(x));
    expect(got.map((r) => text(r[1]))).toEqual(want.map((r) => text(r['x'])));
    const floorDiv = (a: bigint, d: bigint): bigint => (a % d < 0n ? a / d - 1n : a / d);
    expect(got.map((r) => String(r[2]))).toEqual(want.map((r) => String(floorDiv(BigInt(r['tns'] as string), 1000n))));
    expect(got.filter((r) => Number.isNaN(r[1])).length).toBe(10);
  }, 60_000);

  it('an INTERVAL column is refused by name before anything is written', async () => {
    const file = await duckFile('iv.parquet', 'SELECT g, INTERVAL (g) HOUR AS wait FROM range(5) r(g)');
    const before = filesUnder(wh).length;
    const err = await refusal(engine.ingest('f.iv', [file], { create: true }));
    expect(isLakehouseError(err, 'UNSUPPORTED'), String(err)).toBe(true);
    expect(err.message).toContain('not supported yet: INTERVAL column "wait"');
    expect(err.message).not.toContain('bare NULL');
    expect(await (await Warehouse.open(wh)).tableExists('f.iv')).toBe(false);
    expect(filesUnder(wh).length).toBe(before);
  });

  it('UBIGINT values that fit are a long column; one ≥ 2^63 is refused naming the column, leaving nothing behind', async () => {
    const ok = await duckFile('ub-ok.parquet', `SELECT (g * 1000000007)::UBIGINT AS id FROM range(20) r(g)`);
    await engine.ingest('f.ub', [ok], { create: true });
    expect(await icebergTypes('f.ub')).toEqual({ id: 'long' });
    const got = (await engine.sql('SELECT id FROM f.ub').toArray()).map((r) => Number(r['id'])).sort((a, b) => a - b);
    expect(got).toEqual(Array.from({ length: 20 }, (_, g) => g * 1000000007));
    const bad = await duckFile('ub-bad.parquet', `SELECT CASE WHEN g = 7 THEN 18446744073709551615 ELSE g END::UBIGINT AS id FROM range(20) r(g)`);
    // The good file goes first (its task finishes and writes a data file), then the bad one fails.
    const before = filesUnder(join(wh, 'f', 'ub')).sort();
    const err = await refusal(engine.ingest('f.ub', [ok, bad]));
    expect(isLakehouseError(err, 'CONVERSION_ERROR'), String(err)).toBe(true);
    expect(err.message).toContain('"id"');
    expect(err.help).toContain('DECIMAL(20,0)');
    expect(filesUnder(join(wh, 'f', 'ub')).sort()).toEqual(before);
    expect((await engine.sql('SELECT count(*) AS n FROM f.ub').toArray())[0]!['n']).toBe(20);
  }, 60_000);
});

describe('CSV and NDJSON into decimal columns', () => {
  it('lake ingest of CSV and NDJSON into a decimal table: exact values as DuckDB casts them; a bad value names line and column and writes nothing', async () => {
    const seed = await duckFile('dec-seed.parquet', "SELECT 0 AS id, 0.00::DECIMAL(10,2) AS price, 0::DECIMAL(38,10) AS wide");
    await engine.ingest('f.dec', [seed], { create: true });
    expect(await icebergTypes('f.dec')).toEqual({ id: 'int', price: 'decimal(10,2)', wide: 'decimal(38,10)' });
    const texts = ['1.255', '-1.255', '0.005', '-99999999.99', '1e2', '12'];
    const wides = ['1234567890123456789012345678.0123456789', '-0.00000000005', '3.14159265358979323846', '-9999999999999999999999999999.9999999999', '0', '7e-10'];
    writeFileSync(join(dir, 'dec.csv'), `id,price,wide\n${texts.map((t, i) => `${i + 1},${t},${wides[i]}`).join('\n')}\n`);
    writeFileSync(join(dir, 'dec.ndjson'), texts.map((t, i) => JSON.stringify({ id: i + 11, price: t, wide: wides[i] })).join('\n') + '\n');
    await engine.ingest('f.dec', [join(dir, 'dec.csv'), join(dir, 'dec.ndjson')]);
    const got = (await engine.sql('SELECT id, price, wide FROM f.dec WHERE id > 0').toArray())
      .sort((a, b) => Number(a['id']) - Number(b['id'])).map((r) => [String(r['price']), String(r['wide'])]);
    const cast = await duckRows(`SELECT ${texts.map((t, i) => `'${t}'::DECIMAL(10,2)::VARCHAR AS p${i}, '${wides[i]}'::DECIMAL(38,10)::VARCHAR AS w${i}`).join(', ')}`);
    const want = texts.map((_, i) => [String(cast[0]![`p${i}`]), String(cast[0]![`w${i}`])]);
    expect(got).toEqual([...want, ...want]);

    writeFileSync(join(dir, 'dec-bad.csv'), 'id,price,wide\n100,1.00,1\n101,123456789.00,1\n');
    const before = filesUnder(join(wh, 'f', 'dec')).sort();
    const err = await refusal(engine.ingest('f.dec', [join(dir, 'dec.csv'), join(dir, 'dec-bad.csv')]));
    expect(isLakehouseError(err, 'BAD_RECORD'), String(err)).toBe(true);
    expect(err.message).toMatch(/dec-bad\.csv line 3: .*"price"/);
    expect(filesUnder(join(wh, 'f', 'dec')).sort()).toEqual(before);
    expect((await engine.sql('SELECT count(*) AS n FROM f.dec').toArray())[0]!['n']).toBe(13);
  }, 90_000);

  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: false, type: 'int' },
      { id: 2, name: 'price', required: false, type: 'decimal(10,2)' },
      { id: 3, name: 'wide', required: false, type: 'decimal(38,10)' },
    ],
  };

  async function values(batches: AsyncIterable<{ getChild(n: string): { get(i: number): unknown; length: number } | null }>, col: string): Promise<Array<string | null>> {
    const out: Array<string | null> = [];
    for await (const b of batches) {
      const v = b.getChild(col)!;
      for (let i = 0; i < v.length; i++) {
        const x = v.get(i) as { toString(): string } | null;
        out.push(x === null ? null : x.toString());
      }
    }
    return out;
  }

  it('parses exactly, rounding half away from zero as DuckDB casts text', async () => {
    const texts = ['1.255', '-1.255', '0.005', '-0.004', '99999999.99', '1e2', '.5', '12'];
    const rows = texts.map((t, i) => `${i},${t},${i === 0 ? '1234567890123456789012345678.0123456789' : t}`);
    writeFileSync(join(dir, 'dec.csv'), `id,price,wide\n${rows.join('\n')}\n`);
    const store = await openObjectStore(dir);
    const want = await duckRows(`SELECT ${texts.map((t, i) => `'${t}'::DECIMAL(10,2)::VARCHAR AS c${i}`).join(', ')}`);
    const got = await values(readCsv(store, 'dec.csv', { schema }) as never, 'price');
    // Arrow's Decimal128 text is the unscaled integer; compare unscaled values.
    const unscaled = (s: string): string => BigInt(s.replace('.', '')).toString();
    expect(got).toEqual(texts.map((_, i) => unscaled(String(want[0]![`c${i}`]))));
    const wide = await values(readCsv(store, 'dec.csv', { schema }) as never, 'wide');
    expect(wide[0]).toBe('12345678901234567890123456780123456789');
    await store.close();
  });

  it('a value beyond the precision is a BAD_RECORD naming the line and the column', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'id,price,wide\n1,1.50,1\n2,123456789.00,2\n');
    const store = await openObjectStore(dir);
    const err = await refusal(values(readCsv(store, 'bad.csv', { schema }) as never, 'price'));
    expect(isLakehouseError(err, 'BAD_RECORD'), String(err)).toBe(true);
    expect(err.message).toContain('line 3');
    expect(err.message).toContain('"price"');
    writeFileSync(join(dir, 'bad2.csv'), 'id,price,wide\n1,abc,1\n');
    const err2 = await refusal(values(readCsv(store, 'bad2.csv', { schema }) as never, 'price'));
    expect(isLakehouseError(err2, 'BAD_RECORD')).toBe(true);
    expect(err2.message).toContain('line 2');
    await store.close();
  });

  it('NDJSON: quoted decimals are exact; a JSON number that lost digits is refused', async () => {
    writeFileSync(join(dir, 'dec.ndjson'), '{"id":1,"price":"12.345","wide":"-0.00000000005"}\n{"id":2,"price":0.1,"wide":2.5}\n');
    const store = await openObjectStore(dir);
    expect(await values(readNdjson(store, 'dec.ndjson', { schema }) as never, 'price')).toEqual(['1235', '10']);
    expect(await values(readNdjson(store, 'dec.ndjson', { schema }) as never, 'wide')).toEqual(['-1', '25000000000']);
    writeFileSync(join(dir, 'lost.ndjson'), '{"id":1,"price":1,"wide":12345678901234567.891}\n');
    const err = await refusal(values(readNdjson(store, 'lost.ndjson', { schema }) as never, 'wide'));
    expect(isLakehouseError(err, 'BAD_RECORD'), String(err)).toBe(true);
    expect(err.message).toContain('"wide"');
    await store.close();
  });
});
