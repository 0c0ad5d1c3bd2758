/**
 * The local store stays inside its root (symlinked namespace or data directories cannot make it
 * write or delete elsewhere), answers special files at once with a coded error (a FIFO where a
 * data file should be used to hang a query forever), and exposes leftover temp files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLakehouseError, LakehouseError, LocalFsStore, openObjectStore, type ObjectMeta } from 'lakehouse-engine/connectors';

const enc = new TextEncoder();
const dirs: string[] = [];
function tmp(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `lake-bound-${label}-`));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err instanceof LakehouseError ? err.code : `raw:${(err as Error).message}`;
  }
}

async function collect(it: AsyncIterable<ObjectMeta>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(m.key);
  return out;
}

describe('local store: symlinks cannot lead outside the root', () => {
  it('a symlinked namespace directory: writes are refused and nothing is created outside', async () => {
    const root = tmp('root');
    const outside = tmp('outside');
    symlinkSync(outside, join(root, 'ns'));
    const store = await openObjectStore(root);
    const err = await store.put('ns/t/metadata/v1.metadata.json', enc.encode('{}')).catch((e: unknown) => e);
    expect(isLakehouseError(err, 'ACCESS_DENIED')).toBe(true);
    expect((err as Error).message).toMatch(/outside the store root[\s\S]*Help: /);
    expect(await codeOf(store.putIfAbsent('ns/t/metadata/v1.metadata.json', enc.encode('{}')))).toBe('ACCESS_DENIED');
    expect(await codeOf(store.put('ns/f', enc.encode('x')))).toBe('ACCESS_DENIED');
    expect(readdirSync(outside)).toEqual([]); // not even the t/metadata directories
  });

  it('a symlinked data/ directory: deletes (as expire does) are refused, the outside file survives', async () => {
    const root = tmp('root');
    const outside = tmp('outside');
    writeFileSync(join(outside, 'precious.parquet'), 'keep me');
    mkdirSync(join(root, 'ns', 't'), { recursive: true });
    symlinkSync(outside, join(root, 'ns', 't', 'data'));
    const store = await openObjectStore(root);
    expect(await codeOf(store.delete('ns/t/data/precious.parquet'))).toBe('ACCESS_DENIED');
    expect(await codeOf(store.deleteMany(['ns/t/data/precious.parquet']))).toBe('ACCESS_DENIED');
    expect(await codeOf(store.get('ns/t/data/precious.parquet'))).toBe('ACCESS_DENIED');
    expect(await codeOf(store.head('ns/t/data/precious.parquet'))).toBe('ACCESS_DENIED');
    expect(await codeOf(collect(store.list('ns/t/data/')))).toBe('ACCESS_DENIED');
    // Listing the table does not descend into the link (so orphan cleanup cannot see those files).
    expect(await collect(store.list('ns/'))).toEqual([]);
    expect(existsSync(join(outside, 'precious.parquet'))).toBe(true);
  });

  it('symlinks inside the root: directories are followed, object links refused, listing skips links', async () => {
    const root = tmp('root');
    const store = await openObjectStore(root);
    await store.put('a/real/f.txt', enc.encode('x'));
    symlinkSync(join(root, 'a', 'real'), join(root, 'a', 'alias'));
    symlinkSync(join(root, 'a', 'real', 'f.txt'), join(root, 'a', 'real', 'g.txt'));
    expect(new TextDecoder().decode(await store.get('a/alias/f.txt'))).toBe('x');
    expect(await codeOf(store.get('a/real/g.txt'))).toBe('INVALID_KEY');
    expect(await collect(store.list('a/'))).toEqual(['a/real/f.txt']);
  });
});

describe('local store: special files answer at once', () => {
  it('a FIFO where a data file is: get, head and a range read give CORRUPT_FILE within 2 s', async () => {
    const root = tmp('fifo');
    const store = await openObjectStore(root);
    await store.put('ns/t/data/f.parquet', enc.encode('PAR1'));
    rmSync(join(root, 'ns/t/data/f.parquet'));
    execFileSync('mkfifo', [join(root, 'ns/t/data/f.parquet')]);
    for (const op of [
      () => store.get('ns/t/data/f.parquet'),
      () => store.head('ns/t/data/f.parquet'),
      () => store.get('ns/t/data/f.parquet', { suffix: 8 }),
      () => store.get('ns/t/data/f.parquet', { offset: 0, length: 4 }),
    ]) {
      const t0 = Date.now();
      const err = await Promise.race([
        op().then(() => 'no error', (e: unknown) => e),
        new Promise((r) => setTimeout(() => r('hung'), 2000)),
      ]);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(isLakehouseError(err, 'CORRUPT_FILE'), String(err)).toBe(true);
      expect((err as Error).message).toContain('FIFO');
    }
    // Listing skips it rather than reporting a zero-byte object.
    expect(await collect(store.list('ns/'))).toEqual([]);
  });

  it('a directory where an object is expected is CORRUPT_FILE (something replaced the object), never "no such object"', async () => {
    const root = tmp('dir');
    mkdirSync(join(root, 'k'));
    const store = await openObjectStore(root);
    expect(await codeOf(store.head('k'))).toBe('CORRUPT_FILE');
    expect(await codeOf(store.get('k'))).toBe('CORRUPT_FILE');
    expect(await store.head('nothing-here')).toBeUndefined();
  });
});

describe('local store: leftover temp files', () => {
  it('listTemporary shows them with size and age, deleteTemporary removes only temp files; list hides them', async () => {
    const root = tmp('temps');
    const store = await openObjectStore(root);
    await store.put('ns/t/data/a.parquet', enc.encode('data'));
    writeFileSync(join(root, 'ns/t/data/.lake-tmp-0123456789abcdef'), 'half a file');
    const old = new Date(Date.now() - 3 * 86_400_000);
    utimesSync(join(root, 'ns/t/data/.lake-tmp-0123456789abcdef'), old, old);
    expect(await collect(store.list('ns/'))).toEqual(['ns/t/data/a.parquet']);
    expect(store.listTemporary).toBeTypeOf('function'); // forwarded through every wrapper
    const temps: ObjectMeta[] = [];
    for await (const m of store.listTemporary!('ns/t/')) temps.push(m);
    expect(temps).toHaveLength(1);
    expect(temps[0]).toMatchObject({ key: 'ns/t/data/.lake-tmp-0123456789abcdef', size: 11 });
    expect(Math.abs(temps[0]!.lastModified.getTime() - old.getTime())).toBeLessThan(2000);
    expect(await codeOf(store.deleteTemporary!('ns/t/data/a.parquet'))).toBe('INVALID_KEY');
    await store.deleteTemporary!(temps[0]!.key);
    expect(readdirSync(join(root, 'ns/t/data'))).toEqual(['a.parquet']);
  });

  it('stores without temp files do not pretend to have them', async () => {
    const store = await openObjectStore(`memory://no-temps-${Date.now()}`);
    expect(store.listTemporary).toBeUndefined();
    expect(store.deleteTemporary).toBeUndefined();
    expect(new LocalFsStore(tmp('x')).listTemporary).toBeTypeOf('function');
    const viaFaults = await openObjectStore(tmp('y'), { faults: [] });
    expect(viaFaults.listTemporary).toBeTypeOf('function');
    expect(viaFaults.deleteTemporary).toBeTypeOf('function');
  });
});
