/**
 * Arrow → kernel vectors for the exact types (part of the read path, arrow-in.ts): 64-bit
 * integers (signed and unsigned), timestamps in every unit, times, dates in milliseconds, and
 * decimals of 128 and 256 bits. Synchronous, pure, no shared state.
 *
 * Contract (docs/design.md, "Exact numbers"): a column whose every valid value is an integer
 * within ±(2^53−1) becomes a `num` vector (the fast path: one pass over the 32-bit words, no
 * BigInt); otherwise the column becomes a `big` vector of exact BigInts. Nothing is rounded:
 * nanoseconds become microseconds by floor division (the documented truncation), and a value
 * the engine type cannot hold (an unsigned 64-bit value ≥ 2^63, a decimal beyond its precision,
 * a timestamp beyond int64 microseconds) is a coded error naming the column.
 */
import type * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import { decimalParts, type DataType } from '../plan/types.js';
import { decimalToDouble, fromBigValues, pow10n, SAFE } from './exact.js';
import type { Valid, Vec } from './vec.js';

const TWO32 = 4294967296;

/**
 * How raw integers map to the engine's unit: multiply by `mul` (s/ms → µs), or floor-divide by
 * `div` (ns → µs, ms → days). One of them is 1.
 */
export interface UnitScale {
  mul: number;
  div: number;
}

/** Floor division of an exact integer double (|x| ≤ SAFE) by a positive integer, exactly. */
function floorDiv(x: number, d: number): number {
  let q = Math.floor(x / d);
  // x / d is rounded; one correction step makes the quotient exact (q·d is exact here).
  if (q * d > x) q -= 1;
  else if ((q + 1) * d <= x) q += 1;
  return q;
}

/**
 * 64-bit integers (BigInt64Array or BigUint64Array data) scaled to the engine unit. Returns the
 * `num` vector when every valid value fits ±SAFE after scaling, else the exact `big` vector.
 */
export function int64ToVec(d: arrow.Data, type: DataType, valid: Valid, scale: UnitScale, name: string): Vec {
  const v = d.values as unknown as BigInt64Array | BigUint64Array;
  const unsigned = v instanceof BigUint64Array;
  const n = d.length;
  const words = new Int32Array(v.buffer, v.byteOffset, n * 2);
  const out = new Float64Array(n);
  const { mul, div } = scale;
  let bad = false;
  if (mul === 1 && div === 1) {
    // Plain integers (the common case): the high word alone says whether the value fits.
    if (unsigned) {
      for (let i = 0; i < n; i++) {
        const hi = words[2 * i + 1]! >>> 0;
        if (hi > 0x1fffff && (valid === null || valid[i] === 1)) bad = true;
        out[i] = hi * TWO32 + (words[2 * i]! >>> 0);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const hi = words[2 * i + 1]!;
        const x = hi * TWO32 + (words[2 * i]! >>> 0);
        if ((x > SAFE || x < -SAFE) && (valid === null || valid[i] === 1)) bad = true;
        out[i] = x;
      }
    }
  } else if (div === 1000 && !unsigned) {
    // ns → µs exactly from the words: x = hi·2^32 + lo = (hq·1000 + hr)·2^32 + lo.
    for (let i = 0; i < n; i++) {
      const hi = words[2 * i + 1]!;
      const lo = words[2 * i]! >>> 0;
      const hq = Math.floor(hi / 1000);
      const hr = hi - hq * 1000;
      const q = hq * TWO32 + Math.floor((hr * TWO32 + lo) / 1000);
      if ((q > SAFE || q < -SAFE) && (valid === null || valid[i] === 1)) bad = true;
      out[i] = q;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const hi = unsigned ? words[2 * i + 1]! >>> 0 : words[2 * i + 1]!;
      const x = hi * TWO32 + (words[2 * i]! >>> 0);
      let y = x;
      if (x > SAFE || x < -SAFE) y = Number.NaN;
      else if (mul !== 1) y = x * mul;
      else if (div !== 1) y = floorDiv(x, div);
      if (!(y <= SAFE && y >= -SAFE) && (valid === null || valid[i] === 1)) bad = true;
      out[i] = y === y ? y : 0;
    }
  }
  if (!bad) return { t: 'num', type, values: out, valid };
  // Signed 64-bit values of a 64-bit engine type are in range by construction: the Arrow array
  // itself is the `big` vector (no BigInt per row until a kernel reads one).
  if (!unsigned && mul === 1 && div === 1 && (type === 'int64' || type === 'timestamp')) {
    return { t: 'big', type, values: v.length === n ? (v as BigInt64Array) : (v as BigInt64Array).subarray(0, n), valid };
  }
  return int64ToBig(v, n, type, valid, scale, name);
}

/** The exact path: BigInt arithmetic per row, then the engine type's range check. */
function int64ToBig(v: BigInt64Array | BigUint64Array, n: number, type: DataType, valid: Valid, scale: UnitScale, name: string): Vec {
  const out: bigint[] = new Array<bigint>(n);
  const mul = BigInt(scale.mul);
  const div = BigInt(scale.div);
  const limit = 2n ** 63n;
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) { out[i] = 0n; continue; }
    let x = v[i]!;
    if (v instanceof BigUint64Array && x >= limit) {
      throw new LakehouseError('CONVERSION_ERROR', `column "${name}" holds the unsigned 64-bit value ${x}, which is out of range for BIGINT (at most ${limit - 1n})`, {
        help: `Unsigned 64-bit columns are read as BIGINT when every value fits. Write the column as DECIMAL(20,0) instead (e.g. in DuckDB: CAST(${name} AS DECIMAL(20,0))).`,
        details: { column: name, value: String(x) },
      });
    }
    if (mul !== 1n) x *= mul;
    else if (div !== 1n) {
      const q = x / div;
      x = x % div < 0n ? q - 1n : q;
    }
    out[i] = x;
  }
  try {
    return fromBigValues(out, type, valid, n, 'conversion');
  } catch (err) {
    throw new LakehouseError('OUT_OF_RANGE', `column "${name}" holds a value out of the range of ${type} after conversion to the engine's unit (${(err as Error).message})`, {
      help: 'Timestamps must lie within the range of 64-bit microseconds since 1970 (about ±292,000 years).',
      details: { column: name },
      cause: err,
    });
  }
}

/** 32-bit unit data (Time32 s/ms) scaled to µs: always exact in doubles. */
export function int32ToVec(vals: Int32Array, n: number, type: DataType, valid: Valid, mul: number): Vec {
  const out = new Float64Array(n);
  out.set(vals.subarray(0, n));
  if (mul !== 1) for (let i = 0; i < n; i++) out[i] = out[i]! * mul;
  return { t: 'num', type, values: out, valid };
}

/**
 * Decimal128/Decimal256 words (little-endian two's complement, 4 or 8 uint32 per value) → the
 * unscaled integers of `type` (a decimal with the file's scale and at least its precision), or
 * doubles when the engine asked for `float64`.
 */
export function decimalToVec(d: arrow.Data<arrow.Decimal>, type: DataType, valid: Valid, name: string): Vec {
  const at = d.type;
  const n = d.length;
  const words = d.values as unknown as Uint32Array;
  const stride = at.bitWidth / 32;
  const target = decimalParts(type);
  if (type !== 'float64' && (!target || target.scale !== at.scale || target.precision < at.precision)) {
    throw new LakehouseError('SCHEMA_MISMATCH', `column "${name}" is DECIMAL(${at.precision},${at.scale}) in the data, which cannot be read as ${type}`, {
      help: 'A decimal column may only widen its precision (Iceberg type promotion); its scale must stay the same.',
      details: { column: name, fileType: `decimal(${at.precision},${at.scale})`, tableType: type },
    });
  }
  const out = new Float64Array(n);
  let wide = false;
  for (let i = 0; i < n; i++) {
    const o = i * stride;
    const hi = words[o + 1]! | 0;
    const x = hi * TWO32 + words[o]!;
    // Fits when the upper words are the sign extension of word 1 and |x| ≤ SAFE.
    let ext = true;
    const sign = hi < 0 ? 0xffffffff : 0;
    for (let w = 2; w < stride; w++) if (words[o + w] !== sign) { ext = false; break; }
    if (!ext || x > SAFE || x < -SAFE) {
      if (valid === null || valid[i] === 1) wide = true;
      out[i] = 0;
    } else out[i] = x;
  }
  const precision = target?.precision ?? at.precision;
  if (!wide) {
    const bound = Number(pow10n(Math.min(precision, 16))) - 1;
    if (precision < 16) checkDecimalBound(out, valid, n, bound, name, type);
    if (type === 'float64') {
      for (let i = 0; i < n; i++) out[i] = decimalToDouble(out[i]!, at.scale);
      return { t: 'num', type, values: out, valid };
    }
    return { t: 'num', type, values: out, valid };
  }
  const big: bigint[] = new Array<bigint>(n);
  const bits = BigInt(at.bitWidth);
  const bound = pow10n(precision);
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) { big[i] = 0n; continue; }
    const o = i * stride;
    let x = 0n;
    for (let w = stride - 1; w >= 0; w--) x = (x << 32n) | BigInt(words[o + w]!);
    x = BigInt.asIntN(Number(bits), x);
    if (x >= bound || x <= -bound) throw decimalTooWide(name, type, x, at.scale);
    big[i] = x;
  }
  if (type === 'float64') {
    for (let i = 0; i < n; i++) out[i] = decimalToDouble(big[i]!, at.scale);
    return { t: 'num', type, values: out, valid };
  }
  return { t: 'big', type, values: big, valid };
}

function checkDecimalBound(out: Float64Array, valid: Valid, n: number, bound: number, name: string, type: DataType): void {
  for (let i = 0; i < n; i++) {
    const x = out[i]!;
    if ((x > bound || x < -bound) && (valid === null || valid[i] === 1)) {
      throw decimalTooWide(name, type, BigInt(x), decimalParts(type)?.scale ?? 0);
    }
  }
}

function decimalTooWide(name: string, type: DataType, x: bigint, scale: number): LakehouseError {
  return new LakehouseError('CORRUPT_FILE', `column "${name}" holds the unscaled value ${x} (scale ${scale}), which has more digits than its type ${type} allows`, {
    help: 'The file declares a narrower decimal than the values it holds; re-write it with the right precision.',
    details: { column: name },
  });
}
