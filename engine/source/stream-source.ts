/**
 * A table whose rows are produced by functions that open record-batch streams (one per task),
 * e.g. CSV/NDJSON/Parquet files being ingested. Tasks run on the coordinator thread (`local`:
 * the openers are closures of this thread) and stream: nothing is held beyond one batch.
 * Each task may be scanned once per registration; `release()` forgets the openers.
 */

import type * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import type { Schema } from '../plan/types.js';
import type { ScanRequest, ScanTask, TableSource } from './table-source.js';

export type BatchOpener = (signal?: AbortSignal) => AsyncIterable<arrow.RecordBatch>;

const registry = new Map<string, BatchOpener[]>();
let nextId = 0;

export function streamOpener(id: string, index: number): BatchOpener {
  const openers = registry.get(id);
  const o = openers?.[index];
  if (!o) throw new LakehouseError('NOT_FOUND', `stream source ${id} (task ${index}) is no longer registered`);
  return o;
}

export class StreamTableSource implements TableSource {
  private readonly id = `stream-${process.pid}-${nextId++}`;

  /** `schema`: the engine schema of the batches; `sizes`: estimated bytes per opener (balancing only). */
  constructor(readonly schema: Schema, openers: BatchOpener[], private readonly sizes: number[] = []) {
    registry.set(this.id, openers);
  }

  async planScan(request: ScanRequest): Promise<ScanTask[]> {
    if (request.travel) throw new LakehouseError('UNSUPPORTED', 'not supported yet: time travel on a stream of files');
    const openers = registry.get(this.id);
    if (!openers) throw new LakehouseError('NOT_FOUND', `stream source ${this.id} was released`);
    return openers.map((_, i) => ({ kind: 'stream', local: true, id: this.id, index: i, columns: request.columns, bytes: this.sizes[i] ?? 1 }));
  }

  release(): void {
    registry.delete(this.id);
  }
}
