/**
 * Differential corpus: join queries (tables: test/engine/corpus/data.ts). Covers every join form
 * of plan/bind-join.ts (INNER/LEFT/RIGHT/FULL with any ON condition, USING, NATURAL, CROSS,
 * comma joins), nested-loop joins (no equality between the sides), OR-factored join keys
 * (plan/or-factor.ts), multi-way joins whose order plan/join-order.ts picks, NULL keys, BIGINT
 * keys above 2^53 (c.t.big / c.u.big) and decimal keys, self-joins and TPC-H tables.
 */
import type { CorpusCase } from './types.js';

export const JOIN_CASES: CorpusCase[] = [
  // Equi joins, NULL keys never match.
  { name: 'inner join with NULL keys', sql: 'SELECT t.id, u.name FROM c.t t JOIN c.u u ON t.k = u.k WHERE t.id < 200' },
  { name: 'multi-key join', sql: 'SELECT a.id, b.id FROM c.t a JOIN c.t b ON a.k = b.k AND a.g = b.g WHERE a.id < 60 AND b.id < 60' },
  { name: 'join on an expression key', sql: 'SELECT t.id, u.k FROM c.t t JOIN c.u u ON t.k + 1 = u.k WHERE t.id < 100' },
  { name: 'join on BIGINT keys above 2^53', sql: 'SELECT t.id, t.big, u.name FROM c.t t JOIN c.u u ON t.big = u.big' },
  { name: 'join on decimal keys of different scales', sql: 'SELECT a.id, b.id, a.m FROM c.t a JOIN c.t b ON a.m = CAST(b.m AS DECIMAL(20,4)) WHERE a.id < 500' },
  { name: 'join on decimal against integer keys', sql: 'SELECT t.id, u.v FROM c.t t JOIN c.u u ON t.id = u.v' },
  { name: 'string keys with NULLs, FULL JOIN', sql: 'SELECT t.id, t.s, u.name FROM c.t t FULL JOIN c.u u ON t.s = u.name WHERE t.id IS NULL OR t.id < 50' },

  // LEFT / RIGHT / FULL with any ON condition.
  { name: 'LEFT JOIN with a non-equi residual', sql: 'SELECT t.id, u.name, u.v FROM c.t t LEFT JOIN c.u u ON t.k = u.k AND u.v > t.m WHERE t.id < 300' },
  { name: 'LEFT JOIN with a left-side-only condition', sql: 'SELECT t.id, u.name FROM c.t t LEFT JOIN c.u u ON t.k = u.k AND t.id < 10 WHERE t.id < 40' },
  { name: 'LEFT JOIN with a right-side-only condition', sql: "SELECT t.id, u.name FROM c.t t LEFT JOIN c.u u ON t.k = u.k AND u.name LIKE 'n1%' WHERE t.id < 100" },
  { name: 'LEFT JOIN ON false', sql: 'SELECT n.k, u.name FROM c.n n LEFT JOIN c.u u ON false' },
  { name: 'LEFT JOIN then IS NULL (anti pattern)', sql: 'SELECT t.id FROM c.t t LEFT JOIN c.u u ON t.k = u.k WHERE u.k IS NULL' },
  { name: 'RIGHT JOIN with a non-equi residual', sql: 'SELECT t.id, u.name, u.k FROM c.t t RIGHT JOIN c.u u ON t.k = u.k AND t.x > 0 AND t.id < 100' },
  { name: 'FULL JOIN with a residual and NULL keys', sql: 'SELECT t.id, t.k, u.k, u.name FROM c.t t FULL OUTER JOIN c.u u ON t.k = u.k AND t.id < u.v WHERE t.id IS NULL OR t.id < 200' },
  { name: 'FULL JOIN with an empty side', sql: 'SELECT n.k, e.name FROM c.n n FULL JOIN c.e e ON n.k = e.k' },
  { name: 'LEFT JOIN to an empty table', sql: 'SELECT n.k, e.name FROM c.n n LEFT JOIN c.e e ON n.k = e.k AND e.v > 0' },

  // USING / NATURAL.
  { name: 'JOIN USING, star shows the key once', sql: 'SELECT * FROM c.n a JOIN (SELECT k, name FROM c.u WHERE k < 4) b USING (k)' },
  { name: 'FULL JOIN USING coalesces the key', sql: 'SELECT * FROM (SELECT k, id FROM c.t WHERE id < 30) a FULL JOIN (SELECT k, name FROM c.u WHERE k > 5) b USING (k)' },
  { name: 'FULL JOIN USING with qualified references', sql: 'SELECT k, a.k, b.k, id FROM (SELECT k, id FROM c.t WHERE id < 30) a FULL JOIN (SELECT k, name FROM c.u WHERE k > 5) b USING (k)' },
  { name: 'RIGHT JOIN USING', sql: 'SELECT * FROM c.n a RIGHT JOIN (SELECT k, name FROM c.u WHERE k < 3) b USING (k)' },
  { name: 'NATURAL JOIN on two columns incl. BIGINT', sql: 'SELECT * FROM (SELECT k, big, id FROM c.t) a NATURAL JOIN (SELECT k, big, name FROM c.u) b' },
  { name: 'NATURAL FULL JOIN', sql: 'SELECT * FROM (SELECT k, id FROM c.t WHERE id < 20) a NATURAL FULL JOIN c.n b' },
  { name: 'USING chained over three relations', sql: 'SELECT k, a.id, c.name FROM (SELECT k, id FROM c.t WHERE id < 25) a JOIN c.n b USING (k) LEFT JOIN (SELECT k, name FROM c.u) c USING (k)' },
  { name: 'NATURAL JOIN without a common column is an error', sql: 'SELECT * FROM c.n NATURAL JOIN (SELECT 1 AS q) x', error: 'PLAN_ERROR' },
  { name: 'USING an unknown column is an error', sql: 'SELECT * FROM c.n a JOIN c.u b USING (nope)', error: 'PLAN_ERROR' },

  // Nested-loop joins: no equality between the sides.
  { name: 'non-equi inner join (nested loop)', sql: 'SELECT a.k, b.k, b.name FROM c.n a JOIN c.u b ON a.k > b.k AND b.v < 500' },
  { name: 'non-equi comma join in WHERE (nested loop)', sql: 'SELECT count(*), sum(u.v) FROM c.u u, c.n n WHERE u.k < n.k' },
  { name: 'non-equi LEFT JOIN (nested loop)', sql: 'SELECT n.k, u.name FROM c.n n LEFT JOIN c.u u ON u.k BETWEEN n.k AND n.k + 1 AND u.name < \'n3\'' },
  { name: 'non-equi FULL JOIN (nested loop)', sql: 'SELECT n.k, u.k, u.name FROM c.n n FULL JOIN (SELECT * FROM c.u WHERE k < 3) u ON n.k < u.k' },
  { name: 'non-equi RIGHT JOIN (nested loop)', sql: 'SELECT n.k, u.k FROM c.n n RIGHT JOIN (SELECT * FROM c.u WHERE name = \'n5\') u ON n.k > u.k' },
  { name: 'CROSS JOIN', sql: 'SELECT n.k, e2.k FROM c.n n CROSS JOIN c.n e2' },
  { name: 'JOIN ON true', sql: 'SELECT count(*), sum(a.k), sum(b.k) FROM c.n a JOIN c.u b ON true' },
  { name: 'OR of equalities (no common factor, nested loop)', sql: 'SELECT a.id, b.id FROM c.t a JOIN c.t b ON a.id = b.id + 1 OR a.id = b.id * 2 WHERE a.id < 50 AND b.id < 50' },

  // OR factoring.
  { name: 'OR-factored join key over a comma join', sql: "SELECT t.id, u.name FROM c.t t, c.u u WHERE (t.k = u.k AND t.g = 'red' AND u.v > 0) OR (t.k = u.k AND u.name = 'n3') OR (u.k = t.k AND t.id < 5 AND u.name = 'n4')" },
  { name: 'OR-factored key in JOIN ON', sql: "SELECT t.id, u.name FROM c.t t JOIN c.u u ON (t.k = u.k AND t.id < 100) OR (t.k = u.k AND u.name = 'n7')" },

  // Multi-way and self joins.
  { name: '3-way comma join', sql: 'SELECT t.id, u.name, n.k FROM c.t t, c.u u, c.n n WHERE t.k = u.k AND u.k = n.k AND t.id < 500' },
  { name: 'self join with a residual', sql: 'SELECT n1.n_name, n2.n_name FROM tpch.nation n1 JOIN tpch.nation n2 ON n1.n_regionkey = n2.n_regionkey AND n1.n_nationkey < n2.n_nationkey' },
  { name: 'TPC-H 4-way comma join', sql: "SELECT s_name, n_name, r_name FROM tpch.supplier, tpch.nation, tpch.region, tpch.partsupp WHERE s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND ps_suppkey = s_suppkey AND r_name = 'ASIA' AND ps_availqty < 20" },
  {
    name: 'TPC-H 5-way join written big-first',
    sql: "SELECT n_name, count(*) AS c, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM tpch.lineitem, tpch.orders, tpch.customer, tpch.nation, tpch.region WHERE l_orderkey = o_orderkey AND o_custkey = c_custkey AND c_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'EUROPE' AND o_orderdate >= DATE '1995-01-01' AND o_orderdate < DATE '1995-04-01' GROUP BY n_name",
  },
  {
    name: 'TPC-H 6-way join (Q5)',
    sql: "SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM tpch.customer, tpch.orders, tpch.lineitem, tpch.supplier, tpch.nation, tpch.region WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'ASIA' AND o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1995-01-01' GROUP BY n_name ORDER BY revenue DESC",
    ordered: true,
  },
  {
    name: 'TPC-H Q19 (OR of conjunctions repeating the join key)',
    sql: `SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue FROM tpch.lineitem, tpch.part WHERE
      (p_partkey = l_partkey AND p_brand = 'Brand#12' AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG') AND l_quantity >= 1 AND l_quantity <= 11 AND p_size BETWEEN 1 AND 5 AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
      OR (p_partkey = l_partkey AND p_brand = 'Brand#23' AND p_container IN ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK') AND l_quantity >= 10 AND l_quantity <= 20 AND p_size BETWEEN 1 AND 10 AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
      OR (p_partkey = l_partkey AND p_brand = 'Brand#34' AND p_container IN ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG') AND l_quantity >= 20 AND l_quantity <= 30 AND p_size BETWEEN 1 AND 15 AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')`,
  },
  {
    name: 'TPC-H Q13 (LEFT JOIN with a NOT LIKE in ON)',
    sql: "SELECT c_count, count(*) AS custdist FROM (SELECT c_custkey, count(o_orderkey) AS c_count FROM tpch.customer LEFT OUTER JOIN tpch.orders ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%' GROUP BY c_custkey) AS c_orders GROUP BY c_count ORDER BY custdist DESC, c_count DESC",
    ordered: true,
  },
  { name: 'TPC-H FULL JOIN with a residual', sql: "SELECT n_name, r_name FROM tpch.nation FULL JOIN tpch.region ON n_regionkey = r_regionkey AND r_name < 'B'" },
  { name: 'TPC-H non-equi join with a key-free condition', sql: 'SELECT count(*) FROM tpch.nation a JOIN tpch.region b ON a.n_regionkey < b.r_regionkey' },
];
