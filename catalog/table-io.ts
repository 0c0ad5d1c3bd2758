/**
 * Where a table's files live: maps the absolute locations stored in Iceberg metadata to keys of
 * an ObjectStore and back, and finds/writes metadata versions (`metadata/v{N}.metadata.json`,
 * also reading `NNNNN-<uuid>.metadata.json` as Trino/Athena name them).
 *
 * Concurrency contract: metadata versions are only ever created with `putIfAbsent`, so of any
 * number of writers racing for version N+1 exactly one wins. `version-hint.text` is a
 * best-effort cache: `latestVersion` starts from it and probes upwards (and lists when the hint
 * is missing), so a stale, missing or garbled hint can never hide a committed version, and a gap
 * in the versions (v1, v2, v4) is INVALID_METADATA rather than a silently older table. A
 * metadata name that holds something other than a file is INVALID_METADATA.
 */

import { fileURLToPath, pathToFileURL } from 'node:url';
import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import type { ObjectStore } from '../connectors/object-store.js';

export const METADATA_DIR = 'metadata';
export const DATA_DIR = 'data';
export const VERSION_HINT = 'metadata/version-hint.text';

/** How many names past the first missing version are probed for a gap. */
const GAP_WINDOW = 2;
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
   * The newest version and its key. Starts at the hint and probes v{N+1}, v{N+2}… until one is
   * missing; without a usable hint it lists the directory (once) and probes from the highest
   * version listed. A missing version followed by a present one (v1, v2, v4: someone deleted v3)
   * is INVALID_METADATA naming the missing version — serving the table before the gap would be a
   * silently older table. The gap check HEADs the next GAP_WINDOW names past the first missing
   * one, in parallel (no LIST per load: a table's metadata/ directory also holds every manifest).
   * A metadata name that holds something other than a file is INVALID_METADATA too.
   */
  async latestVersion(): Promise<{ version: number; key: string } | undefined> {
    let version = -1; // none yet (Trino/Athena number their first version 00000)
    let key = '';
    const hint = await this.readHint();
    if (hint !== undefined && hint > 0 && (await this.headVersion(hint))) {
      version = hint;
      key = this.metadataKey(hint);
    } else {
      const all = await this.listVersions();
      if (all.size === 0) return undefined;
      const versions = [...all.keys()].sort((a, b) => a - b);
      for (let k = 1; k < versions.length; k++) {
        if (versions[k]! !== versions[k - 1]! + 1) throw this.gap(versions[k - 1]! + 1, versions[k]!);
      }
      version = versions[versions.length - 1]!;
      key = all.get(version)!;
    }
    for (;;) {
      // Versions created since (by commits racing this load) are found by probing.
      while (await this.headVersion(version + 1)) {
        version++;
        key = this.metadataKey(version);
      }
      const ahead = await Promise.all(Array.from({ length: GAP_WINDOW }, (_, k) => this.headVersion(version + 2 + k)));
      const past = ahead.findIndex(Boolean);
      if (past < 0) return { version, key };
      // Racing commits may have created N+1 and N+2 between the probes: only a hole that is
      // still there is a gap.
      if (!(await this.headVersion(version + 1))) throw this.gap(version + 1, version + 2 + past);
    }
  }

  /** HEAD of a metadata version; something that is not a file there is INVALID_METADATA. */
  private async headVersion(version: number): Promise<boolean> {
    try {
      return (await this.store.head(this.metadataKey(version))) !== undefined;
    } catch (err) {
      if (isLakehouseError(err, 'CORRUPT_FILE') || isLakehouseError(err, 'INVALID_KEY')) {
        throw new LakehouseError('INVALID_METADATA', `metadata file ${this.store.uriFor(this.metadataKey(version))} is not a regular file (${err.message.split('\n')[0]})`, {
          cause: err,
          help: 'Something replaced a table metadata file (with a directory or a special file); remove it and restore the file from a backup.',
          details: { key: this.metadataKey(version) },
        });
      }
      throw err;
    }
  }

  private gap(missing: number, present: number): LakehouseError {
    return new LakehouseError('INVALID_METADATA', `metadata version ${missing} of ${this.location} is missing although version ${present} exists: the table's history has a gap`, {
      help: `A metadata file was deleted. Restore ${this.store.uriFor(this.metadataKey(missing))} from a backup, or register the newest version as a table (lake table register) to accept it as it is.`,
      details: { missingVersion: missing, presentVersion: present, key: this.metadataKey(missing) },
    });
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
