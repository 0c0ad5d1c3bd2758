/**
 * Job parameters: `:name` placeholders in a job's SQL bound to typed values — on the parser's
 * AST, never on text.
 *
 * The job SQL is parsed once (sqlparser-ts, the engine's parser: engine/jobs/statement.ts); the
 * parser reports each placeholder as a `Placeholder` value node, so comments (nested ones
 * included), string literals (a trailing backslash included) and quoted identifiers are the
 * parser's business and a placeholder-looking token inside them is simply not a node. Each
 * placeholder node is replaced by a typed literal node built from a validated value (strings
 * are data in a string node, numbers checked finite, dates and timestamps checked against their
 * formats): a value can never change the statement's structure. Names are looked up as own
 * properties only (`:constructor`, `:toString`, `:__proto__` are unknown unless declared).
 * Unknown placeholders, non-`:name` placeholders (`?`, `$1`, `@x`) and unused parameters are
 * `INVALID_JOB_SPEC`. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { JobSpec } from './spec.js';

export type ParamType = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'date' | 'timestamp' | 'decimal';

export interface TypedParam {
  type: ParamType;
  value: string | number | boolean | null;
}

/** Parameters by name, in an object without a prototype (so no name is inherited). */
export type Params = Record<string, TypedParam>;

/** Infers a type for untyped JSON values: strings stay strings (dates must be typed). */
export function normalizeParams(params: JobSpec['parameters']): Params {
  const out: Params = Object.create(null) as Params;
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

/* A node of sqlparser-ts's AST (the JSON form of sqlparser-rs's enums). */
type J = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const value = (v: J, span: J): J => ({ Value: { value: v, ...(span ? { span } : {}) } });
const cast = (v: J, span: J, dataType: string): J => ({ Cast: { kind: 'Cast', expr: value(v, span), data_type: dataType, array: false, format: null } });
const typed = (dataType: string, text: string, span: J): J => ({ TypedString: { data_type: dataType, value: { value: { SingleQuotedString: text }, ...(span ? { span } : {}) }, uses_odbc_syntax: false } });

/** The typed literal node for a parameter's value, its value validated against its type. */
export function literalNode(name: string, p: TypedParam, span?: J): J {
  if (p.value === null) return value('Null', span);
  const v = p.value;
  switch (p.type) {
    case 'string':
      return value({ SingleQuotedString: String(v) }, span);
    case 'int':
    case 'long': {
      const s = String(v);
      if (!/^-?\d+$/.test(s)) bad(name, `"${s}" is not an integer`);
      if (p.type === 'int' && (Number(s) > 2147483647 || Number(s) < -2147483648)) bad(name, `${s} is out of int range`);
      if (p.type === 'long' && (BigInt(s) > 9223372036854775807n || BigInt(s) < -9223372036854775808n)) bad(name, `${s} is out of long range`);
      return p.type === 'int' ? value({ Number: [s, false] }, span) : cast({ Number: [s, false] }, span, 'BigInt');
    }
    case 'double': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) bad(name, `"${v}" is not a finite number`);
      return cast({ Number: [JSON.stringify(n), false] }, span, 'Double');
    }
    case 'decimal': {
      const s = String(v);
      if (!/^-?\d+(\.\d+)?$/.test(s)) bad(name, `"${s}" is not a decimal number`);
      return cast({ SingleQuotedString: s }, span, 'Decimal');
    }
    case 'boolean':
      if (typeof v === 'boolean') return value({ Boolean: v }, span);
      if (v === 'true' || v === 'false') return value({ Boolean: v === 'true' }, span);
      return bad(name, `"${v}" is not a boolean`);
    case 'date': {
      const s = String(v);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(Date.parse(`${s}T00:00:00Z`))) bad(name, `"${s}" is not a date (YYYY-MM-DD)`);
      return typed('Date', s, span);
    }
    case 'timestamp': {
      const s = String(v);
      if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/.test(s)) bad(name, `"${s}" is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])`);
      return typed('Timestamp', s.replace('T', ' '), span);
    }
  }
}

/**
 * The plain value node of a time-travel placeholder: a snapshot id (an integer, a long, or a
 * string of digits) after VERSION AS OF, a timestamp (or date, or string) after TIMESTAMP AS OF.
 */
function travelNode(name: string, p: TypedParam, kind: 'VersionAsOf' | 'TimestampAsOf', span: J): J {
  const s = p.value === null ? '' : String(p.value);
  if (kind === 'VersionAsOf') {
    if (!['int', 'long', 'string'].includes(p.type) || !/^\d+$/.test(s)) bad(name, `VERSION AS OF needs a snapshot id (a long), not ${p.type} "${s}"`);
    return value({ Number: [s, false] }, span);
  }
  if (!['timestamp', 'date', 'string'].includes(p.type) || s === '') bad(name, `TIMESTAMP AS OF needs a timestamp, not ${p.type} "${s}"`);
  if (p.type !== 'string') literalNode(name, p, span); // validates the format
  return value({ SingleQuotedString: p.type === 'timestamp' ? s.replace('T', ' ') : s }, span);
}

/**
 * Replaces every placeholder node of a parsed statement (in place, on a private copy the caller
 * owns) by its parameter's literal node. Throws for unknown placeholders and unused parameters.
 */
export function bindPlaceholders(ast: J, params: Params): J {
  const used = new Set<string>();
  /** Set while visiting the value of a time-travel clause. */
  let travel: 'VersionAsOf' | 'TimestampAsOf' | undefined;
  const visit = (node: J): J => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = visit(node[i]);
      return node;
    }
    if (node === null || typeof node !== 'object') return node;
    const ph = node.Value?.value?.Placeholder;
    if (typeof ph === 'string' && Object.keys(node).length === 1) {
      const m = /^:([A-Za-z_][A-Za-z0-9_]*)$/.exec(ph);
      if (!m) {
        throw new LakehouseError('INVALID_JOB_SPEC', `placeholder ${ph} is not a job parameter: parameters are written :name`, {
          help: 'Write each parameter as :name and declare it in the job\'s "parameters".',
          details: { placeholder: ph },
        });
      }
      const name = m[1]!;
      if (!Object.hasOwn(params, name)) {
        throw new LakehouseError('INVALID_JOB_SPEC', `the SQL uses :${name} but the job has no parameter "${name}"`, {
          help: `Add "${name}" to the job's "parameters", or remove the placeholder.`,
          details: { parameter: name },
        });
      }
      used.add(name);
      return travel ? travelNode(name, params[name]!, travel, node.Value.span) : literalNode(name, params[name]!, node.Value.span);
    }
    for (const k of Object.keys(node)) {
      // `FOR VERSION AS OF :v` / `FOR TIMESTAMP AS OF :ts`: the parser wants a plain value there.
      const was = travel;
      travel = k === 'VersionAsOf' || k === 'TimestampAsOf' ? k : undefined;
      node[k] = visit(node[k]);
      travel = was;
    }
    return node;
  };
  const out = visit(ast);
  const unused = Object.keys(params).filter((k) => !used.has(k));
  if (unused.length) {
    throw new LakehouseError('INVALID_JOB_SPEC', `parameter(s) ${unused.map((u) => `"${u}"`).join(', ')} are not used by the SQL`, {
      help: 'Reference each parameter as :name in the SQL, or remove it from "parameters".',
      details: { unused },
    });
  }
  return out;
}
