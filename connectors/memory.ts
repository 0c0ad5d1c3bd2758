/**
 * In-process object store for tests and examples. Stores are named (`memory://name`) and shared
 * by every open of the same name within one process (not across worker threads or processes).
 * All operations are synchronous under the hood, so `putIfAbsent` is trivially atomic.
 */

import { LakehouseError } from './errors.js';
import { collectBody, resolveRange, validateKey, validatePrefix } from './keys.js';
import type { Body, ByteRange, ObjectMeta, ObjectStore } from './object-store.js';

interface Entry {
  bytes: Uint8Array;
  etag: string;
  lastModified: Date;
}

const registry = new Map<string, Map<string, Entry>>();
let etagCounter = 0;

export class MemoryStore implements ObjectStore {
  readonly uri: string;
  private readonly objects: Map<string, Entry>;

  constructor(name: string) {
    this.uri = `memory://${name}`;
    let objects = registry.get(name);
    if (!objects) {
      objects = new Map();
      registry.set(name, objects);
    }
    this.objects = objects;
  }

  /** Forgets every object of a named store (tests use it to start clean). */
  static reset(name: string): void {
    registry.delete(name);
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    validateKey(key);
    const e = this.objects.get(key);
    if (!e) throw notFound(this.uri, key);
    if (!range) return e.bytes.slice();
    const [a, b] = resolveRange(e.bytes.byteLength, range);
    return e.bytes.slice(a, b);
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    validateKey(key);
    const e = this.objects.get(key);
    return e ? { key, size: e.bytes.byteLength, etag: e.etag, lastModified: e.lastModified } : undefined;
  }

  async put(key: string, body: Body): Promise<void> {
    validateKey(key);
    // Copy into a plain Uint8Array: the caller may reuse its buffer, and a Node Buffer's
    // `slice` returns a view, not a copy.
    this.objects.set(key, entry(new Uint8Array(await collectBody(body))));
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    validateKey(key);
    if (this.objects.has(key)) return false;
    this.objects.set(key, entry(new Uint8Array(body)));
    return true;
  }

  async *list(prefix = ''): AsyncIterable<ObjectMeta> {
    validatePrefix(prefix);
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const e = this.objects.get(key);
      if (e) yield { key, size: e.bytes.byteLength, etag: e.etag, lastModified: e.lastModified };
    }
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    this.objects.delete(key);
  }

  async deleteMany(keys: Iterable<string>): Promise<void> {
    for (const k of keys) await this.delete(k);
  }

  uriFor(key: string): string {
    return `${this.uri}/${validateKey(key)}`;
  }

  async close(): Promise<void> {}
}

function entry(bytes: Uint8Array): Entry {
  return { bytes, etag: `m${++etagCounter}`, lastModified: new Date() };
}

export function notFound(uri: string, key: string, cause?: unknown): LakehouseError {
  return new LakehouseError('NOT_FOUND', `object "${key}" not found in ${uri}`, {
    cause,
    help: 'Check the key and the store URI; the object may have been deleted (e.g. by snapshot expiry).',
    details: { key, store: uri },
  });
}
