/**
 * Orphan removal and expiry refuse broken tables and respect in-flight markers, unsettled runs,
 * stale markers and `.lake-tmp-*` leftovers (issue #12, #13). Local disk, so file ages can be
 * set with utimes; the refusals run through the real CLI (a fresh process: no manifest cache).
 */
import { mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openObjectStore, type ObjectMeta, type ObjectStore } from 'lakehouse-engine/connectors';
import { InflightWrite, Warehouse, expireSnapshots, removeOrphanFiles, type Table } from 'lakehouse-engine/catalog';
import { RunLedger, emptyMetrics, currentOwner, type RunRecord } from 'lakehouse-engine/engine';
import { backends } from '../helpers/backends.js';
import { runLake } from '../helpers/cli.js';
import { writeDataFile } from './util.js';

const local = backends().find((b) => b.name === 'local')!;
const DAY = 86_400_000;

async function listAll(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out.sort();
}

function age(root: string, key: string, ms: number): void {
  const t = new Date(Date.now() - ms);
  utimesSync(join(root, key), t, t);
}

/** listTemporary/deleteTemporary over the local directory, for a store that does not have them yet. */
function withTemporary(store: ObjectStore, root: string): ObjectStore {
  const s = store as ObjectStore & { listTemporary?: unknown };
  if (typeof s.listTemporary === 'function') return store;
  const listTemporary = async function* (prefix: string): AsyncIterable<ObjectMeta> {
    const walk = function* (dir: string, rel: string): Generator<ObjectMeta> {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(dir, n);
        const k = rel ? `${rel}/${n}` : n;
        const st = statSync(p);
        if (st.isDirectory()) yield* walk(p, k);
        else if (n.startsWith('.lake-tmp-') && k.startsWith(prefix)) yield { key: k, size: st.size, lastModified: st.mtime };
      }
    };
    yield* walk(root, '');
  };
  const deleteTemporary = async (key: string): Promise<void> => rmSync(join(root, key), { force: true });
  return new Proxy(store, {
    get(target, p) {
      if (p === 'listTemporary') return listTemporary;
      if (p === 'deleteTemporary') return deleteTemporary;
      const v = Reflect.get(target, p, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function fresh(label: string): Promise<{ dir: string; wh: Warehouse; t: Table }> {
  const dir = await local.freshUri(label);
  const wh = await Warehouse.open(withTemporary(await openObjectStore(dir), dir));
  await wh.createNamespace('db');
  const t = await wh.createTable('db.t', [{ name: 'id', type: 'long', required: true }]);
  return { dir, wh, t };
}

describe('maintenance safety (local disk)', () => {
  afterAll(() => local.cleanup());

  for (const variant of ['missing manifest list', 'corrupt manifest'] as const) {
    it(`a ${variant} of the current snapshot: remove-orphans and expire refuse with a coded error, nothing deleted`, async () => {
      const { dir, wh, t } = await fresh('maint-broken');
      for (let i = 0; i < 3; i++) await t.newAppend().appendFile(await writeDataFile(t, [{ id: BigInt(i) }])).commit();
      // An old orphan that a working sweep would delete.
      const orphan = t.io.keyFor((await writeDataFile(t, [{ id: 99n }])).filePath);
      age(dir, orphan, 3 * DAY);
      const cur = t.currentSnapshot()!;
      let broken: string;
      if (variant === 'missing manifest list') {
        broken = t.io.keyFor(cur['manifest-list']);
        rmSync(join(dir, broken));
      } else {
        const { readSnapshotManifests } = await import('lakehouse-engine/catalog');
        const ms = await readSnapshotManifests(t.io, cur);
        broken = t.io.keyFor(ms[ms.length - 1]!.manifestPath);
        writeFileSync(join(dir, broken), 'not avro at all');
      }
      const before = await listAll(wh.store, 'db/t/');
      const expectedCode = variant === 'missing manifest list' ? 'INVALID_METADATA' : 'CORRUPT_FILE';
      for (const args of [['remove-orphans', 'db.t'], ['remove-orphans', 'db.t', '--older-than', '0s', '--force-unsafe-age'], ['expire', 'db.t', '--older-than', '0s']]) {
        const r = await runLake(args, dir);
        expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(1);
        expect(r.stderr).toContain(`[${expectedCode}]`);
        expect(r.stderr).toContain(broken);
        expect(r.stderr).toMatch(/Help: .*set-current/);
        expect(r.stdout).not.toMatch(/0 orphan/);
      }
      expect(await listAll(wh.store, 'db/t/')).toEqual(before);
    });
  }

  it('removes stale markers and old .lake-tmp-* files; keeps live-marker files; reports recent ones', async () => {
    const { dir, wh, t } = await fresh('maint-stale');
    await t.newAppend().appendFile(await writeDataFile(t, [{ id: 1n }])).commit();
    const store = wh.store;
    // A crashed writer: stale marker (2 days old) and its file (2 days old) → both go.
    const staleTok = 'stale0123456789';
    const staleMarker = 'db/t/_inflight/stale-writer.json';
    await store.put(staleMarker, new TextEncoder().encode(JSON.stringify({ id: 'stale-writer', tokens: [staleTok], kind: 'test', host: 'h', pid: 1, startedAtMs: 0, heartbeatAtMs: 0 })));
    const staleFile = `db/t/data/${staleTok}-0.parquet`;
    await store.put(staleFile, new Uint8Array(10));
    age(dir, staleMarker, 2 * DAY);
    age(dir, staleFile, 2 * DAY);
    // A live writer whose file is old (a long write): protected, marker kept.
    const live = await InflightWrite.begin(store, 'db/t', { tokens: ['live0123456789'], kind: 'test' });
    const liveFile = 'db/t/data/live0123456789-0.parquet';
    await store.put(liveFile, new Uint8Array(10));
    age(dir, liveFile, 2 * DAY);
    // A recent unreferenced file: reported, not removed.
    const recentFile = 'db/t/data/recent-orphan.parquet';
    await store.put(recentFile, new Uint8Array(7));
    // Temp leftovers: old one goes, a fresh one (a put that may be running) stays.
    mkdirSync(join(dir, 'db/t/data'), { recursive: true });
    writeFileSync(join(dir, 'db/t/data/.lake-tmp-old0001'), 'x');
    writeFileSync(join(dir, 'db/t/data/.lake-tmp-new0001'), 'y');
    age(dir, 'db/t/data/.lake-tmp-old0001', 2 * DAY);

    // The library applies the same floor as the CLI.
    for (const olderThan of [Date.now(), Date.now() - 3_600_000, Date.now() + 60_000]) {
      await expect(removeOrphanFiles(t, { olderThan })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(await listAll(store, 'db/t/')).toContain(staleFile);
    const dry = await removeOrphanFiles(t, { dryRun: true });
    expect(dry.orphans.sort()).toEqual([staleMarker, staleFile].sort());
    const res = await removeOrphanFiles(t);
    expect(res.orphans.sort()).toEqual([staleMarker, staleFile].sort());
    expect(res.metrics.staleMarkers).toBe(1);
    expect(res.tempFiles).toEqual(['db/t/data/.lake-tmp-old0001']);
    expect(res.protectedFiles.map((f) => f.key)).toEqual([liveFile]);
    expect(res.recent.map((f) => f.key).sort()).toEqual(['db/t/data/.lake-tmp-new0001', recentFile].sort());
    expect(res.metrics.recentFiles).toBe(2);
    const keys = await listAll(store, 'db/t/');
    expect(keys).not.toContain(staleMarker);
    expect(keys).not.toContain(staleFile);
    expect(keys).toContain(live.key);
    expect(keys).toContain(liveFile);
    expect(keys).toContain(recentFile);
    expect(readdirSync(join(dir, 'db/t/data')).filter((n) => n.startsWith('.lake-tmp-'))).toEqual(['.lake-tmp-new0001']);
    // Even with --force-unsafe-age at "now": the live marker and its file, and the fresh temp file, stay.
    const forced = await removeOrphanFiles(t, { forceUnsafeAge: true, olderThan: Date.now(), onWarning: () => undefined });
    expect(forced.orphans).toEqual([recentFile]);
    expect(forced.tempFiles).toEqual([]);
    expect(await listAll(store, 'db/t/')).toContain(liveFile);
    await live.end();
  });

  it('expiry keeps files a live marker protects, and the CLI keeps files of unsettled runs', async () => {
    const { dir, wh, t } = await fresh('maint-expire');
    const f1 = await writeDataFile(t, [{ id: 1n }]);
    await t.newAppend().appendFile(f1).commit();
    const f2 = await writeDataFile(t, [{ id: 2n }]);
    await t.newReplace().deleteFile(f1).addFile(f2).commit();
    const k1 = t.io.keyFor(f1.filePath);
    const tok = k1.slice(k1.lastIndexOf('/') + 1, -'.parquet'.length);
    const marker = await InflightWrite.begin(wh.store, 'db/t', { tokens: [tok], kind: 'test' });
    const res = await expireSnapshots(t, { olderThan: Date.now() + 1000 });
    expect(res.expiredSnapshotIds.length).toBe(1);
    expect(res.protectedFiles).toEqual([k1]);
    expect(await wh.store.head(k1)).toBeDefined();
    await marker.end();

    // An unsettled (RUNNING) run that staged a file: remove-orphans via the CLI keeps it.
    const runId = 'run-20260101T000000-abcdef0123';
    const staged = `db/t/data/${runId}-t0-0.parquet`;
    await wh.store.put(staged, new Uint8Array(5));
    age(dir, staged, 2 * DAY);
    age(dir, k1, 2 * DAY);
    const rec = {
      runId, version: 1, jobName: 'j', specHash: 'x', spec: {}, mode: 'run', state: 'RUNNING', transitions: [], owner: currentOwner(),
      createdAtMs: Date.now(), parameters: {}, inputs: {}, staged: [{ key: staged, checksum: '0', rows: 1, bytes: 5, task: 't0' }], metrics: emptyMetrics(),
    } as unknown as RunRecord;
    await new RunLedger(wh.store).create(rec);
    const r = await runLake(['remove-orphans', 'db.t', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { orphans: string[]; protectedFiles: number; protected: Array<{ key: string; reason: string }> };
    // k1 is still named by the retained replace snapshot (as a DELETED entry): expiry's to delete, not an orphan.
    expect(out.orphans).toEqual([]);
    expect(out.protectedFiles).toBe(1);
    expect(out.protected[0]).toMatchObject({ key: staged });
    expect(out.protected[0]!.reason).toContain(runId);
    expect(await wh.store.head(staged)).toBeDefined();
  });

  it('an expiry committing between the metadata read and the manifest reads is not mistaken for a broken table', async () => {
    const dir = await local.freshUri('maint-race-expire');
    writeFileSync(join(dir, 'a.csv'), 'id\n1\n');
    expect((await runLake(['ingest', 'db.x', join(dir, 'a.csv'), '--create'], dir)).code).toBe(0);
    for (let i = 0; i < 2; i++) expect((await runLake(['ingest', 'db.x', join(dir, 'a.csv')], dir)).code).toBe(0);
    const base = await openObjectStore(dir);
    const other = await (await Warehouse.open(base)).loadTable('db.x');
    const oldest = other.snapshots()[0]!;
    const oldestList = other.io.keyFor(oldest['manifest-list']);
    // This process has read no manifest list yet (the ingests ran in child processes), so the
    // sweep's first read of the oldest snapshot's list goes to the store: an expiry commits and
    // deletes that list just before the read is answered.
    let raced = false;
    const racing = new Proxy(base, {
      get(target, p) {
        const v = Reflect.get(target, p, target) as unknown;
        if (p === 'get') {
          return async (key: string, range?: unknown) => {
            if (key === oldestList && !raced) {
              raced = true;
              const res = await expireSnapshots(other, { olderThan: Date.now() + 1000, retainLast: 2 });
              expect(res.expiredSnapshotIds).toEqual([oldest['snapshot-id']]);
            }
            return (target.get as (k: string, r?: unknown) => Promise<Uint8Array>)(key, range);
          };
        }
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const t = await (await Warehouse.open(racing)).loadTable('db.x');
    const res = await removeOrphanFiles(t, { dryRun: true });
    expect(raced).toBe(true);
    expect(res.orphans).toEqual([]);
    expect(t.snapshots().map((s) => s['snapshot-id'])).not.toContain(oldest['snapshot-id']);
  });
});
