/**
 * Scan tasks over CSV / NDJSON files read by the table functions `read_csv` / `read_json`
 * (engine/source/table-functions.ts): one task per file, plain data (store URI, key, the Iceberg
 * schema the reader parses into, CSV options), run in whichever thread runs it — worker threads
 * for file and S3 stores, the coordinator for `memory://` stores. Streams a batch at a time
 * (the connectors' readers bound memory by one read chunk and one batch).
 */

import type * as arrow from 'apache-arrow';
import { readCsv, readNdjson } from '../../connectors/formats.js';
import type { Schema as IcebergSchema } from '../../connectors/iceberg-types.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import type { ScanTask } from './table-source.js';

export interface TextFileScanTask extends ScanTask {
  kind: 'textfile';
  store: string;
  key: string;
  format: 'csv' | 'ndjson';
  schema: IcebergSchema;
  delimiter?: string;
  header?: boolean;
  /** CSV column names replacing the header's (read_csv `columns` / `names`). */
  columnNames?: string[];
  nullValues?: string[];
  quote?: string;
  escape?: string;
  batchSize?: number;
}

export async function* textFileBatches(task: TextFileScanTask, storeFor: (uri: string) => Promise<ObjectStore>, signal?: AbortSignal): AsyncGenerator<arrow.RecordBatch> {
  const store = await storeFor(task.store);
  const common = { schema: task.schema, ...(task.batchSize ? { batchSize: task.batchSize } : {}), ...(signal ? { signal } : {}) };
  if (task.format === 'ndjson') {
    yield* readNdjson(store, task.key, common);
    return;
  }
  yield* readCsv(store, task.key, {
    ...common,
    ...(task.delimiter !== undefined ? { delimiter: task.delimiter } : {}),
    ...(task.header !== undefined ? { header: task.header } : {}),
    ...(task.columnNames ? { columnNames: task.columnNames } : {}),
    ...(task.nullValues ? { nullValues: task.nullValues } : {}),
    ...(task.quote ? { quote: task.quote } : {}),
    ...(task.escape ? { escape: task.escape } : {}),
  });
}
