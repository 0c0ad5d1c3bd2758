/**
 * Interop: tables this project writes are read by icebird (an independent Iceberg reader, over
 * fetch) with the same rows as our reader, after appends, an overwrite, a rollback and expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { icebergRead } from 'icebird';
import { Warehouse, expireSnapshots, rollbackTo, type Table } from 'lakehouse-engine/catalog';
import { backends } from '../helpers/backends.js';
import { installFileFetch } from '../helpers/file-fetch.js';
import { readRows, writeDataFile } from './util.js';

function norm(rows: Array<Record<string, unknown>>): string[] {
  return rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v ?? null])))).sort();
}

async function viaIcebird(t: Table): Promise<string[]> {
  const rows = await icebergRead({ tableUrl: t.location, metadataFileName: `v${t.version}.metadata.json` });
  return norm(rows as Array<Record<string, unknown>>);
}

// icebird reads through fetch, so the local backend is the one it can reach in a test.
for (const backend of backends().filter((b) => b.name === 'local')) {
  describe('icebird reads the tables we write', () => {
    let restoreFetch: () => void = () => undefined;
    beforeAll(() => {
      restoreFetch = installFileFetch();
    });
    afterAll(async () => {
      restoreFetch();
      await backend.cleanup();
    });

    for (const partitioned of [false, true]) {
      it(`${partitioned ? 'partitioned' : 'unpartitioned'}: same rows after appends, overwrite, rollback, expiry`, async () => {
        const wh = await Warehouse.open(await backend.freshUri('cat-icebird'));
        await wh.createNamespace('db');
        const t = await wh.createTable(
          'db.i',
          [
            { name: 'id', type: 'long', required: true },
            { name: 'name', type: 'string' },
            { name: 'score', type: 'int' },
          ],
          partitioned ? { partitionBy: [{ column: 'id', transform: 'bucket[3]' }, { column: 'name' }] } : {},
        );
        const check = async (): Promise<number> => {
          const ours = norm(await readRows(t));
          expect(await viaIcebird(t)).toEqual(ours);
          return ours.length;
        };
        const files = [];
        for (let i = 0; i < 3; i++) {
          const f = await writeDataFile(t, [{ id: BigInt(i * 2), name: `n${i}`, score: i }, { id: BigInt(i * 2 + 1), name: `n${i}`, score: null }]);
          files.push(f);
          await t.newAppend().appendFile(f).commit();
        }
        expect(await check()).toBe(6);
        const keep = t.currentSnapshot()!['snapshot-id'];
        await t.newOverwrite().deleteFile(files[0]!).addFile(await writeDataFile(t, [{ id: 100n, name: 'n0', score: 100 }])).commit();
        expect(await check()).toBe(5);
        await rollbackTo(t, keep);
        expect(await check()).toBe(6);
        await t.newAppend().appendFile(await writeDataFile(t, [{ id: 200n, name: 'n9', score: 9 }])).commit();
        const res = await expireSnapshots(t, { olderThan: Date.now() + 1000, retainLast: 1 });
        expect(res.metrics.expiredSnapshots).toBe(4);
        expect(await check()).toBe(7);
      });
    }
  });
}
