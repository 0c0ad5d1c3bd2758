/**
 * A decimal table adopted from Spark (the shared fixture `spark/rename_column`: `price
 * decimal(10, 2)` in Spark's spelling, partitioned by bucket[4](id) and the date) can be written
 * to and compacted, and every value stays exact: DuckDB reading the table's live files is the
 * oracle, icebird (an independent Iceberg reader) sees the same rows.
 *
 * The appends go through the write path's own functions (resolveTarget → mapColumns →
 * partitionPlans → runSink → one catalog commit), the same ones a staged SQL write calls. The
 * end-to-end case (INSERT INTO … and `compact` through the engine) needs the read path to hand
 * decimals over as decimals; it runs as soon as the engine does (checked, not assumed).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { icebergRead } from 'icebird';
import { applyTransform, parseTransform, partitionType, planScan, Warehouse, type Table } from 'lakehouse-engine/catalog';
import { decodeSingleValue } from 'lakehouse-engine/connectors';
import { CatalogTableSource, Engine, MemoryTableSource } from 'lakehouse-engine/engine';
import { fileFetch } from '../helpers/file-fetch.js';
import { haveFixtures, icebergFixture } from '../helpers/fixtures.js';
// Internal modules, through the built files (the package exports only the public entries).
import { partitionValueFromJson } from '../../dist/engine/write/partitioner.js';
import { fromPlainStats, runSink } from '../../dist/engine/write/sink.js';
import { mapColumns, partitionPlans, resolveTarget } from '../../dist/engine/write/target.js';

const SPARK_PREFIX = 's3a://hyperparam-iceberg/spark/rename_column';
const S3_HTTP = 'https://hyperparam-iceberg.s3.amazonaws.com/spark/rename_column';

type Row = Record<string, unknown>;

describe.skipIf(!haveFixtures())('a decimal table adopted from Spark', () => {
  const root = mkdtempSync(join(tmpdir(), 'decimal-table-'));
  // Beside the registration (`spark/price/registration.json`), as a copied table would be.
  const tableDir = join(root, 'spark', 'copied_from_spark');
  const tableUri = pathToFileURL(tableDir).href;
  let wh: Warehouse;
  let db: DuckDBInstance;
  let con: DuckDBConnection;

  beforeAll(async () => {
    cpSync(icebergFixture('spark', 'rename_column'), tableDir, { recursive: true });
    wh = await Warehouse.open(root);
    await wh.createNamespace('spark');
    await wh.registerTable('spark.price', join(tableDir, 'metadata', 'v3.metadata.json'), { pathMapping: { [SPARK_PREFIX]: tableUri } });
    db = await DuckDBInstance.create(':memory:');
    con = await db.connect();
  });
  afterAll(() => {
    con?.closeSync();
    rmSync(root, { recursive: true, force: true });
  });

  const local = (uri: string): string => decodeURIComponent(new URL(uri.startsWith(SPARK_PREFIX) ? tableUri + uri.slice(SPARK_PREFIX.length) : uri).pathname);

  /** The table's live rows as DuckDB reads its live files (price as exact text). */
  async function duckRows(t: Table): Promise<string[]> {
    const plan = await planScan(t.state);
    expect(plan.tasks.every((x) => x.deletes.length === 0)).toBe(true);
    const rows: Row[] = [];
    for (const task of plan.tasks) {
      // Spark's files name the renamed column `date`, ours `event_date` (same field id 3).
      const path = local(task.file.filePath);
      const cols = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}', hive_partitioning = false)`)).getRowObjectsJson().map((r) => String(r['column_name']));
      const d = cols.includes('date') ? '"date"' : 'event_date';
      rows.push(...((await con.runAndReadAll(`SELECT id, name, ${d}::VARCHAR d, price::VARCHAR price, typeof(price) pt, active
        FROM read_parquet('${path}', hive_partitioning = false)`)).getRowObjectsJson() as Row[]));
    }
    for (const r of rows) expect(r['pt']).toBe('DECIMAL(10,2)');
    return rows.map((r) => JSON.stringify([r['id'], r['name'], r['d'], r['price'], r['active']])).sort();
  }

  /** The same rows through icebird (decimals as numbers there: exact at these magnitudes). */
  async function icebirdRows(t: Table): Promise<string[]> {
    const real = globalThis.fetch;
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      return fileFetch(url.startsWith(S3_HTTP) ? tableUri + url.slice(S3_HTTP.length) : url, init);
    }) as typeof fetch;
    try {
      const rows = (await icebergRead({ tableUrl: tableUri, metadataFileName: `v${t.version}.metadata.json` })) as Row[];
      return rows.map((r) => {
        const d = r['event_date'];
        const day = d instanceof Date ? d.toISOString().slice(0, 10) : d ?? null;
        const price = r['price'] === null || r['price'] === undefined ? null : Number(r['price']).toFixed(2);
        return JSON.stringify([Number(r['id']), r['name'], day, price, r['active']]);
      }).sort();
    } finally {
      globalThis.fetch = real;
    }
  }

  /** Appends chunks through the write path's own steps and one catalog commit. */
  async function append(output: Array<{ name: string; type: string; nullable: boolean }>, chunk: Row, runId: string): Promise<Table> {
    const target = await resolveTarget(wh, 'spark.price', output as never, undefined);
    const sources = mapColumns(output as never, target);
    const files = await runSink({
      store: target.storeUri, dataPrefix: target.dataPrefix, runId, taskId: 't0', schema: target.schema, sources, outputTypes: output.map((f) => f.type),
      spec: target.spec, partitionFields: partitionPlans(target, sources), targetFileSize: target.targetFileSize, bufferBytes: 1 << 28,
    } as never, (async function* () { yield chunk; })() as never);
    const table = target.table as Table;
    const ptype = partitionType(target.spec, target.schema);
    const dataFiles = files.map((f: { key: string; stats: never; partition: unknown[] }) => table.dataFile({
      key: f.key, stats: fromPlainStats(f.stats), partition: f.partition.map((v, i) => partitionValueFromJson(ptype.fields[i]!.type, v)),
    }));
    await table.newAppend().addFiles(dataFiles).commit();
    return table.refresh();
  }

  const OUTPUT = [
    { name: 'id', type: 'int32', nullable: true }, { name: 'name', type: 'string', nullable: true }, { name: 'event_date', type: 'date', nullable: true },
    { name: 'price', type: 'decimal(10,2)', nullable: true }, { name: 'active', type: 'boolean', nullable: true },
  ];
  // 99999999.99, -99999999.99, -0.05, 0.01, NULL, 12.50 — the extremes of decimal(10,2).
  const PRICES = [9_999_999_999, -9_999_999_999, -5, 1, 0, 1250];
  const chunk = (): Row => ({
    length: 6,
    cols: [
      { t: 'num', type: 'int32', values: Float64Array.from([10, 11, 12, 13, 14, 15]), valid: null },
      { t: 'str', codes: Int32Array.from([0, 1, 2, 0, 1, 2]), dict: ['Bugs', 'Hazel', 'Fiver'], valid: null },
      { t: 'num', type: 'date', values: Float64Array.from([19000, 19001, 19000, 19002, 19001, 19000]), valid: Uint8Array.from([1, 1, 1, 1, 1, 0]) },
      { t: 'num', type: 'decimal(10,2)', values: Float64Array.from(PRICES), valid: Uint8Array.from([1, 1, 1, 1, 0, 1]) },
      { t: 'bool', values: Uint8Array.from([1, 0, 1, 0, 1, 0]), valid: null },
    ],
  });

  it('takes an INSERT of decimal(10,2) values: DuckDB and icebird read Spark\'s rows and ours exactly', async () => {
    const before = await duckRows(await wh.loadTable('spark.price'));
    expect(before).toHaveLength(4);
    expect(before).toContain(JSON.stringify([4, 'Thumper', '2022-01-02', '99999999.99', false]));
    const t = await append(OUTPUT, chunk(), 'ins1');
    const after = await duckRows(t);
    const ours = [
      [10, 'Bugs', '2022-01-08', '99999999.99', true], [11, 'Hazel', '2022-01-09', '-99999999.99', false], [12, 'Fiver', '2022-01-08', '-0.05', true],
      [13, 'Bugs', '2022-01-10', '0.01', false], [14, 'Hazel', '2022-01-09', null, true], [15, 'Fiver', null, '12.50', false],
    ].map((r) => JSON.stringify(r));
    expect(after).toEqual([...before, ...ours].sort());
    expect(await icebirdRows(t)).toEqual(after);
    // The table's type is untouched (Spark's spelling stays), and our files' decimal bounds are exact.
    expect(t.schema().fields.find((f) => f.name === 'price')!.type).toBe('decimal(10, 2)');
    const plan = await planScan(t.state);
    const mine = plan.tasks.filter((x) => x.file.filePath.includes('/ins1-'));
    expect(mine.length).toBeGreaterThan(1);
    let lo: bigint | undefined;
    let hi: bigint | undefined;
    for (const x of mine) {
      const l = x.file.lowerBounds?.get(4);
      const h = x.file.upperBounds?.get(4);
      if (!l || !h) continue;
      const a = decodeSingleValue('decimal(10, 2)', l) as bigint;
      const b = decodeSingleValue('decimal(10, 2)', h) as bigint;
      lo = lo === undefined || a < lo ? a : lo;
      hi = hi === undefined || b > hi ? b : hi;
      // bucket[4](id) and identity(date), as Iceberg computes them.
      const rows = (await con.runAndReadAll(`SELECT DISTINCT id, (event_date - DATE '1970-01-01')::INTEGER d FROM read_parquet('${local(x.file.filePath)}')`)).getRowObjectsJson() as Row[];
      for (const r of rows) {
        expect(Number(x.file.partition[0])).toBe(applyTransform(parseTransform('bucket[4]'), 'int', Number(r['id'])));
        expect(x.file.partition[1] === null ? null : Number(x.file.partition[1])).toBe(r['d'] === null ? null : Number(r['d']));
      }
    }
    expect([lo, hi]).toEqual([-9_999_999_999n, 9_999_999_999n]);
  });

  it('refuses query types it cannot store, suggesting a CAST to the column\'s type', async () => {
    for (const type of ['decimal(12,3)', 'decimal(11,2)', 'int32', 'float64']) {
      const output = OUTPUT.map((f) => (f.name === 'price' ? { ...f, type } : f));
      const t = await resolveTarget(wh, 'spark.price', output as never, undefined);
      let err: unknown;
      try { mapColumns(output as never, t); } catch (e) { err = e; }
      expect(err).toMatchObject({ code: 'SCHEMA_MISMATCH' });
      expect((err as { help: string }).help).toContain('CAST(price AS DECIMAL(10,2))');
    }
    // Narrower decimals and wide-enough integers are stored as they are.
    for (const type of ['decimal(4,2)', 'decimal(10,2)']) {
      const output = OUTPUT.map((f) => (f.name === 'price' ? { ...f, type } : f));
      expect(mapColumns(output as never, await resolveTarget(wh, 'spark.price', output as never, undefined))).toEqual([0, 1, 2, 3, 4]);
    }
  });

  // End to end through the engine: the read path must hand decimal(10,2) over as decimal(10,2).
  it('INSERT INTO through SQL and compaction through the engine keep every value and the type', async () => {
    const engine = await Engine.open({ warehouse: root });
    try {
      const t0 = await wh.loadTable('spark.price');
      const readsExactly = CatalogTableSource.open('spark.price', t0).schema.find((f) => f.name === 'price')!.type === 'decimal(10,2)';
      if (!readsExactly) {
        // Until then, compaction must refuse rather than rewrite the decimals as doubles.
        await expect(engine.compact('spark.price', { minInputFiles: 1 })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
        expect(await duckRows(await wh.loadTable('spark.price'))).toHaveLength(10);
        return;
      }
      const words = new Uint32Array([1234, 0, 0, 0, 0xfffffffb, 0xffffffff, 0xffffffff, 0xffffffff]);
      const dec = arrow.makeData({ type: new arrow.Decimal(2, 10, 128), length: 2, data: words });
      const fields = [
        new arrow.Field('id', new arrow.Int32()), new arrow.Field('name', new arrow.Utf8()), new arrow.Field('event_date', new arrow.DateDay()),
        new arrow.Field('price', new arrow.Decimal(2, 10, 128)), new arrow.Field('active', new arrow.Bool()),
      ];
      const batch = new arrow.RecordBatch(new arrow.Schema(fields), arrow.makeData({
        type: new arrow.Struct(fields), length: 2, nullCount: 0,
        children: [
          arrow.makeData({ type: new arrow.Int32(), length: 2, data: Int32Array.from([20, 21]) }),
          arrow.vectorFromArray(['Kehaar', 'Bigwig'], new arrow.Utf8()).data[0]!,
          arrow.makeData({ type: new arrow.DateDay(), length: 2, data: Int32Array.from([19100, 19101]) }),
          dec,
          arrow.vectorFromArray([true, false], new arrow.Bool()).data[0]!,
        ],
      }));
      engine.registerTable('tmp.more', new MemoryTableSource([batch]));
      await engine.run('INSERT INTO spark.price SELECT id, name, event_date, price, active FROM tmp.more');
      const before = await duckRows(await wh.loadTable('spark.price'));
      expect(before).toContain(JSON.stringify([21, 'Bigwig', '2022-04-19', '-0.05', false]));
      const res = await engine.compact('spark.price', { minInputFiles: 1 });
      expect(res.snapshotIds).toHaveLength(1);
      const t = await wh.loadTable('spark.price');
      expect(await duckRows(t)).toEqual(before);
      expect(await icebirdRows(t)).toEqual(before);
      expect(t.schema().fields.find((f) => f.name === 'price')!.type).toBe('decimal(10, 2)');
    } finally {
      await engine.close();
    }
  });
});
