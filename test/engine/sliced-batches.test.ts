/**
 * Sliced Arrow data (RecordBatch.slice — what readers yield around deleted rows): Arrow JS slices
 * value and offset buffers and keeps `offset` for bit buffers only; every column type must read
 * back the rows of the slice, not of the buffer's start.
 */
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine, MemoryTableSource } from 'lakehouse-engine/engine';

let engine: Engine;
beforeAll(async () => { engine = await Engine.open({ threads: 1 }); });
afterAll(async () => { await engine.close(); });

it('queries over sliced batches see exactly the sliced rows', async () => {
  const n = 20;
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const table = new arrow.Table({
    i: arrow.makeVector(ids),
    l: arrow.makeVector(BigInt64Array.from(ids, (x) => BigInt(x * 1000))),
    f: arrow.makeVector(Float64Array.from(ids, (x) => x / 2)),
    s: arrow.vectorFromArray(Array.from(ids, (x) => (x % 3 === 0 ? null : `s${x}`)), new arrow.Utf8()),
    c: arrow.vectorFromArray(Array.from(ids, (x) => `k${x % 2}`), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    b: arrow.vectorFromArray(Array.from(ids, (x) => x % 4 === 1), new arrow.Bool()),
    d: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: n, data: Int32Array.from(ids, (x) => 19_000 + x) })),
  });
  const batch = table.batches[0]!;
  const slices = [batch.slice(3, 7), batch.slice(11, 17)];
  engine.registerTable('t.sliced', new MemoryTableSource(slices));
  const rows = await engine.sql('SELECT i, l, f, s, c, b, d FROM t.sliced ORDER BY i').toArray();
  const want = [...Array.from({ length: 4 }, (_, k) => 3 + k), ...Array.from({ length: 6 }, (_, k) => 11 + k)];
  expect(rows.map((r) => r['i'])).toEqual(want);
  expect(rows.map((r) => r['l'])).toEqual(want.map((x) => x * 1000));
  expect(rows.map((r) => r['f'])).toEqual(want.map((x) => x / 2));
  expect(rows.map((r) => r['s'])).toEqual(want.map((x) => (x % 3 === 0 ? null : `s${x}`)));
  expect(rows.map((r) => r['c'])).toEqual(want.map((x) => `k${x % 2}`));
  expect(rows.map((r) => r['b'])).toEqual(want.map((x) => x % 4 === 1));
  expect(rows.map((r) => (r['d'] as Date).getTime() / 86_400_000)).toEqual(want.map((x) => 19_000 + x));
});
