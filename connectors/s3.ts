/**
 * S3-compatible object store (AWS S3, MinIO, Ceph RGW, R2) over `@aws-sdk/client-s3`.
 *
 * Concurrency contract:
 * - `putIfAbsent` is one PutObject with `If-None-Match: *` (never a multipart upload: measured,
 *   CompleteMultipartUpload ignores the condition on RGW). On 412/409, on RGW's 500 for a losing
 *   conditional PUT and after a lost response, the key is re-read: present with our bytes → we
 *   won, present with other bytes → we lost, absent → transient error (the retry layer tries
 *   again), re-read failed → STORE_UNAVAILABLE with `outcomeUnknown` (never `false`).
 * - The SDK's own retries are off (maxAttempts 1): `RetryingStore` owns the policy, so it is
 *   one configurable, tested policy for every backend. Byte bodies below the multipart threshold
 *   are one attempt here (the layer above retries them); streams and multipart uploads are
 *   retried here, part by part (connectors/s3-upload.ts).
 * - Listing pages are fetched one at a time, each page retried on transient errors.
 * - Credentials: missing (the SDK's credential chain found none) or rejected
 *   (InvalidAccessKeyId, SignatureDoesNotMatch, expired token) → `STORE_AUTH`, never retried.
 *   Credentials inside the URI (`s3://key:secret@bucket`) are refused; messages carry URIs only
 *   through `redactUri` / `redactSecrets`.
 */

import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { LakehouseError } from './errors.js';
import { resolveRange, validateKey, validatePrefix } from './keys.js';
import type { Body, ByteRange, ObjectMeta, ObjectStore, PutOptions } from './object-store.js';
import { redactSecrets, redactUri } from './redact.js';
import { DEFAULT_RETRY_POLICY, isTransient, retry, writeOutcomeError, type RetryPolicy } from './retry.js';
import { uploadBody } from './s3-upload.js';

export interface S3StoreOptions {
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Bodies at least this large are sent as multipart uploads (default 16 MiB). */
  multipartThreshold?: number;
  /** Multipart part size (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
  /** Per-request timeout in ms (default 60 s). */
  requestTimeoutMs?: number;
  /** Extra client configuration, applied last. */
  clientConfig?: Partial<S3ClientConfig>;
}

/**
 * Creates `bucket` on the endpoint the environment names, unless it exists already (a fresh
 * MinIO or RGW has no buckets). For tests, benches and first-time setup; stores never create
 * buckets by themselves.
 */
export async function ensureS3Bucket(bucket: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const client = new S3Client(s3ConfigFromEnv({}, env));
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  } finally {
    client.destroy();
  }
}

/** Resolves options from the standard environment variables, explicit options first. */
export function s3ConfigFromEnv(opts: S3StoreOptions = {}, env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const endpoint = opts.endpoint ?? env['AWS_ENDPOINT_URL_S3'] ?? env['AWS_ENDPOINT_URL'] ?? env['S3_ENDPOINT'];
  const pathStyleEnv = env['S3_FORCE_PATH_STYLE'];
  const forcePathStyle = opts.forcePathStyle ?? (pathStyleEnv !== undefined ? /^(1|true|yes)$/i.test(pathStyleEnv) : endpoint !== undefined);
  const cfg: S3ClientConfig = {
    region: opts.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    forcePathStyle,
    maxAttempts: 1,
    // RGW and older MinIO reject the SDK's default trailing checksums on streamed bodies (411).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // throwOnRequestTimeout: without it @smithy/node-http-handler only logs a warning at
    // requestTimeout and a hung request (a stalled store, a dead connection) never ends —
    // measured: a PUT held 3 s with requestTimeout 800 ms succeeded after 3 s.
    requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 60_000, connectionTimeout: 5_000, throwOnRequestTimeout: true },
  };
  if (endpoint) cfg.endpoint = endpoint;
  if (opts.accessKeyId && opts.secretAccessKey) {
    cfg.credentials = { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, sessionToken: opts.sessionToken };
  }
  return { ...cfg, ...opts.clientConfig };
}

export class S3Store implements ObjectStore {
  readonly uri: string;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly pagePolicy: RetryPolicy;

  constructor(uri: string, opts: S3StoreOptions = {}, pagePolicy: RetryPolicy = DEFAULT_RETRY_POLICY) {
    const shown = redactUri(uri);
    if (shown !== uri) {
      throw new LakehouseError('INVALID_URI', `"${shown}" carries credentials; S3 URIs must not`, {
        help: 'Remove them from the URI and pass them as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE / the AWS credential chain).',
        details: { uri: shown },
      });
    }
    const m = /^s3a?:\/\/([^/]+)\/?(.*)$/i.exec(uri);
    if (!m || !m[1]) {
      throw new LakehouseError('INVALID_URI', `"${uri}" is not an S3 URI`, { help: 'Use s3://bucket or s3://bucket/prefix.' });
    }
    this.bucket = m[1];
    this.prefix = (m[2] ?? '').replace(/\/+$/, '');
    if (this.prefix) validateKey(this.prefix);
    this.uri = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.client = new S3Client(s3ConfigFromEnv(opts));
    this.multipartThreshold = opts.multipartThreshold ?? 16 * 1024 * 1024;
    this.partSize = Math.max(5 * 1024 * 1024, opts.partSize ?? 8 * 1024 * 1024);
    this.pagePolicy = pagePolicy;
  }

  private full(key: string): string {
    validateKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private rel(fullKey: string): string {
    return this.prefix ? fullKey.slice(this.prefix.length + 1) : fullKey;
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    const Key = this.full(key);
    let header: string | undefined;
    if (range) {
      const empty = 'suffix' in range ? range.suffix === 0 : range.length === 0;
      if (empty) {
        // S3 has no syntax for an empty range; answer it without a body, but keep NOT_FOUND.
        resolveRange(0, range);
        if (!(await this.head(key))) throw this.mapError(notFoundLike(), 'get', key);
        return new Uint8Array(0);
      }
      header = 'suffix' in range ? `bytes=-${range.suffix}` : `bytes=${range.offset}-${range.offset + range.length - 1}`;
      resolveRange(Number.MAX_SAFE_INTEGER, range);
    }
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range: header }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
    } catch (err) {
      if (statusOf(err) === 416) {
        // The range starts past the end: S3 refuses, our contract (like a file read) is empty.
        if (!(await this.head(key))) throw this.mapError(err, 'get', key);
        return new Uint8Array(0);
      }
      throw this.mapError(err, 'get', key);
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      return {
        key,
        size: res.ContentLength ?? 0,
        etag: res.ETag?.replace(/"/g, ''),
        lastModified: res.LastModified ?? new Date(0),
      };
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 && !isNoSuchBucket(err)) return undefined;
      if (status === 403) {
        // A HEAD answer has no body, so no error code: a 1-byte GET tells bad credentials
        // (STORE_AUTH) from missing permissions (ACCESS_DENIED).
        const why = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key), Range: 'bytes=0-0' })).then(
          (res) => void res.Body?.transformToByteArray().catch(() => undefined),
          (e: unknown) => e,
        );
        if (why && statusOf(why) === 403) throw this.mapError(why, 'head', key);
      }
      throw this.mapError(err, 'head', key);
    }
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<void> {
    const Key = this.full(key);
    if (body instanceof Uint8Array && body.byteLength < this.multipartThreshold) {
      // One attempt: the retry layer above retries byte bodies.
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentLength: body.byteLength, ContentType: options.contentType }),
        );
      } catch (err) {
        const mapped = this.mapError(err, 'put', key);
        throw writeOutcomeError(mapped, key, isTransient(mapped), false);
      }
      return;
    }
    await uploadBody({
      client: this.client, bucket: this.bucket, Key, key, contentType: options.contentType, policy: this.pagePolicy,
      multipartThreshold: this.multipartThreshold, partSize: this.partSize, queueSize: body instanceof Uint8Array ? 4 : 2,
      mapError: (err, op) => this.mapError(err, op, key),
    }, body);
  }

  async putIfAbsent(key: string, body: Uint8Array, options: PutOptions = {}): Promise<boolean> {
    const Key = this.full(key);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: options.contentType,
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (err) {
      const status = statusOf(err);
      const mapped = this.mapError(err, 'putIfAbsent', key);
      const ambiguous = status === 412 || status === 409 || status === 500 || (status === undefined && isTransient(mapped));
      if (!ambiguous) throw writeOutcomeError(mapped, key, isTransient(mapped), false);
      // 412/409: another object is there; 500: RGW's losing conditional PUT, or a lost response.
      // Decide from what is stored, never from the status alone.
      let stored: Uint8Array | undefined;
      try {
        stored = await this.get(key);
      } catch (e) {
        if (!(e instanceof LakehouseError && e.code === 'NOT_FOUND')) {
          throw new LakehouseError('STORE_UNAVAILABLE', `conditional create of "${key}" in ${this.uri} answered ${status ?? mapped.code} and reading it back failed: outcome unknown`, {
            cause: e,
            help: 'The store is failing; the object may or may not be ours. Retry; nothing may be cleaned up until it is settled.',
            details: { key, store: this.uri, status, outcomeUnknown: true },
          });
        }
      }
      if (stored === undefined) {
        throw new LakehouseError('STORE_UNAVAILABLE', `conditional create of "${key}" in ${this.uri} answered ${status ?? mapped.code} but the key is absent`, {
          cause: mapped,
          help: 'Transient; retried with backoff.',
          details: { key, store: this.uri, status, outcomeUnknown: status === 500 || status === undefined },
        });
      }
      return equalBytes(stored, body);
    }
  }

  async *list(prefix = ''): AsyncIterable<ObjectMeta> {
    validatePrefix(prefix);
    const Prefix = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    let token: string | undefined;
    do {
      const page = await retry(async () => {
        try {
          return await this.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: Prefix || undefined, ContinuationToken: token, MaxKeys: 1000 }),
          );
        } catch (err) {
          throw this.mapError(err, 'list', prefix || '/');
        }
      }, this.pagePolicy).catch((err: unknown) => {
        // Spent a budget here: the layer above must not retry for another one.
        if (isTransient(err) && err instanceof LakehouseError) err.details['retryBudgetSpent'] = true;
        throw err;
      });
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: this.rel(o.Key), size: o.Size ?? 0, etag: o.ETag?.replace(/"/g, ''), lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
    } catch (err) {
      if (statusOf(err) === 404 && !isNoSuchBucket(err)) return;
      throw this.mapError(err, 'delete', key);
    }
  }

  async deleteMany(keys: Iterable<string>): Promise<void> {
    const all = [...keys].map((k) => this.full(k));
    for (let i = 0; i < all.length; i += 1000) {
      const batch = all.slice(i, i + 1000);
      let res;
      try {
        res = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
      } catch (err) {
        throw this.mapError(err, 'deleteMany', this.rel(batch[0] ?? ''));
      }
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        const transient = first.Code === 'InternalError' || first.Code === 'SlowDown' || first.Code === 'ServiceUnavailable';
        throw new LakehouseError(
          transient ? 'STORE_UNAVAILABLE' : first.Code === 'AccessDenied' ? 'ACCESS_DENIED' : 'INVALID_ARGUMENT',
          `${failed.length} of ${batch.length} deletes failed in ${this.uri}; first: "${first.Key}": ${first.Code} ${first.Message ?? ''}`,
          { help: 'Retry the operation; deletes are idempotent.', details: { store: this.uri, failed: failed.map((e) => e.Key) } },
        );
      }
    }
  }

  uriFor(key: string): string {
    return `s3://${this.bucket}/${this.full(key)}`;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private mapError(err: unknown, op: string, key: string, forceTransient = false): LakehouseError {
    if (err instanceof LakehouseError) return err;
    const status = statusOf(err);
    const name = (err as { name?: string })?.name ?? '';
    const message = redactSecrets((err as Error)?.message ?? '');
    const where = `${op} "${key}" in ${this.uri}`;
    const details = { key, store: this.uri, op, status, s3Code: name };
    if (isNoSuchBucket(err)) {
      return new LakehouseError('BUCKET_NOT_FOUND', `bucket "${this.bucket}" does not exist (${where})`, {
        cause: err,
        help: `Create the bucket first (e.g. \`aws s3 mb s3://${this.bucket}\`) or fix the warehouse URI.`,
        details,
      });
    }
    if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
      return new LakehouseError('NOT_FOUND', `object "${key}" not found in ${this.uri}`, {
        cause: err,
        help: 'Check the key and the store URI; the object may have been deleted (e.g. by snapshot expiry).',
        details,
      });
    }
    if (isAuthError(err)) {
      const missing = name === 'CredentialsProviderError' || /Could not load credentials/i.test(message);
      return new LakehouseError('STORE_AUTH', missing
        ? `no S3 credentials found for ${where}`
        : `S3 rejected the credentials: ${where} (${name || status})`, {
        cause: err,
        help: missing
          ? 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or another source of the AWS credential chain).'
          : 'Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE / the AWS credential chain): the key is unknown, the secret wrong or the token expired.',
        details,
      });
    }
    if (status === 401 || status === 403 || /AccessDenied/.test(name)) {
      return new LakehouseError('ACCESS_DENIED', `access denied: ${where} (${name || status})`, {
        cause: err,
        help: 'The credentials were accepted but may not do this: check the bucket policy and the user\'s permissions (and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY if a HEAD request, which has no error code, was refused).',
        details,
      });
    }
    if (forceTransient || isTransient(err)) {
      return new LakehouseError('STORE_UNAVAILABLE', `S3 store unavailable: ${where}: ${message || name || status}`, {
        cause: err,
        help: 'Check that the endpoint (AWS_ENDPOINT_URL / S3_ENDPOINT) is reachable; transient failures are retried with backoff.',
        details,
      });
    }
    if (status === 412) {
      return new LakehouseError('PRECONDITION_FAILED', `precondition failed: ${where}`, { cause: err, details });
    }
    return new LakehouseError('INVALID_ARGUMENT', `S3 rejected ${where}: ${name || status} ${message}`, {
      cause: err,
      help: 'The request was refused as invalid; check the key and the store configuration.',
      details,
    });
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Missing or rejected credentials (never transient: retrying cannot fix them). */
export function isAuthError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; Code?: string } | undefined;
  const name = e?.name ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(e?.message ?? '')) return true;
  return /^(InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|TokenRefreshRequired|InvalidClientTokenId)$/.test(name)
    || /^(InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken)$/.test(e?.Code ?? '');
}

function isNoSuchBucket(err: unknown): boolean {
  return (err as { name?: string })?.name === 'NoSuchBucket';
}

function notFoundLike(): Error {
  return Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
