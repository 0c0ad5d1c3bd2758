/**
 * Key validation and small helpers shared by every backend. Keys are '/'-separated and relative
 * to a store's root; they are checked before any I/O so that no key can escape the root
 * (`../x`, `/etc/passwd`) whatever the backend's own path rules are.
 */

import { LakehouseError } from './errors.js';

export function validateKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new LakehouseError('INVALID_KEY', 'object key is empty', { help: 'Pass a relative key such as "ns/table/data/file.parquet".' });
  }
  if (key.startsWith('/')) {
    throw new LakehouseError('INVALID_KEY', `object key "${key}" is absolute`, {
      help: 'Keys are relative to the store root; drop the leading "/".',
      details: { key },
    });
  }
  if (key.includes('\0') || key.includes('\\')) {
    throw new LakehouseError('INVALID_KEY', `object key "${key}" contains a NUL or backslash`, { details: { key } });
  }
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') {
      throw new LakehouseError('INVALID_KEY', `object key "${key}" has an empty, "." or ".." segment`, {
        help: 'Keys may not contain "//", "./" or "../" segments (they could escape the store root).',
        details: { key },
      });
    }
  }
  return key;
}

/** A list prefix may be empty or end with '/', but must not contain escaping segments. */
export function validatePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  validateKey(trimmed);
  return prefix;
}

export async function collectBody(body: Uint8Array | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const part of body) {
    parts.push(part);
    total += part.byteLength;
  }
  return concatBytes(parts, total);
}

export function concatBytes(parts: Uint8Array[], total?: number): Uint8Array {
  const size = total ?? parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Resolves a range against an object size into [start, end) with clamping, as S3 does. */
export function resolveRange(size: number, range: { offset: number; length: number } | { suffix: number }): [number, number] {
  if ('suffix' in range) {
    if (!Number.isInteger(range.suffix) || range.suffix < 0) {
      throw new LakehouseError('INVALID_ARGUMENT', `invalid suffix range ${range.suffix}`);
    }
    return [Math.max(0, size - range.suffix), size];
  }
  if (!Number.isInteger(range.offset) || !Number.isInteger(range.length) || range.offset < 0 || range.length < 0) {
    throw new LakehouseError('INVALID_ARGUMENT', `invalid range offset=${range.offset} length=${range.length}`);
  }
  const start = Math.min(range.offset, size);
  return [start, Math.min(size, start + range.length)];
}
