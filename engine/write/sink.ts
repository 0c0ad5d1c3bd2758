/**
 * The write sink at the end of a fragment: rows in (kernel chunks), Parquet data files out,
 * clustered by the target table's partition spec, under
 * `<table>/data/<partition path>/<runId>-<taskId>-<n>.parquet` — names deterministic for
 * (run, task, partition, file index), so a retried run can recognise a task's files.
 *
 * Two modes:
 *   - streaming (unpartitioned target, or a single known partition as in compaction, no sort):
 *     chunks go straight into the Parquet writer, which rolls files at the target size; memory is
 *     one row group;
 *   - clustered: rows are split by partition and buffered per partition; a partition's buffer is
 *     written out when it reaches the target file size (in Arrow bytes) or when all buffers
 *     together exceed `bufferBytes` (the largest goes first), and the rest at the end. Memory is
 *     bounded by `bufferBytes` plus one batch. With `sortBy`, each partition is sorted before it
 *     is written (then only the overall bound forces early writes).
 * Every chunk is first converted to the values its table columns store (write/assign.ts: range
 * checks, integer → decimal rescaling), so partition values and Parquet columns are exact.
 * Files are written in first-seen partition order, so identical input gives identical files.
 * On failure or cancellation every file this sink wrote is deleted before the error propagates.
 * Runs in whichever thread runs the fragment; the result is plain data (structured-cloneable).
 */

import * as arrow from 'apache-arrow';
import { partitionPath, partitionType, type PartitionSpec, type PartitionValue } from '../../catalog/index.js';
import { LakehouseError } from '../../connectors/errors.js';
import { writeParquetFiles, type DataFileStats, type ParquetCompression } from '../../connectors/formats.js';
import { FIELD_ID_KEY } from '../../connectors/arrow-types.js';
import type { PrimitiveType, Schema as IcebergSchema } from '../../connectors/iceberg-types.js';
import { sortChunk } from '../compute/sort.js';
import { concatChunks, takeSel, type Chunk, type Vec } from '../compute/vec.js';
import type { DataType } from '../plan/types.js';
import { storeFor } from '../source/scan-executors.js';
import { assignVec, columnData, storedEngineType } from './assign.js';
import { partitionChunk, partitionValueFromJson, partitionValueToJson, type PartitionFieldPlan } from './partitioner.js';

export interface SinkSpec {
  store: string;
  /** Key prefix of the table's data directory (e.g. `ns/t/data`). */
  dataPrefix: string;
  runId: string;
  taskId: string;
  schema: IcebergSchema;
  /** For each schema field (in order): the output column it comes from (-1: write nulls). */
  sources: number[];
  /** Engine types of the fragment's output columns. */
  outputTypes: DataType[];
  spec: PartitionSpec;
  partitionFields: PartitionFieldPlan[];
  targetFileSize: number;
  rowGroupSize?: number;
  compression?: ParquetCompression;
  bufferBytes: number;
  sortBy?: Array<{ column: number; desc: boolean; nullsFirst: boolean }>;
  /** All rows are known to belong to this partition (JSON values, spec order). */
  knownPartition?: Array<string | number | boolean | null>;
}

/** Data-file statistics as plain data (Maps as entry arrays). */
export interface PlainStats {
  recordCount: number;
  fileSizeInBytes: number;
  columnSizes: Array<[number, number]>;
  valueCounts: Array<[number, number]>;
  nullValueCounts: Array<[number, number]>;
  nanValueCounts: Array<[number, number]>;
  lowerBounds: Array<[number, Uint8Array]>;
  upperBounds: Array<[number, Uint8Array]>;
  splitOffsets: number[];
}

export interface SinkFile {
  key: string;
  taskId: string;
  partition: Array<string | number | boolean | null>;
  partitionPath: string;
  stats: PlainStats;
}

export function toPlainStats(s: DataFileStats): PlainStats {
  return {
    recordCount: s.recordCount, fileSizeInBytes: s.fileSizeInBytes,
    columnSizes: [...s.columnSizes], valueCounts: [...s.valueCounts], nullValueCounts: [...s.nullValueCounts],
    nanValueCounts: [...s.nanValueCounts], lowerBounds: [...s.lowerBounds], upperBounds: [...s.upperBounds], splitOffsets: [...s.splitOffsets],
  };
}

export function fromPlainStats(s: PlainStats): DataFileStats {
  return {
    recordCount: s.recordCount, fileSizeInBytes: s.fileSizeInBytes,
    columnSizes: new Map(s.columnSizes), valueCounts: new Map(s.valueCounts), nullValueCounts: new Map(s.nullValueCounts),
    nanValueCounts: new Map(s.nanValueCounts), lowerBounds: new Map(s.lowerBounds), upperBounds: new Map(s.upperBounds), splitOffsets: [...s.splitOffsets],
  };
}

function toBatch(spec: SinkSpec, c: Chunk): arrow.RecordBatch {
  const fields: arrow.Field[] = [];
  const children: arrow.Data[] = [];
  spec.schema.fields.forEach((f, i) => {
    const src = spec.sources[i]!;
    const data = columnData(src >= 0 ? c.cols[src]! : null, f, c.length);
    fields.push(new arrow.Field(f.name, data.type, !f.required, new Map([[FIELD_ID_KEY, String(f.id)]])));
    children.push(data);
  });
  return new arrow.RecordBatch(new arrow.Schema(fields), arrow.makeData({ type: new arrow.Struct(fields), length: c.length, nullCount: 0, children }));
}

/**
 * The chunk with every written column converted to the values its table column stores (store
 * assignment: per-value range checks, integer → decimal rescaling); partitioning and the
 * Parquet columns both read these.
 */
function assignChunk(spec: SinkSpec, c: Chunk): Chunk {
  const cols: Vec[] = c.cols.slice();
  spec.schema.fields.forEach((f, i) => {
    const src = spec.sources[i]!;
    if (src >= 0) cols[src] = assignVec(c.cols[src]!, spec.outputTypes[src]!, f, c.length);
  });
  return { length: c.length, cols };
}

/** Engine types of the chunk after assignChunk. */
function assignedTypes(spec: SinkSpec): SinkSpec['outputTypes'] {
  const types = spec.outputTypes.slice();
  spec.schema.fields.forEach((f, i) => {
    const src = spec.sources[i]!;
    if (src >= 0) types[src] = storedEngineType(f.type as PrimitiveType);
  });
  return types;
}

/** Rough Arrow size of a chunk (for buffer accounting). */
function chunkBytes(c: Chunk): number {
  let b = 0;
  for (const v of c.cols) b += v.t === 'str' ? c.length * 12 : v.t === 'bool' ? c.length : c.length * 8;
  return b;
}

interface PartitionBuffer {
  tuple: PartitionValue[];
  path: string;
  chunks: Chunk[];
  bytes: number;
  nextFile: number;
}

/** Consumes the fragment's output and writes it; returns the files written. */
export async function runSink(spec: SinkSpec, chunks: AsyncIterable<Chunk>, signal?: AbortSignal): Promise<SinkFile[]> {
  const store = await storeFor(spec.store);
  const ptype = partitionType(spec.spec, spec.schema);
  const written: SinkFile[] = [];
  const keyOf = (path: string, n: number): string => `${spec.dataPrefix}/${path ? `${path}/` : ''}${spec.runId}-${spec.taskId}-${n}.parquet`;
  const opts = {
    schema: spec.schema, targetFileSize: spec.targetFileSize,
    ...(spec.rowGroupSize ? { rowGroupSize: spec.rowGroupSize } : {}), ...(spec.compression ? { compression: spec.compression } : {}),
    ...(signal ? { signal } : {}),
  };
  const write = async (buf: PartitionBuffer, batches: AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>): Promise<void> => {
    const start = buf.nextFile;
    const files = await writeParquetFiles(store, (i) => keyOf(buf.path, start + i), batches, opts);
    buf.nextFile += files.length;
    const json = buf.tuple.map(partitionValueToJson);
    for (const f of files) written.push({ key: f.key, taskId: spec.taskId, partition: json, partitionPath: buf.path, stats: toPlainStats(f.stats) });
  };
  const checkAbort = (): void => {
    if (signal?.aborted) throw new LakehouseError('CANCELLED', 'write cancelled');
  };
  try {
    const streaming = !spec.sortBy?.length && (spec.partitionFields.length === 0 || spec.knownPartition !== undefined);
    if (streaming) {
      const tuple = spec.knownPartition ? spec.knownPartition.map((v, i) => partitionValueFromJson(ptype.fields[i]!.type as PrimitiveType, v)) : [];
      const buf: PartitionBuffer = { tuple, path: spec.partitionFields.length ? partitionPath(spec.spec, spec.schema, tuple) : '', chunks: [], bytes: 0, nextFile: 0 };
      await write(buf, (async function* () {
        for await (const c of chunks) {
          checkAbort();
          if (c.length) yield toBatch(spec, assignChunk(spec, c));
        }
      })());
      return written;
    }
    const buffers = new Map<string, PartitionBuffer>();
    const storedTypes = assignedTypes(spec);
    let total = 0;
    const flush = async (buf: PartitionBuffer): Promise<void> => {
      if (!buf.chunks.length) return;
      let parts = buf.chunks;
      buf.chunks = [];
      total -= buf.bytes;
      buf.bytes = 0;
      if (spec.sortBy?.length && parts.length) {
        const all = concatChunks(parts, storedTypes);
        parts = [sortChunk(all, spec.sortBy.map((k) => ({ vec: all.cols[k.column]!, desc: k.desc, nullsFirst: k.nullsFirst })))];
      }
      await write(buf, parts.map((c) => toBatch(spec, c)));
    };
    for await (const raw of chunks) {
      checkAbort();
      if (!raw.length) continue;
      const c = assignChunk(spec, raw);
      const { rowPartition, tuples } = partitionChunk(spec.partitionFields, c);
      const rows: number[][] = tuples.map(() => []);
      for (let i = 0; i < c.length; i++) rows[rowPartition[i]!]!.push(i);
      for (let p = 0; p < tuples.length; p++) {
        if (!rows[p]!.length) continue;
        const tuple = tuples[p]!;
        const path = partitionPath(spec.spec, spec.schema, tuple);
        let buf = buffers.get(path);
        if (!buf) {
          buf = { tuple, path, chunks: [], bytes: 0, nextFile: 0 };
          buffers.set(path, buf);
        }
        const part = tuples.length === 1 ? c : { length: rows[p]!.length, cols: c.cols.map((v) => takeSel(v, Int32Array.from(rows[p]!))) };
        const b = chunkBytes(part);
        buf.chunks.push(part);
        buf.bytes += b;
        total += b;
        if (!spec.sortBy?.length && buf.bytes >= spec.targetFileSize) await flush(buf);
      }
      while (total > spec.bufferBytes) {
        let largest: PartitionBuffer | undefined;
        for (const b of buffers.values()) if (!largest || b.bytes > largest.bytes) largest = b;
        if (!largest || largest.bytes === 0) break;
        await flush(largest);
      }
    }
    for (const buf of buffers.values()) await flush(buf);
    return written;
  } catch (err) {
    await store.deleteMany(written.map((w) => w.key)).catch(() => undefined);
    throw err;
  }
}
