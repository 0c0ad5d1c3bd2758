/**
 * Regular-expression functions (DuckDB's names and semantics) and the translation of RE2
 * patterns — DuckDB's syntax — to JavaScript RegExps.
 *
 * Accepted subset (everything else that would mean something different in JavaScript is refused
 * with INVALID_ARGUMENT naming the construct, never run with another meaning):
 *   literals, `.`, `[...]` classes (with RE2's `[[:alpha:]]`-style POSIX classes, translated),
 *   `* + ? {n,m}` and their lazy forms, `| ( ) (?: )`, named groups `(?P<n>…)` / `(?<n>…)`,
 *   anchors `^ $ \A \z \b \B`, escapes `\d \D \w \W \s \S` (ASCII, as RE2: `\s` is [\t\n\f\r ]),
 *   `\pL` / `\p{Greek}` / `\PL`, `\t \n \r \f \v \x{hh} \xhh`, escaped punctuation, and leading
 *   flag groups `(?i)` `(?s)`.
 *   Refused: look-around `(?= (?! (?<= (?<!` (RE2 has none), backreferences `\1` (RE2 has none),
 *   `\Q…\E`, `\C`, `\z`-less forms like `\Z`, flag groups after the start, `(?m)` / `(?U)`.
 * Function options (the last argument): 'c' case-sensitive (default), 'i' case-insensitive,
 * 's' `.` matches newlines, 'l' the pattern is a literal string, 'g' (regexp_replace) every match.
 * Matching is by Unicode code point (flag 'u'), as RE2 on UTF-8.
 * Compiled expressions are cached per kernel (a constant pattern compiles once per task).
 */

import { LakehouseError } from '../../connectors/errors.js';
import { arity, call, constStr, str } from './bind-util.js';
import { rowwise } from './kernel.js';
import type { BindTools, ScalarFunction } from './types.js';
import type { Expr } from '../plan/types.js';

function bad(pattern: string, what: string): LakehouseError {
  return new LakehouseError('INVALID_ARGUMENT', `regular expression /${pattern}/: ${what}`, {
    help: 'Patterns use RE2 syntax (as DuckDB); look-around and backreferences are not part of RE2. See docs/functions.md.',
  });
}

const POSIX: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: '0-9A-Za-z', upper: 'A-Z', lower: 'a-z', space: '\\t\\n\\v\\f\\r ',
  punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', word: '0-9A-Za-z_', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f', print: ' -~', graph: '!-~',
};

const SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

/** RE2 pattern → JavaScript source (for flag 'u') plus the flags set by a leading `(?flags)`. */
export function re2ToJs(p: string): { source: string; flags: string } {
  let i = 0;
  let flags = '';
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(p);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 's') flags += f;
      else throw bad(p, `the flag group (?${lead[1]}) (only (?i) and (?s) are accepted)`);
    }
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  const escape = (ch: string): string => (SYNTAX.has(ch) || ch === '-' && inClass ? `\\${ch}` : /[0-9A-Za-z]/.test(ch) ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`);
  while (i < p.length) {
    const ch = p[i]!;
    if (ch === '\\') {
      const nx = p[i + 1];
      if (nx === undefined) throw bad(p, 'a trailing backslash');
      i += 2;
      if ('dDwWbBtnrfv'.includes(nx)) { out += `\\${nx}`; continue; }
      if (nx === 's') { out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]'; continue; }
      if (nx === 'S') { if (inClass) throw bad(p, '\\S inside a character class'); out += '[^\\t\\n\\f\\r ]'; continue; }
      if (nx === 'A') { if (inClass) throw bad(p, '\\A inside a class'); out += '^'; continue; }
      if (nx === 'z') { if (inClass) throw bad(p, '\\z inside a class'); out += '$'; continue; }
      if (nx === 'p' || nx === 'P') {
        if (p[i] === '{') {
          const end = p.indexOf('}', i);
          if (end < 0) throw bad(p, 'an unterminated \\p{…}');
          out += `\\${nx}{${p.slice(i + 1, end)}}`;
          i = end + 1;
        } else {
          if (p[i] === undefined) throw bad(p, 'a trailing \\p');
          out += `\\${nx}{${p[i]}}`;
          i++;
        }
        continue;
      }
      if (nx === 'x') {
        if (p[i] === '{') {
          const end = p.indexOf('}', i);
          if (end < 0) throw bad(p, 'an unterminated \\x{…}');
          out += `\\u{${p.slice(i + 1, end)}}`;
          i = end + 1;
        } else {
          out += `\\x${p.slice(i, i + 2)}`;
          i += 2;
        }
        continue;
      }
      if (/[1-9]/.test(nx)) throw bad(p, `the backreference \\${nx}`);
      if (nx === '0') { out += '\\x00'; continue; }
      if (/[A-Za-z]/.test(nx)) throw bad(p, `the escape \\${nx}`);
      out += escape(nx);
      continue;
    }
    if (inClass) {
      if (ch === '[' && p[i + 1] === ':') {
        const end = p.indexOf(':]', i + 2);
        const name = end > 0 ? p.slice(i + 2, end) : '';
        const neg = name.startsWith('^');
        const cls = POSIX[neg ? name.slice(1) : name];
        if (!cls || neg) throw bad(p, `the class [:${name}:]`);
        out += cls;
        i = end + 2;
        continue;
      }
      if (ch === ']') inClass = false;
      out += ch === '[' ? '\\[' : ch === '/' ? '\\/' : ch;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += '[';
      i++;
      if (p[i] === '^') { out += '^'; i++; }
      if (p[i] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (ch === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2);
      if (rest.startsWith(':')) { out += '(?:'; i += 3; continue; }
      const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) { out += `(?<${named[1]}>`; i += 2 + named[0].length; continue; }
      if (/^(=|!|<=|<!)/.test(rest)) throw bad(p, 'look-around assertions (RE2 has none)');
      throw bad(p, `the group (?${rest.slice(0, 3)}…`);
    }
    out += ch === '/' ? '\\/' : ch;
    i++;
  }
  if (inClass) throw bad(p, 'an unterminated character class');
  return { source: out, flags };
}

/** Compiles an RE2 pattern with DuckDB's option letters; `global` for replace-all. */
export function compileRegex(pattern: string, options: string, anchored: boolean): RegExp {
  let literal = false;
  let icase = false;
  let dotall = false;
  for (const o of options) {
    if (o === 'c') icase = false;
    else if (o === 'i') icase = true;
    else if (o === 's') dotall = true;
    else if (o === 'l') literal = true;
    else if (o === 'g') continue;
    else throw new LakehouseError('UNSUPPORTED', `not supported yet: regular expression option '${o}'`, { help: "Options: 'c', 'i', 's', 'l', and 'g' for regexp_replace." });
  }
  let source: string;
  let extra = '';
  if (literal) source = Array.from(pattern, (ch) => (SYNTAX.has(ch) ? `\\${ch}` : /[0-9A-Za-z]/.test(ch) ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`)).join('');
  else ({ source, flags: extra } = re2ToJs(pattern));
  if (extra.includes('i')) icase = true;
  if (extra.includes('s')) dotall = true;
  if (anchored) source = `^(?:${source})$`;
  try {
    return new RegExp(source, `u${icase ? 'i' : ''}${dotall ? 's' : ''}${options.includes('g') ? 'g' : ''}`);
  } catch (e) {
    throw bad(pattern, (e as Error).message);
  }
}

/** A per-kernel cache: a constant pattern compiles once, a column of patterns once per distinct value. */
function cached(anchored: boolean): (p: string, o: string) => RegExp {
  const m = new Map<string, RegExp>();
  return (p, o) => {
    const key = `${o}\u0000${p}`;
    let r = m.get(key);
    if (!r) {
      if (m.size > 4096) m.clear();
      r = compileRegex(p, o, anchored);
      m.set(key, r);
    }
    r.lastIndex = 0;
    return r;
  };
}

/** DuckDB's replacement text: `\0`…`\9` are groups, `\\` is a backslash, everything else literal. */
function expand(template: string, groups: Array<string | undefined>): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === '\\' && i + 1 < template.length) {
      const nx = template[i + 1]!;
      if (nx >= '0' && nx <= '9') { out += groups[Number(nx)] ?? ''; i++; continue; }
      if (nx === '\\') { out += '\\'; i++; continue; }
    }
    out += ch;
  }
  return out;
}

/** A constant pattern is compiled once at bind time, so a bad one fails before any data is read. */
function checkPattern(p: Expr, opts: Expr[], anchored: boolean): void {
  if (p.k === 'lit' && typeof p.v === 'string') compileRegex(p.v, opts.length ? String((opts[0] as Extract<Expr, { k: 'lit' }>).v) : '', anchored);
}

/** Options argument at `i` (constant), checked at bind time. */
function options(args: Expr[], i: number, t: BindTools, allowG: boolean): Expr[] {
  if (args.length <= i) return [];
  const o = constStr(str(args[i]!, t), t, 'options string') ?? '';
  if (!allowG && o.includes('g')) t.fail(`${t.name}() does not take the option 'g'`);
  compileRegex('', o, false);
  return [{ k: 'lit', v: o, type: 'string' }];
}

function matcher(name: string, anchored: boolean, doc: string, aliases: string[]): ScalarFunction {
  return {
    name, aliases, family: 'regex', signature: `${name}(string VARCHAR, pattern VARCHAR[, options VARCHAR]) → BOOLEAN`, doc,
    bind(args, t) {
      arity(args, t, 2, 3);
      const o = options(args, 2, t, false);
      checkPattern(args[1]!, o, anchored);
      return call(name, [str(args[0]!, t), str(args[1]!, t), ...o], 'boolean');
    },
    kernel(_e, args) {
      const re = cached(anchored);
      return rowwise('boolean', (s, p, o) => re(p as string, (o as string | undefined) ?? '').test(s as string))(args);
    },
  };
}

export const REGEX_FUNCTIONS: ScalarFunction[] = [
  matcher('regexp_matches', false, 'Whether the pattern matches anywhere in the string (RE2 syntax, see the notes above).', ['regexp_like', 'rlike']),
  matcher('regexp_full_match', true, 'Whether the pattern matches the whole string; `s ~ p` and `s SIMILAR TO p` are the same.', []),
  {
    name: 'regexp_extract', family: 'regex', signature: 'regexp_extract(string VARCHAR, pattern VARCHAR[, group BIGINT[, options VARCHAR]]) → VARCHAR',
    doc: "The first match's group `group` (default 0, the whole match); '' when nothing matches or the group does not exist.",
    bind(args, t) {
      arity(args, t, 2, 4);
      const g = args[2] ? args[2] : { k: 'lit', v: 0, type: 'int64' } as Expr;
      if (g.k !== 'lit' || (typeof g.v !== 'number' && g.v !== null)) return t.unsupported('regexp_extract() with a non-constant group');
      const o = options(args, 3, t, false);
      checkPattern(args[1]!, o, false);
      return call('regexp_extract', [str(args[0]!, t), str(args[1]!, t), { k: 'lit', v: g.v, type: 'int64' }, ...o], 'string');
    },
    kernel(_e, args) {
      const re = cached(false);
      return rowwise('string', (s, p, g, o) => {
        const m = re(p as string, (o as string | undefined) ?? '').exec(s as string);
        return m ? m[Number(g)] ?? '' : '';
      })(args);
    },
  },
  {
    name: 'regexp_replace', family: 'regex', signature: 'regexp_replace(string VARCHAR, pattern VARCHAR, replacement VARCHAR[, options VARCHAR]) → VARCHAR',
    doc: "The first match (every match with option 'g') replaced; in the replacement `\\0`…`\\9` are groups and `\\\\` a backslash.",
    bind(args, t) {
      arity(args, t, 3, 4);
      const o = options(args, 3, t, true);
      checkPattern(args[1]!, o, false);
      return call('regexp_replace', [str(args[0]!, t), str(args[1]!, t), str(args[2]!, t), ...o], 'string');
    },
    kernel(_e, args) {
      const re = cached(false);
      return rowwise('string', (s, p, r, o) => (s as string).replace(re(p as string, (o as string | undefined) ?? ''), (...m: unknown[]) => {
        const nGroups = m.findIndex((x) => typeof x === 'number') - 1;
        return expand(r as string, m.slice(0, nGroups + 1) as Array<string | undefined>);
      }))(args);
    },
  },
];
