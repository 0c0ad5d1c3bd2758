/**
 * `VALUES (…), (…)` bodies as the UNION ALL of one SELECT per row (columns named col0, col1, …
 * as in DuckDB; types unified as UNION ALL unifies them). Runs on the unbound tree before
 * binding, so VALUES works everywhere a query body may stand (FROM, INSERT, CTEs, views) with
 * the existing plan nodes. Pure and synchronous; the tree is balanced so deep lists do not
 * nest deeply.
 */

import type { UBody } from './unbound.js';

export function valuesAsUnion(b: Extract<UBody, { k: 'values' }>): UBody {
  const selects: UBody[] = b.rows.map((row) => ({
    k: 'select', distinct: false, from: null, where: null, groupBy: [], having: null,
    items: row.map((e, j) => ({ k: 'expr' as const, e, alias: `col${j}` })),
  }));
  const build = (lo: number, hi: number): UBody => {
    if (hi - lo === 1) return selects[lo]!;
    const mid = (lo + hi) >> 1;
    return { k: 'setop', op: 'union', all: true, left: build(lo, mid), right: build(mid, hi) };
  };
  return build(0, selects.length);
}
