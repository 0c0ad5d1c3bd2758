/**
 * Store assignment: a query's output vector → the values a table column of a given Iceberg type
 * stores, and those values → the Arrow column the Parquet writer takes. Pure and synchronous.
 *
 * Which (query type, column type) pairs may meet is decided before anything runs
 * (target.ts `assignable`); this module converts the values and checks what can only be checked
 * per value — exactly, never rounding:
 *   - long → int (Spark's ANSI store assignment): a value outside the int range is OUT_OF_RANGE;
 *   - int/long → decimal(P,S): the unscaled value is x·10^S (in doubles while exact, else BigInts);
 *   - decimal(p,S) → decimal(P,S), p ≤ P: the same unscaled values under the wider type;
 *   - timestamp (µs) → timestamp_ns: ×1000, OUT_OF_RANGE beyond the 64-bit range;
 *   - binary → fixed[N]: each value must have N bytes (CONVERSION_ERROR otherwise);
 *   - uuid text → 16 bytes.
 */

import * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import { parseDecimal, parseFixed, type NestedField, type PrimitiveType } from '../../connectors/iceberg-types.js';
import { fixedBinaryData, vecToData } from '../compute/arrow-out.js';
import { fromBigValues, INT32_MAX, INT32_MIN, pow10, pow10n, SAFE, typeLabel } from '../compute/exact.js';
import { allNull, type Vec } from '../compute/vec.js';
import { decimalParts, type DataType } from '../plan/types.js';
import { engineTypeOfIceberg } from '../source/iceberg-engine-types.js';

/**
 * The engine type of the values a column of Iceberg type `t` holds (fixed[N] → binary): the one
 * mapping of engine/source/iceberg-engine-types.ts, refusing what the engine cannot write.
 */
export function storedEngineType(t: PrimitiveType): DataType {
  const e = engineTypeOfIceberg(t);
  if (e === undefined) throw new LakehouseError('UNSUPPORTED', `cannot write Iceberg type ${t}`);
  return e;
}

/** SQL spelling of an Iceberg type for a suggested CAST (what the engine's SQL accepts). */
export function sqlTypeName(t: PrimitiveType): string {
  const d = parseDecimal(t);
  if (d) return `DECIMAL(${d.precision},${d.scale})`;
  switch (t) {
    case 'int': return 'INT';
    case 'long': return 'BIGINT';
    case 'timestamptz': case 'timestamp_ns': case 'timestamptz_ns': return 'TIMESTAMP';
    default: return parseFixed(t) !== undefined ? 'BINARY' : t.toUpperCase();
  }
}

function notStorable(x: number | bigint, from: DataType, f: NestedField): LakehouseError {
  return new LakehouseError('OUT_OF_RANGE', `value ${String(x)} (${typeLabel(from)}) is out of range for column "${f.name}" of type ${String(f.type)}`, {
    help: `Filter the rows whose ${f.name} does not fit, or widen the column's type (e.g. long) before writing.`,
    details: { column: f.name, value: String(x) },
  });
}

/** Converts an output vector of engine type `from` to the stored values of column `f`. */
export function assignVec(v: Vec, from: DataType, f: NestedField, n: number): Vec {
  const t = f.type as PrimitiveType;
  const to = storedEngineType(t);
  if (from === 'null' || (v.t === 'num' && v.type === 'null')) return allNull(to, n);
  if (from === to) return v;
  if (v.t === 'bool' || v.t === 'str') {
    // Dictionary vectors carry no engine type: string, uuid and binary meet only themselves.
    if (v.t === 'str' && (to === 'binary' || to === 'string' || to === 'uuid')) return v;
    throw new LakehouseError('INTERNAL', `a ${v.t} vector (${from}) cannot be stored in column "${f.name}" (${t})`);
  }
  const valid = v.valid;
  if (to === 'int32' && from === 'int64') {
    if (v.t === 'big') {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        if (valid !== null && !valid[i]) continue;
        const x = v.values[i]!;
        if (x > BigInt(INT32_MAX) || x < BigInt(INT32_MIN)) throw notStorable(x, from, f);
        out[i] = Number(x);
      }
      return { t: 'num', type: 'int32', values: out, valid };
    }
    const s = v.values;
    for (let i = 0; i < n; i++) {
      const x = s[i]!;
      if ((x > INT32_MAX || x < INT32_MIN) && (valid === null || valid[i])) throw notStorable(x, from, f);
    }
    return { t: 'num', type: 'int32', values: s, valid };
  }
  if (to === 'float64') {
    if (v.t === 'num') return { t: 'num', type: 'float64', values: v.values, valid };
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(v.values[i]!);
    return { t: 'num', type: 'float64', values: out, valid };
  }
  const dTo = decimalParts(to);
  if (dTo) {
    const dFrom = decimalParts(from);
    if (dFrom) {
      if (dFrom.scale !== dTo.scale) throw new LakehouseError('INTERNAL', `decimal scale ${dFrom.scale} reached column "${f.name}" of scale ${dTo.scale}`);
      return { ...v, type: to };
    }
    // An integer: unscaled = x · 10^S.
    const S = dTo.scale;
    if (v.t === 'num' && S <= 22) {
      const m = pow10(S);
      const s = v.values;
      const out = new Float64Array(n);
      let exact = true;
      for (let i = 0; i < n; i++) {
        const y = s[i]! * m;
        out[i] = y;
        if ((y > SAFE || y < -SAFE) && (valid === null || valid[i])) exact = false;
      }
      if (exact) return fromCheckedNum(out, to, valid, n, f, from, s);
    }
    const mb = pow10n(S);
    const bound = pow10n(dTo.precision);
    const big: bigint[] = new Array<bigint>(n);
    for (let i = 0; i < n; i++) {
      if (valid !== null && !valid[i]) { big[i] = 0n; continue; }
      const x = v.t === 'big' ? v.values[i]! : BigInt(v.values[i]!);
      const y = x * mb;
      if (y >= bound || y <= -bound) throw notStorable(x, from, f);
      big[i] = y;
    }
    return fromBigValues(big, to, valid, n, 'conversion');
  }
  if (to === 'int64' && from === 'int32') return { ...v, type: 'int64' };
  if (to === 'timestamp' && from === 'timestamp') return v;
  throw new LakehouseError('INTERNAL', `no store assignment from ${from} to column "${f.name}" (${t})`);
}

/** A decimal `num` vector computed in doubles, checked against the precision. */
function fromCheckedNum(out: Float64Array, to: DataType, valid: Vec['valid'], n: number, f: NestedField, from: DataType, src: Float64Array): Vec {
  const d = decimalParts(to)!;
  if (d.precision <= 15) {
    const bound = pow10(d.precision);
    for (let i = 0; i < n; i++) {
      const y = out[i]!;
      if ((y >= bound || y <= -bound) && (valid === null || valid[i])) throw notStorable(src[i]!, from, f);
    }
  }
  return { t: 'num', type: to, values: out, valid };
}

/** The Arrow column of Iceberg type `f.type` from its stored values (see storedEngineType). */
export function columnData(v: Vec | null, f: NestedField, n: number): arrow.Data {
  const t = f.type as PrimitiveType;
  const stored = storedEngineType(t);
  const vec = v ?? allNull(stored, n);
  const width = parseFixed(t);
  if (width !== undefined) return fixedBinaryData(vec, n, width, f.name);
  if (t === 'uuid') return fixedBinaryData(vec, n, 16, f.name, true);
  const data = vecToData(vec, stored, n);
  const like = { length: n, nullCount: data.nullCount, nullBitmap: data.nullBitmap };
  if (t === 'float') return arrow.makeData({ type: new arrow.Float32(), ...like, data: Float32Array.from(data.values as Float64Array) });
  if (t === 'timestamptz') return arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), ...like, data: data.values as BigInt64Array });
  if (t === 'timestamp_ns' || t === 'timestamptz_ns') {
    const us = data.values as BigInt64Array;
    const ns = new BigInt64Array(n);
    const valid = vec.valid;
    for (let i = 0; i < n; i++) {
      if (valid !== null && !valid[i]) continue;
      const x = us[i]! * 1000n;
      if (BigInt.asIntN(64, x) !== x) throw notStorable(us[i]!, 'timestamp', f);
      ns[i] = x;
    }
    return arrow.makeData({ type: new arrow.TimestampNanosecond(t === 'timestamptz_ns' ? 'UTC' : null), ...like, data: ns });
  }
  return data;
}
