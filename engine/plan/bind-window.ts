/**
 * Binding of window functions (`f(…) OVER (…)`, named `WINDOW`s, `QUALIFY`) for one SELECT.
 *
 * The binder (binder.ts bindSelect) binds the select list, QUALIFY and ORDER BY through the hook
 * of `WindowBinder.wrap`: a window call is bound here — its arguments, PARTITION BY and ORDER BY
 * over the rows the window sees (after WHERE, or after GROUP BY/HAVING: the inner hook maps
 * aggregates and group keys) — and replaced by a placeholder column (WINDOW_BASE + j). `apply`
 * then stacks one logical `window` node per distinct (PARTITION BY, ORDER BY) over the input,
 * puts the QUALIFY filter above them, and rewrites the placeholders to the calls' columns.
 *
 * Typing follows DuckDB: row_number/rank/dense_rank/ntile BIGINT, percent_rank/cume_dist DOUBLE,
 * lag/lead/first_value/last_value/nth_value the argument's type (with lag/lead's default unified
 * into it), aggregates as in GROUP BY (sum(decimal(P,S)) decimal(38,S), avg DOUBLE).
 * Frames: the SQL default (RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW with ORDER BY, the
 * whole partition without); offsets are constants — for RANGE in the ORDER BY key's units
 * (unscaled for decimals, days for dates, microseconds for timestamps). Pure; no I/O.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { PlanNode, SortItem, WindowCall, WindowFrame } from './logical.js';
import { rewriteAggFilter } from './bind-grouping.js';
import { foldExpr } from './optimize.js';
import { findAggregate, isAggregateName } from '../functions/aggregates.js';
import { aggExprs, aggResultType, decimalParts, isNumeric, remapColumns, type AggFn, type DataType, type Expr, type Schema } from './types.js';
import { coerce, unify } from './typing.js';
import type { Pos, UExpr, UFrameBound, USelect, UWindowSpec } from './unbound.js';
import { walkExpr } from './unbound-walk.js';

type Hook = (u: UExpr) => Expr | undefined;
type Bind = (u: UExpr, hook?: Hook) => Expr;
type FnExpr = Extract<UExpr, { k: 'fn' }>;

/** Placeholder columns of window calls start here (far above any real column index). */
const WINDOW_BASE = 1 << 30;

const RANKING = new Set(['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist']);
const NAVIGATION = new Set(['lag', 'lead', 'first_value', 'last_value', 'nth_value']);
/** Aggregates with window kernels (compute/window-aggs.ts). */
export const WINDOW_AGGS = new Set(['count', 'sum', 'avg', 'min', 'max']);
const US = { week: 604_800_000_000, day: 86_400_000_000, hour: 3_600_000_000, minute: 60_000_000, second: 1_000_000, millisecond: 1_000, microsecond: 1 } as const;

function planError(msg: string, pos?: Pos, help?: string): LakehouseError {
  const where = pos ? ` at line ${pos.line}, column ${pos.column}` : '';
  return new LakehouseError('PLAN_ERROR', `${msg}${where}`, { ...(help ? { help } : {}), details: pos ? { ...pos } : {} });
}

function unsupported(what: string, pos?: Pos): LakehouseError {
  const where = pos ? ` at line ${pos.line}, column ${pos.column}` : '';
  return new LakehouseError('UNSUPPORTED', `not supported yet: ${what}${where}`, { help: 'See the engine documentation for the supported window functions and frames.' });
}

export function isWindowCall(u: UExpr): u is FnExpr & { over: UWindowSpec } {
  return u.k === 'fn' && u.over !== undefined;
}

/** Whether an expression contains a window call (anywhere, including nested queries' text). */
export function containsWindow(u: UExpr): boolean {
  let found = false;
  walkExpr(u, { expr: (e) => { if (isWindowCall(e)) found = true; } }, new Set());
  return found;
}

/** Whether a SELECT uses window functions anywhere the binder allows them. */
export function selectUsesWindows(s: USelect, orderBy: Array<{ e: UExpr }>): boolean {
  return s.items.some((it) => it.k === 'expr' && containsWindow(it.e)) || (s.qualify ? true : false) || orderBy.some((o) => containsWindow(o.e));
}

interface Spec {
  partitionBy: Expr[];
  orderBy: SortItem[];
}

interface Resolved {
  partitionBy: UExpr[];
  orderBy: UWindowSpec['orderBy'];
  frame: UWindowSpec['frame'];
}

export class WindowBinder {
  private readonly calls: Array<{ key: string; spec: Spec; call: WindowCall }> = [];
  private readonly named = new Map<string, UWindowSpec>();
  /** The hook of the query without windows (the aggregate hook of a grouped query, else none). */
  private inner: Hook | undefined;

  /**
   * `bind` binds an expression over the rows the windows see (the binder's bindExpr with its
   * scope); `items` the select items (QUALIFY may name their aliases); `isColumn` tells a column
   * of the FROM clause from an alias.
   */
  constructor(
    private readonly s: USelect,
    private readonly bind: Bind,
    private readonly items: Array<{ u?: UExpr; alias?: string }>,
    private readonly isColumn: (name: string) => boolean,
  ) {
    for (const w of s.windows ?? []) {
      const key = w.name.toLowerCase();
      if (this.named.has(key)) throw planError(`window "${w.name}" is defined twice`);
      this.named.set(key, w.spec);
    }
    if (s.having && containsWindow(s.having)) throw planError('window functions are not allowed in HAVING', undefined, 'Filter on window results with QUALIFY.');
  }

  get active(): boolean {
    return this.calls.length > 0;
  }

  /**
   * The hook for the select list and ORDER BY: window calls become placeholders; everything else
   * goes to `inner` (the query's hook without windows), except nodes containing window calls,
   * which bindExpr descends into with this hook.
   */
  hook(inner: Hook | undefined): Hook {
    this.inner = inner;
    const h: Hook = (u) => {
      if (isWindowCall(u)) return this.register(u);
      if (containsWindow(u)) return undefined;
      return this.inner?.(u);
    };
    return h;
  }

  /** QUALIFY bound over the windows (select aliases allowed, as DuckDB does). */
  bindQualify(): Expr | null {
    const q = this.s.qualify;
    if (!q) return null;
    const base = this.hook(this.inner);
    const aliasOf = (u: UExpr): UExpr | undefined => {
      if (u.k !== 'ident' || u.parts.length !== 1 || this.isColumn(u.parts[0]!)) return undefined;
      const name = u.parts[0]!.toLowerCase();
      return this.items.find((it) => it.alias?.toLowerCase() === name)?.u;
    };
    const mentionsAlias = (u: UExpr): boolean => {
      let found = false;
      walkExpr(u, { expr: (e) => { if (aliasOf(e)) found = true; } }, new Set());
      return found;
    };
    const h: Hook = (u) => {
      const a = aliasOf(u);
      if (a) return this.bind(a, base);
      if (isWindowCall(u)) return this.register(u);
      if (containsWindow(u) || mentionsAlias(u)) return undefined;
      return this.inner?.(u);
    };
    const e = this.bind(q, h);
    if (e.type !== 'boolean' && e.type !== 'null') throw planError(`QUALIFY needs a boolean condition, got ${e.type}`);
    return e.type === 'null' ? { k: 'lit', v: false, type: 'boolean' } : e;
  }

  /**
   * Stacks the window nodes over `plan`, then the QUALIFY filter; rewrites the placeholders in
   * `exprs` (in place) to the calls' output columns.
   */
  apply(plan: PlanNode, qualify: Expr | null, exprs: Expr[][]): PlanNode {
    const groups = new Map<string, Array<{ j: number; spec: Spec; call: WindowCall }>>();
    this.calls.forEach((c, j) => {
      let g = groups.get(c.key);
      if (!g) groups.set(c.key, (g = []));
      g.push({ j, spec: c.spec, call: c.call });
    });
    const pos = new Array<number>(this.calls.length);
    for (const g of groups.values()) {
      const width = plan.schema.length;
      const schema: Schema = [...plan.schema, ...g.map(({ j, call }) => ({ name: `window${j}`, type: call.type, nullable: true }))];
      g.forEach(({ j }, k) => { pos[j] = width + k; });
      plan = { op: 'window', input: plan, partitionBy: g[0]!.spec.partitionBy, orderBy: g[0]!.spec.orderBy, calls: g.map((x) => x.call), schema };
    }
    const remap = (e: Expr): Expr => remapColumns(e, (i) => (i >= WINDOW_BASE ? pos[i - WINDOW_BASE]! : i));
    if (qualify) plan = { op: 'filter', input: plan, predicate: remap(qualify), schema: plan.schema };
    for (const list of exprs) for (let i = 0; i < list.length; i++) list[i] = remap(list[i]!);
    return plan;
  }

  private resolve(spec: UWindowSpec, depth = 0): Resolved {
    if (!spec.ref) return { partitionBy: spec.partitionBy, orderBy: spec.orderBy, frame: spec.frame };
    if (depth > 32) throw planError(`window "${spec.ref}" refers to itself`);
    const base = this.named.get(spec.ref.toLowerCase());
    if (!base) throw planError(`window "${spec.ref}" is not defined`, undefined, 'Define it in the WINDOW clause of the same SELECT: WINDOW w AS (PARTITION BY …).');
    const b = this.resolve(base, depth + 1);
    if (spec.partitionBy.length) throw planError(`cannot override the PARTITION BY of window "${spec.ref}"`);
    if (spec.orderBy.length && b.orderBy.length) throw planError(`cannot override the ORDER BY of window "${spec.ref}"`);
    if (spec.frame && b.frame) throw planError(`cannot override the frame of window "${spec.ref}"`);
    return { partitionBy: b.partitionBy, orderBy: spec.orderBy.length ? spec.orderBy : b.orderBy, frame: spec.frame ?? b.frame };
  }

  private register(u: FnExpr & { over: UWindowSpec }): Expr {
    const r = this.resolve(u.over);
    // Arguments, partitioning and order are bound over the rows the window sees; a window call
    // inside them reaches bindExpr without this hook, which refuses it (no nesting).
    const bindIn = (x: UExpr): Expr => this.bind(x, this.inner);
    const spec: Spec = {
      partitionBy: r.partitionBy.map(bindIn),
      orderBy: r.orderBy.map((o) => ({ e: bindIn(o.e), desc: o.desc, nullsFirst: o.nullsFirst ?? false })),
    };
    const call = this.bindCall(u, spec, r, bindIn);
    const key = JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const text = JSON.stringify(call, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    let j = this.calls.findIndex((c) => c.key === key && JSON.stringify(c.call, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) === text);
    if (j < 0) {
      j = this.calls.length;
      this.calls.push({ key, spec, call });
    }
    return { k: 'col', i: WINDOW_BASE + j, type: call.type };
  }

  private bindCall(u0: FnExpr, spec: Spec, r: Resolved, bindIn: (x: UExpr) => Expr): WindowCall {
    // `agg(…) FILTER (WHERE p) OVER (…)`: the aggregate over inputs NULL where p is not TRUE (plan/bind-grouping.ts).
    let u = u0;
    if (u0.filter && isAggregateName(u0.name)) {
      const { over: _o, ...bare } = u0;
      void _o;
      u = rewriteAggFilter(bare, isAggregateName) as FnExpr;
    }
    const name = u.name;
    const args = u.args.map(bindIn);
    const arity = (min: number, max = min): void => {
      if (args.length < min || args.length > max) throw planError(`${name}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`, u.pos);
    };
    const integer = (e: Expr, what: string): Expr => {
      if (e.type !== 'int32' && e.type !== 'int64' && e.type !== 'null') throw planError(`${name}() needs an integer ${what}, got ${e.type}`, u.pos);
      return coerce(e, 'int64');
    };
    const isNav = NAVIGATION.has(name);
    if (u.ignoreNulls && !isNav) throw planError(`IGNORE NULLS is not valid for ${name}()`, u.pos, 'Only lag, lead, first_value, last_value and nth_value take IGNORE NULLS.');
    if (u.filter) throw planError(`FILTER (WHERE …) is only valid for aggregates, not ${name}()`, u.pos);
    const registry = WINDOW_AGGS.has(name) ? undefined : findAggregate(name);
    if (u.orderBy?.length && !registry) throw unsupported(`ORDER BY inside the window function ${name}()`, u.pos);
    if ((u.distinct || u.star) && !WINDOW_AGGS.has(name) && !registry) throw planError(`${name}(${u.star ? '*' : 'DISTINCT …'}) is not valid`, u.pos);
    const frame = this.frame(r, spec, u.pos);
    const base = { distinct: false, ignoreNulls: !!u.ignoreNulls, frame };
    if (RANKING.has(name)) {
      arity(0);
      return { fn: name, args: [], ...base, type: name === 'percent_rank' || name === 'cume_dist' ? 'float64' : 'int64' };
    }
    if (name === 'ntile') {
      arity(1);
      return { fn: name, args: [integer(args[0]!, 'bucket count')], ...base, type: 'int64' };
    }
    if (name === 'lag' || name === 'lead') {
      arity(1, 3);
      // The value's type, as DuckDB: the default is cast to it (unless the value is an untyped NULL).
      let type = args[0]!.type;
      if (args[2] && type === 'null') type = args[2].type;
      if (args[2]) unify(type, args[2].type, `${name}() value and default`);
      const out: Expr[] = [coerce(args[0]!, type), args[1] ? integer(args[1], 'offset') : { k: 'lit', v: 1, type: 'int64' }];
      if (args[2]) out.push(coerce(args[2], type));
      return { fn: name, args: out, ...base, type };
    }
    if (name === 'first_value' || name === 'last_value') {
      arity(1);
      return { fn: name, args, ...base, type: args[0]!.type };
    }
    if (name === 'nth_value') {
      arity(2);
      return { fn: name, args: [args[0]!, integer(args[1]!, 'position')], ...base, type: args[0]!.type };
    }
    if (WINDOW_AGGS.has(name)) {
      if (u.star) {
        if (name !== 'count' || u.distinct) throw planError(`${name}(${u.distinct ? 'DISTINCT ' : ''}*) is not valid`, u.pos, 'Only count(*) takes *.');
        return { fn: 'count_star', args: [], ...base, type: 'int64' };
      }
      arity(1);
      let arg = args[0]!;
      if ((name === 'sum' || name === 'avg') && !isNumeric(arg.type) && arg.type !== 'null') throw planError(`${name}() needs a numeric argument, got ${arg.type}`, u.pos);
      if (arg.type === 'null' && (name === 'sum' || name === 'avg')) arg = { k: 'cast', e: arg, type: 'float64' };
      return { fn: name, args: [arg], ...base, distinct: u.distinct && name !== 'min' && name !== 'max', type: aggResultType(name as AggFn, arg.type) };
    }
    if (registry) {
      // Every other aggregate of the registry, computed over frames by the hash aggregator (compute/window-generic.ts).
      const agg = registry.bind({
        name, args, star: u.star, distinct: u.distinct,
        orderBy: (u.orderBy ?? []).map((o) => ({ e: bindIn(o.e), desc: o.desc, nullsFirst: o.nullsFirst ?? false })),
        fail: (msg, help) => { throw planError(msg, u.pos, help); },
      });
      return { fn: 'aggregate', args: aggExprs(agg), ...base, distinct: agg.distinct, type: agg.type, agg };
    }
    throw unsupported(`the window function ${name}()`, u.pos);
  }

  /** The frame of a call: the SQL default, or the written one with its offsets as constants. */
  private frame(r: Resolved, spec: Spec, pos: Pos | undefined): WindowFrame {
    if (!r.frame) {
      return spec.orderBy.length
        ? { units: 'range', start: { k: 'unbounded_preceding' }, end: { k: 'current' } }
        : { units: 'rows', start: { k: 'unbounded_preceding' }, end: { k: 'unbounded_following' } };
    }
    const { units, start, end } = r.frame;
    if (start.k === 'unbounded_following') throw planError('a window frame cannot start at UNBOUNDED FOLLOWING', pos);
    if (end.k === 'unbounded_preceding') throw planError('a window frame cannot end at UNBOUNDED PRECEDING', pos);
    if (start.k === 'following' && (end.k === 'current' || end.k === 'preceding')) throw planError('a window frame starting from a following row cannot have preceding rows', pos);
    if (start.k === 'current' && end.k === 'preceding') throw planError('a window frame starting from the current row cannot have preceding rows', pos);
    if (units === 'groups' && spec.orderBy.length === 0) throw planError('GROUPS frames need an ORDER BY in the window', pos);
    const key = spec.orderBy[0]?.e.type;
    if (units === 'range' && (start.k === 'preceding' || start.k === 'following' || end.k === 'preceding' || end.k === 'following') && spec.orderBy.length !== 1) {
      throw planError('a RANGE frame with an offset needs exactly one ORDER BY expression', pos);
    }
    const bound = (b: UFrameBound): WindowFrame['start'] => {
      if (b.k !== 'preceding' && b.k !== 'following') return { k: b.k };
      return { k: b.k, n: this.offset(b.n, units, key!, pos) };
    };
    return { units, start: bound(start), end: bound(end) };
  }

  /** A frame offset as a constant in the frame's units (see the module header). */
  private offset(u: UExpr, units: WindowFrame['units'], key: DataType, pos: Pos | undefined): number | bigint {
    if (u.k === 'interval') {
      if (units !== 'range' || (key !== 'date' && key !== 'timestamp')) throw planError('an INTERVAL frame offset needs a RANGE frame ordered by a date or timestamp', pos);
      if (u.unit === 'year' || u.unit === 'quarter' || u.unit === 'month') throw unsupported('RANGE frames with month, quarter or year INTERVAL offsets', pos);
      if (u.value < 0) throw planError('a window frame offset must not be negative', pos);
      if (key === 'date') {
        if (u.unit !== 'day' && u.unit !== 'week') throw unsupported(`RANGE frames over a DATE with an INTERVAL in ${u.unit}s (use days)`, pos);
        return u.unit === 'week' ? u.value * 7 : u.value;
      }
      if (u.unit === 'week') return u.value * 7 * US.day;
      return u.value * ({ ...US, millisecond: 1000, microsecond: 1 } as const)[u.unit];
    }
    const e = foldExpr(this.bind(u, undefined));
    if (e.k !== 'lit' || e.v === null || typeof e.v === 'string' || typeof e.v === 'boolean') throw planError('a window frame offset must be a constant number', pos);
    const v = e.v;
    if (v < 0) throw planError('a window frame offset must not be negative', pos);
    if (units !== 'range') {
      if (e.type !== 'int32' && e.type !== 'int64') throw planError(`a ${units.toUpperCase()} frame offset must be an integer, got ${e.type}`, pos);
      return v;
    }
    // RANGE: the offset in the key's units.
    const d = decimalParts(e.type);
    const asText = d ? unscaledText(v, d.scale) : String(v);
    if (key === 'float64') return Number(asText);
    if (key === 'int32' || key === 'int64' || key === 'date') {
      if (e.type !== 'int32' && e.type !== 'int64') throw unsupported(`a non-integer RANGE offset over a ${key} key`, pos);
      return v;
    }
    const kd = decimalParts(key);
    if (kd) {
      const scaled = scaleExact(asText, kd.scale);
      if (scaled === null) throw unsupported(`a RANGE offset with more decimals than the ORDER BY key (${key})`, pos);
      return scaled;
    }
    if (key === 'timestamp') throw planError('a RANGE frame over a TIMESTAMP needs an INTERVAL offset', pos);
    throw planError(`a RANGE frame with an offset needs a numeric, date or timestamp ORDER BY key, got ${key}`, pos);
  }
}

/** Decimal text of an unscaled value. */
function unscaledText(v: number | bigint, scale: number): string {
  const x = typeof v === 'bigint' ? v : BigInt(v);
  const neg = x < 0n;
  const digits = (neg ? -x : x).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits}`;
}

/** Exact unscaled value of non-negative decimal text at `scale`, or null when it has more digits. */
function scaleExact(text: string, scale: number): number | bigint | null {
  const [int, frac = ''] = text.split('.');
  const trimmed = frac.replace(/0+$/, '');
  if (trimmed.length > scale) return null;
  const x = BigInt(`${int}${trimmed.padEnd(scale, '0')}`);
  return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}
