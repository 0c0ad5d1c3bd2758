/**
 * Calendar arithmetic on epoch days / microseconds (proleptic Gregorian, UTC), written as scalar
 * functions that allocate nothing, so the kernels can call them per row.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { daysFromCivil } from '../plan/types.js';

const US_PER_DAY = 86_400_000_000;

function civil(z: number, part: 0 | 1 | 2): number {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp + (mp < 10 ? 3 : -9);
  if (part === 1) return m;
  if (part === 2) return doy - Math.floor((153 * mp + 2) / 5) + 1;
  return yoe + era * 400 + (m <= 2 ? 1 : 0);
}

export function yearOf(days: number): number {
  return civil(days, 0);
}

export function monthOf(days: number): number {
  return civil(days, 1);
}

export function dayOf(days: number): number {
  return civil(days, 2);
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Adds calendar months, clamping the day to the target month's end (Jan 31 + 1 month = Feb 28/29). */
export function shiftMonths(days: number, months: number): number {
  const y = yearOf(days);
  const m = monthOf(days);
  const d = dayOf(days);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  return daysFromCivil(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}

/** Truncates a timestamp (µs) to the start of `unit`; returns µs. Weeks start on Monday (ISO). */
export function dateTrunc(unit: string, us: number): number {
  const days = Math.floor(us / US_PER_DAY);
  switch (unit) {
    case 'year': return daysFromCivil(yearOf(days), 1, 1) * US_PER_DAY;
    case 'quarter': {
      const m = monthOf(days);
      return daysFromCivil(yearOf(days), m - ((m - 1) % 3), 1) * US_PER_DAY;
    }
    case 'month': return daysFromCivil(yearOf(days), monthOf(days), 1) * US_PER_DAY;
    case 'week': {
      const dow = (((days + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday; Monday = 0
      return (days - dow) * US_PER_DAY;
    }
    case 'day': return days * US_PER_DAY;
    case 'hour': return Math.floor(us / 3_600_000_000) * 3_600_000_000;
    case 'minute': return Math.floor(us / 60_000_000) * 60_000_000;
    case 'second': return Math.floor(us / 1_000_000) * 1_000_000;
    default:
      throw new LakehouseError('UNSUPPORTED', `not supported yet: date_trunc unit '${unit}'`, {
        help: "Use 'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute' or 'second'.",
      });
  }
}

/** Day of the week, Sunday = 0 … Saturday = 6 (DuckDB's dayofweek / dow). */
export function dowOf(days: number): number {
  return (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** Day of the year, 1 … 366. */
export function doyOf(days: number): number {
  return days - daysFromCivil(yearOf(days), 1, 1) + 1;
}

/** ISO 8601 week-numbering year and week (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(days: number): { year: number; week: number } {
  const isoDow = dowOf(days) === 0 ? 7 : dowOf(days);
  const thursday = days - isoDow + 4;
  const year = yearOf(thursday);
  const week = Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1;
  return { year, week };
}

/** The last day of the month of `days`. */
export function lastDayOf(days: number): number {
  const y = yearOf(days);
  const m = monthOf(days);
  return daysFromCivil(y, m, daysInMonth(y, m));
}
