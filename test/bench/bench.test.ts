// The benchmark suite (bench/run.ts, run from dist as `npm run bench` does): the dataset generator
// is reproducible byte for byte and its files hold what the manifest says, and a quick run of
// the query suites prints the comparison table with every engine's answer checked. Timings are
// not asserted (they depend on the machine).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openObjectStore, readParquet } from 'lakehouse-engine/connectors';

const RUN = fileURLToPath(new URL('../../dist/bench/run.js', import.meta.url));
const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'lake-bench-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RUN, ...args], { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Manifest {
  table: string;
  format: string;
  dir: string;
  rows: number;
  files: { name: string; bytes: number; sha256: string }[];
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('bench datasets', () => {
  it('are reproducible byte for byte, and hold the rows their manifests declare', async () => {
    const [a, b] = [temp(), temp()];
    const gen = async (dir: string): Promise<Manifest[]> => {
      const r = await run(['--generate', 'lineitem,orders,part', '--sf', '0.01', '--data-dir', dir]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Manifest[];
    };
    const [ma, mb] = [await gen(a), await gen(b)];
    expect(ma.map((m) => `${m.table}/${m.format}`)).toEqual(['lineitem/parquet', 'lineitem/csv', 'orders/parquet', 'orders/csv', 'part/parquet', 'part/csv']);
    for (let i = 0; i < ma.length; i++) {
      const [x, y] = [ma[i]!, mb[i]!];
      expect(x.files.map((f) => f.name)).toEqual(y.files.map((f) => f.name));
      for (let k = 0; k < x.files.length; k++) {
        // Hash the bytes on disk ourselves: the two generations are identical files.
        const hx = sha256(join(x.dir, x.files[k]!.name));
        expect(hx).toBe(sha256(join(y.dir, y.files[k]!.name)));
        expect(hx).toBe(x.files[k]!.sha256);
      }
      expect(x.rows).toBe(y.rows);
    }
    // The content matches the manifest: Parquet rows through our reader, CSV lines (+ header).
    const lineitem = ma[0]!;
    expect(lineitem.rows).toBeGreaterThan(50_000); // SF 0.01: 15 000 orders × 1–7 lines
    const store = await openObjectStore(lineitem.dir);
    let rows = 0;
    for (const f of lineitem.files) for await (const batch of readParquet(store, f.name)) rows += batch.numRows;
    await store.close();
    expect(rows).toBe(lineitem.rows);
    const csv = ma[1]!;
    const text = readFileSync(join(csv.dir, csv.files[0]!.name), 'utf8');
    expect(text.trimEnd().split('\n').length).toBe(csv.rows + 1);
    expect(csv.rows).toBe(lineitem.rows);
    expect(ma[2]!.rows).toBe(15_000);
  });
});

describe('npm run bench -- --quick', () => {
  it('prints the table with DuckDB and Polars next to ours, all answers checked ok (queries, CTAS, no lost commits), and writes JSON + SVG', async () => {
    const data = temp();
    const out = temp();
    const r = await run(['--quick', '--sf', '0.02', '--suite', 'queries,write,commit', '--data-dir', data, '--out', out]);
    const problems = r.stdout.split('\n').filter((l) => /MISMATCH|ERROR|checks:/.test(l));
    expect(r.code, `${problems.join('\n')}\n${r.stderr.split('\n').slice(-15).join('\n')}`).toBe(0);
    expect(r.stdout).toMatch(/machine: \d+ cores/);
    expect(r.stderr).toMatch(/\[bench \d\d:\d\d:\d\d\] Q1: lakehouse/); // progress lines
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('| '));
    for (const q of ['Q6', 'Q1', 'group by l_orderkey', 'Q3 (join)', 'broadcast join (part)', 'large join (orders)', 'write (CTAS)']) {
      for (const engine of ['lakehouse', 'duckdb', 'polars']) {
        const row = lines.find((l) => l.startsWith(`| ${q} | ${engine} |`));
        expect(row, `${q} / ${engine}`).toBeDefined();
        expect(row!.trimEnd().endsWith('| ok |'), row).toBe(true);
      }
    }
    for (const n of [1, 2, 4, 8]) expect(lines.some((l) => l.startsWith(`| local | ${n} |`) && l.trimEnd().endsWith('| 0 | ok |'))).toBe(true);
    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith('.json'));
    expect(json).toBeDefined();
    expect(existsSync(join(out, json!.replace(/\.json$/, '.svg')))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, json!), 'utf8')) as { results: { suite: string; engine: string; correct?: boolean; medianMs: number }[] };
    const queries = report.results.filter((x) => !x.suite.startsWith('commit'));
    expect(queries).toHaveLength(7 * 3); // six queries and CTAS, three engines each
    expect(queries.every((x) => x.correct === true && x.medianMs > 0)).toBe(true);
    expect(readFileSync(join(out, json!.replace(/\.json$/, '.svg')), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
  }, 120_000);

  it('rejects unknown suites with a usage message', async () => {
    const r = await run(['--suite', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown suite "nope"/);
    expect(r.stderr).toMatch(/usage:/);
  });
});
