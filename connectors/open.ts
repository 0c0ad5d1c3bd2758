/**
 * `openObjectStore(uri)`: the one way code, tests and users get a store.
 * Layers, inside out: backend → fault injection (tests only) → retries → conditional-write probe.
 */

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LakehouseError } from './errors.js';
import { LocalFsStore } from './local-fs.js';
import { MemoryStore } from './memory.js';
import type { ObjectStore } from './object-store.js';

export interface OpenObjectStoreOptions {
  /** Base directory for relative plain paths (default: the process's cwd). */
  cwd?: string;
}

export async function openObjectStore(uri: string, options: OpenObjectStoreOptions = {}): Promise<ObjectStore> {
  return openBackend(uri, options);
}

function openBackend(uri: string, options: OpenObjectStoreOptions): ObjectStore {
  if (typeof uri !== 'string' || uri.trim() === '') {
    throw new LakehouseError('INVALID_URI', 'empty object-store URI', {
      help: 'Use a directory path, file:///abs/path, s3://bucket/prefix or memory://name.',
    });
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return new LocalFsStore(path.resolve(options.cwd ?? process.cwd(), uri));
  if (scheme === 'file') {
    try {
      return new LocalFsStore(fileURLToPath(uri));
    } catch (err) {
      throw new LakehouseError('INVALID_URI', `"${uri}" is not a valid file URI`, { cause: err, help: 'Use file:///absolute/path.' });
    }
  }
  if (scheme === 'memory') {
    const name = uri.slice('memory://'.length).replace(/\/+$/, '');
    if (!name) throw new LakehouseError('INVALID_URI', `"${uri}" names no memory store`, { help: 'Use memory://some-name.' });
    return new MemoryStore(name);
  }
  throw new LakehouseError('INVALID_URI', `unsupported object-store scheme "${scheme}://" in "${uri}"`, {
    help: 'Supported: a directory path, file:///abs/path, s3://bucket/prefix (also s3a://), memory://name.',
  });
}
