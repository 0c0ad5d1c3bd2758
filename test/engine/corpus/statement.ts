/**
 * Differential corpus: the read side of issue #14's statements — table functions over files
 * (read_parquet over the TPC-H SF 0.1 files; read_csv / read_json over small files written here,
 * into a temp dir removed at exit), views (STATEMENT_VIEWS are created in DuckDB and in both of
 * our engines before the cases run, see sql-corpus.test.ts) and VALUES in FROM.
 * Where DuckDB spells an option differently (`columns = {…}`), `duck` holds its text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTpch, tpchDir } from '../../helpers/tpch.js';
import type { CorpusCase } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'lake-corpus-statement-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const people = file('people.csv', [
  'id,name,score,joined,active',
  '1,ann,10.5,2024-01-05,true',
  '2,bob,,2024-02-07,false',
  '3,,7.25,2024-02-09,true',
  '4,dora,-1,2024-03-01,',
  '5,"eve, jr",1e3,2023-12-31,false',
  '',
].join('\n'));
const semi = file('semi.csv', 'k;v\n1;x\n2;y\n2;z\nNA;w\n');
const nohead = file('nohead.csv', '7,alpha\n8,beta\n9,\n');
// Two files for a glob (and one that the glob must not match).
file('part-1.csv', 'a,b\n1,10\n2,20\n');
file('part-2.csv', 'a,b\n3,30\n');
file('other.txt', 'a,b\n99,99\n');
const events = file('events.ndjson', [
  '{"id": 1, "kind": "click", "value": 2.5}',
  '{"id": 2, "kind": "view", "value": null}',
  '{"id": 3, "kind": "click", "value": 4}',
  '{"id": 4, "kind": null, "value": 1.25}',
  '',
].join('\n'));

const tpch = haveTpch() ? tpchDir() : undefined;
const nation = tpch ? join(tpch, 'nation.parquet') : '';
const region = tpch ? join(tpch, 'region.parquet') : '';
const lineitem = tpch ? join(tpch, 'lineitem.parquet') : '';

/** TEMP views created on both sides before the cases run. */
export const STATEMENT_VIEWS: string[] = [
  'CREATE TEMP VIEW sv_big AS SELECT id, k, big, m FROM c.t WHERE id % 7 = 0',
  'CREATE TEMP VIEW sv_grp (k, n, total) AS SELECT k, count(*), sum(m) FROM c.t GROUP BY k',
  'CREATE TEMP VIEW sv_on_view AS SELECT k, total FROM sv_grp WHERE n > 250',
];

const parquetCases: CorpusCase[] = tpch ? [
  { name: 'read_parquet one file, grouped', sql: `SELECT n_regionkey, count(*) AS n FROM read_parquet('${nation}') GROUP BY n_regionkey ORDER BY n_regionkey`, ordered: true },
  { name: 'read_parquet glob', sql: `SELECT count(*) AS n, min(n_name) AS first FROM read_parquet('${tpch}/n*.parquet')` },
  { name: 'read_parquet list keeps repeats', sql: `SELECT count(*) AS n FROM read_parquet(['${nation}', '${nation}'])` },
  { name: 'read_parquet join read_parquet', sql: `SELECT r.r_name, count(*) AS n FROM read_parquet('${nation}') n JOIN read_parquet('${region}') r ON n.n_regionkey = r.r_regionkey GROUP BY r.r_name ORDER BY r.r_name`, ordered: true },
  { name: 'read_parquet alias column list', sql: `SELECT x.key, x.label FROM read_parquet('${nation}') AS x(key, label) WHERE x.key < 5 ORDER BY x.key`, ordered: true },
  { name: 'read_parquet exact decimal sums', sql: `SELECT l_returnflag, sum(l_extendedprice) AS s, sum(l_discount * l_extendedprice) AS d FROM read_parquet('${lineitem}') WHERE l_shipdate < DATE '1995-01-01' GROUP BY l_returnflag ORDER BY l_returnflag`, ordered: true },
  { name: 'read_parquet in CTEs and a derived table', sql: `WITH r AS (SELECT * FROM read_parquet('${region}')), c AS (SELECT count(*) AS n FROM read_parquet('${nation}')) SELECT r_name, n, m FROM r, c, (SELECT max(n_nationkey) AS m FROM read_parquet('${nation}')) x ORDER BY r_name`, ordered: true },
] : [];

export const STATEMENT_CASES: CorpusCase[] = [
  ...parquetCases,
  { name: 'read_csv inferred types', sql: `SELECT id, name, score, joined, active FROM read_csv('${people}') ORDER BY id`, ordered: true },
  { name: 'read_csv_auto aggregates', sql: `SELECT count(*) AS n, count(name) AS named, sum(score) AS s, max(joined) AS last FROM read_csv_auto('${people}')` },
  { name: 'read_csv delim and nullstr', sql: `SELECT k, count(*) AS n FROM read_csv('${semi}', delim = ';', header = true, nullstr = 'NA') GROUP BY k ORDER BY k NULLS FIRST`, ordered: true },
  { name: 'read_csv without header, names', sql: `SELECT num, word FROM read_csv('${nohead}', header = false, names = ['num', 'word']) ORDER BY num`, ordered: true },
  {
    name: 'read_csv declared columns',
    sql: `SELECT id, score FROM read_csv('${people}', header = true, columns = struct('INTEGER' AS id, 'VARCHAR' AS name, 'DECIMAL(10,2)' AS score, 'DATE' AS joined, 'BOOLEAN' AS active)) ORDER BY id`,
    duck: `SELECT id, score FROM read_csv('${people}', header = true, columns = {'id': 'INTEGER', 'name': 'VARCHAR', 'score': 'DECIMAL(10,2)', 'joined': 'DATE', 'active': 'BOOLEAN'}) ORDER BY id`,
    ordered: true,
  },
  { name: 'read_csv glob over two files', sql: `SELECT sum(a) AS a, sum(b) AS b, count(*) AS n FROM read_csv('${dir}/part-*.csv')` },
  { name: 'read_csv joined to a table', sql: `SELECT p.name, count(*) AS n FROM read_csv('${people}') p JOIN c.t ON c.t.k = p.id GROUP BY p.name ORDER BY p.name NULLS FIRST`, ordered: true },
  { name: 'read_json newline-delimited', sql: `SELECT id, kind, value FROM read_json('${events}') ORDER BY id`, ordered: true },
  { name: 'read_ndjson grouped', sql: `SELECT kind, count(*) AS n, sum(value) AS total FROM read_ndjson('${events}') GROUP BY kind ORDER BY kind NULLS LAST`, ordered: true },
  { name: 'view over a table', sql: 'SELECT k, count(*) AS n, sum(big) AS sb FROM sv_big GROUP BY k ORDER BY k NULLS FIRST', ordered: true },
  { name: 'view with a column list, exact sums', sql: 'SELECT k, n, total FROM sv_grp ORDER BY k NULLS FIRST', ordered: true },
  { name: 'view over a view', sql: 'SELECT * FROM sv_on_view ORDER BY k', ordered: true },
  { name: 'view joined to a table and in a subquery', sql: 'SELECT v.k, v.n FROM sv_grp v JOIN (SELECT DISTINCT k FROM sv_big) b ON v.k = b.k ORDER BY v.k', ordered: true },
  { name: 'view in a CTE body', sql: 'WITH w AS (SELECT k, total FROM sv_grp WHERE k > 3) SELECT count(*) AS n, sum(total) AS s FROM w' },
  { name: 'VALUES in FROM with column aliases', sql: "SELECT x, y FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) v(x, y) WHERE x >= 2 ORDER BY x", ordered: true },
  { name: 'VALUES joined to a table', sql: 'SELECT v.k, v.label, count(*) AS n FROM (VALUES (1, \'one\'), (2, \'two\'), (NULL, \'none\')) v(k, label) JOIN c.n ON c.n.k = v.k GROUP BY v.k, v.label ORDER BY v.k', ordered: true },
  { name: 'VALUES with BIGINTs above 2^53', sql: 'SELECT a, a + 1 AS b FROM (VALUES (9007199254740993), (9007199254740995)) v(a) ORDER BY a', ordered: true },
];
