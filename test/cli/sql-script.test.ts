/**
 * `lake sql` scripts as a user runs them (real `lake` child processes on a local warehouse):
 * several `;`-separated statements in one argument, `-f file.sql`, `-f -` (stdin), each result
 * printed in order; the first failing statement stops the script, names its number and line,
 * exits non-zero, and the statements before it stay committed. TEMP views last one run; stored
 * views are seen by the next process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse } from 'lakehouse-engine/catalog';
import { lakeBin, runLake, type CliResult } from '../helpers/cli.js';

let dir: string;
let wh: string;

const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

/** `lake …args` with `input` on stdin. */
function lakeStdin(input: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [lakeBin, ...args, '--warehouse', wh], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += String(d); });
    p.stderr.on('data', (d) => { stderr += String(d); });
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-cli-script-'));
  wh = join(dir, 'wh');
  const w = await Warehouse.open(wh);
  await w.createNamespace('s');
  await w.createTable('s.t', [{ name: 'id', type: 'long', required: true }, { name: 'name', type: 'string' }]);
  await w.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lake sql scripts', () => {
  it('runs several statements of one argument in order and prints each result', async () => {
    const r = await lake('sql', "INSERT INTO s.t (id, name) VALUES (1, 'a'), (2, NULL); SELECT id, name FROM s.t ORDER BY id; SELECT count(*) AS n FROM s.t", '--format', 'csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^snapshot_id,table,rows_written,files_written\n\d+,s\.t,2,1\nid,name\n1,a\n2,\nn\n2\n$/);
  });

  it('-f file.sql: views, INSERT … SELECT from a view, COPY, with comments and quoted semicolons', async () => {
    const out = join(dir, 'named.csv');
    const file = join(dir, 'job.sql');
    writeFileSync(file, [
      '-- a nightly script; the semicolon in this comment is not a separator',
      'CREATE TEMP VIEW named AS SELECT id, name FROM s.t WHERE name IS NOT NULL;',
      "INSERT INTO s.t (id, name) SELECT id + 10, name || '; copy' FROM named;",
      'CREATE VIEW s.all_rows AS SELECT * FROM s.t;',
      `COPY (SELECT * FROM s.all_rows ORDER BY id) TO '${out}' (FORMAT csv, HEADER);`,
      'SELECT id, name FROM s.all_rows ORDER BY id',
    ].join('\n'));
    const r = await lake('sql', '-f', file);
    expect(r.code, r.stderr).toBe(0);
    const blocks = r.stdout.trim().split('\n\n');
    expect(blocks).toHaveLength(5);
    expect(blocks[0]).toBe('CREATE VIEW named (temporary): created');
    expect(blocks[1]).toMatch(/^INSERT INTO s\.t: committed snapshot \d+ \(1 rows, 1 files\)$/);
    expect(blocks[2]).toBe('CREATE VIEW s.all_rows: created');
    expect(blocks[3]).toBe(`COPY ${out}: 3 rows (csv)`);
    expect(blocks[4]).toMatch(/^id\s+name\n-+\s+-+\n1\s+a\n2\n11\s+a; copy\n\(3 rows\)$/);
    // The stored view outlives the process; the TEMP view does not.
    const next = await lake('sql', 'SELECT count(*) AS n FROM s.all_rows', '--json');
    expect(JSON.parse(next.stdout)).toEqual([{ n: 3 }]);
    const gone = await lake('sql', 'SELECT * FROM named');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/TABLE_NOT_FOUND/);
  });

  it('-f - reads the script from stdin; --json prints one document per statement', async () => {
    const r = await lakeStdin("SELECT 1 AS a;\nSELECT 'x' AS b", 'sql', '-f', '-', '--json');
    expect(r.code, r.stderr).toBe(0);
    const docs = r.stdout.trim().split(/\n(?=\[)/).map((d) => JSON.parse(d));
    expect(docs).toEqual([[{ a: 1 }], [{ b: 'x' }]]);
  });

  it('stops at the first error, naming the statement number and line; earlier statements stay committed', async () => {
    const r = await lakeStdin("INSERT INTO s.t (id) VALUES (50);\nSELECT 1 AS ok;\n\nSELECT nope FROM s.t;\nINSERT INTO s.t (id) VALUES (51)", 'sql', '-f', '-');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/error \[PLAN_ERROR\]: statement 3 \(line 4\): unknown column "nope"/);
    expect(r.stdout).toMatch(/INSERT INTO s\.t: committed snapshot/);
    expect(r.stdout).toMatch(/\(1 row\)/);
    const ids = await lake('sql', 'SELECT id FROM s.t WHERE id >= 50 ORDER BY id', '--json');
    expect(JSON.parse(ids.stdout)).toEqual([{ id: 50 }]);
    const syntax = await lake('sql', 'SELECT 1; SELEC 2');
    expect(syntax.code).not.toBe(0);
    expect(syntax.stderr).toMatch(/SQL_PARSE_ERROR\]: statement 2 \(line 1\)/);
  });

  it('usage errors: no statement, both an argument and -f, a missing file', async () => {
    expect((await lake('sql')).stderr).toMatch(/no statement/);
    expect((await lake('sql', 'SELECT 1', '-f', 'x.sql')).stderr).toMatch(/not both/);
    const missing = await lake('sql', '-f', join(dir, 'missing.sql'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});
