/**
 * Our engine's write path as the ingest, write and compaction suites use it: batches are split
 * by the table's partition spec (Iceberg transforms, via `table.partitionFor`), each partition
 * is written with `writeParquetFiles` to keys from `table.newDataFileKey`, and the caller commits
 * all files in one append. Runs on the calling thread (parquet-wasm in this process).
 *
 * Partition splitting gathers rows with a small typed-array kernel (fixed-width, boolean,
 * string/binary and dictionary columns, with validity). Memory: every partition's batches are
 * held until the input ends, so peak memory is about the size of the input in Arrow form.
 */

import * as arrow from 'apache-arrow';
import { icebergValueAt, LakehouseError, writeParquetFiles } from '../../connectors/index.js';
import type { DataFile, PartitionValue, Table } from '../../catalog/index.js';

export interface PartitionedWriteResult {
  files: DataFile[];
  rows: number;
  bytes: number;
}

/** Writes batches into data files of `table`, one set per partition; does not commit. */
export async function writePartitioned(table: Table, batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>): Promise<PartitionedWriteResult> {
  const schema = table.schema();
  const spec = table.spec();
  const buckets = new Map<string, { tuple: PartitionValue[]; batches: arrow.RecordBatch[] }>();
  const sourceNames = spec.fields.map((pf) => {
    const f = schema.fields.find((x) => x.id === pf['source-id']);
    if (!f) throw new LakehouseError('INVALID_METADATA', `partition source field ${pf['source-id']} is not in the schema of ${table.identifier.namespace}.${table.identifier.name}`);
    return { id: f.id, name: f.name };
  });
  const tupleCache = new Map<string, { key: string; tuple: PartitionValue[] }>();
  for await (const b of batches) {
    if (b.numRows === 0) continue;
    if (spec.fields.length === 0) {
      bucket(buckets, '', []).batches.push(b);
      continue;
    }
    const vectors = sourceNames.map((s) => {
      const v = b.getChild(s.name);
      if (!v) throw new LakehouseError('SCHEMA_MISMATCH', `input has no column "${s.name}", which the partition spec needs`);
      return v;
    });
    // Partition of each row; the transform runs once per distinct source value.
    const rowPart = new Int32Array(b.numRows);
    const parts: { key: string; tuple: PartitionValue[] }[] = [];
    const partIndex = new Map<string, number>();
    for (let r = 0; r < b.numRows; r++) {
      const raw = vectors.map((v) => icebergValueAt(v, r));
      const rawKey = raw.length === 1 ? `${typeof raw[0]}:${String(raw[0])}` : JSON.stringify(raw, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
      let p = tupleCache.get(rawKey);
      if (!p) {
        const tuple = table.partitionFor((id) => raw[sourceNames.findIndex((s) => s.id === id)] ?? null);
        p = { key: JSON.stringify(tuple, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)), tuple };
        tupleCache.set(rawKey, p);
      }
      let idx = partIndex.get(p.key);
      if (idx === undefined) {
        idx = parts.length;
        partIndex.set(p.key, idx);
        parts.push(p);
      }
      rowPart[r] = idx;
    }
    if (parts.length === 1) {
      bucket(buckets, parts[0]!.key, parts[0]!.tuple).batches.push(b);
      continue;
    }
    const counts = new Int32Array(parts.length);
    for (let r = 0; r < rowPart.length; r++) counts[rowPart[r]!]!++;
    const indices = [...counts].map((n) => new Int32Array(n));
    const fill = new Int32Array(parts.length);
    for (let r = 0; r < rowPart.length; r++) {
      const p = rowPart[r]!;
      indices[p]![fill[p]!++] = r;
    }
    parts.forEach((p, i) => bucket(buckets, p.key, p.tuple).batches.push(takeBatch(b, indices[i]!)));
  }
  const files: DataFile[] = [];
  let rows = 0;
  let bytes = 0;
  for (const { tuple, batches: bs } of buckets.values()) {
    const written = await writeParquetFiles(table.io.store, () => table.newDataFileKey(tuple), bs, { schema });
    for (const w of written) {
      files.push(table.dataFile({ key: w.key, stats: w.stats, partition: tuple }));
      rows += w.stats.recordCount;
      bytes += w.stats.fileSizeInBytes;
    }
  }
  return { files, rows, bytes };
}

function bucket(m: Map<string, { tuple: PartitionValue[]; batches: arrow.RecordBatch[] }>, key: string, tuple: PartitionValue[]): { tuple: PartitionValue[]; batches: arrow.RecordBatch[] } {
  let b = m.get(key);
  if (!b) {
    b = { tuple, batches: [] };
    m.set(key, b);
  }
  return b;
}

/** The rows of `b` at `idx`, in that order. */
export function takeBatch(b: arrow.RecordBatch, idx: Int32Array): arrow.RecordBatch {
  const children = b.schema.fields.map((_f, i) => takeVector(b.getChildAt(i)!, idx));
  const data = arrow.makeData({ type: new arrow.Struct(b.schema.fields), length: idx.length, nullCount: 0, children });
  return new arrow.RecordBatch(b.schema, data);
}

function takeVector(v: arrow.Vector, idx: Int32Array): arrow.Data {
  // A RecordBatch column is always a single Data (possibly with an offset).
  return takeData(v.data[0]!, idx);
}

/**
 * Arrow JS slices value and offset buffers when it slices Data, and keeps `offset` for the bit
 * buffers only (validity, booleans): so bitmaps are read at `offset + i`, everything else at `i`.
 */
function takeData(d: arrow.Data, idx: Int32Array): arrow.Data {
  const n = idx.length;
  const T = arrow.Type;
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  if (d.nullCount > 0 && d.nullBitmap) {
    nullBitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const s = d.offset + idx[i]!;
      if ((d.nullBitmap[s >> 3]! >> (s & 7)) & 1) nullBitmap[i >> 3]! |= 1 << (i & 7);
      else nullCount++;
    }
  }
  const base = { type: d.type, length: n, nullCount, ...(nullBitmap ? { nullBitmap } : {}) };
  switch (d.typeId) {
    case T.Utf8:
    case T.Binary: {
      const offsets = d.valueOffsets as Int32Array;
      const values = d.values as Uint8Array;
      const out = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const s = idx[i]!;
        total += offsets[s + 1]! - offsets[s]!;
        out[i + 1] = total;
      }
      const bytes = new Uint8Array(total);
      for (let i = 0; i < n; i++) {
        const s = idx[i]!;
        bytes.set(values.subarray(offsets[s]!, offsets[s + 1]!), out[i]!);
      }
      return arrow.makeData({ ...base, valueOffsets: out, data: bytes } as never);
    }
    case T.Bool: {
      const bits = d.values as Uint8Array;
      const out = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const s = d.offset + idx[i]!;
        if ((bits[s >> 3]! >> (s & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
      }
      return arrow.makeData({ ...base, data: out } as never);
    }
    case T.Dictionary: {
      const indices = takeFixed(d.values as unknown as Typed, 1, idx);
      return arrow.makeData({ ...base, data: indices, dictionary: d.dictionary } as never);
    }
    case T.Int:
    case T.Float:
    case T.Date:
    case T.Time:
    case T.Timestamp:
    case T.Decimal:
    case T.FixedSizeBinary:
    case T.Interval:
    case T.Duration:
      return arrow.makeData({ ...base, data: takeFixed(d.values as unknown as Typed, d.stride, idx) } as never);
    default:
      throw new LakehouseError('UNSUPPORTED', `not supported yet: splitting ${d.type} columns by partition in the bench writer`);
  }
}

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

function takeFixed(values: Typed, stride: number, idx: Int32Array): Typed {
  const Ctor = values.constructor as new (n: number) => Typed;
  const out = new Ctor(idx.length * stride);
  if (stride === 1) {
    for (let i = 0; i < idx.length; i++) (out as unknown as number[])[i] = (values as unknown as number[])[idx[i]!]!;
  } else {
    for (let i = 0; i < idx.length; i++) {
      const s = idx[i]! * stride;
      for (let k = 0; k < stride; k++) (out as unknown as number[])[i * stride + k] = (values as unknown as number[])[s + k]!;
    }
  }
  return out;
}
