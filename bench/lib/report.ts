/**
 * Benchmark output: a markdown table for stdout, a JSON file and an SVG chart (grouped bars per
 * suite and engine, plus a line chart for suites measured at several scales). Plain string
 * building, no charting dependency: the SVG is small, deterministic and diff-able.
 */

export interface BenchResult {
  suite: string;
  engine: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  rows?: number;
  bytes?: number;
  /** For scale suites: the scale factor this point belongs to. */
  scale?: number;
  peakRssMiB?: number;
  /** Measured runs behind the median (after warm-up). */
  runs?: number;
  /** Whether this engine's answer matched the reference. */
  correct?: boolean;
  /** Why the answer was judged wrong (with `correct: false`). */
  mismatch?: string;
  /** The engine failed or is unavailable for this suite: no timing. */
  error?: string;
  note?: string;
  /** Suite-specific numbers (commits/s, retries, p99, …) kept in the JSON. */
  extra?: Record<string, number | string>;
}

const COLORS: Record<string, string> = {
  lakehouse: '#2b6cb0',
  duckdb: '#d69e2e',
  polars: '#2f855a',
};
const FALLBACK = ['#805ad5', '#c53030', '#319795', '#718096'];

function colorFor(engine: string, idx: number): string {
  return COLORS[engine] ?? FALLBACK[idx % FALLBACK.length]!;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function markdownTable(results: BenchResult[], reference = 'duckdb'): string {
  const lines = [`| suite | engine | median | min … max | runs | rows/s | MB/s | vs ${reference} | peak RSS | check |`, '|---|---|---:|---:|---:|---:|---:|---:|---:|---|'];
  for (const r of results) {
    const suite = r.scale !== undefined ? `${r.suite} (SF ${r.scale})` : r.suite;
    if (r.error !== undefined) {
      lines.push(`| ${suite} | ${r.engine} | — | — | — | — | — | — | — | ${r.error.startsWith('not available') ? 'n/a' : 'ERROR'}: ${r.error.replace(/\|/g, '\\|')} |`);
      continue;
    }
    const ref = results.find((x) => x.suite === r.suite && x.engine === reference && x.scale === r.scale && x.error === undefined);
    // A wrong answer gets no ratio: it is not a fast answer.
    const ratio = r.correct !== false && ref && ref.correct !== false && ref.medianMs > 0 ? `${(r.medianMs / ref.medianMs).toFixed(2)}×` : '—';
    const secs = r.medianMs / 1000;
    const rowsPerSec = r.rows ? fmtCount(r.rows / secs) : '—';
    const mbPerSec = r.bytes ? (r.bytes / 1048576 / secs).toFixed(1) : '—';
    const rss = r.peakRssMiB !== undefined ? `${r.peakRssMiB.toFixed(0)} MiB` : '—';
    const check = r.correct === undefined ? '—' : r.correct ? 'ok' : 'MISMATCH';
    lines.push(
      `| ${suite} | ${r.engine} | ${fmtSecs(r.medianMs)} | ${fmtSecs(r.minMs)} … ${fmtSecs(r.maxMs)} | ${r.runs ?? '—'} | ${rowsPerSec} | ${mbPerSec} | ${ratio} | ${rss} | ${check} |`,
    );
  }
  return lines.join('\n');
}

function fmtSecs(ms: number): string {
  return ms < 10 ? `${(ms / 1000).toFixed(4)} s` : `${(ms / 1000).toFixed(3)} s`;
}

function fmtCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

/** Grouped horizontal bars (one group per suite, one bar per engine) + a scale line chart. */
export function svgChart(results: BenchResult[], title: string): string {
  const ok = results.filter((r) => r.error === undefined && Number.isFinite(r.medianMs));
  const bars = ok.filter((r) => r.scale === undefined && r.extra?.['chart'] !== 'none');
  const scaled = ok.filter((r) => r.scale !== undefined);
  const engines = [...new Set(ok.map((r) => r.engine))];
  const suites = [...new Set(bars.map((r) => r.suite))];
  const width = 900;
  const labelW = 230;
  const barH = 14;
  const groupGap = 12;
  const top = 50;
  const plotW = width - labelW - 120;
  const groupH = engines.length * barH + groupGap;
  const barsH = suites.length * groupH;
  const lineTop = top + barsH + 60;
  const lineH = scaled.length ? 220 : 0;
  const height = lineTop + lineH + (scaled.length ? 60 : 0) + 20;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`);
  engines.forEach((e, i) => {
    const x = labelW + i * 130;
    out.push(`<rect x="${x}" y="30" width="12" height="12" fill="${colorFor(e, i)}"/><text x="${x + 16}" y="40">${esc(e)}</text>`);
  });
  suites.forEach((suite, si) => {
    const group = bars.filter((r) => r.suite === suite);
    const max = Math.max(...group.map((r) => r.medianMs), 1e-9);
    const y0 = top + si * groupH;
    out.push(`<text x="${labelW - 8}" y="${y0 + (engines.length * barH) / 2 + 4}" text-anchor="end">${esc(suite)}</text>`);
    engines.forEach((e, ei) => {
      const r = group.find((g) => g.engine === e);
      if (!r) return;
      const w = Math.max(1, (r.medianMs / max) * plotW);
      const y = y0 + ei * barH;
      out.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${colorFor(e, ei)}"/>`);
      out.push(`<text x="${labelW + w + 4}" y="${y + barH - 4}">${(r.medianMs / 1000).toFixed(3)} s${r.correct === false ? ' ✗' : ''}</text>`);
    });
  });
  if (scaled.length) {
    const scales = [...new Set(scaled.map((r) => r.scale!))].sort((a, b) => a - b);
    const maxMs = Math.max(...scaled.map((r) => r.medianMs), 1e-9);
    const x0 = labelW;
    const x1 = labelW + plotW;
    const y0 = lineTop + lineH;
    const xOf = (s: number): number => (scales.length === 1 ? (x0 + x1) / 2 : x0 + (Math.log10(s) - Math.log10(scales[0]!)) / (Math.log10(scales[scales.length - 1]!) - Math.log10(scales[0]!)) * (x1 - x0));
    const yOf = (ms: number): number => y0 - (ms / maxMs) * lineH;
    out.push(`<text x="${width / 2}" y="${lineTop - 15}" text-anchor="middle" font-weight="bold">${esc(scaled[0]!.suite)}: time by scale factor</text>`);
    out.push(`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#333"/><line x1="${x0}" y1="${lineTop}" x2="${x0}" y2="${y0}" stroke="#333"/>`);
    for (const s of scales) out.push(`<text x="${xOf(s)}" y="${y0 + 16}" text-anchor="middle">SF ${s}</text>`);
    out.push(`<text x="${x0 - 8}" y="${lineTop + 4}" text-anchor="end">${(maxMs / 1000).toFixed(2)} s</text><text x="${x0 - 8}" y="${y0}" text-anchor="end">0</text>`);
    engines.forEach((e, ei) => {
      const pts = scales.flatMap((s) => {
        const r = scaled.find((x) => x.engine === e && x.scale === s);
        return r ? [[xOf(s), yOf(r.medianMs)] as const] : [];
      });
      if (pts.length === 0) return;
      out.push(`<polyline fill="none" stroke="${colorFor(e, ei)}" stroke-width="2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${colorFor(e, ei)}"/>`);
    });
  }
  out.push('</svg>');
  return out.join('\n');
}
