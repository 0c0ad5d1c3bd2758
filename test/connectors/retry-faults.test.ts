import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isLakehouseError,
  isTransient,
  openObjectStore,
  retry,
  withFaults,
  LakehouseError,
} from 'lakehouse-engine/connectors';
import { backends } from '../helpers/backends.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const noSleep = { sleep: async () => {} };

describe('retry policy', () => {
  it('full jitter: delays stay within [0, min(cap, base·2^n))', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(10, policy, () => 0)).toBe(0);
  });

  it('retries transient errors up to maxAttempts, with the computed delays', async () => {
    const delays: number[] = [];
    let calls = 0;
    const err = Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    await expect(
      retry(
        async () => {
          calls++;
          throw err;
        },
        { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 1000, totalTimeoutMs: 60_000 },
        { random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
      ),
    ).rejects.toBe(err);
    expect(calls).toBe(4);
    expect(delays).toEqual([5, 10, 20]);
  });

  it('does not retry 4xx-type errors', async () => {
    let calls = 0;
    const err = Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(retry(async () => { calls++; throw err; }, DEFAULT_RETRY_POLICY, noSleep)).rejects.toBe(err);
    expect(calls).toBe(1);
  });

  it('stops at the total time budget', async () => {
    let now = 0;
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          now += 400;
          throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        },
        { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 1, totalTimeoutMs: 1000 },
        { now: () => now, sleep: async () => {} },
      ),
    ).rejects.toThrow('reset');
    expect(calls).toBe(3);
  });

  it('classifies errors', () => {
    expect(isTransient(Object.assign(new Error(), { $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { $metadata: { httpStatusCode: 429 } }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { name: 'TimeoutError' }))).toBe(true);
    expect(isTransient(Object.assign(new Error(), { $metadata: { httpStatusCode: 404 } }))).toBe(false);
    expect(isTransient(new LakehouseError('NOT_FOUND', 'x'))).toBe(false);
    expect(isTransient(new LakehouseError('STORE_UNAVAILABLE', 'x'))).toBe(true);
  });
});

describe('fault injection through openObjectStore', () => {
  it('transient failures are retried by the store', async () => {
    const store = await openObjectStore('memory://faults-retry', {
      faults: [{ op: 'get', key: 'k', action: 'fail', times: 2 }],
      retryHooks: noSleep,
    });
    await store.put('k', enc.encode('value'));
    expect(dec.decode(await store.get('k'))).toBe('value');
  });

  it('a retry budget smaller than the failures surfaces the error', async () => {
    const store = await openObjectStore('memory://faults-budget', {
      faults: [{ op: 'get', action: 'fail', times: 5 }],
      retry: { maxAttempts: 3 },
      retryHooks: noSleep,
    });
    await store.put('k', enc.encode('value'));
    await expect(store.get('k')).rejects.toSatisfy((e: unknown) => isLakehouseError(e, 'INJECTED_FAULT'));
  });

  it('permanent errors are not retried', async () => {
    const inner = await openObjectStore('memory://faults-permanent', { verifyConditionalWrites: false });
    const faulty = withFaults(inner, [{ op: 'head', action: 'error' }]);
    await expect(retry(() => faulty.head('x'), DEFAULT_RETRY_POLICY, noSleep)).rejects.toSatisfy((e: unknown) =>
      isLakehouseError(e, 'INJECTED_FAULT'),
    );
    expect(faulty.calls.filter((c) => c.op === 'head')).toHaveLength(1);
  });

  it('a conditional create whose answer was lost still reports the win', async () => {
    const store = await openObjectStore('memory://faults-lost-answer', {
      faults: [{ op: 'putIfAbsent', key: 'meta/v1.json', action: 'fail', when: 'after', times: 1 }],
      retryHooks: noSleep,
    });
    expect(await store.putIfAbsent('meta/v1.json', enc.encode('mine'))).toBe(true);
    expect(await store.putIfAbsent('meta/v1.json', enc.encode('theirs'))).toBe(false);
    expect(dec.decode(await store.get('meta/v1.json'))).toBe('mine');
  });

  it('a crash stops every later operation', async () => {
    const inner = await openObjectStore('memory://faults-crash', { verifyConditionalWrites: false });
    const faulty = withFaults(inner, [{ op: 'put', key: /step-2/, action: 'crash', when: 'after' }]);
    await faulty.put('step-1', enc.encode('1'));
    await expect(faulty.put('step-2', enc.encode('2'))).rejects.toSatisfy((e: unknown) => isLakehouseError(e, 'INJECTED_FAULT'));
    await expect(faulty.put('step-3', enc.encode('3'))).rejects.toThrow(/crash/);
    expect(await inner.head('step-2')).toBeDefined();
    expect(await inner.head('step-3')).toBeUndefined();
    faulty.revive();
    await faulty.put('step-3', enc.encode('3'));
  });

  it('delays and nth-call matching', async () => {
    const inner = await openObjectStore('memory://faults-nth', { verifyConditionalWrites: false });
    const faulty = withFaults(inner, [{ op: 'put', nth: 2, action: 'error' }]);
    await faulty.put('a', enc.encode('a'));
    await expect(faulty.put('b', enc.encode('b'))).rejects.toThrow(/permanent/);
    await faulty.put('c', enc.encode('c'));
    expect(faulty.calls.map((c) => c.fault ?? '-')).toEqual(['-', 'error', '-']);
  });
});

for (const backend of backends()) {
  describe(`conditional-write guard: ${backend.name}`, () => {
    it('refuses a store that ignores If-None-Match with PRECONDITION_UNSUPPORTED', async () => {
      const uri = await backend.freshUri('guard');
      const broken = await openObjectStore(uri, { faults: [{ op: 'putIfAbsent', action: 'ignore-precondition' }] });
      const err = await broken.putIfAbsent('t/metadata/v1.metadata.json', enc.encode('{}')).catch((e: unknown) => e);
      expect(isLakehouseError(err, 'PRECONDITION_UNSUPPORTED')).toBe(true);
      expect((err as Error).message).toContain(uri.startsWith('/') ? 'file://' : uri.split('://')[0]!);
      expect((err as Error).message).toMatch(/Help: .*conditional|If-None-Match/);
      // Nothing was created by the refused call, and the probe cleaned up after itself.
      const real = await openObjectStore(uri);
      expect(await real.head('t/metadata/v1.metadata.json')).toBeUndefined();
      const left = [];
      for await (const o of real.list('')) left.push(o.key);
      expect(left).toEqual([]);
      // The same storage without the fault passes the probe.
      expect(await real.putIfAbsent('t/metadata/v1.metadata.json', enc.encode('{}'))).toBe(true);
      await real.delete('t/metadata/v1.metadata.json');
      await backend.cleanup();
    });
  });
}
