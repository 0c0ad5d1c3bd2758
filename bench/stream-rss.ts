/**
 * `npm run bench:stream`: peak RSS and time of `lake sql "SELECT * FROM big.t"` streamed to
 * /dev/null (issue #13: under 500 MB wanted), in each output format, plus `--limit 3`.
 *
 * Makes a 5M-row table once (DuckDB writes the Parquet file — int, bigint, decimal(15,2), double,
 * string, date, timestamp columns — and `lake ingest` loads it) under the work directory
 * (argument 1, default /tmp/lake-stream-rss; reused when present). Each run is a child process
 * (`node dist/engine/cli/main.js`, as `npx lake` runs), measured with
 * its peak RSS as `/usr/bin/time -v` reports it (stdout to /dev/null). Prints numbers;
 * asserts nothing. Options: `--rows N` (default 5,000,000), `--formats table,csv,json`.
 */

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'engine', 'cli', 'main.js');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const work = resolve(positional[0] ?? '/tmp/lake-stream-rss');
const rows = Number(arg('--rows') ?? 5_000_000);
const formats = (arg('--formats') ?? 'table,csv,json').split(',');
const wh = join(work, `wh-${rows}`);

interface Measured { code: number | null; maxRssMb: number; seconds: number; cpuSeconds: number; stderr: string }

/** Runs the CLI with stdout to /dev/null, under /usr/bin/time -v (its RSS line). */
function runCli(args: string[]): Promise<Measured> {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const [cmd, argv] = timeBin ? [timeBin, ['-v', process.execPath, cli, ...args]] : [process.execPath, [cli, ...args]];
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const devNull = openSync('/dev/null', 'w');
    const child = spawn(cmd, argv, { stdio: ['ignore', devNull, 'pipe'] });
    closeSync(devNull);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', fail);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
      const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
      done({ code, maxRssMb: m ? Number(m[1]) / 1024 : NaN, seconds, cpuSeconds: user && sys ? Number(user[1]) + Number(sys[1]) : NaN, stderr });
    });
  });
}

async function makeTable(): Promise<void> {
  if (existsSync(join(wh, 'big'))) return;
  mkdirSync(work, { recursive: true });
  const file = join(work, `big-${rows}.parquet`);
  if (!existsSync(file)) {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const c = await (await DuckDBInstance.create(':memory:')).connect();
    await c.run(`COPY (SELECT i::INTEGER AS id, (i::BIGINT * 1000000007) AS big_id,
        ((i % 100000) * 1.25)::DECIMAL(15,2) AS amount, (i % 1000) / 7.0 AS ratio,
        ['north','south','east','west'][(i % 4) + 1] AS region, 'note-' || (i % 100000) AS note,
        DATE '2024-01-01' + (i % 365)::INTEGER AS d, TIMESTAMP '2024-01-01' + to_microseconds(i * 1000003) AS ts
      FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)`);
  }
  const r = await runCli(['ingest', 'big.t', file, '--create', '-w', wh]);
  if (r.code !== 0) throw new Error(`ingest failed (${r.code}): ${r.stderr}`);
}

await makeTable();
console.log(`table big.t: ${rows.toLocaleString('en-US')} rows in ${wh}`);
const cases: Array<{ label: string; args: string[] }> = [
  ...formats.map((f) => ({ label: f, args: ['sql', 'SELECT * FROM big.t', '-f', f, '-w', wh] })),
  { label: 'table --limit 3', args: ['sql', 'SELECT * FROM big.t', '--limit', '3', '-w', wh] },
];
for (const c of cases) {
  const r = await runCli(c.args);
  if (r.code !== 0) {
    console.log(`${c.label}: FAILED exit ${r.code}\n${r.stderr.split('\n').slice(0, 5).join('\n')}`);
    continue;
  }
  const rate = c.label.includes('limit') ? '' : `, ${Math.round(rows / r.seconds).toLocaleString('en-US')} rows/s`;
  // CPU time (user + system, all threads) compares runs on a loaded machine better than wall time.
  console.log(`${c.label.padEnd(16)} peak RSS ${r.maxRssMb.toFixed(0)} MB, ${r.seconds.toFixed(1)} s wall${rate}, ${r.cpuSeconds.toFixed(1)} s CPU`);
}
