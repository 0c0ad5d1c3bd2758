/**
 * What the batch-job runner needs from the query engine: the two-phase write (stage, then
 * commit or abort), SQL over registered tables with input pins, and planning of a query tree
 * (a job's statement is parsed and bound once, then run as a tree: statement.ts). `Engine`
 * implements it; the runner depends only on this shape, which keeps the job code testable
 * against the contract.
 */

import { DataFrame, type QueryRunner } from '../dataframe.js';
import type { UQuery } from '../plan/unbound.js';
import type { StagedDataFile, StagedWrite, StageWriteRequest } from '../write/stage.js';

export type StagedDataFileLike = StagedDataFile;
export type StagedWriteLike = StagedWrite;
export type { StageWriteRequest };

export interface JobEngine extends QueryRunner {
  readonly warehouse: string | undefined;
  stageWrite(req: StageWriteRequest): Promise<StagedWrite>;
  sql(text: string, options?: { inputs?: Record<string, { snapshotId: string }> }): { toArray(): Promise<Array<Record<string, unknown>>> };
  registerTable(name: string, source: never): void;
  dropTable(name: string): boolean;
}

/** A lazy frame over a bound query tree, reading catalog tables at the given pins. */
export function jobFrame(engine: JobEngine, query: UQuery, sqlText: string | undefined, inputs?: Record<string, { snapshotId: string }>): DataFrame {
  return new DataFrame(engine, query, sqlText, inputs ? { inputs } : {});
}
