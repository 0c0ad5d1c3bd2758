/** Shared data for the format suites: an every-type schema and edge-case rows. */
import type { Schema } from 'lakehouse-engine/connectors';
import type * as arrow from 'apache-arrow';
import { icebergValueAt } from 'lakehouse-engine/connectors';
import { rng } from '../helpers/prng.js';

export type Value = boolean | number | bigint | string | Uint8Array | null;
export type Row = Record<string, Value>;

export const allTypesSchema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'b', required: false, type: 'boolean' },
    { id: 2, name: 'i', required: true, type: 'int' },
    { id: 3, name: 'l', required: false, type: 'long' },
    { id: 4, name: 'f', required: false, type: 'float' },
    { id: 5, name: 'd', required: false, type: 'double' },
    { id: 6, name: 'dec9', required: false, type: 'decimal(9,2)' },
    { id: 7, name: 'dec18', required: false, type: 'decimal(18,4)' },
    { id: 8, name: 'dec38', required: false, type: 'decimal(38,10)' },
    { id: 9, name: 'dt', required: false, type: 'date' },
    { id: 10, name: 'tm', required: false, type: 'time' },
    { id: 11, name: 'ts', required: false, type: 'timestamp' },
    { id: 12, name: 'tstz', required: false, type: 'timestamptz' },
    { id: 13, name: 's', required: false, type: 'string' },
    { id: 14, name: 'u', required: false, type: 'uuid' },
    { id: 15, name: 'fx', required: false, type: 'fixed[5]' },
    { id: 16, name: 'bin', required: false, type: 'binary' },
  ],
};

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** The tests' one PRNG (test/helpers/prng.ts). */
export { rng } from '../helpers/prng.js';

const hex = (r: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

/** Edge rows first (extremes, nulls, NaN, empty strings, pre-1970, negative decimals), then random rows. */
export function allTypesRows(randomRows: number, seed = 1): Row[] {
  const edge: Row[] = [
    {
      b: true, i: I32_MIN, l: I64_MIN, f: -3.4028234663852886e38, d: -Number.MAX_VALUE, dec9: -999_999_999n, dec18: -(10n ** 18n - 1n),
      dec38: -(10n ** 38n - 1n), dt: -719_162 /* 0001-01-01 */, tm: 0n, ts: -62_135_596_800_000_000n, tstz: -1n, s: '',
      u: '00000000-0000-0000-0000-000000000000', fx: new Uint8Array(5), bin: new Uint8Array(0),
    },
    {
      b: false, i: I32_MAX, l: I64_MAX, f: 3.4028234663852886e38, d: Number.MAX_VALUE, dec9: 999_999_999n, dec18: 10n ** 18n - 1n,
      dec38: 10n ** 38n - 1n, dt: 2_932_896 /* 9999-12-31 */, tm: 86_399_999_999n, ts: 253_402_300_799_999_999n, tstz: 1n,
      s: 'zß水🎉 a longer string that exceeds sixteen code points', u: 'ffffffff-ffff-ffff-ffff-ffffffffffff', fx: new Uint8Array(5).fill(255),
      bin: new Uint8Array(40).fill(255),
    },
    {
      b: null, i: 0, l: null, f: NaN, d: NaN, dec9: -1n, dec18: -5n, dec38: -123_456_789_012_345_678_901_234n, dt: -1, tm: null,
      ts: -1n, tstz: 1_700_000_000_123_456n, s: null, u: null, fx: null, bin: null,
    },
    {
      b: null, i: -1, l: 0n, f: -0, d: -0, dec9: null, dec18: null, dec38: null, dt: null, tm: 1n, ts: null, tstz: null, s: 'e\u0301',
      u: '123e4567-e89b-12d3-a456-426614174000', fx: Uint8Array.of(1, 2, 3, 4, 5), bin: Uint8Array.of(0),
    },
  ];
  const r = rng(seed);
  const rows: Row[] = [...edge];
  for (let k = 0; k < randomRows; k++) {
    const maybe = <T extends Value>(v: T): T | null => (r() < 0.1 ? null : v);
    const big = (bits: number): bigint => BigInt.asIntN(bits, BigInt(Math.floor(r() * 2 ** 52)) * BigInt(Math.floor(r() * 2 ** 30)) - (1n << BigInt(bits - 2)));
    rows.push({
      b: maybe(r() < 0.5),
      i: Math.floor(r() * 2 ** 32) - 2 ** 31,
      l: maybe(big(64)),
      f: maybe(Math.fround((r() - 0.5) * 1e6)),
      d: maybe((r() - 0.5) * 1e12),
      dec9: maybe(BigInt(Math.floor((r() - 0.5) * 1e9))),
      dec18: maybe(BigInt(Math.floor((r() - 0.5) * 1e15)) * 100n),
      dec38: maybe(big(120)),
      dt: maybe(Math.floor((r() - 0.5) * 40_000)),
      tm: maybe(BigInt(Math.floor(r() * 86_400_000_000))),
      ts: maybe(BigInt(Math.floor((r() - 0.5) * 4e15))),
      tstz: maybe(BigInt(Math.floor((r() - 0.5) * 4e15))),
      s: maybe(['', 'a', 'abc', `w${Math.floor(r() * 1000)}`, 'ünïcødé'][Math.floor(r() * 5)]!),
      u: maybe(`${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`),
      fx: maybe(Uint8Array.from({ length: 5 }, () => Math.floor(r() * 256))),
      bin: maybe(Uint8Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * 256))),
    });
  }
  return rows;
}

/** All values of a table column as Iceberg JS values (uuid as canonical string). */
export function columnValues(batches: arrow.RecordBatch[], name: string, uuid = false): Value[] {
  const out: Value[] = [];
  for (const b of batches) {
    const v = b.getChild(name);
    if (!v) throw new Error(`batch has no column ${name}`);
    for (let i = 0; i < b.numRows; i++) {
      const x = icebergValueAt(v, i);
      out.push(uuid && x instanceof Uint8Array ? toUuid(x) : x);
    }
  }
  return out;
}

export function toUuid(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Normalises a value for deep equality (NaN and -0 survive, bytes become arrays). */
export function norm(v: Value): unknown {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  return v;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
