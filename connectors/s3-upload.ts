/**
 * Retried uploads for the S3 store: every body kind is retried with the store's policy.
 *
 * - A body shorter than the multipart threshold (a stream is buffered up to it) is one PutObject,
 *   retried as a whole.
 * - A longer body is our own multipart upload: CreateMultipartUpload (retried), each part
 *   buffered and UploadPart retried (at most `queueSize` parts in flight, so memory is bounded by
 *   threshold + queueSize × partSize), CompleteMultipartUpload retried. A Complete whose answer
 *   was lost may answer NoSuchUpload on the retry: the key is then HEADed and accepted if it
 *   exists with the expected size. On final failure the upload is aborted (best effort), so no
 *   parts are left to bill.
 * Errors carry `details.outcomeUnknown` (only a PutObject or Complete that kept failing
 * transiently can have been applied; failed parts cannot) and `details.retryBudgetSpent` when the
 * budget was spent here, so the layer above does not retry for a second budget.
 */

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { LakehouseError } from './errors.js';
import type { Body } from './object-store.js';
import { isTransient, retry, writeOutcomeError, type RetryPolicy } from './retry.js';

export interface UploadTarget {
  client: S3Client;
  bucket: string;
  /** Full S3 key. */
  Key: string;
  /** Key relative to the store root (for messages and details). */
  key: string;
  contentType?: string;
  policy: RetryPolicy;
  multipartThreshold: number;
  partSize: number;
  queueSize: number;
  /** Maps an SDK error to a LakehouseError of the store. */
  mapError(err: unknown, op: string): LakehouseError;
}

/** Reads exact-size pieces out of a body. */
class ByteReader {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private done = false;
  private readonly it: AsyncIterator<Uint8Array> | undefined;

  constructor(body: Body) {
    if (body instanceof Uint8Array) {
      this.pending = [body];
      this.pendingBytes = body.byteLength;
      this.done = true;
    } else {
      this.it = body[Symbol.asyncIterator]();
    }
  }

  /** Up to `n` bytes; fewer only at the end of the body. Returns a fresh copy. */
  async read(n: number): Promise<Uint8Array> {
    while (this.pendingBytes < n && !this.done) {
      const r = await this.it!.next();
      if (r.done) this.done = true;
      else if (r.value.byteLength > 0) {
        this.pending.push(new Uint8Array(r.value));
        this.pendingBytes += r.value.byteLength;
      }
    }
    const size = Math.min(n, this.pendingBytes);
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const head = this.pending[0]!;
      const take = Math.min(head.byteLength, size - at);
      out.set(head.subarray(0, take), at);
      at += take;
      if (take === head.byteLength) this.pending.shift();
      else this.pending[0] = head.subarray(take);
    }
    this.pendingBytes -= size;
    return out;
  }
}

/** Runs one S3 request with the policy; failures come back mapped and marked. */
async function attempt<T>(t: UploadTarget, op: string, fn: () => Promise<T>, mayApply: boolean): Promise<T> {
  try {
    return await retry(async () => {
      try {
        return await fn();
      } catch (err) {
        throw t.mapError(err, op);
      }
    }, t.policy);
  } catch (err) {
    const transient = isTransient(err);
    throw writeOutcomeError(err, t.key, mayApply && transient, transient);
  }
}

export async function uploadBody(t: UploadTarget, body: Body): Promise<void> {
  const reader = new ByteReader(body);
  const first = await reader.read(t.multipartThreshold);
  if (first.byteLength < t.multipartThreshold) {
    await attempt(t, 'put', () => t.client.send(new PutObjectCommand({
      Bucket: t.bucket, Key: t.Key, Body: first, ContentLength: first.byteLength, ContentType: t.contentType,
    })), true);
    return;
  }
  await multipart(t, first, reader);
}

async function multipart(t: UploadTarget, first: Uint8Array, reader: ByteReader): Promise<void> {
  const created = await attempt(t, 'put', () => t.client.send(new CreateMultipartUploadCommand({
    Bucket: t.bucket, Key: t.Key, ContentType: t.contentType,
  })), false);
  const UploadId = created.UploadId;
  if (!UploadId) throw new LakehouseError('STORE_UNAVAILABLE', `S3 returned no upload id for "${t.key}"`, { details: { key: t.key, outcomeUnknown: false } });
  const parts: Array<{ PartNumber: number; ETag: string }> = [];
  let total = 0;
  let completing = false;
  try {
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const startPart = (bytes: Uint8Array, PartNumber: number): void => {
      const p = attempt(t, 'put', () => t.client.send(new UploadPartCommand({
        Bucket: t.bucket, Key: t.Key, UploadId, PartNumber, Body: bytes, ContentLength: bytes.byteLength,
      })), false).then((res) => {
        parts.push({ PartNumber, ETag: res.ETag ?? '' });
      }, (err: unknown) => {
        failure ??= err;
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    let partNumber = 0;
    for (let at = 0; at < first.byteLength; at += t.partSize) {
      // The buffered head is cut into parts; a last short piece joins the stream's next bytes.
      const piece = first.subarray(at, Math.min(first.byteLength, at + t.partSize));
      if (piece.byteLength < t.partSize) {
        const more = await reader.read(t.partSize - piece.byteLength);
        const joined = new Uint8Array(piece.byteLength + more.byteLength);
        joined.set(piece);
        joined.set(more, piece.byteLength);
        startPart(joined, ++partNumber);
        total += joined.byteLength;
      } else {
        startPart(piece, ++partNumber);
        total += piece.byteLength;
      }
      while (inFlight.size >= t.queueSize) await Promise.race(inFlight);
      if (failure) throw failure;
    }
    for (;;) {
      const bytes = await reader.read(t.partSize);
      if (bytes.byteLength === 0) break;
      startPart(bytes, ++partNumber);
      total += bytes.byteLength;
      while (inFlight.size >= t.queueSize) await Promise.race(inFlight);
      if (failure) throw failure;
    }
    await Promise.all([...inFlight]);
    if (failure) throw failure;
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    completing = true;
    let tries = 0;
    await attempt(t, 'put', async () => {
      tries++;
      try {
        await t.client.send(new CompleteMultipartUploadCommand({ Bucket: t.bucket, Key: t.Key, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (err) {
        if (tries > 1 && (err as { name?: string })?.name === 'NoSuchUpload') {
          // An earlier Complete may have landed although its answer was lost.
          const head = await t.client.send(new HeadObjectCommand({ Bucket: t.bucket, Key: t.Key })).catch(() => undefined);
          if (head && head.ContentLength === total) return;
        }
        throw err;
      }
    }, true);
  } catch (err) {
    if (!(completing && err instanceof LakehouseError && err.details['outcomeUnknown'] === true)) {
      await t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.Key, UploadId })).catch(() => undefined);
    }
    throw err;
  }
}
