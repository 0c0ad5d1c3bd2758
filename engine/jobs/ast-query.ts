/**
 * sqlparser-ts query AST → the engine's unbound query tree (plan/unbound.ts), for job
 * statements whose placeholders were bound on the AST (params.ts).
 *
 * This mirrors the query-level half of engine/sql/parser.ts (`convertQuery` and its helpers,
 * which that module does not export); expressions go through the parser's own exported
 * `convertExpr`, so expression semantics cannot drift. Keep the two in step until parser.ts
 * exports a "convert a parsed statement" entry; then delete this file. Anything outside the
 * subset fails with `UNSUPPORTED` exactly as the SQL path does. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { UBody, UFrom, UOrder, UQuery, USelect, USelectItem } from '../plan/unbound.js';
import { convertExpr } from '../sql/parser.js';

type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export function unsupported(what: string): LakehouseError {
  return new LakehouseError('UNSUPPORTED', `not supported yet: ${what}`, { help: 'See the engine documentation for the supported SQL subset.' });
}

export function objectName(parts: J): string[] {
  if (!Array.isArray(parts)) throw unsupported('this kind of table reference');
  return parts.map((p: J) => (p.Identifier ? p.Identifier.value : p.value));
}

function spanPos(x: J): { line: number; column: number } | undefined {
  const s = x?.span?.start;
  return s && s.line > 0 ? { line: s.line, column: s.column } : undefined;
}

export function convertQueryAst(q: J): UQuery {
  const ctes = (q.with?.cte_tables ?? []).map((c: J) => {
    if (c.alias.columns?.length) throw unsupported('column lists on CTEs');
    return { name: c.alias.name.value as string, query: convertQueryAst(c.query) };
  });
  if (q.with?.recursive) throw unsupported('WITH RECURSIVE');
  const orderBy: UOrder[] = [];
  const kind = q.order_by?.kind;
  if (kind) {
    if (!kind.Expressions) throw unsupported('ORDER BY ALL');
    for (const o of kind.Expressions) {
      const item: UOrder = { e: convertExpr(o.expr), desc: o.options?.asc === false };
      if (o.options?.nulls_first !== undefined && o.options?.nulls_first !== null) item.nullsFirst = o.options.nulls_first;
      orderBy.push(item);
    }
  }
  let limit: number | null = null;
  let offset = 0;
  const lc = q.limit_clause;
  if (lc) {
    const lo = lc.LimitOffset;
    if (!lo) throw unsupported('this LIMIT form');
    if (lo.limit) limit = intValue(lo.limit, 'LIMIT');
    if (lo.offset) offset = intValue(lo.offset.value, 'OFFSET');
  }
  if (q.fetch) throw unsupported('FETCH');
  return { ctes, body: convertBody(q.body), orderBy, limit, offset };
}

function intValue(e: J, what: string): number {
  const n = e?.Value?.value?.Number;
  if (!n || !/^\d+$/.test(n[0])) throw unsupported(`${what} with a non-constant or non-integer value (an "int" parameter works)`);
  return Number(n[0]);
}

function convertBody(b: J): UBody {
  if (b.Select) return convertSelect(b.Select);
  if (b.Query) return { k: 'nested', query: convertQueryAst(b.Query) };
  if (b.SetOperation) {
    const s = b.SetOperation;
    if (s.op !== 'Union') throw unsupported(`${String(s.op).toUpperCase()}`);
    if (s.set_quantifier !== 'All') throw unsupported('UNION without ALL (use UNION ALL, or SELECT DISTINCT over it)');
    return { k: 'union', left: convertBody(s.left), right: convertBody(s.right) };
  }
  if (b.Values) throw unsupported('VALUES lists');
  throw unsupported(`query body ${Object.keys(b)[0]}`);
}

function convertSelect(s: J): USelect {
  if (s.distinct && s.distinct !== 'Distinct') throw unsupported('DISTINCT ON');
  if (s.top) throw unsupported('TOP');
  if (s.into) throw unsupported('SELECT INTO');
  if (s.qualify) throw unsupported('QUALIFY');
  if (s.named_window?.length) throw unsupported('WINDOW');
  if (s.cluster_by?.length || s.distribute_by?.length || s.sort_by?.length) throw unsupported('CLUSTER/DISTRIBUTE/SORT BY');
  const items: USelectItem[] = s.projection.map((p: J): USelectItem => {
    if (p.UnnamedExpr) return { k: 'expr', e: convertExpr(p.UnnamedExpr) };
    if (p.ExprWithAlias) return { k: 'expr', e: convertExpr(p.ExprWithAlias.expr), alias: p.ExprWithAlias.alias.value };
    if (p.Wildcard) return { k: 'star' };
    if (p.QualifiedWildcard) {
      const on = p.QualifiedWildcard[0]?.ObjectName;
      if (!on) throw unsupported('this wildcard form');
      const parts = objectName(on);
      return { k: 'star', qualifier: parts[parts.length - 1]! };
    }
    throw unsupported(`select item ${Object.keys(p)[0]}`);
  });
  let from: UFrom | null = null;
  for (const twj of s.from ?? []) {
    let rel = convertFactor(twj.relation);
    for (const j of twj.joins ?? []) rel = convertJoin(rel, j);
    from = from ? { k: 'join', kind: 'cross', left: from, right: rel, on: null } : rel;
  }
  const gb = s.group_by;
  let groupBy: USelect['groupBy'] = [];
  if (gb) {
    if (gb.All !== undefined) throw unsupported('GROUP BY ALL');
    const [exprs, modifiers] = gb.Expressions ?? [[], []];
    if (modifiers?.length) throw unsupported('GROUP BY modifiers (ROLLUP/CUBE/GROUPING SETS)');
    groupBy = exprs.map(convertExpr);
  }
  return {
    k: 'select',
    distinct: s.distinct === 'Distinct',
    items,
    from,
    where: s.selection ? convertExpr(s.selection) : null,
    groupBy,
    having: s.having ? convertExpr(s.having) : null,
  };
}

function convertFactor(f: J): UFrom {
  if (f.Table) {
    const t = f.Table;
    if (t.args) throw unsupported('table functions');
    const out: UFrom = { k: 'table', name: objectName(t.name) };
    const pos = spanPos(t.name[0]?.Identifier ?? t.name[0]);
    if (pos) out.pos = pos;
    if (t.alias) {
      if (t.alias.columns?.length) throw unsupported('column aliases on tables');
      out.alias = t.alias.name.value;
    }
    if (t.version) {
      if (t.version.VersionAsOf) {
        const v = t.version.VersionAsOf?.Value?.value;
        const id = v?.Number?.[0] ?? v?.SingleQuotedString;
        if (id === undefined || !/^\d+$/.test(String(id))) throw unsupported('VERSION AS OF with a non-integer snapshot id');
        out.travel = { kind: 'version', snapshotId: String(id) };
      } else if (t.version.TimestampAsOf) {
        const v = t.version.TimestampAsOf?.Value?.value?.SingleQuotedString;
        if (v === undefined) throw unsupported("TIMESTAMP AS OF with a non-literal value (use a string like '2024-01-01 00:00:00')");
        out.travel = { kind: 'timestamp', at: v };
      } else {
        throw unsupported(`time travel form ${Object.keys(t.version)[0]}`);
      }
    }
    return out;
  }
  if (f.Derived) {
    const d = f.Derived;
    if (d.lateral) throw unsupported('LATERAL');
    if (!d.alias) throw new LakehouseError('PLAN_ERROR', 'a subquery in FROM needs an alias', { help: 'Write (SELECT …) AS name.' });
    return { k: 'sub', query: convertQueryAst(d.subquery), alias: d.alias.name.value };
  }
  if (f.NestedJoin) {
    let rel = convertFactor(f.NestedJoin.table_with_joins.relation);
    for (const j of f.NestedJoin.table_with_joins.joins ?? []) rel = convertJoin(rel, j);
    return rel;
  }
  throw unsupported(`FROM item ${Object.keys(f)[0]}`);
}

function convertJoin(left: UFrom, j: J): UFrom {
  const right = convertFactor(j.relation);
  const op = j.join_operator;
  const key = Object.keys(op)[0]!;
  if (key === 'CrossJoin') return { k: 'join', kind: 'cross', left, right, on: null };
  const kind = key === 'Join' || key === 'Inner' ? 'inner' : key === 'Left' || key === 'LeftOuter' ? 'left' : key === 'Right' || key === 'RightOuter' ? 'right' : null;
  if (!kind) throw unsupported(`${key.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()} JOIN`);
  const c = op[key];
  if (!c?.On) throw unsupported('joins without ON (USING / NATURAL)');
  return { k: 'join', kind, left, right, on: convertExpr(c.On) };
}
