/**
 * Issue #12, case 3 — a metadata PUT delayed in the network lands after the writer gave up.
 * The writer (client timeout 1 s, short retry and settle budgets) must end with
 * COMMIT_STATE_UNKNOWN and delete nothing; when the delayed request lands seconds later, the
 * table it creates must be readable (its manifest list and manifests still there), hold every
 * row once, and `commitStatus` must find the commit by its id.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureS3Bucket, isLakehouseError, openObjectStore } from 'lakehouse-engine/connectors';
import { Warehouse, commitStatus } from 'lakehouse-engine/catalog';
import { S3_TEST_BUCKET, s3Configured } from '../helpers/backends.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { readRows, writeDataFile } from './util.js';

describe.runIf(s3Configured())('a delayed metadata PUT that lands after the writer gave up (RGW through the fault proxy)', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    await ensureS3Bucket(S3_TEST_BUCKET);
    proxy = await startFaultProxy();
  });
  afterAll(() => proxy?.close());

  it('ends unknown with nothing deleted, and the late landing gives a readable table with the rows once', async () => {
    const uri = `s3://${S3_TEST_BUCKET}/commit-delayed-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const wh = await Warehouse.open(uri);
    await wh.createNamespace('db');
    const t0 = await wh.createTable('db.t', [{ name: 'id', type: 'long', required: true }]);
    await t0.newAppend().appendFile(await writeDataFile(t0, [{ id: 1n }])).commit();
    const next = t0.version + 1;

    const slow = await openObjectStore(uri, { s3: { endpoint: proxy.endpoint, requestTimeoutMs: 1_000, clientConfig: { requestHandler: { requestTimeout: 1_000, throwOnRequestTimeout: true, connectionTimeout: 5_000 } } }, retry: { totalTimeoutMs: 500, baseDelayMs: 10, maxDelayMs: 100 } });
    const table = await (await Warehouse.open(slow)).loadTable('db.t');
    const data = await writeDataFile(table, [{ id: 2n }]);
    // Every PUT of the next metadata version is held 6 s: the client times out after 1 s.
    const rule = proxy.addRule({ method: 'PUT', path: new RegExp(`/metadata/v${next}\\.metadata\\.json$`), action: 'delay-request', delayMs: 6_000 });
    const err = await table.newAppend().withProvenance({ commitId: 'delayed-commit-0001' }).appendFile(data).commit({ settleTimeoutMs: 1_500 }).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(err, 'COMMIT_STATE_UNKNOWN'), String(err)).toBe(true);
    expect(rule.fired()).toBeGreaterThan(0);

    // The writer gave up; now the held requests are delivered (the first one creates the version).
    const deadline = Date.now() + 30_000;
    const direct = await Warehouse.open(uri);
    let t = await direct.loadTable('db.t');
    while (t.version < next && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      t = await direct.loadTable('db.t');
    }
    expect(t.version).toBe(next);
    expect((await readRows(t)).map((r) => r.id).sort()).toEqual([1, 2]);
    for (const s of t.snapshots()) expect(await t.io.store.head(t.io.keyFor(s['manifest-list']))).toBeDefined();
    expect((await commitStatus(t, { commitId: 'delayed-commit-0001' })).status).toBe('committed');
    proxy.clearRules();
    await slow.close();
  }, 90_000);
});
