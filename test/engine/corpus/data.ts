/**
 * Tables of the SQL corpus, written by DuckDB into Parquet files under a temp dir (so that both
 * engines read byte-identical inputs), registered as `c.<name>` in DuckDB and in our engines.
 * Built to hit the nasty cases: NULLs in join keys, group keys and order keys; ties; BIGINTs
 * above 2^53; DECIMAL values whose float64 sums round; an empty table.
 *
 * - c.t (3000 rows): id BIGINT (0..2999, unique), k INTEGER (0..9, NULL every 9th), g VARCHAR
 *   (5 values, NULL every 11th), big BIGINT (2^53 + id*3 − 1500, so above and below 2^53), m
 *   DECIMAL(18,2), x DOUBLE (NULL every 13th), dt DATE, ts TIMESTAMP, s VARCHAR (mixed case,
 *   NULL every 17th), flag BOOLEAN (NULL every 19th).
 * - c.u (400 rows): k INTEGER (−2..14, NULL every 7th), name VARCHAR, v DECIMAL(12,3), big BIGINT.
 * - c.e: c.u's columns, no rows.
 * - c.n (6 rows): k INTEGER with NULLs only in some rows, for NOT IN / IS DISTINCT FROM.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Oracle } from '../../helpers/duckdb-oracle.js';

export const CORPUS_TABLES: Record<string, string> = {
  t: `SELECT i::BIGINT AS id,
    CASE WHEN i % 9 = 0 THEN NULL ELSE (i % 10)::INTEGER END AS k,
    CASE WHEN i % 11 = 0 THEN NULL ELSE ['red', 'green', 'blue', 'Red', 'amber'][(i % 5) + 1] END AS g,
    (9007199254740992 + i * 3 - 1500)::BIGINT AS big,
    (((hash(i) % 2000000)::BIGINT - 1000000) / 100)::DECIMAL(18,2) AS m,
    CASE WHEN i % 13 = 0 THEN NULL ELSE ((hash(i * 7) % 100000) / 64.0 - 700)::DOUBLE END AS x,
    (DATE '2020-01-01' + (i % 800)::INTEGER) AS dt,
    (TIMESTAMP '2021-03-01 00:00:00' + to_seconds((hash(i * 11) % 40000000)::BIGINT)) AS ts,
    CASE WHEN i % 17 = 0 THEN NULL ELSE ['Alpha', 'beta', 'GAMMA', 'delta-9', 'eps ilon', 'Zeta_1'][(i % 6) + 1] || (i % 4)::VARCHAR END AS s,
    CASE WHEN i % 19 = 0 THEN NULL ELSE i % 3 = 0 END AS flag
    FROM range(3000) r(i)`,
  u: `SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 17 - 2)::INTEGER END AS k,
    'n' || (i % 23)::VARCHAR AS name,
    ((hash(i * 5) % 1000000)::BIGINT / 1000)::DECIMAL(12,3) AS v,
    (9007199254740992 + (i % 50) * 3 - 60)::BIGINT AS big
    FROM range(400) r(i)`,
  e: `SELECT * FROM (SELECT 1::INTEGER AS k, 'x' AS name, 1.5::DECIMAL(12,3) AS v, 1::BIGINT AS big) WHERE false`,
  n: `SELECT * FROM (VALUES (1::INTEGER), (2), (NULL), (5), (NULL), (7)) v(k)`,
};

/** Writes the tables and creates the DuckDB views; returns the directory of `<name>.parquet` files. */
export async function writeCorpusTables(oracle: Oracle): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sql-corpus-'));
  await oracle.exec('CREATE SCHEMA IF NOT EXISTS c');
  for (const [name, sql] of Object.entries(CORPUS_TABLES)) {
    const file = path.join(dir, `${name}.parquet`);
    await oracle.exec(`COPY (${sql}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 1024)`);
    await oracle.exec(`CREATE VIEW c.${name} AS SELECT * FROM read_parquet('${file}')`);
  }
  return dir;
}
