/**
 * Differential corpus: scalar functions (engine/functions/) vs DuckDB, over c.t (tables:
 * test/engine/corpus/data.ts) — NULLs in every argument position, DECIMAL(18,2) m, BIGINT big
 * above 2^53, dates/timestamps, mixed-case strings. Every column is aliased (answers are read by
 * position, and DuckDB names columns differently).
 */
import type { CorpusCase } from './types.js';

export const FUNCTION_CASES: CorpusCase[] = [
  // ---- dates and timestamps
  { name: 'extract fields from dates', sql: 'SELECT id, EXTRACT(YEAR FROM dt) AS y, EXTRACT(MONTH FROM dt) AS mo, EXTRACT(DAY FROM dt) AS d, EXTRACT(QUARTER FROM dt) AS q, EXTRACT(DOW FROM dt) AS dow, EXTRACT(DOY FROM dt) AS doy, EXTRACT(WEEK FROM dt) AS w FROM c.t' },
  { name: 'extract fields from timestamps', sql: "SELECT id, EXTRACT(HOUR FROM ts) AS h, EXTRACT(MINUTE FROM ts) AS mi, EXTRACT(SECOND FROM ts) AS s, date_part('millisecond', ts) AS ms, date_part('microsecond', ts) AS us, date_part('isodow', ts) AS isodow, date_part('isoyear', ts) AS isoyear FROM c.t" },
  { name: 'epoch of dates and timestamps', sql: "SELECT id, date_part('epoch', ts) AS e1, EXTRACT(EPOCH FROM dt) AS e2 FROM c.t" },
  { name: 'calendar functions', sql: 'SELECT id, year(ts) AS y, month(dt) AS m, day(dt) AS d, quarter(ts) AS q, dayofweek(dt) AS dw, dayofyear(dt) AS dy, weekofyear(dt) AS wk, hour(ts) AS h, minute(ts) AS mi, second(ts) AS s, last_day(dt) AS ld FROM c.t' },
  { name: 'group by extract year (tpch Q7 shape)', sql: 'SELECT EXTRACT(YEAR FROM ts) AS y, count(*) AS n, sum(m) AS total FROM c.t GROUP BY EXTRACT(YEAR FROM ts)' },
  { name: 'month-end interval arithmetic on literals', sql: "SELECT DATE '2024-01-31' + INTERVAL 1 MONTH AS a, DATE '2024-03-31' - INTERVAL 1 MONTH AS b, DATE '2024-02-29' + INTERVAL 1 YEAR AS c, TIMESTAMP '2024-01-31 10:30:00' + INTERVAL '1' MONTH AS d, DATE '2023-01-31' + INTERVAL 2 QUARTER AS e, INTERVAL 1 WEEK + DATE '2024-01-01' AS f" },
  { name: 'interval arithmetic on columns', sql: "SELECT id, dt + INTERVAL 1 MONTH AS a, dt - INTERVAL 3 DAY AS b, ts + INTERVAL 90 MINUTE AS c, ts - INTERVAL '1' YEAR AS d, ts + INTERVAL 5 MILLISECOND AS e FROM c.t" },
  { name: 'date filter with interval (tpch Q1 shape)', sql: "SELECT count(*) AS n, sum(m) AS s FROM c.t WHERE dt <= DATE '2021-06-30' - INTERVAL 90 DAY AND dt >= DATE '2020-01-31' + INTERVAL 1 MONTH" },
  { name: 'date minus date and date plus integer', sql: "SELECT id, dt - DATE '2020-01-01' AS days, dt + 10 AS later, dt - k AS earlier FROM c.t" },
  { name: 'date_diff over parts', sql: "SELECT id, date_diff('day', dt, DATE '2021-01-01') AS d, date_diff('month', DATE '2020-01-31', dt) AS mo, date_diff('year', dt, ts) AS y, date_diff('quarter', dt, ts) AS q, date_diff('week', dt, ts) AS w, date_diff('hour', ts, TIMESTAMP '2021-06-01 00:00:00') AS h, date_diff('minute', dt, ts) AS mi FROM c.t" },
  { name: 'date_sub counts complete parts', sql: "SELECT id, date_sub('month', dt, ts) AS mo, date_sub('year', DATE '2019-02-28', dt) AS y, date_sub('day', ts, TIMESTAMP '2021-06-01 12:00:00') AS d, date_sub('hour', dt, ts) AS h FROM c.t" },
  { name: 'date_sub month ends', sql: "SELECT date_sub('month', DATE '2020-01-31', DATE '2020-02-29') AS a, date_sub('month', DATE '2024-03-31', DATE '2024-02-29') AS b, date_sub('year', DATE '2024-02-29', DATE '2025-02-28') AS c, date_sub('month', TIMESTAMP '2024-01-31 10:00:00', TIMESTAMP '2024-02-29 09:00:00') AS d, date_diff('month', DATE '2020-01-31', DATE '2020-02-01') AS e" },
  { name: 'date_add and date_trunc', sql: "SELECT id, date_add(dt, INTERVAL 1 MONTH) AS a, date_add(dt, 7) AS b, date_trunc('month', dt) AS c, date_trunc('week', ts) AS d, date_trunc('quarter', ts) AS e FROM c.t" },
  { name: 'strftime', sql: "SELECT id, strftime(ts, '%Y-%m-%d %H:%M:%S') AS a, strftime(dt, '%d/%m/%y %j %a %b %A %B') AS b, strftime(ts, '%I:%M %p, %-d %-m') AS c FROM c.t" },
  { name: 'strptime and try_strptime', sql: "SELECT id, strptime(strftime(ts, '%d/%m/%Y %H:%M:%S'), '%d/%m/%Y %H:%M:%S') AS a, try_strptime(s, '%Y') AS b, strptime('2024-03-05 14:07:09.123', '%Y-%m-%d %H:%M:%S.%f') AS c FROM c.t" },
  { name: 'make_date', sql: 'SELECT id, make_date(2020, (id % 12) + 1, (id % 28) + 1) AS d FROM c.t' },
  // ---- conditional and NULL-aware comparison
  { name: 'nullif greatest least with nulls', sql: "SELECT id, nullif(k, 3) AS a, greatest(k, 5, NULL) AS b, least(k, id) AS c, greatest(m, x) AS d, least(s, g) AS e, greatest(dt, ts) AS f, coalesce(nullif(g, 'red'), 'none') AS g2 FROM c.t" },
  { name: 'is distinct from with nulls', sql: 'SELECT a.k AS ak, b.k AS bk, a.k IS DISTINCT FROM b.k AS d, a.k IS NOT DISTINCT FROM b.k AS nd FROM c.n a, c.n b' },
  { name: 'is distinct from in where', sql: "SELECT id FROM c.t WHERE g IS DISTINCT FROM 'red' AND k IS NOT DISTINCT FROM NULL" },
  { name: 'is distinct from binds tighter than and/or', sql: 'SELECT id, flag IS DISTINCT FROM true AND k > 4 AS a, flag IS NOT DISTINCT FROM false OR k IS NULL AS b, flag IS DISTINCT FROM (true AND k > 4) AS c FROM c.t' },
  { name: 'is distinct from on decimals and big', sql: 'SELECT id, m IS DISTINCT FROM 0.00 AS a, big IS NOT DISTINCT FROM 9007199254740993 AS b, x IS DISTINCT FROM x AS c FROM c.t' },
  { name: 'try_cast of bad text', sql: "SELECT id, try_cast(s AS INTEGER) AS a, try_cast(concat('1', k) AS INTEGER) AS b, try_cast(g AS DATE) AS c, try_cast('2024-02-30' AS DATE) AS d, try_cast('12.5' AS DECIMAL(4,1)) AS e, try_cast('99999' AS DECIMAL(4,1)) AS f FROM c.t" },
  // ---- strings
  { name: 'ilike and not ilike', sql: "SELECT id, s ILIKE 'alpha%' AS a, s NOT ILIKE '%ZETA%' AS b, g ILIKE 'r_d' AS c FROM c.t" },
  { name: 'like escape', sql: "SELECT id, s LIKE 'Zeta!_%' ESCAPE '!' AS a, s LIKE '%!_1%' ESCAPE '!' AS b, 'a%b' LIKE 'a$%b' ESCAPE '$' AS c FROM c.t" },
  { name: 'split_part strpos position instr', sql: "SELECT id, split_part(s, 'a', 2) AS a, split_part(s, '-', -1) AS b, strpos(s, 'a') AS c, position('e' IN s) AS d, instr(g, 'e') AS e, split_part(s, 'x', 5) AS f FROM c.t" },
  { name: 'starts_with ends_with contains', sql: "SELECT id, starts_with(s, 'Al') AS a, ends_with(s, '1') AS b, suffix(g, 'ed') AS c, contains(s, 'ta') AS d, prefix(g, 'r') AS e FROM c.t" },
  { name: 'lpad rpad left right', sql: "SELECT id, lpad(s, 10, '*-') AS a, rpad(g, 6, '.') AS b, lpad(s, 3, 'x') AS c, left(s, 3) AS d, right(s, 2) AS e, left(s, -2) AS f, right(g, -1) AS g2, lpad(g, k, '0') AS h FROM c.t" },
  { name: 'replace reverse repeat', sql: "SELECT id, replace(s, 'a', 'AA') AS a, reverse(s) AS b, repeat(g, k % 3) AS c, replace(g, 'e', '') AS d FROM c.t" },
  { name: 'trim forms', sql: "SELECT id, ltrim(s, 'AZab') AS a, rtrim(s, '0123') AS b, trim(BOTH 'a' FROM g) AS c, TRIM(LEADING 'r' FROM g) AS d, TRIM(TRAILING 'd' FROM g) AS e, trim('  x  ') AS f, ltrim('  x  ') AS g2, rtrim('  x  ') AS h FROM c.t" },
  { name: 'concat_ws concat lower upper length', sql: "SELECT id, concat_ws('|', g, s, k) AS a, concat(g, NULL, k) AS b, lower(s) AS c, upper(g) AS d, length(s) AS e, concat_ws(NULL, g) AS f, g || '-' || s AS h FROM c.t" },
  { name: 'substr forms', sql: 'SELECT id, substr(s, 2) AS a, substr(s, -3, 2) AS b, substring(s, 0, 3) AS c, substr(s, k, 2) AS d FROM c.t' },
  // ---- regular expressions
  { name: 'regexp_matches and full match', sql: "SELECT id, regexp_matches(s, '[0-9]$') AS a, regexp_matches(s, '^[a-z]+[0-9]$') AS b, regexp_full_match(s, '[A-Za-z]+_?[0-9]') AS c, s ~ '.*a[0-9]' AS d, s !~ 'Alpha.' AS e, regexp_matches(s, 'ALPHA', 'i') AS f, s SIMILAR TO '[a-z]+[0-9]' AS h FROM c.t" },
  { name: 'regexp_extract groups', sql: "SELECT id, regexp_extract(s, '[0-9]+') AS a, regexp_extract(s, '([a-z]+)([0-9])', 2) AS b, regexp_extract(s, '(?P<w>[A-Z]+)', 1) AS c, regexp_extract(s, 'q', 0) AS d, regexp_extract(s, '(a)', 5) AS e FROM c.t" },
  { name: 'regexp_replace first and global', sql: "SELECT id, regexp_replace(s, '[aeiou]', '*') AS a, regexp_replace(s, '[aeiou]', '*', 'g') AS b, regexp_replace(s, '([a-z])([0-9])', '\\2\\1') AS c, regexp_replace(s, 'A', 'x', 'gi') AS d FROM c.t" },
  { name: 'regexp classes and escapes', sql: "SELECT id, regexp_matches(s, '\\d') AS a, regexp_matches(s, '[[:upper:]]{2}') AS b, regexp_extract(s, '\\w+\\s\\w+') AS c, regexp_matches(s, '\\-9') AS d, regexp_matches(g, '(?i)^RED$') AS e, regexp_matches(s, '\\bbeta') AS f FROM c.t" },
  { name: 'rlike', sql: "SELECT id, s RLIKE 'ta[0-3]' AS a, s NOT RLIKE '^G' AS b, s REGEXP 'l{1}' AS c FROM c.t", duck: "SELECT id, regexp_matches(s, 'ta[0-3]') AS a, NOT regexp_matches(s, '^G') AS b, regexp_matches(s, 'l{1}') AS c FROM c.t" },
  // ---- numbers
  { name: 'round decimals half away from zero', sql: 'SELECT id, round(m, 1) AS a, round(m) AS b, round(m, -2) AS c, round(m, 5) AS d, round(-m, 1) AS e FROM c.t' },
  { name: 'round doubles and integers', sql: 'SELECT id, round(x, 2) AS a, round(x) AS b, round(k, -1) AS c, round(id, -2) AS d, round(x, -1) AS e FROM c.t' },
  { name: 'floor ceil trunc', sql: 'SELECT id, floor(m) AS a, ceil(m) AS b, ceiling(x) AS c, floor(x) AS d, trunc(m) AS e, trunc(x) AS f, floor(k) AS g FROM c.t' },
  { name: 'abs sign on exact values', sql: 'SELECT id, abs(m) AS a, abs(big - 9007199254740992 - 1500) AS b, sign(m) AS c, sign(x) AS d, sign(k - 5) AS e, abs(x) AS f, abs(-big) AS g FROM c.t' },
  { name: 'power sqrt exp ln log', sql: 'SELECT id, power(k, 2) AS a, pow(x, 2) AS b, sqrt(abs(x)) AS c, exp(k) AS d, ln(id + 1) AS e, log(id + 1) AS f, log10(id + 10) AS g, log2(id + 2) AS h, log(2, id + 1) AS i, pi() AS j FROM c.t', tolerance: 1e-12 },
  { name: 'mod and integer division', sql: 'SELECT id, mod(id, 7) AS a, mod(m, 3) AS b, divide(id, 7) AS c, divide(big, 1000) AS d, divide(-id, 4) AS e, divide(id, k - 5) AS f FROM c.t', duck: 'SELECT id, mod(id, 7) AS a, mod(m, 3) AS b, id // 7 AS c, big // 1000 AS d, -id // 4 AS e, id // (k - 5) AS f FROM c.t' },
  { name: 'greatest over bigints above 2^53', sql: 'SELECT id, greatest(big, 9007199254741000) AS a, least(big, 9007199254740993) AS b, coalesce(nullif(big, 9007199254740995), 0) AS c FROM c.t' },
  // ---- errors, both sides
  { name: 'sqrt of a negative number fails', sql: 'SELECT sqrt(x) AS r FROM c.t WHERE x < 0', error: 'OUT_OF_RANGE' },
  { name: 'strptime of bad text fails', sql: "SELECT strptime(s, '%Y-%m-%d') AS r FROM c.t", error: 'CONVERSION_ERROR' },
  { name: 'look-ahead is not RE2', sql: "SELECT regexp_matches(s, 'a(?=b)') AS r FROM c.t", error: 'INVALID_ARGUMENT' },
];
