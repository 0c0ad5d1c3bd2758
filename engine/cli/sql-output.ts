/**
 * Streaming printers for `lake sql` query results: rows are written as the query produces
 * them (DataFrame.openRows), so memory stays bounded by a chunk of rows however large the
 * result. Formats:
 *   - table: aligned text. Column widths come from the header and the first TABLE_WIDTH_ROWS
 *     rows (buffered); later rows are printed with those widths (a longer cell just pushes
 *     its line wider). Ends with "(n rows)".
 *   - csv: RFC 4180, header row.
 *   - json: one array of row objects, formatted as `JSON.stringify(rows, null, 2)` would.
 *     Exact values that a JSON number would round are strings, as DuckDB's JSON gives them:
 *     every decimal ("12.30") and integers beyond ±(2^53−1) ("9007199254740993"); smaller
 *     integers are numbers; NaN and ±Infinity are "NaN", "Infinity", "-Infinity".
 * Cells (exact in every format): decimals with all S digits (formatDecimal), integers of any
 * size, dates as YYYY-MM-DD (ISO 8601 astronomical years: -0001-06-01), timestamps as ISO-8601
 * UTC (2024-01-01T00:00:00.000Z, or …00.000001Z when the value has microseconds; outside a JS
 * Date's range: YYYY-MM-DD HH:MM:SS[.ffffff]), times as
 * HH:MM:SS[.ffffff] (trailing zeros of the fraction dropped, as DuckDB), uuids as their text,
 * binary as DuckDB prints a BLOB (printable ASCII as is, other bytes and \ ' " as \xHH).
 * Writes honour stdout back-pressure (await 'drain').
 */

import { formatBlob, formatTime } from '../compute/casts.js';
import { SAFE } from '../compute/exact.js';
import { formatDate, formatTimestamp, isDecimal, type DataType, type Schema } from '../plan/types.js';

export type Format = 'table' | 'json' | 'csv';

export const TABLE_WIDTH_ROWS = 1000;

export interface Output {
  write(s: string): boolean;
  once(event: 'drain', cb: () => void): unknown;
}

/** ISO-8601 UTC, with microseconds when the value has any (exact), else milliseconds. */
function timestampText(v: number | bigint): string {
  const us = typeof v === 'bigint' ? Number(((v % 1000n) + 1000n) % 1000n) : ((v % 1000) + 1000) % 1000;
  const ms = typeof v === 'bigint' ? Number((v - BigInt(us)) / 1000n) : (v - us) / 1000;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return formatTimestamp(Number(v));
  const iso = d.toISOString();
  return us ? `${iso.slice(0, -1)}${String(us).padStart(3, '0')}Z` : iso;
}

/**
 * A cell (as DataFrame.openRows gives it) as text: table and CSV cells, and JSON strings.
 * Numbers and strings that need no conversion are returned as they are.
 */
function cellOf(v: unknown, type: DataType): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'date': return formatDate(v as number);
    case 'timestamp': return timestampText(v as number | bigint);
    case 'time': return formatTime(v as number | bigint);
    case 'binary': return formatBlob(v as string);
    default: return v;
  }
}

/** A cell as a JSON value: exact numbers that a double would round as strings (see the header). */
function jsonValue(v: unknown, type: DataType): string {
  if (v === null || v === undefined) return 'null';
  if (type === 'date' || type === 'timestamp' || type === 'time' || type === 'binary') return JSON.stringify(cellOf(v, type));
  if (typeof v === 'bigint') return v <= BigInt(SAFE) && v >= -BigInt(SAFE) ? String(v) : `"${v}"`;
  if (typeof v === 'number') {
    // JSON has no NaN or infinities: strings, as DuckDB's JSON gives them (null would be a lie).
    if (!Number.isFinite(v)) return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
    if (type !== 'float64' && !Number.isSafeInteger(v) && Number.isInteger(v)) return `"${BigInt(v)}"`;
    if (isDecimal(type)) return `"${v}"`;
    return JSON.stringify(v);
  }
  return JSON.stringify(cellOf(v, type));
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** Prints the rows; returns how many were printed. */
export async function printRows(schema: Schema, rows: AsyncIterable<unknown[][]>, format: Format, out: Output = process.stdout): Promise<number> {
  const names = schema.map((f) => f.name);
  const types = schema.map((f) => f.type);
  let pending = '';
  const flush = async (): Promise<void> => {
    if (!pending) return;
    const ok = out.write(pending);
    pending = '';
    if (!ok) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  let n = 0;
  if (format === 'csv') {
    pending += `${names.map(csvField).join(',')}\n`;
    for await (const chunk of rows) {
      for (const r of chunk) pending += `${r.map((v, j) => csvField(cellOf(v, types[j]!))).join(',')}\n`;
      n += chunk.length;
      await flush();
    }
    await flush();
    return n;
  }
  if (format === 'json') {
    // Written by hand in JSON.stringify(rows, null, 2)'s layout (keys are column names, so a
    // column named "__proto__" stays a column); NaN and ±Infinity become null as there.
    const keys = names.map((name) => `    ${JSON.stringify(name)}: `);
    for await (const chunk of rows) {
      for (const r of chunk) {
        let obj = names.length ? '  {\n' : '  {}';
        for (let j = 0; j < names.length; j++) obj += `${keys[j]}${jsonValue(r[j], types[j]!)}${j + 1 < names.length ? ',\n' : '\n  }'}`;
        pending += `${n === 0 ? '[\n' : ',\n'}${obj}`;
        n++;
      }
      await flush();
    }
    pending += n === 0 ? '[]\n' : '\n]\n';
    await flush();
    return n;
  }
  // table
  let head: string[][] | null = [];
  let widths: number[] = [];
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const start = (): void => {
    widths = names.map((h, i) => {
      let w = h.length;
      for (const r of head!) if (r[i]!.length > w) w = r[i]!.length;
      return w;
    });
    pending += `${line(names)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`;
    for (const r of head!) pending += `${line(r)}\n`;
    head = null;
  };
  for await (const chunk of rows) {
    for (const r of chunk) {
      const cells = r.map((v, j) => text(cellOf(v, types[j]!)));
      if (head) {
        head.push(cells);
        if (head.length >= TABLE_WIDTH_ROWS) start();
      } else pending += `${line(cells)}\n`;
    }
    n += chunk.length;
    if (!head) await flush();
  }
  if (head) start();
  pending += `(${n} row${n === 1 ? '' : 's'})\n`;
  await flush();
  return n;
}
