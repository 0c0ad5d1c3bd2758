/**
 * `openObjectStore(uri)`: the one way code, tests and users get a store.
 * Layers, inside out: backend → fault injection (tests only) → retries → conditional-write guard.
 * The guard sits outermost so that a store that ignores conditions is refused whatever sits
 * below it (in tests: a fault rule that breaks `putIfAbsent`).
 */

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LakehouseError } from './errors.js';
import { withFaults, type FaultRule } from './faults.js';
import { LocalFsStore } from './local-fs.js';
import { MemoryStore } from './memory.js';
import { redactUri } from './redact.js';
import type { ObjectStore } from './object-store.js';
import { ConditionalWriteGuard } from './probe.js';
import { DEFAULT_RETRY_POLICY, RetryingStore, type RetryHooks, type RetryPolicy } from './retry.js';
import { S3Store, type S3StoreOptions } from './s3.js';

export interface OpenObjectStoreOptions {
  /** Base directory for relative plain paths (default: the process's cwd). */
  cwd?: string;
  /** Retry policy for transient failures (merged over the default). */
  retry?: Partial<RetryPolicy>;
  retryHooks?: RetryHooks;
  /** S3 client settings; unset ones come from the standard environment variables. */
  s3?: S3StoreOptions;
  /** Fault-injection rules (tests): applied directly above the backend. */
  faults?: FaultRule[];
  /** Verify on first `putIfAbsent` that the store enforces conditional writes (default true). */
  verifyConditionalWrites?: boolean;
}

export async function openObjectStore(uri: string, options: OpenObjectStoreOptions = {}): Promise<ObjectStore> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...retryFromEnv(), ...options.retry };
  let store: ObjectStore = openBackend(uri, options, policy);
  if (options.faults) store = withFaults(store, options.faults);
  store = new RetryingStore(store, policy, options.retryHooks);
  if (options.verifyConditionalWrites !== false) store = new ConditionalWriteGuard(store);
  return store;
}

/** The scheme-less form of a location (`/data/wh`, `s3://b/p`, …) is accepted everywhere. */
export function isS3Uri(uri: string): boolean {
  return /^s3a?:\/\//i.test(uri);
}

function openBackend(uri: string, options: OpenObjectStoreOptions, policy: RetryPolicy): ObjectStore {
  if (typeof uri !== 'string' || uri.trim() === '') {
    throw new LakehouseError('INVALID_URI', 'empty object-store URI', {
      help: 'Use a directory path, file:///abs/path, s3://bucket/prefix or memory://name.',
    });
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return new LocalFsStore(path.resolve(options.cwd ?? process.cwd(), uri));
  if (scheme !== 's3' && scheme !== 's3a' && redactUri(uri) !== uri) {
    // A stored `uri` must never carry a secret (S3Store refuses its own with S3-specific help).
    throw new LakehouseError('INVALID_URI', `"${redactUri(uri)}" carries credentials; object-store URIs must not`, {
      help: 'Remove the user:password@ part or secret query parameters from the URI.',
      details: { uri: redactUri(uri) },
    });
  }
  if (scheme === 'file') {
    try {
      return new LocalFsStore(fileURLToPath(uri));
    } catch (err) {
      throw new LakehouseError('INVALID_URI', `"${redactUri(uri)}" is not a valid file URI`, { help: 'Use file:///absolute/path.', details: { reason: (err as Error)?.message } });
    }
  }
  if (scheme === 'memory') {
    const name = uri.slice('memory://'.length).replace(/\/+$/, '');
    if (!name) throw new LakehouseError('INVALID_URI', `"${redactUri(uri)}" names no memory store`, { help: 'Use memory://some-name.' });
    return new MemoryStore(name);
  }
  if (scheme === 's3' || scheme === 's3a') return new S3Store(uri, options.s3, policy);
  throw new LakehouseError('INVALID_URI', `unsupported object-store scheme "${scheme}://" in "${redactUri(uri)}"`, {
    help: 'Supported: a directory path, file:///abs/path, s3://bucket/prefix (also s3a://), memory://name.',
  });
}

/**
 * `LAKE_STORE_RETRY_TIMEOUT_MS`: how long a failing store call is retried before it gives up
 * (default 60 s, the policy's budget). Operators lower it for fail-fast scripts and tests, or
 * raise it to ride out longer store restarts.
 */
function retryFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<RetryPolicy> {
  const raw = env['LAKE_STORE_RETRY_TIMEOUT_MS'];
  if (raw === undefined || raw === '') return {};
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new LakehouseError('INVALID_ARGUMENT', `LAKE_STORE_RETRY_TIMEOUT_MS must be a non-negative number of milliseconds, got "${raw}"`, {
      help: 'Unset it for the default (60000), or set e.g. LAKE_STORE_RETRY_TIMEOUT_MS=30000.',
    });
  }
  return { totalTimeoutMs: ms };
}
