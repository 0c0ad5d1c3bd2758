/**
 * Retries with exponential backoff and full jitter, bounded by a TIME budget.
 *
 * Policy: after the nth failed attempt (n = 0, 1, …) of a transient error, sleep
 * random(0, min(maxDelayMs, baseDelayMs·2^n)) — AWS's "full jitter", which spreads colliding
 * clients apart faster than equal or no jitter — and try again, until the call succeeds, fails
 * with a non-retryable error, or `totalTimeoutMs` (default 60 s) has been spent since the first
 * attempt. The last sleep is cut to the budget's end, so the attempts cover the whole budget: a
 * store that is back within ~30 s (budget minus the 5 s cap, with room to spare) is survived. Time
 * spent is the larger of the wall clock and the sum of requested sleeps, so an injected no-op
 * sleep still ends the loop after a budget's worth of (virtual) waiting. `maxAttempts` is an
 * optional extra cap; by default there is none, so the budget is what bounds a retry.
 * Only transient errors are retried (5xx, 429, throttling, resets, timeouts); 4xx-type errors
 * (not found, access denied, bad credentials, invalid input) fail at once.
 *
 * `RetryingStore` applies the policy to every ObjectStore operation, and owns the write
 * contract documented on `ObjectStore.put` / `putIfAbsent` (connectors/object-store.ts):
 * - every write is retried, whatever the body: a stream body is buffered up to
 *   `streamBufferBytes` (default 16 MiB) and then retried as bytes; a longer stream is handed on
 *   once (the S3 backend retries each part of its multipart upload itself).
 * - an outcome is known or unknown, never guessed: `putIfAbsent` answers `true` only when it
 *   created the key or reads back our exact bytes, `false` only when it reads back other bytes;
 *   otherwise it keeps trying within the budget and then throws `STORE_UNAVAILABLE` with
 *   `details.outcomeUnknown = true`. Every error thrown by a write carries `details.key` and
 *   `details.outcomeUnknown` (false only when no attempt could have been applied).
 * - an error that already spent a retry budget inside a lower layer (`details.retryBudgetSpent`)
 *   is not retried again, so budgets do not multiply.
 */

import { LakehouseError } from './errors.js';
import { concatBytes } from './keys.js';
import type { Body, ByteRange, ObjectMeta, ObjectStore, PutOptions } from './object-store.js';

export interface RetryPolicy {
  /** Optional cap on attempts including the first (1 = no retries). Default: none (the budget bounds). */
  maxAttempts?: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Give up once this much time has been spent since the first attempt. */
  totalTimeoutMs: number;
  /** Stream bodies up to this size are buffered so that their put can be retried (default 16 MiB). */
  streamBufferBytes?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  totalTimeoutMs: 60_000,
  streamBufferBytes: 16 * 1024 * 1024,
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
/** Credential problems are never transient, whatever status or flags the SDK attaches. */
const AUTH_SDK_NAMES = new Set(['CredentialsProviderError', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken']);

/** Is this error worth another attempt? 5xx, 429, throttling, resets and timeouts are. */
export function isTransient(err: unknown): boolean {
  if (err instanceof LakehouseError) {
    if (err.details['retryBudgetSpent'] === true) return false;
    return err.code === 'STORE_UNAVAILABLE' || (err.code === 'INJECTED_FAULT' && err.details['transient'] === true);
  }
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; cause?: unknown };
  if (e.name && AUTH_SDK_NAMES.has(e.name)) return false;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) return true;
  if (e.$retryable) return true;
  if (e.name && TRANSIENT_SDK_NAMES.has(e.name)) return true;
  if (e.code && TRANSIENT_NET_CODES.has(e.code)) return true;
  if (e.cause && e.cause !== err) return isTransient(e.cause);
  return false;
}

export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 40));
  return Math.floor(random() * cap);
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` until it succeeds, fails with a non-retryable error, or the budget is spent; then
 * throws the last error unchanged.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY, hooks: RetryHooks = {}): Promise<T> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? realSleep;
  const retryable = hooks.isRetryable ?? isTransient;
  const started = now();
  let slept = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!retryable(err)) throw err;
      if (policy.maxAttempts !== undefined && attempt + 1 >= policy.maxAttempts) throw err;
      const left = policy.totalTimeoutMs - Math.max(now() - started, slept);
      if (!(left > 0)) throw err;
      const delayMs = Math.min(backoffDelay(attempt, policy, hooks.random), left);
      hooks.onRetry?.({ attempt: attempt + 1, delayMs, error: err });
      await sleep(delayMs);
      slept += delayMs;
    }
  }
}

/**
 * The error a write throws, with its outcome explicit: `details.key`, `details.outcomeUnknown`
 * and, when a retry budget was spent on it, `details.retryBudgetSpent`. A write that kept failing
 * transiently until the budget was spent becomes `STORE_UNAVAILABLE` (the last error as cause).
 */
export function writeOutcomeError(err: unknown, key: string, outcomeUnknown: boolean, budgetSpent: boolean): LakehouseError {
  // A lower layer that knows its write may have been applied keeps that knowledge.
  if (err instanceof LakehouseError && err.details['outcomeUnknown'] === true) outcomeUnknown = true;
  const extra = { key, outcomeUnknown, ...(budgetSpent ? { retryBudgetSpent: true } : {}) };
  const exhausted = budgetSpent && outcomeUnknown;
  if (err instanceof LakehouseError && (!exhausted || err.code === 'STORE_UNAVAILABLE')) {
    const d = err.details;
    if (d['key'] === key && d['outcomeUnknown'] === outcomeUnknown && (!budgetSpent || d['retryBudgetSpent'] === true)) return err;
    const base = err.help ? err.message.slice(0, err.message.length - `\nHelp: ${err.help}`.length) : err.message;
    return new LakehouseError(err.code, base, { cause: err.cause ?? err, help: err.help, details: { ...d, ...extra } });
  }
  const last = err instanceof Error ? err.message.split('\nHelp:')[0] : String(err);
  return new LakehouseError(
    'STORE_UNAVAILABLE',
    exhausted
      ? `writing "${key}" kept failing until the retry budget was spent; it may or may not have been applied (last error: ${last})`
      : `writing "${key}" failed: ${last}`,
    {
      cause: err,
      help: 'Check that the store is reachable and healthy, then retry. Read the key back before assuming the write did not happen.',
      details: { ...(err instanceof LakehouseError ? { ...err.details, lastCode: err.code } : {}), ...extra },
    },
  );
}

export class RetryingStore implements ObjectStore {
  readonly listTemporary?: (prefix: string) => AsyncIterable<ObjectMeta>;
  readonly deleteTemporary?: (key: string) => Promise<void>;
  private readonly retryHooks: RetryHooks;

  constructor(
    readonly inner: ObjectStore,
    readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly hooks: RetryHooks = {},
  ) {
    const base = hooks.isRetryable ?? isTransient;
    // An error that spent a budget below us must not be retried for another budget.
    const isRetryable = (e: unknown): boolean => !(e instanceof LakehouseError && e.details['retryBudgetSpent'] === true) && base(e);
    this.retryHooks = { ...hooks, isRetryable };
    const list = inner.listTemporary?.bind(inner);
    const del = inner.deleteTemporary?.bind(inner);
    // Forwarded only when the inner store has them: callers test for their presence.
    if (list) this.listTemporary = (prefix) => list(prefix);
    if (del) this.deleteTemporary = (key) => retry(() => del(key), this.policy, this.retryHooks);
  }

  get uri(): string {
    return this.inner.uri;
  }

  get(key: string, range?: ByteRange): Promise<Uint8Array> {
    return retry(() => this.inner.get(key, range), this.policy, this.retryHooks);
  }

  head(key: string): Promise<ObjectMeta | undefined> {
    return retry(() => this.inner.head(key), this.policy, this.retryHooks);
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<void> {
    let bytes: Uint8Array;
    if (body instanceof Uint8Array) {
      bytes = body;
    } else {
      const prefix = await bufferPrefix(body, this.policy.streamBufferBytes ?? DEFAULT_RETRY_POLICY.streamBufferBytes!);
      if (prefix.rest) {
        // Too long to hold: handed on once (a consumed stream cannot be replayed); the S3 backend
        // retries each part of its multipart upload, local disk has no transient failures.
        try {
          return await this.inner.put(key, replay(prefix.chunks, prefix.rest), options);
        } catch (err) {
          const unknown = (err instanceof LakehouseError && err.details['outcomeUnknown'] === true) || this.retryHooks.isRetryable!(err);
          throw writeOutcomeError(err, key, unknown, err instanceof LakehouseError && err.details['retryBudgetSpent'] === true);
        }
      }
      bytes = concatBytes(prefix.chunks);
    }
    return this.write(key, () => this.inner.put(key, bytes, options));
  }

  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    return this.write(key, async () => {
      if (await this.inner.putIfAbsent(key, body, options)) return true;
      // "Exists" may be our own earlier attempt whose answer was lost: decide from the bytes.
      let stored: Uint8Array;
      try {
        stored = await this.inner.get(key);
      } catch (err) {
        if (err instanceof LakehouseError && err.code === 'NOT_FOUND') {
          // Refused, yet absent now: nothing settled; try the create again.
          throw new LakehouseError('STORE_UNAVAILABLE', `conditional create of "${key}" was refused but the key is absent on re-read`, {
            details: { key, transient: true },
          });
        }
        throw err;
      }
      return sameBytes(stored, body);
    });
  }

  /** Runs one write with retries and makes its outcome explicit on failure. */
  private async write<T>(key: string, op: () => Promise<T>): Promise<T> {
    let mayHaveLanded = false;
    try {
      return await retry(
        async () => {
          try {
            return await op();
          } catch (err) {
            // A transient failure may have been applied (a lost response), so may later ones.
            if (this.retryHooks.isRetryable!(err) || (err instanceof LakehouseError && err.details['outcomeUnknown'] === true)) mayHaveLanded = true;
            throw err;
          }
        },
        this.policy,
        this.retryHooks,
      );
    } catch (err) {
      const budgetSpent = this.retryHooks.isRetryable!(err) || (err instanceof LakehouseError && err.details['retryBudgetSpent'] === true);
      throw writeOutcomeError(err, key, mayHaveLanded, budgetSpent);
    }
  }

  async *list(prefix?: string): AsyncIterable<ObjectMeta> {
    // Retrying a half-consumed listing would repeat keys; the S3 backend retries each page.
    yield* this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return retry(() => this.inner.delete(key), this.policy, this.retryHooks);
  }

  deleteMany(keys: Iterable<string>): Promise<void> {
    const all = [...keys];
    return retry(() => this.inner.deleteMany(all), this.policy, this.retryHooks);
  }

  uriFor(key: string): string {
    return this.inner.uriFor(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

interface StreamPrefix {
  chunks: Uint8Array[];
  /** The unread rest, or undefined when the stream ended within the limit. */
  rest?: AsyncIterator<Uint8Array>;
}

/** Reads a stream until it ends or more than `limit` bytes have been read. */
export async function bufferPrefix(body: AsyncIterable<Uint8Array>, limit: number): Promise<StreamPrefix> {
  const it = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total <= limit) {
    const r = await it.next();
    if (r.done) return { chunks };
    // Copy: the producer may reuse its buffer once we ask for the next chunk.
    chunks.push(new Uint8Array(r.value));
    total += r.value.byteLength;
  }
  return { chunks, rest: it };
}

export async function* replay(chunks: Uint8Array[], rest: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* chunks;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
