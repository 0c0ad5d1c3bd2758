/**
 * Views: named queries, bound where they are used (plan/binder.ts binds a view's query in its
 * own scope each time a query names it, so a view always reads the current tables).
 *
 *   - TEMP views live in one Engine instance (`TempViews`): the unbound tree parsed once at
 *     CREATE time, with its text (for error carets).
 *   - Persistent views (`ns.v`) are stored in the warehouse as Iceberg view metadata (format
 *     version 1 of the Iceberg view spec: versions with an SQL representation, a schema per
 *     version, a version log) in one object, `<ns>/<view>/view.metadata.json`, beside the
 *     tables (a table's directory holds `metadata/`, so the listing of tables never sees a
 *     view). CREATE uses putIfAbsent (two creators: one wins); CREATE OR REPLACE reads the
 *     current metadata, appends a version and replaces the object with an atomic put (last
 *     writer wins between two concurrent replaces). A new process finds the view by name, parses
 *     its stored SQL once per query and binds it.
 * Column lists (`CREATE VIEW v (a, b) AS …`) are kept in the property `lake.column-aliases`.
 */

import { randomUUID } from 'node:crypto';
import type { Warehouse } from '../catalog/index.js';
import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import type { ResolvedView } from './plan/binder.js';
import { decimalParts, type Schema } from './plan/types.js';
import type { UQuery } from './plan/unbound.js';
import { walkQuery } from './plan/unbound-walk.js';
import { parseSql } from './sql/parser.js';

export interface ViewDefinition {
  query: UQuery;
  sql: string;
  columns?: string[];
}

const VIEW_FILE = 'view.metadata.json';
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;

/** The Iceberg view metadata we write and read (the spec's required fields). */
interface ViewMetadata {
  'view-uuid': string;
  'format-version': 1;
  location: string;
  'current-version-id': number;
  versions: Array<{
    'version-id': number;
    'timestamp-ms': number;
    'schema-id': number;
    summary: Record<string, string>;
    representations: Array<{ type: 'sql'; sql: string; dialect: string }>;
    'default-namespace': string[];
  }>;
  'version-log': Array<{ 'timestamp-ms': number; 'version-id': number }>;
  schemas: Array<{ type: 'struct'; 'schema-id': number; fields: Array<{ id: number; name: string; required: boolean; type: string }> }>;
  properties: Record<string, string>;
}

/** TEMP views of one Engine (names folded to lower case). */
export class TempViews {
  private readonly views = new Map<string, ViewDefinition>();

  get(name: string): ViewDefinition | undefined {
    return this.views.get(name);
  }

  has(name: string): boolean {
    return this.views.has(name);
  }

  set(name: string, def: ViewDefinition): void {
    this.views.set(name, def);
  }

  delete(name: string): boolean {
    return this.views.delete(name);
  }

  names(): string[] {
    return [...this.views.keys()].sort();
  }
}

function splitViewName(parts: string[]): { namespace: string; name: string } {
  if (parts.length !== 2) {
    throw new LakehouseError('INVALID_IDENTIFIER', `"${parts.join('.')}" is not a view name for the warehouse`, {
      help: 'Name a stored view namespace.view, or create a session view with CREATE TEMP VIEW name AS ….',
    });
  }
  const [namespace, name] = parts.map((p) => p.toLowerCase()) as [string, string];
  for (const [v, what] of [[namespace, 'namespace'], [name, 'view']] as const) {
    if (!NAME_RE.test(v)) throw new LakehouseError('INVALID_IDENTIFIER', `invalid ${what} name "${v}"`, { help: `A ${what} name is 1-128 letters, digits, "_" or "-".` });
  }
  return { namespace, name };
}

const keyOf = (id: { namespace: string; name: string }): string => `${id.namespace}/${id.name}/${VIEW_FILE}`;

/** Iceberg type names for a view schema (`unknown` for an untyped NULL column, as in Iceberg v3). */
function icebergTypeName(t: Schema[number]['type']): string {
  const d = decimalParts(t);
  if (d) return `decimal(${d.precision},${d.scale})`;
  const map: Record<string, string> = {
    boolean: 'boolean', int32: 'int', int64: 'long', float64: 'double', string: 'string', date: 'date', timestamp: 'timestamp', time: 'time', uuid: 'uuid', binary: 'binary', null: 'unknown',
  };
  return map[t] ?? 'unknown';
}

/** Stores a view (see the module header). `schema`: the bound view's output. */
export async function storeView(
  wh: Warehouse, parts: string[], def: { sql: string; columns?: string[] }, schema: Schema, mode: { orReplace: boolean; ifNotExists: boolean },
): Promise<'created' | 'replaced' | 'exists'> {
  const id = splitViewName(parts);
  if (!(await wh.namespaceExists(id.namespace))) {
    throw new LakehouseError('NAMESPACE_NOT_FOUND', `namespace ${id.namespace} does not exist`, { help: `Create it first (lake namespace create ${id.namespace}).` });
  }
  if (await wh.tableExists(`${id.namespace}.${id.name}`)) {
    throw new LakehouseError('TABLE_EXISTS', `${id.namespace}.${id.name} is a table`, { help: 'Choose another view name.' });
  }
  const now = Date.now();
  const current = await readViewMetadata(wh, id);
  if (current && !mode.orReplace) {
    if (mode.ifNotExists) return 'exists';
    throw new LakehouseError('TABLE_EXISTS', `view ${id.namespace}.${id.name} already exists`, { help: 'Use CREATE OR REPLACE VIEW to change it, or CREATE VIEW IF NOT EXISTS.' });
  }
  const versionId = current ? Math.max(...current.versions.map((v) => v['version-id'])) + 1 : 1;
  const schemaId = current ? Math.max(...current.schemas.map((s) => s['schema-id'])) + 1 : 0;
  const md: ViewMetadata = {
    'view-uuid': current?.['view-uuid'] ?? randomUUID(),
    'format-version': 1,
    location: current?.location ?? wh.store.uriFor(`${id.namespace}/${id.name}`),
    'current-version-id': versionId,
    versions: [...(current?.versions ?? []), {
      'version-id': versionId, 'timestamp-ms': now, 'schema-id': schemaId,
      summary: { 'engine-name': 'lake', operation: current ? 'replace' : 'create' },
      representations: [{ type: 'sql', sql: def.sql, dialect: 'spark' }],
      'default-namespace': [id.namespace],
    }],
    'version-log': [...(current?.['version-log'] ?? []), { 'timestamp-ms': now, 'version-id': versionId }],
    schemas: [...(current?.schemas ?? []), {
      type: 'struct', 'schema-id': schemaId, fields: schema.map((f, i) => ({ id: i + 1, name: f.name, required: false, type: icebergTypeName(f.type) })),
    }],
    properties: { ...(def.columns ? { 'lake.column-aliases': JSON.stringify(def.columns) } : {}) },
  };
  const bytes = new TextEncoder().encode(JSON.stringify(md, null, 2));
  if (!current) {
    if (!(await wh.store.putIfAbsent(keyOf(id), bytes))) {
      if (mode.ifNotExists) return 'exists';
      throw new LakehouseError('TABLE_EXISTS', `view ${id.namespace}.${id.name} was created concurrently`, { help: 'Use CREATE OR REPLACE VIEW to replace it.' });
    }
    return 'created';
  }
  await wh.store.put(keyOf(id), bytes, { contentType: 'application/json' });
  return 'replaced';
}

async function readViewMetadata(wh: Warehouse, id: { namespace: string; name: string }): Promise<ViewMetadata | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await wh.store.get(keyOf(id));
  } catch (err) {
    if (isLakehouseError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
  try {
    const md = JSON.parse(new TextDecoder().decode(bytes)) as ViewMetadata;
    if (md['format-version'] !== 1 || !Array.isArray(md.versions)) throw new Error('not Iceberg view metadata (format version 1)');
    return md;
  } catch (err) {
    throw new LakehouseError('INVALID_METADATA', `view metadata ${wh.store.uriFor(keyOf(id))} is unreadable: ${(err as Error).message}`, {
      cause: err, help: 'Replace the view with CREATE OR REPLACE VIEW, or delete the file.',
    });
  }
}

/** A stored view by name (undefined when there is none): its current version's SQL, parsed. */
export async function loadView(wh: Warehouse, parts: string[]): Promise<ResolvedView | undefined> {
  if (parts.length !== 2) return undefined;
  const id = { namespace: parts[0]!.toLowerCase(), name: parts[1]!.toLowerCase() };
  if (!NAME_RE.test(id.namespace) || !NAME_RE.test(id.name)) return undefined;
  const md = await readViewMetadata(wh, id);
  if (!md) return undefined;
  const version = md.versions.find((v) => v['version-id'] === md['current-version-id']);
  const rep = version?.representations.find((r) => r.type === 'sql');
  if (!rep) throw new LakehouseError('INVALID_METADATA', `view ${id.namespace}.${id.name} has no SQL representation for its current version`, { help: 'Replace it with CREATE OR REPLACE VIEW.' });
  const stmt = parseSql(rep.sql);
  if (stmt.kind !== 'query') throw new LakehouseError('INVALID_METADATA', `view ${id.namespace}.${id.name} does not hold a query`, { help: 'Replace it with CREATE OR REPLACE VIEW.' });
  const aliases = md.properties?.['lake.column-aliases'];
  const columns = aliases ? (JSON.parse(aliases) as string[]) : undefined;
  return { name: `${id.namespace}.${id.name}`, view: { query: stmt.query, sql: rep.sql, ...(columns ? { columns } : {}) } };
}

/** Drops a stored view; false when there was none. */
export async function dropStoredView(wh: Warehouse, parts: string[]): Promise<boolean> {
  const id = splitViewName(parts);
  if (!(await wh.store.head(keyOf(id)))) return false;
  await wh.store.delete(keyOf(id));
  return true;
}

/**
 * The tables a list of names reads, with stored views replaced by the tables their queries read
 * (recursively; a cycle is refused when the view is bound). Jobs pin these as their inputs.
 */
export async function tablesBehindViews(wh: Warehouse, names: string[], seen: Set<string> = new Set()): Promise<string[]> {
  const out = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const parts = name.split('.');
    if (parts.length === 2 && !(await wh.tableExists(name).catch(() => false))) {
      const v = await loadView(wh, parts);
      if (v) {
        const inner = new Set<string>();
        walkQuery(v.view.query, {
          table(f, ctes) {
            if (!(f.name.length === 1 && ctes.has(f.name[0]!.toLowerCase()))) inner.add(f.name.join('.'));
          },
        });
        for (const t of await tablesBehindViews(wh, [...inner], seen)) out.add(t);
        continue;
      }
    }
    out.add(name);
  }
  return [...out].sort();
}
