/**
 * Issue #14 Build 8 through the public Engine API, on a local warehouse (and S3 for COPY TO and
 * the table functions — mandatory in CI): INSERT with column lists and VALUES (missing columns
 * NULL, required ones an error naming them, count mismatches), TEMP and stored views (a second
 * Engine on the same warehouse sees stored ones; views in joins, subqueries, CTEs and jobs),
 * COPY … TO (Parquet and CSV, atomic: an old file survives a failing COPY, nothing is left by a
 * cancelled one), read_parquet / read_csv / read_json, and scripts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse } from 'lakehouse-engine/catalog';
import { openObjectStore } from 'lakehouse-engine/connectors';
import { Engine, submitJob, type SqlResult } from 'lakehouse-engine';
import { ensureTestBucket, S3_TEST_BUCKET, s3Configured } from '../helpers/backends.js';
import { openOracle } from '../helpers/duckdb-oracle.js';

let dir: string;
let wh: string;
let engine: Engine;

const rows = async (sql: string): Promise<Array<Record<string, unknown>>> => engine.sql(sql).toArray();
const run = (sql: string): Promise<SqlResult> => engine.run(sql);
const failure = async (p: Promise<unknown>): Promise<{ code?: string; message: string; details?: Record<string, unknown> }> => {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a failure');
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-statements-'));
  wh = join(dir, 'wh');
  const w = await Warehouse.open(wh);
  await w.createNamespace('s');
  await w.createTable('s.t', [
    { name: 'id', type: 'long', required: true },
    { name: 'name', type: 'string' },
    { name: 'amt', type: 'decimal(10,2)' },
    { name: 'd', type: 'date' },
    { name: 'x', type: 'double' },
  ]);
  await w.close();
  engine = await Engine.open({ warehouse: wh, threads: 2 });
}, 60_000);

afterAll(async () => {
  await engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('INSERT with column lists and VALUES', () => {
  it('listed columns take the values, the others are NULL; VALUES literals are assigned exactly', async () => {
    const a = await run("INSERT INTO s.t (name, id) VALUES ('a', 1), (NULL, 2)");
    expect(a).toMatchObject({ kind: 'write', statement: 'INSERT INTO', rowsWritten: 2 });
    await run("INSERT INTO s.t VALUES (3, 'c', 5, '2024-01-02', 1.5), (4, 'd', -0.25, NULL, 2)");
    await run('INSERT INTO s.t (id, amt) SELECT 10, 12345678.91');
    expect(await rows('SELECT id, name, CAST(amt AS VARCHAR) AS amt, d, x FROM s.t ORDER BY id')).toEqual([
      { id: 1, name: 'a', amt: null, d: null, x: null },
      { id: 2, name: null, amt: null, d: null, x: null },
      { id: 3, name: 'c', amt: '5.00', d: new Date('2024-01-02T00:00:00Z'), x: 1.5 },
      { id: 4, name: 'd', amt: '-0.25', d: null, x: 2 },
      { id: 10, name: null, amt: '12345678.91', d: null, x: null },
    ]);
  });

  it('a required column left out of the list is an error naming it; nothing is written', async () => {
    const before = (await rows('SELECT count(*) AS n FROM s.t'))[0]!['n'];
    const e = await failure(run("INSERT INTO s.t (name, x) VALUES ('z', 1)"));
    expect(e.code).toBe('SCHEMA_MISMATCH');
    expect(e.message).toMatch(/column "id" is required/);
    expect(e.details?.['column']).toBe('id');
    expect((await rows('SELECT count(*) AS n FROM s.t'))[0]!['n']).toBe(before);
  });

  it('column-count mismatches, unknown and repeated columns are coded errors', async () => {
    expect(await failure(run("INSERT INTO s.t (id, name) VALUES (1, 'a', 3)"))).toMatchObject({ code: 'SCHEMA_MISMATCH', message: expect.stringMatching(/3 values per row, the column list names 2/) });
    expect(await failure(run('INSERT INTO s.t (id, name) SELECT 1'))).toMatchObject({ code: 'SCHEMA_MISMATCH' });
    expect(await failure(run('INSERT INTO s.t VALUES (1, 2)'))).toMatchObject({ code: 'SCHEMA_MISMATCH', message: expect.stringMatching(/the table has 5 columns/) });
    expect(await failure(run('INSERT INTO s.t (id, nope) VALUES (1, 2)'))).toMatchObject({ code: 'SCHEMA_MISMATCH', message: expect.stringMatching(/"nope" is not a column/) });
    expect(await failure(run('INSERT INTO s.t (id, id) VALUES (1, 2)'))).toMatchObject({ code: 'PLAN_ERROR' });
    expect(await failure(run("INSERT INTO s.t (id, name) VALUES (1, 'a'), (2)"))).toMatchObject({ code: 'PLAN_ERROR', message: expect.stringMatching(/row 2 has 1 values/) });
  });

  it('a value that does not fit its column is OUT_OF_RANGE, never rounded', async () => {
    expect(await failure(run('INSERT INTO s.t (id, amt) VALUES (99, 123456789.5)'))).toMatchObject({ code: 'OUT_OF_RANGE' });
  });
});

describe('views', () => {
  it('TEMP views live in their Engine and work in joins, subqueries and CTEs', async () => {
    expect(await run('CREATE TEMP VIEW named AS SELECT id, name FROM s.t WHERE name IS NOT NULL')).toMatchObject({ kind: 'view', temporary: true, outcome: 'created' });
    expect(await rows('SELECT n.id, t.x FROM named n JOIN s.t t ON n.id = t.id ORDER BY n.id')).toEqual([{ id: 1, x: null }, { id: 3, x: 1.5 }, { id: 4, x: 2 }]);
    expect(await rows('WITH w AS (SELECT * FROM named WHERE id > 1) SELECT count(*) AS n FROM (SELECT * FROM w) q')).toEqual([{ n: 2 }]);
    // A CTE of the query does not leak into the view's body, and the view is re-bound each time.
    await run('INSERT INTO s.t (id, name) VALUES (20, \'late\')');
    expect(await rows('SELECT count(*) AS n FROM named')).toEqual([{ n: 4 }]);
    expect(await failure(run('CREATE TEMP VIEW named AS SELECT 1'))).toMatchObject({ code: 'TABLE_EXISTS' });
    expect(await run('CREATE OR REPLACE TEMP VIEW named (k) AS SELECT 7')).toMatchObject({ outcome: 'replaced' });
    expect(await rows('SELECT k FROM named')).toEqual([{ k: 7 }]);
    const other = await Engine.open({ warehouse: wh, threads: 1 });
    try {
      expect(await failure(other.sql('SELECT * FROM named').toArray())).toMatchObject({ code: 'TABLE_NOT_FOUND' });
    } finally {
      await other.close();
    }
    expect(await run('DROP VIEW named')).toMatchObject({ outcome: 'dropped' });
    expect(await failure(run('DROP VIEW named'))).toMatchObject({ code: 'TABLE_NOT_FOUND' });
    expect(await run('DROP VIEW IF EXISTS named')).toMatchObject({ outcome: 'absent' });
  });

  it('stored views are seen by a new Engine on the same warehouse, as Iceberg view metadata', async () => {
    await run('CREATE VIEW s.big (ident, label) AS SELECT id, name FROM s.t WHERE id >= 3');
    const other = await Engine.open({ warehouse: wh, threads: 1 });
    try {
      expect(await other.sql('SELECT ident, label FROM s.big ORDER BY ident').toArray()).toEqual([
        { ident: 3, label: 'c' }, { ident: 4, label: 'd' }, { ident: 10, label: null }, { ident: 20, label: 'late' },
      ]);
      expect(await other.run('CREATE OR REPLACE VIEW s.big AS SELECT count(*) AS n FROM s.t')).toMatchObject({ outcome: 'replaced' });
    } finally {
      await other.close();
    }
    expect(await rows('SELECT n FROM s.big')).toEqual([{ n: 6 }]);
    const md = JSON.parse(readFileSync(join(wh, 's', 'big', 'view.metadata.json'), 'utf8'));
    expect(md['format-version']).toBe(1);
    expect(md.versions).toHaveLength(2);
    expect(md['current-version-id']).toBe(2);
    expect(md.versions[1].representations[0]).toMatchObject({ type: 'sql', sql: 'SELECT count(*) AS n FROM s.t' });
    expect(md.schemas[1].fields).toEqual([{ id: 1, name: 'n', required: false, type: 'long' }]);
    // Not a table: listing tables does not show it.
    const w = await Warehouse.open(wh);
    expect(await w.listTables('s')).toEqual(['t']);
    await w.close();
    expect(await failure(run('CREATE VIEW s.big AS SELECT 1'))).toMatchObject({ code: 'TABLE_EXISTS' });
    expect(await run('CREATE VIEW IF NOT EXISTS s.big AS SELECT 1')).toMatchObject({ outcome: 'exists' });
    expect(await failure(run('CREATE VIEW s.t AS SELECT 1'))).toMatchObject({ code: 'TABLE_EXISTS' });
  });

  it('refuses views that cannot bind, that read TEMP views, or that read themselves', async () => {
    expect(await failure(run('CREATE VIEW s.bad AS SELECT nope FROM s.t'))).toMatchObject({ code: 'PLAN_ERROR' });
    await run('CREATE TEMP VIEW tmp AS SELECT 1 AS one');
    expect(await failure(run('CREATE VIEW s.bad AS SELECT * FROM tmp'))).toMatchObject({ code: 'PLAN_ERROR', message: expect.stringMatching(/TEMP view tmp/) });
    await run('CREATE VIEW s.va AS SELECT id FROM s.t');
    await run('CREATE VIEW s.vb AS SELECT id FROM s.va');
    await run('CREATE OR REPLACE VIEW s.va AS SELECT id FROM s.vb');
    expect(await failure(rows('SELECT * FROM s.va'))).toMatchObject({ code: 'PLAN_ERROR', message: expect.stringMatching(/refers to itself/) });
    await run('DROP VIEW s.va, s.vb');
    expect(await failure(rows('SELECT * FROM s.vb'))).toMatchObject({ code: 'TABLE_NOT_FOUND' });
  });

  it('a job reads through a stored view and pins the tables behind it', async () => {
    await run('CREATE VIEW s.named AS SELECT id, name FROM s.t WHERE name IS NOT NULL');
    const rec = await (await submitJob(engine, { name: 'from-view', sql: 'CREATE TABLE s.copy AS SELECT * FROM s.named' })).result();
    expect(rec.state).toBe('PUBLISHED');
    expect(Object.keys(rec.inputs)).toEqual(['s.t']);
    expect(await rows('SELECT count(*) AS n FROM s.copy')).toEqual([{ n: 4 }]);
  });
});

describe('COPY … TO', () => {
  it('writes Parquet and CSV files that DuckDB reads back exactly', async () => {
    const pq = join(dir, 'out.parquet');
    const csv = join(dir, 'out.csv');
    expect(await run(`COPY (SELECT id, name, amt, d FROM s.t WHERE id < 10 ORDER BY id) TO '${pq}' (FORMAT parquet)`)).toEqual({ kind: 'copy', statement: 'COPY', target: pq, format: 'parquet', rowsWritten: 4 });
    expect(await run(`COPY s.t TO '${csv}' (FORMAT csv, HEADER, DELIMITER ';')`)).toMatchObject({ rowsWritten: 6 });
    const oracle = await openOracle();
    try {
      const p = await oracle.run(`SELECT id, name, amt::VARCHAR AS amt, d::VARCHAR AS d FROM read_parquet('${pq}') ORDER BY id`);
      expect(p.ok && p.answer.rows).toEqual([['1', 'a', null, null], ['2', null, null, null], ['3', 'c', '5.00', '2024-01-02'], ['4', 'd', '-0.25', null]]);
      const c = await oracle.run(`SELECT count(*) AS n, sum(amt)::DECIMAL(12,2)::VARCHAR AS s FROM read_csv('${csv}', delim = ';', header = true)`);
      expect(c.ok && c.answer.rows).toEqual([['6', '12345683.66']]);
    } finally {
      oracle.close();
    }
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe('id;name;amt;d;x');
    expect(await rows(`SELECT count(*) AS n FROM read_parquet('${pq}')`)).toEqual([{ n: 4 }]);
  });

  it('is atomic: a failing COPY keeps the old file, a cancelled one leaves nothing', async () => {
    const target = join(dir, 'keep.csv');
    writeFileSync(target, 'old contents\n');
    // The cast fails on the first non-numeric name, after rows were produced.
    const e = await failure(run(`COPY (SELECT CAST(name AS INT) AS n FROM s.t) TO '${target}' (FORMAT csv)`));
    expect(e.code).toBe('CONVERSION_ERROR');
    expect(readFileSync(target, 'utf8')).toBe('old contents\n');
    const pqTarget = join(dir, 'keep.parquet');
    writeFileSync(pqTarget, 'old parquet\n');
    expect((await failure(run(`COPY (SELECT CAST(name AS INT) AS n FROM s.t) TO '${pqTarget}' (FORMAT parquet)`))).code).toBe('CONVERSION_ERROR');
    expect(readFileSync(pqTarget, 'utf8')).toBe('old parquet\n');
    const ac = new AbortController();
    ac.abort(new Error('Ctrl-C'));
    const cancelled = join(dir, 'cancelled.parquet');
    expect((await failure(engine.run(`COPY s.t TO '${cancelled}'`, { signal: ac.signal }))).code).toBe('CANCELLED');
    expect(readdirSync(dir).filter((f) => f.startsWith('cancelled') || f.startsWith('.lake-tmp'))).toEqual([]);
  });

  it('refuses unknown formats and options', async () => {
    expect(await failure(run(`COPY s.t TO '${join(dir, 'x.json')}'`))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await failure(run(`COPY s.t TO '${join(dir, 'x.csv')}' (FORMAT json)`))).toMatchObject({ code: 'UNSUPPORTED' });
    expect(await failure(run(`COPY s.t FROM '${join(dir, 'x.csv')}'`))).toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('table functions', () => {
  it('read_csv / read_json / read_parquet over local files, with globs and options', async () => {
    const d = join(dir, 'files');
    rmSync(d, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(join(d, 'sub'), { recursive: true });
    writeFileSync(join(d, 'a.csv'), 'k,v\n1,10.5\n2,\n');
    writeFileSync(join(d, 'sub', 'b.csv'), 'k,v\n3,1\n');
    writeFileSync(join(d, 'e.ndjson'), '{"k": 1, "s": "x"}\n{"k": 9007199254740993, "s": null}\n');
    writeFileSync(join(d, 'f.ndjson'), '{"k": 1, "s": "x"}\n{"k": 2, "s": null}\n');
    expect(await rows(`SELECT k, v FROM read_csv('${d}/**/*.csv') ORDER BY k`)).toEqual([{ k: 1, v: 10.5 }, { k: 2, v: null }, { k: 3, v: 1 }]);
    expect(await rows(`SELECT count(*) AS n FROM read_csv('${d}/*.csv')`)).toEqual([{ n: 2 }]);
    expect(await rows(`SELECT CAST(v AS VARCHAR) AS v FROM read_csv('${d}/a.csv', columns = map('k', 'INTEGER', 'v', 'DECIMAL(6,2)')) WHERE k = 1`)).toEqual([{ v: '10.50' }]);
    expect(await rows(`SELECT k, s FROM read_json('${d}/f.ndjson') ORDER BY k`)).toEqual([{ k: 1, s: 'x' }, { k: 2, s: null }]);
    // JSON.parse would round a number beyond 2^53: refused with the line, never rounded.
    expect(await failure(rows(`SELECT k FROM read_ndjson('${d}/e.ndjson')`))).toMatchObject({ code: 'BAD_RECORD', message: expect.stringMatching(/line 2/) });
    const pq = join(dir, 'out.parquet');
    expect(await rows(`SELECT count(*) AS n FROM read_parquet(['${pq}', '${pq}']) p JOIN s.t ON p.id = s.t.id`)).toEqual([{ n: 8 }]);
    expect(await failure(rows(`SELECT * FROM read_csv('${d}/*.nope')`))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await failure(rows(`SELECT * FROM read_csv('${d}/a.csv', sample_size = 5)`))).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/option sample_size/) });
    expect(await failure(rows(`SELECT * FROM read_xml('${d}/a.csv')`))).toMatchObject({ code: 'UNSUPPORTED' });
    expect(await failure(rows(`SELECT * FROM read_csv(name)`))).toMatchObject({ code: 'PLAN_ERROR' });
  });
});

describe.runIf(s3Configured() || process.env['CI'])('COPY TO and table functions on S3', () => {
  it('COPY to s3:// then read_parquet / read_csv with a glob over s3://', async () => {
    if (!s3Configured()) throw new Error('CI=true but S3_ENDPOINT is not set: the S3 statements suite must run in CI');
    await ensureTestBucket();
    const prefix = `s3://${S3_TEST_BUCKET}/statements-${Date.now().toString(36)}-${process.pid}`;
    expect(await run(`COPY (SELECT id, amt FROM s.t ORDER BY id) TO '${prefix}/one.parquet' (FORMAT parquet)`)).toMatchObject({ rowsWritten: 6 });
    expect(await run(`COPY (SELECT id, name FROM s.t WHERE id < 4) TO '${prefix}/two.parquet'`)).toMatchObject({ rowsWritten: 3 });
    expect(await run(`COPY (SELECT id, name FROM s.t) TO '${prefix}/t.csv' (FORMAT csv, HEADER)`)).toMatchObject({ rowsWritten: 6 });
    expect(await rows(`SELECT count(*) AS n, CAST(sum(amt) AS VARCHAR) AS s FROM read_parquet('${prefix}/one.parquet')`)).toEqual([{ n: 6, s: '12345683.66' }]);
    expect(await rows(`SELECT count(*) AS n FROM read_parquet('${prefix}/*.parquet')`)).toEqual([{ n: 9 }]);
    expect(await rows(`SELECT name FROM read_csv('${prefix}/t.csv') WHERE id = 3`)).toEqual([{ name: 'c' }]);
    const store = await openObjectStore(prefix);
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    await store.deleteMany(keys);
    await store.close();
    expect(keys.sort()).toEqual(['one.parquet', 't.csv', 'two.parquet']);
  }, 60_000);
});

describe('scripts', () => {
  it('runs statements in order, yielding each result; stops at the first error with its number', async () => {
    const out: Array<{ statement: number; kind: string; rows?: unknown }> = [];
    const script = `CREATE TEMP VIEW sv AS SELECT 1 AS one;
      INSERT INTO s.t (id, name) VALUES (30, 'script; with a semicolon'); -- a comment; with one
      SELECT name FROM s.t WHERE id = 30;
      /* block; comment */ SELECT one FROM sv`;
    for await (const r of engine.sqlScript(script)) out.push({ statement: r.script.statement, kind: r.kind, ...(r.kind === 'query' ? { rows: await r.frame.toArray() } : {}) });
    expect(out).toEqual([
      { statement: 1, kind: 'view' },
      { statement: 2, kind: 'write' },
      { statement: 3, kind: 'query', rows: [{ name: 'script; with a semicolon' }] },
      { statement: 4, kind: 'query', rows: [{ one: 1 }] },
    ]);
    const seen: number[] = [];
    const e = await failure((async () => {
      for await (const r of engine.sqlScript("INSERT INTO s.t (id) VALUES (31);\nSELECT nope FROM s.t;\nINSERT INTO s.t (id) VALUES (32)")) seen.push(r.script.statement);
    })());
    expect(e.code).toBe('PLAN_ERROR');
    expect(e.message).toMatch(/^statement 2 \(line 2\): unknown column "nope"/);
    expect(e.details?.['statement']).toBe(2);
    expect(seen).toEqual([1]);
    expect(await rows('SELECT id FROM s.t WHERE id >= 31 ORDER BY id')).toEqual([{ id: 31 }]);
    // A syntax error points into the script as written.
    const syntax = await failure((async () => { for await (const _ of engine.sqlScript('SELECT 1;\n\nSELEC 2')) void _; })());
    expect(syntax).toMatchObject({ code: 'SQL_PARSE_ERROR', message: expect.stringMatching(/^statement 2 \(line 3\)/) });
  });
});
