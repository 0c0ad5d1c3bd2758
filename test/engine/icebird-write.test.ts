/**
 * Interop: a table the engine writes (CTAS partitioned by month(d), bucket(8, id), then an
 * INSERT OVERWRITE of one month) reads back in icebird — an independent Iceberg reader — with
 * the same rows as the engine returns, at both snapshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { icebergRead } from 'icebird';
import { Warehouse } from 'lakehouse-engine/catalog';
import { Engine, MemoryTableSource } from 'lakehouse-engine/engine';
import { backends } from '../helpers/backends.js';
import { withFileFetch } from '../helpers/file-fetch.js';
import { canon, salesBatch } from './catalog-helpers.js';

// icebird reads over fetch: the local backend is the one a test can serve.
for (const backend of backends().filter((b) => b.name === 'local')) {
  describe('icebird reads the tables the engine writes', () => {
    let engine: Engine;
    let uri: string;

    beforeAll(async () => {
      uri = await backend.freshUri('eng-icebird');
      engine = await Engine.open({ warehouse: uri, threads: 2 });
      engine.registerTable('tmp.src', new MemoryTableSource([salesBatch(800, 0), salesBatch(800, 800)]));
    });

    afterAll(async () => {
      await engine?.close();
      await backend.cleanup();
    });

    it('CTAS partitioned by month(d), bucket(8, id) and an INSERT OVERWRITE read the same in icebird', async () => {
      await engine.run('CREATE TABLE mart.ice PARTITIONED BY (month(d), bucket(8, id)) AS SELECT id, d, region, amount FROM tmp.src');
      await engine.run("INSERT OVERWRITE mart.ice SELECT id, d, upper(region) AS region, amount + 1 AS amount FROM tmp.src WHERE d >= DATE '2024-02-01' AND d < DATE '2024-03-01'");
      const wh = await Warehouse.open(uri);
      const t = await wh.loadTable('mart.ice');
      const versions = [t.version - 1, t.version];
      const snapshots = [t.history()[1]!, t.history()[0]!];
      for (let i = 0; i < 2; i++) {
        const ours = canon(await engine.sql(`SELECT id, d, region, amount FROM mart.ice VERSION AS OF ${snapshots[i]!['snapshot-id']}`).toArray());
        const theirs = await withFileFetch(() => icebergRead({ tableUrl: t.location, metadataFileName: `v${versions[i]}.metadata.json` }));
        const norm = (theirs as Array<Record<string, unknown>>).map((r) => ({
          ...r,
          d: typeof r['d'] === 'number' ? new Date((r['d'] as number) * 86_400_000) : r['d'],
        }));
        expect(canon(norm)).toEqual(ours);
        expect(ours.length).toBe(1600);
      }
      await wh.close();
    });
  });
}
