/**
 * icebird reads tables through `fetch`; tests serve it file:// URLs the way it fetches S3
 * objects (HEAD with a length, ranged GETs) by swapping the global `fetch` while it reads.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const realFetch = globalThis.fetch;

/** Serves file:// URLs as icebird expects S3 objects (HEAD with length, ranged GET). */
export async function fileFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (!url.startsWith('file:')) return realFetch(input, init);
  let bytes: Buffer;
  try {
    bytes = await readFile(fileURLToPath(url));
  } catch {
    return new Response('not found', { status: 404 });
  }
  if ((init?.method ?? 'GET') === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
  const range = new Headers(init?.headers).get('range');
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range)!;
    const start = m[1] === '' ? bytes.byteLength - Number(m[2]) : Number(m[1]);
    const end = m[1] !== '' && m[2] !== '' ? Number(m[2]) + 1 : bytes.byteLength;
    const part = bytes.subarray(start, end);
    return new Response(part, { status: 206, headers: { 'content-length': String(part.byteLength) } });
  }
  return new Response(bytes, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
}

/** Installs `fileFetch` as the global fetch until the returned function is called. */
export function installFileFetch(): () => void {
  globalThis.fetch = fileFetch as typeof fetch;
  return () => {
    globalThis.fetch = realFetch;
  };
}

/** Runs `fn` with `fileFetch` installed. */
export function withFileFetch<T>(fn: () => Promise<T>): Promise<T> {
  const restore = installFileFetch();
  return fn().finally(restore);
}
