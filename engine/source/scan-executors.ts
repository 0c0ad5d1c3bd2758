/**
 * Turns a `ScanTask` into record batches, in whichever thread runs the task. Object stores are
 * opened once per thread and URI and kept for the life of the thread.
 */

import * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import { readParquet } from '../../connectors/formats.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import { openObjectStore } from '../../connectors/open.js';
import { DeleteCache, readDataFile } from '../../catalog/index.js';
import type { IcebergScanTask } from './catalog-source.js';
import { memoryBatches } from './memory-source.js';
import { streamOpener } from './stream-source.js';
import { textFileBatches, type TextFileScanTask } from './text-file-scan.js';
import type { ScanTask } from './table-source.js';

const stores = new Map<string, Promise<ObjectStore>>();

export function storeFor(uri: string): Promise<ObjectStore> {
  let s = stores.get(uri);
  if (!s) {
    s = openObjectStore(uri);
    stores.set(uri, s);
  }
  return s;
}

/** Parquet task descriptor as produced by `ParquetFilesSource`. */
export interface ParquetScanTask extends ScanTask {
  kind: 'parquet';
  store: string;
  key: string;
  fileSize: number;
  rowGroups: number[];
  columns: string[];
  batchSize?: number;
}

export async function* openScan(task: ScanTask, signal?: AbortSignal): AsyncGenerator<arrow.RecordBatch> {
  if (task.kind === 'parquet') {
    const t = task as ParquetScanTask;
    const store = await storeFor(t.store);
    yield* readParquet(store, t.key, {
      columns: t.columns, rowGroups: t.rowGroups, fileSize: t.fileSize,
      ...(t.batchSize ? { batchSize: t.batchSize } : {}), ...(signal ? { signal } : {}),
    });
    return;
  }
  if (task.kind === 'iceberg') {
    // Catalog tables: the catalog's reader maps columns by field id and applies deletes.
    const t = task as IcebergScanTask;
    const store = await storeFor(t.store);
    const deletes = new DeleteCache(store);
    for (const f of t.files) {
      if (signal?.aborted) throw new LakehouseError('CANCELLED', 'scan cancelled');
      yield* readDataFile(store, f, t.fields, deletes, { batchSize: t.batchSize, signal });
    }
    return;
  }
  if (task.kind === 'stream') {
    for await (const b of streamOpener(task.id as string, task.index as number)(signal)) {
      if (signal?.aborted) throw new LakehouseError('CANCELLED', 'scan cancelled');
      yield b;
    }
    return;
  }
  if (task.kind === 'textfile') {
    // read_csv / read_json table functions (engine/source/table-functions.ts).
    yield* textFileBatches(task as TextFileScanTask, storeFor, signal);
    return;
  }
  if (task.kind === 'ipc') {
    // One partition of a shuffled join: its rows travel inside the task as Arrow IPC.
    for (const b of task.payload!.slice(0, task.probeBuffers as number)) {
      if (signal?.aborted) throw new LakehouseError('CANCELLED', 'scan cancelled');
      yield* arrow.tableFromIPC(b).batches;
    }
    return;
  }
  if (task.kind === 'memory') {
    const batches = memoryBatches(task.id as string);
    for (const i of task.batches as number[]) {
      if (signal?.aborted) throw new LakehouseError('CANCELLED', 'scan cancelled');
      yield batches[i]!;
    }
    return;
  }
  throw new LakehouseError('UNSUPPORTED', `not supported yet: scan tasks of kind "${task.kind}"`);
}
