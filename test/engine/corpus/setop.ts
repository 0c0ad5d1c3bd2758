/**
 * Differential corpus: set operations (UNION / INTERSECT / EXCEPT and their ALL forms), GROUPING
 * SETS / ROLLUP / CUBE with grouping(), aggregate FILTER, select aliases in HAVING / ORDER BY,
 * and VALUES (tables: test/engine/corpus/data.ts). The nasty cases: NULLs and duplicates on both
 * sides, BIGINTs above 2^53 that doubles would conflate, decimals, inputs whose types must be
 * unified, NULLs in the data beside rolled-up NULLs.
 */
import type { CorpusCase } from './types.js';

export const SETOP_CASES: CorpusCase[] = [
  // --- set operations ---
  { name: 'UNION distinct with NULLs on both sides', sql: 'SELECT k FROM c.t UNION SELECT k FROM c.u' },
  { name: 'UNION ALL keeps duplicates', sql: 'SELECT k, g FROM c.t WHERE id < 60 UNION ALL SELECT k, name FROM c.u WHERE k < 3' },
  { name: 'INTERSECT matches NULL with NULL', sql: 'SELECT k FROM c.t INTERSECT SELECT k FROM c.u' },
  { name: 'INTERSECT ALL keeps min(m, n) copies', sql: 'SELECT k FROM c.t WHERE id < 100 INTERSECT ALL SELECT k FROM c.u' },
  { name: 'EXCEPT removes NULL present on the right', sql: 'SELECT k FROM c.u EXCEPT SELECT k FROM c.t' },
  { name: 'EXCEPT ALL keeps max(m - n, 0) copies', sql: 'SELECT k FROM c.u EXCEPT ALL SELECT k FROM c.t WHERE id < 200' },
  { name: 'EXCEPT ALL with NULLs only on the left', sql: 'SELECT k FROM c.n EXCEPT ALL SELECT 2' },
  { name: 'INTERSECT over two columns with NULLs', sql: 'SELECT k, g FROM c.t INTERSECT SELECT k, g FROM c.t WHERE id % 2 = 0' },
  { name: 'EXCEPT over booleans and integers', sql: 'SELECT flag, k FROM c.t EXCEPT SELECT flag, k FROM c.t WHERE id % 3 = 0' },
  { name: 'INTERSECT ALL over strings', sql: 'SELECT s FROM c.t INTERSECT ALL SELECT s FROM c.t WHERE flag' },
  { name: 'INTERSECT over decimals', sql: 'SELECT m FROM c.t WHERE id < 500 INTERSECT SELECT m FROM c.t WHERE id >= 250 AND id < 800' },
  { name: 'INTERSECT over BIGINTs above 2^53', sql: 'SELECT big FROM c.t INTERSECT SELECT big FROM c.u' },
  { name: 'EXCEPT of BIGINTs above 2^53 that doubles would round together', sql: 'SELECT big + 1 AS b FROM c.u EXCEPT SELECT big FROM c.t' },
  { name: 'EXCEPT ALL of duplicated BIGINTs above 2^53', sql: 'SELECT big FROM c.u EXCEPT ALL SELECT big FROM c.t' },
  { name: 'UNION unifies INTEGER and DECIMAL(12,3)', sql: 'SELECT k FROM c.t UNION SELECT v FROM c.u' },
  { name: 'UNION unifies BIGINT and DOUBLE', sql: 'SELECT id FROM c.t WHERE id < 5 UNION SELECT x FROM c.t WHERE id < 5' },
  { name: 'UNION of INTEGER and VARCHAR is VARCHAR', sql: 'SELECT k FROM c.u WHERE k < 3 UNION SELECT name FROM c.u WHERE k > 12' },
  { name: 'UNION of DATE and TIMESTAMP is TIMESTAMP', sql: 'SELECT dt FROM c.t WHERE id < 3 UNION SELECT ts FROM c.t WHERE id < 3' },
  { name: 'INTERSECT of decimals with different scales', sql: 'SELECT 1.5 AS x INTERSECT SELECT 1.50' },
  { name: 'nested set operations with ORDER BY and LIMIT', sql: '(SELECT k FROM c.t UNION ALL SELECT k FROM c.u) EXCEPT (SELECT k FROM c.n) ORDER BY k NULLS FIRST LIMIT 6', ordered: true },
  { name: 'INTERSECT binds tighter than UNION', sql: 'SELECT k FROM c.u UNION SELECT k FROM c.n INTERSECT SELECT k FROM c.t' },
  { name: 'EXCEPT then UNION ALL (left to right)', sql: 'SELECT k FROM c.u EXCEPT SELECT k FROM c.t UNION ALL SELECT k FROM c.n' },
  { name: 'set operations with an empty table', sql: 'SELECT k, name FROM c.u INTERSECT SELECT k, name FROM c.e UNION ALL (SELECT k, name FROM c.u WHERE k = 1 EXCEPT SELECT k, name FROM c.e)' },
  { name: 'empty left side of EXCEPT ALL', sql: 'SELECT k FROM c.e EXCEPT ALL SELECT k FROM c.u' },
  { name: 'UNION inside an aggregate subquery', sql: 'SELECT count(*) AS n, count(DISTINCT k) AS d, sum(k) AS s FROM (SELECT k FROM c.t UNION SELECT k FROM c.u) q' },
  { name: 'INTERSECT ALL of set operation results in a CTE', sql: 'WITH a AS (SELECT k FROM c.t WHERE id < 300 UNION ALL SELECT k FROM c.n), b AS (SELECT k FROM c.u UNION ALL SELECT k FROM c.n) SELECT k, count(*) AS c FROM (SELECT k FROM a INTERSECT ALL SELECT k FROM b) x GROUP BY k' },
  { name: 'UNION over TPC-H keys', sql: 'SELECT n_nationkey AS key FROM tpch.nation UNION SELECT r_regionkey FROM tpch.region EXCEPT SELECT s_nationkey FROM tpch.supplier WHERE s_acctbal < 0' },
  { name: 'set operation column count mismatch is an error', sql: 'SELECT 1, 2 UNION SELECT 3', error: 'PLAN_ERROR' },
  // --- GROUPING SETS / ROLLUP / CUBE ---
  {
    name: 'ROLLUP with NULLs in the data and grouping()',
    sql: 'SELECT k, g, count(*) AS n, sum(m) AS sm, grouping(k) AS gk, grouping(g) AS gg, grouping(k, g) AS gkg FROM c.t GROUP BY ROLLUP (k, g)',
  },
  { name: 'CUBE over a nullable integer and a nullable boolean', sql: 'SELECT k, flag, count(*) AS n, max(big) AS mb, grouping(k, flag) AS gi FROM c.t GROUP BY CUBE (k, flag)' },
  { name: 'GROUPING SETS with the empty set', sql: 'SELECT g, k, sum(m) AS sm, min(big) AS mb, count(x) AS cx FROM c.t GROUP BY GROUPING SETS ((g), (k), ())' },
  { name: 'GROUP BY a column and a ROLLUP', sql: 'SELECT g, k, count(*) AS n, grouping(g) AS gg, grouping(k) AS gk FROM c.t GROUP BY g, ROLLUP (k)' },
  { name: 'duplicate grouping sets are kept', sql: 'SELECT k, count(*) AS n FROM c.u GROUP BY GROUPING SETS ((k), (k), ())' },
  { name: 'HAVING on grouping() tells rolled-up NULLs from data NULLs', sql: 'SELECT k, count(*) AS n, grouping(k) AS gk FROM c.t GROUP BY ROLLUP (k) HAVING k IS NULL' },
  { name: 'ORDER BY grouping()', sql: 'SELECT k, sum(m) AS s FROM c.t GROUP BY ROLLUP (k) ORDER BY grouping(k), k NULLS LAST', ordered: true },
  { name: 'ROLLUP over an empty table returns the grand total', sql: 'SELECT k, count(*) AS n, sum(v) AS s FROM c.e GROUP BY ROLLUP (k)' },
  { name: 'grouping() with a plain GROUP BY is 0', sql: 'SELECT g, grouping(g) AS gg, count(*) AS n FROM c.t GROUP BY g' },
  { name: 'ROLLUP of TPC-H lineitem', sql: 'SELECT l_returnflag, l_linestatus, sum(l_quantity) AS q, sum(l_extendedprice) AS p, count(*) AS n, grouping(l_returnflag, l_linestatus) AS gi FROM tpch.lineitem GROUP BY ROLLUP (l_returnflag, l_linestatus)' },
  { name: 'CUBE with DISTINCT aggregates and a parenthesised column list', sql: 'SELECT k, g, count(DISTINCT s) AS ds, count(*) AS n FROM c.t WHERE id < 1500 GROUP BY CUBE ((k, g))' },
  // --- aggregate FILTER ---
  {
    name: 'FILTER on several aggregates at once incl. count(*)',
    sql: "SELECT count(*) FILTER (WHERE k > 3) AS a, count(x) FILTER (WHERE flag) AS b, sum(m) FILTER (WHERE g = 'red') AS c, min(s) FILTER (WHERE k IS NULL) AS d, avg(x) FILTER (WHERE id % 2 = 0) AS e, count(*) AS f, sum(m) AS g FROM c.t",
  },
  { name: 'FILTER with GROUP BY and DISTINCT', sql: 'SELECT g, count(DISTINCT k) FILTER (WHERE id > 1000) AS dk, max(big) FILTER (WHERE k = 3) AS mb, count(*) FILTER (WHERE x IS NULL) AS nx, count(1) FILTER (WHERE flag) AS c1 FROM c.t GROUP BY g' },
  { name: 'FILTER that keeps no row', sql: 'SELECT sum(m) FILTER (WHERE false) AS s, count(*) FILTER (WHERE id < 0) AS n, max(s) FILTER (WHERE k > 100) AS mx FROM c.t' },
  { name: 'FILTER inside ROLLUP', sql: 'SELECT k, sum(v) FILTER (WHERE name > \'n5\') AS s, count(*) FILTER (WHERE v > 0) AS pos FROM c.u GROUP BY ROLLUP (k)' },
  // --- select aliases ---
  { name: 'HAVING on a select alias', sql: 'SELECT g, sum(m) AS s FROM c.t GROUP BY g HAVING s > 0' },
  { name: 'HAVING and ORDER BY on alias expressions', sql: 'SELECT k, count(*) AS n FROM c.t GROUP BY k HAVING n > 250 ORDER BY n * 2 DESC, k NULLS FIRST', ordered: true },
  { name: 'a select alias used by a later select item', sql: 'SELECT id * 2 AS d, d + 1 AS e FROM c.t WHERE id < 5' },
  // --- VALUES ---
  { name: 'standalone VALUES with NULLs', sql: "VALUES (1, 'a'), (2, NULL), (NULL, 'c')" },
  { name: 'VALUES in FROM with column names, INTEGER and BIGINT unify', sql: 'SELECT a, b FROM (VALUES (1, 2.5), (3000000000, NULL)) t(a, b)' },
  { name: 'VALUES unify integers and decimals', sql: 'SELECT * FROM (VALUES (1), (2.25), (NULL)) v(x)' },
  { name: 'VALUES default column names', sql: "SELECT col1, col0 FROM (VALUES ('x', DATE '2020-01-02'), ('y', '2021-03-04')) v" },
  { name: 'VALUES with BIGINTs above 2^53 in a set operation', sql: 'SELECT * FROM (VALUES (9007199254740993), (9007199254740995), (9007199254740993)) v(x) EXCEPT ALL SELECT 9007199254740993' },
  { name: 'VALUES joined with a table', sql: "SELECT t.id, v.label FROM c.t JOIN (VALUES (1, 'one'), (2, 'two')) v(k, label) ON t.k = v.k WHERE t.id < 30" },
  { name: 'VALUES rows of different lengths is an error', sql: 'VALUES (1, 2), (3)', error: 'PLAN_ERROR' },
];
