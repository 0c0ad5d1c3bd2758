/**
 * The DuckDB-built file of exact and foreign types shared by test/formats/exact-read.test.ts (the
 * read path) and test/engine/type-fidelity.test.ts (ingest): the SQL that builds it, DuckDB's
 * reading of it as exact text, and the canonical text of the engine's raw `openRows` cells.
 */
export const ROWS = 3000;

/** DuckDB builds the file; edge values first, then generated rows (with nulls in every column). */
export const CREATE = `
CREATE TABLE t AS
WITH gen AS (SELECT g FROM range(${ROWS}) r(g))
SELECT
  g,
  CASE WHEN g % 7 = 0 THEN NULL WHEN g = 1 THEN 99999999.99 WHEN g = 2 THEN -99999999.99
       ELSE ((g * 7919) % 2000003 - 1000000) / 100.0 END::DECIMAL(10,2) AS d10,
  CASE WHEN g % 5 = 0 THEN NULL WHEN g = 1 THEN '9999999999999999999999999999.9999999999'::DECIMAL(38,10)
       WHEN g = 2 THEN '-9999999999999999999999999999.9999999999'::DECIMAL(38,10)
       WHEN g % 3 = 0 THEN ((g - 1500) * 12345.6789)::DECIMAL(38,10)
       ELSE ((g - 1500)::HUGEINT * 1234567890123456789)::DECIMAL(38,10) END AS d38,
  CASE WHEN g % 11 = 0 THEN NULL WHEN g = 1 THEN '99999999999999999999999999999999999999'::DECIMAL(38,0)
       ELSE ((g - 1500)::HUGEINT * 170141183460469231731687303715884)::DECIMAL(38,0) END AS d380,
  CASE WHEN g % 13 = 0 THEN NULL WHEN g = 1 THEN 9223372036854775807 WHEN g = 2 THEN -9223372036854775808
       WHEN g % 2 = 0 THEN (g - 1500)::BIGINT * 6148914691236517 ELSE g - 1500 END::BIGINT AS big,
  CASE WHEN g % 17 = 0 THEN NULL WHEN g = 1 THEN 9223372036854775807 WHEN g = 2 THEN 0
       ELSE g::UBIGINT * 3074457345618258 END::UBIGINT AS ub,
  CASE WHEN g % 19 = 0 THEN NULL ELSE (g - 1500)::HUGEINT * 113427455640312821154458202477256 END AS hi,
  CASE WHEN g % 23 = 0 THEN NULL WHEN g % 23 = 1 THEN 'nan'::DOUBLE WHEN g % 23 = 2 THEN 'inf'::DOUBLE
       WHEN g % 23 = 3 THEN '-inf'::DOUBLE WHEN g % 23 = 4 THEN '-0.0'::DOUBLE ELSE (g * 37 % 100000)::DOUBLE / 7 - 5000 END AS dbl,
  CASE WHEN g % 29 = 0 THEN NULL
       ELSE make_timestamp_ns((g - 1500)::BIGINT * 987654321987654 + (g * 7) % 1000) END AS tns,
  CASE WHEN g % 31 = 0 THEN NULL WHEN g = 1 THEN TIMESTAMP '0001-01-01 00:00:00' WHEN g = 2 THEN TIMESTAMP '9999-12-31 23:59:59.999999'
       ELSE TIMESTAMP '1500-03-01 12:00:00' + to_microseconds((g::BIGINT - 1500) * 987654321987) END AS ts_old,
  (TIMESTAMP '1600-01-01' + to_milliseconds(g::BIGINT * 86400007))::TIMESTAMP_MS AS ts_ms,
  (TIMESTAMP '1969-12-31' + to_seconds(g::BIGINT * 86401 - 100000))::TIMESTAMP_S AS ts_s,
  CASE WHEN g % 3 = 1 THEN NULL ELSE (TIMESTAMP '1999-12-31 23:59:59.999999' - to_microseconds(g::BIGINT * 77777777))::TIMESTAMPTZ END AS tstz,
  CASE WHEN g % 37 = 0 THEN NULL WHEN g = 1 THEN ''::BLOB WHEN g = 2 THEN unhex('00FF80819F7F')
       ELSE unhex(substr(md5(g::VARCHAR), 1, 2 * (g % 9))) END AS bl,
  CASE WHEN g % 41 = 0 THEN NULL ELSE md5(g::VARCHAR)::UUID END AS u,
  CASE WHEN g % 43 = 0 THEN NULL ELSE TIME '00:00:00' + to_microseconds((g::BIGINT * 1234567891) % 86400000000) END AS tm,
  CASE WHEN g % 47 = 0 THEN NULL ELSE DATE '1969-06-15' + ((g * 3637) % 2000000 - 1000000)::INTEGER END AS dt
FROM gen`;

/** DuckDB's reading of the file, each column as exact text (or the JSON of a double). */
export const EXPECT = `SELECT g::VARCHAR g, d10::VARCHAR d10, d38::VARCHAR d38, d380::VARCHAR d380, big::VARCHAR big, ub::VARCHAR ub, hi, dbl,
  epoch_ns(tns)::VARCHAR tns, epoch_us(ts_old)::VARCHAR ts_old, epoch_us(ts_ms)::VARCHAR ts_ms, epoch_us(ts_s)::VARCHAR ts_s,
  epoch_us(tstz)::VARCHAR tstz, hex(bl) bl, u::VARCHAR u, epoch_us(DATE '1970-01-01' + tm)::VARCHAR tm,
  (dt - DATE '1970-01-01')::VARCHAR dt`;

const DECIMAL_SCALES: Record<string, number> = { d10: 2, d38: 10, d380: 0 };

export function decimalText(x: number | bigint, scale: number): string {
  const v = BigInt(x);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const s = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${s}` : s;
}

function doubleText(x: unknown): string | null {
  if (x === null || x === undefined) return null;
  if (typeof x === 'string') return x; // DuckDB's JSON: "NaN", "Infinity", "-Infinity"
  const n = x as number;
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

/** Floor division: the engine truncates nanoseconds to microseconds towards the past. */
function floorDiv(a: bigint, d: bigint): bigint {
  const q = a / d;
  return a % d < 0n ? q - 1n : q;
}

/** One engine cell (raw `openRows` value) in the canonical text of EXPECT. */
export function ours(col: string, x: unknown): string | null {
  if (x === null || x === undefined) return null;
  // DataFrame rows give decimals as their exact text; raw vectors give the unscaled integer.
  if (col in DECIMAL_SCALES) return typeof x === 'string' ? x : decimalText(x as number | bigint, DECIMAL_SCALES[col]!);
  if (col === 'hi' || col === 'dbl') return doubleText(x);
  if (col === 'bl') {
    const s = x as string;
    let hex = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) throw new Error(`binary value with char ${c}`);
      hex += c.toString(16).padStart(2, '0').toUpperCase();
    }
    return hex;
  }
  return String(x);
}

export function theirs(col: string, x: unknown): string | null {
  if (x === null || x === undefined) return null;
  if (col === 'hi' || col === 'dbl') return doubleText(x);
  if (col === 'tns') return String(floorDiv(BigInt(x as string), 1000n));
  return String(x);
}

/** The engine types of the file's columns. */
export const ENGINE_TYPES = {
  g: 'int64', d10: 'decimal(10,2)', d38: 'decimal(38,10)', d380: 'decimal(38,0)', big: 'int64', ub: 'int64',
  hi: 'float64', dbl: 'float64', tns: 'timestamp', ts_old: 'timestamp', ts_ms: 'timestamp', ts_s: 'timestamp',
  tstz: 'timestamp', bl: 'binary', u: 'uuid', tm: 'time', dt: 'date',
};

/** Rows of both sides keyed by column, sorted by g. */
export function canonicalRows(names: string[], engineRows: unknown[][], duckRows: Array<Record<string, unknown>>): { got: Array<Record<string, string | null>>; want: Array<Record<string, string | null>> } {
  const got = engineRows.map((r) => Object.fromEntries(names.map((n, i) => [n, ours(n, r[i])])));
  got.sort((a, b) => Number(a['g']) - Number(b['g']));
  const want = duckRows.map((r) => Object.fromEntries(names.map((n) => [n, theirs(n, r[n])])));
  want.sort((a, b) => Number(a['g']) - Number(b['g']));
  return { got, want };
}
