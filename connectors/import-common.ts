/**
 * Shared machinery of the CSV and NDJSON importers: a bounded-memory byte source over ranged
 * store reads, text → Iceberg value conversion, schema inference from a sample, bad-record
 * reporting, and batch assembly. Synchronous except for the byte source.
 */

import type * as arrow from 'apache-arrow';
import { icebergSchemaToArrow } from './arrow-types.js';
import { batchFromBuilders, ColumnBuilder } from './arrow-builders.js';
import { LakehouseError } from './errors.js';
import { parseDecimal, parseFixed, type NestedField, type PrimitiveType, type Schema } from './iceberg-types.js';
import type { ObjectStore } from './object-store.js';
import type { IcebergValue } from './single-value.js';

/** A row that could not be imported: where it is and why. */
export interface BadRecord {
  file: string;
  line: number;
  reason: string;
  column?: string;
}

export interface ImportOptions {
  /** Explicit schema (columns matched by name). Without one, it is inferred from a sample. */
  schema?: Schema;
  /** Records sampled for inference (default 1000). */
  inferRows?: number;
  /** Rows per batch (default 65 536). */
  batchSize?: number;
  /** `fail` (default): the first bad record throws BAD_RECORD. `collect`: report and skip. */
  errors?: 'fail' | 'collect';
  /** Receives each bad record in `collect` mode. */
  onBadRecord?: (bad: BadRecord) => void;
  /** In `collect` mode, give up (BAD_RECORD) after this many bad records (default unlimited). */
  maxBadRecords?: number;
  /** Bytes per ranged read (default 4 MiB); memory stays bounded by this and one batch. */
  chunkSize?: number;
  signal?: AbortSignal;
}

export const DEFAULT_IMPORT_BATCH = 65_536;

/** Streams an object as chunks of at most `chunkSize` bytes, with ranged reads. */
export async function* objectChunks(store: ObjectStore, key: string, chunkSize = 4 * 1024 * 1024, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const meta = await store.head(key);
  if (!meta) {
    throw new LakehouseError('NOT_FOUND', `file ${store.uriFor(key)} not found`, { details: { key } });
  }
  for (let off = 0; off < meta.size; off += chunkSize) {
    if (signal?.aborted) throw new LakehouseError('CANCELLED', 'import cancelled', { cause: signal.reason });
    yield await store.get(key, { offset: off, length: Math.min(chunkSize, meta.size - off) });
  }
}

/** Collects or throws bad records according to the options. */
export class BadRecords {
  count = 0;
  constructor(private readonly file: string, private readonly options: ImportOptions) {}

  report(line: number, reason: string, column?: string): void {
    const bad: BadRecord = { file: this.file, line, reason, ...(column === undefined ? {} : { column }) };
    this.count++;
    const fail = (this.options.errors ?? 'fail') === 'fail';
    if (fail || this.count > (this.options.maxBadRecords ?? Number.POSITIVE_INFINITY)) {
      throw new LakehouseError('BAD_RECORD', `${this.file} line ${line}: ${reason}`, {
        help: fail
          ? "Fix the record, or import with errors: 'collect' to skip bad records and report them."
          : `More than ${this.options.maxBadRecords} bad records; the file may not match the schema.`,
        details: { ...bad },
      });
    }
    this.options.onBadRecord?.(bad);
  }
}

const DATE_RE = /^(-?\d{4,})-(\d{2})-(\d{2})$/;
const TS_RE = /^(-?\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const INT_RE = /^[+-]?\d+$/;
const DEC_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;

function daysFromCivil(y: number, m: number, d: number): number | undefined {
  if (m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  if (date.getUTCDate() !== d) return undefined; // e.g. Feb 30
  return Math.round(date.getTime() / 86_400_000);
}

function fraction(f: string | undefined, digits: number): bigint {
  return BigInt((f ?? '').padEnd(digits, '0').slice(0, digits) || '0');
}

/** Microseconds (or nanoseconds) since the epoch for a timestamp text; `undefined` if invalid. */
function parseTimestamp(s: string, tz: boolean, nanos: boolean): bigint | undefined {
  const m = TS_RE.exec(s);
  if (!m) {
    const d = DATE_RE.exec(s);
    if (!d) return undefined;
    const days = daysFromCivil(Number(d[1]), Number(d[2]), Number(d[3]));
    return days === undefined ? undefined : BigInt(days) * 86_400_000_000n * (nanos ? 1000n : 1n);
  }
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  const hh = Number(m[4]);
  const mm = Number(m[5]);
  const ss = Number(m[6] ?? 0);
  if (days === undefined || hh > 23 || mm > 59 || ss > 59) return undefined;
  const zone = m[8];
  if (zone && !tz) return undefined; // an offset on a timestamp without zone would be dropped silently
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
  }
  const unit = nanos ? 1_000_000_000n : 1_000_000n;
  const secs = BigInt(days) * 86_400n + BigInt(hh * 3600 + mm * 60 + ss - offsetMin * 60);
  return secs * unit + fraction(m[7], nanos ? 9 : 6);
}

/**
 * Parses a decimal text (`-12.345`, `1.5e3`, `.5`) to its unscaled value at `scale`, rounding
 * half away from zero as DuckDB and Spark do when a text is cast to a decimal
 * (`'1.255'` → 1.26 at scale 2). `undefined` when it is not a number or has more integer digits
 * than `precision − scale` allows (never a silent truncation).
 */
export function parseDecimalText(s: string, precision: number, scale: number): bigint | undefined {
  const m = DEC_RE.exec(s.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  let intPart = m[2] ?? '';
  let frac = m[3] ?? '';
  let exp = m[4] ? Number(m[4]) : 0;
  if (Math.abs(exp) > 100) return undefined;
  // Move the decimal point by the exponent.
  while (exp > 0) { intPart += frac.charAt(0) || '0'; frac = frac.slice(1); exp--; }
  while (exp < 0) { frac = (intPart.slice(-1) || '0') + frac; intPart = intPart.slice(0, -1); exp++; }
  let v = BigInt((intPart || '0') + frac.padEnd(scale, '0').slice(0, scale));
  if (frac.length > scale && frac.charCodeAt(scale) >= 53 /* '5' */) v += 1n;
  if (v >= 10n ** BigInt(precision)) return undefined;
  return m[1] === '-' ? -v : v;
}

/** A JSON number whose text may have lost digits (more than 15 significant): refused for decimals. */
function exactJsonNumber(v: number): string | undefined {
  if (!Number.isFinite(v)) return undefined;
  if (Number.isSafeInteger(v)) return String(v);
  const text = String(v);
  const digits = text.replace(/e.*$/i, '').replace(/[-.]/g, '').replace(/^0+/, '');
  return digits.length <= 15 ? text : undefined;
}

/**
 * Converts a text or JSON value to the Iceberg JS value of `type`.
 * Returns `undefined` (not null) when the value does not fit — the caller reports it.
 */
export function convertValue(type: PrimitiveType, v: unknown): IcebergValue | undefined {
  if (typeof v === 'object' && v !== null) {
    return type === 'string' ? JSON.stringify(v) : undefined;
  }
  const s = typeof v === 'string' ? v.trim() : undefined;
  switch (type) {
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (s === undefined) return undefined;
      if (/^(true|t|yes|y|1)$/i.test(s)) return true;
      if (/^(false|f|no|n|0)$/i.test(s)) return false;
      return undefined;
    case 'int': {
      const n = typeof v === 'number' ? v : s !== undefined && INT_RE.test(s) ? Number(s) : Number.NaN;
      return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
    }
    case 'long': {
      // JSON numbers beyond 2^53 have already lost digits: refuse rather than store wrong data.
      if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (s === undefined || !INT_RE.test(s)) return undefined;
      const b = BigInt(s);
      return b >= -(2n ** 63n) && b < 2n ** 63n ? b : undefined;
    }
    case 'float':
    case 'double': {
      if (typeof v === 'number') return type === 'float' ? Math.fround(v) : v;
      if (s === undefined || !FLOAT_RE.test(s)) return undefined;
      const last = s.charCodeAt(s.length - 1);
      // Plain numbers (ending in a digit or a dot) need no special-value handling.
      if ((last >= 48 && last <= 57) || last === 46) return type === 'float' ? Math.fround(Number(s)) : Number(s);
      const lower = s.toLowerCase().replace(/^\+/, '');
      const n = lower.endsWith('nan') ? Number.NaN : lower.endsWith('inf') || lower.endsWith('infinity') ? (lower.startsWith('-') ? -Infinity : Infinity) : Number(s);
      return type === 'float' ? Math.fround(n) : n;
    }
    case 'date': {
      const m = s === undefined ? null : DATE_RE.exec(s);
      return m ? daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
    }
    case 'time': {
      const m = s === undefined ? null : TIME_RE.exec(s);
      if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) return undefined;
      return BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)) * 1_000_000n + fraction(m[4], 6);
    }
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return s === undefined ? undefined : parseTimestamp(s, type.startsWith('timestamptz'), type.endsWith('_ns'));
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    case 'uuid':
      return s !== undefined && UUID_RE.test(s) ? s.toLowerCase() : undefined;
    case 'binary':
      return typeof v === 'string' ? new TextEncoder().encode(v) : undefined;
    default: {
      const dec = parseDecimal(type);
      if (dec) {
        // JSON numbers have been parsed to doubles already: accepted only while their text is exact.
        const text = typeof v === 'number' ? exactJsonNumber(v) : s;
        if (text === undefined) return undefined;
        return parseDecimalText(text, dec.precision, dec.scale);
      }
      const len = parseFixed(type);
      if (len !== undefined && typeof v === 'string') {
        const b = new TextEncoder().encode(v);
        return b.byteLength === len ? b : undefined;
      }
      return undefined;
    }
  }
}

/** The narrowest Iceberg type for one sampled value (`undefined` for null). */
export function inferValueType(v: unknown): PrimitiveType | 'nested' | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'object') return 'nested';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'double';
    return v >= -(2 ** 31) && v < 2 ** 31 ? 'int' : 'long';
  }
  const s = String(v).trim();
  if (s === '') return 'string';
  if (/^(true|false)$/i.test(s)) return 'boolean';
  if (INT_RE.test(s)) {
    const b = BigInt(s);
    if (b >= -(2n ** 31n) && b < 2n ** 31n) return 'int';
    if (b >= -(2n ** 63n) && b < 2n ** 63n) return 'long';
    return 'string';
  }
  if (FLOAT_RE.test(s) && /\d/.test(s)) return 'double';
  if (DATE_RE.test(s) && convertValue('date', s) !== undefined) return 'date';
  const ts = TS_RE.exec(s);
  if (ts) return ts[8] ? (convertValue('timestamptz', s) === undefined ? 'string' : 'timestamptz') : convertValue('timestamp', s) === undefined ? 'string' : 'timestamp';
  return 'string';
}

/** The common type of two inferred types (widening int → long → double, date → timestamp). */
export function unifyTypes(a: PrimitiveType | undefined, b: PrimitiveType | undefined): PrimitiveType | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  const num = ['int', 'long', 'double'];
  if (num.includes(a) && num.includes(b)) return num[Math.max(num.indexOf(a), num.indexOf(b))] as PrimitiveType;
  const time = ['date', 'timestamp', 'timestamptz'];
  if (time.includes(a) && time.includes(b) && !(a === 'timestamp' && b === 'timestamptz') && !(a === 'timestamptz' && b === 'timestamp')) {
    return a === 'date' ? b : a;
  }
  return 'string';
}

/** A schema (ids 1..n, all optional) from column names and sampled records. */
export function inferSchema(file: string, names: string[], sample: unknown[][]): Schema {
  const fields: NestedField[] = names.map((name, i) => {
    let t: PrimitiveType | undefined;
    for (const rec of sample) {
      const vt = inferValueType(rec[i]);
      if (vt === 'nested') {
        throw new LakehouseError('UNSUPPORTED', `column "${name}" of ${file} holds nested values (objects or arrays), which are not supported yet`, {
          help: 'Pass a schema with this column as a string to keep the JSON text, or flatten the data first.',
          details: { file, column: name },
        });
      }
      t = unifyTypes(t, vt);
    }
    return { id: i + 1, name, required: false, type: t ?? 'string' };
  });
  return { type: 'struct', 'schema-id': 0, fields };
}

/** Accumulates converted records into batches of the target schema. */
export class BatchAssembler {
  readonly arrowSchema: arrow.Schema;
  private readonly builders: ColumnBuilder[];
  private readonly types: PrimitiveType[];
  private readonly scratch: (IcebergValue | null)[];

  constructor(readonly schema: Schema, private readonly bad: BadRecords) {
    this.arrowSchema = icebergSchemaToArrow(schema);
    this.types = schema.fields.map((f) => f.type as PrimitiveType);
    this.builders = this.types.map((t) => new ColumnBuilder(t));
    this.scratch = new Array(this.types.length);
  }

  get rows(): number {
    return this.builders[0]?.length ?? 0;
  }

  /**
   * Adds one record given as raw values in schema order (`undefined` = absent, treated as null;
   * `null` = null). A value that does not convert makes the whole record bad.
   */
  add(values: unknown[], line: number, isNull: (v: unknown) => boolean): boolean {
    const fields = this.schema.fields;
    for (let i = 0; i < fields.length; i++) {
      const raw = values[i];
      if (raw === undefined || raw === null || isNull(raw)) {
        if (fields[i]!.required) {
          this.bad.report(line, `required column "${fields[i]!.name}" is null`, fields[i]!.name);
          return false;
        }
        this.scratch[i] = null;
        continue;
      }
      const v = convertValue(this.types[i]!, raw);
      if (v === undefined) {
        const shown = typeof raw === 'string' ? JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw) : JSON.stringify(raw);
        this.bad.report(line, `value ${shown} in column "${fields[i]!.name}" is not a valid ${this.types[i]}`, fields[i]!.name);
        return false;
      }
      this.scratch[i] = v;
    }
    for (let i = 0; i < fields.length; i++) this.builders[i]!.append(this.scratch[i]);
    return true;
  }

  flush(): arrow.RecordBatch {
    return batchFromBuilders(this.arrowSchema, this.builders);
  }
}

/**
 * Feeds the sampled records, then the rest of the stream, to `take` (which adds a row to `asm`
 * or reports the record), yielding a batch each time `batchSize` rows are assembled.
 */
export async function* assembleBatches<R>(sample: R[], rest: AsyncIterator<R>, take: (r: R) => void, asm: BatchAssembler, batchSize: number): AsyncGenerator<arrow.RecordBatch> {
  for (const r of sample) {
    take(r);
    if (asm.rows >= batchSize) yield asm.flush();
  }
  for (let r = await rest.next(); !r.done; r = await rest.next()) {
    take(r.value);
    if (asm.rows >= batchSize) yield asm.flush();
  }
  if (asm.rows > 0) yield asm.flush();
}
