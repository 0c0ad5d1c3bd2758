/**
 * Property: for random data and random predicates, a read pruned by row-group statistics and
 * projected to a few columns returns exactly the rows a full read returns after filtering.
 * This holds only if every statistic is a true bound (min/max exclude nulls and NaN, null
 * counts are exact), which is what it checks.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  openObjectStore,
  readParquet,
  recordBatchFromRows,
  writeParquetFiles,
  type RowGroupStats,
  type Schema,
} from 'lakehouse-engine/connectors';
import { collect, columnValues, norm, type Value } from './fixtures.js';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'a', required: false, type: 'int' },
    { id: 3, name: 'd', required: false, type: 'double' },
    { id: 4, name: 's', required: false, type: 'string' },
    { id: 5, name: 'dt', required: false, type: 'date' },
    { id: 6, name: 'm', required: false, type: 'decimal(12,3)' },
  ],
};
const COLS = ['a', 'd', 's', 'dt', 'm'] as const;
type Col = (typeof COLS)[number];
type Op = '<' | '<=' | '=' | '>=' | '>' | 'isNull' | 'notNull';

const valueArb: Record<Col, fc.Arbitrary<Value>> = {
  a: fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }),
  d: fc.option(fc.oneof(fc.double({ min: -100, max: 100, noNaN: true }), fc.constant(Number.NaN)), { nil: null }),
  s: fc.option(fc.string({ maxLength: 4, unit: fc.constantFrom('a', 'b', 'z', 'é', '水') }), { nil: null }),
  dt: fc.option(fc.integer({ min: -400, max: 400 }), { nil: null }),
  m: fc.option(fc.bigInt({ min: -99_999n, max: 99_999n }), { nil: null }),
};

function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}

function test(op: Op, v: Value, lit: Value): boolean {
  if (op === 'isNull') return v === null;
  if (op === 'notNull') return v !== null;
  if (v === null || (typeof v === 'number' && Number.isNaN(v))) return false;
  const c = compare(v, lit);
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '=' ? c === 0 : op === '>=' ? c >= 0 : c > 0;
}

/** false only when the statistics prove that no row of the group can match. */
function mayMatch(rg: RowGroupStats, col: Col, op: Op, lit: Value): boolean {
  const c = rg.columns.get(col)!;
  if (op === 'isNull') return c.nullCount === undefined || c.nullCount > 0;
  if (op === 'notNull') return c.nullCount === undefined || c.nullCount < rg.numRows;
  if (c.min === undefined || c.max === undefined) return true;
  const lo = compare(c.min as Value, lit);
  const hi = compare(c.max as Value, lit);
  if (op === '<') return lo < 0;
  if (op === '<=') return lo <= 0;
  if (op === '>') return hi > 0;
  if (op === '>=') return hi >= 0;
  return lo <= 0 && hi >= 0;
}

const rowArb = fc.record({ a: valueArb.a, d: valueArb.d, s: valueArb.s, dt: valueArb.dt, m: valueArb.m });

let run = 0;
let skipped = 0;

describe('pruned + projected reads equal filtered full reads', () => {
  it('holds for random data and predicates', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { maxLength: 300 }),
        fc.integer({ min: 3, max: 60 }),
        fc.constantFrom(...COLS),
        fc.constantFrom<Op>('<', '<=', '=', '>=', '>', 'isNull', 'notNull'),
        fc.record({ a: valueArb.a, d: valueArb.d, s: valueArb.s, dt: valueArb.dt, m: valueArb.m }),
        fc.subarray([...COLS], { minLength: 0 }),
        async (raw, rowGroupSize, col, op, lits, extra) => {
          const lit = lits[col];
          if ((lit === null || (typeof lit === 'number' && Number.isNaN(lit))) && op !== 'isNull' && op !== 'notNull') return;
          const rows = raw.map((r, i) => ({ id: BigInt(i), ...r }));
          const store = await openObjectStore(`memory://prop-${run++}`);
          const files = await writeParquetFiles(store, () => 'f.parquet', [recordBatchFromRows(schema, rows)], { schema, rowGroupSize });
          if (rows.length === 0) {
            expect(files).toEqual([]); // no rows, no file
            return;
          }
          const cols = ['id', ...new Set([col, ...extra])];
          const full = await collect(readParquet(store, 'f.parquet'));
          const fullCol = columnValues(full, col);
          const expectedIds = columnValues(full, 'id').filter((_, i) => test(op, fullCol[i]!, lit));
          const pruned = await collect(
            readParquet(store, 'f.parquet', { columns: cols, rowGroupFilter: (rg) => mayMatch(rg, col, op, lit) || (skipped++, false), batchSize: 17 }),
          );
          if (pruned.length > 0) expect(pruned[0]!.schema.fields.map((f) => f.name)).toEqual(cols);
          const pc = columnValues(pruned, col);
          const keep = pc.map((v) => test(op, v, lit));
          expect(columnValues(pruned, 'id').filter((_, i) => keep[i])).toEqual(expectedIds);
          for (const c of cols) {
            const byId = new Map(columnValues(full, 'id').map((id, i) => [id, norm(columnValues(full, c)[i]!)]));
            const got = columnValues(pruned, c).filter((_, i) => keep[i]).map(norm);
            expect(got).toEqual(expectedIds.map((id) => byId.get(id)));
          }
          await store.close();
        },
      ),
      { numRuns: 40, seed: 20240611 },
    );
    expect(skipped).toBeGreaterThan(0); // the statistics did prune something

  });
});
