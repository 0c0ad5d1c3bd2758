/**
 * The seeded SQL generator of test/engine/sql-fuzz.test.ts: `generateCase(seed, n)` is a pure
 * function of its arguments (its own PRNG, mulberry32), so a failing case is reproduced from the
 * seed and the case number alone.
 *
 * Queries read `fz.ft` (FUZZ_TABLE_SQL, 24 rows). Expressions are typed as they are generated
 * (int, exact decimal, double, string, date, boolean) so every query is well typed in DuckDB and
 * in our SQL subset. What is left out on purpose: division by anything but a non-zero literal
 * (x / 0 is NULL for us, ±Infinity in DuckDB — documented), implicit ORDER BY null placement
 * (always NULLS FIRST or LAST), functions the engine does not have, and casts of doubles or
 * decimals to text (the engines print floats differently, both correctly).
 */

import { rng as prng } from './prng.js';
export interface FuzzCase {
  sql: string;
  /** The query orders by a total order (…, id), so row order is compared. */
  ordered: boolean;
}

const I = ['1', '-7', '0', '1000', '42', 'NULL', '-1000', '13', '7'];
const B = ['10', '9007199254740993', '-9007199254740993', '123456789012', '0', 'NULL', '-1', '9000000000000000', '-42', '1152921504606846977', '77'];
const M = ['1.50', '-0.05', '99999999.99', '-12345.67', '0.00', 'NULL', '7.25', '100.00', '0.05', '-7.25', '2.50'];
const X = ["'NaN'", "'1.5'", "'Infinity'", "'-2.25'", "'-Infinity'", "'0.1'", 'NULL', "'3.0'", "'1e300'", "'-0.5'", "'1e-7'", "'2.5'", "'-1.5'"];
const S = ["'apple'", "'Banana'", "''", "'café'", "'😀 smile'", "'\uFFFF'", "'a%b_c'", 'NULL', "'zeta'", "'日本語'", "'apple '", "'  pad  '", "'😀'", "'b'"];
const D = ["'2020-01-01'", "'1999-12-31'", "'2024-02-29'", 'NULL', "'2020-06-15'", "'1970-01-01'", "'2023-12-31'"];
const F = ['true', 'false', 'NULL', 'true', 'false'];
export const FUZZ_ROWS = 24;

/** The fuzz table (DuckDB SQL), every column with NULLs, `n` all NULL, `id` unique. */
export const FUZZ_TABLE_SQL = (() => {
  const rows: string[] = [];
  for (let r = 0; r < FUZZ_ROWS; r++) {
    const at = (a: string[], k: number): string => a[(r * k + Math.floor(r / a.length)) % a.length]!;
    rows.push(`(${r}, ${at(I, 1)}, ${at(B, 1)}, ${at(M, 1)}, ${at(X, 1)}, ${at(S, 1)}, ${at(D, 1)}, ${at(F, 1)})`);
  }
  return `SELECT id::INTEGER AS id, i::INTEGER AS i, b::BIGINT AS b, m::DECIMAL(10,2) AS m, x::DOUBLE AS x, s::VARCHAR AS s, d::DATE AS d, f::BOOLEAN AS f, NULL::INTEGER AS n
FROM (VALUES ${rows.join(', ')}) t(id, i, b, m, x, s, d, f)`;
})();

type NumT = 'int' | 'dec' | 'dbl';


class Gen {
  constructor(private readonly rnd: () => number) {}

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }

  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.rnd() * a.length)]!;
  }

  chance(p: number): boolean {
    return this.rnd() < p;
  }

  // ---- numbers: [sql, type]

  num(depth: number): [string, NumT] {
    if (depth <= 0 || this.chance(0.35)) return this.numLeaf();
    switch (this.int(0, 9)) {
      case 0: case 1: case 2: {
        const [a, ta] = this.num(depth - 1);
        const [b, tb] = this.num(depth - 1);
        return [`(${a} ${this.pick(['+', '-', '*'])} ${b})`, unify(ta, tb)];
      }
      case 3: {
        const [a] = this.intExpr(depth - 1);
        return [`(${a} % ${this.int(2, 9)})`, 'int'];
      }
      case 4: {
        const [a] = this.num(depth - 1);
        return [`(${a} / ${this.pick(['2', '4', '8', '2.5'])})`, 'dbl'];
      }
      case 5: {
        const [a] = this.num(depth - 1);
        const to = this.pick(['DOUBLE', 'BIGINT', 'INTEGER', 'DECIMAL(18,2)', 'DECIMAL(12,4)', 'DECIMAL(10,0)']);
        return [`CAST(${a} AS ${to})`, to === 'DOUBLE' ? 'dbl' : to.startsWith('DECIMAL') ? 'dec' : 'int'];
      }
      case 6: {
        const [a, ta] = this.num(depth - 1);
        const [b, tb] = this.num(depth - 1);
        return [`CASE WHEN ${this.bool(depth - 1)} THEN ${a} ELSE ${b} END`, unify(ta, tb)];
      }
      case 7: {
        const [a, ta] = this.num(depth - 1);
        const [b, tb] = this.num(depth - 1);
        return [`COALESCE(${a}, ${b})`, unify(ta, tb)];
      }
      case 8: {
        if (this.chance(0.5)) {
          const [a, t] = this.num(depth - 1);
          return [`(- ${a})`, t]; // the space: "--" would start a comment
        }
        // The operand form, and a branch that is a bare NULL.
        const [a, ta] = this.num(depth - 1);
        return [`CASE ${this.pick(['i', 'id % 4', 'm'])} WHEN ${this.pick(['1', '0', '7.25', '2'])} THEN ${a} WHEN ${this.pick(['42', '3', '-0.05'])} THEN NULL ELSE ${this.numLeaf()[0]} END`, ta === 'int' ? 'dec' : ta];
      }
      default:
        if (this.chance(0.25)) {
          // Text to numbers: a conversion error for most rows of s, in both engines.
          return this.pick([[`CAST(${this.pick(["'12.5'", "' 42 '", "'-0.005'", 's'])} AS DECIMAL(10,2))`, 'dec'], [`CAST(${this.pick(["'17'", "'-3'", 's'])} AS INTEGER)`, 'int'], [`CAST(${this.pick(["'1e3'", "'-2.5'", "'nan'"])} AS DOUBLE)`, 'dbl']] as Array<[string, NumT]>);
        }
        return this.pick([['length(s)', 'int'], ['year(d)', 'int'], ['month(d)', 'int'], ['day(d)', 'int']] as Array<[string, NumT]>);
    }
  }

  numLeaf(): [string, NumT] {
    switch (this.int(0, 7)) {
      case 0: case 1: return [this.pick(['i', 'b', 'id']), 'int'];
      case 2: return ['m', 'dec'];
      case 3: return ['x', 'dbl'];
      case 4: return [String(this.pick([0, 1, 2, 3, 7, 10, 100, 1000, -1, -5])), 'int'];
      case 5: return [this.pick(['0.05', '2.50', '1.5', '100.25', '-0.5']), 'dec'];
      case 6: return [this.pick(['1e1', '2.5e0', '1e-3']), 'dbl'];
      default: return this.pick([['i', 'int'], ['m', 'dec'], ['x', 'dbl'], ['n', 'int']] as Array<[string, NumT]>);
    }
  }

  intExpr(depth: number): [string, NumT] {
    if (depth <= 0 || this.chance(0.6)) return [this.pick(['i', 'b', 'id', 'n', 'length(s)', 'year(d)']), 'int'];
    const [a] = this.intExpr(depth - 1);
    const [b] = this.intExpr(depth - 1);
    return [`(${a} ${this.pick(['+', '-', '*'])} ${b})`, 'int'];
  }

  // ---- strings

  str(depth: number): string {
    if (depth <= 0 || this.chance(0.4)) return this.chance(0.8) ? 's' : strLit(this.pick(STRINGS));
    switch (this.int(0, 8)) {
      case 0: return `lower(${this.str(depth - 1)})`;
      case 1: return `upper(${this.str(depth - 1)})`;
      case 2: return `trim(${this.str(depth - 1)})`;
      case 3: return `substr(${this.str(depth - 1)}, ${this.int(1, 3)}, ${this.int(1, 3)})`;
      case 4: return `COALESCE(${this.str(depth - 1)}, ${strLit(this.pick(STRINGS))})`;
      case 5: return `(${this.str(depth - 1)} || ${strLit(this.pick(['!', '😀', '', 'x']))})`;
      case 6: return `concat(${this.str(depth - 1)}, ${this.chance(0.3) ? 'NULL' : strLit('-')}, ${this.str(depth - 1)})`;
      case 7: return `CASE WHEN ${this.bool(depth - 1)} THEN ${this.str(depth - 1)} ELSE ${strLit(this.pick(STRINGS))} END`;
      default: return `CAST(${this.pick(['i', 'b', 'id', 'd'])} AS VARCHAR)`;
    }
  }

  // ---- booleans

  bool(depth: number): string {
    const leaf = depth <= 0 || this.chance(0.45);
    if (!leaf) {
      switch (this.int(0, 3)) {
        case 0: return `(${this.bool(depth - 1)} AND ${this.bool(depth - 1)})`;
        case 1: return `(${this.bool(depth - 1)} OR ${this.bool(depth - 1)})`;
        case 2: return `(NOT ${this.bool(depth - 1)})`;
        default: break;
      }
    }
    const cmp = this.pick(['=', '<>', '<', '<=', '>', '>=']);
    switch (this.int(0, 11)) {
      case 0: case 1: return `${this.num(depth - 1)[0]} ${cmp} ${this.num(depth - 1)[0]}`;
      case 2: return `${this.str(depth - 1)} ${cmp} ${strLit(this.pick(STRINGS))}`;
      case 3: return `d ${cmp} DATE ${this.pick(["'2020-01-01'", "'2000-01-01'", "'2024-02-29'"])}`;
      case 4: return `${this.pick(['i', 'b', 'm', 'x', 's', 'd', 'f', 'n'])} IS ${this.chance(0.5) ? 'NOT ' : ''}NULL`;
      case 5: return `${this.pick(['i', 'b', 'id'])} ${this.chance(0.3) ? 'NOT ' : ''}IN (${this.pickSome(['1', '0', '42', '-7', '1000', '9007199254740993', '77'], 3).join(', ')}${this.chance(0.2) ? ', NULL' : ''})`;
      case 6: return `m ${this.chance(0.3) ? 'NOT ' : ''}IN (${this.pickSome(['1.50', '-0.05', '7.25', '0', '100', '2.5'], 3).join(', ')})`;
      case 7: return `s ${this.chance(0.3) ? 'NOT ' : ''}IN (${this.pickSome(STRINGS, 3).map(strLit).join(', ')})`;
      case 8: {
        const [e] = this.num(depth - 1);
        const lo = this.pick(['-10', '0', '1', '0.5', '-1000']);
        const hi = this.pick(['10', '100', '42', '1e9', '99.99']);
        return `${e} ${this.chance(0.3) ? 'NOT ' : ''}BETWEEN ${lo} AND ${hi}`;
      }
      case 9: return `${this.str(depth - 1)} ${this.chance(0.3) ? 'NOT ' : ''}LIKE ${strLit(this.pick(PATTERNS))}`;
      case 10: return this.chance(0.15) ? 'NULL' : this.chance(0.5) ? 'f' : '(NOT f)';
      default: return `s ${this.chance(0.5) ? 'BETWEEN' : 'NOT BETWEEN'} ${strLit(this.pick(['a', 'B', '']))} AND ${strLit(this.pick(['zz', '😀', '\uFFFF', 'b']))}`;
    }
  }

  pickSome<T>(a: readonly T[], k: number): T[] {
    const out: T[] = [];
    const n = this.int(1, k);
    for (let j = 0; j < n; j++) out.push(this.pick(a));
    return out;
  }

  // ---- anything, for projections, min/max and counts

  any(depth: number): string {
    switch (this.int(0, 5)) {
      case 0: case 1: return this.num(depth)[0];
      case 2: return this.str(depth);
      case 3: return this.bool(depth);
      case 4: return this.pick(['d', 'f', 'n']);
      default: return this.pick(['i', 'b', 'm', 'x', 's']);
    }
  }

  agg(depth: number): string {
    switch (this.int(0, 6)) {
      case 0: return 'count(*)';
      case 1: return `count(${this.chance(0.3) ? 'DISTINCT ' : ''}${this.any(depth)})`;
      case 2: return `sum(${this.num(depth)[0]})`;
      case 3: return `avg(${this.num(depth)[0]})`;
      case 4: return `min(${this.any(depth)})`;
      case 5: return `max(${this.any(depth)})`;
      default: return `sum(${this.pick(['i', 'b', 'm', 'x'])})`;
    }
  }

  where(): string {
    return this.chance(0.6) ? ` WHERE ${this.bool(2)}` : '';
  }

  groupKey(): string {
    return this.pick(['i', 'b', 'm', 'x', 's', 'd', 'f', 'n', '(i % 3)', 'lower(s)', 'year(d)', '(m * 2)', 'CAST(x AS INTEGER)', 'COALESCE(s, \'none\')']);
  }
}

const STRINGS = ['apple', 'Banana', '', 'café', '😀 smile', '\uFFFF', 'a%b_c', 'zeta', '日本語', 'b', 'apple ', '😀'];
const PATTERNS = ['a%', '%e', '_a%', '%😀%', '%\uFFFF', '_', '%', 'caf_', '😀_smile', 'a%b%', '', '__', '%é'];

function strLit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function unify(a: NumT, b: NumT): NumT {
  if (a === 'dbl' || b === 'dbl') return 'dbl';
  if (a === 'dec' || b === 'dec') return 'dec';
  return 'int';
}

/** Case `n` of `seed`: a query over fz.ft. */
export function generateCase(seed: number, n: number): FuzzCase {
  const g = new Gen(prng(seed * 100_003 + n));
  const depth = g.int(1, 3);
  switch (g.int(0, 5)) {
    case 5: {
      // A self-join on one key column: equal keys across types of key (int64 beyond 2^53,
      // decimals, doubles with NaN, strings with emoji, dates); NULL keys never match.
      const key = g.pick(['i', 'b', 'm', 'x', 's', 'd']);
      const other = g.pick(['i', 'b', 'm', 'x', 's', 'd']);
      return { sql: `SELECT a.id AS l, b.id AS r, a.${other} AS v FROM fz.ft a JOIN fz.ft b ON a.${key} = b.${key}`, ordered: false };
    }
    case 0: case 1: {
      if (g.chance(0.15)) return { sql: `SELECT DISTINCT ${g.any(depth)} AS c1 FROM fz.ft${g.where()}`, ordered: false };
      if (g.chance(0.1)) {
        const e = g.any(depth);
        return { sql: `SELECT id, ${e} AS c1 FROM fz.ft WHERE ${g.bool(2)} UNION ALL SELECT id, ${e} AS c1 FROM fz.ft WHERE ${g.bool(2)}`, ordered: false };
      }
      if (g.chance(0.1)) {
        return { sql: `WITH w AS (SELECT id, ${g.num(depth)[0]} AS v, s FROM fz.ft${g.where()}) SELECT id, v, s FROM w WHERE v IS NOT NULL`, ordered: false };
      }
      const items = Array.from({ length: g.int(1, 3) }, (_, k) => `${g.any(depth)} AS c${k + 1}`);
      return { sql: `SELECT id, ${items.join(', ')} FROM fz.ft${g.where()}`, ordered: false };
    }
    case 2: {
      const items = Array.from({ length: g.int(1, 3) }, (_, k) => `${g.agg(depth)} AS a${k + 1}`);
      return { sql: `SELECT ${items.join(', ')} FROM fz.ft${g.where()}`, ordered: false };
    }
    case 3: {
      const key = g.groupKey();
      const items = Array.from({ length: g.int(1, 3) }, (_, k) => `${g.agg(depth)} AS a${k + 1}`);
      if (g.chance(0.3)) {
        return { sql: `SELECT ${key} AS k, ${items.join(', ')} FROM fz.ft${g.where()} GROUP BY ${key} ORDER BY k ${g.pick(['ASC', 'DESC'])} NULLS ${g.pick(['FIRST', 'LAST'])} LIMIT ${g.int(1, 6)}`, ordered: true };
      }
      const having = g.chance(0.3) ? ` HAVING ${g.pick(['count(*) > 1', 'count(*) = 1', `sum(${g.pick(['i', 'm', 'id'])}) > ${g.pick(['0', '10', '1.5'])}`, `min(s) < 'b'`, 'max(id) >= 12'])}` : '';
      return { sql: `SELECT ${key} AS k, ${items.join(', ')} FROM fz.ft${g.where()} GROUP BY ${key}${having}`, ordered: false };
    }
    default: {
      const e = g.any(depth);
      return {
        sql: `SELECT id, ${e} AS c1 FROM fz.ft${g.where()} ORDER BY c1 ${g.pick(['ASC', 'DESC'])} NULLS ${g.pick(['FIRST', 'LAST'])}, id LIMIT ${g.int(1, 15)}${g.chance(0.2) ? ` OFFSET ${g.int(1, 5)}` : ''}`,
        ordered: true,
      };
    }
  }
}
