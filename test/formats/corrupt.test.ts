/**
 * Truncated or corrupt Parquet gives a LakehouseError (CORRUPT_FILE) naming the object and the
 * problem — never a crash, a hang, or a read with the wrong number of rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  isLakehouseError,
  openObjectStore,
  readParquet,
  readParquetMetadata,
  recordBatchFromRows,
  writeParquetFiles,
  type ObjectStore,
} from 'lakehouse-engine/connectors';
import { allTypesRows, allTypesSchema, collect, rng } from './fixtures.js';

let store: ObjectStore;
let good: Uint8Array;
const rows = allTypesRows(1500, 4);

async function readAll(key: string): Promise<number> {
  let n = 0;
  for await (const b of readParquet(store, key)) n += b.numRows;
  return n;
}

async function expectCorrupt(key: string, bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await store.put(key, bytes);
  const err = await readAll(key).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isLakehouseError(err, 'CORRUPT_FILE'), String(err)).toBe(true);
  const msg = (err as Error).message;
  expect(msg).toContain(store.uriFor(key));
  expect(msg).toMatch(pattern);
}

beforeAll(async () => {
  store = await openObjectStore(`memory://corrupt-${Date.now()}`);
  await writeParquetFiles(store, () => 'good.parquet', [recordBatchFromRows(allTypesSchema, rows)], { schema: allTypesSchema, rowGroupSize: 500 });
  good = await store.get('good.parquet');
});

describe('corrupt and truncated Parquet', () => {
  it('bad magic at the end', async () => {
    const b = good.slice();
    b.set([0x58, 0x58, 0x58, 0x58], b.length - 4);
    await expectCorrupt('bad-magic.parquet', b, /bad magic/);
  });

  it('footer length past the start of the file', async () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(b.length - 8, b.length, true);
    await expectCorrupt('long-footer.parquet', b, /footer length \d+ points past the start/);
  });

  it('truncated files', async () => {
    await expectCorrupt('trunc-tiny.parquet', good.slice(0, 7), /fewer than the 12/);
    await expectCorrupt('trunc-half.parquet', good.slice(0, Math.floor(good.length / 2)), /bad magic|footer/);
    // Footer intact but data cut: a copy whose data region is shorter than the chunks say.
    const md = await readParquetMetadata(store, 'good.parquet');
    const footer = good.slice(good.length - md.footerLength - 8);
    const keep = Math.floor((good.length - md.footerLength - 8) * 0.6);
    const cut = new Uint8Array(keep + footer.length);
    cut.set(good.subarray(0, keep));
    cut.set(footer, cut.length - footer.length);
    await expectCorrupt('trunc-data.parquet', cut, /lies outside the data region/);
  });

  it('garbage in the footer', async () => {
    const md = await readParquetMetadata(store, 'good.parquet');
    const b = good.slice();
    const start = b.length - 8 - md.footerLength;
    for (let i = start + 5; i < start + 60; i++) b[i] = 0xff;
    await expectCorrupt('bad-footer.parquet', b, /footer|schema|row group|column/);
  });

  it('a broken page header and broken page data', async () => {
    const md = await readParquetMetadata(store, 'good.parquet');
    const chunk = md.rowGroups[1]!.columns.get('s')!;
    const b = good.slice();
    b.fill(0xff, chunk.offset, chunk.offset + 12);
    await expectCorrupt('bad-page-header.parquet', b, /row group 1/);
    const c = good.slice();
    const l = md.rowGroups[2]!.columns.get('l')!;
    c.fill(0x5a, l.offset + Math.floor(l.length / 3), l.offset + l.length);
    await expectCorrupt('bad-page-data.parquet', c, /row group 2/);
  });

  it('random byte damage never crashes, hangs or changes the row count', async () => {
    const md = await readParquetMetadata(store, 'good.parquet');
    const r = rng(99);
    const dataEnd = good.length - md.footerLength - 8;
    let errors = 0;
    for (let k = 0; k < 40; k++) {
      const b = good.slice();
      const at = 4 + Math.floor(r() * (dataEnd - 4 - 16));
      for (let j = 0; j < 8; j++) b[at + j] = Math.floor(r() * 256);
      await store.put(`fuzz-${k}.parquet`, b);
      try {
        expect(await readAll(`fuzz-${k}.parquet`)).toBe(rows.length);
      } catch (err) {
        expect(isLakehouseError(err, 'CORRUPT_FILE'), String(err)).toBe(true);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
    // The decoder is still healthy afterwards.
    expect(await readAll('good.parquet')).toBe(rows.length);
  });

  it('nested columns fail with UNSUPPORTED unless projected away', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lake-nested-'));
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    await con.run(`COPY (SELECT range AS id, {'a': range, 'b': 'x'} AS st, [range, 1] AS li, MAP {'k': range} AS mp FROM range(10)) TO '${join(dir, 'n.parquet')}' (FORMAT parquet)`);
    con.closeSync();
    db.closeSync();
    const local = await openObjectStore(dir);
    try {
      for (const col of ['st', 'li', 'mp']) {
        const err = await collect(readParquet(local, 'n.parquet', { columns: ['id', col] })).then(() => undefined, (e: unknown) => e);
        expect(isLakehouseError(err, 'UNSUPPORTED'), String(err)).toBe(true);
        expect((err as Error).message).toContain(`"${col}"`);
      }
      const err = await collect(readParquet(local, 'n.parquet')).then(() => undefined, (e: unknown) => e);
      expect(isLakehouseError(err, 'UNSUPPORTED')).toBe(true);
      const ok = await collect(readParquet(local, 'n.parquet', { columns: ['id'] }));
      expect(ok.reduce((s, b) => s + b.numRows, 0)).toBe(10);
      const md = await readParquetMetadata(local, 'n.parquet');
      expect(md.columns.filter((c) => c.nested).map((c) => c.name)).toEqual(['st', 'li', 'mp']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
