/**
 * Job parameters: `:name` placeholders in a job's SQL bound to typed values.
 *
 * Binding is done on tokens, not on text: a small lexer walks the SQL (string literals, quoted
 * identifiers, comments and `::` casts are skipped), and each placeholder token is replaced by
 * one literal token of the parameter's declared type, rendered from a validated value (strings
 * with quotes doubled, numbers checked finite, dates and timestamps checked against their
 * formats). A value can therefore never change the statement's structure: `'; DROP …` stays a
 * string. Unknown placeholders and unused parameters are errors. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { JobSpec } from './spec.js';

export type ParamType = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'date' | 'timestamp' | 'decimal';

export interface TypedParam {
  type: ParamType;
  value: string | number | boolean | null;
}

/** Infers a type for untyped JSON values: strings stay strings (dates must be typed). */
export function normalizeParams(params: JobSpec['parameters']): Record<string, TypedParam> {
  const out: Record<string, TypedParam> = {};
  for (const [name, v] of Object.entries(params ?? {})) {
    if (v !== null && typeof v === 'object') out[name] = { type: v.type, value: v.value };
    else if (typeof v === 'number') out[name] = { type: Number.isInteger(v) ? 'long' : 'double', value: v };
    else if (typeof v === 'boolean') out[name] = { type: 'boolean', value: v };
    else out[name] = { type: 'string', value: v };
  }
  return out;
}

function bad(name: string, msg: string): never {
  throw new LakehouseError('INVALID_JOB_SPEC', `parameter "${name}": ${msg}`, {
    help: 'Give the parameter a value of its declared type, e.g. { "type": "date", "value": "2026-11-23" }.',
    details: { parameter: name },
  });
}

export function renderLiteral(name: string, p: TypedParam): string {
  if (p.value === null) return 'NULL';
  const v = p.value;
  switch (p.type) {
    case 'string':
      return `'${String(v).replace(/'/g, "''")}'`;
    case 'int':
    case 'long': {
      const s = String(v);
      if (!/^-?\d+$/.test(s)) bad(name, `"${s}" is not an integer`);
      if (p.type === 'int' && (Number(s) > 2147483647 || Number(s) < -2147483648)) bad(name, `${s} is out of int range`);
      return p.type === 'int' ? s : `CAST(${s} AS BIGINT)`;
    }
    case 'double': {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) bad(name, `"${v}" is not a finite number`);
      return `CAST(${JSON.stringify(n)} AS DOUBLE)`;
    }
    case 'decimal': {
      const s = String(v);
      if (!/^-?\d+(\.\d+)?$/.test(s)) bad(name, `"${s}" is not a decimal number`);
      const scale = s.includes('.') ? s.split('.')[1]!.length : 0;
      const digits = s.replace(/[-.]/g, '').replace(/^0+(?=\d)/, '').length;
      return `CAST('${s}' AS DECIMAL(${Math.max(digits, scale + 1, 1)}, ${scale}))`;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
      if (v === 'true' || v === 'false') return v.toUpperCase();
      return bad(name, `"${v}" is not a boolean`);
    case 'date': {
      const s = String(v);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(Date.parse(`${s}T00:00:00Z`))) bad(name, `"${s}" is not a date (YYYY-MM-DD)`);
      return `DATE '${s}'`;
    }
    case 'timestamp': {
      const s = String(v);
      if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/.test(s)) bad(name, `"${s}" is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])`);
      return `TIMESTAMP '${s.replace('T', ' ')}'`;
    }
  }
}

/** Replaces `:name` placeholders outside strings, quoted identifiers and comments. */
export function bindParameters(sql: string, params: Record<string, TypedParam>): string {
  let out = '';
  const used = new Set<string>();
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= n) break;
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        if (c === "'" && sql[j] === '\\') j++;
        j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const j = sql.indexOf('\n', i);
      const end = j < 0 ? n : j;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const j = sql.indexOf('*/', i + 2);
      const end = j < 0 ? n : j + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (c === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
    } else if (c === ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      const p = params[name];
      if (!p) {
        throw new LakehouseError('INVALID_JOB_SPEC', `the SQL uses :${name} but the job has no parameter "${name}"`, {
          help: `Add "${name}" to the job's "parameters", or remove the placeholder.`,
          details: { parameter: name },
        });
      }
      used.add(name);
      out += renderLiteral(name, p);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  const unused = Object.keys(params).filter((k) => !used.has(k));
  if (unused.length) {
    throw new LakehouseError('INVALID_JOB_SPEC', `parameter(s) ${unused.map((u) => `"${u}"`).join(', ')} are not used by the SQL`, {
      help: 'Reference each parameter as :name in the SQL, or remove it from "parameters".',
      details: { unused },
    });
  }
  return out;
}
