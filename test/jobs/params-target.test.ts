import { describe, expect, it } from 'vitest';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { bindParameters, jobTarget, normalizeParams, parseJobSpec, referencedTables } from 'lakehouse-engine';

const p = (params: Record<string, unknown>) => normalizeParams(params as never);

describe('typed parameter binding', () => {
  it('renders each type as one literal token', () => {
    const sql = bindParameters(
      'SELECT * FROM s.t WHERE d = :day AND n > :n AND x = :x AND ok = :ok AND name = :name AND ts < :ts',
      p({ day: { type: 'date', value: '2026-11-23' }, n: 5, x: 1.5, ok: true, name: "O'Brien", ts: { type: 'timestamp', value: '2026-11-23T10:00:00' } }),
    );
    expect(sql).toBe(
      "SELECT * FROM s.t WHERE d = DATE '2026-11-23' AND n > CAST(5 AS BIGINT) AND x = CAST(1.5 AS DOUBLE) AND ok = TRUE AND name = 'O''Brien' AND ts < TIMESTAMP '2026-11-23 10:00:00'",
    );
  });

  it('cannot be used to inject SQL', () => {
    const sql = bindParameters('SELECT * FROM s.t WHERE name = :name', p({ name: "x'; DROP TABLE s.t; --" }));
    expect(sql).toBe("SELECT * FROM s.t WHERE name = 'x''; DROP TABLE s.t; --'");
    expect(() => bindParameters('SELECT :n', p({ n: { type: 'long', value: '1; DROP TABLE x' } }))).toThrow(/not an integer/);
    expect(() => bindParameters('SELECT :d', p({ d: { type: 'date', value: "2026-01-01' OR '1'='1" } }))).toThrow(/not a date/);
  });

  it('leaves placeholders inside strings, identifiers, comments and :: casts alone', () => {
    const sql = bindParameters("SELECT ':a', \"col:a\", x::int -- :a\n, /* :a */ :a", p({ a: 1 }));
    expect(sql).toBe("SELECT ':a', \"col:a\", x::int -- :a\n, /* :a */ CAST(1 AS BIGINT)");
  });

  it('reports unknown placeholders and unused parameters', () => {
    const e1 = (() => { try { bindParameters('SELECT :missing', {}); } catch (e) { return e; } })();
    expect(isLakehouseError(e1, 'INVALID_JOB_SPEC')).toBe(true);
    expect(() => bindParameters('SELECT 1', p({ extra: 1 }))).toThrow(/not used/);
  });
});

describe('job targets', () => {
  const spec = (o: object) => parseJobSpec({ name: 'j', sql: 'SELECT 1', ...o });
  it('recognises INSERT INTO, INSERT OVERWRITE and CTAS with transforms', () => {
    expect(jobTarget(spec({}), 'INSERT INTO a.b SELECT * FROM c.d')).toEqual({ table: 'a.b', mode: 'append', select: 'SELECT * FROM c.d' });
    expect(jobTarget(spec({}), 'insert overwrite table a.b select 1')).toMatchObject({ table: 'a.b', mode: 'overwrite-partitions' });
    expect(jobTarget(spec({}), 'CREATE TABLE a.b PARTITIONED BY (month(d), bucket(8, id)) AS SELECT * FROM c.d')).toEqual({
      table: 'a.b', mode: 'append', select: 'SELECT * FROM c.d', create: { partitionBy: ['month(d)', 'bucket(8, id)'] },
    });
  });
  it('uses the output block for queries, and refuses a query without one', () => {
    expect(jobTarget(spec({ output: { table: 'x.y', mode: 'replace', createIfMissing: true, partitionBy: ['day(ts)'] } }), 'SELECT 1')).toEqual({
      table: 'x.y', mode: 'replace', select: 'SELECT 1', create: { partitionBy: ['day(ts)'] },
    });
    expect(() => jobTarget(spec({}), 'SELECT 1')).toThrow(/no "output" block/);
    expect(() => jobTarget(spec({}), 'DELETE FROM a.b')).toThrow(/must be INSERT INTO/);
  });
  it('finds the tables a query reads, not its CTEs', async () => {
    expect(await referencedTables('WITH x AS (SELECT * FROM s.a) SELECT * FROM x JOIN s.b ON x.k = s.b.k UNION ALL SELECT * FROM (SELECT * FROM s.c) q')).toEqual(['s.a', 's.b', 's.c']);
  });
});
