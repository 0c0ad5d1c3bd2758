/**
 * Ctrl-C during `lake ingest`: a real child process and a real SIGINT while it is staging.
 * It must exit 130, say what it cancelled, and leave no file that no snapshot references — for a
 * table that existed (its data directory holds only referenced files) and for one that the
 * ingest would have created (nothing at all is left).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse, planScan } from 'lakehouse-engine/catalog';
import { lakeBin, runLake } from '../helpers/cli.js';

let dir: string;

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out;
}

/** Starts `lake ingest`, sends SIGINT once a staged data file exists, returns the exit. */
async function interruptIngest(args: string[], dataDir: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const before = new Set(filesUnder(dataDir));
  const child = spawn(process.execPath, [lakeBin, 'ingest', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 90_000;
  let sent = false;
  while (!sent) {
    if (Date.now() > deadline) throw new Error(`no staged file appeared; stderr: ${stderr}`);
    if (filesUnder(dataDir).some((f) => f.endsWith('.parquet') && !before.has(f))) {
      child.kill('SIGINT');
      sent = true;
    } else if (child.exitCode !== null) {
      throw new Error(`ingest finished before it could be interrupted; make the input larger. stderr: ${stderr}`);
    } else await new Promise((r) => setTimeout(r, 5));
  }
  return { ...(await exited), stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lake-sigint-'));
  // Many files, many partitions: staging takes seconds, and files appear early.
  for (let f = 0; f < 12; f++) {
    const lines = ['id,day,v'];
    for (let i = 0; i < 60_000; i++) lines.push(`${f * 1_000_000 + i},2024-01-${String(1 + (i % 28)).padStart(2, '0')},${i % 977}`);
    writeFileSync(join(dir, `part-${f}.csv`), `${lines.join('\n')}\n`);
  }
  writeFileSync(join(dir, 'seed.csv'), 'id,day,v\n1,2024-01-01,1\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SIGINT during lake ingest', () => {
  const inputs = (): string[] => Array.from({ length: 12 }, (_, f) => join(dir, `part-${f}.csv`));

  it('into an existing table: exit 130, a message, and only referenced files remain', async () => {
    const wh = join(dir, 'wh1');
    const seed = await runLake(['ingest', 'raw.t', join(dir, 'seed.csv'), '--create', '--partition-by', 'day'], wh);
    expect(seed.code, seed.stderr).toBe(0);
    const r = await interruptIngest(['raw.t', ...inputs(), '--warehouse', wh], join(wh, 'raw', 't', 'data'));
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT — cancelling the ingest into raw\.t/);
    expect(r.stderr).toMatch(/cancelled by SIGINT/);
    const t = await (await Warehouse.open(wh)).loadTable('raw.t');
    const referenced = new Set((await planScan(t.state)).tasks.map((x) => relative(join(wh, 'raw', 't', 'data'), x.key.startsWith('/') ? x.key : join(wh, x.key))));
    expect(filesUnder(join(wh, 'raw', 't', 'data')).sort()).toEqual([...referenced].sort());
    expect(filesUnder(join(wh, 'raw', 't', '_inflight'))).toEqual([]);
    expect(Number(t.currentSnapshot()!.summary['total-records'])).toBe(1);
  }, 180_000);

  it('into a table it would create: nothing is left at all', async () => {
    const wh = join(dir, 'wh2');
    const r = await interruptIngest(['raw.n', ...inputs(), '--create', '--partition-by', 'day', '--warehouse', wh], join(wh, 'raw', 'n', 'data'));
    expect(r.code, r.stderr).toBe(130);
    expect(filesUnder(join(wh, 'raw', 'n'))).toEqual([]);
    expect(await (await Warehouse.open(wh)).tableExists('raw.n')).toBe(false);
  }, 180_000);
});
