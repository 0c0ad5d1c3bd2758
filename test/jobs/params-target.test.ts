/**
 * Parameters are bound on the parser's AST (placeholder nodes → typed literal nodes) and the
 * job target comes from the parsed statement. Every hostile value or SQL shape here is either
 * bound as data or refused with a coded error — the statement's structure never changes.
 */
import { describe, expect, it } from 'vitest';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { bindStatement, jobTarget, normalizeParams, parseJobSpec, referencedTables, type BoundStatement } from 'lakehouse-engine';

const p = (params: Record<string, unknown>) => normalizeParams(params as never);
const bind = (sql: string, params: Record<string, unknown> = {}) => bindStatement(sql, p(params));

/** The tree without source positions, for structural comparison. */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'pos').map(([k, v]) => [k, strip(v)]));
  return x;
}
const where = (s: BoundStatement) => strip((s.query.body as { where: unknown }).where);
const items = (s: BoundStatement) => strip((s.query.body as { items: unknown }).items);

async function codeOf(f: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await f();
  } catch (e) {
    return isLakehouseError(e) ? e.code : `not a LakehouseError: ${String(e)}`;
  }
  return undefined;
}

describe('typed parameter binding on the AST', () => {
  it('binds each type as one typed literal node', async () => {
    const s = await bind('SELECT :day, :n, :x, :ok, :name, :ts, :i, :nothing', {
      day: { type: 'date', value: '2026-11-23' }, n: 5, x: 1.5, ok: true, name: "O'Brien", ts: { type: 'timestamp', value: '2026-11-23T10:00:00' }, i: { type: 'int', value: 7 }, nothing: null,
    });
    expect(items(s)).toEqual([
      { k: 'expr', e: { k: 'typed', type: 'date', text: '2026-11-23' } },
      { k: 'expr', e: { k: 'cast', e: { k: 'num', text: '5' }, to: 'int64' } },
      { k: 'expr', e: { k: 'cast', e: { k: 'num', text: '1.5' }, to: 'float64' } },
      { k: 'expr', e: { k: 'lit', v: true, type: 'boolean' } },
      { k: 'expr', e: { k: 'lit', v: "O'Brien", type: 'string' } },
      { k: 'expr', e: { k: 'typed', type: 'timestamp', text: '2026-11-23 10:00:00' } },
      { k: 'expr', e: { k: 'num', text: '7' } },
      { k: 'expr', e: { k: 'lit', v: null, type: 'null' } },
    ]);
  });

  it('a value with quotes, backslashes or SQL stays one string literal', async () => {
    for (const v of ["x'; DROP TABLE s.t; --", `O'Brien "q" \\`, "*/ OR 1=1 --", "' OR '1'='1", '\\', "''"]) {
      const s = await bind('SELECT * FROM s.t WHERE name = :name', { name: v });
      expect(where(s)).toEqual({ k: 'bin', op: '=', l: { k: 'ident', parts: ['name'] }, r: { k: 'lit', v, type: 'string' } });
    }
    expect(await codeOf(() => bind('SELECT :n', { n: { type: 'long', value: '1; DROP TABLE x' } }))).toBe('INVALID_JOB_SPEC');
    expect(await codeOf(() => bind('SELECT :d', { d: { type: 'date', value: "2026-01-01' OR '1'='1" } }))).toBe('INVALID_JOB_SPEC');
    expect(await codeOf(() => bind('SELECT :x', { x: { type: 'double', value: 'NaN' } }))).toBe('INVALID_JOB_SPEC');
  });

  it('a nested block comment cannot be closed by a value: the comment, placeholder-lookalikes included, is not code', async () => {
    const sql = 'SELECT id FROM raw.sales /* outer /* inner */ still a comment :r */ WHERE region = :r';
    const s = await bind(sql, { r: '*/ OR 1=1 --' });
    expect(where(s)).toEqual({ k: 'bin', op: '=', l: { k: 'ident', parts: ['region'] }, r: { k: 'lit', v: '*/ OR 1=1 --', type: 'string' } });
  });

  it('a string literal ending in a backslash does not hide the next placeholder', async () => {
    const s = await bind("SELECT id FROM raw.sales WHERE region <> 'a\\' AND id < :n", { n: { type: 'int', value: 8 } });
    expect(where(s)).toEqual({
      k: 'bin', op: 'and',
      l: { k: 'bin', op: '<>', l: { k: 'ident', parts: ['region'] }, r: { k: 'lit', v: 'a\\', type: 'string' } },
      r: { k: 'bin', op: '<', l: { k: 'ident', parts: ['id'] }, r: { k: 'num', text: '8' } },
    });
  });

  it('placeholders named after Object.prototype members are unknown unless declared, and then bound as data', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(await codeOf(() => bind(`SELECT :${name}`))).toBe('INVALID_JOB_SPEC');
      // Declared through JSON, as a job file does (an object literal's __proto__ would set the prototype).
      const json = `{ "name": "j", "sql": "SELECT :${name}", "parameters": { "${name}": "v-${name}" } }`;
      if (name === '__proto__') {
        expect(await codeOf(async () => parseJobSpec(JSON.parse(json)))).toBe('INVALID_JOB_SPEC');
        continue;
      }
      const spec = parseJobSpec(JSON.parse(json));
      const s = await bindStatement(spec.sql, normalizeParams(spec.parameters));
      expect(items(s)).toEqual([{ k: 'expr', e: { k: 'lit', v: `v-${name}`, type: 'string' } }]);
    }
  });

  it('leaves placeholder-lookalikes in strings, identifiers, comments and :: casts alone', async () => {
    const s = await bind("SELECT ':a', `col:a`, x::int -- :a\n, /* :a */ :a FROM s.t", { a: 1 });
    expect(items(s)).toEqual([
      { k: 'expr', e: { k: 'lit', v: ':a', type: 'string' } },
      { k: 'expr', e: { k: 'ident', parts: ['col:a'] } },
      { k: 'expr', e: { k: 'cast', e: { k: 'ident', parts: ['x'] }, to: 'int32' } },
      { k: 'expr', e: { k: 'cast', e: { k: 'num', text: '1' }, to: 'int64' } },
    ]);
  });

  it('reports unknown placeholders, non-:name placeholders and unused parameters with INVALID_JOB_SPEC', async () => {
    expect(await codeOf(() => bind('SELECT :missing'))).toBe('INVALID_JOB_SPEC');
    expect(await codeOf(() => bind('SELECT ?', { x: 1 }))).toBe('INVALID_JOB_SPEC');
    expect(await codeOf(() => bind('SELECT $1'))).toBe('INVALID_JOB_SPEC');
    expect(await codeOf(() => bind('SELECT 1', { extra: 1 }))).toBe('INVALID_JOB_SPEC');
    expect(await codeOf(() => bind('SELECT 1; SELECT 2'))).toBe('SQL_PARSE_ERROR');
  });
});

describe('job targets', () => {
  const spec = (o: object) => parseJobSpec({ name: 'j', sql: 'SELECT 1', ...o });
  it('recognises INSERT INTO, INSERT OVERWRITE and CTAS (with transforms, via the engine parser)', async () => {
    expect(jobTarget(spec({}), await bind('INSERT INTO a.b SELECT * FROM c.d'))).toMatchObject({ table: 'a.b', mode: 'append' });
    expect(jobTarget(spec({}), await bind('insert overwrite table a.b select 1'))).toMatchObject({ table: 'a.b', mode: 'overwrite-partitions' });
    expect(jobTarget(spec({}), await bind('CREATE TABLE a.b PARTITIONED BY (region) AS SELECT * FROM c.d WHERE x = :x', { x: 1 }))).toMatchObject({ table: 'a.b', mode: 'append', create: { partitionBy: ['region'] } });
    expect(jobTarget(spec({}), await bind('CREATE TABLE a.b PARTITIONED BY (month(d), bucket(8, id)) AS SELECT * FROM c.d'))).toMatchObject({
      table: 'a.b', mode: 'append', create: { partitionBy: ['month(d)', 'bucket(8, id)'] },
    });
    // Parameters with transforms and time travel: bound on the engine parser's AST, converted once.
    const ct = await bind('CREATE TABLE a.b PARTITIONED BY (month(d), bucket(4, id)) AS SELECT * FROM c.d FOR VERSION AS OF 42 WHERE x = :x', { x: 1 });
    expect(jobTarget(spec({}), ct)).toMatchObject({ table: 'a.b', mode: 'append', create: { partitionBy: ['month(d)', 'bucket(4, id)'] } });
    expect(where(ct)).toEqual({ k: 'bin', op: '=', l: { k: 'ident', parts: ['x'] }, r: { k: 'cast', e: { k: 'num', text: '1' }, to: 'int64' } });
    expect(strip((ct.query.body as { from: unknown }).from)).toEqual({ k: 'table', name: ['c', 'd'], travel: { kind: 'version', snapshotId: '42' } });
    const tt = await bind('SELECT * FROM c.d FOR TIMESTAMP AS OF :at JOIN c.e VERSION AS OF :v ON c.d.k = c.e.k WHERE d = :day', {
      at: { type: 'timestamp', value: '2026-11-23T10:00:00' }, v: { type: 'long', value: '9007199254740993' }, day: { type: 'date', value: '2026-11-23' },
    });
    expect(strip((tt.query.body as { from: unknown }).from)).toMatchObject({
      left: { name: ['c', 'd'], travel: { kind: 'timestamp', at: '2026-11-23 10:00:00' } },
      right: { name: ['c', 'e'], travel: { kind: 'version', snapshotId: '9007199254740993' } },
    });
    expect(await codeOf(() => bind('SELECT * FROM c.d VERSION AS OF :v', { v: { type: 'date', value: '2026-11-23' } }))).toBe('INVALID_JOB_SPEC');
    expect(await codeOf(() => bind("SELECT * FROM c.d TIMESTAMP AS OF :t", { t: { type: 'timestamp', value: "2026-01-01' OR 1=1" } }))).toBe('INVALID_JOB_SPEC');
    expect(await codeOf(() => bind('CREATE TABLE a.b PARTITIONED BY (bucket(:n, id)) AS SELECT * FROM c.d', { n: 4 }))).toBe('INVALID_JOB_SPEC');
  });
  it('uses the output block for queries, and refuses a query without one', async () => {
    expect(jobTarget(spec({ output: { table: 'x.y', mode: 'replace', createIfMissing: true, partitionBy: ['day(ts)'] } }), await bind('SELECT 1'))).toMatchObject({
      table: 'x.y', mode: 'replace', create: { partitionBy: ['day(ts)'] },
    });
    expect(() => jobTarget(spec({}), { kind: 'query', query: { ctes: [], body: { k: 'nested', query: null as never }, orderBy: [], limit: null, offset: 0 }, sqlText: '' })).toThrow(/no "output" block/);
    await expect(bind('DELETE FROM a.b')).rejects.toThrow(/must be INSERT INTO/);
  });
  it('finds the tables a query reads, not its CTEs', async () => {
    const s = await bind('WITH x AS (SELECT * FROM s.a) SELECT * FROM x JOIN s.b ON x.k = s.b.k UNION ALL SELECT * FROM (SELECT * FROM s.c) q');
    expect(referencedTables(s.query)).toEqual(['s.a', 's.b', 's.c']);
  });
});
