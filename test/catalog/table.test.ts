import { afterAll, describe, expect, it } from 'vitest';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { Warehouse, where, readManifestList, type Table } from 'lakehouse-engine/catalog';
import { backends } from '../helpers/backends.js';
import { readRows, sortBy, writeDataFile } from './util.js';

const SCHEMA = [
  { name: 'id', type: 'long' as const, required: true },
  { name: 'name', type: 'string' as const },
  { name: 'day', type: 'date' as const },
  { name: 'score', type: 'int' as const },
];

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isLakehouseError(err) ? err.code : String(err);
  }
}

for (const backend of backends()) {
  describe(`catalog tables on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    async function fresh(): Promise<Warehouse> {
      const wh = await Warehouse.open(await backend.freshUri('cat-table'));
      await wh.createNamespace('db');
      return wh;
    }

    it('creates, lists, loads and drops with the documented errors', async () => {
      const wh = await fresh();
      expect(await codeOf(wh.createNamespace('db'))).toBe('NAMESPACE_EXISTS');
      expect(await codeOf(wh.loadTable('db.nope'))).toBe('TABLE_NOT_FOUND');
      expect(await codeOf(wh.createTable('db.../x', SCHEMA))).toBe('INVALID_IDENTIFIER');
      expect(await codeOf(wh.createTable({ namespace: 'db', name: 'a/b' }, SCHEMA))).toBe('INVALID_IDENTIFIER');
      expect(await codeOf(wh.createTable('nons.t', SCHEMA))).toBe('NAMESPACE_NOT_FOUND');
      const t = await wh.createTable('db.events', SCHEMA);
      expect(t.version).toBe(1);
      expect(await codeOf(wh.createTable('db.events', SCHEMA))).toBe('TABLE_EXISTS');
      expect(await wh.listTables('db')).toEqual(['events']);
      expect(await wh.listNamespaces()).toEqual(['db']);
      expect(await codeOf(wh.dropNamespace('db'))).toBe('NAMESPACE_NOT_EMPTY');
      await wh.dropTable('db.events', { purge: true });
      expect(await wh.listTables('db')).toEqual([]);
      await wh.dropNamespace('db');
      expect(await wh.listNamespaces()).toEqual([]);
    });

    it('appends, reads back, time-travels and records provenance', async () => {
      const wh = await fresh();
      const t = await wh.createTable('db.t', SCHEMA);
      const r1 = [{ id: 1n, name: 'a', day: 19000, score: 5 }, { id: 2n, name: 'b', day: 19001, score: null }];
      const r2 = [{ id: 3n, name: 'c', day: 19002, score: 7 }];
      const s1 = (await t.newAppend().appendFile(await writeDataFile(t, r1)).withProvenance({ runId: 'run-1', jobName: 'load' }).commit()).snapshot;
      const s2 = (await t.newAppend().appendFile(await writeDataFile(t, r2)).withProvenance({ runId: 'run-2', inputSnapshotIds: [s1['snapshot-id']] }).commit()).snapshot;
      expect(s2['parent-snapshot-id']).toBe(s1['snapshot-id']);
      expect(s2['sequence-number']).toBe(2);
      expect(s2.summary['total-records']).toBe('3');
      expect(s2.summary['lake.input-snapshot-ids']).toBe(String(s1['snapshot-id']));
      const again = await wh.loadTable('db.t');
      expect(again.version).toBe(3);
      expect(sortBy(await readRows(again), 'id').map((r) => r.id)).toEqual([1, 2, 3]);
      expect((await readRows(again, { snapshotId: s1['snapshot-id'] })).length).toBe(2);
      expect((await readRows(again, { asOfTimestampMs: s1['timestamp-ms'] })).length).toBe(2);
      expect(again.findRun('run-1')?.['snapshot-id']).toBe(s1['snapshot-id']);
      expect(again.findRun('run-9')).toBeUndefined();
      // Pruning by column bounds: only the file holding id 3 is planned.
      const plan = await again.scan({ filter: where.eq('id', 3) });
      expect(plan.tasks.length).toBe(1);
      expect(plan.metrics.dataFilesSkipped).toBe(1);
    });

    it('partitions by bucket and day, prunes partitions, keeps a null partition', async () => {
      const wh = await fresh();
      const t = await wh.createTable('db.p', SCHEMA, { partitionBy: [{ column: 'id', transform: 'bucket[4]' }, { column: 'day', transform: 'day' }] });
      const rows = [
        { id: 1n, name: 'a', day: 19000, score: 1 },
        { id: 2n, name: 'b', day: 19001, score: 2 },
        { id: 3n, name: 'c', day: null, score: 3 },
      ];
      for (const r of rows) await t.newAppend().appendFile(await writeDataFile(t, [r])).commit();
      expect(sortBy(await readRows(t), 'id').map((r) => r.id)).toEqual([1, 2, 3]);
      const plan = await t.scan({ filter: where.eq('day', 19001) });
      expect(plan.tasks.map((x) => x.file.partition[1])).toEqual([19001]);
      const nulls = await t.scan({ filter: where.isNull('day') });
      expect(nulls.tasks.length).toBe(1);
      // Data files live in Hive-style partition directories.
      expect(plan.tasks[0]!.key).toMatch(/data\/id_bucket=\d\/day_day=2022-01-09\//);
    });

    it('evolves the schema by field id (rename, add, widen, drop)', async () => {
      const wh = await fresh();
      const t = await wh.createTable('db.s', SCHEMA);
      await t.newAppend().appendFile(await writeDataFile(t, [{ id: 1n, name: 'x', day: 1, score: 9 }])).commit();
      await t.updateSchema([
        { kind: 'rename-column', name: 'name', newName: 'label' },
        { kind: 'add-column', name: 'extra', type: 'string' },
        { kind: 'widen-column', name: 'score', type: 'long' },
        { kind: 'drop-column', name: 'day' },
      ]);
      await t.newAppend().appendFile(await writeDataFile(t, [{ id: 2n, label: 'y', score: 10n, extra: 'e' }])).commit();
      const rows = sortBy(await readRows(await wh.loadTable('db.s')), 'id');
      expect(rows).toEqual([
        { id: 1, label: 'x', score: 9, extra: null },
        { id: 2, label: 'y', score: 10, extra: 'e' },
      ]);
      expect(await codeOf(t.updateSchema([{ kind: 'widen-column', name: 'label', type: 'int' }]))).toBe('INVALID_ARGUMENT');
    });

    it('overwrites partitions, replaces files, deletes files', async () => {
      const wh = await fresh();
      const t = await wh.createTable('db.o', SCHEMA, { partitionBy: [{ column: 'day' }] });
      const a = await writeDataFile(t, [{ id: 1n, name: 'a', day: 1, score: 1 }]);
      const b = await writeDataFile(t, [{ id: 2n, name: 'b', day: 2, score: 2 }]);
      await t.newAppend().appendFile(a).appendFile(b).commit();
      const a2 = await writeDataFile(t, [{ id: 10n, name: 'a2', day: 1, score: 1 }, { id: 11n, name: 'a3', day: 1, score: 1 }]);
      const ow = await t.newOverwrite().addFile(a2).overwritePartitions().commit();
      expect(ow.snapshot.summary.operation).toBe('overwrite');
      expect(ow.snapshot.summary['deleted-data-files']).toBe('1');
      expect(sortBy(await readRows(t), 'id').map((r) => r.id)).toEqual([2, 10, 11]);
      const merged = await writeDataFile(t, [{ id: 10n, name: 'a2', day: 1, score: 1 }, { id: 11n, name: 'a3', day: 1, score: 1 }]);
      const rp = await t.newReplace().deleteFile(a2).addFile(merged).commit();
      expect(rp.snapshot.summary['total-records']).toBe('3');
      await t.newDelete().deleteFile(b).commit();
      expect(sortBy(await readRows(t), 'id').map((r) => r.id)).toEqual([10, 11]);
      // Removing a file that is no longer live is a conflict.
      expect(await codeOf(t.newDelete().deleteFile(b).commit())).toBe('COMMIT_CONFLICT');
      expect(t.currentSnapshot()!.summary['total-data-files']).toBe('1');
    });

    it('merges manifests so scans read few of them', async () => {
      const wh = await fresh();
      const t = await wh.createTable('db.m', SCHEMA, { properties: { 'commit.manifest.min-count-to-merge': '4' } });
      for (let i = 0; i < 10; i++) await t.newAppend().appendFile(await writeDataFile(t, [{ id: BigInt(i), name: 'n', day: 1, score: i }])).commit();
      const list = readManifestList(await t.io.store.get(t.io.keyFor(t.currentSnapshot()!['manifest-list'])), 'list');
      expect(list.length).toBeLessThan(4);
      expect(list.reduce((a, m) => a + m.addedFilesCount + m.existingFilesCount, 0)).toBe(10);
      expect((await readRows(t)).length).toBe(10);
    });

    it('never loses a commit to a stale, missing or garbled version hint', async () => {
      const wh = await fresh();
      const t = await wh.createTable('db.h', SCHEMA);
      for (let i = 0; i < 3; i++) await t.newAppend().appendFile(await writeDataFile(t, [{ id: BigInt(i), name: 'n', day: 1, score: i }])).commit();
      const hintKey = t.io.key('metadata/version-hint.text');
      await t.io.store.put(hintKey, new TextEncoder().encode('2'));
      expect((await wh.loadTable('db.h')).version).toBe(4);
      await t.io.store.delete(hintKey);
      expect((await wh.loadTable('db.h')).version).toBe(4);
      await t.io.store.put(hintKey, new TextEncoder().encode('garbage'));
      expect((await wh.loadTable('db.h')).version).toBe(4);
      await t.io.store.put(hintKey, new TextEncoder().encode('9'));
      const stale = await wh.loadTable('db.h');
      expect(stale.version).toBe(4);
      // A writer holding an old state still commits on top of the newest version.
      const old: Table = await wh.loadTable('db.h');
      await t.newAppend().appendFile(await writeDataFile(t, [{ id: 9n, name: 'n', day: 1, score: 9 }])).commit();
      await old.newAppend().appendFile(await writeDataFile(old, [{ id: 10n, name: 'n', day: 1, score: 10 }])).commit();
      expect(old.version).toBe(6);
      expect((await readRows(await wh.loadTable('db.h'))).length).toBe(5);
    });
  });
}
