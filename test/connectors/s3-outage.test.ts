/**
 * A real outage: a private Ceph RGW (started with ../shared/s3/start-s3.sh on its own ports and
 * data dir) has its radosgw process SIGKILLed in the middle of a `lake ingest` child process,
 * stays down for 10 s, and is restarted with the same command line. The ingest must ride it
 * out on its retry budget (60 s), exit 0, and leave exactly the input rows in the table.
 *
 * Skipped (with the reason printed) only when the ceph binaries are missing and CI is not set;
 * in CI the start script installs them and the test runs.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ConfigFromEnv } from 'lakehouse-engine/connectors';
import { lakeBin, repoRoot } from '../helpers/cli.js';

const run = promisify(execFile);
const s3Scripts = join(repoRoot, '..', 'shared', 's3');
const BUCKET = 'outage';
const FILES = 12;
const ROWS_PER_FILE = 60_000;

const haveCeph = ['radosgw', 'ceph-mon', 'ceph-osd'].every((b) =>
  (process.env['PATH'] ?? '').split(delimiter).some((d) => d && existsSync(join(d, b))) || existsSync(join('/usr/bin', b)));
const skipReason = !existsSync(join(s3Scripts, 'start-s3.sh'))
  ? `no ${join(s3Scripts, 'start-s3.sh')}`
  : !haveCeph && !process.env['CI'] ? 'ceph binaries (radosgw, ceph-mon, ceph-osd) are not installed and CI is not set' : undefined;
if (skipReason && process.env['CI']) throw new Error(`s3-outage must run in CI: ${skipReason}`);
if (skipReason) console.warn(`s3-outage skipped: ${skipReason}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 50): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

(skipReason ? describe.skip : describe)('S3 outage in the middle of lake ingest (private RGW)', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let ingest: ChildProcess | undefined;
  const inputs: string[] = [];
  let expectedSum = 0n;
  let expectedV = 0n;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lake-outage-'));
    const [s3Port, monPort] = [await freePort(), await freePort()];
    const { stdout } = await run(join(s3Scripts, 'start-s3.sh'), [join(dir, 's3')], {
      env: { ...process.env, S3_PORT: String(s3Port), CEPH_MON_PORT: String(monPort), S3_BUCKET: BUCKET },
      timeout: 170_000,
    });
    const vars = Object.fromEntries([...stdout.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(vars['S3_ENDPOINT']).toBe(`http://127.0.0.1:${s3Port}`);
    env = { ...process.env, ...vars, AWS_ENDPOINT_URL_S3: vars['S3_ENDPOINT'] };
    for (let f = 0; f < FILES; f++) {
      const lines = ['id,v,name'];
      for (let i = 0; i < ROWS_PER_FILE; i++) {
        const id = f * ROWS_PER_FILE + i;
        const v = (id * 7919) % 1_000_003;
        lines.push(`${id},${v},name-${id % 977}`);
        expectedSum += BigInt(id);
        expectedV += BigInt(v);
      }
      const file = join(dir, `in-${f}.csv`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      inputs.push(file);
    }
  }, 180_000);

  afterAll(async () => {
    if (ingest && ingest.exitCode === null) ingest.kill('SIGKILL');
    if (dir) {
      await run(join(s3Scripts, 'stop-s3.sh'), [join(dir, 's3')], { timeout: 60_000 }).catch((e: unknown) => console.warn(`stop-s3: ${String(e)}`));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('radosgw killed mid-ingest, down 10 s, restarted: ingest exits 0 with exactly the input rows', async () => {
    const warehouse = `s3://${BUCKET}/wh-${Date.now().toString(36)}`;
    const client = new S3Client({
      ...s3ConfigFromEnv({ accessKeyId: env['AWS_ACCESS_KEY_ID'], secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] }, env),
      maxAttempts: 1,
    });
    let stdout = '';
    let stderr = '';
    const started = Date.now();
    ingest = spawn(process.execPath, [lakeBin, 'ingest', 'ns.t', ...inputs, '--create', '--warehouse', warehouse], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    ingest.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
    ingest.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => ingest!.on('exit', (code) => resolve(code)));

    // Wait for the first data file to land, then take the store down under the writer.
    const prefix = warehouse.slice(`s3://${BUCKET}/`.length);
    const firstData = await until('the first data file', 90_000, async () => {
      if (ingest!.exitCode !== null) throw new Error(`ingest exited (${ingest!.exitCode}) before any data file was seen:\n${stdout}\n${stderr}`);
      const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` })).catch(() => undefined);
      return page?.Contents?.find((o) => o.Key?.includes('/data/'))?.Key;
    });
    const pidFile = join(dir, 's3', 'run', 'radosgw.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    expect(argv.join(' ')).toContain(join(dir, 's3', 'ceph.conf')); // ours, not the shared RGW
    process.kill(pid, 'SIGKILL');
    await until('radosgw to die', 10_000, () => (alive(pid) ? undefined : true));
    const killedAt = Date.now();
    expect(ingest.exitCode, 'the ingest was still running when the store went down').toBeNull();

    // The outage itself: 10 s of nothing answering (a duration, not a synchronisation).
    await new Promise((r) => setTimeout(r, 10_000));
    const stillRunning = ingest.exitCode === null;
    const out = openSync(join(dir, 's3', 'log', 'radosgw.restart.out'), 'a');
    const rgw = spawn(argv[0]!, argv.slice(1), { cwd, env: process.env, detached: true, stdio: ['ignore', out, out] });
    rgw.unref();
    writeFileSync(pidFile, `${rgw.pid}\n`); // so stop-s3.sh stops the restarted daemon

    const code = await until('the ingest to exit', 90_000, () => (ingest!.exitCode !== null ? ingest!.exitCode : undefined), 100);
    await exited;
    expect(code, `ingest failed:\n${stdout}\n${stderr}`).toBe(0);
    expect(stillRunning, 'the ingest was still waiting for the store when it came back').toBe(true);
    expect(stdout).toContain(`${FILES * ROWS_PER_FILE} rows`);
    console.info(`outage test: first data file ${firstData} after ${killedAt - started} ms; ingest done ${Date.now() - killedAt} ms after the kill`);

    const q = await run(process.execPath, [lakeBin, 'sql', 'SELECT count(*) AS n, sum(id) AS s, sum(v) AS sv, count(DISTINCT id) AS d FROM ns.t', '--format', 'json', '--warehouse', warehouse], { env, timeout: 60_000 });
    const [row] = JSON.parse(q.stdout) as Array<{ n: number | string; s: number | string; sv: number | string; d: number | string }>;
    expect(BigInt(row!.n)).toBe(BigInt(FILES * ROWS_PER_FILE));
    expect(BigInt(row!.d)).toBe(BigInt(FILES * ROWS_PER_FILE));
    expect(BigInt(row!.s)).toBe(expectedSum);
    expect(BigInt(row!.sv)).toBe(expectedV);
    client.destroy();
  }, 200_000);
});
