/**
 * The retry policy's time budget and the write-outcome contract of RetryingStore (see
 * connectors/object-store.ts on putIfAbsent): outcomes are known or unknown, never guessed.
 * Clock and sleep are injected, so budgets of a minute run in milliseconds.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  FaultyStore,
  isLakehouseError,
  LakehouseError,
  MemoryStore,
  retry,
  RetryingStore,
  withFaults,
  type ObjectStore,
  type RetryHooks,
} from 'lakehouse-engine/connectors';

const enc = new TextEncoder();
const dec = new TextDecoder();
const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7480'), { code: 'ECONNREFUSED' });

/** A virtual clock: sleeping advances it; each call may cost time too. */
function virtualClock(): { hooks: RetryHooks; now: () => number; slept: number[]; advance(ms: number): void } {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    now: () => t,
    slept,
    advance: (ms) => void (t += ms),
    hooks: { now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) },
  };
}

let n = 0;
const fresh = (): MemoryStore => new MemoryStore(`retry-outcomes-${Date.now()}-${n++}`);

describe('retry policy: a time budget, not an attempt count', () => {
  it('keeps retrying until the 60 s budget is spent; total sleep ≈ budget', async () => {
    const clock = virtualClock();
    let calls = 0;
    const started = clock.now();
    await expect(retry(async () => { calls++; throw refused(); }, DEFAULT_RETRY_POLICY, clock.hooks)).rejects.toThrow(/ECONNREFUSED/);
    const total = clock.slept.reduce((a, b) => a + b, 0);
    expect(total).toBe(DEFAULT_RETRY_POLICY.totalTimeoutMs); // the last sleep is cut to the budget's end
    expect(clock.now() - started).toBe(60_000);
    expect(calls).toBeGreaterThan(10); // far more than the old 6 attempts (≈1.55 s of sleep)
    expect(Math.max(...clock.slept)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('survives a 30 s outage (100 runs with random jitter)', async () => {
    for (let run = 0; run < 100; run++) {
      const clock = virtualClock();
      const backAt = clock.now() + 30_000;
      const value = await retry(async () => {
        clock.advance(5); // each failed request costs a little time too
        if (clock.now() < backAt) throw refused();
        return 'ok';
      }, DEFAULT_RETRY_POLICY, clock.hooks);
      expect(value).toBe('ok');
      // Back within one capped backoff of the store's return.
      expect(clock.now() - backAt).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs + 10);
    }
  });

  it('with a no-op sleep the budget still ends the loop (virtual time counts)', async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw refused(); }, DEFAULT_RETRY_POLICY, { sleep: async () => {} })).rejects.toThrow();
    expect(calls).toBeGreaterThan(10);
    expect(calls).toBeLessThan(500);
  });

  it('maxAttempts is an optional extra cap', async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw refused(); }, { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 }, { sleep: async () => {} })).rejects.toThrow();
    expect(calls).toBe(3);
  });
});

describe('RetryingStore.putIfAbsent: true, false, or outcome unknown', () => {
  const key = 't/metadata/v2.metadata.json';

  it('a lost answer (applied, then failed) reads back our bytes: true', async () => {
    const faulty = withFaults(fresh(), [{ op: 'putIfAbsent', key, action: 'fail', when: 'after', times: 1 }]);
    const store = new RetryingStore(faulty, DEFAULT_RETRY_POLICY, virtualClock().hooks);
    expect(await store.putIfAbsent(key, enc.encode('mine'))).toBe(true);
  });

  it('false only when OTHER bytes read back', async () => {
    const inner = fresh();
    await inner.put(key, enc.encode('theirs'));
    const store = new RetryingStore(inner, DEFAULT_RETRY_POLICY, virtualClock().hooks);
    expect(await store.putIfAbsent(key, enc.encode('mine'))).toBe(false);
    // The same bytes as stored: ours (e.g. a re-call after an outcome-unknown error).
    expect(await store.putIfAbsent(key, enc.encode('theirs'))).toBe(true);
  });

  it('a failing read-back is retried, and resolved once the read works', async () => {
    const inner = fresh();
    const faulty = withFaults(inner, [
      { op: 'putIfAbsent', key, action: 'fail', when: 'after', times: 1 },
      { op: 'get', key, action: 'fail', times: 5 },
    ]);
    const store = new RetryingStore(faulty, DEFAULT_RETRY_POLICY, virtualClock().hooks);
    expect(await store.putIfAbsent(key, enc.encode('mine'))).toBe(true);
    expect(faulty.calls.filter((c) => c.op === 'get' && c.fault === 'fail')).toHaveLength(5);
  });

  it('a read-back that keeps failing: STORE_UNAVAILABLE with outcomeUnknown, never false', async () => {
    const inner = fresh();
    await inner.put(key, enc.encode('theirs'));
    const faulty = withFaults(inner, [{ op: 'get', key, action: 'fail' }]);
    const store = new RetryingStore(faulty, DEFAULT_RETRY_POLICY, virtualClock().hooks);
    const err = await store.putIfAbsent(key, enc.encode('mine')).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect((err as LakehouseError).details).toMatchObject({ key, outcomeUnknown: true });
  });

  it('a create that keeps failing transiently until the budget is spent: outcomeUnknown (it may have landed)', async () => {
    const faulty = withFaults(fresh(), [{ op: 'putIfAbsent', action: 'fail', when: 'after' }]);
    const clock = virtualClock();
    const store = new RetryingStore(faulty, DEFAULT_RETRY_POLICY, clock.hooks);
    const err = await store.putIfAbsent(key, enc.encode('mine')).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(err, 'STORE_UNAVAILABLE')).toBe(true);
    expect((err as LakehouseError).details).toMatchObject({ key, outcomeUnknown: true, lastCode: 'INJECTED_FAULT' });
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(60_000);
    expect(await faulty.inner.head(key)).toBeDefined(); // it did land: "unknown" was the only honest answer
  });

  it('a definite refusal carries outcomeUnknown: false and is not retried', async () => {
    const denied = new LakehouseError('STORE_AUTH', 'bad credentials', { details: { key } });
    const faulty = withFaults(fresh(), [{ op: 'putIfAbsent', action: 'error', error: denied }]);
    const store = new RetryingStore(faulty, DEFAULT_RETRY_POLICY, virtualClock().hooks);
    const err = await store.putIfAbsent(key, enc.encode('mine')).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(err, 'STORE_AUTH')).toBe(true);
    expect((err as LakehouseError).details).toMatchObject({ key, outcomeUnknown: false });
    expect(faulty.calls.filter((c) => c.op === 'putIfAbsent')).toHaveLength(1);
  });

  it('refused but absent on re-read: the create is tried again', async () => {
    const inner = fresh();
    // A store that says "exists" once although nothing is there (RGW's 409 with no winner).
    let lie = true;
    const liar: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
      putIfAbsent: async (k: string, b: Uint8Array) => (lie ? ((lie = false), false) : inner.putIfAbsent(k, b)),
    });
    const store = new RetryingStore(liar, DEFAULT_RETRY_POLICY, virtualClock().hooks);
    expect(await store.putIfAbsent(key, enc.encode('mine'))).toBe(true);
    expect(dec.decode(await inner.get(key))).toBe('mine');
  });
});

describe('RetryingStore.put: every body kind is retried', () => {
  async function* chunks(parts: string[]): AsyncIterable<Uint8Array> {
    for (const p of parts) yield enc.encode(p);
  }

  it('a streamed body (as the Parquet sink writes) survives transient failures', async () => {
    const faulty = withFaults(fresh(), [{ op: 'put', action: 'fail', times: 3 }]);
    const store = new RetryingStore(faulty, DEFAULT_RETRY_POLICY, virtualClock().hooks);
    await store.put('ns/t/data/f.parquet', chunks(['PAR1', '-body-', 'PAR1']));
    expect(dec.decode(await faulty.inner.get('ns/t/data/f.parquet'))).toBe('PAR1-body-PAR1');
    expect(faulty.calls.filter((c) => c.op === 'put')).toHaveLength(4);
  });

  it('a put failing until the budget is spent says its outcome is unknown', async () => {
    const faulty = withFaults(fresh(), [{ op: 'put', action: 'fail' }]);
    const store = new RetryingStore(faulty, DEFAULT_RETRY_POLICY, virtualClock().hooks);
    const err = await store.put('k', chunks(['x'])).then(() => undefined, (e: unknown) => e);
    expect((err as LakehouseError).details).toMatchObject({ key: 'k', outcomeUnknown: true });
  });

  it('a stream longer than the buffer is handed on once, intact', async () => {
    const faulty = withFaults(fresh(), []);
    const store = new RetryingStore(faulty, { ...DEFAULT_RETRY_POLICY, streamBufferBytes: 8 }, virtualClock().hooks);
    await store.put('big', chunks(['0123', '4567', '89ab', 'cdef']));
    expect(dec.decode(await faulty.inner.get('big'))).toBe('0123456789abcdef');
  });
});

describe("faults: when 'later' (a delayed delivery)", () => {
  it('fails at once, lands delayMs later; settled() waits for it', async () => {
    const inner = fresh();
    const faulty = withFaults(inner, [{ op: 'putIfAbsent', action: 'fail', when: 'later', delayMs: 50, times: 1 }]);
    const t0 = Date.now();
    const err = await faulty.putIfAbsent('v1', enc.encode('late')).then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(err, 'INJECTED_FAULT')).toBe(true);
    expect((err as LakehouseError).details['transient']).toBe(true);
    expect(Date.now() - t0).toBeLessThan(40);
    expect(await inner.head('v1')).toBeUndefined();
    await faulty.settled();
    expect(dec.decode(await inner.get('v1'))).toBe('late');
    expect(faulty.lateResults).toMatchObject([{ op: 'putIfAbsent', key: 'v1', ok: true, value: true }]);
  });

  it('through the retry layer: the writer moves on, the late copy lands after it', async () => {
    const inner = fresh();
    const faulty = withFaults(inner, [{ op: 'put', key: 'd', action: 'fail', when: 'later', delayMs: 30, times: 1 }]);
    const retrying = new RetryingStore(faulty, DEFAULT_RETRY_POLICY, { sleep: async () => {} });
    await retrying.put('d', enc.encode('v'));
    expect(faulty.calls.filter((c) => c.op === 'put')).toHaveLength(2);
    await faulty.settled();
    expect(dec.decode(await inner.get('d'))).toBe('v');
    expect(faulty).toBeInstanceOf(FaultyStore);
  });
});
