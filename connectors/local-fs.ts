/**
 * Local-filesystem object store (the embedded default).
 *
 * Concurrency contract:
 * - `put` writes a temp file in the target directory, fsyncs it, then `rename()`s it over the
 *   key: readers see the old or the new object, never a partial one.
 * - `putIfAbsent` writes and fsyncs a temp file, then `link()`s it to the key. `link` fails
 *   with EEXIST when the name exists, atomically across threads and processes on every POSIX
 *   filesystem (including NFSv3+, where O_EXCL is not reliable), so exactly one creator wins
 *   and the winner's bytes are complete before the name becomes visible.
 * - Temp files are named `.lake-tmp-*` and never listed; a crash can leave one behind, and
 *   orphan cleanup removes them by age.
 */

import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LakehouseError } from './errors.js';
import { notFound } from './memory.js';
import { resolveRange, validateKey, validatePrefix } from './keys.js';
import type { Body, ByteRange, ObjectMeta, ObjectStore } from './object-store.js';

const TMP_PREFIX = '.lake-tmp-';

export class LocalFsStore implements ObjectStore {
  readonly uri: string;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.uri = pathToFileURL(this.root).href;
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...validateKey(key).split('/'));
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    const p = this.pathOf(key);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(p, fsc.O_RDONLY);
    } catch (err) {
      throw this.mapError(err, key);
    }
    try {
      const size = (await fh.stat()).size;
      const [a, b] = range ? resolveRange(size, range) : [0, size];
      const out = new Uint8Array(b - a);
      let at = 0;
      while (at < out.byteLength) {
        const { bytesRead } = await fh.read(out, at, out.byteLength - at, a + at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return at === out.byteLength ? out : out.subarray(0, at);
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    try {
      const st = await fs.stat(this.pathOf(key));
      if (!st.isFile()) return undefined;
      return { key, size: st.size, etag: `${st.ino.toString(16)}-${st.size.toString(16)}-${Math.floor(st.mtimeMs * 1000).toString(16)}`, lastModified: st.mtime };
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return undefined;
      throw this.mapError(err, key);
    }
  }

  async put(key: string, body: Body): Promise<void> {
    const p = this.pathOf(key);
    const tmp = await this.writeTemp(p, body, key);
    try {
      await fs.rename(tmp, p);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw this.mapError(err, key);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    const p = this.pathOf(key);
    if (await exists(p)) return false;
    const tmp = await this.writeTemp(p, body, key);
    try {
      await fs.link(tmp, p);
      await fsyncDir(path.dirname(p));
      return true;
    } catch (err) {
      if (isCode(err, 'EEXIST')) return false;
      throw this.mapError(err, key);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async *list(prefix = ''): AsyncIterable<ObjectMeta> {
    validatePrefix(prefix);
    // Walk only the deepest directory the prefix names, then filter by the remaining prefix.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const start = dirKey ? path.join(this.root, ...dirKey.split('/')) : this.root;
    yield* this.walk(start, dirKey, prefix);
  }

  private async *walk(dir: string, dirKey: string, prefix: string): AsyncIterable<ObjectMeta> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
      throw this.mapError(err, dirKey || '.');
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith(TMP_PREFIX)) continue;
      const key = dirKey ? `${dirKey}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(path.join(dir, e.name), key, prefix);
      } else if (e.isFile() && key.startsWith(prefix)) {
        const meta = await this.head(key);
        if (meta) yield meta;
      }
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await fs.unlink(this.pathOf(key));
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
      throw this.mapError(err, key);
    }
  }

  async deleteMany(keys: Iterable<string>): Promise<void> {
    const all = [...keys];
    // Bounded parallelism: unlinks are cheap but file descriptors are not unlimited.
    for (let i = 0; i < all.length; i += 64) {
      await Promise.all(all.slice(i, i + 64).map((k) => this.delete(k)));
    }
  }

  uriFor(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  async close(): Promise<void> {}

  private async writeTemp(finalPath: string, body: Body, key: string): Promise<string> {
    const dir = path.dirname(finalPath);
    const tmp = path.join(dir, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await fs.mkdir(dir, { recursive: true });
      const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
      try {
        if (body instanceof Uint8Array) {
          await writeAll(fh, body);
        } else {
          for await (const chunk of body) await writeAll(fh, chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      return tmp;
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw this.mapError(err, key);
    }
  }

  private mapError(err: unknown, key: string): LakehouseError {
    if (err instanceof LakehouseError) return err;
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR') || isCode(err, 'EISDIR')) return notFound(this.uri, key, err);
    if (isCode(err, 'EACCES') || isCode(err, 'EPERM') || isCode(err, 'EROFS')) {
      return new LakehouseError('ACCESS_DENIED', `permission denied for "${key}" in ${this.uri}`, {
        cause: err,
        help: `Check that this process may read and write ${this.root}.`,
        details: { key, store: this.uri },
      });
    }
    return new LakehouseError('STORE_UNAVAILABLE', `local store ${this.uri} failed on "${key}": ${(err as Error)?.message ?? err}`, {
      cause: err,
      help: 'Check free disk space and file-descriptor limits, then retry.',
      details: { key, store: this.uri },
    });
  }
}

async function writeAll(fh: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.byteLength - at);
    at += bytesWritten;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** Makes a new directory entry durable; best effort (not every filesystem allows it). */
async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fs.open(dir, fsc.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some filesystems refuse fsync on directories; the file itself was already synced.
  }
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
