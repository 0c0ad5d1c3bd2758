/**
 * The fault proxy against the real S3 store (Ceph RGW): each action does what it claims, seen
 * from both sides — what the client was told, and what the store holds (read directly).
 * Client stores use one attempt (no retries) so each fault reaches the caller unmasked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLakehouseError, openObjectStore, type ObjectStore } from 'lakehouse-engine/connectors';
import { s3Configured, S3_TEST_BUCKET, ensureTestBucket } from '../helpers/backends.js';
import { startFaultProxy, type FaultProxy, type ProxyAction } from '../helpers/fault-proxy.js';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';

const enc = new TextEncoder();

/** Polls `check` until it returns true or the deadline passes. */
async function until(check: () => Promise<boolean>, deadlineMs: number, what: string): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function causeCodes(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err as { code?: unknown; name?: unknown; cause?: unknown } | undefined, i = 0; e && i < 10; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string') out.push(e.code);
    if (typeof e.name === 'string') out.push(e.name);
  }
  return out;
}

describe.skipIf(!s3Configured())('fault proxy in front of RGW', () => {
  let proxy: FaultProxy;
  let direct: ObjectStore;
  let client: ObjectStore;
  let uri: string;

  beforeAll(async () => {
    await ensureTestBucket();
    uri = `s3://${S3_TEST_BUCKET}/fault-proxy-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    proxy = await startFaultProxy();
    direct = await openObjectStore(uri);
    // A short request timeout (ends the request: S3Store sets throwOnRequestTimeout) and one
    // attempt, so the client gives up on a delayed request and no retry masks a fault.
    client = await openObjectStore(uri, { retry: { maxAttempts: 1 }, s3: { endpoint: proxy.endpoint, requestTimeoutMs: 800 } });
  });

  afterAll(async () => {
    await client?.close?.();
    await direct?.close?.();
    await proxy?.close();
  });

  it('forwards untouched traffic, keep-alive', async () => {
    const before = proxy.stats();
    for (let i = 0; i < 5; i++) await client.put(`plain/${i}`, enc.encode(`v${i}`));
    expect(new TextDecoder().decode(await client.get('plain/3'))).toBe('v3');
    expect((await direct.head('plain/4'))?.size).toBe(2);
    const after = proxy.stats();
    expect(after.requests - before.requests).toBe(6);
    expect(after.forwarded - before.forwarded).toBe(6);
    // Sequential requests reuse the client's connection.
    expect(after.connections - before.connections).toBeLessThan(3);
  });

  it('reset-before: the client sees a reset and the write did not happen', async () => {
    const rule = proxy.addRule({ method: 'PUT', path: /\/reset-before\/x$/, action: 'reset-before' });
    const err = await client.put('reset-before/x', enc.encode('data')).catch((e: unknown) => e);
    expect(isLakehouseError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect(rule.fired()).toBe(1);
    expect(await direct.head('reset-before/x')).toBeUndefined();
    rule.remove();
  });

  it('drop-response: the client sees an error although the write landed', async () => {
    const rule = proxy.addRule({ method: 'PUT', path: /\/drop-response\/x$/, nth: 1, action: 'drop-response' });
    const err = await client.put('drop-response/x', enc.encode('landed')).catch((e: unknown) => e);
    expect(isLakehouseError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect(rule.fired()).toBe(1);
    expect(new TextDecoder().decode(await direct.get('drop-response/x'))).toBe('landed');
    const ev = proxy.events.find((e) => e.action === 'drop-response' && e.path.split('?')[0]!.endsWith('/drop-response/x'));
    expect(ev?.status).toBe(200);
    rule.remove();
  });

  it('delay-request: the client times out, the PUT lands afterwards', async () => {
    const rule = proxy.addRule({ method: 'PUT', path: /\/delay\/x$/, nth: 1, action: 'delay-request', delayMs: 3_000 });
    const started = Date.now();
    const err = await client.put('delay/x', enc.encode('late')).catch((e: unknown) => e);
    const gaveUpAfter = Date.now() - started;
    expect(err).toBeInstanceOf(Error);
    expect(gaveUpAfter).toBeLessThan(3_000);
    // The client has given up, and the store does not hold the object yet…
    expect(await direct.head('delay/x')).toBeUndefined();
    // …but the held request is still delivered.
    await until(async () => (await direct.head('delay/x')) !== undefined, 15_000, 'the delayed PUT to land');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(new TextDecoder().decode(await direct.get('delay/x'))).toBe('late');
    rule.remove();
  });

  it('fail-status: an S3 error answer, nothing forwarded', async () => {
    const rule = proxy.addRule({ method: 'PUT', path: /\/fail\/x$/, times: 1, action: 'fail-status', status: 503 });
    const before = proxy.stats().forwarded;
    const err = await client.put('fail/x', enc.encode('no')).catch((e: unknown) => e);
    expect(isLakehouseError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect((err as { details: Record<string, unknown> }).details['status']).toBe(503);
    expect(proxy.stats().forwarded).toBe(before);
    expect(await direct.head('fail/x')).toBeUndefined();
    // The connection stays usable after an error answer.
    await client.put('fail/x', enc.encode('yes'));
    expect((await direct.head('fail/x'))?.size).toBe(3);
    rule.remove();
  });

  it('down/up: connections are refused while down, then it works again', async () => {
    await client.put('outage/before', enc.encode('1'));
    await proxy.down();
    expect(proxy.isDown()).toBe(true);
    // A pooled keep-alive connection was reset under the client (ECONNRESET); the next attempt
    // needs a new connection, and the closed listening socket refuses it.
    const first = await client.put('outage/during', enc.encode('2')).catch((e: unknown) => e);
    expect(isLakehouseError(first, 'STORE_UNAVAILABLE')).toBe(true);
    const second = await client.put('outage/during', enc.encode('2')).catch((e: unknown) => e);
    expect(isLakehouseError(second, 'STORE_UNAVAILABLE')).toBe(true);
    expect(causeCodes(second)).toContain('ECONNREFUSED');
    const raw = await new Promise<string>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port: proxy.port });
      sock.on('connect', () => (sock.destroy(), resolve('connected')));
      sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(raw).toBe('ECONNREFUSED');
    await proxy.up();
    await client.put('outage/after', enc.encode('3'));
    expect(await direct.head('outage/during')).toBeUndefined();
    expect((await direct.head('outage/after'))?.size).toBe(1);
    const s = proxy.stats();
    expect(s.outages).toBe(1);
  });

  it('outage(ms): a retrying client rides out a short outage', async () => {
    const retrying = await openObjectStore(uri, {
      retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 400 },
      s3: { endpoint: proxy.endpoint },
    });
    const outage = proxy.outage(1_500);
    const put = retrying.put('outage/retried', enc.encode('ok'));
    await Promise.all([outage, put]);
    expect((await direct.head('outage/retried'))?.size).toBe(2);
    await retrying.close?.();
  });

  it('random mode: the same seed faults the same requests', async () => {
    const run = async (seed: number): Promise<Array<ProxyAction | undefined>> => {
      const p = await startFaultProxy({ random: { seed, resetRate: 0.3, delayRate: 0.2, delayMs: [5, 20] } });
      const s = await openObjectStore(uri, { retry: { maxAttempts: 1 }, s3: { endpoint: p.endpoint } });
      for (let i = 0; i < 30; i++) await s.head(`random/${i}`).catch(() => undefined);
      await s.close?.();
      await p.close();
      const st = p.stats();
      expect(st.random['reset-before'] + st.random['drop-response'] + st.random['delay-request']).toBeGreaterThan(0);
      return p.events.map((e) => e.action);
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(7);
    expect(a).toHaveLength(30);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});
