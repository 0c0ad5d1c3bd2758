/**
 * Issue #12, case 4 — "the store was killed during the PUT": a real `lake ingest` process talks to
 * a real RGW through the fault proxy; the metadata PUT either lands with its answer lost, or never
 * lands, and the store then stops answering for that key. Either way the CLI must say "outcome
 * unknown", print the commit id and delete nothing; `lake commit status` must settle it from the
 * table; and a retry with the same --idempotency-key must load the rows exactly once.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureS3Bucket } from 'lakehouse-engine/connectors';
import { Warehouse } from 'lakehouse-engine/catalog';
import { lakeBin, type CliResult } from '../helpers/cli.js';
import { proxyEnv, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { S3_TEST_BUCKET, s3Configured } from '../helpers/backends.js';

function lake(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [lakeBin, ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const META_PUT = /\/metadata\/v\d+\.metadata\.json$/;

describe.runIf(s3Configured())('an ingest whose metadata write is cut off (real process, real RGW, fault proxy)', () => {
  let dir: string;
  let proxy: FaultProxy;
  /** Short store and settle budgets so that "unknown" is reached in seconds. */
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await ensureS3Bucket(S3_TEST_BUCKET);
    dir = mkdtempSync(join(tmpdir(), 'lake-commit-unknown-'));
    writeFileSync(join(dir, 'a.csv'), `id,v\n${Array.from({ length: 50 }, (_, i) => `${i},${i * 2}`).join('\n')}\n`);
    writeFileSync(join(dir, 'b.csv'), `id,v\n${Array.from({ length: 30 }, (_, i) => `${100 + i},${i}`).join('\n')}\n`);
    proxy = await startFaultProxy();
    env = { ...proxyEnv(proxy.endpoint), LAKE_STORE_RETRY_TIMEOUT_MS: '800' };
  });
  afterAll(async () => {
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const landed of [true, false]) {
    it(`the PUT ${landed ? 'lands but its answer is lost' : 'never lands'}: unknown, commit id printed, nothing deleted, settled by commit status, retried once`, async () => {
      const wh = `s3://${S3_TEST_BUCKET}/commit-unknown-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      const direct = { ...process.env };
      const first = await lake(['ingest', 'raw.t', join(dir, 'a.csv'), '--create', '--warehouse', wh], direct);
      expect(first.code, first.stderr).toBe(0);
      const w = await Warehouse.open(wh);
      await (await w.loadTable('raw.t')).setProperties({ 'commit.status-check.total-timeout-ms': '1500' });
      const before = await listKeys(w);

      proxy.clearRules();
      const put = proxy.addRule({ method: 'PUT', path: META_PUT, action: landed ? 'drop-response' : 'reset-before' });
      const run = lake(['ingest', 'raw.t', join(dir, 'b.csv'), '--idempotency-key', 'b-2026-06-01', '--warehouse', wh], env);
      // Once the metadata PUT was cut off, the store stops answering for that key too.
      await until(() => put.fired() > 0, 60_000);
      proxy.addRule({ method: ['GET', 'HEAD'], path: META_PUT, action: 'fail-status', status: 503 });
      const r = await run;
      proxy.clearRules();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/COMMIT_STATE_UNKNOWN/);
      const id = /commit id: (\S+) \(outcome unknown: check it with `lake commit status raw\.t \1`/.exec(r.stderr)?.[1];
      expect(id, r.stderr).toBeDefined();

      // Nothing was deleted: every file there before is still there, and the new ones stay.
      const after = await listKeys(w);
      for (const k of before) expect(after.has(k), k).toBe(true);
      const newData = [...after].filter((k) => !before.has(k) && k.includes('/data/'));
      expect(newData.length).toBeGreaterThan(0);

      // The table itself settles it.
      const st = await lake(['commit', 'status', 'raw.t', id!, '--json', '--warehouse', wh], direct);
      expect(st.code, st.stderr).toBe(landed ? 0 : 3);
      expect(JSON.parse(st.stdout).status).toBe(landed ? 'committed' : 'not-committed');
      const byKey = await lake(['commit', 'status', 'raw.t', '--idempotency-key', 'b-2026-06-01', '--warehouse', wh], direct);
      expect(byKey.code).toBe(landed ? 0 : 3);

      // The natural retry, with the same key: loads once, whatever happened.
      const retry = await lake(['ingest', 'raw.t', join(dir, 'b.csv'), '--idempotency-key', 'b-2026-06-01', '--json', '--warehouse', wh], direct);
      expect(retry.code, retry.stderr).toBe(0);
      expect(JSON.parse(retry.stdout).alreadyCommitted).toBe(landed);
      const again = await lake(['ingest', 'raw.t', join(dir, 'b.csv'), '--idempotency-key', 'b-2026-06-01', '--json', '--warehouse', wh], direct);
      expect(JSON.parse(again.stdout).alreadyCommitted).toBe(true);

      const q = await lake(['sql', 'SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM raw.t', '--format', 'json', '--warehouse', wh], direct);
      expect(q.code, q.stderr).toBe(0);
      const row = JSON.parse(q.stdout)[0];
      const sumA = (49 * 50) / 2;
      const sumB = Array.from({ length: 30 }, (_, i) => 100 + i).reduce((a, b) => a + b, 0);
      expect([Number(row.n), Number(row.d), Number(row.s)]).toEqual([80, 80, sumA + sumB]);
      await w.close();
    }, 120_000);
  }
});

async function listKeys(w: Warehouse): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const o of w.store.list('raw/')) if (!o.key.includes('/_inflight/')) out.add(o.key);
  return out;
}
