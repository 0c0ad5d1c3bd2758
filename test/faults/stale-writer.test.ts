/**
 * Found by the randomized fault test (seed 12): a writer whose Table object still holds a
 * snapshot that maintenance (in another process) has since expired can never commit again —
 * every append and overwrite fails with NOT_FOUND on the expired snapshot's manifest list: the
 * first attempt builds on the stale in-memory base, and an attempt's error is not a reason to
 * reload. The contract (catalog/commit.ts; test/catalog/table.test.ts "a writer holding an old
 * state still commits on top of the newest version") is that a stale writer commits on top of
 * the newest version. The other writer and the expiry run in a child process: in one process
 * the manifest-list cache would still serve the deleted list and hide the bug.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Warehouse } from 'lakehouse-engine/catalog';
import { backends } from '../helpers/backends.js';
import { readRows, writeDataFile } from '../catalog/util.js';
import { runJsonWorker } from '../helpers/json-worker.js';

const WORKER = fileURLToPath(new URL('./advance-expire-worker.mjs', import.meta.url));

const runWorker = (args: object): Promise<{ expired: string[]; deleted: number }> => runJsonWorker(WORKER, args);

for (const backend of backends().filter((b) => b.name !== 'memory')) {
  describe(`a stale writer after another process expired its base snapshot (${backend.name})`, () => {
    it('commits on top of the newest version', { timeout: 60_000 }, async () => {
      const uri = await backend.freshUri('stale-writer');
      const wh = await Warehouse.open(uri);
      await wh.createNamespace('db');
      const t = await wh.createTable('db.t', [{ name: 'id', type: 'long', required: true }]);
      await t.newAppend().appendFile(await writeDataFile(t, [{ id: 0n }])).commit();
      const stale = await wh.loadTable('db.t');
      const base = String(stale.currentSnapshot()!['snapshot-id']);
      const r = await runWorker({ uri, ident: 'db.t', appends: 3 });
      expect(r.expired).toContain(base);

      const res = await stale.newAppend().appendFile(await writeDataFile(stale, [{ id: 10n }])).withProvenance({ commitId: 'stale-writer-append-1' }).commit();
      expect(res.snapshot['sequence-number']).toBe(5);
      const ids = (await readRows(await wh.loadTable('db.t'))).map((row) => Number(row['id'])).sort((a, b) => a - b);
      expect(ids).toEqual([0, 1, 2, 3, 10]);
      await wh.close();
    });
  });
}
