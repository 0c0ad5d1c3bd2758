/**
 * Date and timestamp functions of the registry (DuckDB's names and results; Spark's spellings
 * where DuckDB has none: to_date, date_format, add_months, datediff(end, start), date_add(d, n)).
 * Dates are epoch days, timestamps UTC microseconds (plan/types.ts). Interval arithmetic applies
 * months (clamping to the month's end, as DuckDB: 2024-01-31 + 1 month = 2024-02-29), then days,
 * then microseconds; a DATE ± INTERVAL is a TIMESTAMP, as in DuckDB.
 * `current_date` / `now()` are literals of the statement's pinned clock (BindTools.now), so every
 * row and worker sees the same value. Kernels are pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { dateTrunc, dayOf, daysInMonth, dowOf, doyOf, isoWeek, lastDayOf, monthOf, shiftMonths, yearOf } from '../compute/dates.js';
import { daysFromCivil, MAX_DATE_DAYS, type Expr, type Scalar } from '../plan/types.js';
import { arith, coerce, unify } from '../plan/typing.js';
import { arity, call, constStr, dbl, int, lit, str, time } from './bind-util.js';
import { compileFormat, formatTimestampWith, javaToStrftime, parseTimestampWith } from './date-format.js';
import { mapNum, rowwise, type Evaluator } from './kernel.js';
import type { BindTools, CallExpr, InternalKernel, IntervalValue, ScalarFunction } from './types.js';

const US_PER_DAY = 86_400_000_000;
const UNIT_US: Record<string, number> = { hour: 3_600_000_000, minute: 60_000_000, second: 1_000_000, millisecond: 1000, microsecond: 1 };

const PART_ALIASES: Record<string, string> = {
  year: 'year', years: 'year', y: 'year', yr: 'year', yrs: 'year', yy: 'year', yyyy: 'year',
  quarter: 'quarter', quarters: 'quarter', month: 'month', months: 'month', mon: 'month', mons: 'month',
  week: 'week', weeks: 'week', w: 'week', weekofyear: 'week', day: 'day', days: 'day', d: 'day', dayofmonth: 'day',
  dow: 'dow', dayofweek: 'dow', weekday: 'dow', isodow: 'isodow', doy: 'doy', dayofyear: 'doy', isoyear: 'isoyear',
  hour: 'hour', hours: 'hour', h: 'hour', hr: 'hour', hrs: 'hour', minute: 'minute', minutes: 'minute', min: 'minute', mins: 'minute', m: 'minute',
  second: 'second', seconds: 'second', s: 'second', sec: 'second', secs: 'second',
  millisecond: 'millisecond', milliseconds: 'millisecond', ms: 'millisecond', msec: 'millisecond',
  microsecond: 'microsecond', microseconds: 'microsecond', us: 'microsecond', usec: 'microsecond',
  epoch: 'epoch', decade: 'decade', century: 'century', millennium: 'millennium',
};

function part(e: Expr, t: BindTools, allowed: (p: string) => boolean): string {
  const raw = constStr(str(e, t), t, 'date part');
  const p = raw === null ? undefined : PART_ALIASES[raw.toLowerCase()];
  if (!p || !allowed(p)) t.fail(`${t.name}(): '${raw}' is not a date part it takes`, 'Parts: year, quarter, month, week, day, dow, isodow, doy, isoyear, hour, minute, second, millisecond, microsecond, epoch.');
  return p;
}

/** One calendar field of epoch days `days` and the time of day `tod` (µs). */
function field(p: string, days: number, tod: number): number {
  switch (p) {
    case 'year': return yearOf(days);
    case 'quarter': return Math.floor((monthOf(days) - 1) / 3) + 1;
    case 'month': return monthOf(days);
    case 'week': return isoWeek(days).week;
    case 'isoyear': return isoWeek(days).year;
    case 'day': return dayOf(days);
    case 'dow': return dowOf(days);
    case 'isodow': return dowOf(days) === 0 ? 7 : dowOf(days);
    case 'doy': return doyOf(days);
    case 'decade': return Math.floor(yearOf(days) / 10);
    case 'century': { const y = yearOf(days); return y > 0 ? Math.floor((y - 1) / 100) + 1 : -Math.floor(-y / 100) - 1; }
    case 'millennium': { const y = yearOf(days); return y > 0 ? Math.floor((y - 1) / 1000) + 1 : -Math.floor(-y / 1000) - 1; }
    case 'hour': return Math.floor(tod / 3_600_000_000);
    case 'minute': return Math.floor(tod / 60_000_000) % 60;
    case 'second': return Math.floor(tod / 1_000_000) % 60;
    case 'millisecond': return Math.floor((tod % 60_000_000) / 1000);
    case 'microsecond': return tod % 60_000_000;
    default: throw new LakehouseError('INTERNAL', `date part ${p} reached the kernel`);
  }
}

function partKernel(p: string, isTs: boolean, type: 'int64' | 'float64', f: Evaluator): Evaluator {
  return (c) => mapNum(f(c), type, c.length, (x) => {
    if (p === 'epoch') return isTs ? x / 1_000_000 : x * 86_400;
    const days = isTs ? Math.floor(x / US_PER_DAY) : x;
    return field(p, days, isTs ? x - days * US_PER_DAY : 0);
  });
}

function bindPart(p: string, x: Expr): Expr {
  return call('date_part', [lit(p, 'string'), x], p === 'epoch' ? 'float64' : 'int64');
}

/** `x + interval` (sign −1 for `x − interval`): months first (clamped), then days and µs, exactly. */
export function addInterval(x: Expr, iv: IntervalValue, sign: 1 | -1, t?: BindTools): Expr {
  if (x.k === 'lit' && x.type === 'string') x = coerce(x, 'timestamp');
  if (x.type === 'null') return lit(null, 'timestamp');
  if (x.type !== 'date' && x.type !== 'timestamp') {
    const msg = `cannot add an INTERVAL to a ${x.type}`;
    if (t) t.fail(msg);
    throw new LakehouseError('PLAN_ERROR', msg, { help: 'Intervals add to dates and timestamps.' });
  }
  let e: Expr = x.type === 'date' ? coerce(x, 'timestamp') : x;
  if (iv.months) e = call('add_months', [e, lit(sign * iv.months, 'int64')], 'timestamp');
  const us = sign * (iv.days * US_PER_DAY + iv.micros);
  if (us) e = { k: 'call', fn: 'add', args: [e, lit(us, 'int64')], type: 'timestamp' };
  return e;
}

function toUs(v: Scalar, isTs: boolean): number {
  return isTs ? Number(v) : Number(v) * US_PER_DAY;
}

/** DuckDB's date_diff: the number of `p` boundaries between a and b. */
function dateDiff(p: string, a: number, b: number): number {
  const da = Math.floor(a / US_PER_DAY);
  const db = Math.floor(b / US_PER_DAY);
  switch (p) {
    case 'year': return yearOf(db) - yearOf(da);
    case 'quarter': return (yearOf(db) * 4 + Math.floor((monthOf(db) - 1) / 3)) - (yearOf(da) * 4 + Math.floor((monthOf(da) - 1) / 3));
    case 'month': return (yearOf(db) * 12 + monthOf(db)) - (yearOf(da) * 12 + monthOf(da));
    case 'week': return Math.trunc((db - da) / 7);
    case 'day': case 'dow': case 'isodow': case 'doy': return db - da;
    case 'decade': return Math.floor(yearOf(db) / 10) - Math.floor(yearOf(da) / 10);
    case 'century': return Math.floor(yearOf(db) / 100) - Math.floor(yearOf(da) / 100);
    case 'millennium': return Math.floor(yearOf(db) / 1000) - Math.floor(yearOf(da) / 1000);
    default: { const k = UNIT_US[p]!; return Math.floor(b / k) - Math.floor(a / k); }
  }
}

/** Whole months from a to b as DuckDB's date_sub counts them (age in months, month ends matched). */
function monthsBetween(a: number, b: number): number {
  if (a > b) return -monthsBetween(b, a);
  const da = Math.floor(a / US_PER_DAY);
  const db = Math.floor(b / US_PER_DAY);
  const ta = a - da * US_PER_DAY;
  const tb = b - db * US_PER_DAY;
  const [ya, ma] = [yearOf(da), monthOf(da)];
  let dda = dayOf(da);
  const [yb, mb, ddb] = [yearOf(db), monthOf(db), dayOf(db)];
  const endDays = daysInMonth(yb, mb);
  if (ddb === endDays && (dda > endDays || (dda === endDays && ta < tb))) dda = endDays;
  let months = (yb - ya) * 12 + (mb - ma);
  if (ddb < dda || (ddb === dda && tb < ta)) months--;
  return months;
}

function dateSub(p: string, a: number, b: number): number {
  switch (p) {
    case 'year': return Math.trunc(monthsBetween(a, b) / 12);
    case 'quarter': return Math.trunc(monthsBetween(a, b) / 3);
    case 'month': return monthsBetween(a, b);
    case 'decade': return Math.trunc(monthsBetween(a, b) / 120);
    case 'century': return Math.trunc(monthsBetween(a, b) / 1200);
    case 'millennium': return Math.trunc(monthsBetween(a, b) / 12000);
    case 'week': return Math.trunc((b - a) / (7 * US_PER_DAY));
    case 'day': case 'dow': case 'isodow': case 'doy': return Math.trunc((b - a) / US_PER_DAY);
    default: return Math.trunc((b - a) / UNIT_US[p]!);
  }
}

function bindDiff(name: 'date_diff' | 'date_sub', args: Expr[], t: BindTools): Expr {
  arity(args, t, 3);
  const p = part(args[0]!, t, (x) => x !== 'epoch' && x !== 'isoyear');
  let a = time(args[1]!, t);
  let b = time(args[2]!, t);
  const ty = unify(a.type, b.type, `${t.name}() arguments`);
  a = coerce(a, ty);
  b = coerce(b, ty);
  return call(name, [lit(p, 'string'), a, b], 'int64');
}

function diffKernel(fn: (p: string, a: number, b: number) => number): (e: CallExpr, args: Evaluator[]) => Evaluator {
  return (e, args) => {
    const p = (e.args[0] as Extract<Expr, { k: 'lit' }>).v as string;
    const isTs = e.args[1]!.type === 'timestamp';
    return rowwise('int64', (_p, a, b) => fn(p, toUs(a, isTs), toUs(b, isTs)))(args);
  };
}

function checkDays(days: number): number {
  if (!(Math.abs(days) <= MAX_DATE_DAYS)) throw new LakehouseError('OUT_OF_RANGE', 'date out of range', { help: 'Dates must lie within ±100,000,000 days of 1970-01-01.' });
  return days;
}

/** A kernel that formats dates/timestamps with a (usually constant) `%` format. */
function formatKernel(java: boolean): (e: CallExpr, args: Evaluator[]) => Evaluator {
  return (e, args) => {
    const isTs = e.args[0]!.type === 'timestamp';
    const cache = new Map<string, ReturnType<typeof compileFormat>>();
    const fmt = (f: string): ReturnType<typeof compileFormat> => {
      let c = cache.get(f);
      if (!c) { c = compileFormat(java ? javaToStrftime(f) : f); if (cache.size > 1024) cache.clear(); cache.set(f, c); }
      return c;
    };
    return rowwise('string', (x, f) => formatTimestampWith(fmt(f as string), toUs(x, isTs)))(args);
  };
}

function parseKernel(mode: 'error' | 'null', out: 'timestamp' | 'date', java: boolean): (e: CallExpr, args: Evaluator[]) => Evaluator {
  return (e, args) => {
    const cache = new Map<string, ReturnType<typeof compileFormat>>();
    return rowwise(e.type, (s, f) => {
      let c = cache.get(f as string);
      if (!c) { c = compileFormat(java ? javaToStrftime(f as string) : (f as string)); if (cache.size > 1024) cache.clear(); cache.set(f as string, c); }
      const us = parseTimestampWith(c, s as string);
      if (us === undefined) {
        if (mode === 'null') return null;
        throw new LakehouseError('CONVERSION_ERROR', `could not parse '${s}' with the format '${f}'`, { help: 'Fix the format, or use try_strptime to get NULL for text that does not match.' });
      }
      return out === 'date' ? Math.floor(us / US_PER_DAY) : us;
    })(args);
  };
}

const partFn = (name: string, p: string, aliases: string[] = []): ScalarFunction => ({
  name, aliases, family: 'date', signature: `${name}(x DATE|TIMESTAMP) → BIGINT`, doc: `The ${p === 'dow' ? 'day of the week (Sunday = 0)' : p === 'doy' ? 'day of the year (1–366)' : p === 'week' ? 'ISO week (1–53)' : p} of x; the same as date_part('${p}', x).`,
  bind(args, t) { arity(args, t, 1); return bindPart(p, time(args[0]!, t)); },
});

const nowFn = (name: string, type: 'date' | 'timestamp', aliases: string[]): ScalarFunction => ({
  name, aliases, family: 'date', signature: `${name}() → ${type === 'date' ? 'DATE' : 'TIMESTAMP'}`,
  doc: `The statement's ${type === 'date' ? 'current date' : 'current time'} (UTC), fixed once per statement: the same value in every row and task. DuckDB types current_timestamp WITH TIME ZONE.`,
  bind(args, t) {
    arity(args, t, 0);
    const us = t.now();
    return type === 'date' ? lit(Math.floor(us / US_PER_DAY), 'date') : lit(us, 'timestamp');
  },
});

export const DATE_FUNCTIONS: ScalarFunction[] = [
  {
    name: 'date_part', aliases: ['datepart'], family: 'date', signature: 'date_part(part VARCHAR, x DATE|TIMESTAMP) → BIGINT',
    doc: "A field of x: year, quarter, month, week (ISO), day, dow (Sunday = 0), isodow, doy, isoyear, decade, century, millennium, hour, minute, second, millisecond (incl. seconds × 1000), microsecond, epoch (seconds, DOUBLE). `EXTRACT(part FROM x)` is the same.",
    bind(args, t) { arity(args, t, 2); return bindPart(part(args[0]!, t, () => true), time(args[1]!, t)); },
    kernel(e, args) {
      const p = (e.args[0] as Extract<Expr, { k: 'lit' }>).v as string;
      return partKernel(p, e.args[1]!.type === 'timestamp', e.type as 'int64', args[1]!);
    },
  },
  partFn('year', 'year'), partFn('quarter', 'quarter'), partFn('month', 'month'), partFn('day', 'day', ['dayofmonth']),
  partFn('week', 'week', ['weekofyear']), partFn('dayofweek', 'dow'), partFn('isodow', 'isodow'), partFn('dayofyear', 'doy'),
  partFn('hour', 'hour'), partFn('minute', 'minute'), partFn('second', 'second'),
  {
    name: 'date_trunc', aliases: ['datetrunc'], family: 'date', signature: 'date_trunc(part VARCHAR, x DATE|TIMESTAMP) → TIMESTAMP',
    doc: 'x truncated to the start of the part (year, quarter, month, week — Monday —, day, hour, minute, second).',
    bind(args, t) {
      arity(args, t, 2);
      const p = part(args[0]!, t, (x) => ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'].includes(x));
      return call('date_trunc', [lit(p, 'string'), time(args[1]!, t)], 'timestamp');
    },
    kernel(e, args) {
      const unit = (e.args[0] as Extract<Expr, { k: 'lit' }>).v as string;
      const f = args[1]!;
      const fromDate = e.args[1]!.type === 'date';
      return (c) => mapNum(f(c), 'timestamp', c.length, (x) => dateTrunc(unit, fromDate ? x * US_PER_DAY : x));
    },
  },
  {
    name: 'date_diff', aliases: ['datediff'], family: 'date', signature: 'date_diff(part VARCHAR, start DATE|TIMESTAMP, end DATE|TIMESTAMP) → BIGINT',
    doc: "The number of part boundaries crossed from start to end (DuckDB): date_diff('month', DATE '2020-01-31', DATE '2020-02-01') = 1. `datediff(end, start)` with two arguments is Spark's day difference.",
    bind(args, t) {
      if (args.length === 2) return bindDiff('date_diff', [lit('day', 'string'), args[1]!, args[0]!], t);
      return bindDiff('date_diff', args, t);
    },
    kernel: diffKernel(dateDiff),
  },
  {
    name: 'date_sub', aliases: ['datesub'], family: 'date', signature: 'date_sub(part VARCHAR, start DATE|TIMESTAMP, end DATE|TIMESTAMP) → BIGINT',
    doc: "The number of complete parts from start to end (DuckDB; month ends match: date_sub('month', DATE '2020-01-31', DATE '2020-02-29') = 1). With two arguments `date_sub(date, n)` is Spark's date − n days.",
    bind(args, t) {
      if (args.length === 2) {
        const d = time(args[0]!, t);
        if (d.type !== 'date') t.fail('date_sub(date, days) needs a DATE');
        return arith('-', d, int(args[1]!, t));
      }
      return bindDiff('date_sub', args, t);
    },
    kernel: diffKernel(dateSub),
  },
  {
    name: 'date_add', aliases: ['dateadd'], family: 'date', signature: 'date_add(x DATE|TIMESTAMP, interval INTERVAL|BIGINT) → TIMESTAMP|DATE',
    doc: 'x plus an INTERVAL (a TIMESTAMP, months clamped to the month end as DuckDB), or a DATE plus a number of days (a DATE).',
    bind(args, t) {
      arity(args, t, 2);
      const iv = t.interval(1);
      const x = time(args[0]!, t);
      if (iv) return addInterval(x, iv, 1, t);
      if (x.type !== 'date') t.fail('date_add(timestamp, …) needs an INTERVAL');
      return arith('+', x, int(args[1]!, t));
    },
  },
  {
    name: 'add_months', family: 'date', signature: 'add_months(x DATE|TIMESTAMP, months BIGINT) → same type',
    doc: 'x plus a number of months, the day clamped to the month end (Spark; DuckDB spells it x + INTERVAL n MONTH).',
    bind(args, t) {
      arity(args, t, 2);
      const x = time(args[0]!, t);
      return call('add_months', [x, int(args[1]!, t)], x.type);
    },
    kernel: monthsKernel,
  },
  {
    name: 'last_day', family: 'date', signature: 'last_day(x DATE|TIMESTAMP) → DATE', doc: 'The last day of the month of x.',
    bind(args, t) { arity(args, t, 1); return call('last_day', [time(args[0]!, t)], 'date'); },
    kernel(e, args) { const isTs = e.args[0]!.type === 'timestamp'; return (c) => mapNum(args[0]!(c), 'date', c.length, (x) => lastDayOf(isTs ? Math.floor(x / US_PER_DAY) : x)); },
  },
  {
    name: 'make_date', family: 'date', signature: 'make_date(year BIGINT, month BIGINT, day BIGINT) → DATE', doc: 'The date of the year, month and day (an invalid day is an error).',
    bind(args, t) { arity(args, t, 3); return call('make_date', args.map((a) => int(a, t)), 'date'); },
    kernel(_e, args) {
      return rowwise('date', (y, m, d) => {
        const [yy, mm, dd] = [Number(y), Number(m), Number(d)];
        if (mm < 1 || mm > 12 || dd < 1 || dd > daysInMonth(yy, mm)) throw new LakehouseError('CONVERSION_ERROR', `date out of range: ${yy}-${mm}-${dd}`, { help: 'Give a valid year, month and day.' });
        return checkDays(daysFromCivil(yy, mm, dd));
      })(args);
    },
  },
  {
    name: 'strftime', family: 'date', signature: 'strftime(x DATE|TIMESTAMP, format VARCHAR) → VARCHAR',
    doc: 'x as text in a `%` format (%Y-%m-%d %H:%M:%S.%f …; see the format notes).',
    bind(args, t) { arity(args, t, 2); return call('strftime', [time(args[0]!, t), str(args[1]!, t)], 'string'); },
    kernel: formatKernel(false),
  },
  {
    name: 'date_format', family: 'date', signature: 'date_format(x DATE|TIMESTAMP, pattern VARCHAR) → VARCHAR',
    doc: "Spark's date_format: x as text in a Java-style pattern ('yyyy-MM-dd HH:mm:ss'); not in DuckDB (use strftime there).",
    bind(args, t) { arity(args, t, 2); return call('date_format', [time(args[0]!, t), str(args[1]!, t)], 'string'); },
    kernel: formatKernel(true),
  },
  {
    name: 'strptime', family: 'date', signature: 'strptime(text VARCHAR, format VARCHAR) → TIMESTAMP',
    doc: 'Parses text with a `%` format; text that does not match is a CONVERSION_ERROR.',
    bind(args, t) { arity(args, t, 2); return call('strptime', args.map((a) => str(a, t)), 'timestamp'); },
    kernel: parseKernel('error', 'timestamp', false),
  },
  {
    name: 'try_strptime', family: 'date', signature: 'try_strptime(text VARCHAR, format VARCHAR) → TIMESTAMP',
    doc: 'strptime that gives NULL for text that does not match.',
    bind(args, t) { arity(args, t, 2); return call('try_strptime', args.map((a) => str(a, t)), 'timestamp'); },
    kernel: parseKernel('null', 'timestamp', false),
  },
  {
    name: 'to_timestamp', family: 'date', signature: 'to_timestamp(seconds DOUBLE | text VARCHAR[, pattern VARCHAR]) → TIMESTAMP',
    doc: "Seconds since the epoch as a TIMESTAMP (DuckDB; it types it WITH TIME ZONE), or Spark's to_timestamp(text[, 'yyyy-MM-dd HH:mm:ss']).",
    bind(args, t) {
      arity(args, t, 1, 2);
      const a = args[0]!;
      if (a.type === 'string') {
        if (args.length === 1) return coerce(a, 'timestamp');
        return call('to_timestamp_fmt', [a, str(args[1]!, t)], 'timestamp');
      }
      arity(args, t, 1);
      return call('to_timestamp', [dbl(a, t)], 'timestamp');
    },
    kernel(_e, args) {
      return rowwise('timestamp', (x) => {
        const us = Math.round((x as number) * 1_000_000);
        if (!Number.isFinite(us) || Math.abs(us) > Number.MAX_SAFE_INTEGER) throw new LakehouseError('OUT_OF_RANGE', `to_timestamp(${x}) is out of range`);
        return us;
      })(args);
    },
  },
  {
    name: 'to_date', family: 'date', signature: 'to_date(text VARCHAR[, pattern VARCHAR]) → DATE',
    doc: "Spark's to_date: text as a DATE (CAST), or parsed with a Java-style pattern ('dd/MM/yyyy'). Not in DuckDB.",
    bind(args, t) {
      arity(args, t, 1, 2);
      const a = args[0]!;
      if (args.length === 1) return a.type === 'timestamp' ? coerce(a, 'date') : coerce(str(a, t), 'date');
      return call('to_date', [str(a, t), str(args[1]!, t)], 'date');
    },
    kernel: parseKernel('error', 'date', true),
  },
  nowFn('current_date', 'date', ['today']),
  nowFn('current_timestamp', 'timestamp', ['now', 'get_current_timestamp', 'localtimestamp', 'transaction_timestamp']),
];

function monthsKernel(e: CallExpr, args: Evaluator[]): Evaluator {
  const f = args[0]!;
  const monthsExpr = e.args[1]!;
  const isTs = e.type === 'timestamp';
  if (monthsExpr.k === 'lit') {
    if (monthsExpr.v === null) return () => ({ t: 'const', v: null, type: e.type });
    const months = Number(monthsExpr.v);
    return (c) => mapNum(f(c), e.type, c.length, (x) => {
      if (!isTs) return checkDays(shiftMonths(x, months));
      const d = Math.floor(x / US_PER_DAY);
      return checkDays(shiftMonths(d, months)) * US_PER_DAY + (x - d * US_PER_DAY);
    });
  }
  return rowwise(e.type, (x, m) => {
    if (!isTs) return checkDays(shiftMonths(Number(x), Number(m)));
    const d = Math.floor(Number(x) / US_PER_DAY);
    return checkDays(shiftMonths(d, Number(m))) * US_PER_DAY + (Number(x) - d * US_PER_DAY);
  })(args);
}

export const DATE_INTERNAL: InternalKernel[] = [
  { name: 'to_timestamp_fmt', kernel: parseKernel('error', 'timestamp', true) },
];
