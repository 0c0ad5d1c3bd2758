/**
 * Row → partition tuple for a target partition spec, computed per column vector (no per-row
 * objects on the hot paths): identity, year/month/day/hour of dates and timestamps, bucket[N] of
 * integers, dates and timestamps (Murmur3 of the 8-byte little-endian long, as Iceberg hashes
 * them) and truncate[W] of integers are computed on the Float64 values directly, as are identity,
 * bucket[N] (Murmur3 of the minimal big-endian two's-complement bytes) and truncate[W] of decimals
 * on their unscaled integers — exact because `num` vectors hold integers within ±2^53; `big`
 * vectors (longs beyond 2^53, wide decimals) go through the catalog's BigInt path; string
 * transforms run once per distinct dictionary value; anything else falls back to the catalog's
 * `applyTransform` per row. Every path yields the catalog's own values (a test checks the output
 * files' partitions against `applyTransform` row by row). Synchronous, single-threaded.
 */

import { applyTransform, murmur3, parseTransform, type PartitionValue, type Transform } from '../../catalog/index.js';
import { parseDecimal, parseFixed, type PrimitiveType } from '../../connectors/iceberg-types.js';
import { byteStringToBytes } from '../compute/arrow-out.js';
import { civilFromDays } from '../plan/types.js';
import type { Chunk, Vec } from '../compute/vec.js';

export interface PartitionFieldPlan {
  /** Output column feeding the field (-1: the column is not produced; all values null). */
  source: number;
  /** Iceberg type of the target column. */
  sourceType: PrimitiveType;
  transform: string;
  /** Iceberg type of the partition value. */
  resultType: PrimitiveType;
}

const US_PER_DAY = 86_400_000_000;
const US_PER_HOUR = 3_600_000_000;
const TWO32 = 4294967296;

const hashBuf = new Uint8Array(8);
const hashView = new DataView(hashBuf.buffer);

/**
 * Iceberg's bucket hash of an unscaled decimal (|x| ≤ 2^53): Murmur3 of its minimal big-endian
 * two's-complement bytes (connectors/single-value.ts bigintToMinimalBytes, without BigInts).
 */
function hashDecimal(x: number): number {
  const hi = Math.floor(x / TWO32);
  hashView.setInt32(0, hi | 0, false);
  hashView.setUint32(4, (x - hi * TWO32) >>> 0, false);
  let start = 0;
  // A leading 0x00 (0xff) byte is redundant while the next byte's top bit repeats its sign.
  while (start < 7 && ((hashBuf[start] === 0 && hashBuf[start + 1]! < 0x80) || (hashBuf[start] === 0xff && hashBuf[start + 1]! >= 0x80))) start++;
  return murmur3(hashBuf.subarray(start));
}

/** Iceberg's bucket hash of an integer-valued long (|x| < 2^53). */
function hashLong(x: number): number {
  const hi = Math.floor(x / TWO32);
  hashView.setUint32(0, (x - hi * TWO32) >>> 0, true);
  hashView.setInt32(4, hi | 0, true);
  return murmur3(hashBuf);
}

const TEMPORAL = new Set<PrimitiveType>(['date', 'timestamp', 'timestamptz']);

/** Days since the epoch of an engine value of a date/timestamp column. */
function daysOf(sourceType: PrimitiveType, v: number): number {
  return sourceType === 'date' ? v : Math.floor(v / US_PER_DAY);
}

const SAFE_N = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A fast numeric transform, or undefined when the catalog's general path must be used. The
 * function itself answers undefined for a value whose result would leave ±2^53 (then that value
 * takes the general path).
 */
function numericTransform(t: Transform, st: PrimitiveType): ((v: number) => number | undefined) | undefined {
  const integral = st === 'int' || st === 'long';
  // Decimals are their unscaled integers here (`num` vectors hold them exactly).
  const decimal = parseDecimal(st) !== undefined;
  switch (t.kind) {
    case 'identity':
      return integral || decimal || st === 'date' || st === 'timestamp' || st === 'timestamptz' || st === 'double' ? (v) => v : undefined;
    case 'year':
      return TEMPORAL.has(st) ? (v) => civilFromDays(daysOf(st, v))[0] - 1970 : undefined;
    case 'month':
      return TEMPORAL.has(st) ? (v) => { const [y, m] = civilFromDays(daysOf(st, v)); return (y - 1970) * 12 + m - 1; } : undefined;
    case 'day':
      return TEMPORAL.has(st) ? (v) => daysOf(st, v) : undefined;
    case 'hour':
      return st === 'timestamp' || st === 'timestamptz' ? (v) => Math.floor(v / US_PER_HOUR) : undefined;
    case 'bucket':
      if (decimal) return (v) => (hashDecimal(v) & 0x7fffffff) % t.n;
      return integral || TEMPORAL.has(st) ? (v) => (hashLong(v) & 0x7fffffff) % t.n : undefined;
    case 'truncate':
      // Exact in doubles while the result (≤ v, by less than the width) stays within ±2^53.
      return integral || decimal ? (v) => { const r = v - (((v % t.width) + t.width) % t.width); return r >= -Number.MAX_SAFE_INTEGER ? r : undefined; } : undefined;
    case 'void':
      return () => NaN;
  }
}

/** The catalog value of a numeric partition result (longs and timestamps are bigints there). */
function toPartitionValue(resultType: PrimitiveType, v: number): PartitionValue {
  if (Number.isNaN(v)) return null;
  if (resultType === 'long' || resultType === 'timestamp' || resultType === 'timestamptz' || parseDecimal(resultType)) return BigInt(v);
  return v;
}

/** The catalog's value convention for one engine value of a column of Iceberg type `st`. */
function icebergValueOf(st: PrimitiveType, vec: Vec, i: number): PartitionValue {
  if (vec.valid !== null && !vec.valid[i]) return null;
  if (vec.t === 'str') return vec.dict[vec.codes[i]!]!;
  if (vec.t === 'bool') return vec.values[i] === 1;
  const x = vec.values[i]!;
  if (typeof x === 'bigint') {
    if (st === 'timestamp_ns' || st === 'timestamptz_ns') return x * 1000n;
    return st === 'int' || st === 'double' || st === 'float' || st === 'date' ? Number(x) : x;
  }
  // Decimal partition values are their unscaled integer (connectors/single-value.ts).
  if (st === 'long' || st === 'timestamp' || st === 'timestamptz' || st === 'time' || parseDecimal(st)) return BigInt(Math.trunc(x));
  if (st === 'timestamp_ns' || st === 'timestamptz_ns') return BigInt(Math.trunc(x)) * 1000n;
  return x;
}

/** Per-field ids of the distinct partition values of a chunk, and the values. */
interface FieldIds {
  ids: Int32Array;
  values: PartitionValue[];
}

function fieldIds(f: PartitionFieldPlan, chunk: Chunk): FieldIds {
  const n = chunk.length;
  const ids = new Int32Array(n);
  const values: PartitionValue[] = [];
  if (f.source < 0) {
    values.push(null);
    return { ids, values };
  }
  const vec = chunk.cols[f.source]!;
  const t = parseTransform(f.transform);
  const valid = vec.valid;
  if (vec.t === 'str') {
    // Once per dictionary entry; null gets its own id.
    const codeIds = new Int32Array(vec.dict.length).fill(-1);
    const byValue = new Map<unknown, number>();
    let nullId = -1;
    for (let i = 0; i < n; i++) {
      if (valid !== null && !valid[i]) {
        if (nullId < 0) { nullId = values.length; values.push(null); }
        ids[i] = nullId;
        continue;
      }
      const c = vec.codes[i]!;
      let id = codeIds[c]!;
      if (id < 0) {
        // Binary values are byte strings in the kernels and bytes in the catalog.
        const raw = vec.dict[c]!;
        const pv = applyTransform(t, f.sourceType, f.sourceType === 'binary' || parseFixed(f.sourceType) !== undefined ? byteStringToBytes(raw) : raw);
        const key = pv instanceof Uint8Array ? Buffer.from(pv).toString('hex') : pv;
        id = byValue.get(key) ?? -1;
        if (id < 0) { id = values.length; values.push(pv); byValue.set(key, id); }
        codeIds[c] = id;
      }
      ids[i] = id;
    }
    return { ids, values };
  }
  const fast = vec.t === 'num' ? numericTransform(t, f.sourceType) : undefined;
  const byValue = new Map<unknown, number>();
  for (let i = 0; i < n; i++) {
    let key: unknown;
    let pv: PartitionValue | undefined;
    if (valid !== null && !valid[i]) key = null;
    else if (fast === undefined || (key = fast((vec as Extract<Vec, { t: 'num' }>).values[i]!)) === undefined) {
      pv = applyTransform(t, f.sourceType, icebergValueOf(f.sourceType, vec, i));
      // Keyed as the fast path keys the same value (a number while exact), so both meet.
      key = typeof pv === 'bigint' ? (pv <= SAFE_N && pv >= -SAFE_N ? Number(pv) : `n${pv}`) : pv instanceof Uint8Array ? Buffer.from(pv).toString('hex') : pv;
    }
    let id = byValue.get(key);
    if (id === undefined) {
      id = values.length;
      if (key === null) values.push(null);
      else values.push(pv !== undefined ? pv : toPartitionValue(f.resultType, key as number));
      byValue.set(key, id);
    }
    ids[i] = id;
  }
  return { ids, values };
}

export interface ChunkPartitions {
  /** Partition index of each row (into `tuples`). */
  rowPartition: Int32Array;
  tuples: PartitionValue[][];
}

/** Groups a chunk's rows by partition tuple (tuples in first-seen order: deterministic). */
export function partitionChunk(fields: PartitionFieldPlan[], chunk: Chunk): ChunkPartitions {
  const n = chunk.length;
  const rowPartition = new Int32Array(n);
  if (fields.length === 0) return { rowPartition, tuples: [[]] };
  const per = fields.map((f) => fieldIds(f, chunk));
  if (per.length === 1) return { rowPartition: per[0]!.ids, tuples: per[0]!.values.map((v) => [v]) };
  const tuples: PartitionValue[][] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    let key = '';
    for (const p of per) key += `${p.ids[i]},`;
    let id = seen.get(key);
    if (id === undefined) {
      id = tuples.length;
      tuples.push(per.map((p) => p.values[p.ids[i]!]!));
      seen.set(key, id);
    }
    rowPartition[i] = id;
  }
  return { rowPartition, tuples };
}

/** JSON-safe form of a partition value (bigint → number when exact else string, bytes → hex). */
export function partitionValueToJson(v: PartitionValue): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v as string | number | boolean;
}

/** Inverse of partitionValueToJson for a partition field of Iceberg type `t`. */
export function partitionValueFromJson(t: PrimitiveType, v: unknown): PartitionValue {
  if (v === null || v === undefined) return null;
  if (t === 'long' || t === 'time' || t.startsWith('timestamp') || t.startsWith('decimal')) return BigInt(v as number | string);
  if (t === 'binary' || t.startsWith('fixed')) return Uint8Array.from(Buffer.from(String(v), 'hex'));
  if (t === 'int' || t === 'date' || t === 'float' || t === 'double') return Number(v);
  return v as PartitionValue;
}
