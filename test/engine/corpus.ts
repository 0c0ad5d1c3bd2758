/**
 * Differential corpus: each query runs on our engine and on DuckDB over the same Parquet files.
 * `duck` overrides the DuckDB text where the engines deliberately differ (documented semantics:
 * division by zero is NULL for us, ±inf in DuckDB ≥ 1.1). `ordered` compares row order too
 * (only for ORDER BY over unique keys).
 */

export interface CorpusQuery {
  name: string;
  sql: string;
  duck?: string;
  ordered?: boolean;
}

export const CORPUS: CorpusQuery[] = [
  // --- filters and scalar expressions
  { name: 'select star with filter', sql: 'SELECT * FROM ns.facts WHERE id < 50' },
  { name: 'comparison on double', sql: 'SELECT id, v FROM ns.facts WHERE v > 600' },
  { name: 'between / not between', sql: 'SELECT id FROM ns.facts WHERE q BETWEEN 10 AND 12 AND g NOT BETWEEN 100 AND 900' },
  { name: 'in list with strings', sql: "SELECT id, region FROM ns.facts WHERE region IN ('north', 'east') AND id < 3000" },
  { name: 'not in with numbers', sql: 'SELECT count(*) FROM ns.facts WHERE q NOT IN (1, 2, 3, 49)' },
  { name: 'in list containing null', sql: 'SELECT count(*), count(CASE WHEN (q IN (1, NULL)) IS NULL THEN 1 END) FROM ns.facts' },
  { name: 'like prefix/suffix/underscore', sql: "SELECT id, s FROM ns.facts WHERE (s LIKE 'b%' OR s LIKE '%y2' OR s LIKE 'C_erry_') AND id < 400" },
  { name: 'not like with literal percent', sql: "SELECT count(*) FROM ns.facts WHERE s NOT LIKE 'fig %'" },
  { name: 'is null / is not null', sql: 'SELECT count(*), count(v), sum(CASE WHEN region IS NULL THEN 1 ELSE 0 END), sum(CASE WHEN s IS NOT NULL THEN 1 ELSE 0 END) FROM ns.facts' },
  { name: 'three-valued AND/OR', sql: 'SELECT id, b, v > 0 AND b AS x, v > 0 OR b AS y, NOT b AS z FROM ns.facts WHERE id < 200' },
  { name: 'where on boolean column', sql: 'SELECT count(*) FROM ns.facts WHERE b AND NOT (v < 0)' },
  { name: 'arithmetic', sql: 'SELECT id, v * 2 + q, -v, q % 7, v - q * 0.5, (q + 1) * (g - 3) FROM ns.facts WHERE id < 300' },
  { name: 'float modulo', sql: 'SELECT id, v % 3 FROM ns.facts WHERE id < 300 AND v IS NOT NULL' },
  {
    name: 'division by zero is NULL',
    sql: 'SELECT id, v / q, q / (q - 10) FROM ns.facts WHERE id < 300',
    duck: 'SELECT id, CASE WHEN q = 0 THEN NULL ELSE v / q END, CASE WHEN q - 10 = 0 THEN NULL ELSE q / (q - 10) END FROM ns.facts WHERE id < 300',
  },
  { name: 'integer division yields double', sql: 'SELECT id, q / 4, g / 3 FROM ns.facts WHERE id < 100 AND g IS NOT NULL' },
  { name: 'case when searched', sql: "SELECT id, CASE WHEN v < 0 THEN 'neg' WHEN v < 100 THEN 'small' ELSE 'big' END FROM ns.facts WHERE id < 500" },
  { name: 'case with operand and no else', sql: "SELECT id, CASE q WHEN 1 THEN 'one' WHEN 2 THEN 'two' END, CASE WHEN b THEN v END FROM ns.facts WHERE id < 500" },
  { name: 'case mixing int and double', sql: 'SELECT id, CASE WHEN q > 25 THEN q ELSE v END FROM ns.facts WHERE id < 500' },
  { name: 'coalesce', sql: "SELECT id, coalesce(v, 0), coalesce(region, s, 'none'), coalesce(g, q) FROM ns.facts WHERE id < 500" },
  { name: 'cast numbers', sql: 'SELECT id, CAST(g AS DOUBLE), CAST(v AS INTEGER), CAST(v AS BIGINT), CAST(q AS VARCHAR) FROM ns.facts WHERE id < 500' },
  { name: 'cast strings to date/int', sql: "SELECT CAST('2021-03-04' AS DATE), CAST('42' AS INTEGER) + 1, CAST(d AS TIMESTAMP) FROM ns.facts WHERE id = 7" },
  { name: 'lower/upper/length', sql: 'SELECT id, lower(s), upper(region), length(s) FROM ns.facts WHERE id < 400' },
  { name: 'substr', sql: 'SELECT id, substr(s, 2, 3), substr(s, 0, 2), substr(region, 3), substring(s, 1, 1) FROM ns.facts WHERE id < 400' },
  { name: 'trim and concat over an implicit join', sql: "SELECT id, trim(s), concat(f.region, '-', s), concat(f.region, NULL), f.region || '/' || code FROM ns.facts f, ns.dims d WHERE f.region = d.region AND id < 200" },
  { name: 'concat skips nulls, || propagates', sql: "SELECT id, concat(s, region), s || region FROM ns.facts WHERE id < 300" },
  { name: 'string comparison', sql: "SELECT count(*) FROM ns.facts WHERE s < 'c' AND region >= 'n'" },
  { name: 'year/month/day', sql: 'SELECT id, year(d), month(d), day(d), year(ts), month(ts), day(ts) FROM ns.facts WHERE id < 300' },
  { name: 'date_trunc', sql: "SELECT id, date_trunc('month', d), date_trunc('year', ts), date_trunc('day', ts), date_trunc('hour', ts) FROM ns.facts WHERE id < 300" },
  { name: 'date literals and arithmetic', sql: "SELECT id, d + 30, d - DATE '2019-01-01', d + INTERVAL '1' MONTH, d - INTERVAL '1' YEAR FROM ns.facts WHERE d >= DATE '2020-02-28' AND d < DATE '2020-03-02'" },
  { name: 'timestamp literal filter', sql: "SELECT id, ts FROM ns.facts WHERE ts BETWEEN TIMESTAMP '2020-06-01 00:00:00' AND TIMESTAMP '2020-06-03 12:00:00'" },
  { name: 'date compared with string literal', sql: "SELECT count(*) FROM ns.facts WHERE d >= '2021-01-01' AND ts < '2020-12-01 00:00:00'" },
  { name: 'select without from', sql: "SELECT 1 + 2, 'x' || 'y', DATE '2020-01-31' + INTERVAL '1' MONTH, year(DATE '2024-02-29')" },
  // --- aggregates
  { name: 'global aggregates', sql: 'SELECT count(*), count(v), sum(v), avg(v), min(v), max(v), sum(q), avg(q), min(d), max(ts), min(s), max(region) FROM ns.facts' },
  { name: 'global aggregate over empty input', sql: 'SELECT count(*), sum(v), avg(v), min(s), count(DISTINCT g) FROM ns.facts WHERE id < 0' },
  { name: 'group by with null keys', sql: 'SELECT region, count(*), sum(v), avg(v), min(v), max(v) FROM ns.facts GROUP BY region' },
  { name: 'group by two keys with nulls', sql: 'SELECT region, b, count(*), sum(q) FROM ns.facts GROUP BY region, b' },
  { name: 'group by int key with nulls', sql: 'SELECT g, count(*), sum(v), min(s) FROM ns.facts GROUP BY g' },
  { name: 'high-cardinality group by', sql: 'SELECT h, count(*), sum(v), max(q) FROM ns.facts GROUP BY h' },
  { name: 'group by expression', sql: 'SELECT year(d), month(d), count(*), sum(v) FROM ns.facts GROUP BY year(d), month(d)' },
  { name: 'group by alias and ordinal', sql: "SELECT date_trunc('month', ts) AS m, q % 3 AS r, count(*) FROM ns.facts GROUP BY m, 2" },
  { name: 'count distinct', sql: 'SELECT region, count(DISTINCT g), count(DISTINCT s), count(*) FROM ns.facts GROUP BY region' },
  { name: 'global count distinct high card', sql: 'SELECT count(DISTINCT h), count(DISTINCT d), count(DISTINCT region) FROM ns.facts' },
  { name: 'aggregate of expressions', sql: 'SELECT region, sum(v * q), avg(q + 1), max(length(s)), min(CASE WHEN b THEN v END) FROM ns.facts GROUP BY region' },
  { name: 'expression over aggregates', sql: 'SELECT region, sum(v) / count(*), max(v) - min(v), count(*) * 2 FROM ns.facts GROUP BY region' },
  { name: 'having', sql: 'SELECT g, count(*) AS c, sum(v) FROM ns.facts GROUP BY g HAVING count(*) > 120 AND sum(v) > 0' },
  { name: 'having on key', sql: "SELECT region, avg(v) FROM ns.facts GROUP BY region HAVING region <> 'east'" },
  { name: 'min/max of strings, dates, booleans', sql: 'SELECT q, min(s), max(s), min(d), max(d), min(ts), max(ts) FROM ns.facts GROUP BY q' },
  { name: 'select distinct', sql: 'SELECT DISTINCT region, b FROM ns.facts' },
  { name: 'distinct on expression', sql: 'SELECT DISTINCT year(d) AS y, q % 4 FROM ns.facts' },
  // --- order / limit
  { name: 'order by limit', sql: 'SELECT id, v FROM ns.facts WHERE v IS NOT NULL ORDER BY v DESC, id LIMIT 25', ordered: true },
  { name: 'order by with offset', sql: 'SELECT id FROM ns.facts ORDER BY id LIMIT 10 OFFSET 1000', ordered: true },
  { name: 'order by nulls first', sql: 'SELECT id, g FROM ns.facts WHERE id < 200 ORDER BY g NULLS FIRST, id', ordered: true },
  { name: 'order by default null placement', sql: 'SELECT id, g FROM ns.facts WHERE id < 200 ORDER BY g DESC, id', ordered: true },
  { name: 'order by alias, ordinal and hidden column', sql: 'SELECT id AS x, q FROM ns.facts WHERE id < 300 ORDER BY 2, v, x', ordered: true },
  { name: 'order by string', sql: 'SELECT region, count(*) AS c FROM ns.facts GROUP BY region ORDER BY region', ordered: true },
  { name: 'limit without order (count only)', sql: 'SELECT count(*) FROM (SELECT id FROM ns.facts WHERE q = 3 LIMIT 77) t' },
  // --- joins
  { name: 'inner join on string key', sql: 'SELECT f.id, f.region, d.code, d.weight FROM ns.facts f JOIN ns.dims d ON f.region = d.region WHERE f.id < 1000' },
  { name: 'left join keeps unmatched', sql: 'SELECT d.region, count(f.id), sum(f.v) FROM ns.dims d LEFT JOIN ns.facts f ON d.region = f.region GROUP BY d.region' },
  { name: 'left join with null keys on probe side', sql: 'SELECT f.id, f.region, d.code FROM ns.facts f LEFT JOIN ns.dims d ON f.region = d.region WHERE f.id < 500' },
  { name: 'join on int key, high-card probe', sql: 'SELECT k.label, count(*), sum(f.v), avg(k.score) FROM ns.facts f JOIN ns.keys k ON f.g = k.g GROUP BY k.label' },
  { name: 'left join on int key', sql: 'SELECT f.id, f.g, k.label FROM ns.facts f LEFT JOIN ns.keys k ON f.g = k.g WHERE f.id < 400' },
  { name: 'right join keeps unmatched', sql: 'SELECT d.region, d.code, count(f.id), sum(f.v) FROM ns.facts f RIGHT JOIN ns.dims d ON f.region = d.region GROUP BY d.region, d.code' },
  { name: 'right join rows', sql: 'SELECT k.g, k.label, f.id, f.g AS fg, f.region FROM ns.keys k RIGHT JOIN ns.facts f ON k.g = f.g WHERE f.id < 300' },
  { name: 'join with composite key', sql: 'SELECT count(*), sum(a.v) FROM ns.facts a JOIN ns.facts b ON a.id = b.id AND a.q = b.q WHERE a.id < 5000' },
  { name: 'join plus residual condition', sql: 'SELECT count(*) FROM ns.facts a JOIN ns.dims d ON a.region = d.region AND a.v > d.weight * 100' },
  { name: 'three-way join', sql: 'SELECT d.code, k.label, count(*) FROM ns.facts f JOIN ns.dims d ON f.region = d.region JOIN ns.keys k ON k.g = f.g GROUP BY d.code, k.label' },
  { name: 'join with filter on both sides', sql: "SELECT f.id, d.code FROM ns.facts f JOIN ns.dims d ON f.region = d.region WHERE d.weight > 1 AND f.q = 5 AND f.id < 3000" },
  { name: 'join an aggregated subquery', sql: 'SELECT f.region, f.id, t.total FROM ns.facts f JOIN (SELECT region, sum(v) AS total FROM ns.facts GROUP BY region) t ON f.region = t.region WHERE f.id < 100' },
  // --- CTEs, subqueries, unions
  { name: 'cte', sql: 'WITH big AS (SELECT id, v, region FROM ns.facts WHERE v > 500) SELECT region, count(*), max(v) FROM big GROUP BY region' },
  { name: 'two ctes referencing each other', sql: 'WITH a AS (SELECT g, sum(v) AS s FROM ns.facts GROUP BY g), b AS (SELECT g, s FROM a WHERE s > 1000) SELECT count(*), sum(s) FROM b' },
  { name: 'subquery in from with filter on aggregate', sql: 'SELECT * FROM (SELECT q, count(*) AS c, sum(v) AS sv FROM ns.facts GROUP BY q) t WHERE c >= 2400 AND sv > 0' },
  { name: 'union all', sql: "SELECT id, 'a' AS src FROM ns.facts WHERE id < 10 UNION ALL SELECT id, 'b' FROM ns.facts WHERE id BETWEEN 100 AND 105" },
  { name: 'union all with type widening', sql: 'SELECT q FROM ns.facts WHERE id < 20 UNION ALL SELECT v FROM ns.facts WHERE id < 20' },
  { name: 'aggregate over union all', sql: 'SELECT region, count(*) FROM (SELECT region FROM ns.facts WHERE q < 5 UNION ALL SELECT region FROM ns.dims) u GROUP BY region' },
  { name: 'union all with order by', sql: 'SELECT id FROM ns.facts WHERE id < 5 UNION ALL SELECT id + 1000 FROM ns.facts WHERE id < 5 ORDER BY 1 DESC', ordered: true },
  { name: 'cte used twice in a union', sql: 'WITH s AS (SELECT region, v FROM ns.facts WHERE q = 1) SELECT count(*), sum(v) FROM (SELECT * FROM s UNION ALL SELECT * FROM s) x' },
  // --- TPC-H
  {
    name: 'TPC-H Q1',
    sql: `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
      sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
      avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
      FROM ns.lineitem WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY
      GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`,
    ordered: true,
  },
  {
    name: 'TPC-H Q6',
    sql: `SELECT sum(l_extendedprice * l_discount) AS revenue FROM ns.lineitem
      WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1994-01-01' + INTERVAL '1' YEAR
      AND l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 AND l_quantity < 24`,
  },
  { name: 'lineitem high-card group by', sql: 'SELECT l_orderkey, sum(l_quantity), count(*) FROM ns.lineitem GROUP BY l_orderkey' },
  { name: 'lineitem shipmode counts', sql: "SELECT l_shipmode, sum(CASE WHEN l_shipinstruct LIKE 'DELIVER%' THEN 1 ELSE 0 END), count(*) FROM ns.lineitem WHERE l_receiptdate > l_shipdate + 15 GROUP BY l_shipmode" },
];
