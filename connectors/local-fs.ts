/**
 * Local-filesystem object store (the embedded default).
 *
 * Concurrency contract:
 * - `put` (bytes or a stream) writes a temp file in the target directory, fsyncs it, then
 *   `rename()`s it over the key and fsyncs the directory: readers see the old or the new object,
 *   never a partial one, and a crash leaves at most a temp file behind.
 * - `putIfAbsent` writes and fsyncs a temp file, then `link()`s it to the key. `link` fails
 *   with EEXIST when the name exists, atomically across threads and processes on every POSIX
 *   filesystem (including NFSv3+, where O_EXCL is not reliable), so exactly one creator wins
 *   and the winner's bytes are complete before the name becomes visible.
 * - Temp files are named `.lake-tmp-*` and never listed by `list`; a crash can leave one behind.
 *   `listTemporary` / `deleteTemporary` expose them so that orphan cleanup can remove them by age.
 *
 * Boundaries (the store never reads, writes, lists or deletes outside its root):
 * - Before every operation the real path (symlinks resolved) of the key's directory is computed
 *   and must lie inside the real path of the root; otherwise `ACCESS_DENIED`. For writes, the
 *   nearest existing ancestor is checked before any directory is created, so a symlinked
 *   namespace directory cannot make a write land elsewhere; a symlinked `data/` cannot make a
 *   delete remove files elsewhere. Symlinked directories whose real path stays inside the root
 *   are followed by key operations. (A concurrent attacker who can swap directories inside the
 *   root between the check and the syscall is out of scope: they could write there anyway.)
 * - The object itself (the last key segment) is never followed: files are opened with
 *   O_NOFOLLOW, so a symlink there is refused (`INVALID_KEY`). `list` never descends into or
 *   reports symlinks (no escapes, no cycles, no duplicate keys).
 * - Files are opened with O_NONBLOCK and checked with fstat: a FIFO, socket or device where an
 *   object is expected gives `CORRUPT_FILE` at once instead of blocking a libuv thread forever;
 *   a directory where an object is asked for is CORRUPT_FILE too: on S3 an object and a
 *   "directory" of the same name can coexist, so finding one here means something replaced the
 *   object (a table's metadata file turned into a directory must not read as "no such version").
 */

import { randomBytes } from 'node:crypto';
import { constants as fsc, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LakehouseError } from './errors.js';
import { notFound } from './memory.js';
import { resolveRange, validateKey, validatePrefix } from './keys.js';
import type { Body, ByteRange, ObjectMeta, ObjectStore } from './object-store.js';

const TMP_PREFIX = '.lake-tmp-';
const O_READ = fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0);

export class LocalFsStore implements ObjectStore {
  readonly uri: string;
  readonly root: string;
  private realRootCached: string | undefined;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.uri = pathToFileURL(this.root).href;
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...validateKey(key).split('/'));
  }

  /** The root's real path; before the root exists, its nearest existing ancestor's plus the rest. */
  private async realRoot(): Promise<string> {
    if (this.realRootCached) return this.realRootCached;
    try {
      this.realRootCached = await fs.realpath(this.root);
      return this.realRootCached;
    } catch (err) {
      if (!isCode(err, 'ENOENT') && !isCode(err, 'ENOTDIR')) throw this.mapError(err, '.');
      return realOfNearest(this.root);
    }
  }

  /**
   * The real path of `key`'s file, its directory checked to be inside the root. `undefined`
   * when the directory does not exist (and `create` is false); with `create`, missing
   * directories are made after their nearest existing ancestor was checked.
   */
  private async resolve(key: string, create: boolean): Promise<string | undefined> {
    const segs = validateKey(key).split('/');
    const name = segs[segs.length - 1]!;
    const dir = path.join(this.root, ...segs.slice(0, -1));
    const root = await this.realRoot();
    let real: string;
    try {
      real = await fs.realpath(dir);
    } catch (err) {
      if (!isCode(err, 'ENOENT') && !isCode(err, 'ENOTDIR')) throw this.mapError(err, key);
      if (!create) return undefined;
      const planned = await realOfNearest(dir);
      if (!inside(planned, root)) throw this.escape(key, planned, root);
      try {
        await fs.mkdir(dir, { recursive: true });
        real = await fs.realpath(dir);
      } catch (e) {
        throw this.mapError(e, key);
      }
    }
    if (!inside(real, root)) throw this.escape(key, real, root);
    return path.join(real, name);
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    const p = await this.resolve(key, false);
    if (p === undefined) throw notFound(this.uri, key);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(p, O_READ);
    } catch (err) {
      throw this.mapError(err, key);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw this.notAFile(key, st);
      const size = st.size;
      const [a, b] = range ? resolveRange(size, range) : [0, size];
      const out = new Uint8Array(b - a);
      let at = 0;
      while (at < out.byteLength) {
        const { bytesRead } = await fh.read(out, at, out.byteLength - at, a + at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return at === out.byteLength ? out : out.subarray(0, at);
    } catch (err) {
      throw this.mapError(err, key);
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<ObjectMeta | undefined> {
    const p = await this.resolve(key, false);
    if (p === undefined) return undefined;
    let st: Stats;
    try {
      st = await fs.lstat(p);
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return undefined;
      throw this.mapError(err, key);
    }
    if (!st.isFile()) throw this.notAFile(key, st);
    return meta(key, st);
  }

  async put(key: string, body: Body): Promise<void> {
    const p = (await this.resolve(key, true))!;
    const tmp = await this.writeTemp(p, body, key);
    try {
      await fs.rename(tmp, p);
      // The new name must be durable before a commit can reference it.
      await fsyncDir(path.dirname(p));
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw this.mapError(err, key);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    const p = (await this.resolve(key, true))!;
    if (await lexists(p)) return false;
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

  list(prefix = ''): AsyncIterable<ObjectMeta> {
    return this.walkFrom(prefix, false);
  }

  /** Leftover temp files under `prefix` (see ObjectStore.listTemporary). */
  listTemporary(prefix: string): AsyncIterable<ObjectMeta> {
    return this.walkFrom(prefix, true);
  }

  /** Deletes one leftover temp file; a key whose last segment is not a temp name is refused. */
  async deleteTemporary(key: string): Promise<void> {
    const name = validateKey(key).split('/').pop()!;
    if (!name.startsWith(TMP_PREFIX)) {
      throw new LakehouseError('INVALID_KEY', `"${key}" does not name a temp file (${TMP_PREFIX}*)`, {
        help: 'Pass a key returned by listTemporary; use delete for objects.',
        details: { key, store: this.uri },
      });
    }
    await this.delete(key);
  }

  private async *walkFrom(prefix: string, temporary: boolean): AsyncIterable<ObjectMeta> {
    validatePrefix(prefix);
    // Walk only the deepest directory the prefix names, then filter by the remaining prefix.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const start = dirKey ? path.join(this.root, ...dirKey.split('/')) : this.root;
    let real: string;
    try {
      real = await fs.realpath(start);
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
      throw this.mapError(err, dirKey || '.');
    }
    const root = await this.realRoot();
    if (!inside(real, root)) throw this.escape(prefix, real, root);
    yield* this.walk(real, dirKey, prefix, temporary);
  }

  private async *walk(dir: string, dirKey: string, prefix: string, temporary: boolean): AsyncIterable<ObjectMeta> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return;
      throw this.mapError(err, dirKey || '.');
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const key = dirKey ? `${dirKey}/${e.name}` : e.name;
      // Dirent types come from lstat semantics: symlinks are neither directories nor files here.
      if (e.isDirectory()) {
        if (e.name.startsWith(TMP_PREFIX)) continue;
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(path.join(dir, e.name), key, prefix, temporary);
      } else if (e.isFile() && key.startsWith(prefix) && e.name.startsWith(TMP_PREFIX) === temporary) {
        try {
          yield meta(key, await fs.lstat(path.join(dir, e.name)));
        } catch (err) {
          if (!isCode(err, 'ENOENT')) throw this.mapError(err, key);
        }
      }
    }
  }

  async delete(key: string): Promise<void> {
    const p = await this.resolve(key, false);
    if (p === undefined) return;
    try {
      await fs.unlink(p);
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
      const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), 0o644);
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

  private escape(key: string, real: string, root: string): LakehouseError {
    return new LakehouseError('ACCESS_DENIED', `"${key}" resolves through a symbolic link to ${real}, outside the store root ${root}`, {
      help: `The local store never reads, writes or deletes outside its root. Replace the symlink inside ${this.root} with a real directory, or use the link's target as the warehouse.`,
      details: { key, store: this.uri, realPath: real, root },
    });
  }

  private notAFile(key: string, st: Stats): LakehouseError {
    const kind = st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a directory' : 'not a regular file';
    return new LakehouseError(st.isSymbolicLink() ? 'INVALID_KEY' : 'CORRUPT_FILE', `object "${key}" in ${this.uri} is ${kind}, not a regular file`, {
      help: 'Something replaced the object with a special file; remove it (and restore the file from a backup if it was data).',
      details: { key, store: this.uri, kind },
    });
  }

  private mapError(err: unknown, key: string): LakehouseError {
    if (err instanceof LakehouseError) return err;
    if (isCode(err, 'ELOOP')) {
      return new LakehouseError('INVALID_KEY', `object "${key}" in ${this.uri} is a symbolic link; the local store does not follow links to objects`, {
        cause: err,
        help: 'Replace the link with the file itself.',
        details: { key, store: this.uri, kind: 'a symbolic link' },
      });
    }
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR') || isCode(err, 'EISDIR')) return notFound(this.uri, key, err);
    if (isCode(err, 'ENXIO')) {
      return new LakehouseError('CORRUPT_FILE', `object "${key}" in ${this.uri} is a special file, not a regular file`, { cause: err, details: { key, store: this.uri } });
    }
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

function meta(key: string, st: Stats): ObjectMeta {
  return { key, size: st.size, etag: `${st.ino.toString(16)}-${st.size.toString(16)}-${Math.floor(st.mtimeMs * 1000).toString(16)}`, lastModified: st.mtime };
}

function inside(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Real path of `p`'s nearest existing ancestor, joined with the segments that do not exist yet. */
async function realOfNearest(p: string): Promise<string> {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(await fs.realpath(cur), ...rest.reverse());
    } catch (err) {
      const parent = path.dirname(cur);
      if ((!isCode(err, 'ENOENT') && !isCode(err, 'ENOTDIR')) || parent === cur) throw err;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

async function writeAll(fh: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.byteLength - at);
    at += bytesWritten;
  }
}

async function lexists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
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
