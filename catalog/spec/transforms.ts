/**
 * Iceberg partition transforms (spec "Partition Transforms"): identity, year, month, day, hour,
 * bucket[N], truncate[W], void. Values follow the project's JS conventions (see
 * connectors/single-value.ts): date → days (number), timestamp → µs (bigint), timestamp_ns →
 * ns (bigint), decimal → unscaled bigint. `null` in gives `null` out. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { parseDecimal, parseFixed, type PrimitiveType } from '../../connectors/iceberg-types.js';
import { bigintToMinimalBytes, uuidToBytes, type IcebergValue } from '../../connectors/single-value.js';
import { murmur3 } from './murmur3.js';

export type Transform =
  | { kind: 'identity' }
  | { kind: 'year' }
  | { kind: 'month' }
  | { kind: 'day' }
  | { kind: 'hour' }
  | { kind: 'bucket'; n: number }
  | { kind: 'truncate'; width: number }
  | { kind: 'void' };

export type PartitionValue = IcebergValue | null;

export function parseTransform(s: string): Transform {
  const t = s.trim();
  if (t === 'identity' || t === 'year' || t === 'month' || t === 'day' || t === 'hour' || t === 'void') return { kind: t };
  const b = /^bucket\[(\d+)\]$/.exec(t);
  if (b && Number(b[1]) > 0) return { kind: 'bucket', n: Number(b[1]) };
  const w = /^truncate\[(\d+)\]$/.exec(t);
  if (w && Number(w[1]) > 0) return { kind: 'truncate', width: Number(w[1]) };
  throw new LakehouseError('UNSUPPORTED', `unknown partition transform "${s}"`, {
    help: 'Supported transforms: identity, year, month, day, hour, bucket[N], truncate[W], void.',
  });
}

export function transformToString(t: Transform): string {
  if (t.kind === 'bucket') return `bucket[${t.n}]`;
  if (t.kind === 'truncate') return `truncate[${t.width}]`;
  return t.kind;
}

const TEMPORAL = new Set(['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);

/** The partition field's type for a source type, or an error when the transform does not apply. */
export function transformResultType(t: Transform, source: PrimitiveType): PrimitiveType {
  const bad = (): never => {
    throw new LakehouseError('INVALID_ARGUMENT', `transform ${transformToString(t)} cannot be applied to a ${source} column`, {
      help: 'year/month/day/hour need a date or timestamp; bucket needs int, long, decimal, date, time, timestamp, string, uuid, fixed or binary; truncate needs int, long, decimal, string or binary.',
    });
  };
  switch (t.kind) {
    case 'identity':
    case 'void':
      return source;
    case 'year':
    case 'month':
      return TEMPORAL.has(source) ? 'int' : bad();
    case 'day':
      // Java writes day partitions as `date` (an int of days); readers treat both the same.
      return TEMPORAL.has(source) ? 'date' : bad();
    case 'hour':
      return TEMPORAL.has(source) && source !== 'date' ? 'int' : bad();
    case 'bucket':
      if (source === 'boolean' || source === 'float' || source === 'double') bad();
      return 'int';
    case 'truncate':
      return source === 'int' || source === 'long' || source === 'string' || source === 'binary' || parseDecimal(source) ? source : bad();
  }
}

const US_PER_HOUR = 3_600_000_000n;
const US_PER_DAY = 86_400_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Microseconds since the epoch for a temporal value (dates → midnight). */
function toMicros(source: PrimitiveType, v: IcebergValue): bigint {
  if (source === 'date') return BigInt(v as number) * US_PER_DAY;
  if (source === 'timestamp_ns' || source === 'timestamptz_ns') return floorDiv(BigInt(v as bigint), 1000n);
  return BigInt(v as bigint);
}

function daysOf(source: PrimitiveType, v: IcebergValue): number {
  if (source === 'date') return Number(v);
  return Number(floorDiv(toMicros(source, v), US_PER_DAY));
}

function yearMonth(days: number): { year: number; month: number } {
  const d = new Date(days * 86_400_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() };
}

export function applyTransform(t: Transform, source: PrimitiveType, v: PartitionValue): PartitionValue {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case 'identity':
      return v;
    case 'void':
      return null;
    case 'year':
      return yearMonth(daysOf(source, v)).year - 1970;
    case 'month': {
      const { year, month } = yearMonth(daysOf(source, v));
      return (year - 1970) * 12 + month;
    }
    case 'day':
      return daysOf(source, v);
    case 'hour':
      return Number(floorDiv(toMicros(source, v), US_PER_HOUR));
    case 'bucket':
      return (hashValue(source, v) & 0x7fffffff) % t.n;
    case 'truncate':
      return truncateValue(source, v, t.width);
  }
}

/** The bytes Appendix B hashes for a value of `type`. */
export function hashValue(type: PrimitiveType, v: IcebergValue): number {
  const long = (x: bigint): number => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, x), true);
    return murmur3(b);
  };
  switch (type) {
    case 'int':
    case 'date':
      return long(BigInt(v as number));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return long(BigInt(v as bigint));
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return long(floorDiv(BigInt(v as bigint), 1000n));
    case 'string':
      return murmur3(new TextEncoder().encode(String(v)));
    case 'uuid':
      return murmur3(uuidToBytes(String(v)));
    case 'binary':
      return murmur3(v as Uint8Array);
    default:
      if (parseDecimal(type)) return murmur3(bigintToMinimalBytes(BigInt(v as bigint)));
      if (parseFixed(type) !== undefined) return murmur3(v as Uint8Array);
      throw new LakehouseError('UNSUPPORTED', `cannot bucket a ${type} value`);
  }
}

function truncateValue(type: PrimitiveType, v: IcebergValue, w: number): IcebergValue {
  if (type === 'int') {
    const x = Number(v);
    return x - (((x % w) + w) % w);
  }
  if (type === 'long' || parseDecimal(type)) {
    const x = BigInt(v as bigint);
    const W = BigInt(w);
    return x - (((x % W) + W) % W);
  }
  if (type === 'string') {
    // Truncate by code points, not UTF-16 units, as the spec requires.
    const cps = Array.from(String(v));
    return cps.length <= w ? String(v) : cps.slice(0, w).join('');
  }
  if (type === 'binary') {
    const b = v as Uint8Array;
    return b.byteLength <= w ? b : b.slice(0, w);
  }
  throw new LakehouseError('UNSUPPORTED', `cannot truncate a ${type} value`);
}

/**
 * Whether a transform preserves order (a ≤ b ⇒ T(a) ≤ T(b)), so that range predicates on the
 * source column can be projected onto the partition value.
 */
export function isOrderPreserving(t: Transform): boolean {
  return t.kind !== 'bucket' && t.kind !== 'void';
}

/** The human-readable partition value used in data-file paths (`date=2022-01-01`). */
export function partitionPathValue(t: Transform, resultType: PrimitiveType, v: PartitionValue): string {
  if (v === null) return 'null';
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  switch (t.kind) {
    case 'year':
      return String(1970 + Number(v));
    case 'month': {
      const m = Number(v);
      const y = 1970 + Math.floor(m / 12);
      return `${y}-${pad(((m % 12) + 12) % 12 + 1)}`;
    }
    case 'day':
      return new Date(Number(v) * 86_400_000).toISOString().slice(0, 10);
    case 'hour': {
      const d = new Date(Number(v) * 3_600_000);
      return `${d.toISOString().slice(0, 10)}-${pad(d.getUTCHours())}`;
    }
    default:
      break;
  }
  if (resultType === 'date') return new Date(Number(v) * 86_400_000).toISOString().slice(0, 10);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  const dec = parseDecimal(resultType);
  if (dec) return formatDecimal(BigInt(v as bigint), dec.scale);
  return String(v);
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  if (scale === 0) return unscaled.toString();
  const neg = unscaled < 0n;
  const s = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${s.slice(0, -scale)}.${s.slice(-scale)}`;
}
