import { afterAll, describe, expect, it } from 'vitest';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { Warehouse, expireSnapshots, readManifestEntries, readSnapshotManifests, removeOrphanFiles, rollbackTo, rollbackToTime, setCurrentSnapshot, type Table } from 'lakehouse-engine/catalog';
import { backends } from '../helpers/backends.js';
import { readRows, writeDataFile } from './util.js';

async function allKeys(t: Table): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const o of t.io.store.list(t.io.key(''))) out.add(o.key);
  return out;
}

for (const backend of backends()) {
  describe(`maintenance on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    async function table(): Promise<{ wh: Warehouse; t: Table }> {
      const wh = await Warehouse.open(await backend.freshUri('cat-maint'));
      await wh.createNamespace('db');
      return { wh, t: await wh.createTable('db.m', [{ name: 'id', type: 'long', required: true }]) };
    }

    it('rolls back to an ancestor, by time, and jumps to any snapshot', async () => {
      const { wh, t } = await table();
      const ids: bigint[] = [];
      for (let i = 1; i <= 3; i++) ids.push((await t.newAppend().appendFile(await writeDataFile(t, [{ id: BigInt(i) }])).commit()).snapshot['snapshot-id']);
      const r = await rollbackTo(t, ids[0]!);
      expect(r.metrics).toEqual({ fromSnapshotId: ids[2], toSnapshotId: ids[0] });
      expect((await readRows(await wh.loadTable('db.m'))).map((x) => x.id)).toEqual([1]);
      // ids[2] is no longer an ancestor: rollbackTo refuses, setCurrentSnapshot allows.
      let code: string | undefined;
      await rollbackTo(t, ids[2]!).catch((e) => (code = isLakehouseError(e) ? e.code : String(e)));
      expect(code).toBe('INVALID_ARGUMENT');
      await setCurrentSnapshot(t, ids[2]!);
      expect((await readRows(t)).map((x) => x.id).sort()).toEqual([1, 2, 3]);
      const s2 = t.snapshot(ids[1]!);
      await rollbackToTime(t, s2['timestamp-ms']);
      expect(t.currentSnapshot()!['snapshot-id']).toBe(ids[1]);
      // An append after a rollback continues from the rolled-back snapshot.
      await t.newAppend().appendFile(await writeDataFile(t, [{ id: 9n }])).commit();
      expect((await readRows(t)).map((x) => x.id).sort()).toEqual([1, 2, 9]);
      expect(t.currentSnapshot()!['parent-snapshot-id']).toBe(ids[1]);
    });

    it('expires snapshots, deleting only files no retained snapshot uses (dry run first)', async () => {
      const { t } = await table();
      const f1 = await writeDataFile(t, [{ id: 1n }]);
      const f2 = await writeDataFile(t, [{ id: 2n }]);
      await t.newAppend().appendFile(f1).commit();
      await t.newAppend().appendFile(f2).commit();
      const f3 = await writeDataFile(t, [{ id: 1n }, { id: 2n }]);
      await t.newReplace().deleteFile(f1).deleteFile(f2).addFile(f3).commit();
      const f4 = await writeDataFile(t, [{ id: 4n }]);
      await t.newAppend().appendFile(f4).commit();
      const snaps = t.snapshots();
      expect(snaps.length).toBe(4);
      const keysBefore = await allKeys(t);
      // What the retained snapshots (the last two) reference, computed independently here.
      const keepKeys = new Set<string>();
      for (const s of snaps.slice(2)) {
        keepKeys.add(t.io.keyFor(s['manifest-list']));
        for (const m of await readSnapshotManifests(t.io, s)) {
          keepKeys.add(t.io.keyFor(m.manifestPath));
          for (const e of await readManifestEntries(t.io, t.metadata, m)) if (e.status !== 2) keepKeys.add(t.io.keyFor(e.dataFile.filePath));
        }
      }
      const dry = await expireSnapshots(t, { olderThan: Date.now() + 1000, retainLast: 2, dryRun: true });
      expect(dry.metrics.expiredSnapshots).toBe(2);
      expect(dry.metrics.deletedDataFiles).toBe(2);
      expect(t.snapshots().length).toBe(4);
      expect(await allKeys(t)).toEqual(keysBefore);
      const res = await expireSnapshots(t, { olderThan: Date.now() + 1000, retainLast: 2 });
      expect(res.deleted.sort()).toEqual(dry.deleted.sort());
      expect(t.snapshots().map((s) => s['snapshot-id'])).toEqual(snaps.slice(2).map((s) => s['snapshot-id']));
      for (const k of res.deleted) expect(keepKeys.has(k)).toBe(false);
      for (const k of keepKeys) expect(await t.io.store.head(k)).toBeDefined();
      expect(await t.io.store.head(t.io.keyFor(f1.filePath))).toBeUndefined();
      expect((await readRows(t)).map((x) => x.id).sort()).toEqual([1, 2, 4]);
      let code: string | undefined;
      await t.scan({ snapshotId: snaps[0]!['snapshot-id'] }).catch((e) => (code = isLakehouseError(e) ? e.code : String(e)));
      expect(code).toBe('SNAPSHOT_NOT_FOUND');
    });

    it('removes orphan files only past the minimum age, with a dry run', async () => {
      const { t } = await table();
      await t.newAppend().appendFile(await writeDataFile(t, [{ id: 1n }])).commit();
      const stray = t.io.key('data/stray.parquet');
      await t.io.store.put(stray, new Uint8Array([1, 2, 3]));
      expect((await removeOrphanFiles(t)).orphans).toEqual([]);
      const dry = await removeOrphanFiles(t, { olderThan: Date.now() + 60_000, dryRun: true });
      expect(dry.orphans).toEqual([stray]);
      expect(await t.io.store.head(stray)).toBeDefined();
      const real = await removeOrphanFiles(t, { olderThan: Date.now() + 60_000, forceUnsafeAge: true });
      expect(real.metrics.orphanBytes).toBe(3);
      expect(await t.io.store.head(stray)).toBeUndefined();
      expect((await readRows(t)).length).toBe(1);
    });
  });
}
