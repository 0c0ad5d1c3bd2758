/**
 * The storage primitive everything else rests on.
 *
 * Concurrency contract (every implementation):
 * - `putIfAbsent` is atomic across threads and processes that share the store: of any number of
 *   concurrent calls for one key, exactly one returns `true`, and the stored bytes are that
 *   caller's. A reader never sees a partially written object.
 * - `put` replaces an object atomically (readers see the old or the new bytes, never a mix).
 * - `list` is not a snapshot: objects created or deleted while it runs may or may not appear.
 * - Keys are '/'-separated, relative to the store's root prefix, and validated: no empty,
 *   '.' or '..' segments, no leading '/'. A key can never escape the root.
 */

export interface ObjectMeta {
  key: string;
  size: number;
  /** Opaque version tag (unquoted). */
  etag?: string;
  lastModified: Date;
}

/** A byte range: `{ offset, length }` from the start, or `{ suffix }` = the last N bytes. */
export type ByteRange = { offset: number; length: number } | { suffix: number };

export type Body = Uint8Array | AsyncIterable<Uint8Array>;

export interface PutOptions {
  contentType?: string;
}

export interface ObjectStore {
  /** A URI naming this store's root, e.g. `file:///data/wh`, `s3://bucket/prefix`, `memory://t`. */
  readonly uri: string;
  /** Reads the whole object, or a range of it. Throws `NOT_FOUND` when absent. */
  get(key: string, range?: ByteRange): Promise<Uint8Array>;
  /** Size, etag and modification time; `undefined` when the object does not exist. */
  head(key: string): Promise<ObjectMeta | undefined>;
  /**
   * Creates or replaces an object. Retried for every body kind (data files and manifests have
   * unique names, so a repeated put is harmless). On failure the error is a `LakehouseError`
   * with `details.key` and `details.outcomeUnknown`: `true` when an attempt may have been
   * applied (e.g. transient failures until the retry budget was spent), `false` when none was.
   */
  put(key: string, body: Body, options?: PutOptions): Promise<void>;
  /**
   * Creates the object only if no object has that key. The outcome is known or unknown, never
   * guessed (the commit protocol in catalog/commit.ts relies on exactly this):
   * - `true`: this call created it, or the key holds our exact bytes (an earlier attempt whose
   *   answer was lost, or an earlier call with the same bytes);
   * - `false`: the key holds OTHER bytes (another writer won) — established by reading them;
   * - throws `STORE_UNAVAILABLE` with `details.outcomeUnknown = true` and `details.key` when the
   *   answer could not be settled within the retry budget (the create kept failing transiently,
   *   or the read-back kept failing): the object may or may not be ours, nothing may be cleaned up;
   * - throws with `details.outcomeUnknown = false` on a definite refusal before anything could
   *   have been applied (e.g. `ACCESS_DENIED`, `STORE_AUTH`, `INVALID_KEY`).
   * Backends may answer `false` without the read-back; `RetryingStore` (always the layer
   * callers get from `openObjectStore`) does the read-back.
   * Callers must make the body unique to their write (an id, a timestamp): identical bytes are
   * taken to be the same write, so two writers creating identical bodies would both "win".
   */
  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean>;
  /** All objects whose key starts with `prefix` (a plain string prefix), in key order per page. */
  list(prefix?: string): AsyncIterable<ObjectMeta>;
  /** Deletes one object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes many objects, batched as the backend allows. */
  deleteMany(keys: Iterable<string>): Promise<void>;
  /** A URI for a key (used in table metadata, which stores absolute locations). */
  uriFor(key: string): string;
  /** Releases clients and handles. */
  close(): Promise<void>;
  /**
   * Optional (only stores that write temp files implement it, today the local store): leftover
   * temp files under `prefix` — written by a process that died between writing and renaming —
   * with their size and modification time. Keys are in the same key space as other keys (e.g.
   * `ns/t/data/.lake-tmp-…`). Never listed by `list`. Wrappers forward it only if their inner
   * store has it.
   */
  listTemporary?(prefix: string): AsyncIterable<ObjectMeta>;
  /** Optional, with `listTemporary`: deletes one temp file (a key that does not name one is refused). */
  deleteTemporary?(key: string): Promise<void>;
}
