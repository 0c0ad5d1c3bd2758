/**
 * Iceberg data-file statistics (spec: manifest `data_file` fields) for a Parquet file, derived
 * from its footer (sizes, counts, min/max computed by parquet-rs, which excludes NaN and nulls)
 * plus NaN counts the writer counts itself (Parquet has no NaN count).
 * Bounds follow Iceberg's `truncate(16)` default: string lower bounds are cut to 16 code points,
 * upper bounds are cut and their last code point incremented, so they stay valid bounds.
 * Pure functions; no I/O.
 */

import * as arrow from 'apache-arrow';
import type { PrimitiveType } from './iceberg-types.js';
import type { ParquetFileMetadata } from './parquet-footer.js';
import { encodeSingleValue, type IcebergValue } from './single-value.js';

export interface DataFileStats {
  recordCount: number;
  fileSizeInBytes: number;
  columnSizes: Map<number, number>;
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  nanValueCounts: Map<number, number>;
  /** Appendix D single-value bytes. */
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
  splitOffsets: number[];
}

/** Iceberg's default metrics mode is truncate(16). */
export const DEFAULT_TRUNCATE_LENGTH = 16;

/**
 * Computes the data-file statistics of a written (or foreign) Parquet file. Columns without a
 * field id are skipped; `nanCounts` (by field id) are reported for float/double columns.
 * `truncateLength` = 0 disables truncation ("full" metrics mode).
 */
export function dataFileStats(md: ParquetFileMetadata, nanCounts: Map<number, number> = new Map(), truncateLength = DEFAULT_TRUNCATE_LENGTH): DataFileStats {
  const stats: DataFileStats = {
    recordCount: md.numRows,
    fileSizeInBytes: md.fileSize,
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
    splitOffsets: md.rowGroups.map((rg) => rg.offset).sort((a, b) => a - b),
  };
  for (const col of md.columns) {
    if (col.fieldId === undefined || col.nested || !col.type) continue;
    const id = col.fieldId;
    const type = col.type;
    let size = 0;
    let values = 0;
    let nulls: number | undefined = 0;
    let lo: IcebergValue | undefined;
    let hi: IcebergValue | undefined;
    let boundsKnown = true;
    for (const rg of md.rowGroups) {
      const c = rg.columnsById.get(id);
      if (!c) continue;
      size += c.compressedSize;
      values += c.valueCount;
      nulls = nulls === undefined || c.nullCount === undefined ? undefined : nulls + c.nullCount;
      const nonNull = c.nullCount === undefined ? undefined : c.valueCount - c.nullCount;
      if (nonNull === 0) continue; // all null: contributes no bounds
      if (c.min === undefined || c.max === undefined) {
        // Unknown in one row group means unknown for the file — unless it holds only NaN
        // (parquet-rs writes no min/max then), which bounds need not cover.
        const allNaN = (type === 'float' || type === 'double') && nanCounts.has(id);
        if (!allNaN) boundsKnown = false;
        continue;
      }
      if (lo === undefined || compareValues(type, c.min, lo) < 0) lo = c.min;
      if (hi === undefined || compareValues(type, c.max, hi) > 0) hi = c.max;
    }
    stats.columnSizes.set(id, size);
    stats.valueCounts.set(id, values);
    if (nulls !== undefined) stats.nullValueCounts.set(id, nulls);
    if (type === 'float' || type === 'double') stats.nanValueCounts.set(id, nanCounts.get(id) ?? 0);
    if (!boundsKnown) continue;
    if (lo !== undefined) {
      const b = lowerBound(type, lo, truncateLength);
      if (b) stats.lowerBounds.set(id, b);
    }
    if (hi !== undefined) {
      const b = upperBound(type, hi, truncateLength);
      if (b) stats.upperBounds.set(id, b);
    }
  }
  return stats;
}

/** Orders two values of one Iceberg type (strings by code point = UTF-8 byte order). */
export function compareValues(type: PrimitiveType, a: IcebergValue, b: IcebergValue): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint | number);
    const y = BigInt(b as bigint | number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') {
    if (type === 'uuid') return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
    return compareCodePoints(a, b);
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  return 0;
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.byteLength - b.byteLength;
}

function lowerBound(type: PrimitiveType, v: IcebergValue, n: number): Uint8Array | undefined {
  if (n > 0 && type === 'string') return encodeSingleValue(type, Array.from(v as string).slice(0, n).join(''));
  if (n > 0 && type === 'binary') return (v as Uint8Array).slice(0, n);
  return encodeSingleValue(type, v);
}

function upperBound(type: PrimitiveType, v: IcebergValue, n: number): Uint8Array | undefined {
  if (n > 0 && type === 'string') {
    const cps = Array.from(v as string);
    if (cps.length <= n) return encodeSingleValue(type, v);
    const out = truncateStringUpper(cps, n);
    return out === undefined ? undefined : encodeSingleValue(type, out);
  }
  if (n > 0 && type === 'binary') {
    const b = v as Uint8Array;
    if (b.byteLength <= n) return b.slice();
    return truncateBinaryUpper(b, n);
  }
  return encodeSingleValue(type, v);
}

/** First `n` code points with the last incrementable one incremented (Iceberg's rule). */
export function truncateStringUpper(cps: string[], n: number): string | undefined {
  const kept = cps.slice(0, n);
  for (let i = kept.length - 1; i >= 0; i--) {
    let cp = kept[i]!.codePointAt(0)! + 1;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000; // skip the surrogate range
    if (cp <= 0x10ffff) return kept.slice(0, i).join('') + String.fromCodePoint(cp);
  }
  return undefined;
}

export function truncateBinaryUpper(b: Uint8Array, n: number): Uint8Array | undefined {
  const out = b.slice(0, n);
  for (let i = out.byteLength - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]! += 1;
      return out.slice(0, i + 1);
    }
  }
  return undefined;
}

/** Counts NaN values (valid slots only) of a float/double vector. */
export function countNaN(vector: arrow.Vector): number {
  let nans = 0;
  for (const data of vector.data) {
    // arrow-js slices `values` by the data's offset but not the validity bitmap.
    const values = data.values as Float32Array | Float64Array;
    const start = data.offset;
    const nullBitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < data.length; i++) {
      const v = values[i]!;
      if (v !== v) {
        if (nullBitmap) {
          const bit = start + i;
          if ((nullBitmap[bit >> 3]! & (1 << (bit & 7))) === 0) continue;
        }
        nans++;
      }
    }
  }
  return nans;
}
