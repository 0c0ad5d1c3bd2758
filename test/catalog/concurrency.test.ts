import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { Warehouse, readManifestEntries, readSnapshotManifests, removeOrphanFiles } from 'lakehouse-engine/catalog';
import { backends } from '../helpers/backends.js';
import { readRows, writeDataFile } from './util.js';
import { runJsonWorker } from '../helpers/json-worker.js';

const WORKER = fileURLToPath(new URL('./append-worker.mjs', import.meta.url));
const WRITERS = 8;
const APPENDS = 25;

const runWorker = (args: object): Promise<{ worker: number; attempts: number[]; ms: number }> => runJsonWorker(WORKER, args);

// Memory stores are per process, so the multi-process race runs on local disk and S3.
for (const backend of backends().filter((b) => b.name !== 'memory')) {
  describe(`concurrent commits on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it(`${WRITERS} processes x ${APPENDS} appends: one linear history, every row exactly once`, async () => {
      const uri = await backend.freshUri('cat-race');
      const wh = await Warehouse.open(uri);
      await wh.createNamespace('db');
      await wh.createTable('db.race', [
        { name: 'id', type: 'long', required: true },
        { name: 'writer', type: 'int' },
        { name: 'seq', type: 'int' },
      ]);
      const results = await Promise.all(Array.from({ length: WRITERS }, (_, w) => runWorker({ uri, table: 'db.race', worker: w, count: APPENDS })));
      const t = await wh.loadTable('db.race');
      const history = t.history();
      expect(history.length).toBe(WRITERS * APPENDS);
      expect(t.snapshots().length).toBe(WRITERS * APPENDS);
      expect(history.every((s) => s.summary.operation === 'append')).toBe(true);
      // Linear: sequence numbers 200..1 along the parent chain, no gaps, no forks.
      expect(history.map((s) => s['sequence-number'])).toEqual(Array.from({ length: WRITERS * APPENDS }, (_, i) => WRITERS * APPENDS - i));
      expect(t.version).toBe(WRITERS * APPENDS + 1);
      const runIds = new Set(history.map((s) => s.summary['lake.run-id']));
      expect(runIds.size).toBe(WRITERS * APPENDS);
      const rows = await readRows(t);
      expect(rows.length).toBe(WRITERS * APPENDS * 2);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      for (let w = 0; w < WRITERS; w++) expect(rows.filter((r) => r.writer === w).length).toBe(APPENDS * 2);
      expect(t.currentSnapshot()!.summary['total-records']).toBe(String(rows.length));
      const allAttempts = results.flatMap((r) => r.attempts);
      console.log(
        `[${backend.name}] ${WRITERS}x${APPENDS} appends: attempts/commit mean ${(allAttempts.reduce((a, b) => a + b, 0) / allAttempts.length).toFixed(2)}, ` +
          `max ${Math.max(...allAttempts)}, slowest writer ${Math.max(...results.map((r) => r.ms))} ms`,
      );
      // Lost attempts cleaned up after themselves: nothing under the table is unreachable.
      const orphans = await removeOrphanFiles(t, { olderThan: Date.now() + 60_000, dryRun: true });
      expect(orphans.orphans).toEqual([]);
      const manifests = await readSnapshotManifests(t.io, t.currentSnapshot()!);
      expect(manifests.length).toBeLessThanOrEqual(101);
      let files = 0;
      for (const m of manifests) files += (await readManifestEntries(t.io, t.metadata, m)).length;
      expect(files).toBe(WRITERS * APPENDS);
    }, 180_000);

    it('a replace racing appends commits; a replace whose input was replaced concurrently conflicts', async () => {
      const uri = await backend.freshUri('cat-replace');
      const wh = await Warehouse.open(uri);
      await wh.createNamespace('db');
      const t = await wh.createTable('db.r', [{ name: 'id', type: 'long', required: true }]);
      const a = await writeDataFile(t, [{ id: 1n }]);
      const b = await writeDataFile(t, [{ id: 2n }]);
      await t.newAppend().appendFile(a).appendFile(b).commit();
      // Writer 1 plans a compaction of a+b from this state; meanwhile another process appends.
      const compactor = await wh.loadTable('db.r');
      const other = await wh.loadTable('db.r');
      await other.newAppend().appendFile(await writeDataFile(other, [{ id: 3n }])).commit();
      const ab = await writeDataFile(compactor, [{ id: 1n }, { id: 2n }]);
      const res = await compactor.newReplace().deleteFile(a).deleteFile(b).addFile(ab).commit();
      expect(res.stats.attempts).toBe(2);
      expect((await readRows(await wh.loadTable('db.r'))).map((r) => r.id).sort()).toEqual([1, 2, 3]);

      // Two compactions of the same input: the second loses with COMMIT_CONFLICT and cleans up.
      const c1 = await wh.loadTable('db.r');
      const c2 = await wh.loadTable('db.r');
      const x1 = await writeDataFile(c1, [{ id: 1n }, { id: 2n }]);
      const x2 = await writeDataFile(c2, [{ id: 1n }, { id: 2n }]);
      await c1.newReplace().deleteFile(ab).addFile(x1).commit();
      const before = await listMetadata(c2);
      let code: string | undefined;
      try {
        await c2.newReplace().deleteFile(ab).addFile(x2).commit();
      } catch (err) {
        code = isLakehouseError(err) ? err.code : String(err);
      }
      expect(code).toBe('COMMIT_CONFLICT');
      // Its manifests and manifest lists were deleted: metadata/ holds only what was there.
      expect(await listMetadata(c2)).toEqual(before);
      expect((await readRows(await wh.loadTable('db.r'))).map((r) => r.id).sort()).toEqual([1, 2, 3]);
    });
  });
}

async function listMetadata(t: { io: { store: { list(p: string): AsyncIterable<{ key: string }> }; key(r: string): string } }): Promise<string[]> {
  const out: string[] = [];
  for await (const o of t.io.store.list(t.io.key('metadata/'))) if (!o.key.endsWith('.metadata.json') && !o.key.endsWith('version-hint.text')) out.push(o.key);
  return out.sort();
}
