/**
 * Bounded retries with exponential backoff and full jitter (delay = random(0, min(cap, base·2^n))),
 * as AWS recommends for contended services: full jitter spreads colliding clients apart faster
 * than equal or no jitter. Only errors classified as transient are retried; 4xx-type errors
 * (not found, access denied, invalid input) fail at once.
 *
 * `withRetries(store)` applies the policy to every ObjectStore operation. A conditional create
 * whose response was lost is ambiguous (it may have been applied); on retry, a `false` answer is
 * resolved by comparing the stored bytes with ours, so a caller that won is never told it lost.
 */

import { LakehouseError } from './errors.js';
import type { Body, ByteRange, ObjectMeta, ObjectStore, PutOptions } from './object-store.js';

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retries). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Give up once this much time has passed since the first attempt. */
  totalTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  totalTimeoutMs: 60_000,
};

export interface RetryHooks {
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
  /** Injected for tests; defaults to a timer. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Which errors are worth another attempt (default: `isTransient`). */
  isRetryable?: (err: unknown) => boolean;
}

const TRANSIENT_NET_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED',
  'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const TRANSIENT_SDK_NAMES = new Set([
  'SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeTooSkewed',
  'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'TimeoutError', 'NetworkingError',
]);

/** Is this error worth another attempt? 5xx, 429, throttling, resets and timeouts are. */
export function isTransient(err: unknown): boolean {
  if (err instanceof LakehouseError) {
    return err.code === 'STORE_UNAVAILABLE' || (err.code === 'INJECTED_FAULT' && err.details['transient'] === true);
  }
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; cause?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) return true;
  if (e.$retryable) return true;
  if (e.name && TRANSIENT_SDK_NAMES.has(e.name)) return true;
  if (e.code && TRANSIENT_NET_CODES.has(e.code)) return true;
  if (e.cause && e.cause !== err) return isTransient(e.cause);
  return false;
}

export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` until it succeeds, fails with a non-transient error, or the policy is exhausted. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY, hooks: RetryHooks = {}): Promise<T> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? realSleep;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const last = attempt + 1 >= policy.maxAttempts;
      if (!(hooks.isRetryable ?? isTransient)(err) || last || now() - started >= policy.totalTimeoutMs) throw err;
      const delayMs = backoffDelay(attempt, policy, hooks.random);
      hooks.onRetry?.({ attempt: attempt + 1, delayMs, error: err });
      await sleep(delayMs);
    }
  }
}

export class RetryingStore implements ObjectStore {
  constructor(
    readonly inner: ObjectStore,
    readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly hooks: RetryHooks = {},
  ) {}

  get uri(): string {
    return this.inner.uri;
  }

  get(key: string, range?: ByteRange): Promise<Uint8Array> {
    return retry(() => this.inner.get(key, range), this.policy, this.hooks);
  }

  head(key: string): Promise<ObjectMeta | undefined> {
    return retry(() => this.inner.head(key), this.policy, this.hooks);
  }

  put(key: string, body: Body, options?: PutOptions): Promise<void> {
    // A stream can be consumed only once, so streamed puts are not retried here; the S3
    // backend's multipart upload retries its parts itself.
    if (!(body instanceof Uint8Array)) return this.inner.put(key, body, options);
    return retry(() => this.inner.put(key, body, options), this.policy, this.hooks);
  }

  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    return retry(
      async (attempt) => {
        const created = await this.inner.putIfAbsent(key, body, options);
        if (created || attempt === 0) return created;
        // An earlier attempt may have been applied although its answer was lost.
        return sameBytes(await this.inner.get(key).catch(() => undefined), body);
      },
      this.policy,
      this.hooks,
    );
  }

  async *list(prefix?: string): AsyncIterable<ObjectMeta> {
    // Retrying a half-consumed listing would repeat keys; the S3 backend retries each page.
    yield* this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return retry(() => this.inner.delete(key), this.policy, this.hooks);
  }

  deleteMany(keys: Iterable<string>): Promise<void> {
    const all = [...keys];
    return retry(() => this.inner.deleteMany(all), this.policy, this.hooks);
  }

  uriFor(key: string): string {
    return this.inner.uriFor(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
