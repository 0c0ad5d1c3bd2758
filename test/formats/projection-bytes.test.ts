/**
 * Ranged reads only: a 4-of-16-column projection of a multi-row-group file fetches less than
 * half of the file's bytes, and never the whole object in one read.
 */
import { describe, expect, it } from 'vitest';
import {
  openObjectStore,
  readParquet,
  readParquetMetadata,
  recordBatchFromRows,
  writeParquetFiles,
  type ByteRange,
  type ObjectStore,
  type Schema,
} from 'lakehouse-engine/connectors';
import { collect, columnValues, rng } from './fixtures.js';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: Array.from({ length: 16 }, (_, k) => ({
    id: 100 + k,
    name: `c${k}`,
    required: false,
    type: k % 4 === 0 ? 'long' : k % 4 === 1 ? 'double' : k % 4 === 2 ? 'string' : 'decimal(15,2)',
  })),
};

/** Wraps a store and counts the bytes and calls of every `get`. */
function counting(inner: ObjectStore): ObjectStore & { bytes: number; gets: ByteRange[] } {
  const s = Object.create(inner) as ObjectStore & { bytes: number; gets: ByteRange[] };
  s.bytes = 0;
  s.gets = [];
  s.get = async (key: string, range?: ByteRange) => {
    const b = await inner.get(key, range);
    s.bytes += b.byteLength;
    s.gets.push(range ?? { offset: 0, length: -1 });
    return b;
  };
  return s;
}

describe('projection fetches only the needed column chunks', () => {
  it('a 4-of-16 projection fetches less than half the bytes', async () => {
    const base = await openObjectStore(`memory://proj-bytes-${Date.now()}`);
    const r = rng(5);
    const rows = Array.from({ length: 20_000 }, (_, n) => {
      const row: Record<string, bigint | number | string> = {};
      schema.fields.forEach((f, k) => {
        row[f.name] = k % 4 === 0 ? BigInt(n * 31 + k) : k % 4 === 1 ? r() * 1e6 : k % 4 === 2 ? `s${Math.floor(r() * 1e9)}-${k}` : BigInt(Math.floor(r() * 1e9));
      });
      return row;
    });
    const [file] = await writeParquetFiles(base, () => 'p.parquet', [recordBatchFromRows(schema, rows)], { schema, rowGroupSize: 4000 });
    const size = file!.stats.fileSizeInBytes;
    const md = await readParquetMetadata(base, 'p.parquet');
    expect(md.rowGroups.length).toBe(5);

    const store = counting(base);
    const picked = [100, 105, 110, 115];
    const batches = await collect(readParquet(store, 'p.parquet', { fieldIds: picked }));
    expect(batches[0]!.schema.fields.map((f) => f.name)).toEqual(['c0', 'c5', 'c10', 'c15']);
    expect(columnValues(batches, 'c10')).toEqual(rows.map((x) => x['c10']));
    expect(columnValues(batches, 'c0')).toEqual(rows.map((x) => x['c0']));
    expect(store.bytes).toBeLessThan(size / 2);
    // Every read is a ranged read; none is the whole object.
    for (const g of store.gets) expect('suffix' in g || (g.length > 0 && g.length < size)).toBe(true);
    // The bytes fetched are about the projected chunks plus the footer, not much more.
    let chunkBytes = 0;
    for (const rg of md.rowGroups) for (const id of picked) chunkBytes += rg.columnsById.get(id)!.length;
    expect(store.bytes).toBeLessThan(chunkBytes + 64 * 1024 + md.footerLength + 16 + 4096);
  });
});
