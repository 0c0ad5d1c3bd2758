/**
 * Timing helpers for benchmark scripts: warm-up runs, then N measured runs, reported as median
 * with min/max. Peak RSS is the kernel's high-water mark for this process (`peakRssMiB`), which
 * includes WASM memory and worker threads that `process.memoryUsage().heapUsed` misses.
 */

import { readFileSync } from 'node:fs';

export interface Timing {
  runs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** The warm-up alone exceeded the budget and is the only (cold) measurement. */
  warmupCounted?: boolean;
}

export interface MeasureOptions {
  warmup?: number;
  runs?: number;
  /** Called before each run (not timed), e.g. to drop caches or reset a table. */
  before?: () => Promise<void> | void;
  /**
   * Stop early once the runs so far took this long: a warm-up over budget becomes the only
   * measured run, and no further runs start after the budget is spent (at least one run).
   */
  budgetMs?: number;
}

export async function measure(fn: () => Promise<unknown> | unknown, opts: MeasureOptions = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 1;
  const n = Math.max(1, opts.runs ?? 3);
  const budget = opts.budgetMs ?? Number.POSITIVE_INFINITY;
  let spent = 0;
  const timed = async (): Promise<number> => {
    await opts.before?.();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    spent += ms;
    return ms;
  };
  for (let i = 0; i < warmup; i++) {
    const ms = await timed();
    if (spent >= budget) return { ...summarize([ms]), warmupCounted: true };
  }
  const runs: number[] = [];
  for (let i = 0; i < n; i++) {
    runs.push(await timed());
    if (spent >= budget) break;
  }
  return summarize(runs);
}

/** Like `measure`, and also returns the value of the last measured run (for result checks). */
export async function measureWithResult<T>(fn: () => Promise<T>, opts: MeasureOptions = {}): Promise<Timing & { result: T }> {
  let result: T | undefined;
  const timing = await measure(async () => {
    result = await fn();
  }, opts);
  return { ...timing, result: result as T };
}

export function summarize(runs: number[]): Timing {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { runs, medianMs: median, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]! };
}

/**
 * Peak resident set size of this process so far, in MiB. On Linux this is `VmHWM` from
 * /proc/self/status: getrusage's maxRSS survives fork + exec, so a child spawned by a large parent
 * would report the parent's peak.
 */
export function peakRssMiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function fmtSeconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

export function fmtRate(count: number, ms: number, unit: string): string {
  const perSec = count / (ms / 1000);
  const s = perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)}M` : perSec >= 1e3 ? `${(perSec / 1e3).toFixed(1)}k` : perSec.toFixed(1);
  return `${s} ${unit}/s`;
}

export function progress(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
