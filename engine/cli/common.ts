/**
 * Shared CLI plumbing: the warehouse option, JSON output conventions and text tables.
 *
 * JSON conventions (stable, documented in `lake --help`): camelCase field names; 64-bit
 * integers (snapshot ids, sequence numbers) are numbers when they are exactly representable in
 * a double and strings otherwise; timestamps are epoch milliseconds (`timestampMs`).
 */

import type { Command } from 'commander';

export interface GlobalOptions {
  warehouse: string;
  json: boolean;
}

export function warehouseDefault(): string {
  return process.env['LAKE_WAREHOUSE'] ?? 'warehouse';
}

/** Adds the options every command takes. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('-w, --warehouse <uri>', 'warehouse URI: a directory, file:///…, s3://bucket/prefix (default: $LAKE_WAREHOUSE, else ./warehouse)')
    .option('--json', 'machine-readable JSON output', false);
}

export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as { warehouse?: string; json?: boolean };
  return { warehouse: o.warehouse ?? warehouseDefault(), json: Boolean(o.json) };
}

/** bigint → number when exact, else string; Maps → objects; Uint8Array → hex. Recursively. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonSafe(x)]));
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(jsonSafe(v), null, 2)}\n`);
}

/** A plain aligned text table. */
export function printTable(headers: string[], rows: unknown[][]): void {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(headers)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of cells) process.stdout.write(`${line(r)}\n`);
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export function fmtTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Parses "5d", "36h", "90m", "30s" or an ISO timestamp into an absolute cutoff (ms). */
export function parseOlderThan(text: string, nowMs: number = Date.now()): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (m) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return nowMs - Number(m[1]) * unit;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`"${text}" is neither a duration (5d, 36h, 90m) nor an ISO timestamp`);
  return t;
}

/** A usage error: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
