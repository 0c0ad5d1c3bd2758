/**
 * A decimal table adopted from Spark (the shared fixture `spark/rename_column`: `price
 * decimal(10, 2)` in Spark's spelling, partitioned by bucket[4](id) and the date) can be written
 * to and compacted, and every value stays exact: DuckDB reading the table's live files is the
 * oracle, icebird (an independent Iceberg reader) sees the same rows.
 *
 * The appends go through the write path's own functions (resolveTarget → mapColumns →
 * partitionPlans → runSink → one catalog commit), the same ones a staged SQL write calls, and
 * end to end: INSERT INTO … SELECT through the engine's SQL, then `compact`.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
  async function append(output: Array<{ name: string; type: string; nullable: boolean }>, chunk: Row, runId: string, name = 'spark.price', create?: { partitionBy: string[] }): Promise<Table> {
    const target = await resolveTarget(wh, name, output as never, create);
    const sources = mapColumns(output as never, target);
    const files = await runSink({
      store: target.storeUri, dataPrefix: target.dataPrefix, runId, taskId: 't0', schema: target.schema, sources, outputTypes: output.map((f) => f.type),
      spec: target.spec, partitionFields: partitionPlans(target, sources), targetFileSize: target.targetFileSize, bufferBytes: 1 << 28,
    } as never, (async function* () { yield chunk; })() as never);
    // CREATE TABLE … AS creates the table at commit from the target's fields (as stage.ts does).
    const table = (target.table ?? await wh.createTable(name, target.create.fields, { partitionBy: target.create.partitionBy })) as Table;
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

  it('INSERT INTO through SQL and compaction through the engine keep every value and the type', async () => {
    const engine = await Engine.open({ warehouse: root });
    try {
      const t0 = await wh.loadTable('spark.price');
      // The read path hands decimal(10,2) over as decimal(10,2) (never as doubles).
      expect(CatalogTableSource.open('spark.price', t0).schema.find((f) => f.name === 'price')!.type).toBe('decimal(10,2)');
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
      const inserted = await duckRows(await wh.loadTable('spark.price'));
      expect(inserted).toContain(JSON.stringify([21, 'Bigwig', '2022-04-19', '-0.05', false]));
      expect(inserted).toContain(JSON.stringify([20, 'Kehaar', '2022-04-18', '12.34', true]));

      // A decimal(12,3) query column is refused; the CAST the error suggests makes the INSERT work.
      const insert = (price: string): Promise<unknown> => engine.run(`INSERT INTO spark.price SELECT 30 AS id, 'Holly' AS name, DATE '2022-05-01' AS event_date, ${price}, true AS active`);
      const err = await insert('CAST(1.255 AS DECIMAL(12,3)) AS price').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SCHEMA_MISMATCH' });
      const suggested = /CAST\(price AS [^)]*\)\)/.exec((err as { help: string }).help)![0];
      expect(suggested).toBe('CAST(price AS DECIMAL(10,2))');
      await insert(`${suggested.replace('CAST(price', 'CAST(CAST(1.255 AS DECIMAL(12,3))')} AS price`);
      // long → int is checked per value: 2^31 does not fit `id`, and nothing is committed or left.
      const files = (): number => readdirSync(tableDir, { recursive: true }).filter((p) => String(p).endsWith('.parquet')).length;
      const fileCount = files();
      const big = await engine.run(`INSERT INTO spark.price SELECT CAST(2147483648 AS BIGINT) AS id, 'Big' AS name, DATE '2022-05-02' AS event_date, CAST(1 AS DECIMAL(10,2)) AS price, false AS active`).catch((e: unknown) => e);
      expect(big).toMatchObject({ code: 'OUT_OF_RANGE' });
      expect(files()).toBe(fileCount);
      const before = await duckRows(await wh.loadTable('spark.price'));
      expect(before).toContain(JSON.stringify([30, 'Holly', '2022-05-01', '1.26', true]));
      expect(before).toHaveLength(13);

      const res = await engine.compact('spark.price', { minInputFiles: 1 });
      expect(res.snapshotIds).toHaveLength(1);
      // Every file is its own partition (bucket × date) here, so each one is rewritten.
      expect(res.metrics.filesRewritten).toBeGreaterThan(5);
      const t = await wh.loadTable('spark.price');
      expect(await duckRows(t)).toEqual(before);
      expect(await icebirdRows(t)).toEqual(before);
      expect(t.schema().fields.find((f) => f.name === 'price')!.type).toBe('decimal(10, 2)');

      // CTAS of a decimal sum: decimal(38,2) column, partitioned by truncate of it; DuckDB's sum is the oracle.
      await engine.run(`CREATE TABLE spark.totals PARTITIONED BY (truncate(100000, total)) AS
        SELECT active, sum(price) AS total, count(*) AS n FROM spark.price GROUP BY active`);
      const totals = await wh.loadTable('spark.totals');
      expect(totals.schema().fields.map((f) => [f.name, f.type])).toEqual([['active', 'boolean'], ['total', 'decimal(38,2)'], ['n', 'long']]);
      const live = (await planScan(t.state)).tasks.map((x) => `'${local(x.file.filePath)}'`).join(', ');
      const want = (await con.runAndReadAll(`SELECT active, sum(price)::VARCHAR total, count(*)::VARCHAR n FROM read_parquet([${live}], hive_partitioning = false) GROUP BY active ORDER BY active`)).getRowObjectsJson();
      const ours = (await planScan(totals.state)).tasks.map((x) => `'${local(x.file.filePath)}'`).join(', ');
      const got = (await con.runAndReadAll(`SELECT active, total::VARCHAR total, n::VARCHAR n, typeof(total) ty FROM read_parquet([${ours}], hive_partitioning = false) ORDER BY active`)).getRowObjectsJson();
      expect(got).toEqual(want.map((r) => ({ ...r, ty: 'DECIMAL(38,2)' })));
    } finally {
      await engine.close();
    }
  });

  it('CREATE TABLE … AS of decimal(38,2) values beyond 2^53, partitioned by bucket and truncate of the decimal', async () => {
    await wh.createNamespace('mart');
    const output = [{ name: 'id', type: 'int64', nullable: true }, { name: 'amount', type: 'decimal(38,2)', nullable: true }];
    const amounts = [10n ** 38n - 1n, -(10n ** 38n - 1n), 123456789012345678901234567890n, -1n, 0n, 999n, 1000n, -1001n];
    const c = {
      length: amounts.length,
      cols: [
        { t: 'big', type: 'int64', values: amounts.map((_, i) => 2n ** 62n + BigInt(i)), valid: null },
        { t: 'big', type: 'decimal(38,2)', values: amounts, valid: null },
      ],
    };
    const t = await append(output, c, 'ctas1', 'mart.money', { partitionBy: ['bucket(4, amount)', 'truncate(1000, amount)'] });
    expect(t.schema().fields.map((f) => [f.name, f.type])).toEqual([['id', 'long'], ['amount', 'decimal(38,2)']]);
    expect(t.spec().fields.map((f) => f.transform)).toEqual(['bucket[4]', 'truncate[1000]']);
    const plan = await planScan(t.state);
    const got: Row[] = [];
    for (const task of plan.tasks) {
      const rows = (await con.runAndReadAll(`SELECT id::VARCHAR id, amount::VARCHAR amount, typeof(amount) ty FROM read_parquet('${local(task.file.filePath)}')`)).getRowObjectsJson() as Row[];
      for (const r of rows) {
        expect(r['ty']).toBe('DECIMAL(38,2)');
        const u = BigInt(String(r['amount']).replace('.', ''));
        expect(String(task.file.partition[0])).toBe(String(applyTransform(parseTransform('bucket[4]'), 'decimal(38,2)', u)));
        expect(String(task.file.partition[1])).toBe(String(applyTransform(parseTransform('truncate[1000]'), 'decimal(38,2)', u)));
        got.push(r);
      }
    }
    const fmt = (x: bigint): string => { const a = (x < 0n ? -x : x).toString().padStart(3, '0'); return `${x < 0n ? '-' : ''}${a.slice(0, -2)}.${a.slice(-2)}`; };
    expect(got.map((r) => `${r['id']} ${r['amount']}`).sort()).toEqual(amounts.map((a, i) => `${2n ** 62n + BigInt(i)} ${fmt(a)}`).sort());
  });
});
