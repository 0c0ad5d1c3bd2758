/**
 * One conformance suite for every ObjectStore backend, through the public entry.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLakehouseError, openObjectStore, type ObjectStore } from 'lakehouse-engine/connectors';
import { backends } from '../helpers/backends.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function collectKeys(store: ObjectStore, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toSatisfy((e: unknown) => isLakehouseError(e) && e.code === code);
}

/** Runs `fn` over `items` with at most `width` in flight. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

for (const backend of backends()) {
  describe(`ObjectStore conformance: ${backend.name}`, () => {
    let store: ObjectStore;

    beforeAll(async () => {
      store = await openObjectStore(await backend.freshUri('conformance'));
    });

    afterAll(async () => {
      const keys = await collectKeys(store);
      await store.deleteMany(keys);
      await store.close();
      await backend.cleanup();
    });

    it('puts, gets, overwrites and heads objects', async () => {
      await store.put('basic/a.txt', enc.encode('first version'));
      const h1 = await store.head('basic/a.txt');
      expect(h1?.size).toBe(13);
      expect(h1?.lastModified).toBeInstanceOf(Date);
      expect(dec.decode(await store.get('basic/a.txt'))).toBe('first version');
      await store.put('basic/a.txt', enc.encode('v2'));
      const h2 = await store.head('basic/a.txt');
      expect(dec.decode(await store.get('basic/a.txt'))).toBe('v2');
      expect(h2?.size).toBe(2);
      expect(h2?.etag).toBeTruthy();
      expect(h2?.etag).not.toBe(h1?.etag);
    });

    it('stores an empty object', async () => {
      await store.put('edge/empty', new Uint8Array(0));
      expect((await store.get('edge/empty')).byteLength).toBe(0);
      expect((await store.head('edge/empty'))?.size).toBe(0);
      expect(await store.putIfAbsent('edge/empty', enc.encode('x'))).toBe(false);
    });

    it('reads ranges: offset/length, suffix, zero-length and past the end', async () => {
      const bytes = randomBytes(1000);
      await store.put('range/r.bin', bytes);
      expect(Buffer.from(await store.get('range/r.bin', { offset: 10, length: 20 }))).toEqual(bytes.subarray(10, 30));
      expect(Buffer.from(await store.get('range/r.bin', { suffix: 8 }))).toEqual(bytes.subarray(992));
      expect(Buffer.from(await store.get('range/r.bin', { suffix: 5000 }))).toEqual(bytes);
      expect((await store.get('range/r.bin', { offset: 10, length: 0 })).byteLength).toBe(0);
      expect(Buffer.from(await store.get('range/r.bin', { offset: 990, length: 100 }))).toEqual(bytes.subarray(990));
      expect((await store.get('range/r.bin', { offset: 5000, length: 10 })).byteLength).toBe(0);
      await expectCode(store.get('range/missing', { offset: 0, length: 0 }), 'NOT_FOUND');
    });

    it('reports missing keys: NOT_FOUND on get, undefined on head, silent delete', async () => {
      await expectCode(store.get('missing/nothing-here'), 'NOT_FOUND');
      await expectCode(store.get('missing/nothing-here', { suffix: 8 }), 'NOT_FOUND');
      expect(await store.head('missing/nothing-here')).toBeUndefined();
      await store.delete('missing/nothing-here');
    });

    it('handles unicode keys', async () => {
      const key = 'unicode/données/日本語/🎉 file #1.txt';
      await store.put(key, enc.encode('unicode ok'));
      expect(dec.decode(await store.get(key))).toBe('unicode ok');
      expect(await collectKeys(store, 'unicode/')).toEqual([key]);
    });

    it('rejects keys that could escape the root', async () => {
      for (const bad of ['../escape', '/abs/key', 'a//b', 'a/./b', 'a/../../b', '']) {
        await expectCode(store.put(bad, enc.encode('x')), 'INVALID_KEY');
      }
      await expectCode(store.get('x/../../etc/passwd'), 'INVALID_KEY');
    });

    it('lists by prefix, nested, without siblings that share a name prefix', async () => {
      await store.put('lst/a/1', enc.encode('1'));
      await store.put('lst/a/2', enc.encode('2'));
      await store.put('lst/a/deep/3', enc.encode('3'));
      await store.put('lst/ab/4', enc.encode('4'));
      await store.put('lst/b', enc.encode('5'));
      expect((await collectKeys(store, 'lst/a/')).sort()).toEqual(['lst/a/1', 'lst/a/2', 'lst/a/deep/3']);
      expect((await collectKeys(store, 'lst/a')).sort()).toEqual(['lst/a/1', 'lst/a/2', 'lst/a/deep/3', 'lst/ab/4']);
      expect((await collectKeys(store, 'lst/')).length).toBe(5);
      const metas = [];
      for await (const m of store.list('lst/a/deep/')) metas.push(m);
      expect(metas).toHaveLength(1);
      expect(metas[0]?.size).toBe(1);
    });

    it('lists 10,000 keys across pages and deletes them in batches', async () => {
      const keys = Array.from({ length: 10_000 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
      const body = enc.encode('k');
      await pool(keys, 32, (k) => store.put(k, body));
      const listed = await collectKeys(store, 'many/');
      expect(listed.length).toBe(10_000);
      expect(new Set(listed)).toEqual(new Set(keys));
      await store.deleteMany(keys);
      expect(await collectKeys(store, 'many/')).toEqual([]);
    }, 300_000);

    it('writes a streamed 20 MiB body (multipart on S3) and reads it back exactly', async () => {
      const chunk = randomBytes(1024 * 1024);
      async function* body(): AsyncIterable<Uint8Array> {
        for (let i = 0; i < 20; i++) {
          const c = Buffer.from(chunk);
          c[0] = i;
          yield c;
        }
      }
      await store.put('big/stream.bin', body());
      const head = await store.head('big/stream.bin');
      expect(head?.size).toBe(20 * 1024 * 1024);
      const part = await store.get('big/stream.bin', { offset: 7 * 1024 * 1024, length: 1024 });
      expect(part[0]).toBe(7);
      expect(Buffer.from(part.subarray(1))).toEqual(chunk.subarray(1, 1024));
      const whole = await store.get('big/stream.bin');
      expect(whole.byteLength).toBe(20 * 1024 * 1024);
      expect(whole[19 * 1024 * 1024]).toBe(19);
      await store.put('big/bytes.bin', whole);
      expect((await store.head('big/bytes.bin'))?.size).toBe(whole.byteLength);
      await store.deleteMany(['big/stream.bin', 'big/bytes.bin']);
    }, 120_000);

    it('putIfAbsent creates once and never overwrites', async () => {
      expect(await store.putIfAbsent('pia/one', enc.encode('winner'))).toBe(true);
      expect(await store.putIfAbsent('pia/one', enc.encode('loser'))).toBe(false);
      expect(dec.decode(await store.get('pia/one'))).toBe('winner');
    });

    it('16 concurrent putIfAbsent on one key: exactly one winner, whose bytes are stored (20 rounds)', async () => {
      for (let round = 0; round < 20; round++) {
        const key = `race/round-${round}`;
        const payloads = Array.from({ length: 16 }, (_, i) => enc.encode(`round ${round} writer ${i} ${randomBytes(8).toString('hex')}`));
        const results = await Promise.all(payloads.map((p) => store.putIfAbsent(key, p)));
        const winners = results.flatMap((r, i) => (r ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(dec.decode(await store.get(key))).toBe(dec.decode(payloads[winners[0]!]!));
      }
    }, 120_000);

    it('deleteMany tolerates missing keys', async () => {
      await store.put('del/x', enc.encode('x'));
      await store.deleteMany(['del/x', 'del/never-existed']);
      expect(await store.head('del/x')).toBeUndefined();
    });
  });
}

describe('openObjectStore URIs', () => {
  it('rejects unknown schemes and empty URIs with INVALID_URI', async () => {
    await expectCode(openObjectStore('ftp://host/x'), 'INVALID_URI');
    await expectCode(openObjectStore(''), 'INVALID_URI');
    await expectCode(openObjectStore('memory://'), 'INVALID_URI');
    await expectCode(openObjectStore('s3://'), 'INVALID_URI');
  });

  it('gives absolute URIs for keys', async () => {
    const mem = await openObjectStore('memory://uris');
    expect(mem.uriFor('a/b')).toBe('memory://uris/a/b');
    const s3 = await openObjectStore('s3://bucket/pre/fix', { s3: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' } });
    expect(s3.uri).toBe('s3://bucket/pre/fix');
    expect(s3.uriFor('t/data/f.parquet')).toBe('s3://bucket/pre/fix/t/data/f.parquet');
    await s3.close();
  });
});

describe('bodies given as Node Buffers', () => {
  it('are stored as copies and read back as independent bytes', async () => {
    const store = await openObjectStore(`memory://buffers-${Date.now()}`);
    const pool = Buffer.from('0123456789abcdef');
    const view = pool.subarray(4, 12);
    await store.put('k', view);
    view[0] = 0x21;
    expect(dec.decode(await store.get('k'))).toBe('456789ab');
    const part = await store.get('k', { offset: 2, length: 3 });
    expect(part.byteOffset === 0 && part.buffer.byteLength === 3).toBe(true);
  });
});
