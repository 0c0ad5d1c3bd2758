/**
 * Every Iceberg type through writer → store → reader, on every backend of the shared matrix,
 * with the data-file statistics checked against values computed here from the input rows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parquetMetadataAsync } from 'hyparquet';
import {
  decodeSingleValue,
  openObjectStore,
  readParquet,
  readParquetMetadata,
  recordBatchFromRows,
  writeParquetFiles,
  type PrimitiveType,
} from 'lakehouse-engine/connectors';
import { backends } from '../helpers/backends.js';
import { allTypesRows, allTypesSchema, collect, columnValues, norm, type Row, type Value } from './fixtures.js';

const rows = allTypesRows(300, 7);
const parts = [rows.slice(0, 50), rows.slice(50, 51), rows.slice(51)];

function cmp(type: string, a: Value, b: Value): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') {
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    return Buffer.compare(x, y);
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  throw new Error(`cannot compare ${type}`);
}

/** Expected Iceberg bounds for one column, computed from the rows (truncate(16) for strings/binary). */
function expectedBounds(name: string, type: string, data: Row[]): { lo?: Value; hi?: Value } {
  const vals = data.map((r) => r[name]!).filter((v) => v !== null && !(typeof v === 'number' && Number.isNaN(v)));
  if (vals.length === 0) return {};
  let lo = vals[0]!;
  let hi = vals[0]!;
  for (const v of vals) {
    if (cmp(type, v, lo) < 0) lo = v;
    if (cmp(type, v, hi) > 0) hi = v;
  }
  if (type === 'string') {
    const cl = Array.from(lo as string);
    const ch = Array.from(hi as string);
    lo = cl.slice(0, 16).join('');
    if (ch.length > 16) {
      const kept = ch.slice(0, 16);
      kept[15] = String.fromCodePoint(kept[15]!.codePointAt(0)! + 1);
      hi = kept.join('');
    }
  }
  if (type === 'binary') {
    lo = (lo as Uint8Array).slice(0, 16);
    const h = hi as Uint8Array;
    if (h.length > 16) {
      const t = h.slice(0, 16);
      let i = 15;
      while (i >= 0 && t[i] === 0xff) i--;
      if (i < 0) return { lo };
      t[i]! += 1;
      hi = t.slice(0, i + 1);
    }
  }
  return { lo, hi };
}

const matrix = backends();
afterAll(async () => {
  for (const b of matrix) await b.cleanup();
});

describe.each(matrix.map((b) => [b.name, b] as const))('Parquet round trip on %s', (_name, backend) => {
  it('returns every value of every type and correct Iceberg statistics', async () => {
    const store = await openObjectStore(await backend.freshUri('formats-rt'));
    const batches = parts.map((p) => recordBatchFromRows(allTypesSchema, p));
    const files = await writeParquetFiles(store, (i) => `data/rt-${i}.parquet`, batches, { schema: allTypesSchema, rowGroupSize: 64 });
    expect(files.map((f) => f.key)).toEqual(['data/rt-0.parquet']);
    const st = files[0]!.stats;
    const head = await store.head('data/rt-0.parquet');
    expect(st.fileSizeInBytes).toBe(head!.size);
    expect(st.recordCount).toBe(rows.length);

    // Field ids in the Parquet schema, checked with an independent footer parser (hyparquet).
    const bytes = await store.get('data/rt-0.parquet');
    const hmd = await parquetMetadataAsync(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const ids = Object.fromEntries(hmd.schema.slice(1).map((e) => [e.name, e.field_id]));
    expect(ids).toEqual(Object.fromEntries(allTypesSchema.fields.map((f) => [f.name, f.id])));
    expect(hmd.row_groups.length).toBe(Math.ceil(rows.length / 64));
    expect(st.splitOffsets.length).toBe(hmd.row_groups.length);
    expect(st.splitOffsets[0]).toBe(4);

    const read = await collect(readParquet(store, 'data/rt-0.parquet'));
    expect(read.reduce((s, b) => s + b.numRows, 0)).toBe(rows.length);
    for (const f of allTypesSchema.fields) {
      const got = columnValues(read, f.name, f.type === 'uuid').map(norm);
      expect(got, f.name).toEqual(rows.map((r) => norm(r[f.name]!)));
      const type = f.type as PrimitiveType;
      expect(st.valueCounts.get(f.id), `value count ${f.name}`).toBe(rows.length);
      expect(st.nullValueCounts.get(f.id), `null count ${f.name}`).toBe(rows.filter((r) => r[f.name] === null).length);
      expect(st.columnSizes.get(f.id), `column size ${f.name}`).toBeGreaterThan(0);
      if (type === 'float' || type === 'double') {
        expect(st.nanValueCounts.get(f.id)).toBe(rows.filter((r) => typeof r[f.name] === 'number' && Number.isNaN(r[f.name])).length);
      } else {
        expect(st.nanValueCounts.has(f.id)).toBe(false);
      }
      const { lo, hi } = expectedBounds(f.name, type, rows);
      const gotLo = st.lowerBounds.get(f.id);
      const gotHi = st.upperBounds.get(f.id);
      expect(gotLo === undefined ? undefined : norm(decodeSingleValue(type, gotLo) as Value), `lower ${f.name}`).toEqual(lo === undefined ? undefined : norm(lo));
      expect(gotHi === undefined ? undefined : norm(decodeSingleValue(type, gotHi) as Value), `upper ${f.name}`).toEqual(hi === undefined ? undefined : norm(hi));
    }
    await store.close();
  });

  it('rolls to a new file at the target size and keeps every row exactly once', async () => {
    const store = await openObjectStore(await backend.freshUri('formats-roll'));
    const many = allTypesRows(4000, 3);
    const batches = Array.from({ length: 8 }, (_, k) => recordBatchFromRows(allTypesSchema, many.slice(k * 500, (k + 1) * 500 + (k === 7 ? 4 : 0))));
    const files = await writeParquetFiles(store, (i) => `roll/f-${i}.parquet`, batches, {
      schema: allTypesSchema,
      rowGroupSize: 500,
      targetFileSize: 60_000,
      compression: 'snappy',
    });
    expect(files.length).toBeGreaterThan(1);
    let total = 0;
    const got: Value[] = [];
    for (const [i, f] of files.entries()) {
      expect(f.key).toBe(`roll/f-${i}.parquet`);
      const md = await readParquetMetadata(store, f.key);
      expect(md.numRows).toBe(f.stats.recordCount);
      // Each file ends at the first row-group boundary past the target.
      if (i < files.length - 1) {
        const lastRg = md.rowGroups[md.rowGroups.length - 1]!;
        expect(f.stats.fileSizeInBytes).toBeGreaterThanOrEqual(60_000);
        expect(f.stats.fileSizeInBytes - lastRg.compressedSize).toBeLessThan(60_000 + md.footerLength + 8);
      }
      total += f.stats.recordCount;
      got.push(...columnValues(await collect(readParquet(store, f.key, { columns: ['i'] })), 'i'));
    }
    expect(total).toBe(many.length);
    expect(got).toEqual(many.map((r) => r['i']));
    await store.close();
  });
});
