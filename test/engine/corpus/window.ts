/**
 * Differential corpus: window queries (tables: test/engine/corpus/data.ts).
 *
 * Every case has one right answer: where rows tie on the window's ORDER BY, the functions used
 * treat peers alike (rank, RANGE frames, aggregates over peers) or `id` breaks the tie. DuckDB
 * writes IGNORE NULLS inside the call (`lag(x IGNORE NULLS)`), the Databricks dialect we parse
 * after it (`lag(x) IGNORE NULLS`): those cases give DuckDB its spelling in `duck`.
 */
import type { CorpusCase } from './types.js';

export const WINDOW_CASES: CorpusCase[] = [
  // Ranking: ties in the order key, NULLs in order and partition keys.
  {
    name: 'rank, dense_rank, percent_rank, cume_dist over ties with NULL partition and order keys',
    sql: `SELECT id, k, rank() OVER (PARTITION BY k ORDER BY g) AS r, dense_rank() OVER (PARTITION BY k ORDER BY g) AS d,
      percent_rank() OVER (PARTITION BY k ORDER BY g) AS p, cume_dist() OVER (PARTITION BY k ORDER BY g) AS c FROM c.t`,
  },
  {
    name: 'row_number with a NULLS FIRST descending key and an id tie-breaker',
    sql: 'SELECT id, row_number() OVER (PARTITION BY g ORDER BY x DESC NULLS FIRST, id) AS rn FROM c.t',
  },
  {
    name: 'rank with NULLS FIRST and NULLS LAST keys',
    sql: 'SELECT id, rank() OVER (ORDER BY x NULLS FIRST) AS r1, rank() OVER (ORDER BY x DESC NULLS LAST) AS r2, rank() OVER (ORDER BY s DESC NULLS FIRST) AS r3 FROM c.t',
  },
  {
    name: 'row_number without ORDER BY counts a partition of one key value',
    sql: 'SELECT k, max(rn) AS n FROM (SELECT k, row_number() OVER (PARTITION BY k) AS rn FROM c.t) AS w GROUP BY k',
  },
  {
    name: 'ntile with uneven partitions',
    sql: 'SELECT id, ntile(7) OVER (PARTITION BY k ORDER BY id) AS a, ntile(1000) OVER (PARTITION BY g ORDER BY id) AS b, ntile(4) OVER (ORDER BY id) AS c FROM c.t',
  },
  {
    name: 'ntile(0) is an error',
    sql: 'SELECT ntile(0) OVER (ORDER BY id) FROM c.t',
    error: 'INVALID_ARGUMENT',
  },
  // Navigation.
  {
    name: 'lag and lead with offsets and defaults',
    sql: `SELECT id, lag(x) OVER (PARTITION BY k ORDER BY id) AS a, lead(x, 2) OVER (PARTITION BY k ORDER BY id) AS b,
      lag(x, 3, -1.0) OVER (PARTITION BY k ORDER BY id) AS c, lead(s, 1, 'none') OVER (ORDER BY id) AS d, lag(m, 2, 0) OVER (PARTITION BY g ORDER BY id) AS e FROM c.t`,
  },
  {
    name: 'lag and lead IGNORE NULLS',
    sql: 'SELECT id, lag(x) IGNORE NULLS OVER (ORDER BY id) AS a, lead(s, 2) IGNORE NULLS OVER (PARTITION BY k ORDER BY id) AS b, lag(flag, 1, false) IGNORE NULLS OVER (PARTITION BY g ORDER BY id) AS c FROM c.t',
    duck: 'SELECT id, lag(x IGNORE NULLS) OVER (ORDER BY id) AS a, lead(s, 2 IGNORE NULLS) OVER (PARTITION BY k ORDER BY id) AS b, lag(flag, 1, false IGNORE NULLS) OVER (PARTITION BY g ORDER BY id) AS c FROM c.t',
  },
  {
    name: 'lag over BIGINTs above 2^53 and a negative offset',
    sql: 'SELECT id, big - lag(big) OVER (ORDER BY id) AS step, lag(big, -1) OVER (ORDER BY id) AS nxt FROM c.t',
  },
  {
    name: 'first_value, last_value, nth_value over frames',
    sql: `SELECT id, first_value(x) OVER (PARTITION BY k ORDER BY id) AS a,
      last_value(x) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN CURRENT ROW AND 5 FOLLOWING) AS b,
      nth_value(x, 3) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS c,
      last_value(g) OVER (PARTITION BY k ORDER BY g) AS d, first_value(id) OVER (PARTITION BY k ORDER BY g, id DESC) AS e FROM c.t`,
  },
  {
    name: 'first_value, last_value, nth_value IGNORE NULLS',
    sql: `SELECT id, first_value(x) IGNORE NULLS OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS a,
      last_value(s) IGNORE NULLS OVER (ORDER BY id ROWS BETWEEN 40 PRECEDING AND CURRENT ROW) AS b,
      nth_value(x, 2) IGNORE NULLS OVER (PARTITION BY k ORDER BY id ROWS BETWEEN 13 PRECEDING AND 13 FOLLOWING) AS c FROM c.t`,
    duck: `SELECT id, first_value(x IGNORE NULLS) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS a,
      last_value(s IGNORE NULLS) OVER (ORDER BY id ROWS BETWEEN 40 PRECEDING AND CURRENT ROW) AS b,
      nth_value(x, 2 IGNORE NULLS) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN 13 PRECEDING AND 13 FOLLOWING) AS c FROM c.t`,
  },
  // Aggregates over frames; exact decimals and BIGINTs.
  {
    name: 'decimal sums over running, sliding and whole-partition frames are exact',
    sql: `SELECT id, sum(m) OVER (PARTITION BY k ORDER BY id) AS a, sum(m) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND 1 FOLLOWING) AS b,
      avg(m) OVER (PARTITION BY g) AS c, sum(m) OVER () AS d FROM c.t`,
  },
  {
    name: 'BIGINT sums above 2^53 over windows are exact',
    sql: `SELECT id, sum(big) OVER (PARTITION BY k ORDER BY id) AS a, min(big) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS b,
      avg(big) OVER (PARTITION BY k) AS c, sum(big) OVER (ORDER BY id ROWS BETWEEN 500 PRECEDING AND 500 FOLLOWING) AS d FROM c.t`,
  },
  {
    name: 'count, sum, avg, min, max over a sliding ROWS frame',
    sql: `SELECT id, count(x) OVER f AS a, sum(x) OVER f AS b, avg(x) OVER f AS c, min(s) OVER f AS d, max(dt) OVER f AS e, count(*) OVER f AS n, max(flag) OVER f AS fl
      FROM c.t WINDOW f AS (PARTITION BY g ORDER BY id ROWS BETWEEN 7 PRECEDING AND 3 FOLLOWING)`,
  },
  {
    name: 'frames that end before they start or lie wholly before or after the row',
    sql: `SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 2 FOLLOWING AND 1 FOLLOWING) AS a, count(*) OVER (ORDER BY id ROWS BETWEEN 5 PRECEDING AND 3 PRECEDING) AS b,
      max(m) OVER (PARTITION BY k ORDER BY id ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS c FROM c.t`,
  },
  {
    name: 'the default frame with ORDER BY includes the peers of the current row',
    sql: 'SELECT id, sum(id) OVER (ORDER BY k) AS a, count(*) OVER (PARTITION BY g ORDER BY k DESC) AS b, max(id) OVER (ORDER BY dt) AS c FROM c.t',
  },
  {
    name: 'RANGE over a date key with integer and INTERVAL offsets',
    sql: `SELECT id, count(x) OVER (PARTITION BY k ORDER BY dt RANGE BETWEEN 30 PRECEDING AND CURRENT ROW) AS a,
      sum(x) OVER (PARTITION BY k ORDER BY dt RANGE BETWEEN INTERVAL 10 DAY PRECEDING AND INTERVAL 5 DAY FOLLOWING) AS b,
      min(id) OVER (ORDER BY dt DESC RANGE BETWEEN 3 PRECEDING AND 1 FOLLOWING) AS c FROM c.t`,
  },
  {
    name: 'RANGE over a decimal key with decimal offsets, ascending and descending',
    sql: `SELECT id, sum(id) OVER (ORDER BY m RANGE BETWEEN 100.5 PRECEDING AND 50 FOLLOWING) AS a,
      count(*) OVER (ORDER BY m DESC RANGE BETWEEN 10 PRECEDING AND 10 FOLLOWING) AS b, sum(m) OVER (PARTITION BY g ORDER BY m RANGE BETWEEN 25.25 PRECEDING AND CURRENT ROW) AS c FROM c.t`,
  },
  {
    name: 'RANGE over an integer key with NULLs first and last',
    sql: `SELECT id, count(*) OVER (ORDER BY k RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS a, sum(id) OVER (ORDER BY k DESC NULLS FIRST RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS b,
      count(*) OVER (ORDER BY k NULLS FIRST RANGE BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING) AS c, sum(id) OVER (ORDER BY k RANGE BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING) AS d FROM c.t`,
  },
  {
    name: 'RANGE over a timestamp key with hour and minute INTERVAL offsets',
    sql: 'SELECT id, count(*) OVER (ORDER BY ts RANGE BETWEEN INTERVAL 2 HOUR PRECEDING AND INTERVAL 30 MINUTE FOLLOWING) AS a, max(id) OVER (PARTITION BY k ORDER BY ts DESC RANGE BETWEEN INTERVAL 3 DAY PRECEDING AND CURRENT ROW) AS b FROM c.t',
  },
  {
    name: 'RANGE over a BIGINT key above 2^53 and a double key',
    sql: 'SELECT id, count(*) OVER (ORDER BY big RANGE BETWEEN 10 PRECEDING AND 5 FOLLOWING) AS a, sum(id) OVER (ORDER BY x RANGE BETWEEN 2.5 PRECEDING AND 2.5 FOLLOWING) AS b FROM c.t',
  },
  {
    name: 'GROUPS frames',
    sql: `SELECT id, count(*) OVER (ORDER BY k GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS a, min(id) OVER (PARTITION BY g ORDER BY k GROUPS BETWEEN CURRENT ROW AND 2 FOLLOWING) AS b,
      max(s) OVER (ORDER BY k GROUPS BETWEEN 2 PRECEDING AND 1 PRECEDING) AS c, sum(m) OVER (ORDER BY dt GROUPS BETWEEN UNBOUNDED PRECEDING AND 3 PRECEDING) AS d FROM c.t`,
  },
  {
    name: 'DISTINCT aggregates over whole partitions',
    sql: 'SELECT k, count(DISTINCT g) OVER (PARTITION BY k) AS a, sum(DISTINCT k) OVER () AS b, avg(DISTINCT m) OVER (PARTITION BY g) AS c FROM c.t',
  },
  // Windows over aggregates, QUALIFY, named windows, ORDER BY.
  {
    name: 'windows over a grouped query see the groups',
    sql: `SELECT g, sum(m) AS s, rank() OVER (ORDER BY sum(m) DESC) AS r, sum(sum(m)) OVER () AS total,
      count(*) * 1.0 / sum(count(*)) OVER () AS share FROM c.t GROUP BY g`,
  },
  {
    name: 'QUALIFY on a select alias over a grouped query',
    sql: 'SELECT k, g, count(*) AS n, row_number() OVER (PARTITION BY k ORDER BY count(*) DESC, g) AS rn FROM c.t GROUP BY k, g QUALIFY rn <= 2',
  },
  {
    name: 'QUALIFY with a window call not in the select list',
    sql: 'SELECT id, g FROM c.t QUALIFY row_number() OVER (PARTITION BY g ORDER BY id DESC) = 1 AND sum(x) OVER (PARTITION BY g) > 0',
  },
  {
    name: 'named windows, extended with a frame and referenced twice',
    sql: `SELECT id, sum(x) OVER w AS a, max(x) OVER (w ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS b, rank() OVER w2 AS c, dense_rank() OVER w2 AS d
      FROM c.t WINDOW w AS (PARTITION BY k ORDER BY id), w2 AS (PARTITION BY g ORDER BY k)`,
  },
  {
    name: 'a named window extended with ORDER BY',
    sql: 'SELECT id, row_number() OVER (p ORDER BY id DESC) AS a, count(*) OVER p AS b FROM c.t WINDOW p AS (PARTITION BY k, g)',
  },
  {
    name: 'ORDER BY a window function, with LIMIT',
    sql: 'SELECT id, x, x - lag(x, 1) OVER (ORDER BY id) AS delta FROM c.t ORDER BY row_number() OVER (ORDER BY x DESC NULLS LAST, id) LIMIT 10',
    ordered: true,
  },
  {
    name: 'a filter on the PARTITION BY key over a windowed subquery (pushed below the window)',
    sql: "SELECT * FROM (SELECT id, g, rank() OVER (PARTITION BY g ORDER BY x) AS r, count(*) OVER (PARTITION BY g) AS n FROM c.t) AS s WHERE g IN ('red', 'Red') AND r <= 3",
  },
  {
    name: 'SELECT DISTINCT over window results',
    sql: 'SELECT DISTINCT g, count(*) OVER (PARTITION BY g) AS n, min(id) OVER (PARTITION BY g) AS first FROM c.t',
  },
  {
    name: 'windows over an empty table',
    sql: 'SELECT k, row_number() OVER (ORDER BY k) AS rn, sum(v) OVER (PARTITION BY name) AS s FROM c.e',
  },
  {
    name: 'window functions in WHERE are an error',
    sql: 'SELECT id FROM c.t WHERE row_number() OVER (ORDER BY id) < 3',
    error: 'PLAN_ERROR',
  },
  // TPC-H.
  {
    name: 'TPC-H: the top three suppliers by revenue per nation',
    sql: `SELECT n_name, s_name, revenue, rank() OVER (PARTITION BY n_name ORDER BY revenue DESC) AS r FROM (
      SELECT n_name, s_name, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM tpch.lineitem
      JOIN tpch.supplier ON l_suppkey = s_suppkey JOIN tpch.nation ON s_nationkey = n_nationkey GROUP BY n_name, s_name) AS rev QUALIFY r <= 3`,
  },
  {
    name: 'TPC-H: running totals of order prices per customer',
    sql: `SELECT o_custkey, o_orderkey, sum(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS running,
      o_totalprice - lag(o_totalprice, 1, 0) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS change FROM tpch.orders WHERE o_custkey < 300`,
  },
  {
    name: 'TPC-H: a 7-day moving sum of shipped quantity per ship mode',
    sql: `SELECT l_shipmode, l_shipdate, qty, sum(qty) OVER (PARTITION BY l_shipmode ORDER BY l_shipdate RANGE BETWEEN INTERVAL 6 DAY PRECEDING AND CURRENT ROW) AS week
      FROM (SELECT l_shipmode, l_shipdate, sum(l_quantity) AS qty FROM tpch.lineitem GROUP BY l_shipmode, l_shipdate) AS d`,
  },
];
