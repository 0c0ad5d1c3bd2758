/**
 * A warehouse: one object store holding `<namespace>/<table>/{metadata,data}/`, like Iceberg's
 * Hadoop catalog (the table's directory is its identity and the newest `v{N}.metadata.json` is
 * its current state). Namespaces are marked by `<namespace>/.namespace.json`. Tables written
 * elsewhere can be registered: `<namespace>/<table>/registration.json` points at their metadata
 * (with an optional `pathMapping` for tables that were moved or copied).
 *
 * Identifiers: namespace and table names resolve case-insensitively and are stored lower case
 * (Spark's and Iceberg's rule for unquoted names, and what the SQL binder does): every method
 * folds the names it is given, so `Sales.Orders` and `sales.orders` are one table. A table
 * created before this rule under a mixed-case directory is still found by loadTable under its
 * exact name.
 *
 * Registrations of a table outside this warehouse are read-only unless registered with
 * `writable: true`: another warehouse owns that table, and writing to it through a second name
 * (commits, expiry, orphan removal) is a decision to make explicitly, not by accident.
 *
 * Concurrency contract: create/register use putIfAbsent, so two creators of one name cannot
 * both succeed. Drop is not atomic with concurrent commits to the dropped table.
 */

import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import type { NestedField, Schema } from '../connectors/iceberg-types.js';
import type { ObjectStore } from '../connectors/object-store.js';
import { openObjectStore } from '../connectors/open.js';
import { stringifyJson } from './json.js';
import { buildPartitionSpec, UNSORTED, type PartitionFieldInput } from './spec/partition.js';
import { serializeTableMetadata, type TableMetadata } from './spec/metadata.js';
import { freshSchema } from './spec/schema.js';
import type { TableState } from './commit.js';
import { loadTableState, readTableState, Table, type TableIdentifier } from './table.js';
import { metadataVersionOf, TableIO } from './table-io.js';

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;
const NS_MARKER = '.namespace.json';
const REGISTRATION = 'registration.json';

export interface CreateTableOptions {
  partitionBy?: PartitionFieldInput[];
  properties?: Record<string, string>;
}

export interface RegisterOptions {
  /** Location prefixes to rewrite: `{ "s3a://bucket/old/table": "/data/copy/table" }`. */
  pathMapping?: Record<string, string>;
  /** Allow commits through this registration to a table outside this warehouse (default: read-only). */
  writable?: boolean;
}

interface Registration {
  metadataLocation: string;
  pathMapping?: Record<string, string>;
  /** Absent in registrations written before the rule: then writable only inside the warehouse. */
  writable?: boolean;
}

/** How a registered table may be used (see RegisteredTable). */
export interface RegistrationInfo {
  metadataLocation: string;
  /** The table's root is outside this warehouse. */
  external: boolean;
  writable: boolean;
}

/** Parses and validates "namespace.table"; both names are folded to lower case. */
export function parseIdentifier(ident: string | TableIdentifier): TableIdentifier {
  const id = typeof ident === 'string' ? splitIdent(ident) : ident;
  validateName(id.namespace, 'namespace');
  validateName(id.name, 'table');
  return { namespace: id.namespace.toLowerCase(), name: id.name.toLowerCase() };
}

function foldNamespace(namespace: string): string {
  return validateName(namespace, 'namespace').toLowerCase();
}

function splitIdent(s: string): TableIdentifier {
  const i = s.lastIndexOf('.');
  if (i <= 0) {
    throw new LakehouseError('INVALID_IDENTIFIER', `"${s}" is not a table identifier`, { help: 'Use "namespace.table", e.g. "sales.orders".' });
  }
  return { namespace: s.slice(0, i), name: s.slice(i + 1) };
}

export function validateName(name: string, what: 'namespace' | 'table'): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new LakehouseError('INVALID_IDENTIFIER', `invalid ${what} name "${name}"`, {
      help: `A ${what} name is 1-128 letters, digits, "_" or "-", not starting with "-" (no dots, slashes or spaces).`,
      details: { name },
    });
  }
  return name;
}

export class Warehouse {
  private constructor(readonly store: ObjectStore, private readonly ownsStore: boolean) {}

  /** Opens a warehouse on a URI (local path, file://, s3://, memory://) or an existing store. */
  static async open(where: string | ObjectStore): Promise<Warehouse> {
    if (typeof where === 'string') return new Warehouse(await openObjectStore(where), true);
    return new Warehouse(where, false);
  }

  get uri(): string {
    return this.store.uri;
  }

  async close(): Promise<void> {
    if (this.ownsStore) await this.store.close();
  }

  // ------------------------------------------------------------------ namespaces

  async createNamespace(name: string, properties: Record<string, string> = {}): Promise<void> {
    const namespace = foldNamespace(name);
    // The id makes the body unique to this create (putIfAbsent takes identical bytes as ours).
    const ok = await this.store.putIfAbsent(`${namespace}/${NS_MARKER}`, new TextEncoder().encode(JSON.stringify({ properties, 'created-by': randomUUID() }, null, 2)));
    if (!ok) throw new LakehouseError('NAMESPACE_EXISTS', `namespace "${namespace}" already exists`, { help: 'Use it, or choose another name.' });
  }

  async namespaceExists(name: string): Promise<boolean> {
    const namespace = foldNamespace(name);
    return (await this.store.head(`${namespace}/${NS_MARKER}`)) !== undefined;
  }

  async listNamespaces(): Promise<string[]> {
    const out: string[] = [];
    for await (const o of this.store.list('')) {
      const parts = o.key.split('/');
      if (parts.length === 2 && parts[1] === NS_MARKER) out.push(parts[0]!);
    }
    return out.sort();
  }

  async dropNamespace(name: string): Promise<void> {
    const namespace = foldNamespace(name);
    await this.requireNamespace(namespace);
    const tables = await this.listTables(namespace);
    if (tables.length > 0) {
      throw new LakehouseError('NAMESPACE_NOT_EMPTY', `namespace "${namespace}" still has ${tables.length} table(s): ${tables.slice(0, 5).join(', ')}`, {
        help: 'Drop its tables first (dropTable), then the namespace.',
        details: { tables },
      });
    }
    await this.store.delete(`${namespace}/${NS_MARKER}`);
  }

  private async requireNamespace(namespace: string): Promise<void> {
    if (!(await this.namespaceExists(namespace))) {
      throw new LakehouseError('NAMESPACE_NOT_FOUND', `namespace "${namespace}" does not exist`, { help: `Create it with createNamespace("${namespace}").` });
    }
  }

  // ------------------------------------------------------------------ tables

  async listTables(name: string): Promise<string[]> {
    const namespace = foldNamespace(name);
    const out = new Set<string>();
    for await (const o of this.store.list(`${namespace}/`)) {
      const parts = o.key.split('/');
      if (parts.length === 3 && parts[2] === REGISTRATION) out.add(parts[1]!);
      if (parts.length === 4 && parts[2] === 'metadata' && metadataVersionOf(parts[3]!) !== undefined) out.add(parts[1]!);
    }
    return [...out].sort();
  }

  async tableExists(ident: string | TableIdentifier): Promise<boolean> {
    try {
      await this.loadTable(ident);
      return true;
    } catch (err) {
      if (isLakehouseError(err, 'TABLE_NOT_FOUND')) return false;
      throw err;
    }
  }

  private tableIO(id: TableIdentifier): TableIO {
    const root = `${id.namespace}/${id.name}`;
    return new TableIO(this.store, root, this.store.uriFor(root));
  }

  async createTable(ident: string | TableIdentifier, schema: Schema | Array<{ name: string; type: NestedField['type']; required?: boolean; doc?: string }>, options: CreateTableOptions = {}): Promise<Table> {
    const id = parseIdentifier(ident);
    await this.requireNamespace(id.namespace);
    if (await this.store.head(`${id.namespace}/${id.name}/${REGISTRATION}`)) throw tableExists(id);
    const io = this.tableIO(id);
    const fresh = Array.isArray(schema) ? freshSchema(schema) : freshSchema(schema.fields.map((f) => ({ name: f.name, type: f.type, required: f.required, ...(f.doc ? { doc: f.doc } : {}) })));
    const spec = buildPartitionSpec(fresh.schema, options.partitionBy ?? []);
    const now = Date.now();
    const md: TableMetadata = {
      'format-version': 2,
      'table-uuid': randomUUID(),
      location: io.location,
      'last-sequence-number': 0,
      'last-updated-ms': now,
      'last-column-id': fresh.lastColumnId,
      schemas: [fresh.schema],
      'current-schema-id': 0,
      'partition-specs': [spec],
      'default-spec-id': 0,
      'last-partition-id': Math.max(999, ...spec.fields.map((f) => f['field-id'])),
      properties: { 'write.format.default': 'parquet', 'write.parquet.compression-codec': 'zstd', ...(options.properties ?? {}) },
      snapshots: [],
      'snapshot-log': [],
      'metadata-log': [],
      'sort-orders': [UNSORTED],
      'default-sort-order-id': 0,
      refs: {},
    };
    if ((await io.latestVersion()) !== undefined) throw tableExists(id);
    const key = io.metadataKey(1);
    const ok = await this.store.putIfAbsent(key, new TextEncoder().encode(serializeTableMetadata(md)));
    if (!ok) throw tableExists(id);
    await io.writeHint(1).catch(() => undefined);
    return new Table(id, await readTableState(io, key, 1));
  }

  async loadTable(ident: string | TableIdentifier): Promise<Table> {
    const id = parseIdentifier(ident);
    const found = await this.loadExact(id);
    if (found) return found;
    // A table created before names were folded may live under its mixed-case directory.
    const raw = typeof ident === 'string' ? splitIdent(ident) : ident;
    if (raw.namespace !== id.namespace || raw.name !== id.name) {
      const legacy = await this.loadExact(raw);
      if (legacy) return legacy;
    }
    throw new LakehouseError('TABLE_NOT_FOUND', `table ${id.namespace}.${id.name} does not exist in ${this.store.uri}`, {
      help: (await this.namespaceExists(id.namespace)) ? `Create it with createTable, or list tables with listTables("${id.namespace}").` : `Namespace "${id.namespace}" does not exist either.`,
      details: { namespace: id.namespace, name: id.name },
    });
  }

  private async loadExact(id: TableIdentifier): Promise<Table | undefined> {
    const regKey = `${id.namespace}/${id.name}/${REGISTRATION}`;
    let reg: Registration | undefined;
    try {
      reg = JSON.parse(new TextDecoder().decode(await this.store.get(regKey))) as Registration;
    } catch (err) {
      if (!isLakehouseError(err, 'NOT_FOUND')) throw err;
    }
    if (reg) return this.openRegistration(id, reg);
    const st = await loadTableState(this.tableIO(id));
    return st ? new Table(id, st) : undefined;
  }

  /** Is a location (URI) inside this warehouse's root? */
  private contains(uri: string): boolean {
    const root = this.store.uri.replace(/\/+$/, '');
    return uri === root || uri.startsWith(`${root}/`);
  }

  private async openRegistration(id: TableIdentifier, reg: Registration): Promise<RegisteredTable> {
    const { st, rootUri } = await openStateAt(reg.metadataLocation, { pathMapping: reg.pathMapping ?? {}, pinned: false });
    const external = !this.contains(rootUri);
    const info: RegistrationInfo = { metadataLocation: reg.metadataLocation, external, writable: reg.writable ?? !external };
    return new RegisteredTable(id, st, info);
  }

  /**
   * Registers an Iceberg table written elsewhere, like Iceberg's `register_table`.
   * `metadataLocation` is a metadata JSON file or the table's root directory (path or URI).
   * A table outside this warehouse is read-only through the registration unless `writable`.
   */
  async registerTable(ident: string | TableIdentifier, metadataLocation: string, options: RegisterOptions = {}): Promise<RegisteredTable> {
    const id = parseIdentifier(ident);
    await this.requireNamespace(id.namespace);
    if ((await this.tableIO(id).latestVersion()) !== undefined) throw tableExists(id);
    // Opening it first proves there is a table there (and where its root is).
    const probe = await openStateAt(metadataLocation, { pathMapping: options.pathMapping ?? {}, pinned: false });
    await probe.st.io.store.close();
    const rootUri = probe.rootUri;
    const external = !this.contains(rootUri);
    const reg: Registration = {
      metadataLocation: toUri(metadataLocation),
      ...(options.pathMapping ? { pathMapping: options.pathMapping } : {}),
      writable: options.writable === true || !external,
    };
    // The id makes the body unique to this registration (putIfAbsent takes identical bytes as ours).
    const ok = await this.store.putIfAbsent(`${id.namespace}/${id.name}/${REGISTRATION}`, new TextEncoder().encode(stringifyJson({ ...reg, registrationId: randomUUID() })));
    if (!ok) throw tableExists(id);
    return this.openRegistration(id, reg);
  }

  /** Drops a table. `purge` also deletes its data and metadata files (never for registered tables). */
  async dropTable(ident: string | TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    const id = parseIdentifier(ident);
    const regKey = `${id.namespace}/${id.name}/${REGISTRATION}`;
    if (await this.store.head(regKey)) {
      await this.store.delete(regKey);
      return;
    }
    const io = this.tableIO(id);
    if ((await io.latestVersion()) === undefined) {
      throw new LakehouseError('TABLE_NOT_FOUND', `table ${id.namespace}.${id.name} does not exist`, { help: `List tables with listTables("${id.namespace}").` });
    }
    const prefix = options.purge ? `${id.namespace}/${id.name}/` : `${id.namespace}/${id.name}/metadata/`;
    const keys: string[] = [];
    for await (const o of this.store.list(prefix)) keys.push(o.key);
    await this.store.deleteMany(keys);
  }
}

function tableExists(id: TableIdentifier): LakehouseError {
  return new LakehouseError('TABLE_EXISTS', `table ${id.namespace}.${id.name} already exists`, {
    help: 'Load it with loadTable, drop it first, or choose another name.',
    details: { namespace: id.namespace, name: id.name },
  });
}

function toUri(loc: string): string {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(loc) ? loc : pathToFileURL(path.resolve(loc)).href;
}

/**
 * A table reached through `registration.json`. Read-only registrations still follow the owner's
 * commits (every load reads the newest version at the location) but refuse every write.
 */
export class RegisteredTable extends Table {
  constructor(id: TableIdentifier, state: TableState, readonly registration: RegistrationInfo) {
    super(id, state, !registration.writable);
  }

  override async load(): Promise<TableState> {
    const st = await loadTableState(this.io);
    if (!st) {
      throw new LakehouseError('TABLE_NOT_FOUND', `registered table ${this.identifier.namespace}.${this.identifier.name}: no metadata any more at ${this.registration.metadataLocation}`, {
        help: 'The table was moved or dropped by its owner; register it again at its new location.',
      });
    }
    return st;
  }

  override assertWritable(): void {
    if (this.registration.writable) return;
    const ident = `${this.identifier.namespace}.${this.identifier.name}`;
    throw new LakehouseError('UNSUPPORTED', `table ${ident} is a read-only registration of ${this.registration.metadataLocation}, a table outside this warehouse; writes through it are refused`, {
      help: `If this warehouse may write to that table, drop the registration (Warehouse.dropTable("${ident}"), which keeps the table's files) and register it again with --writable (library: registerTable(..., { writable: true })).`,
      details: { table: ident, metadataLocation: this.registration.metadataLocation, readOnlyRegistration: true },
    });
  }
}

/** The registration of a table, or undefined for a table this warehouse owns. */
export function registrationOf(table: Table): RegistrationInfo | undefined {
  return table instanceof RegisteredTable ? table.registration : undefined;
}

async function openStateAt(
  metadataLocation: string,
  options: { pathMapping?: Record<string, string>; pinned?: boolean },
): Promise<{ st: TableState; rootUri: string }> {
  const uri = toUri(metadataLocation).replace(/\/+$/, '');
  const isFile = /\.metadata\.json(\.gz)?$/.test(uri);
  const rootUri = isFile ? uri.split('/').slice(0, -2).join('/') : uri;
  const store = await openObjectStore(rootUri);
  const mapping = Object.entries(options.pathMapping ?? {}).map(([from, to]) => [from, toUri(to)] as [string, string]);
  const io = new TableIO(store, '', rootUri, mapping);
  let st;
  if (isFile && options.pinned) {
    const name = uri.split('/').pop()!;
    st = await readTableState(io, `metadata/${decodeURIComponent(name)}`, metadataVersionOf(name) ?? 0);
  } else {
    st = await loadTableState(io);
  }
  if (!st) {
    throw new LakehouseError('TABLE_NOT_FOUND', `no Iceberg metadata found at ${metadataLocation}`, {
      help: 'Pass the path of a *.metadata.json file or of a table directory that contains metadata/.',
    });
  }
  return { st, rootUri };
}

/**
 * Opens a table from a metadata file or table directory anywhere (any store URI). With
 * `pinned`, exactly that metadata file is loaded and the table is read-only (like Iceberg's
 * StaticTable); otherwise the newest version at that location is loaded and commits continue it.
 */
export async function openTableAt(
  id: TableIdentifier,
  metadataLocation: string,
  options: { pathMapping?: Record<string, string>; pinned?: boolean } = {},
): Promise<Table> {
  const { st } = await openStateAt(metadataLocation, options);
  return new Table(id, st, options.pinned === true);
}

/** Reads one metadata file as a read-only table (time travel to an exact metadata version). */
export async function loadStaticTable(metadataFile: string, options: { pathMapping?: Record<string, string> } = {}): Promise<Table> {
  const name = toUri(metadataFile).split('/').slice(-3, -2)[0] ?? 'table';
  return openTableAt({ namespace: 'static', name }, metadataFile, { ...options, pinned: true });
}
