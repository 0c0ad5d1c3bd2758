/**
 * Differential corpus: aggregate queries (tables: test/engine/corpus/data.ts). Every case runs on
 * the default plan and the all-shuffled one, where partial states (moments, sketches, arg_min
 * pairs) and shipped values (holistic and DISTINCT aggregates) cross workers and are merged
 * partition by partition. Approximate aggregates are compared through bounds both engines meet
 * (the two HyperLogLogs differ), everything else exactly (doubles within 1e-9).
 */
import type { CorpusCase } from './types.js';

export const AGGREGATE_CASES: CorpusCase[] = [
  // Moments: Welford/Chan, grouped and global, NULLs, decimals, BIGINTs above 2^53.
  { name: 'moments grouped by k over a double with NULLs', sql: 'SELECT k, stddev(x), stddev_samp(x), stddev_pop(x), variance(x), var_samp(x), var_pop(x) FROM c.t GROUP BY k' },
  // DuckDB's own moments of BIGINTs near 2^53 drift (Welford around a mean of 9e15: 2154 for
  // the true 2598); ours are shifted by each group's first value, so the offset form compares.
  { name: 'moments of a decimal and of BIGINTs offset from 2^53', sql: 'SELECT stddev(m), var_pop(m), stddev_pop(big - 9007199254740992), var_samp(big - 9007199254740000) FROM c.t' },
  { name: 'moments of a decimal(12,3) by a key with NULLs', sql: 'SELECT k, stddev(v), var_pop(v), stddev_pop(big - 9007199254740992) FROM c.u GROUP BY k' },
  { name: 'covariance and correlation by string key', sql: 'SELECT g, covar_samp(x, m), covar_pop(m, x), corr(x, m), corr(id, x) FROM c.t GROUP BY g' },
  { name: 'single-row groups: samp NULL, pop 0, corr NaN', sql: 'SELECT id, var_samp(x), var_pop(x), stddev_samp(x), stddev_pop(x), corr(x, m), covar_samp(x, m), covar_pop(x, m) FROM c.t WHERE id < 40 GROUP BY id' },
  { name: 'moments over the empty table', sql: 'SELECT stddev(v), var_pop(v), corr(v, k), covar_pop(k, v), count(*) FROM c.e' },
  { name: 'moments grouped over the empty table', sql: 'SELECT k, stddev(v), corr(v, k) FROM c.e GROUP BY k' },
  { name: 'variance of DISTINCT values', sql: 'SELECT g, var_samp(DISTINCT k), stddev_pop(DISTINCT k), var_pop(k) FROM c.t GROUP BY g' },
  { name: 'moments in expressions and HAVING', sql: 'SELECT k, stddev(x) / avg(x) AS cv, median(x) - min(x) AS spread FROM c.t GROUP BY k HAVING stddev(x) > 0 AND median(x) > -100' },

  // Quantiles: exact decimals, BIGINTs, WITHIN GROUP and DuckDB's spellings.
  { name: 'median and quantiles of a decimal stay exact decimals', sql: 'SELECT k, median(m), quantile_cont(m, 0.3), quantile_disc(m, 0.3), quantile_cont(m, 0.99) FROM c.t GROUP BY k' },
  { name: 'percentile_cont/disc WITHIN GROUP, ASC and DESC', sql: 'SELECT g, percentile_cont(0.25) WITHIN GROUP (ORDER BY x), percentile_disc(0.25) WITHIN GROUP (ORDER BY x), percentile_cont(0.25) WITHIN GROUP (ORDER BY m DESC), percentile_disc(0.9) WITHIN GROUP (ORDER BY m DESC) FROM c.t GROUP BY g' },
  { name: 'quantiles of BIGINTs above 2^53: disc exact, cont DOUBLE', sql: 'SELECT k, quantile_disc(big, 0.5), quantile_disc(big, 0.1), median(big), quantile_cont(big, 0.75) FROM c.t GROUP BY k' },
  { name: 'quantiles at 0 and 1 and of integers', sql: 'SELECT quantile_cont(id, 0), quantile_cont(id, 1), quantile_disc(id, 0), quantile_disc(id, 1), median(id), median(k), quantile(k, 0.5) FROM c.t' },
  { name: 'median of strings, dates and timestamps', sql: 'SELECT k, median(s), median(dt), median(ts), quantile_disc(dt, 0.2) FROM c.t GROUP BY k' },
  { name: 'median of a decimal(12,3) with NULL group keys', sql: 'SELECT k, median(v), quantile_cont(v, 0.1), percentile_disc(0.5) WITHIN GROUP (ORDER BY v) FROM c.u GROUP BY k' },
  { name: 'median DISTINCT', sql: 'SELECT g, median(DISTINCT k), quantile_disc(DISTINCT k, 0.25) FROM c.t GROUP BY g' },
  { name: 'quantiles over the empty table', sql: 'SELECT median(v), quantile_disc(k, 0.5), percentile_cont(0.5) WITHIN GROUP (ORDER BY big) FROM c.e' },

  // string_agg and its aliases.
  { name: 'string_agg ORDER BY inside the call', sql: "SELECT g, string_agg(s, ',' ORDER BY s), string_agg(s, ' | ' ORDER BY s DESC) FROM c.t WHERE id < 200 GROUP BY g" },
  { name: 'string_agg of integers ordered by another column', sql: "SELECT k, string_agg(id, '-' ORDER BY id DESC) FROM c.t WHERE id < 60 GROUP BY k" },
  { name: 'listagg and group_concat', sql: "SELECT k, listagg(g, ';' ORDER BY g, id), group_concat(s, ',' ORDER BY s DESC NULLS FIRST) FROM c.t WHERE id < 100 GROUP BY k" },
  { name: 'string_agg DISTINCT with ORDER BY', sql: "SELECT k, string_agg(DISTINCT g, '/' ORDER BY g) FROM c.t GROUP BY k" },
  { name: 'string_agg over all-NULL and empty groups', sql: "SELECT id % 17 = 0 AS z, string_agg(s, ',' ORDER BY s) FROM c.t WHERE id < 60 GROUP BY 1" },
  { name: 'string_agg default separator over the empty table', sql: 'SELECT string_agg(name ORDER BY name), count(*) FROM c.e' },

  // arg_min/arg_max, bool_and/bool_or, count_if, any_value.
  { name: 'arg_min/arg_max/min_by/max_by keep exact types', sql: 'SELECT g, arg_min(m, id), arg_max(big, id), min_by(s, id), max_by(dt, id), arg_max(x, id) FROM c.t GROUP BY g' },
  { name: 'arg_max skips NULL values and arguments', sql: 'SELECT k, arg_max(x, id), arg_min(s, id), arg_min(flag, id) FROM c.t GROUP BY k' },
  { name: 'bool_and, bool_or, count_if with NULLs', sql: 'SELECT k, bool_and(flag), bool_or(flag), count_if(flag), count_if(x > 0), bool_and(x > -1000) FROM c.t GROUP BY k' },
  { name: 'count_if and bool_and over the empty table', sql: 'SELECT count_if(k > 0), bool_and(k > 0), bool_or(k > 0), arg_min(name, k) FROM c.e' },
  { name: 'any_value of a value determined by the group', sql: 'SELECT lower(g) AS lg, any_value(lower(g)), any_value(k % 1) FROM c.t GROUP BY lower(g)' },

  // DISTINCT forms of sum/avg/min/max over exact values.
  { name: 'sum/avg/min/max DISTINCT over decimals and BIGINTs', sql: 'SELECT k, sum(DISTINCT m), avg(DISTINCT m), sum(DISTINCT big), avg(DISTINCT big), min(DISTINCT big), max(DISTINCT s), count(DISTINCT g) FROM c.t GROUP BY k' },
  { name: 'global DISTINCT aggregates beside plain ones', sql: 'SELECT sum(DISTINCT k), sum(k), avg(DISTINCT v), median(v), string_agg(DISTINCT name, \',\' ORDER BY name) FROM c.u' },

  // Approximate aggregates: within bounds both engines meet.
  { name: 'approx_count_distinct within DuckDB\'s error (its sketch is coarse: +50% on 545 values)', sql: 'SELECT g, approx_count_distinct(id) BETWEEN 0.5 * count(DISTINCT id) AND 2 * count(DISTINCT id), approx_count_distinct(k) BETWEEN 8 AND 12 FROM c.t GROUP BY g' },
  { name: 'approx_count_distinct over the empty table', sql: 'SELECT approx_count_distinct(k), approx_count_distinct(name) FROM c.e' },
  { name: 'approx_quantile near the exact quantile', sql: 'SELECT k, approx_quantile(id, 0.5) BETWEEN 1300 AND 1700, approx_quantile(x, 0.9) BETWEEN 500 AND 900 FROM c.t GROUP BY k' },

  // Errors: both engines refuse.
  { name: 'stddev of a string is an error', sql: 'SELECT stddev(s) FROM c.t', error: 'PLAN_ERROR' },
  { name: 'quantile fraction outside [0, 1] is an error', sql: 'SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY x) FROM c.t', error: 'PLAN_ERROR' },

  // TPC-H.
  { name: 'TPC-H lineitem: moments and exact quantiles per flag', sql: 'SELECT l_returnflag, l_linestatus, stddev(l_quantity), median(l_extendedprice), quantile_disc(l_discount, 0.9), percentile_cont(0.25) WITHIN GROUP (ORDER BY l_tax), corr(l_quantity, l_extendedprice) FROM tpch.lineitem GROUP BY 1, 2 ORDER BY 1, 2', ordered: true },
  { name: 'TPC-H nations per region with string_agg', sql: "SELECT r_name, string_agg(n_name, ', ' ORDER BY n_name), count(*) FROM tpch.region JOIN tpch.nation ON n_regionkey = r_regionkey GROUP BY r_name ORDER BY r_name", ordered: true },
  { name: 'TPC-H most expensive order per priority (arg_max)', sql: 'SELECT o_orderpriority, arg_max(o_orderkey, o_totalprice), max(o_totalprice), min_by(o_orderdate, o_totalprice) FROM tpch.orders GROUP BY 1' },
  { name: 'TPC-H approx_count_distinct of part keys', sql: 'SELECT l_returnflag, approx_count_distinct(l_partkey) BETWEEN 0.9 * count(DISTINCT l_partkey) AND 1.1 * count(DISTINCT l_partkey) FROM tpch.lineitem GROUP BY 1' },
  { name: 'TPC-H customers: balance spread per segment', sql: 'SELECT c_mktsegment, stddev_pop(c_acctbal), var_samp(c_acctbal), median(c_acctbal), sum(DISTINCT c_nationkey), bool_or(c_acctbal < 0), count_if(c_acctbal > 9000) FROM tpch.customer GROUP BY 1' },
];
