/**
 * The data and the cases of test/engine/exact-numbers.test.ts (issue #13's "must show"): DuckDB
 * SQL that writes each table, and the queries run on both engines with what each must answer.
 * Pure data; no I/O.
 */

/** money: 40k rows; DECIMAL(10,2) over the whole range, a low-cardinality DECIMAL(10,2), 36-digit DECIMAL(38,10). */
const MONEY = `
SELECT
  i::BIGINT AS id,
  (i % 7)::INTEGER AS k,
  CASE WHEN i % 17 = 0 THEN NULL
       WHEN i = 1 THEN 99999999.99
       WHEN i = 2 THEN -99999999.99
       WHEN i = 3 THEN 0.05
       WHEN i = 4 THEN -0.05
       ELSE (((hash(i) % 20000000000)::BIGINT - 9999999999) * 0.01) END::DECIMAL(10,2) AS price,
  ((i % 40) * 1.25 - 20)::DECIMAL(10,2) AS fee,
  CASE WHEN i % 19 = 0 THEN NULL
       WHEN i = 1 THEN '0.0000000001'
       WHEN i = 2 THEN '-0.0000000001'
       ELSE (CASE WHEN i % 2 = 0 THEN '-' ELSE '' END) || (hash(i * 3) % 1000000000000)::VARCHAR
            || lpad((hash(i * 5) % 10000000000)::VARCHAR, 10, '0') || '.' || lpad((hash(i * 7) % 10000000000)::VARCHAR, 10, '0')
  END::DECIMAL(38,10) AS d38
FROM range(40000) t(i)`;

const SPECIAL_BIG = [
  '9223372036854775807', '9007199254740992', '9007199254740993', '-9223372036854775808', '-9007199254740993',
  '9007199254740991', '0', '-1', 'NULL', '1000000000000000001', '-4611686018427387904', '-9223372036854775807',
];
const SPECIAL_D38 = [
  '9999999999999999999999999999.9999999999', '-9999999999999999999999999999.9999999999', '0.0000000001', '-0.0000000001',
  'NULL', '12345678901234567890.1234567891', '0', '-0.5000000000', '0.5000000000', '1.5000000000', '-2.5000000000', '7.0000000000',
];

/**
 * big: 12 rows of int64 and DECIMAL(38,10) extremes (ids 0–11), then 1,000 rows just above 2^53
 * (ids 100–1099) whose sum, about 9.007e18, passes 2^53 by far but stays within int64, with
 * group keys g = 2^53, 2^53+1, 2^53+2 (one double for the first two).
 */
const BIG = `
SELECT * FROM (
  SELECT i::INTEGER AS id, b::BIGINT AS b, NULL::BIGINT AS g, d::DECIMAL(38,10) AS d38
  FROM (VALUES ${SPECIAL_BIG.map((b, i) => `(${i}, ${b === 'NULL' ? 'NULL' : `'${b}'`}, ${SPECIAL_D38[i] === 'NULL' ? 'NULL' : `'${SPECIAL_D38[i]}'`})`).join(', ')}) v(i, b, d)
  UNION ALL
  SELECT (100 + i)::INTEGER, (9007199254740993 + i * 1000003)::BIGINT, (9007199254740992 + i % 3)::BIGINT,
         ((i % 5)::VARCHAR || '234567890123456789012345.678901234' || (i % 10)::VARCHAR)::DECIMAL(38,10)
  FROM range(1000) t(i)
)`;

/** keys: join partners for big.b and big.g (values that one double cannot tell apart) and money.fee. */
const BKEYS = `
SELECT * FROM (VALUES ('9007199254740992'::BIGINT, 'two53'), ('9007199254740993'::BIGINT, 'two53+1'), ('9007199254740994'::BIGINT, 'two53+2'),
  ('9223372036854775807'::BIGINT, 'max'), ('-9223372036854775808'::BIGINT, 'min'), ('9007199254741996'::BIGINT, 'gen1')) t(b, label)`;
const FEES = `SELECT ((i % 40) * 1.25 - 20)::DECIMAL(10,2) AS fee, 'fee' || i::VARCHAR AS label FROM range(0, 40, 3) t(i)`;

/** wide: 1M rows of DECIMAL(10,2) in [95,000,000.00, 99,999,999.99]: the unscaled sum (~9.7e15) passes 2^53. */
const WIDE_ROWS = 1_000_000;
const WIDE = `SELECT (i % 3)::INTEGER AS k, ((9500000000 + hash(i) % 500000000)::BIGINT * 0.01)::DECIMAL(10,2) AS amount FROM range(${WIDE_ROWS}) t(i)`;

export const TABLES: Array<[string, string]> = [['money', MONEY], ['big', BIG], ['bkeys', BKEYS], ['fees', FEES], ['wide', WIDE]];

export interface Case {
  name: string;
  sql: string;
  ordered?: boolean;
  /** DuckDB fails on this query (overflow): ours must fail with one of `codes`. */
  duckFails?: boolean;
  /** Where DuckDB overflows, ours may answer this — the mathematically correct value — instead of an error. */
  orValue?: string[][];
  /** Ours may fail with one of these codes although DuckDB answers (documented deviations). */
  mayFail?: string[];
  /** Ours must fail with one of these codes although DuckDB answers (DuckDB answers a value outside its own result type). */
  oursFails?: string[];
  /**
   * DuckDB's decimal product type is DECIMAL(18,S1+S2) when both inputs have P ≤ 18 (its 64-bit
   * fast path); docs/design.md says DECIMAL(P1+P2,S1+S2). The scale — and so the exact text —
   * must agree; the precision is not compared.
   */
  anyPrecision?: boolean;
  codes?: string[];
}

export const OVERFLOW = ['OUT_OF_RANGE'];
export const CAST_RANGE = ['OUT_OF_RANGE', 'CONVERSION_ERROR'];

export const CASES: Case[] = [
  // --- read back exactly
  { name: 'SELECT * money', sql: 'SELECT * FROM ex.money' },
  { name: 'SELECT * big, ordered by id', sql: 'SELECT * FROM ex.big ORDER BY id', ordered: true },
  { name: 'filters on exact values', sql: "SELECT id, b FROM ex.big WHERE b = 9007199254740993 OR b = -9223372036854775807 OR b > 9223372036854775806" },
  { name: 'decimal equality and range filters', sql: 'SELECT id, price FROM ex.money WHERE price = 0.05 OR price = -99999999.99 OR price BETWEEN 1000.00 AND 1000.99' },
  { name: 'decimal(38,10) filter', sql: "SELECT id, d38 FROM ex.big WHERE d38 > 9999999999999999999999999999.9999999998 OR d38 = -0.0000000001" },
  // --- sums, averages, min/max, count
  {
    name: 'global aggregates of money',
    sql: 'SELECT count(*) AS n, count(price) AS np, sum(price) AS sp, sum(fee) AS sf, sum(d38) AS sd, min(price) AS lo, max(price) AS hi, min(d38) AS dlo, max(d38) AS dhi, avg(price) AS ap, avg(d38) AS ad, avg(fee) AS af FROM ex.money',
  },
  { name: 'sum of DECIMAL(10,2) past 2^53 unscaled (1M rows)', sql: 'SELECT sum(amount) AS s, count(*) AS n, min(amount) AS lo, max(amount) AS hi, avg(amount) AS a FROM ex.wide' },
  { name: 'grouped sums of DECIMAL(10,2) (1M rows, about 3.25e15 unscaled per group)', sql: 'SELECT k, sum(amount) AS s, avg(amount) AS a FROM ex.wide GROUP BY k' },
  { name: 'int64 sum past 2^53 within int64', sql: 'SELECT sum(b) AS s, min(b) AS lo, max(b) AS hi, avg(b) AS a, sum(d38) AS sd, avg(d38) AS ad FROM ex.big WHERE id >= 100' },
  // In file order the running total is max, max + 2^53 (beyond int64), …, then min brings it back.
  { name: 'int64 sum whose running total leaves int64 but whose total fits', sql: 'SELECT sum(b) AS s, count(b) AS n FROM ex.big WHERE id < 4' },
  { name: 'min/max over the int64 extremes', sql: 'SELECT min(b) AS lo, max(b) AS hi, min(d38) AS dlo, max(d38) AS dhi FROM ex.big' },
  { name: 'int64 sum that leaves int64 (DuckDB: HUGEINT)', sql: 'SELECT sum(b) AS s FROM ex.big WHERE id >= 100 OR id = 0', mayFail: OVERFLOW },
  { name: 'int64 sum of every extreme (DuckDB: HUGEINT)', sql: 'SELECT sum(b) AS s FROM ex.big WHERE id < 12', mayFail: OVERFLOW },
  // DuckDB answers a 39-digit value for its own DECIMAL(38,10) (its HUGEINT accumulator is not checked); ours must refuse it.
  { name: 'DECIMAL(38,10) sum that leaves 38 digits', sql: 'SELECT sum(d38) AS s FROM ex.big WHERE id = 0 OR id = 5', oursFails: OVERFLOW },
  // --- GROUP BY on the exact columns
  // The NULL group holds ids 4–10 only: the sum of all 12 extremes leaves int64 (a case of its own above).
  { name: 'group by int64 keys beyond 2^53 (differ by one)', sql: 'SELECT g, count(*) AS n, sum(b) AS s, min(d38) AS lo, max(d38) AS hi FROM ex.big WHERE id >= 4 AND id < 11 OR id >= 100 GROUP BY g' },
  { name: 'group by the int64 column', sql: 'SELECT b, count(*) AS n FROM ex.big WHERE id < 12 OR id % 97 = 0 GROUP BY b' },
  { name: 'group by DECIMAL(10,2)', sql: 'SELECT fee, count(*) AS n, sum(price) AS s, avg(price) AS a, min(d38) AS lo FROM ex.money GROUP BY fee' },
  { name: 'group by DECIMAL(38,10)', sql: 'SELECT d38, count(*) AS n, sum(b) AS s FROM ex.big GROUP BY d38' },
  { name: 'group by int key, exact aggregates', sql: 'SELECT k, count(price) AS n, sum(price) AS s, min(price) AS lo, max(price) AS hi, sum(d38) AS sd, avg(d38) AS ad FROM ex.money GROUP BY k' },
  // --- joins on exact keys
  { name: 'join on int64 keys beyond 2^53', sql: 'SELECT a.id, a.b, k.label FROM ex.big a JOIN ex.bkeys k ON a.b = k.b' },
  { name: 'join on int64 group keys beyond 2^53', sql: 'SELECT k.label, count(*) AS n, sum(a.b) AS s FROM ex.big a JOIN ex.bkeys k ON a.g = k.b GROUP BY k.label' },
  { name: 'join on DECIMAL(10,2)', sql: 'SELECT f.label, count(*) AS n, sum(m.price) AS s FROM ex.money m JOIN ex.fees f ON m.fee = f.fee GROUP BY f.label' },
  // --- arithmetic
  { name: 'decimal products and sums (result types)', anyPrecision: true, sql: 'SELECT id, price * fee AS pf, price * 3 AS p3, price + fee AS ps, price - 0.05 AS pm, fee * k AS fk, -price AS neg FROM ex.money WHERE id < 3000' },
  { name: 'DECIMAL(38,10) times DECIMAL(10,2) (capped at 38 digits)', sql: 'SELECT id, d38 * fee AS x FROM ex.money WHERE id < 500' },
  { name: 'DECIMAL(38,10) product overflow', sql: 'SELECT d38 * 100.00 AS x FROM ex.big WHERE id = 0', duckFails: true, codes: OVERFLOW },
  { name: 'int64 arithmetic beyond 2^53', sql: 'SELECT id, id * 100000000000000 + 7 AS x, b + 1 AS b1, b - 1 AS bm, b * 1000 AS bk FROM ex.big WHERE id >= 100 AND id < 130 OR id = 1 OR id = 2' },
  { name: 'the issue\'s CTAS expression id * 1000000000 + 7', sql: 'SELECT id, id * 1000000000 + 7 AS x FROM ex.money WHERE id < 100' },
  { name: 'int64 multiplication overflow', sql: 'SELECT b * 2 AS x FROM ex.big WHERE id = 0', duckFails: true, codes: OVERFLOW },
  { name: 'int64 addition overflow', sql: 'SELECT b + 1 AS x FROM ex.big WHERE id = 0', duckFails: true, codes: OVERFLOW },
  { name: 'int64 subtraction overflow', sql: 'SELECT b - 1 AS x FROM ex.big WHERE id = 3', duckFails: true, codes: OVERFLOW },
  { name: 'int64 negation overflow', sql: 'SELECT -b AS x FROM ex.big WHERE id = 3', duckFails: true, codes: OVERFLOW },
  { name: 'int32 addition overflow', sql: 'SELECT k + 2147483647 AS x FROM ex.money WHERE id = 6', duckFails: true, codes: OVERFLOW, orValue: [['2147483653']] },
  { name: 'decimal division gives DOUBLE', sql: 'SELECT m.id, price / fee AS q, x.b / 3 AS bq, x.d38 / price AS dq FROM ex.money m, ex.big x WHERE m.id = x.id AND m.fee <> 0 AND x.id < 12' },
  // --- casts
  { name: 'cast to a narrower decimal rounds half away from zero', sql: 'SELECT id, CAST(price AS DECIMAL(10,1)) AS p1, CAST(price AS DECIMAL(12,0)) AS p0, CAST(d38 AS DECIMAL(38,2)) AS d2, CAST(d38 AS DECIMAL(38,0)) AS d0 FROM ex.money WHERE id < 3000' },
  { name: 'cast .5 decimals to integers', sql: 'SELECT id, d38, CAST(d38 AS BIGINT) AS i8, CAST(d38 AS INTEGER) AS i4, CAST(d38 AS DECIMAL(10,0)) AS d0 FROM ex.big WHERE id >= 6 AND id < 12' },
  { name: 'cast decimal to INTEGER and BIGINT', sql: 'SELECT id, CAST(price AS INTEGER) AS pi, CAST(price AS BIGINT) AS pb, CAST(fee AS INTEGER) AS fi FROM ex.money WHERE id < 3000' },
  { name: 'cast to DOUBLE', sql: 'SELECT id, CAST(price AS DOUBLE) AS pd, CAST(d38 AS DOUBLE) AS dd FROM ex.money WHERE id < 3000' },
  { name: 'cast int64 to DOUBLE and DECIMAL', sql: 'SELECT id, CAST(b AS DOUBLE) AS bd, CAST(b AS DECIMAL(38,0)) AS b38, CAST(b AS DECIMAL(20,1)) AS b20 FROM ex.big' },
  { name: 'cast int64 to VARCHAR', sql: 'SELECT id, CAST(b AS VARCHAR) AS s, CAST(d38 AS VARCHAR) AS ds FROM ex.big WHERE id < 12' },
  { name: 'cast VARCHAR to BIGINT and DECIMAL', sql: "SELECT CAST('9223372036854775807' AS BIGINT) AS a, CAST('-9223372036854775808' AS BIGINT) AS b, CAST('1.255' AS DECIMAL(10,2)) AS c, CAST('-1.255' AS DECIMAL(10,2)) AS d" },
  { name: 'cast int64 beyond int32 to INTEGER', sql: 'SELECT CAST(b AS INTEGER) AS x FROM ex.big WHERE id = 2', duckFails: true, codes: CAST_RANGE },
  { name: 'cast whose rounding carries past the precision', sql: 'SELECT CAST(price AS DECIMAL(9,1)) AS x FROM ex.money WHERE id = 1', duckFails: true, codes: CAST_RANGE },
  { name: 'cast to a decimal too narrow', sql: 'SELECT CAST(price AS DECIMAL(5,2)) AS x FROM ex.money WHERE id = 1', duckFails: true, codes: CAST_RANGE },
  { name: 'cast DECIMAL(38,10) beyond int64 to BIGINT', sql: 'SELECT CAST(d38 AS BIGINT) AS x FROM ex.big WHERE id = 0', duckFails: true, codes: CAST_RANGE },
  { name: 'cast int64 to a decimal too narrow', sql: 'SELECT CAST(b AS DECIMAL(18,0)) AS x FROM ex.big WHERE id = 0', duckFails: true, codes: CAST_RANGE },
  { name: 'cast a literal beyond int32', sql: 'SELECT CAST(2147483648 AS INTEGER) AS x', duckFails: true, codes: CAST_RANGE },
  // --- ORDER BY
  { name: 'order by int64 near 2^53', sql: 'SELECT id, b FROM ex.big ORDER BY b DESC, id LIMIT 40', ordered: true },
  { name: 'order by int64 with nulls', sql: 'SELECT id, b FROM ex.big WHERE id < 12 ORDER BY b NULLS FIRST', ordered: true },
  { name: 'order by DECIMAL(38,10)', sql: 'SELECT id, d38 FROM ex.big ORDER BY d38 DESC NULLS LAST, id LIMIT 30', ordered: true },
  { name: 'order by DECIMAL(10,2)', sql: 'SELECT id, price FROM ex.money ORDER BY price, id LIMIT 50', ordered: true },
  { name: 'order by a decimal aggregate', sql: 'SELECT fee, sum(price) AS s FROM ex.money GROUP BY fee ORDER BY s DESC', ordered: true },
];
