/**
 * Refuses stores that do not enforce conditional creates. The commit protocol is correct only
 * if `putIfAbsent` really is atomic; an S3-compatible store that ignores `If-None-Match` would
 * let two writers both "win" a version and silently lose a commit. So the first `putIfAbsent`
 * through this wrapper creates a probe key twice: the second create must lose.
 *
 * Concurrency: the probe runs once per wrapper instance; concurrent first calls share it.
 * The optional temp-file methods (`listTemporary`, `deleteTemporary`) are forwarded as is.
 */

import { randomBytes } from 'node:crypto';
import { LakehouseError } from './errors.js';
import type { Body, ByteRange, ObjectMeta, ObjectStore, PutOptions } from './object-store.js';

export const PROBE_PREFIX = '_lake/probe/';

export class ConditionalWriteGuard implements ObjectStore {
  private probe: Promise<void> | undefined;
  readonly listTemporary?: (prefix: string) => AsyncIterable<ObjectMeta>;
  readonly deleteTemporary?: (key: string) => Promise<void>;

  constructor(readonly inner: ObjectStore) {
    // Forwarded only when the inner store has them: callers test for their presence.
    const list = inner.listTemporary?.bind(inner);
    const del = inner.deleteTemporary?.bind(inner);
    if (list) this.listTemporary = (prefix) => list(prefix);
    if (del) this.deleteTemporary = (key) => del(key);
  }

  get uri(): string {
    return this.inner.uri;
  }

  /** Runs the probe now (idempotent); throws PRECONDITION_UNSUPPORTED if the store fails it. */
  verifyConditionalWrites(): Promise<void> {
    this.probe ??= this.runProbe().catch((err) => {
      this.probe = undefined;
      throw err;
    });
    return this.probe;
  }

  private async runProbe(): Promise<void> {
    const key = `${PROBE_PREFIX}${Date.now()}-${randomBytes(6).toString('hex')}`;
    const first = await this.inner.putIfAbsent(key, new TextEncoder().encode('first'));
    let second: boolean;
    try {
      second = await this.inner.putIfAbsent(key, new TextEncoder().encode('second'));
    } finally {
      await this.inner.delete(key).catch(() => undefined);
    }
    if (!first || second) {
      throw new LakehouseError(
        'PRECONDITION_UNSUPPORTED',
        `the object store ${this.inner.uri} does not enforce conditional writes (a second create of "${key}" ${second ? 'succeeded' : 'was not tested: the first failed'})`,
        {
          help: 'Commits need atomic create-if-absent (S3 PutObject with If-None-Match: *). AWS S3, MinIO, Ceph RGW and Cloudflare R2 support it; upgrade the store or use another one.',
          details: { store: this.inner.uri },
        },
      );
    }
  }

  get(key: string, range?: ByteRange): Promise<Uint8Array> {
    return this.inner.get(key, range);
  }

  head(key: string): Promise<ObjectMeta | undefined> {
    return this.inner.head(key);
  }

  put(key: string, body: Body, options?: PutOptions): Promise<void> {
    return this.inner.put(key, body, options);
  }

  async putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    await this.verifyConditionalWrites();
    return this.inner.putIfAbsent(key, body, options);
  }

  list(prefix?: string): AsyncIterable<ObjectMeta> {
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  deleteMany(keys: Iterable<string>): Promise<void> {
    return this.inner.deleteMany(keys);
  }

  uriFor(key: string): string {
    return this.inner.uriFor(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
