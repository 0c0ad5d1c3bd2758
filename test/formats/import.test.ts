/**
 * CSV and NDJSON import: quoting, nulls, inference, explicit schemas, bad-record reporting
 * (fail-fast and collect), and streaming in bounded chunks.
 */
import { describe, expect, it } from 'vitest';
import {
  inferCsvSchema,
  inferNdjsonSchema,
  isLakehouseError,
  openObjectStore,
  readCsv,
  readNdjson,
  readParquet,
  writeParquetFiles,
  type BadRecord,
  type ByteRange,
  type ObjectStore,
  type Schema,
} from 'lakehouse-engine/connectors';
import { collect, columnValues, rng } from './fixtures.js';

const enc = new TextEncoder();
let n = 0;
async function storeWith(files: Record<string, string>): Promise<ObjectStore> {
  const s = await openObjectStore(`memory://import-${n++}-${Date.now()}`);
  for (const [k, v] of Object.entries(files)) await s.put(k, enc.encode(v));
  return s;
}

function csvField(v: string | null): string {
  if (v === null) return '';
  if (v === '' || /[",\n\r]/.test(v) || v !== v.trim()) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

describe('CSV import', () => {
  it('round-trips generated rows with quoting, nulls and inferred types', async () => {
    const r = rng(3);
    const words = ['plain', 'with,comma', 'with "quote"', 'multi\nline', '', ' padded ', 'ünï'];
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      id: i,
      big: r() < 0.1 ? null : BigInt(Math.floor(r() * 2 ** 52)) * 1000n,
      x: r() < 0.1 ? null : Math.round((r() - 0.5) * 1e6) / 64,
      flag: r() < 0.1 ? null : r() < 0.5,
      day: r() < 0.1 ? null : Math.floor((r() - 0.6) * 30000),
      s: r() < 0.1 ? null : words[Math.floor(r() * words.length)]!,
    }));
    const isoDay = (d: number): string => new Date(d * 86_400_000).toISOString().slice(0, 10);
    const text = ['id,big,x,flag,day,s', ...rows.map((x) => [String(x.id), x.big === null ? '' : String(x.big), x.x === null ? '' : String(x.x), x.flag === null ? '' : String(x.flag), x.day === null ? '' : isoDay(x.day), csvField(x.s)].join(','))].join('\n');
    const store = await storeWith({ 'in.csv': text });
    const schema = await inferCsvSchema(store, 'in.csv');
    expect(schema.fields.map((f) => [f.name, f.type])).toEqual([['id', 'int'], ['big', 'long'], ['x', 'double'], ['flag', 'boolean'], ['day', 'date'], ['s', 'string']]);
    let gets = 0;
    const counted = Object.create(store) as ObjectStore;
    counted.get = (k: string, range?: ByteRange) => (gets++, store.get(k, range));
    const batches = await collect(readCsv(counted, 'in.csv', { batchSize: 700, chunkSize: 4096, inferRows: 50 }));
    expect(gets).toBeGreaterThan(10); // streamed in chunks, not one read
    expect(batches.map((b) => b.numRows)).toEqual([700, 700, 700, 700, 200]);
    expect(columnValues(batches, 'id')).toEqual(rows.map((x) => x.id));
    expect(columnValues(batches, 'big')).toEqual(rows.map((x) => x.big));
    expect(columnValues(batches, 'x')).toEqual(rows.map((x) => x.x));
    expect(columnValues(batches, 'flag')).toEqual(rows.map((x) => x.flag));
    expect(columnValues(batches, 'day')).toEqual(rows.map((x) => x.day));
    expect(columnValues(batches, 's')).toEqual(rows.map((x) => x.s));
    // The batches carry field ids and go straight into the Parquet writer.
    const files = await writeParquetFiles(store, () => 'out.parquet', batches, { schema });
    expect(files[0]!.stats.recordCount).toBe(rows.length);
    expect(columnValues(await collect(readParquet(store, 'out.parquet', { fieldIds: [6] })), 's')).toEqual(rows.map((x) => x.s));
  });

  it('uses an explicit schema: decimals, timestamps with offsets, custom null tokens', async () => {
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'amount', required: true, type: 'decimal(10,2)' },
        { id: 2, name: 'at', required: false, type: 'timestamptz' },
        { id: 3, name: 'local', required: false, type: 'timestamp' },
        { id: 4, name: 'note', required: false, type: 'string' },
      ],
    };
    const text = 'amount;at;local;note\n-12.5;2024-01-02T03:04:05.123456+02:00;1969-12-31 23:59:59.5;NA\n0.01;NA;NA;""\n';
    const store = await storeWith({ 'e.csv': text });
    const b = await collect(readCsv(store, 'e.csv', { schema, delimiter: ';', nullValues: ['NA'] }));
    expect(columnValues(b, 'amount')).toEqual([-1250n, 1n]);
    expect(columnValues(b, 'at')).toEqual([BigInt(Date.UTC(2024, 0, 2, 1, 4, 5)) * 1000n + 123456n, null]);
    expect(columnValues(b, 'local')).toEqual([-500_000n, null]);
    expect(columnValues(b, 'note')).toEqual([null, '']);
  });

  it('reports bad rows with file, line and reason: fail fast or collect', async () => {
    const text = 'a,b\n1,x\n2\n"3,y\nzz,w\n4,v\n';
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'a', required: false, type: 'int' }, { id: 2, name: 'b', required: false, type: 'string' }] };
    const store = await storeWith({ 'bad.csv': 'a,b\n1,x\n2\nzz,w\n4,v\n' });
    const err = await collect(readCsv(store, 'bad.csv', { schema })).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(err, 'BAD_RECORD')).toBe(true);
    expect((err as Error).message).toContain(`${store.uriFor('bad.csv')} line 3: expected 2 fields, found 1`);
    const bad: BadRecord[] = [];
    const got = await collect(readCsv(store, 'bad.csv', { schema, errors: 'collect', onBadRecord: (r) => bad.push(r) }));
    expect(columnValues(got, 'a')).toEqual([1, 4]);
    expect(bad.map((r) => [r.line, r.reason])).toEqual([
      [3, 'expected 2 fields, found 1'],
      [4, 'value "zz" in column "a" is not a valid int'],
    ]);
    expect(bad[1]!.file).toBe(store.uriFor('bad.csv'));
    // An unterminated quote cannot be skipped past: it is reported, not silently dropped.
    await store.put('quote.csv', enc.encode(text));
    const qerr = await collect(readCsv(store, 'quote.csv', { schema })).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(qerr, 'BAD_RECORD')).toBe(true);
    const limit = await collect(readCsv(store, 'bad.csv', { schema, errors: 'collect', maxBadRecords: 1 })).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(limit, 'BAD_RECORD')).toBe(true);
  });
});

describe('NDJSON import', () => {
  it('infers a schema and reads values, nulls and missing keys', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, name: i % 7 === 0 ? null : `n${i}`, score: i % 5 === 1 ? undefined : i / 4, ok: i % 3 === 0, at: `2020-01-01T00:00:${String(i % 60).padStart(2, '0')}Z` }));
    const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n\n';
    const store = await storeWith({ 'a.ndjson': text });
    const schema = await inferNdjsonSchema(store, 'a.ndjson');
    expect(schema.fields.map((f) => [f.name, f.type])).toEqual([['id', 'int'], ['name', 'string'], ['score', 'double'], ['ok', 'boolean'], ['at', 'timestamptz']]);
    const b = await collect(readNdjson(store, 'a.ndjson', { chunkSize: 1000, batchSize: 128 }));
    expect(columnValues(b, 'id')).toEqual(rows.map((r) => r.id));
    expect(columnValues(b, 'name')).toEqual(rows.map((r) => r.name));
    expect(columnValues(b, 'score')).toEqual(rows.map((r) => r.score ?? null));
    expect(columnValues(b, 'ok')).toEqual(rows.map((r) => r.ok));
    expect(columnValues(b, 'at')).toEqual(rows.map((r) => BigInt(Date.parse(r.at)) * 1000n));
  });

  it('reports bad lines, unknown keys and unsafe integers; refuses nested values', async () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'k', required: true, type: 'long' }] };
    const store = await storeWith({
      'b.ndjson': '{"k": 1}\n{"k": 2, "extra": 1}\nnot json\n{"k": 9007199254740993}\n{"k": "9007199254740993"}\n[1]\n{"k": null}\n',
      'n.ndjson': '{"a": 1, "b": {"c": 2}}\n',
    });
    const bad: BadRecord[] = [];
    const b = await collect(readNdjson(store, 'b.ndjson', { schema, errors: 'collect', onBadRecord: (r) => bad.push(r) }));
    expect(columnValues(b, 'k')).toEqual([1n, 9007199254740993n]);
    expect(bad.map((r) => r.line)).toEqual([2, 3, 4, 6, 7]);
    expect(bad[0]!.reason).toBe('field "extra" is not in the schema');
    expect(bad[2]!.reason).toContain('is not a valid long');
    const fail = await collect(readNdjson(store, 'b.ndjson', { schema })).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(fail, 'BAD_RECORD') && (fail as Error).message.includes('line 2')).toBe(true);
    const nested = await collect(readNdjson(store, 'n.ndjson')).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(nested, 'UNSUPPORTED')).toBe(true);
    expect((nested as Error).message).toContain('"b"');
  });
});
