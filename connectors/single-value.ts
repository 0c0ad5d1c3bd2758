/**
 * Iceberg's single-value binary serialization (spec Appendix D), used for `lower_bounds` /
 * `upper_bounds` in manifests and for partition-summary bounds in manifest lists.
 *
 * JS value conventions (used across the project for Iceberg values):
 * boolean → boolean; int, date (days since 1970-01-01) → number; long, time (µs), timestamp[tz]
 * (µs), timestamp[tz]_ns (ns) → bigint; float, double → number; decimal → bigint (the unscaled
 * value); string → string; uuid → string (canonical 8-4-4-4-12 hex); fixed, binary → Uint8Array.
 */

import { LakehouseError } from './errors.js';
import { parseDecimal, parseFixed, type PrimitiveType } from './iceberg-types.js';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

export type IcebergValue = boolean | number | bigint | string | Uint8Array;

export function encodeSingleValue(type: PrimitiveType, value: IcebergValue): Uint8Array {
  switch (type) {
    case 'boolean':
      return Uint8Array.of(value ? 1 : 0);
    case 'int':
    case 'date': {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, Number(value), true);
      return b;
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(value as bigint | number), true);
      return b;
    }
    case 'float': {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, Number(value), true);
      return b;
    }
    case 'double': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, Number(value), true);
      return b;
    }
    case 'string':
      return utf8.encode(String(value));
    case 'uuid':
      return uuidToBytes(String(value));
    case 'binary':
      return asBytes(value, type);
    default: {
      if (parseDecimal(type)) return bigintToMinimalBytes(BigInt(value as bigint | number));
      const len = parseFixed(type);
      if (len !== undefined) {
        const b = asBytes(value, type);
        if (b.byteLength !== len) throw new LakehouseError('INVALID_ARGUMENT', `fixed[${len}] value has ${b.byteLength} bytes`);
        return b;
      }
      throw new LakehouseError('UNSUPPORTED', `no single-value encoding for type ${type}`);
    }
  }
}

export function decodeSingleValue(type: PrimitiveType, bytes: Uint8Array): IcebergValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number): void => {
    if (bytes.byteLength < n) {
      throw new LakehouseError('INVALID_METADATA', `a ${type} bound has ${bytes.byteLength} bytes, expected ${n}`);
    }
  };
  switch (type) {
    case 'boolean':
      need(1);
      return bytes[0] !== 0;
    case 'int':
    case 'date':
      need(4);
      return dv.getInt32(0, true);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      // Iceberg allows an int-encoded bound for a long column promoted from int.
      if (bytes.byteLength === 4) return BigInt(dv.getInt32(0, true));
      need(8);
      return dv.getBigInt64(0, true);
    case 'float':
      need(4);
      return dv.getFloat32(0, true);
    case 'double':
      // A float promoted to double keeps its 4-byte bounds.
      if (bytes.byteLength === 4) return dv.getFloat32(0, true);
      need(8);
      return dv.getFloat64(0, true);
    case 'string':
      try {
        return utf8d.decode(bytes);
      } catch (err) {
        // Truncated upper bounds written by some engines can split a code point.
        return new TextDecoder('utf-8').decode(bytes);
      }
    case 'uuid':
      need(16);
      return bytesToUuid(bytes);
    case 'binary':
      return bytes.slice();
    default:
      if (parseDecimal(type)) return minimalBytesToBigint(bytes);
      if (parseFixed(type) !== undefined) return bytes.slice();
      throw new LakehouseError('UNSUPPORTED', `no single-value decoding for type ${type}`);
  }
}

/** Two's-complement big-endian in the minimum number of bytes (spec: decimal bounds). */
export function bigintToMinimalBytes(v: bigint): Uint8Array {
  const out: number[] = [];
  let x = v;
  for (;;) {
    const byte = Number(x & 0xffn);
    out.unshift(byte);
    x >>= 8n;
    const signBit = (byte & 0x80) !== 0;
    if ((x === 0n && !signBit) || (x === -1n && signBit)) break;
  }
  return Uint8Array.from(out);
}

export function minimalBytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.byteLength === 0) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  const bits = BigInt(bytes.byteLength * 8);
  if ((bytes[0]! & 0x80) !== 0) v -= 1n << bits;
  return v;
}

export function uuidToBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new LakehouseError('INVALID_ARGUMENT', `"${uuid}" is not a UUID`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToUuid(b: Uint8Array): string {
  const h = Array.from(b.subarray(0, 16), (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function asBytes(value: IcebergValue, type: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new LakehouseError('INVALID_ARGUMENT', `a ${type} value must be a Uint8Array`);
}
