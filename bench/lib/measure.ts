/**
 * Timing helpers for benchmark scripts: warm-up runs, then N measured runs, reported as median
 * with min/max. Peak RSS is sampled from `process.resourceUsage().maxRSS` (kernel's high-water
 * mark for this process), which includes WASM memory that `process.memoryUsage().heapUsed` misses.
 */

export interface Timing {
  runs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface MeasureOptions {
  warmup?: number;
  runs?: number;
  /** Called before each run (not timed), e.g. to drop caches or reset a table. */
  before?: () => Promise<void> | void;
}

export async function measure(fn: () => Promise<unknown> | unknown, opts: MeasureOptions = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 1;
  const n = Math.max(1, opts.runs ?? 3);
  for (let i = 0; i < warmup; i++) {
    await opts.before?.();
    await fn();
  }
  const runs: number[] = [];
  for (let i = 0; i < n; i++) {
    await opts.before?.();
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  return summarize(runs);
}

export function summarize(runs: number[]): Timing {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { runs, medianMs: median, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]! };
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
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
