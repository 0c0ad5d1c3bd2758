/**
 * JSON with 64-bit integers. Iceberg snapshot ids are random signed 64-bit longs, so most exceed
 * 2^53 and `JSON.parse` would silently round them (7505300640432048841 → …8800). This parser
 * returns integer literals outside the safe range as `bigint`; the serializer writes `bigint`
 * values as bare JSON numbers. Everything else behaves like the built-in JSON. Pure, no I/O.
 *
 * Input is untrusted (a metadata file may be damaged): nesting deeper than `MAX_JSON_DEPTH`
 * arrays/objects is refused (the parser recurses; Iceberg metadata nests < 20 levels even with
 * deeply nested struct types), and every syntax error is an `INVALID_METADATA` error naming the
 * document and the offset — never a RangeError or SyntaxError.
 */

import { LakehouseError } from '../connectors/errors.js';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/** Deepest nesting of arrays and objects `parseJson` accepts. */
export const MAX_JSON_DEPTH = 128;

export function parseJson(text: string, what = 'JSON document'): JsonValue {
  let i = 0;
  let depth = 0;
  const fail = (msg: string): never => {
    throw new LakehouseError('INVALID_METADATA', `${what} is not valid JSON: ${msg} at offset ${i}`, {
      help: 'The file is damaged (or not a JSON metadata file): restore it from a backup, or point at another metadata version.',
      details: { file: what, offset: i },
    });
  };
  const enter = (): void => {
    if (++depth > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
  };
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const value = (): JsonValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      enter();
      const obj: { [key: string]: JsonValue } = {};
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const k = str();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        // defineProperty: a "__proto__" key must stay a plain key, not replace the prototype.
        Object.defineProperty(obj, k, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          depth--;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      enter();
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          depth--;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  };
  const str = (): string => {
    // Find the closing quote, honouring escapes, and let JSON.parse decode the literal.
    const start = i;
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '"') break;
      else i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('invalid string literal (bad escape or control character)');
    }
  };
  const out = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return out;
}

/** Serializes like `JSON.stringify(value, null, indent)`, writing bigints as plain numbers. */
export function stringifyJson(value: unknown, indent = 2): string {
  const pad = (depth: number): string => (indent > 0 ? '\n' + ' '.repeat(indent * depth) : '');
  const sep = indent > 0 ? ': ' : ':';
  const go = (v: unknown, depth: number): string | undefined => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'bigint':
        return v.toString();
      case 'number':
        return Number.isFinite(v) ? String(v) : 'null';
      case 'boolean':
        return v ? 'true' : 'false';
      case 'string':
        return JSON.stringify(v);
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      default:
        break;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const items = v.map((x) => go(x, depth + 1) ?? 'null');
      return '[' + items.map((s) => pad(depth + 1) + s).join(',') + pad(depth) + ']';
    }
    const entries: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const s = go(x, depth + 1);
      if (s !== undefined) entries.push(pad(depth + 1) + JSON.stringify(k) + sep + s);
    }
    if (entries.length === 0) return '{}';
    return '{' + entries.join(',') + pad(depth) + '}';
  };
  return go(value, 0) ?? 'null';
}
