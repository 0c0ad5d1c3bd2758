/**
 * The write path keeps exact numbers exact (issue #13): kernel vectors → Arrow (Decimal128 words,
 * Int64, Time64, FixedSizeBinary, Binary) → Parquet (DuckDB reads every value back exactly, as the
 * decimal type it was written as) → Iceberg statistics (decimal bounds as minimal big-endian two's
 * complement, int64 bounds beyond 2^53 exact, NaN counts) → the table sink (store assignment
 * checked per value, partition transforms on decimals and wide longs equal to the catalog's
 * `applyTransform` row by row, nothing left behind when a value does not fit).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { applyTransform, buildPartitionSpec, freshSchema, murmur3, parseTransform, partitionType } from 'lakehouse-engine/catalog';
import { bigintToMinimalBytes, decodeSingleValue, openObjectStore, writeParquetFiles, type ObjectStore } from 'lakehouse-engine/connectors';
// Internal modules, through the built files (the package exports only the public entries).
import { chunkToBatch, vecToData } from '../../dist/engine/compute/arrow-out.js';
import { chunkToIPC, oneChunkFromIPC } from '../../dist/engine/exec/ipc.js';
import { backends } from '../helpers/backends.js';
import { partitionChunk } from '../../dist/engine/write/partitioner.js';
import { runSink } from '../../dist/engine/write/sink.js';
import { assignable } from '../../dist/engine/write/target.js';

type AnyVec = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'exact-write-'));
let store: ObjectStore;
let db: DuckDBInstance;
let con: DuckDBConnection;

beforeAll(async () => {
  store = await openObjectStore(dir);
  db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
});
afterAll(async () => {
  con.closeSync();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function duck(sql: string): Promise<Array<Record<string, unknown>>> {
  return (await con.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
}

/** The signed integer a Decimal128 slot holds (4 little-endian 32-bit words). */
function decimalAt(words: Uint32Array, i: number): bigint {
  let x = 0n;
  for (let w = 3; w >= 0; w--) x = (x << 32n) | BigInt(words[4 * i + w]!);
  return BigInt.asIntN(128, x);
}

function fmt(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const d = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${scale ? `${d.slice(0, -scale)}.${d.slice(-scale)}` : d}`;
}

const MAX38 = 10n ** 38n - 1n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

describe('vectors → Arrow', () => {
  it('decimal, int64, timestamp and time values survive an Arrow IPC round trip bit for bit', () => {
    const dec38 = [MAX38, -MAX38, 0n, -1n, 12345678901234567890123456789n, 1n];
    const dec10 = [123, -5, 9999999999, -9999999999, 0, 7];
    const longs = [2n ** 63n - 1n, -(2n ** 63n), SAFE + 2n, -SAFE - 2n, 0n, -1n];
    const safeLongs = [9007199254740991, -9007199254740991, 1, -1, 0, 4294967296];
    const valid = Uint8Array.from([1, 1, 1, 1, 0, 1]);
    const c = {
      length: 6,
      cols: [
        { t: 'big', type: 'decimal(38,10)', values: dec38, valid },
        { t: 'num', type: 'decimal(10,2)', values: Float64Array.from(dec10), valid: null },
        { t: 'big', type: 'int64', values: longs, valid: null },
        { t: 'num', type: 'int64', values: Float64Array.from(safeLongs), valid: null },
        { t: 'big', type: 'timestamp', values: BigInt64Array.from(longs), valid: null },
        { t: 'num', type: 'time', values: Float64Array.from([0, 86_399_999_999, 1, 43_200_000_000, 5, 6]), valid: null },
      ],
    };
    const schema = [['a', 'decimal(38,10)'], ['b', 'decimal(10,2)'], ['c', 'int64'], ['d', 'int64'], ['e', 'timestamp'], ['f', 'time']].map(([name, type]) => ({ name, type, nullable: true }));
    const batch = chunkToBatch(c as never, schema as never);
    const back = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(batch), 'stream')).batches[0]!;
    expect(back.schema.fields[0]!.type).toMatchObject({ precision: 38, scale: 10, bitWidth: 128 });
    expect(back.schema.fields[5]!.type).toBeInstanceOf(arrow.Time);
    const col = (i: number): arrow.Data => back.data.children[i]!;
    const a = col(0);
    expect(a.nullCount).toBe(1);
    dec38.forEach((x, i) => { if (i !== 4) expect(decimalAt(a.values as Uint32Array, i)).toBe(x); });
    dec10.forEach((x, i) => expect(decimalAt(col(1).values as Uint32Array, i)).toBe(BigInt(x)));
    expect(Array.from(col(2).values as BigInt64Array)).toEqual(longs);
    expect(Array.from(col(3).values as BigInt64Array)).toEqual(safeLongs.map(BigInt));
    expect(Array.from(col(4).values as BigInt64Array)).toEqual(longs);
    expect(Array.from(col(5).values as BigInt64Array).slice(0, 2)).toEqual([0n, 86_399_999_999n]);
  });

  it('worker replies (Arrow IPC) bring every exact value back to the same vectors', () => {
    const valid = Uint8Array.from([1, 1, 1, 0]);
    const types = ['decimal(38,2)', 'decimal(38,2)', 'decimal(12,4)', 'int64', 'int64', 'timestamp', 'time', 'uuid', 'binary'];
    const c = {
      length: 4,
      cols: [
        { t: 'big', type: 'decimal(38,2)', values: [MAX38, -MAX38, SAFE + 1n, 0n], valid },
        { t: 'num', type: 'decimal(38,2)', values: Float64Array.from([1, -1, Number.MAX_SAFE_INTEGER, 0]), valid: null },
        { t: 'num', type: 'decimal(12,4)', values: Float64Array.from([999_999_999_999, -999_999_999_999, -5, 0]), valid: null },
        { t: 'big', type: 'int64', values: [2n ** 63n - 1n, -(2n ** 63n), -SAFE - 1n, 0n], valid },
        { t: 'num', type: 'int64', values: Float64Array.from([-Number.MAX_SAFE_INTEGER, 1, 0, 0]), valid },
        { t: 'big', type: 'timestamp', values: [-(2n ** 62n), 2n ** 62n, 0n, 0n], valid },
        { t: 'num', type: 'time', values: Float64Array.from([0, 1, 86_399_999_999, 0]), valid },
        { t: 'str', codes: Int32Array.from([0, 0, 0, 0]), dict: ['0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'], valid },
        { t: 'str', codes: Int32Array.from([0, 1, 0, 0]), dict: ['\u0000\u00ff\u0080', ''], valid },
      ],
    };
    const back = oneChunkFromIPC(chunkToIPC(c as never, types as never), types as never) as { length: number; cols: AnyVec[] };
    expect(back.length).toBe(4);
    const at = (v: AnyVec, i: number): unknown => {
      if ((v['valid'] as Uint8Array | null)?.[i] === 0) return null;
      if (v['t'] === 'str') return (v['dict'] as string[])[(v['codes'] as Int32Array)[i]!];
      const x = (v['values'] as ArrayLike<number | bigint>)[i]!;
      return typeof x === 'bigint' ? x : BigInt(x);
    };
    c.cols.forEach((v, ci) => {
      for (let i = 0; i < 4; i++) expect([ci, at(back.cols[ci]!, i)]).toEqual([ci, at(v as AnyVec, i)]);
      expect(back.cols[ci]!['type'] ?? 'str').toBe((v as AnyVec)['type'] ?? 'str');
    });
  });

  it('uuid → FixedSizeBinary(16) with the uuid extension name, binary → Binary of the exact bytes', () => {
    const allBytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    const c = {
      length: 3,
      cols: [
        { t: 'str', codes: Int32Array.from([0, 1, 0]), dict: ['0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', 'ffffffff-ffff-ffff-ffff-ffffffffffff'], valid: Uint8Array.from([1, 1, 0]) },
        { t: 'str', codes: Int32Array.from([0, 1, 2]), dict: [allBytes, '', '\u0000\u00ff'], valid: null },
      ],
    };
    const batch = chunkToBatch(c as never, [{ name: 'u', type: 'uuid', nullable: true }, { name: 'b', type: 'binary', nullable: true }] as never);
    const back = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(batch), 'stream'));
    expect(back.schema.fields[0]!.metadata.get('ARROW:extension:name')).toBe('arrow.uuid');
    const u = back.getChild('u')!;
    expect(Buffer.from(u.get(0) as Uint8Array).toString('hex')).toBe('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    expect(Buffer.from(u.get(1) as Uint8Array).toString('hex')).toBe('f'.repeat(32));
    expect(u.get(2)).toBeNull();
    const b = back.getChild('b')!;
    expect(Array.from(b.get(0) as Uint8Array)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(Array.from(b.get(1) as Uint8Array)).toEqual([]);
    expect(Array.from(b.get(2) as Uint8Array)).toEqual([0, 255]);
  });

  it('refuses values its type cannot hold instead of wrapping them', () => {
    const tooWide = { t: 'big', type: 'decimal(5,2)', values: [100000n], valid: null };
    expect(() => vecToData(tooWide as never, 'decimal(5,2)', 1)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    const tooWideNum = { t: 'num', type: 'decimal(5,2)', values: Float64Array.from([-100000]), valid: null };
    expect(() => vecToData(tooWideNum as never, 'decimal(5,2)', 1)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    const beyond64 = { t: 'big', type: 'int64', values: [2n ** 63n], valid: null };
    expect(() => vecToData(beyond64 as never, 'int64', 1)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    // A null slot may hold anything.
    expect(vecToData({ t: 'big', type: 'int64', values: [2n ** 63n], valid: Uint8Array.of(0) } as never, 'int64', 1).nullCount).toBe(1);
  });
});

describe('Parquet decimals and wide longs', () => {
  const schema = freshSchema([
    { name: 'd9', type: 'decimal(9,2)' }, { name: 'd18', type: 'decimal(18,4)' }, { name: 'd20', type: 'decimal(20,2)' },
    { name: 'd38', type: 'decimal(38,10)' }, { name: 'l', type: 'long' }, { name: 'x', type: 'double' },
  ]).schema;
  const rows = 5000;
  const d9 = Array.from({ length: rows }, (_, i) => BigInt(((i * 7919) % 199_999_999) - 99_999_999));
  const d18 = Array.from({ length: rows }, (_, i) => (i === 0 ? -SAFE : i === 1 ? SAFE : BigInt(i * 104729 - 250_000_000)));
  const d20 = Array.from({ length: rows }, (_, i) => (i === 2 ? 10n ** 20n - 1n : i === 3 ? -(10n ** 20n - 1n) : BigInt(i) * 10n ** 15n + 7n));
  const d38 = Array.from({ length: rows }, (_, i) => (i === 4 ? MAX38 : i === 5 ? -MAX38 : BigInt(i - 2500) * 1234567890123456789012345n));
  const longs = Array.from({ length: rows }, (_, i) => (i === 6 ? 2n ** 63n - 1n : i === 7 ? -(2n ** 63n) : SAFE + BigInt(i)));
  const nulls = Uint8Array.from({ length: rows }, (_, i) => (i % 10 === 9 ? 0 : 1));
  const doubles = Float64Array.from({ length: rows }, (_, i) => (i % 100 === 3 ? NaN : i / 8));
  let key: string;
  let stats: Awaited<ReturnType<typeof writeParquetFiles>>[number]['stats'];

  beforeAll(async () => {
    const c = {
      length: rows,
      cols: [
        { t: 'num', type: 'decimal(9,2)', values: Float64Array.from(d9, Number), valid: nulls },
        { t: 'num', type: 'decimal(18,4)', values: Float64Array.from(d18, Number), valid: null },
        { t: 'big', type: 'decimal(20,2)', values: d20, valid: null },
        { t: 'big', type: 'decimal(38,10)', values: d38, valid: nulls },
        { t: 'big', type: 'int64', values: longs, valid: null },
        { t: 'num', type: 'float64', values: doubles, valid: null },
      ],
    };
    const types = ['decimal(9,2)', 'decimal(18,4)', 'decimal(20,2)', 'decimal(38,10)', 'int64', 'float64'];
    const batch = chunkToBatch(c as never, schema.fields.map((f, i) => ({ name: f.name, type: types[i], nullable: true })) as never);
    const files = await writeParquetFiles(store, (i) => `exact/f${i}.parquet`, [batch], { schema, rowGroupSize: 2048 });
    expect(files).toHaveLength(1);
    key = files[0]!.key;
    stats = files[0]!.stats;
  });

  it('DuckDB reads every value back exactly, as the decimal type it was written as', async () => {
    const path = join(dir, key);
    const types = (await duck(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).map((r) => `${r['column_name']} ${r['column_type']}`);
    expect(types).toEqual(['d9 DECIMAL(9,2)', 'd18 DECIMAL(18,4)', 'd20 DECIMAL(20,2)', 'd38 DECIMAL(38,10)', 'l BIGINT', 'x DOUBLE']);
    const got = await duck(`SELECT d9::VARCHAR d9, d18::VARCHAR d18, d20::VARCHAR d20, d38::VARCHAR d38, l::VARCHAR l FROM read_parquet('${path}')`);
    expect(got).toHaveLength(rows);
    for (let i = 0; i < rows; i++) {
      const ok = nulls[i] === 1;
      expect(got[i]).toEqual({
        d9: ok ? fmt(d9[i]!, 2) : null, d18: fmt(d18[i]!, 4), d20: fmt(d20[i]!, 2), d38: ok ? fmt(d38[i]!, 10) : null, l: String(longs[i]),
      });
    }
  });

  it('parquet-rs picks INT32 up to 9 digits, INT64 up to 18, else FIXED_LEN_BYTE_ARRAY of the minimal length', async () => {
    const el = await duck(`SELECT name, type, type_length::VARCHAR len, logical_type FROM parquet_schema('${join(dir, key)}') WHERE name LIKE 'd%'`);
    expect(el.map((r) => [r['name'], r['type'], r['len']])).toEqual([
      ['d9', 'INT32', null], ['d18', 'INT64', null], ['d20', 'FIXED_LEN_BYTE_ARRAY', '9'], ['d38', 'FIXED_LEN_BYTE_ARRAY', '16'],
    ]);
  });

  it('bounds are exact: decimals as minimal big-endian two\'s complement, longs beyond 2^53 to the unit; NaN counted', () => {
    const ids = Object.fromEntries(schema.fields.map((f) => [f.name, f.id]));
    const minMax = (xs: bigint[], keep: (i: number) => boolean): [bigint, bigint] => {
      const kept = xs.filter((_, i) => keep(i));
      return [kept.reduce((a, b) => (b < a ? b : a)), kept.reduce((a, b) => (b > a ? b : a))];
    };
    const all = (): boolean => true;
    const cases: Array<[string, bigint[], (i: number) => boolean]> = [['d9', d9, (i) => nulls[i] === 1], ['d18', d18, all], ['d20', d20, all], ['d38', d38, (i) => nulls[i] === 1]];
    for (const [name, xs, keep] of cases) {
      const [lo, hi] = minMax(xs, keep);
      const field = schema.fields.find((f) => f.name === name)!;
      expect(stats.lowerBounds.get(ids[name]!)).toEqual(bigintToMinimalBytes(lo));
      expect(stats.upperBounds.get(ids[name]!)).toEqual(bigintToMinimalBytes(hi));
      expect(decodeSingleValue(field.type as never, stats.upperBounds.get(ids[name]!)!)).toBe(hi);
    }
    expect(bigintToMinimalBytes(-MAX38)).toHaveLength(16);
    expect(decodeSingleValue('long', stats.lowerBounds.get(ids['l']!)!)).toBe(-(2n ** 63n));
    expect(decodeSingleValue('long', stats.upperBounds.get(ids['l']!)!)).toBe(2n ** 63n - 1n);
    expect(stats.nullValueCounts.get(ids['d9']!)).toBe(rows / 10);
    expect(stats.nanValueCounts.get(ids['x']!)).toBe(rows / 100);
    expect(decodeSingleValue('double', stats.upperBounds.get(ids['x']!)!)).toBe((rows - 1) / 8);
  });
});

describe('the table sink', () => {
  const { schema } = freshSchema([
    { name: 'id', type: 'long' }, { name: 'price', type: 'decimal(10, 2)' }, { name: 'wide', type: 'decimal(21,2)' },
    { name: 'small', type: 'int' }, { name: 'tag', type: 'fixed[4]' },
  ]);
  const storeUri = (): string => store.uri;

  /** A SinkSpec for `schema` partitioned by `terms`, fed columns [id int64, price decimal(10,2), wide int64, small int64, tag binary]. */
  function sinkSpec(prefix: string, terms: Array<{ column: string; transform: string }>, targetFileSize = 1 << 30): Record<string, unknown> {
    const spec = buildPartitionSpec(schema, terms);
    const ptype = partitionType(spec, schema);
    const sources = [0, 1, 2, 3, 4];
    return {
      store: storeUri(), dataPrefix: `${prefix}/data`, runId: 'run1', taskId: 't0', schema, sources,
      outputTypes: ['int64', 'decimal(10,2)', 'int64', 'int64', 'binary'], spec,
      partitionFields: spec.fields.map((pf, i) => {
        const idx = schema.fields.findIndex((f) => f.id === pf['source-id']);
        return { source: sources[idx], sourceType: schema.fields[idx]!.type, transform: pf.transform, resultType: ptype.fields[i]!.type };
      }),
      targetFileSize, bufferBytes: 1 << 30,
    };
  }

  function chunk(rows: number, wideBase: bigint, small: (i: number) => number): AnyVec {
    const ids = Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? SAFE + BigInt(i) * 1_000_003n : BigInt(i * 7 - 300)));
    const price = Float64Array.from({ length: rows }, (_, i) => ((i * 7919) % 2_000_001) - 1_000_000);
    return {
      length: rows,
      cols: [
        { t: 'big', type: 'int64', values: ids, valid: null },
        { t: 'num', type: 'decimal(10,2)', values: price, valid: Uint8Array.from({ length: rows }, (_, i) => (i % 17 === 16 ? 0 : 1)) },
        { t: 'big', type: 'int64', values: Array.from({ length: rows }, (_, i) => wideBase + BigInt(i)), valid: null },
        { t: 'num', type: 'int64', values: Float64Array.from({ length: rows }, (_, i) => small(i)), valid: null },
        { t: 'str', codes: Int32Array.from({ length: rows }, (_, i) => i % 3), dict: ['abcd', '\u0000\u0001\u00fe\u00ff', 'wxyz'], valid: null },
      ],
    };
  }

  async function* chunksOf(...cs: AnyVec[]): AsyncGenerator<AnyVec> {
    for (const c of cs) yield c;
  }

  it('Iceberg\'s reference bucket hashes (spec Appendix B) for decimal and long', () => {
    expect(murmur3(bigintToMinimalBytes(1420n))).toBe(-500754589); // decimal(4,2) 14.20
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, 34n, true);
    expect(murmur3(b)).toBe(2017239379);
  });

  it('the double fast paths for decimal bucket/truncate/identity agree with the catalog at every byte boundary', () => {
    const xs: number[] = [0, 1, -1, 127, 128, -128, -129, 255, 256, -256, -257, 32767, 32768, -32768, -32769, 8388607, 8388608, -8388609,
      2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 40 + 5, -(2 ** 47), 2 ** 47 - 1, 2 ** 52, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    const type = 'decimal(18, 3)';
    for (const transform of ['bucket[1000]', 'truncate[7]', 'truncate[1000]', 'identity']) {
      const plan = [{ source: 0, sourceType: type, transform, resultType: transform.startsWith('bucket') ? 'int' : type }];
      const c = { length: xs.length, cols: [{ t: 'num', type: 'decimal(18,3)', values: Float64Array.from(xs), valid: null }] };
      const { rowPartition, tuples } = partitionChunk(plan as never, c as never);
      xs.forEach((x, i) => {
        expect(String(tuples[rowPartition[i]!]![0])).toBe(String(applyTransform(parseTransform(transform), type, BigInt(x))));
      });
    }
  });

  it('partitions by decimal and wide-long transforms exactly as the catalog computes them, row by row', async () => {
    const terms = [
      { column: 'price', transform: 'bucket[3]' }, { column: 'price', transform: 'truncate[1000000]' },
      { column: 'id', transform: 'bucket[2]' }, { column: 'wide', transform: 'truncate[1000000]' },
    ];
    const spec = sinkSpec('parts', terms);
    const files = await runSink(spec as never, chunksOf(chunk(3000, 10n ** 17n, (i) => i - 1500)) as never);
    expect(files.length).toBeGreaterThan(8);
    const transforms = terms.map((t) => parseTransform(t.transform));
    const types = ['decimal(10, 2)', 'decimal(10, 2)', 'long', 'decimal(21,2)'];
    const rowsOf = new Map<string, Array<Record<string, unknown>>>();
    for (const r of await duck(`SELECT filename, id::VARCHAR id, (price * 100)::BIGINT::VARCHAR price, (wide * 100)::HUGEINT::VARCHAR wide FROM read_parquet('${dir}/parts/data/**/*.parquet', filename = true)`)) {
      const k = String(r['filename']);
      rowsOf.set(k, [...(rowsOf.get(k) ?? []), r]);
    }
    expect(rowsOf.size).toBe(files.length);
    let total = 0;
    for (const f of files) {
      const got = rowsOf.get(join(dir, f.key)) ?? [];
      total += got.length;
      for (const r of got) {
        const price = r['price'] === null ? null : BigInt(r['price'] as string);
        const values = [price, price, BigInt(r['id'] as string), BigInt(r['wide'] as string)];
        const want = transforms.map((t, i) => applyTransform(t, types[i] as never, values[i] as never));
        expect(f.partition.map(String)).toEqual(want.map(String));
      }
    }
    expect(total).toBe(3000);
    // Store assignment: int64 → decimal(20,2) is x · 100, exactly, beyond 2^53.
    const all = await duck(`SELECT min(wide)::VARCHAR lo, max(wide)::VARCHAR hi, min(small) s, max(small) t FROM read_parquet('${dir}/parts/data/**/*.parquet')`);
    expect(all[0]).toEqual({ lo: '100000000000000000.00', hi: '100000000000002999.00', s: -1500, t: 1499 });
    const tags = await duck(`SELECT DISTINCT hex(tag) h FROM read_parquet('${dir}/parts/data/**/*.parquet') ORDER BY h`);
    expect(tags.map((r) => r['h'])).toEqual(['0001FEFF', '61626364', '7778797A']);
  });

  it('a value that does not fit its column fails the write with nothing left behind', async () => {
    // The first chunk's partitions are flushed (tiny target size) before the second chunk's long
    // 2^31 reaches the int column.
    const spec = sinkSpec('unfit', [{ column: 'price', transform: 'bucket[4]' }], 1);
    const bad = chunk(10, 0n, (i) => (i === 9 ? 2 ** 31 : i));
    const err = await runSink(spec as never, chunksOf(chunk(200, 0n, (i) => i), bad) as never).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OUT_OF_RANGE' });
    expect(String((err as Error).message)).toContain('small');
    const left = (() => { try { return readdirSync(join(dir, 'unfit'), { recursive: true }).filter((p) => String(p).endsWith('.parquet')); } catch { return []; } })();
    expect(left).toEqual([]);
    // The sink did write files before the failure (so the check above is not vacuous).
    const ok = await runSink(sinkSpec('fit', [{ column: 'price', transform: 'bucket[4]' }], 1) as never, chunksOf(chunk(200, 0n, (i) => i)) as never);
    expect(ok.length).toBeGreaterThan(1);
  });

  it('time, uuid and binary columns are written as Parquet TIME, UUID bytes and BINARY that DuckDB reads back', async () => {
    const { schema: s2 } = freshSchema([{ name: 't', type: 'time' }, { name: 'u', type: 'uuid' }, { name: 'b', type: 'binary' }]);
    const spec = buildPartitionSpec(s2, []);
    const c = {
      length: 3,
      cols: [
        { t: 'num', type: 'time', values: Float64Array.from([0, 86_399_999_999, 45_296_789_012]), valid: null },
        { t: 'str', codes: Int32Array.from([0, 1, 0]), dict: ['0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', '00000000-0000-0000-0000-000000000001'], valid: Uint8Array.from([1, 1, 0]) },
        { t: 'str', codes: Int32Array.from([0, 1, 2]), dict: ['\u0000\u00ff', '', 'ok'], valid: null },
      ],
    };
    const files = await runSink({
      store: storeUri(), dataPrefix: 'other/data', runId: 'r', taskId: 't0', schema: s2, sources: [0, 1, 2], outputTypes: ['time', 'uuid', 'binary'],
      spec, partitionFields: [], targetFileSize: 1 << 30, bufferBytes: 1 << 30,
    } as never, chunksOf(c) as never);
    const got = await duck(`SELECT t::VARCHAR t, hex(u) u, hex(b) b, typeof(t) tt FROM read_parquet('${join(dir, files[0]!.key)}')`);
    expect(got).toEqual([
      { t: '00:00:00', u: '0F1E2D3C4B5A69788796A5B4C3D2E1F0', b: '00FF', tt: 'TIME' },
      { t: '23:59:59.999999', u: '00000000000000000000000000000001', b: '', tt: 'TIME' },
      { t: '12:34:56.789012', u: null, b: '6F6B', tt: 'TIME' },
    ]);
  });

  it('a fixed[4] column refuses a value of another length; decimal(10,2) needs a wide enough integer part', async () => {
    const c = chunk(4, 0n, (i) => i) as { cols: AnyVec[] };
    c.cols[4] = { t: 'str', codes: Int32Array.from([0, 1, 0, 0]), dict: ['abcd', 'abc'], valid: null };
    const err = await runSink(sinkSpec('fixed', []) as never, chunksOf(c) as never).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONVERSION_ERROR' });
    expect(String((err as Error).message)).toContain('fixed[4]');
    expect(assignable('decimal(10,2)', 'decimal(10, 2)')).toBe(true);
    expect(assignable('decimal(8,2)', 'decimal(10, 2)')).toBe(true);
    expect(assignable('decimal(11,2)', 'decimal(10, 2)')).toBe(false);
    expect(assignable('decimal(10,3)', 'decimal(10, 2)')).toBe(false);
    expect(assignable('int32', 'decimal(10, 2)')).toBe(false);
    expect(assignable('int32', 'decimal(12,2)')).toBe(true);
    expect(assignable('int64', 'decimal(21,2)')).toBe(true);
    expect(assignable('int64', 'decimal(20,2)')).toBe(false);
    expect(assignable('binary', 'fixed[4]')).toBe(true);
  });
});

for (const backend of backends()) {
  describe(`store assignment failures on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it('a long that does not fit an int column fails the write after files were written, and none is left', async () => {
      const uri = await backend.freshUri('exact-write');
      const { schema: s3 } = freshSchema([{ name: 'k', type: 'int' }, { name: 'amount', type: 'decimal(12,2)' }]);
      const spec = buildPartitionSpec(s3, [{ column: 'amount', transform: 'bucket[4]' }]);
      const sink = (prefix: string): Record<string, unknown> => ({
        store: uri, dataPrefix: `${prefix}/data`, runId: 'r', taskId: 't0', schema: s3, sources: [0, 1], outputTypes: ['int64', 'int64'], spec,
        partitionFields: [{ source: 1, sourceType: 'decimal(12,2)', transform: 'bucket[4]', resultType: 'int' }],
        // A 1-byte target: every partition's buffer is written as soon as it has rows.
        targetFileSize: 1, bufferBytes: 1 << 30,
      });
      const part = (n: number, bad: boolean): Record<string, unknown> => ({
        length: n,
        cols: [
          { t: 'num', type: 'int64', values: Float64Array.from({ length: n }, (_, i) => (bad && i === n - 1 ? -(2 ** 31) - 1 : i)), valid: null },
          // int64 → decimal(12,2): stored as x · 100.
          { t: 'num', type: 'int64', values: Float64Array.from({ length: n }, (_, i) => i * 7 - 100), valid: null },
        ],
      });
      async function* feed(...cs: Array<Record<string, unknown>>): AsyncGenerator<Record<string, unknown>> { for (const c of cs) yield c; }
      const st = await openObjectStore(uri);
      const keys = async (prefix: string): Promise<string[]> => { const out: string[] = []; for await (const o of st.list(`${prefix}/`)) out.push(o.key); return out; };
      try {
        const ok = await runSink(sink('good') as never, feed(part(100, false)) as never);
        expect(ok.length).toBeGreaterThan(1);
        expect((await keys('good')).length).toBe(ok.length);
        const err = await runSink(sink('bad') as never, feed(part(100, false), part(10, true)) as never).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'OUT_OF_RANGE', details: { column: 'k', value: '-2147483649' } });
        expect(await keys('bad')).toEqual([]);
      } finally {
        await st.close();
      }
    });
  });
}
