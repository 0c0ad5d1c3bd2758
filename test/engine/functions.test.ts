/**
 * Scalar functions beyond the differential corpus (test/engine/corpus/function.ts): what DuckDB
 * cannot be compared on — the pinned statement clock (current_date / now() are one value in
 * every row and every worker task), the registry's error messages, refusals of constructs that
 * would mean something else here, and the generated reference (docs/functions.md must equal
 * what the registry generates; regenerate with `npm run docs:functions`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { isLakehouseError, openObjectStore } from 'lakehouse-engine/connectors';
import { Engine, ParquetFilesSource, functionsMarkdown, functionsText } from 'lakehouse-engine/engine';

let engine: Engine;
let dir = '';
const FILES = ['a.parquet', 'b.parquet', 'c.parquet', 'd.parquet'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'functions-'));
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  for (const [i, f] of FILES.entries()) {
    await duck.run(`COPY (SELECT (i + ${i * 5000})::BIGINT AS id, 'v' || (i % 7)::VARCHAR AS s FROM range(5000) r(i)) TO '${join(dir, f)}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`);
  }
  duck.closeSync();
  engine = await Engine.open({ threads: 2 });
  engine.registerTable('f.t', await ParquetFilesSource.open(await openObjectStore(dir), FILES));
}, 120_000);

afterAll(async () => {
  await engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function failure(sql: string): Promise<{ code: string; message: string }> {
  try {
    await engine.sql(sql).toArray();
  } catch (e) {
    if (isLakehouseError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('the statement clock', () => {
  it('current_date, current_timestamp and now() are one value in every row and task', async () => {
    const before = Date.now();
    const rows = await engine.sql(
      'SELECT count(*) AS n, count(DISTINCT ts) AS nts, count(DISTINCT d) AS nd, min(ts) AS ts, min(d) AS d, count(DISTINCT eq) AS neq, min(eq) AS eq ' +
      'FROM (SELECT id, current_timestamp AS ts, current_date AS d, now() = current_timestamp AS eq FROM f.t WHERE id % 3 <> 1) q',
    ).toArray();
    const after = Date.now();
    const r = rows[0]!;
    expect(Number(r.n)).toBeGreaterThan(10_000);
    expect(Number(r.nts)).toBe(1);
    expect(Number(r.nd)).toBe(1);
    expect(Number(r.neq)).toBe(1);
    expect(r.eq).toBe(true);
    const ts = (r.ts as Date).getTime();
    expect(ts).toBeGreaterThanOrEqual(before - 1);
    expect(ts).toBeLessThanOrEqual(after + 1);
    const day = new Date(Math.floor(ts / 86_400_000) * 86_400_000);
    expect((r.d as Date).getTime()).toBe(day.getTime());
  });

  it('each statement reads the clock anew', async () => {
    const a = (await engine.sql('SELECT now() AS t').toArray())[0]!.t as Date;
    // A full scan between the two statements: the clock has moved by more than its 1 ms resolution.
    await engine.sql('SELECT count(DISTINCT s || id) AS n FROM f.t').toArray();
    const b = (await engine.sql('SELECT current_timestamp AS t').toArray())[0]!.t as Date;
    expect(b.getTime()).toBeGreaterThan(a.getTime());
  });

  it('current_date works in filters over many tasks', async () => {
    const rows = await engine.sql("SELECT count(*) AS n FROM f.t WHERE current_date > DATE '2000-01-01' AND date_diff('day', DATE '2000-01-01', current_date) > 0").toArray();
    expect(Number(rows[0]!.n)).toBe(20_000);
  });
});

describe('registry errors', () => {
  it('an unknown function names the closest ones and the list', async () => {
    const f = await failure('SELECT lowr(s) AS x FROM f.t');
    expect(f.code).toBe('UNSUPPORTED');
    expect(f.message).toContain('unknown function lowr()');
    expect(f.message).toContain('Did you mean lower()');
    expect(f.message).toContain('regexp_extract');
    expect(f.message).toMatch(/line 1, column 8/);
  });

  it('wrong arity and argument types are PLAN_ERRORs with the position', async () => {
    const a = await failure("SELECT lpad(s, 3) AS x FROM f.t");
    expect(a.code).toBe('PLAN_ERROR');
    expect(a.message).toContain('lpad() takes 3 arguments, got 2');
    const b = await failure('SELECT upper(id) AS x FROM f.t');
    expect(b.code).toBe('PLAN_ERROR');
    expect(b.message).toContain('upper() needs a string argument, got int64');
  });

  it('refuses what it cannot do as not supported yet', async () => {
    for (const [sql, what] of [
      ["SELECT split(s, 'v') AS x FROM f.t", 'split()'],
      ["SELECT TIMESTAMP '2024-01-01 10:00:00' - TIMESTAMP '2024-01-01 08:00:00' AS x", 'timestamp − timestamp'],
      ["SELECT strftime(DATE '2024-01-01', '%z') AS x", '%z'],
      ["SELECT regexp_matches(s, 'v', 'm') AS x FROM f.t", "option 'm'"],
    ] as const) {
      const f = await failure(sql);
      expect(f.code, sql).toBe('UNSUPPORTED');
      expect(f.message, sql).toContain('not supported yet');
      expect(f.message, sql).toContain(what);
    }
  });

  it('refuses RE2-foreign regular expressions instead of running them with another meaning', async () => {
    for (const p of ['a(?=b)', '(a)\\1', '(?<!x)y', 'a\\Qb\\E']) {
      const f = await failure(`SELECT regexp_matches(s, '${p}') AS x FROM f.t`);
      expect(f.code, p).toBe('INVALID_ARGUMENT');
    }
  });

  it('keeps exact values exact: round of a wide decimal, abs of a BIGINT above 2^53', async () => {
    const rows = await engine.sql('SELECT round(CAST(12345678901234567890.125 AS DECIMAL(38,3)), 2) AS r, abs(-9007199254740993) AS a, greatest(9007199254740993, 9007199254740992) AS g').toArray();
    expect(rows[0]).toEqual({ r: '12345678901234567890.13', a: 9007199254740993n, g: 9007199254740993n });
    const f = await failure('SELECT abs(CAST(-9223372036854775808 AS BIGINT)) AS x');
    expect(f.code).toBe('OUT_OF_RANGE');
  });
});

describe('generated reference', () => {
  it('docs/functions.md is what the registry generates (npm run docs:functions)', () => {
    const onDisk = readFileSync(new URL('../../docs/functions.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(functionsMarkdown());
    for (const name of ['regexp_extract', 'date_diff', 'lpad', 'round', 'greatest', 'strftime']) expect(onDisk).toContain(`\`${name}(`);
  });

  it('lake functions lists the registry', () => {
    const out = execFileSync(process.execPath, [new URL('../../dist/engine/cli/main.js', import.meta.url).pathname, 'functions'], { encoding: 'utf8' });
    expect(out.trim()).toBe(functionsText().trim());
    expect(out).toContain('split_part(string VARCHAR, separator VARCHAR, index BIGINT) → VARCHAR');
  });
});
