/**
 * Table functions in FROM, with DuckDB's names and common options:
 *   read_parquet(path | [paths], …)             (alias parquet_scan)
 *   read_csv(path | [paths], header = true, delim = ',', columns = struct('INTEGER' AS a, …),
 *            names = ['a', …], nullstr = 'NA', quote = '"', escape = '"', auto_detect = true)
 *                                              (alias read_csv_auto)
 *   read_json(path | [paths], format = 'newline_delimited', columns = struct(…))
 *                                              (aliases read_json_auto, read_ndjson, read_ndjson_auto)
 * A path is a local path (relative to the working directory), a file:// URI or an s3:// URI, and
 * may hold globs: `*` and `?` within a path segment, `**` across segments, `[abc]`, `{a,b}`.
 * A glob's matches are sorted by key and a list keeps its order, so a query reads files in a
 * deterministic order.
 *
 * Each call is bound to a TableSource at planning time: Parquet through ParquetFilesSource
 * (footers are read now; row groups are pruned by statistics and scanned by the workers); CSV and
 * NDJSON through plain-data `textfile` scan tasks (text-file-scan.ts), one per file, whose schema
 * is inferred here from the first file with the connectors' inference (engine/operations/ingest.ts
 * uses the same) unless `columns` is given. Memory: footers / one inference sample at planning;
 * scans stream. Options we do not implement are refused by name, never ignored.
 */

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LakehouseError } from '../../connectors/errors.js';
import { inferCsvSchema, inferNdjsonSchema } from '../../connectors/formats.js';
import { checkPrimitive, decimalType, type PrimitiveType, type Schema as IcebergSchema } from '../../connectors/iceberg-types.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import { openObjectStore } from '../../connectors/open.js';
import type { ResolvedTable } from '../plan/binder.js';
import type { Schema } from '../plan/types.js';
import type { UExpr, UFrom } from '../plan/unbound.js';
import { engineSchemaOfIceberg } from './iceberg-engine-types.js';
import { ParquetFilesSource } from './parquet-source.js';
import { refuseUnsupported, type ScanRequest, type ScanTask, type TableSource } from './table-source.js';
import type { TextFileScanTask } from './text-file-scan.js';

type TableFn = Extract<UFrom, { k: 'tablefn' }>;
type CsvTaskOptions = Pick<TextFileScanTask, 'delimiter' | 'header' | 'columnNames' | 'nullValues' | 'quote' | 'escape'>;

/** A constant argument: text, number, boolean, list, or struct/map of name → value. */
type Const = string | number | boolean | null | Const[] | { [k: string]: Const };

const FUNCTIONS: Record<string, 'parquet' | 'csv' | 'ndjson'> = {
  read_parquet: 'parquet', parquet_scan: 'parquet',
  read_csv: 'csv', read_csv_auto: 'csv',
  read_json: 'ndjson', read_json_auto: 'ndjson', read_ndjson: 'ndjson', read_ndjson_auto: 'ndjson',
};

function planError(msg: string, help?: string): LakehouseError {
  return new LakehouseError('PLAN_ERROR', msg, help ? { help } : {});
}

function constOf(e: UExpr, fn: string): Const {
  switch (e.k) {
    case 'lit':
      if (e.v === null || typeof e.v === 'string' || typeof e.v === 'boolean' || typeof e.v === 'number') return e.v;
      break;
    case 'num': return Number(e.text);
    case 'neg': {
      const v = constOf(e.e, fn);
      if (typeof v === 'number') return -v;
      break;
    }
    case 'fn':
      if (e.name === 'list_value') return e.args.map((a) => constOf(a, fn));
      if (e.name === 'struct_pack' || e.name === 'map') {
        const out: Record<string, Const> = {};
        for (let i = 0; i + 1 < e.args.length; i += 2) {
          const k = constOf(e.args[i]!, fn);
          if (typeof k !== 'string') break;
          out[k] = constOf(e.args[i + 1]!, fn);
        }
        if (e.args.length % 2 === 0) return out;
      }
      break;
    default:
      break;
  }
  throw planError(`${fn}(): arguments must be constants (strings, numbers, booleans, ['lists'] or struct('TYPE' AS name, …))`);
}

const asString = (v: Const, what: string): string => {
  if (typeof v !== 'string') throw planError(`${what} must be a string, got ${JSON.stringify(v)}`);
  return v;
};
const asBool = (v: Const, what: string): boolean => {
  if (typeof v !== 'boolean') throw planError(`${what} must be true or false, got ${JSON.stringify(v)}`);
  return v;
};
const asStrings = (v: Const, what: string): string[] => (Array.isArray(v) ? v.map((x) => asString(x, what)) : [asString(v, what)]);

/** Binds one table-function call to a source (see the module header). */
export async function bindTableFunction(f: TableFn): Promise<ResolvedTable> {
  const kind = FUNCTIONS[f.name];
  if (!kind) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: table function ${f.name}()${f.pos ? ` at line ${f.pos.line}, column ${f.pos.column}` : ''}`, {
      help: `Table functions: ${Object.keys(FUNCTIONS).join(', ')}.`,
    });
  }
  if (f.args.length !== 1) throw planError(`${f.name}() takes one path or list of paths, got ${f.args.length} arguments`, `Write ${f.name}('path/*.${kind === 'ndjson' ? 'json' : kind}').`);
  const patterns = asStrings(constOf(f.args[0]!, f.name), `${f.name}() path`);
  if (patterns.length === 0) throw planError(`${f.name}() needs at least one path`);
  const opts = new Map(Object.entries(f.named).map(([k, v]) => [k, constOf(v, f.name)]));
  const take = (k: string): Const | undefined => {
    const v = opts.get(k);
    opts.delete(k);
    return v;
  };
  const files = await expandPaths(patterns);
  const label = `${f.name}(${patterns.length === 1 ? `'${patterns[0]}'` : `[${patterns.length} paths]`})`;
  try {
    if (kind === 'parquet') {
      refuseRest(opts, f.name);
      return { name: label, source: await ParquetFilesSource.open(files.store, files.keys) };
    }
    let columns: IcebergSchema | undefined;
    const cols = take('columns');
    if (cols !== undefined) columns = declaredColumns(cols, f.name);
    if (kind === 'ndjson') {
      const format = take('format');
      if (format !== undefined && !['auto', 'newline_delimited', 'nd'].includes(asString(format, 'format'))) {
        throw new LakehouseError('UNSUPPORTED', `not supported yet: ${f.name}(…, format = '${String(format)}') (newline-delimited JSON only)`, { help: "Convert the file to one JSON object per line, or leave format out." });
      }
      refuseRest(opts, f.name);
      const schema = columns ?? (await inferNdjsonSchema(files.store, files.keys[0]!));
      return { name: label, source: new TextFilesSource(files.store.uri, files.keys, 'ndjson', schema, {}) };
    }
    const csv: CsvTaskOptions = {};
    const header = take('header');
    if (header !== undefined) csv.header = asBool(header, 'header');
    for (const k of ['delim', 'sep', 'delimiter']) {
      const d = take(k);
      if (d === undefined) continue;
      const s = asString(d, k).replace(/^\\t$/, '\t');
      if (s.length !== 1) throw planError(`${f.name}(): ${k} must be one character, got ${JSON.stringify(s)}`);
      csv.delimiter = s;
    }
    const names = take('names') ?? take('column_names');
    if (names !== undefined) csv.columnNames = asStrings(names, 'names');
    const nullstr = take('nullstr');
    if (nullstr !== undefined) csv.nullValues = asStrings(nullstr, 'nullstr');
    const auto = take('auto_detect');
    if (auto !== undefined && !asBool(auto, 'auto_detect') && !columns) throw planError(`${f.name}(…, auto_detect = false) needs columns = struct('TYPE' AS name, …)`);
    for (const k of ['quote', 'escape'] as const) {
      const v = take(k);
      if (v !== undefined) {
        const s = asString(v, k);
        if (s.length !== 1) throw planError(`${f.name}(): ${k} must be one character`);
        csv[k] = s;
      }
    }
    refuseRest(opts, f.name);
    if (columns) csv.columnNames = columns.fields.map((x) => x.name);
    const schema = columns ?? (await inferCsvSchema(files.store, files.keys[0]!, csv));
    return { name: label, source: new TextFilesSource(files.store.uri, files.keys, 'csv', schema, csv) };
  } finally {
    // Sources keep the store's URI only; tasks reopen it in the thread that runs them.
    await files.store.close();
  }
}

function refuseRest(opts: Map<string, Const>, fn: string): void {
  const k = opts.keys().next();
  if (!k.done) throw new LakehouseError('UNSUPPORTED', `not supported yet: ${fn}() option ${k.value}`, { help: `Leave ${k.value} out; see the table-function options in the SQL reference.` });
}

/** SQL type names (DuckDB/Spark spellings) → Iceberg types. */
const SQL_TYPES: Record<string, PrimitiveType> = {
  integer: 'int', int: 'int', int4: 'int', smallint: 'int', tinyint: 'int', bigint: 'long', int8: 'long', long: 'long',
  double: 'double', float8: 'double', real: 'float', float: 'float', float4: 'float', varchar: 'string', text: 'string', string: 'string',
  boolean: 'boolean', bool: 'boolean', date: 'date', timestamp: 'timestamp', datetime: 'timestamp', timestamptz: 'timestamptz', time: 'time',
  uuid: 'uuid', blob: 'binary', binary: 'binary',
};

function declaredColumns(v: Const, fn: string): IcebergSchema {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw planError(`${fn}(): columns must be struct('TYPE' AS name, …) or map('name', 'TYPE', …)`);
  const fields = Object.entries(v).map(([name, t], i) => {
    const text = asString(t, `type of column ${name}`).trim().toLowerCase();
    const dec = /^(?:decimal|numeric)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(text);
    const type = dec ? decimalType(Number(dec[1]), Number(dec[2] ?? 0)) : SQL_TYPES[text] ?? checkPrimitive(text);
    return { id: i + 1, name, required: false, type };
  });
  if (fields.length === 0) throw planError(`${fn}(): columns lists no column`);
  return { type: 'struct', 'schema-id': 0, fields };
}

/** CSV / NDJSON files as a table: one plain-data scan task per file (text-file-scan.ts). */
class TextFilesSource implements TableSource {
  readonly schema: Schema;
  readonly unsupportedColumns: ReadonlyMap<string, string>;

  constructor(
    private readonly storeUri: string,
    private readonly keys: string[],
    private readonly format: 'csv' | 'ndjson',
    private readonly icebergSchema: IcebergSchema,
    private readonly csv: CsvTaskOptions,
  ) {
    const { schema, unsupported } = engineSchemaOfIceberg(icebergSchema);
    this.schema = schema;
    this.unsupportedColumns = unsupported;
  }

  async planScan(request: ScanRequest): Promise<ScanTask[]> {
    if (request.travel) throw new LakehouseError('UNSUPPORTED', 'not supported yet: time travel on files read by a table function', { help: 'Time travel needs a catalog table.' });
    refuseUnsupported(request.columns, this.unsupportedColumns);
    const local = this.storeUri.startsWith('memory://');
    return this.keys.map((key): TextFileScanTask => ({
      kind: 'textfile', store: this.storeUri, key, format: this.format, schema: this.icebergSchema, bytes: 1,
      ...this.csv, ...(local ? { local: true } : {}), ...(request.batchSize ? { batchSize: request.batchSize } : {}),
    }));
  }
}

const GLOB = /[*?[{]/;

/** A path or URI → its scheme root (`s3://bucket`, `` for local) and its segments below it. */
function splitLocation(p: string): { root: string; segments: string[] } {
  const s3 = /^(s3a?:\/\/[^/]+)\/?(.*)$/i.exec(p);
  if (s3) return { root: s3[1]!.replace(/^s3a:/i, 's3:'), segments: s3[2]!.split('/').filter((x) => x !== '') };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) && !/^file:/i.test(p)) {
    throw new LakehouseError('UNSUPPORTED', `not supported yet: table-function paths of this scheme (${p.split(':')[0]}://)`, { help: 'Use a local path, file:// or s3://.' });
  }
  const abs = path.resolve(/^file:/i.test(p) ? fileURLToPath(p) : p);
  return { root: '', segments: abs.split(path.sep).filter((x) => x !== '') };
}

/** A glob (segments relative to the listing root) as a regular expression over keys. */
function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') {
      const end = pattern.indexOf('}', i + 1);
      if (end < 0) { re += '\\{'; continue; }
      re += `(?:${pattern.slice(i + 1, end).split(',').map((x) => x.replace(/[.+^$()|\\]/g, '\\$&')).join('|')})`;
      i = end;
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files the paths name (globs expanded, sorted), as keys of one store. */
async function expandPaths(patterns: string[]): Promise<{ store: ObjectStore; keys: string[] }> {
  const parsed = patterns.map((p) => {
    const loc = splitLocation(p);
    const g = loc.segments.findIndex((s) => GLOB.test(s));
    const dir = g < 0 ? loc.segments.slice(0, -1) : loc.segments.slice(0, g);
    const rest = g < 0 ? loc.segments.slice(-1) : loc.segments.slice(g);
    if (rest.length === 0) throw planError(`'${p}' names no file`);
    return { p, root: loc.root, dir, rest, glob: g >= 0 };
  });
  const root = parsed[0]!.root;
  if (parsed.some((x) => x.root !== root)) throw new LakehouseError('UNSUPPORTED', 'not supported yet: one table-function call over files of different stores (buckets or local and s3)');
  // The listing root: the deepest directory common to every path.
  let common = parsed[0]!.dir;
  for (const x of parsed) {
    let n = 0;
    while (n < common.length && n < x.dir.length && common[n] === x.dir[n]) n++;
    common = common.slice(0, n);
  }
  const uri = root ? `${root}/${common.join('/')}`.replace(/\/$/, '') : `/${common.join('/')}`;
  const store = await openObjectStore(uri);
  try {
    // Explicit paths keep their order (and repeats, as in DuckDB); each glob adds its matches sorted.
    const keys: string[] = [];
    for (const x of parsed) {
      const sub = x.dir.slice(common.length);
      const relPattern = [...sub, ...x.rest].join('/');
      if (!x.glob) {
        if (!(await store.head(relPattern))) throw new LakehouseError('NOT_FOUND', `file ${x.p} not found`, { help: 'Check the path (relative paths are from the working directory).', details: { path: x.p } });
        keys.push(relPattern);
        continue;
      }
      const re = globRegex(relPattern);
      const prefix = sub.length ? `${sub.join('/')}/` : '';
      const found: string[] = [];
      for await (const o of store.list(prefix)) if (re.test(o.key)) found.push(o.key);
      keys.push(...found.sort());
      if (found.length === 0) throw new LakehouseError('NOT_FOUND', `no files match ${x.p}`, { help: 'Check the pattern: * and ? match within a path segment, ** across segments.', details: { path: x.p } });
    }
    return { store, keys };
  } catch (err) {
    await store.close();
    throw err;
  }
}
