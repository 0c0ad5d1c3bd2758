/**
 * Reads a snapshot's rows as Arrow record batches: plans the scan, reads each data file with
 * `readParquet`, maps file columns to the table schema by field id (so renamed columns keep
 * their data, added columns read as null, promoted int/float columns are widened), and drops
 * rows removed by position deletes (file path + row position) and equality deletes (rows whose
 * equality-field values match a delete row). Files are read one after another, in plan order;
 * batches stream (one data file's deletes are held in memory at a time).
 *
 * `readDataFile` (one file, plain-data descriptor) and `DeleteCache` are exported for the query
 * engine, whose worker threads read catalog tables file by file with the same semantics.
 */

import * as arrow from 'apache-arrow';
import { LakehouseError } from '../connectors/errors.js';
import { ColumnBuilder, icebergValueAt } from '../connectors/arrow-builders.js';
import { FIELD_ID_KEY, icebergTypeToArrow } from '../connectors/arrow-types.js';
import { isPrimitive, type NestedField, type PrimitiveType, type Schema } from '../connectors/iceberg-types.js';
import type { ObjectStore } from '../connectors/object-store.js';
import { readParquet, readParquetMetadata } from '../connectors/parquet-read.js';
import type { ParquetFileMetadata } from '../connectors/parquet-footer.js';
import type { TableState } from './commit.js';
import { canPromote } from './spec/schema.js';
import { planScan, type DeleteFileRef, type FileScanTask, type ScanOptions, type ScanPlan } from './scan-plan.js';

export interface ReadOptions extends ScanOptions {
  /** Columns to return (top-level names of the read schema); default all. */
  columns?: string[];
  batchSize?: number;
  signal?: AbortSignal;
}

const POS_FILE_PATH = 2147483546;
const POS_POS = 2147483545;

export async function readTable(state: TableState, options: ReadOptions = {}): Promise<{ plan: ScanPlan; batches: AsyncIterable<arrow.RecordBatch> }> {
  const plan = await planScan(state, options);
  const fields = projectFields(plan.schema, options.columns);
  const store = state.io.store;
  const deletes = new DeleteCache(store);
  async function* gen(): AsyncGenerator<arrow.RecordBatch> {
    for (const task of plan.tasks) {
      yield* readDataFile(store, dataFileSlice(task), fields, deletes, options);
    }
  }
  return { plan, batches: gen() };
}

/**
 * A delete file as plain data (no Maps), so that a scan task can cross to a worker thread.
 * `content` 1 = position deletes, 2 = equality deletes.
 */
export interface DeleteFileSource {
  key: string;
  content: number;
  filePath: string;
  fileSizeInBytes: number;
  equalityIds?: number[];
}

/** One data file to read (optionally only some row groups) with the delete files that apply to it. Plain data. */
export interface DataFileSlice {
  key: string;
  /** The data file's location as recorded in the manifest (position deletes reference it). */
  filePath: string;
  fileSizeInBytes: number;
  /** Row groups to read (indices); default all. Position deletes still use file-wide row positions. */
  rowGroups?: number[];
  deletes: DeleteFileSource[];
}

export function deleteFileSource(d: DeleteFileRef): DeleteFileSource {
  const out: DeleteFileSource = { key: d.key, content: d.file.content, filePath: d.file.filePath, fileSizeInBytes: d.file.fileSizeInBytes };
  if (d.file.equalityIds) out.equalityIds = [...d.file.equalityIds];
  return out;
}

export function dataFileSlice(task: FileScanTask, rowGroups?: number[]): DataFileSlice {
  const out: DataFileSlice = { key: task.key, filePath: task.file.filePath, fileSizeInBytes: task.file.fileSizeInBytes, deletes: task.deletes.map(deleteFileSource) };
  if (rowGroups) out.rowGroups = rowGroups;
  return out;
}

function projectFields(schema: Schema, columns: string[] | undefined): NestedField[] {
  const prim = schema.fields.filter((f) => isPrimitive(f.type));
  if (!columns) return prim;
  return columns.map((c) => {
    const f = prim.find((x) => x.name === c);
    if (!f) throw new LakehouseError('INVALID_ARGUMENT', `column "${c}" is not in the table`, { help: `Columns: ${prim.map((x) => x.name).join(', ')}.` });
    return f;
  });
}

/** File column name for each field id: Parquet field ids, else the schema's names. */
function columnsById(md: ParquetFileMetadata, schemaFields: NestedField[]): Map<number, string> {
  const out = new Map<number, string>();
  if (md.hasFieldIds) {
    for (const c of md.columns) if (c.fieldId !== undefined && !c.nested) out.set(c.fieldId, c.name);
  } else {
    for (const f of schemaFields) if (md.columns.some((c) => c.name === f.name && !c.nested)) out.set(f.id, f.name);
  }
  return out;
}

/**
 * Streams one data file's rows conformed to `fields` (renamed by field id, missing columns as
 * nulls, promoted types widened), with position and equality deletes applied. Row groups are read
 * one at a time when a subset is selected, so position deletes keep their file-wide positions.
 */
export async function* readDataFile(
  store: ObjectStore,
  slice: DataFileSlice,
  fields: NestedField[],
  cache: DeleteCache,
  options: { batchSize?: number | undefined; signal?: AbortSignal | undefined } = {},
): AsyncGenerator<arrow.RecordBatch> {
  const meta = await readParquetMetadata(store, slice.key, { fileSize: slice.fileSizeInBytes });
  const byId = columnsById(meta, fields);
  checkColumnTypes(meta, fields, byId, slice.filePath);
  const posDeletes = new Set<number>();
  const eqSets: Array<{ ids: number[]; keys: Set<string> }> = [];
  for (const d of slice.deletes) {
    if (d.content === 1) for (const p of await cache.positions(d, slice.filePath)) posDeletes.add(p);
    else eqSets.push({ ids: d.equalityIds ?? [], keys: await cache.equalityKeys(d) });
  }
  const eqIds = [...new Set(eqSets.flatMap((e) => e.ids))];
  const wanted = [...new Set([...fields.map((f) => f.id), ...eqIds])].filter((id) => byId.has(id));
  const names = wanted.map((id) => byId.get(id)!);
  const starts: number[] = [];
  let acc = 0;
  for (const rg of meta.rowGroups) {
    starts[rg.index] = acc;
    acc += rg.numRows;
  }
  const ranges: Array<{ rowGroups?: number[]; start: number }> = slice.rowGroups
    ? slice.rowGroups.map((rg) => ({ rowGroups: [rg], start: starts[rg] ?? 0 }))
    : [{ start: 0 }];
  for (const range of ranges) {
    let row = range.start;
    const batches = readParquet(store, slice.key, {
      columns: names, batchSize: options.batchSize, signal: options.signal, fileSize: slice.fileSizeInBytes,
      ...(range.rowGroups ? { rowGroups: range.rowGroups } : {}),
    });
    for await (const batch of batches) {
      const n = batch.numRows;
      const start = row;
      row += n;
      let keep: Uint8Array | undefined;
      if (posDeletes.size > 0 || eqSets.length > 0) {
        keep = new Uint8Array(n).fill(1);
        for (let i = 0; i < n; i++) if (posDeletes.has(start + i)) keep[i] = 0;
        for (const eq of eqSets) {
          const vecs = eq.ids.map((id) => (byId.has(id) ? batch.getChild(byId.get(id)!) : null));
          for (let i = 0; i < n; i++) if (keep[i] && eq.keys.has(rowKey(vecs, i))) keep[i] = 0;
        }
      }
      const out = conform(batch, fields, byId, n);
      if (!keep) {
        if (n > 0) yield out;
        continue;
      }
      // Yield the kept runs as zero-copy slices.
      let i = 0;
      while (i < n) {
        while (i < n && !keep[i]) i++;
        const s = i;
        while (i < n && keep[i]) i++;
        if (i > s) yield out.slice(s, i);
      }
    }
  }
}

/**
 * A file column must hold the field's type or one the spec promotes to it (int→long,
 * float→double, decimal precision widening). Anything else — a damaged schema whose field id now
 * points at a column of another type — is refused: reinterpreting the bytes would return wrong
 * values. Lenient where writers legitimately differ: string/binary (unannotated BYTE_ARRAY),
 * timestamp with/without zone (legacy converted types), uuid/fixed[16], and columns whose
 * Parquet type has no Iceberg equivalent (INT96, …), which are left to the reader.
 */
function checkColumnTypes(meta: ParquetFileMetadata, fields: NestedField[], byId: Map<number, string>, filePath: string): void {
  for (const f of fields) {
    const name = byId.get(f.id);
    if (name === undefined) continue;
    const col = meta.columns.find((c) => c.name === name && !c.nested);
    if (!col?.type || !isPrimitive(f.type) || compatible(col.type, f.type)) continue;
    throw new LakehouseError('SCHEMA_MISMATCH', `data file ${filePath}: column "${col.name}" (field id ${f.id}) holds ${col.type} (Parquet ${col.physicalType ?? '?'}), which cannot be read as the table's ${f.type} column "${f.name}"`, {
      help: 'The table schema and the data file disagree (a damaged metadata file, or a file added from another table); restore the metadata or remove the file from the table.',
      details: { file: filePath, column: col.name, fieldId: f.id, fileType: col.type, tableType: f.type },
    });
  }
}

const FAMILY: Record<string, string> = { binary: 'string', timestamptz: 'timestamp', timestamptz_ns: 'timestamp_ns', 'fixed[16]': 'uuid' };
function compatible(file: PrimitiveType, table: PrimitiveType): boolean {
  if (canPromote(file, table)) return true;
  return (FAMILY[file] ?? file) === (FAMILY[table] ?? table);
}

/** Renames by field id, fills missing columns with nulls, widens promoted types. */
function conform(batch: arrow.RecordBatch, fields: NestedField[], byId: Map<number, string>, n: number): arrow.RecordBatch {
  const outFields: arrow.Field[] = [];
  const children: arrow.Data[] = [];
  for (const f of fields) {
    const type = f.type as PrimitiveType;
    const name = byId.get(f.id);
    const vec = name === undefined ? null : batch.getChild(name);
    const meta = new Map([[FIELD_ID_KEY, String(f.id)]]);
    if (!vec) {
      const b = new ColumnBuilder(type);
      for (let i = 0; i < n; i++) b.append(null);
      outFields.push(new arrow.Field(f.name, b.arrowType, true, meta));
      children.push(b.finish());
      continue;
    }
    const expected = icebergTypeToArrow(type, f.name);
    if (needsWidening(vec.type, expected)) {
      const b = new ColumnBuilder(type);
      for (let i = 0; i < n; i++) {
        const v = icebergValueAt(vec, i);
        b.append(v === null ? null : type === 'long' ? BigInt(v as number) : v);
      }
      outFields.push(new arrow.Field(f.name, b.arrowType, !f.required, meta));
      children.push(b.finish());
      continue;
    }
    // A RecordBatch child is always a single Data chunk.
    const data = vec.data[0]!;
    outFields.push(new arrow.Field(f.name, vec.type, !f.required || vec.nullCount > 0, meta));
    children.push(data);
  }
  const schema = new arrow.Schema(outFields);
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(outFields), length: n, nullCount: 0, children }));
}

function needsWidening(actual: arrow.DataType, expected: arrow.DataType): boolean {
  if (actual.typeId === arrow.Type.Int && expected.typeId === arrow.Type.Int) return (actual as arrow.Int).bitWidth !== (expected as arrow.Int).bitWidth;
  if (actual.typeId === arrow.Type.Float && expected.typeId === arrow.Type.Float) return (actual as arrow.Float).precision !== (expected as arrow.Float).precision;
  return false;
}

/** A canonical string for a tuple of values (null-safe; Iceberg equality deletes match null = null). */
function rowKey(vecs: Array<arrow.Vector | null>, i: number): string {
  let k = '';
  for (const v of vecs) k += keyPart(v ? icebergValueAt(v, i) : null) + '\u0001';
  return k;
}

function keyPart(v: unknown): string {
  if (v === null || v === undefined) return '\u0000';
  if (v instanceof Uint8Array) return 'b' + Buffer.from(v).toString('hex');
  if (typeof v === 'bigint') return 'n' + v.toString();
  if (typeof v === 'number') return 'n' + (Number.isInteger(v) ? String(v) : String(v));
  return typeof v + String(v);
}

/** Loads each delete file once per read (or, in the engine, once per worker thread and task). */
export class DeleteCache {
  private readonly pos = new Map<string, Promise<Map<string, number[]>>>();
  private readonly eq = new Map<string, Promise<Set<string>>>();
  constructor(private readonly store: ObjectStore) {}

  async positions(d: DeleteFileSource, dataPath: string): Promise<number[]> {
    let p = this.pos.get(d.key);
    if (!p) {
      p = this.loadPositions(d);
      this.pos.set(d.key, p);
    }
    return (await p).get(dataPath) ?? [];
  }

  private async loadPositions(d: DeleteFileSource): Promise<Map<string, number[]>> {
    const meta = await readParquetMetadata(this.store, d.key, { fileSize: d.fileSizeInBytes });
    const byId = new Map(meta.columns.map((c) => [c.fieldId, c.name]));
    const pathCol = byId.get(POS_FILE_PATH) ?? 'file_path';
    const posCol = byId.get(POS_POS) ?? 'pos';
    const out = new Map<string, number[]>();
    for await (const b of readParquet(this.store, d.key, { columns: [pathCol, posCol], fileSize: d.fileSizeInBytes })) {
      const pv = b.getChild(pathCol)!;
      const ov = b.getChild(posCol)!;
      for (let i = 0; i < b.numRows; i++) {
        const path = String(icebergValueAt(pv, i));
        const pos = Number(icebergValueAt(ov, i));
        let arr = out.get(path);
        if (!arr) out.set(path, (arr = []));
        arr.push(pos);
      }
    }
    return out;
  }

  async equalityKeys(d: DeleteFileSource): Promise<Set<string>> {
    let p = this.eq.get(d.key);
    if (!p) {
      p = this.loadEquality(d);
      this.eq.set(d.key, p);
    }
    return p;
  }

  private async loadEquality(d: DeleteFileSource): Promise<Set<string>> {
    const ids = d.equalityIds ?? [];
    if (ids.length === 0) throw new LakehouseError('INVALID_METADATA', `equality delete file ${d.filePath} lists no equality_ids`);
    const meta = await readParquetMetadata(this.store, d.key, { fileSize: d.fileSizeInBytes });
    const names = ids.map((id) => {
      const c = meta.columns.find((x) => x.fieldId === id);
      if (!c) throw new LakehouseError('INVALID_METADATA', `equality delete file ${d.filePath} has no column with field id ${id}`);
      return c.name;
    });
    const keys = new Set<string>();
    for await (const b of readParquet(this.store, d.key, { columns: [...new Set(names)], fileSize: d.fileSizeInBytes })) {
      const vecs = names.map((nm) => b.getChild(nm));
      for (let i = 0; i < b.numRows; i++) keys.add(rowKey(vecs, i));
    }
    return keys;
  }
}
