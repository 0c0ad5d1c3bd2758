/**
 * What the batch-job runner needs from the query engine: the two-phase write (stage, then
 * commit or abort) and SQL over registered tables with input pins. `Engine` implements it; the
 * runner depends only on this shape, which keeps the job code testable against the contract.
 */

import type { StagedDataFile, StagedWrite, StageWriteRequest } from '../write/stage.js';

export type StagedDataFileLike = StagedDataFile;
export type StagedWriteLike = StagedWrite;
export type { StageWriteRequest };

export interface JobEngine {
  readonly warehouse: string | undefined;
  stageWrite(req: StageWriteRequest): Promise<StagedWrite>;
  sql(text: string, options?: { inputs?: Record<string, { snapshotId: string }> }): { toArray(): Promise<Array<Record<string, unknown>>> };
  registerTable(name: string, source: never): void;
  dropTable(name: string): boolean;
}
