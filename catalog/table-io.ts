/**
 * Where a table's files live: maps the absolute locations stored in Iceberg metadata to keys of
 * an ObjectStore and back, and finds/writes metadata versions (`metadata/v{N}.metadata.json`,
 * also reading `NNNNN-<uuid>.metadata.json` as Trino/Athena name them).
 *
 * Concurrency contract: metadata versions are only ever created with `putIfAbsent`, so of any
 * number of writers racing for version N+1 exactly one wins. `version-hint.text` is a
 * best-effort cache: `latestVersion` starts from it and probes upwards, and also lists the
 * directory, so neither a stale, missing or garbled hint nor a gap in the versions (v1, v2, v4:
 * probing from v2 stops at the missing v3) can hide the newest committed version. A metadata
 * name that is a directory (a prefix of other objects) rather than a file is INVALID_METADATA.
 */

import { stat } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import type { ObjectStore } from '../connectors/object-store.js';

export const METADATA_DIR = 'metadata';
export const DATA_DIR = 'data';
export const VERSION_HINT = 'metadata/version-hint.text';

const VERSION_RE = /^v(\d+)(?:\.gz)?\.metadata\.json$/;
const NUMBERED_RE = /^(\d{5,})-[0-9a-fA-F-]{36}(?:\.gz)?\.metadata\.json$/;

/** The version number encoded in a metadata file name, or undefined for other files. */
export function metadataVersionOf(fileName: string): number | undefined {
  const m = VERSION_RE.exec(fileName) ?? NUMBERED_RE.exec(fileName);
  return m ? Number(m[1]) : undefined;
}

export class TableIO {
  /** `root`: the table's key prefix in `store` ('' when the store is rooted at the table). */
  constructor(
    readonly store: ObjectStore,
    readonly root: string,
    /** The `location` recorded in the table metadata. */
    public location: string,
    readonly pathMapping: Array<[from: string, to: string]> = [],
  ) {}

  key(rel: string): string {
    return this.root ? `${this.root}/${rel}` : rel;
  }

  uri(rel: string): string {
    return this.store.uriFor(this.key(rel));
  }

  /** The location to store in metadata for a new file at `rel` (relative to the table root). */
  locationFor(rel: string): string {
    return this.uri(rel);
  }

  /**
   * Store key for a location read from metadata: `pathMapping` prefixes first (tables that were
   * moved or copied), then the table location, then the store's own URI.
   */
  keyFor(location: string): string {
    let loc = location;
    for (const [from, to] of this.pathMapping) {
      if (loc === from || loc.startsWith(from.endsWith('/') ? from : from + '/')) {
        loc = to.replace(/\/+$/, '') + loc.slice(from.replace(/\/+$/, '').length);
        break;
      }
    }
    const bases: string[] = [this.location, this.root ? this.store.uriFor(this.root) : this.store.uri, this.store.uri];
    for (const base of new Set(bases)) {
      const rel = stripPrefix(loc, base);
      if (rel !== undefined) return base === this.store.uri ? rel : this.key(rel);
      // Mapped targets are often plain paths while the store speaks file:// URLs.
      if (base.startsWith('file:')) {
        const plain = fileURLToPath(base);
        const r2 = stripPrefix(loc, plain) ?? stripPrefix(loc, pathToFileURL(plain).href);
        if (r2 !== undefined) return base === this.store.uri ? r2 : this.key(r2);
      }
    }
    throw new LakehouseError('INVALID_METADATA', `file ${location} is outside the table location ${this.location}`, {
      help: 'If the table was moved or copied, register it with pathMapping: { "<old prefix>": "<new location>" }.',
      details: { location, tableLocation: this.location },
    });
  }

  metadataKey(version: number): string {
    return this.key(`${METADATA_DIR}/v${version}.metadata.json`);
  }

  /** Reads the hint; undefined when absent or garbled (never trusted beyond a starting point). */
  async readHint(): Promise<number | undefined> {
    try {
      const text = new TextDecoder().decode(await this.store.get(this.key(VERSION_HINT))).trim();
      return /^\d+$/.test(text) ? Number(text) : undefined;
    } catch (err) {
      if (isLakehouseError(err, 'NOT_FOUND')) return undefined;
      throw err;
    }
  }

  async writeHint(version: number): Promise<void> {
    await this.store.put(this.key(VERSION_HINT), new TextEncoder().encode(String(version)));
  }

  /**
   * All metadata versions present, by listing. A version name that holds other objects (a
   * directory on a local disk) is refused: something replaced a metadata file, and skipping it
   * could serve an older table.
   */
  async listVersions(): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const prefix = this.key(`${METADATA_DIR}/`);
    for await (const o of this.store.list(prefix)) {
      const name = o.key.slice(prefix.length);
      if (name.includes('/')) {
        const first = name.slice(0, name.indexOf('/'));
        if (metadataVersionOf(first) !== undefined) {
          throw new LakehouseError('INVALID_METADATA', `metadata file ${this.store.uriFor(prefix + first)} is a directory, not a file`, {
            help: 'Something replaced a table metadata file with a directory; remove the directory and restore the file from a backup.',
            details: { key: prefix + first },
          });
        }
        continue;
      }
      const v = metadataVersionOf(name);
      // Prefer v{N} over a numbered name for the same N (ours over a foreign engine's).
      if (v !== undefined && (!out.has(v) || name.startsWith('v'))) out.set(v, o.key);
    }
    return out;
  }

  /**
   * The newest version and its key: the higher of (the hint, probed upwards v{N+1}, v{N+2}…
   * until one is missing) and (the highest version listed, probed upwards the same way, for a
   * version created after the listing). Listing every time costs one LIST per load; it is what
   * makes a gap in the versions (a deleted middle version) serve the newest table, not the one
   * before the gap.
   */
  async latestVersion(): Promise<{ version: number; key: string } | undefined> {
    // -1: none found yet (Trino/Athena number their first version 00000).
    let version = -1;
    let key = '';
    const probeUp = async (): Promise<void> => {
      while (await this.store.head(this.metadataKey(version + 1))) {
        version++;
        key = this.metadataKey(version);
      }
      await this.refuseDirectory(version + 1);
    };
    const hint = await this.readHint();
    if (hint !== undefined && hint > 0 && (await this.store.head(this.metadataKey(hint)))) {
      version = hint;
      key = this.metadataKey(hint);
      await probeUp();
    }
    const all = await this.listVersions();
    const listed = all.size ? Math.max(...all.keys()) : -1;
    if (listed > version) {
      version = listed;
      key = all.get(listed)!;
      await probeUp();
    }
    return version >= 0 ? { version, key } : undefined;
  }

  /**
   * The object stores report a directory as "no such object" (S3 has none), and an empty one is
   * not listed either, so an empty directory where the next version's file should be would make
   * the loader serve the version before it, and a commit wait out its status check on a name it
   * can never create. On a local disk we therefore look: a directory there is INVALID_METADATA.
   */
  private async refuseDirectory(version: number): Promise<void> {
    const uri = this.store.uriFor(this.metadataKey(version));
    if (!uri.startsWith('file:')) return;
    let dir = false;
    try {
      dir = (await stat(fileURLToPath(uri))).isDirectory();
    } catch {
      return; // absent (or unreadable: the store's own calls report that)
    }
    if (dir) {
      throw new LakehouseError('INVALID_METADATA', `metadata file ${uri} is a directory, not a file`, {
        help: 'Something replaced a table metadata file with a directory; remove the directory and restore the file from a backup.',
        details: { key: this.metadataKey(version) },
      });
    }
  }
}

function stripPrefix(loc: string, base: string): string | undefined {
  const b = base.replace(/\/+$/, '');
  if (!loc.startsWith(b + '/')) return undefined;
  const rest = loc.slice(b.length + 1);
  if (!b.startsWith('file:')) return rest;
  // file: URLs percent-encode; store keys are the decoded path segments.
  try {
    return rest.split('/').map(decodeURIComponent).join('/');
  } catch {
    return rest;
  }
}
