/**
 * Size limits checked on the SQL text BEFORE it reaches the parser.
 *
 * Why: the parser (sqlparser-rs in WASM) is recursive descent. Measured on 0.62: one expression
 * of ~800 chained operators overflows its stack and traps the WASM instance ("memory access out
 * of bounds"); nested prefix forms backtrack exponentially — 36 nested `NOT (` take 1.3 s and 40
 * take over 15 s (48 nested `CAST(` likewise), synchronously, blocking the process. Its own
 * recursion limit (~48 brackets) comes too late for the second case.
 *
 * The scan below is a limit check, not a parse: it walks the text once, skipping string
 * literals, quoted identifiers and comments, and counts the bracket depth and the operators.
 * Limits (documented in `lake sql --help`):
 *   - statement length ≤ MAX_SQL_LENGTH characters,
 *   - bracket nesting ≤ MAX_SQL_DEPTH (24 nested `NOT (` parse in ~50 ms),
 *   - operators (AND OR NOT, comparisons, + - * / % ||) ≤ MAX_SQL_OPERATORS per statement
 *     (chains of 700 still parse; the limit keeps a margin under the ~800 that trap).
 */

import { LakehouseError } from '../../connectors/errors.js';

export const MAX_SQL_LENGTH = 256 * 1024;
export const MAX_SQL_DEPTH = 24;
export const MAX_SQL_OPERATORS = 512;

const WORD_OPS = new Set(['and', 'or', 'not']);

function tooBig(what: string, help: string, details: Record<string, unknown>): LakehouseError {
  return new LakehouseError('SQL_PARSE_ERROR', `statement too complex: ${what}`, { help, details });
}

/** Throws SQL_PARSE_ERROR when `sql` exceeds a limit; returns the measured depth and operator count. */
export function checkSqlLimits(sql: string): { depth: number; operators: number } {
  if (sql.length > MAX_SQL_LENGTH) {
    throw tooBig(`${sql.length} characters (the limit is ${MAX_SQL_LENGTH})`, 'Split the statement, or load large value lists as a table.', { length: sql.length, limit: MAX_SQL_LENGTH });
  }
  let depth = 0;
  let maxDepth = 0;
  let ops = 0;
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === "'" || ch === '"' || ch === '`') {
      // Quoted text; a doubled quote is an escaped quote (and a backslash escapes in Spark strings).
      i++;
      while (i < n) {
        if (sql[i] === '\\' && ch === "'") { i += 2; continue; }
        if (sql[i] === ch) {
          if (sql[i + 1] === ch) { i += 2; continue; }
          break;
        }
        i++;
      }
      i++;
      continue;
    }
    if (ch === '-' && next === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (ch === '(' || ch === '[') {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
      if (depth > MAX_SQL_DEPTH) {
        throw tooBig(`brackets nested deeper than ${MAX_SQL_DEPTH}`, `Flatten the expression (nesting deeper than ${MAX_SQL_DEPTH} is refused before parsing because the parser slows down exponentially on it).`, { depth, limit: MAX_SQL_DEPTH });
      }
      i++;
      continue;
    }
    if (ch === ')' || ch === ']') { depth = Math.max(0, depth - 1); i++; continue; }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < n && /\w/.test(sql[j]!)) j++;
      if (WORD_OPS.has(sql.slice(i, j).toLowerCase())) ops++;
      i = j;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      while (i < n && /[\w.]/.test(sql[i]!)) i++;
      continue;
    }
    if ('+-*/%=<>!|'.includes(ch)) {
      // A two-character operator (<=, >=, <>, !=, ||) counts once.
      ops++;
      i += next !== undefined && '=<>|'.includes(next) && !(ch === '|' && next !== '|') ? 2 : 1;
      if (ops > MAX_SQL_OPERATORS) break;
      continue;
    }
    i++;
  }
  if (ops > MAX_SQL_OPERATORS) {
    throw tooBig(`more than ${MAX_SQL_OPERATORS} operators`, `Split the statement or shorten the expression (statements with more than ${MAX_SQL_OPERATORS} operators are refused before parsing; the parser overflows on long chains). For long OR lists use IN (…).`, { limit: MAX_SQL_OPERATORS });
  }
  return { depth: maxDepth, operators: ops };
}
