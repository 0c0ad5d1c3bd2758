/**
 * String functions of the registry (DuckDB's names, types and NULL behaviour). Positions and
 * lengths count Unicode code points, as DuckDB does (not UTF-16 units); comparisons are by code
 * point. Kernels are pure; string → string functions run once per distinct value
 * (kernel.ts `strMap` / `rowwise`).
 */

import { LakehouseError } from '../../connectors/errors.js';
import { andValid, type Valid, type Vec } from '../compute/vec.js';
import { buildStrings, toVec, type Const } from '../compute/casts.js';
import { toStr } from '../plan/typing.js';
import type { Scalar } from '../plan/types.js';
import { arity, call, int, str } from './bind-util.js';
import { isNullConst, mapStrToNum, rowwise, strMap, type Evaluator } from './kernel.js';
import type { InternalKernel, ScalarFunction } from './types.js';

const chars = (s: string): string[] => Array.from(s);
const cpLength = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 0xdc00 || c > 0xdfff) n++; }
  return n;
};

function trimChars(s: string, set: string | null, left: boolean, right: boolean): string {
  const drop = set === null ? new Set([' ']) : new Set(chars(set));
  const cs = chars(s);
  let a = 0;
  let b = cs.length;
  if (left) while (a < b && drop.has(cs[a]!)) a++;
  if (right) while (b > a && drop.has(cs[b - 1]!)) b--;
  return cs.slice(a, b).join('');
}

/** `name(s)` / `name(s, characters)` for trim, ltrim, rtrim. */
function trimFn(name: string, left: boolean, right: boolean, doc: string): ScalarFunction {
  return {
    name, family: 'string', signature: `${name}(string VARCHAR[, characters VARCHAR]) → VARCHAR`, doc,
    bind(args, t) {
      arity(args, t, 1, 2);
      return call(name, args.map((a) => str(a, t)), 'string');
    },
    kernel(e, args) {
      if (args.length === 1) return strMap(args[0]!, (s) => trimChars(s, null, left, right));
      return rowwise('string', (s, set) => trimChars(s as string, set as string, left, right))(args);
    },
  };
}

function pad(s: string, n: number, fill: string, left: boolean): string {
  if (n <= 0) return '';
  const cs = chars(s);
  if (cs.length >= n) return cs.slice(0, n).join('');
  const fs = chars(fill);
  if (fs.length === 0) throw new LakehouseError('INVALID_ARGUMENT', `Insufficient padding in ${left ? 'LPAD' : 'RPAD'}`, { help: 'Give a non-empty fill string.' });
  const need = n - cs.length;
  const p: string[] = [];
  for (let i = 0; i < need; i++) p.push(fs[i % fs.length]!);
  return left ? p.join('') + s : s + p.join('');
}

function splitPart(s: string, sep: string, idx: number): string {
  // DuckDB: 1-based, negative counts from the end; an empty separator splits into characters? No:
  // it yields the whole string as the only part. Out of range gives ''.
  const parts = sep === '' ? [s] : s.split(sep);
  const i = idx > 0 ? idx - 1 : idx < 0 ? parts.length + idx : -1;
  return i >= 0 && i < parts.length ? parts[i]! : '';
}

/** 1-based code-point position of `needle` in `s`, 0 when absent (an empty needle is at 1). */
function strpos(s: string, needle: string): number {
  const at = s.indexOf(needle);
  return at < 0 ? 0 : cpLength(s.slice(0, at)) + 1;
}

function initcap(s: string): string {
  let out = '';
  let start = true;
  for (const ch of s) {
    out += start ? ch.toUpperCase() : ch.toLowerCase();
    start = !/[\p{L}\p{N}]/u.test(ch);
  }
  return out;
}

function substr(s: string, start: number, len: number | undefined): string {
  // DuckDB semantics: 1-based; a negative start counts from the end (-1 is the last character);
  // start 0 is the position before the first, and positions outside the string still consume the
  // length; a negative length takes the characters before the start.
  const cs = chars(s);
  const n = cs.length;
  let from = start > 0 ? start - 1 : start === 0 ? -1 : n + start;
  let to: number;
  if (len === undefined) to = n;
  else if (len >= 0) to = from + len;
  else { to = from; from += len; }
  from = Math.max(0, Math.min(n, from));
  to = Math.max(0, Math.min(n, to));
  return to > from ? cs.slice(from, to).join('') : '';
}

/** concat (NULLs skipped) and `||` (NULL in, NULL out); a string column among constants maps per distinct value. */
export function compileConcat(args: Evaluator[], skipNulls: boolean): Evaluator {
  return (c) => {
    const n = c.length;
    const vals = args.map((f) => f(c));
    if (!skipNulls && vals.some(isNullConst)) return { t: 'const', v: null, type: 'string' };
    const live = skipNulls ? vals.filter((v) => !isNullConst(v)) : vals;
    const vecs = live.filter((v) => v.t !== 'const') as Array<Extract<Vec, { t: 'str' }>>;
    if (vecs.length === 0) return { t: 'const', v: live.map((v) => (v as Const).v).join(''), type: 'string' };
    if (vecs.length === 1 && !(skipNulls && vecs[0]!.valid)) {
      const only = vecs[0]!;
      return {
        t: 'str', codes: only.codes, valid: only.valid,
        dict: only.dict.map((s) => live.map((v) => (v === only ? s : String((v as Const).v))).join('')),
      };
    }
    let valid: Valid = null;
    if (!skipNulls) for (const v of vecs) valid = andValid(n, valid, v.valid);
    return buildStrings(n, valid, (i) => {
      let out = '';
      for (const v of live) {
        if (v.t === 'const') out += String(v.v);
        else {
          const sv = v as Extract<Vec, { t: 'str' }>;
          if (sv.valid === null || sv.valid[i]) out += sv.dict[sv.codes[i]!]!;
        }
      }
      return out;
    });
  };
}

function compileSubstr(args: Evaluator[]): Evaluator {
  const [fs, fstart, flen] = args as [Evaluator, Evaluator, Evaluator | undefined];
  return (c) => {
    const n = c.length;
    const s = fs(c);
    const st = fstart(c);
    const ln = flen ? flen(c) : undefined;
    if (isNullConst(s) || isNullConst(st) || (ln && isNullConst(ln))) return { t: 'const', v: null, type: 'string' };
    if (st.t === 'const' && (!ln || ln.t === 'const')) {
      const a = Number(st.v);
      const b = ln ? Number((ln as Const).v) : undefined;
      return strMap(() => s, (x) => substr(x, a, b))(c);
    }
    const sv = toVec(s, n) as Extract<Vec, { t: 'str' }>;
    const stv = toVec(st, n) as Extract<Vec, { t: 'num' }>;
    const lnv = ln ? (toVec(ln, n) as Extract<Vec, { t: 'num' }>) : undefined;
    const valid = andValid(n, andValid(n, sv.valid, stv.valid), lnv ? lnv.valid : null);
    return buildStrings(n, valid, (i) => substr(sv.dict[sv.codes[i]!]!, Number(stv.values[i]!), lnv ? Number(lnv.values[i]!) : undefined));
  };
}

const s1 = (name: string, fn: (s: string) => string, doc: string, aliases?: string[]): ScalarFunction => ({
  name, family: 'string', signature: `${name}(string VARCHAR) → VARCHAR`, doc, ...(aliases ? { aliases } : {}),
  bind(args, t) { arity(args, t, 1); return call(name, [str(args[0]!, t)], 'string'); },
  kernel(_e, args) { return strMap(args[0]!, fn); },
});

/** Functions of strings, each with its kernel. */
const b = (name: string, fn: (s: string, x: string) => boolean, doc: string, aliases?: string[]): ScalarFunction => ({
  name, family: 'string', signature: `${name}(string VARCHAR, search VARCHAR) → BOOLEAN`, doc, ...(aliases ? { aliases } : {}),
  bind(args, t) { arity(args, t, 2); return call(name, args.map((a) => str(a, t)), 'boolean'); },
  kernel(_e, args) { return rowwise('boolean', (s, x) => fn(s as string, x as string))(args); },
});

export const STRING_FUNCTIONS: ScalarFunction[] = [
  s1('lower', (s) => s.toLowerCase(), 'The string in lower case.', ['lcase']),
  s1('upper', (s) => s.toUpperCase(), 'The string in upper case.', ['ucase']),
  s1('reverse', (s) => chars(s).reverse().join(''), 'The string with its characters (code points) in reverse order.'),
  s1('initcap', initcap, 'Each word with its first letter in upper case and the rest in lower case (Spark; not in DuckDB). Words are separated by anything but letters and digits.'),
  trimFn('trim', true, true, 'Removes the characters (default: spaces) from both ends. SQL `TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)` maps to trim/ltrim/rtrim.'),
  trimFn('ltrim', true, false, 'Removes the characters (default: spaces) from the start.'),
  trimFn('rtrim', false, true, 'Removes the characters (default: spaces) from the end.'),
  {
    name: 'length', aliases: ['char_length', 'character_length', 'len'], family: 'string', signature: 'length(string VARCHAR) → BIGINT',
    doc: 'The number of characters (Unicode code points).',
    bind(args, t) { arity(args, t, 1); return call('length', [str(args[0]!, t)], 'int64'); },
    kernel(_e, args) { const f = args[0]!; return (c) => mapStrToNum(f(c), cpLength, 'int64', c.length); },
  },
  {
    name: 'substr', aliases: ['substring'], family: 'string', signature: 'substr(string VARCHAR, start BIGINT[, length BIGINT]) → VARCHAR',
    doc: '`length` characters from position `start` (1-based; negative counts from the end; a negative length takes characters before start), as DuckDB.',
    bind(args, t) {
      arity(args, t, 2, 3);
      return call('substr', [str(args[0]!, t), ...args.slice(1).map((a) => int(a, t))], 'string');
    },
    kernel(_e, args) { return compileSubstr(args); },
  },
  {
    name: 'concat', family: 'string', signature: 'concat(value ANY, …) → VARCHAR',
    doc: 'The arguments as text, joined; NULL arguments are skipped (`||` instead gives NULL for any NULL).',
    bind(args, t) {
      if (args.length === 0) t.fail('concat() needs at least one argument');
      return call('concat', args.map(toStr), 'string');
    },
    kernel(_e, args) { return compileConcat(args, true); },
  },
  {
    name: 'concat_ws', family: 'string', signature: 'concat_ws(separator VARCHAR, value ANY, …) → VARCHAR',
    doc: 'The non-NULL values as text joined by the separator; NULL when the separator is NULL.',
    bind(args, t) {
      arity(args, t, 2, Infinity);
      return call('concat_ws', [str(args[0]!, t), ...args.slice(1).map(toStr)], 'string');
    },
    kernel(_e, args) {
      return rowwise('string', (sep, ...xs) => (sep === null ? null : xs.filter((x) => x !== null).join(sep as string)), { strict: false })(args);
    },
  },
  {
    name: 'replace', family: 'string', signature: 'replace(string VARCHAR, source VARCHAR, target VARCHAR) → VARCHAR',
    doc: 'Every occurrence of `source` replaced by `target` (an empty source changes nothing).',
    bind(args, t) { arity(args, t, 3); return call('replace', args.map((a) => str(a, t)), 'string'); },
    kernel(_e, args) { return rowwise('string', (s, a, b2) => (a === '' ? s : (s as string).split(a as string).join(b2 as string)))(args); },
  },
  {
    name: 'repeat', family: 'string', signature: 'repeat(string VARCHAR, count BIGINT) → VARCHAR',
    doc: 'The string repeated `count` times (empty for count ≤ 0).',
    bind(args, t) { arity(args, t, 2); return call('repeat', [str(args[0]!, t), int(args[1]!, t)], 'string'); },
    kernel(_e, args) {
      return rowwise('string', (s, k) => {
        const n = Number(k);
        if (n > 0 && (s as string).length * n > 256 * 1024 * 1024) throw new LakehouseError('OUT_OF_RANGE', `repeat() would build a string of ${(s as string).length * n} characters`, { help: 'Use a smaller count.' });
        return n > 0 ? (s as string).repeat(n) : '';
      })(args);
    },
  },
  ...(['left', 'right'] as const).map((name): ScalarFunction => ({
    name, family: 'string', signature: `${name}(string VARCHAR, count BIGINT) → VARCHAR`,
    doc: `The ${name}most \`count\` characters; a negative count drops that many characters from the ${name === 'left' ? 'end' : 'start'}.`,
    bind(args, t) { arity(args, t, 2); return call(name, [str(args[0]!, t), int(args[1]!, t)], 'string'); },
    kernel(_e, args) {
      return rowwise('string', (s, k) => {
        const cs = chars(s as string);
        const n = Number(k);
        const take = n >= 0 ? Math.min(n, cs.length) : Math.max(0, cs.length + n);
        return name === 'left' ? cs.slice(0, take).join('') : cs.slice(cs.length - take).join('');
      })(args);
    },
  })),
  ...(['lpad', 'rpad'] as const).map((name): ScalarFunction => ({
    name, family: 'string', signature: `${name}(string VARCHAR, length BIGINT, fill VARCHAR) → VARCHAR`,
    doc: `The string ${name === 'lpad' ? 'left' : 'right'}-padded with \`fill\` (repeated) to \`length\` characters, or cut to it. An empty fill that is needed is an INVALID_ARGUMENT error.`,
    bind(args, t) { arity(args, t, 3); return call(name, [str(args[0]!, t), int(args[1]!, t), str(args[2]!, t)], 'string'); },
    kernel(_e, args) { return rowwise('string', (s, n, f) => pad(s as string, Number(n), f as string, name === 'lpad'))(args); },
  })),
  {
    name: 'split_part', family: 'string', signature: 'split_part(string VARCHAR, separator VARCHAR, index BIGINT) → VARCHAR',
    doc: 'The index-th part (1-based; negative counts from the end) of the string split at the separator; empty when out of range.',
    bind(args, t) { arity(args, t, 3); return call('split_part', [str(args[0]!, t), str(args[1]!, t), int(args[2]!, t)], 'string'); },
    kernel(_e, args) { return rowwise('string', (s, sep, i) => splitPart(s as string, sep as string, Number(i)))(args); },
  },
  {
    name: 'split', aliases: ['string_split', 'str_split', 'string_to_array'], family: 'string', signature: 'split(string VARCHAR, separator VARCHAR) → VARCHAR[]',
    doc: 'Not supported yet: the engine has no list type (use split_part).',
    bind(_args, t) { return t.unsupported(`${t.name}() (the engine has no LIST type yet; use split_part(string, separator, index))`); },
  },
  {
    name: 'strpos', aliases: ['instr', 'position'], family: 'string', signature: 'strpos(string VARCHAR, search VARCHAR) → BIGINT',
    doc: 'The 1-based position of the first occurrence of `search`, 0 if absent. `POSITION(search IN string)` is the same.',
    bind(args, t) { arity(args, t, 2); return call('strpos', args.map((a) => str(a, t)), 'int64'); },
    kernel(_e, args) { return rowwise('int64', (s, x) => strpos(s as string, x as string))(args); },
  },
  b('starts_with', (s, x) => s.startsWith(x), 'Whether the string starts with `search`.', ['prefix']),
  b('ends_with', (s, x) => s.endsWith(x), 'Whether the string ends with `search`.', ['suffix']),
  b('contains', (s, x) => s.includes(x), 'Whether `search` occurs in the string.'),
];

/** `a || b`: NULL when either side is NULL. */
export const STRING_INTERNAL: InternalKernel[] = [
  { name: 'strcat', kernel: (_e, args) => compileConcat(args, false) },
];

export type { Scalar };
