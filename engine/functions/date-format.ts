/**
 * strftime / strptime format strings (DuckDB's `%` specifiers) and the Java-style patterns of
 * Spark's date_format / to_date / to_timestamp, translated to them. A format is compiled once
 * per kernel into a list of parts; formatting and parsing are then allocation-light loops.
 *
 * Supported specifiers: %Y %y %m %-m %d %-d %e? no — %H %-H %I %-I %M %-M %S %-S %f (µs, 6 digits)
 * %g (ms, 3 digits) %n (ns, 9 digits) %p %j %-j %a %A %b %h %B %w %u %V %G %%. Anything else
 * (time zones %z %Z, locale forms %c %x %X, %U %W) is refused as not supported yet.
 * Timestamps are UTC microseconds; parsing yields them too (or NULL from try_strptime).
 */

import { LakehouseError } from '../../connectors/errors.js';
import { daysFromCivil, MAX_DATE_DAYS } from '../plan/types.js';
import { dayOf, daysInMonth, dowOf, doyOf, isoWeek, monthOf, yearOf } from '../compute/dates.js';

const US_PER_DAY = 86_400_000_000;
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

type Part = string | { spec: string };

const SPECS = new Set(['Y', 'y', '-y', 'm', '-m', 'd', '-d', 'H', '-H', 'I', '-I', 'M', '-M', 'S', '-S', 'f', 'g', 'n', 'p', 'j', '-j', 'a', 'A', 'b', 'h', 'B', 'w', 'u', 'V', 'G']);

export function compileFormat(fmt: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== '%') { lit += ch; continue; }
    let spec = fmt[i + 1] ?? '';
    if (spec === '-') spec = `-${fmt[i + 2] ?? ''}`;
    i += spec.length;
    if (spec === '%') { lit += '%'; continue; }
    if (!SPECS.has(spec)) {
      throw new LakehouseError('UNSUPPORTED', `not supported yet: the format specifier %${spec} in '${fmt}'`, {
        help: 'Supported: %Y %y %m %d %H %I %M %S %f %g %n %p %j %a %A %b %B %w %u %V %G %% (and %-d style forms without padding).',
      });
    }
    if (lit) { parts.push(lit); lit = ''; }
    parts.push({ spec });
  }
  if (lit) parts.push(lit);
  return parts;
}

const p2 = (x: number): string => String(x).padStart(2, '0');

export function formatTimestampWith(parts: Part[], us: number): string {
  const days = Math.floor(us / US_PER_DAY);
  const tod = us - days * US_PER_DAY;
  const y = yearOf(days);
  const mo = monthOf(days);
  const d = dayOf(days);
  const h = Math.floor(tod / 3_600_000_000);
  const mi = Math.floor(tod / 60_000_000) % 60;
  const s = Math.floor(tod / 1_000_000) % 60;
  const frac = tod % 1_000_000;
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') { out += p; continue; }
    switch (p.spec) {
      case 'Y': out += y < 0 ? `-${String(-y).padStart(4, '0')}` : String(y).padStart(4, '0'); break;
      case 'y': out += p2(((y % 100) + 100) % 100); break;
      case '-y': out += String(((y % 100) + 100) % 100); break;
      case 'm': out += p2(mo); break;
      case '-m': out += String(mo); break;
      case 'd': out += p2(d); break;
      case '-d': out += String(d); break;
      case 'H': out += p2(h); break;
      case '-H': out += String(h); break;
      case 'I': out += p2(h % 12 === 0 ? 12 : h % 12); break;
      case '-I': out += String(h % 12 === 0 ? 12 : h % 12); break;
      case 'M': out += p2(mi); break;
      case '-M': out += String(mi); break;
      case 'S': out += p2(s); break;
      case '-S': out += String(s); break;
      case 'f': out += String(frac).padStart(6, '0'); break;
      case 'g': out += String(Math.floor(frac / 1000)).padStart(3, '0'); break;
      case 'n': out += `${String(frac).padStart(6, '0')}000`; break;
      case 'p': out += h < 12 ? 'AM' : 'PM'; break;
      case 'j': out += String(doyOf(days)).padStart(3, '0'); break;
      case '-j': out += String(doyOf(days)); break;
      case 'a': out += DAYS[dowOf(days)]!.slice(0, 3); break;
      case 'A': out += DAYS[dowOf(days)]!; break;
      case 'b': case 'h': out += MONTHS[mo - 1]!.slice(0, 3); break;
      case 'B': out += MONTHS[mo - 1]!; break;
      case 'w': out += String(dowOf(days)); break;
      case 'u': out += String(dowOf(days) === 0 ? 7 : dowOf(days)); break;
      case 'V': out += p2(isoWeek(days).week); break;
      case 'G': out += String(isoWeek(days).year).padStart(4, '0'); break;
    }
  }
  return out;
}

/** Parses `text` with the format; `undefined` when it does not match (the caller decides: error or NULL). */
export function parseTimestampWith(parts: Part[], text: string): number | undefined {
  let i = 0;
  let y = 1900, mo = 1, d = 1, h = 0, mi = 0, s = 0, us = 0, doy = -1;
  let pm: boolean | null = null;
  const digits = (min: number, max: number): number | undefined => {
    let j = i;
    if (text[j] === '-' && max >= 4) j++;
    const start = j;
    while (j < text.length && j - start < max && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
    if (j - start < min) return undefined;
    const v = Number(text.slice(i, j));
    i = j;
    return v;
  };
  const word = (names: string[], len: number | null): number | undefined => {
    const low = text.slice(i).toLowerCase();
    for (let k = 0; k < names.length; k++) {
      const n = (len ? names[k]!.slice(0, len) : names[k]!).toLowerCase();
      if (low.startsWith(n)) { i += n.length; return k; }
    }
    return undefined;
  };
  for (const p of parts) {
    if (typeof p === 'string') {
      if (!text.startsWith(p, i)) return undefined;
      i += p.length;
      continue;
    }
    let v: number | undefined;
    const spec = p.spec.replace('-', '');
    switch (spec) {
      case 'Y': v = digits(1, 6); if (v !== undefined) y = v; break;
      case 'y': v = digits(1, 2); if (v !== undefined) y = v < 69 ? 2000 + v : 1900 + v; break;
      case 'm': v = digits(1, 2); if (v !== undefined) mo = v; break;
      case 'd': v = digits(1, 2); if (v !== undefined) d = v; break;
      case 'H': v = digits(1, 2); if (v !== undefined) h = v; break;
      case 'I': v = digits(1, 2); if (v !== undefined) h = v % 12; break;
      case 'M': v = digits(1, 2); if (v !== undefined) mi = v; break;
      case 'S': v = digits(1, 2); if (v !== undefined) s = v; break;
      case 'f': { const st = i; v = digits(1, 6); if (v !== undefined) us = v * 10 ** (6 - (i - st)); break; }
      case 'g': { const st = i; v = digits(1, 3); if (v !== undefined) us = v * 10 ** (3 - (i - st)) * 1000; break; }
      case 'n': { const st = i; v = digits(1, 9); if (v !== undefined) us = Math.floor(v * 10 ** (9 - (i - st)) / 1000); break; }
      case 'j': v = digits(1, 3); if (v !== undefined) doy = v; break;
      case 'p': { const k = word(['AM', 'PM'], null); if (k !== undefined) { pm = k === 1; v = k; } break; }
      case 'a': v = word(DAYS, 3); break;
      case 'A': v = word(DAYS, null); break;
      case 'b': case 'h': v = word(MONTHS, 3); if (v !== undefined) mo = v + 1; break;
      case 'B': v = word(MONTHS, null); if (v !== undefined) mo = v + 1; break;
      case 'w': case 'u': v = digits(1, 1); break;
      default:
        throw new LakehouseError('UNSUPPORTED', `not supported yet: %${p.spec} in strptime formats`);
    }
    if (v === undefined) return undefined;
  }
  if (i !== text.length) return undefined;
  if (pm !== null) h = (h % 12) + (pm ? 12 : 0);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const days = doy > 0 ? daysFromCivil(y, 1, 1) + doy - 1 : daysFromCivil(y, mo, d);
  if (Math.abs(days) > MAX_DATE_DAYS) return undefined;
  return days * US_PER_DAY + ((h * 60 + mi) * 60 + s) * 1_000_000 + us;
}

/**
 * A Java / Spark datetime pattern (`yyyy-MM-dd HH:mm:ss`) as a `%` format. Letters outside the
 * common set are refused, quoted text ('T') is literal.
 */
export function javaToStrftime(pattern: string): string {
  const map: Record<string, string> = {
    yyyy: '%Y', yy: '%y', y: '%Y', MMMM: '%B', MMM: '%b', MM: '%m', M: '%-m', dd: '%d', d: '%-d', HH: '%H', H: '%-H',
    hh: '%I', h: '%-I', mm: '%M', m: '%-M', ss: '%S', s: '%-S', SSSSSS: '%f', SSS: '%g', a: '%p', EEEE: '%A', EEE: '%a', E: '%a', DDD: '%j', D: '%-j',
  };
  let out = '';
  for (let i = 0; i < pattern.length;) {
    const ch = pattern[i]!;
    if (ch === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new LakehouseError('INVALID_ARGUMENT', `unterminated quote in the pattern '${pattern}'`);
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end).replace(/%/g, '%%');
      i = end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      let j = i;
      while (pattern[j] === ch) j++;
      const run = pattern.slice(i, j);
      const f = map[run];
      if (!f) throw new LakehouseError('UNSUPPORTED', `not supported yet: '${run}' in the datetime pattern '${pattern}'`, { help: 'Supported letters: yyyy yy MM MMM MMMM dd d HH H hh h mm ss SSS SSSSSS a EEE EEEE D; or use strftime/strptime with % formats.' });
      out += f;
      i = j;
      continue;
    }
    out += ch === '%' ? '%%' : ch;
    i++;
  }
  return out;
}
