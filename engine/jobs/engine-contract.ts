/**
 * What the batch-job runner needs from the query engine: a two-phase write (stage, then commit
 * or abort) and SQL over registered tables. `Engine` implements it; the runner depends only on
 * this shape.
 */

import type { DataFileStats } from '../../connectors/index.js';

export interface StagedDataFileLike {
  key: string;
  uri: string;
  partition: Record<string, unknown>;
  partitionPath: string;
  taskId: string;
  stats: Pick<DataFileStats, 'recordCount' | 'fileSizeInBytes'> & Partial<DataFileStats>;
}

export interface StagedWriteLike {
  table: string;
  files: StagedDataFileLike[];
  inputSnapshots: Record<string, string | null>;
  metrics: { rowsRead: number; bytesRead: number; rowsWritten: number; bytesWritten: number; tasks: number; tasksReused: number };
  commit(options?: { provenance?: { runId?: string; jobName?: string; inputSnapshotIds?: Record<string, string> }; dropFiles?: string[] }): Promise<{ snapshotId: string }>;
  abort(): Promise<void>;
}

export interface StageWriteRequest {
  query: string;
  table: string;
  mode: 'append' | 'overwrite-partitions' | 'replace';
  create?: { partitionBy?: string[] };
  runId: string;
  inputs?: Record<string, { snapshotId: string }>;
  signal?: AbortSignal;
  reuse?: (taskId: string) => Promise<StagedDataFileLike[] | undefined>;
}

export interface JobEngine {
  readonly warehouse: string | undefined;
  stageWrite(req: StageWriteRequest): Promise<StagedWriteLike>;
  sql(text: string, options?: { inputs?: Record<string, { snapshotId: string }> }): { toArray(): Promise<Array<Record<string, unknown>>> };
  registerTable(name: string, source: never): void;
  dropTable(name: string): boolean;
}
