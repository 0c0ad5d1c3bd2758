/**
 * Differential corpus: subquery queries (tables: test/engine/corpus/data.ts). c.n.k holds NULLs
 * (1, 2, NULL, 5, NULL, 7), c.e is empty, c.t.big / c.u.big straddle 2^53, c.t.m / c.u.v are
 * decimals of different scales. Each case runs broadcast and all-shuffled.
 */
import type { CorpusCase } from './types.js';

export const SUBQUERY_CASES: CorpusCase[] = [
  // IN / NOT IN, three-valued
  { name: 'IN uncorrelated', sql: 'SELECT id, k FROM c.t WHERE k IN (SELECT k FROM c.u WHERE name = \'n3\')' },
  { name: 'NOT IN with a NULL on the right keeps no row', sql: 'SELECT count(*) AS n FROM c.t WHERE k NOT IN (SELECT k FROM c.n)' },
  { name: 'NOT IN without NULLs on the right, NULLs on the left', sql: 'SELECT count(*) AS n, sum(id) AS s FROM c.t WHERE k NOT IN (SELECT k FROM c.n WHERE k IS NOT NULL)' },
  { name: 'NOT IN NULL left rows drop out', sql: 'SELECT id, k FROM c.t WHERE id < 60 AND k NOT IN (SELECT k FROM c.u WHERE k > 5)' },
  { name: 'NOT IN over an empty set keeps every row (NULL keys too)', sql: 'SELECT count(*) AS n FROM c.t WHERE k NOT IN (SELECT k FROM c.e)' },
  { name: 'IN over an empty set keeps no row', sql: 'SELECT count(*) AS n FROM c.t WHERE k IN (SELECT k FROM c.e)' },
  { name: 'IN / NOT IN as values (mark join, NULLs)', sql: 'SELECT id, k, k IN (SELECT k FROM c.n) AS a, k NOT IN (SELECT k FROM c.n) AS b, k IN (SELECT k FROM c.e) AS c FROM c.t WHERE id < 40' },
  { name: 'IN under OR', sql: 'SELECT count(*) AS n FROM c.t WHERE k IN (SELECT k FROM c.u WHERE k < 3) OR id < 10' },
  { name: 'NOT IN under OR with NULLs', sql: 'SELECT count(*) AS n FROM c.t WHERE k NOT IN (SELECT k FROM c.n) OR id < 10' },
  { name: 'IN with GROUP BY HAVING (Q18 shape)', sql: 'SELECT count(*) AS n FROM c.t WHERE k IN (SELECT k FROM c.u GROUP BY k HAVING count(*) > 25)' },
  { name: 'IN over strings', sql: 'SELECT count(*) AS n FROM c.t WHERE lower(g) IN (SELECT lower(g) FROM c.t WHERE id < 5)' },
  { name: 'NOT IN correlated by a non-equality', sql: 'SELECT id, k FROM c.t t WHERE id < 80 AND t.k NOT IN (SELECT n.k FROM c.n n WHERE n.k <> t.id % 3)' },
  // EXISTS
  { name: 'EXISTS correlated', sql: 'SELECT count(*) AS n FROM c.t t WHERE EXISTS (SELECT 1 FROM c.u u WHERE u.k = t.k AND u.v > 100)' },
  { name: 'NOT EXISTS correlated', sql: 'SELECT id, k FROM c.t t WHERE NOT EXISTS (SELECT * FROM c.u u WHERE u.k = t.k)' },
  { name: 'EXISTS with a non-equality correlation (BIGINT above 2^53)', sql: 'SELECT count(*) AS n, sum(id) AS s FROM c.t t WHERE EXISTS (SELECT 1 FROM c.u u WHERE u.k = t.k AND u.big > t.big)' },
  { name: 'EXISTS correlated by a non-equality only', sql: 'SELECT id FROM c.t t WHERE id < 100 AND EXISTS (SELECT 1 FROM c.n n WHERE n.k > t.k)' },
  { name: 'NOT EXISTS with equality and non-equality (Q21 shape)', sql: 'SELECT count(*) AS n FROM c.t t WHERE NOT EXISTS (SELECT 1 FROM c.u u WHERE u.k = t.k AND u.name <> \'n1\' AND u.v > t.m)' },
  { name: 'EXISTS and NOT EXISTS uncorrelated over an empty table', sql: 'SELECT (SELECT count(*) FROM c.t WHERE EXISTS (SELECT 1 FROM c.e)) AS a, (SELECT count(*) FROM c.t WHERE NOT EXISTS (SELECT 1 FROM c.e)) AS b' },
  { name: 'EXISTS in the select list', sql: 'SELECT id, EXISTS (SELECT 1 FROM c.n n WHERE n.k = t.k) AS e, NOT EXISTS (SELECT 1 FROM c.n n WHERE n.k = t.k) AS ne FROM c.t t WHERE id < 20' },
  // scalar subqueries
  { name: 'scalar uncorrelated in WHERE (decimal avg)', sql: 'SELECT count(*) AS n FROM c.t WHERE m > (SELECT avg(v) FROM c.u)' },
  { name: 'scalar uncorrelated in SELECT', sql: 'SELECT id, (SELECT max(v) FROM c.u) AS mx, (SELECT min(big) FROM c.u) AS mb FROM c.t WHERE id < 5' },
  { name: 'scalar correlated in SELECT (decimal sum)', sql: 'SELECT id, k, (SELECT sum(v) FROM c.u u WHERE u.k = t.k) AS s FROM c.t t WHERE id < 50' },
  { name: 'count bug: correlated count(*) over no rows is 0', sql: 'SELECT id, k, (SELECT count(*) FROM c.n n WHERE n.k = t.k) AS c, (SELECT count(*) + 1 FROM c.n n WHERE n.k = t.k) AS c1 FROM c.t t WHERE id < 50' },
  { name: 'count bug in WHERE', sql: 'SELECT id FROM c.t t WHERE id < 60 AND (SELECT count(*) FROM c.n n WHERE n.k = t.k) = 0' },
  { name: 'scalar in HAVING (Q11 shape)', sql: 'SELECT k, sum(m) AS s FROM c.t GROUP BY k HAVING sum(m) > (SELECT sum(v) FROM c.u) / 10' },
  { name: 'correlated scalar in an aggregating SELECT over a GROUP BY key', sql: 'SELECT k, count(*) AS n, (SELECT sum(v) FROM c.u u WHERE u.k = t.k) AS s FROM c.t t GROUP BY k' },
  { name: 'scalar returning two rows is an error', sql: 'SELECT id, (SELECT k FROM c.n WHERE k > 1) AS x FROM c.t', error: 'CARDINALITY_VIOLATION' },
  { name: 'scalar over no rows is NULL', sql: 'SELECT id, (SELECT v FROM c.e) AS v FROM c.t WHERE id < 3' },
  { name: 'scalar in CASE', sql: 'SELECT id, CASE WHEN k > (SELECT avg(k) FROM c.u) THEN \'hi\' ELSE \'lo\' END AS c FROM c.t WHERE id < 30' },
  { name: 'correlated avg (Q17 shape)', sql: 'SELECT sum(m) AS s, count(*) AS n FROM c.t t WHERE x < (SELECT avg(x) FROM c.t t2 WHERE t2.k = t.k)' },
  { name: 'BIGINT above 2^53 IN and scalar', sql: 'SELECT count(*) AS n, (SELECT count(*) FROM c.t WHERE big = (SELECT max(big) FROM c.u)) AS m FROM c.t WHERE big IN (SELECT big FROM c.u)' },
  { name: 'decimal IN across scales', sql: 'SELECT count(*) AS n FROM c.t WHERE m IN (SELECT v FROM c.u) OR m IN (SELECT CAST(v * 10 AS DECIMAL(18,2)) FROM c.u)' },
  // ANY / ALL
  { name: 'ANY / ALL with NULLs as values', sql: 'SELECT id, k, k > ANY (SELECT k FROM c.n) AS a, k < ALL (SELECT k FROM c.n) AS b, k = ANY (SELECT k FROM c.n) AS c, k <> ALL (SELECT k FROM c.n) AS d FROM c.t WHERE id < 30' },
  { name: '= ANY in WHERE', sql: 'SELECT count(*) AS n FROM c.t WHERE k = ANY (SELECT k FROM c.n)' },
  { name: '> ALL in WHERE with and without NULLs', sql: 'SELECT (SELECT count(*) FROM c.t WHERE k > ALL (SELECT k FROM c.n WHERE k IS NOT NULL)) AS a, (SELECT count(*) FROM c.t WHERE k > ALL (SELECT k FROM c.n)) AS b' },
  { name: 'ALL over an empty set is TRUE', sql: 'SELECT count(*) AS n FROM c.t WHERE k > ALL (SELECT k FROM c.e)' },
  { name: '< ANY in WHERE over decimals', sql: 'SELECT count(*) AS n FROM c.t WHERE m < ANY (SELECT v FROM c.u WHERE k = 3)' },
  // nesting and ON
  { name: 'nested two levels', sql: 'SELECT count(*) AS n FROM c.t WHERE k IN (SELECT k FROM c.u WHERE v > (SELECT avg(v) FROM c.u))' },
  { name: 'nested correlated at each level', sql: 'SELECT id FROM c.t t WHERE id < 200 AND EXISTS (SELECT 1 FROM c.u u WHERE u.k = t.k AND u.v = (SELECT max(v) FROM c.u u2 WHERE u2.k = u.k))' },
  { name: 'correlated subquery in JOIN ON', sql: 'SELECT count(*) AS n FROM c.t t JOIN c.u u ON t.k = u.k AND u.v > (SELECT avg(v) FROM c.u u2 WHERE u2.k = t.k)' },
  { name: 'IN (subquery) in JOIN ON', sql: 'SELECT count(*) AS n FROM c.t t JOIN c.u u ON t.k = u.k AND u.name IN (SELECT name FROM c.u WHERE v > 500)' },
  { name: 'TPC-H customers of one nation', sql: 'SELECT count(*) AS n FROM tpch.orders WHERE o_custkey IN (SELECT c_custkey FROM tpch.customer WHERE c_nationkey = 3)' },
];
