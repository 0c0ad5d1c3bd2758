/**
 * Chunks on the wire: Arrow IPC stream bytes, one record batch per chunk, with positional column
 * names (the coordinator knows the schema; duplicate output names stay harmless).
 */

import * as arrow from 'apache-arrow';
import { chunkToBatch, dataToVec } from '../compute/arrow-io.js';
import { concatChunks, emptyChunk, type Chunk } from '../compute/vec.js';
import type { DataType } from '../plan/types.js';

export function chunkToIPC(c: Chunk, types: DataType[]): Uint8Array {
  const batch = chunkToBatch(c, types.map((type, i) => ({ name: `c${i}`, type, nullable: true })));
  return arrow.tableToIPC(new arrow.Table(batch), 'stream');
}

export function chunkFromBatchPositional(rb: arrow.RecordBatch, types: DataType[]): Chunk {
  return { length: rb.numRows, cols: types.map((t, i) => dataToVec(rb.data.children[i]!, t, rb.schema.fields[i]?.name ?? `c${i}`)) };
}

export function chunkFromIPC(bytes: Uint8Array, types: DataType[]): Chunk[] {
  const table = arrow.tableFromIPC(bytes);
  return table.batches.map((rb) => chunkFromBatchPositional(rb, types));
}

/** All batches of an IPC stream as one chunk (an empty chunk for a stream of no batches). */
export function oneChunkFromIPC(bytes: Uint8Array, types: DataType[]): Chunk {
  const parts = chunkFromIPC(bytes, types);
  return parts.length === 1 ? parts[0]! : parts.length ? concatChunks(parts, types) : emptyChunk(types);
}
