/** Public entry of `lakehouse-engine/engine`: the query engine (SQL, DataFrame builder, worker pool). */
export { Engine } from './engine.js';
export type { EngineOptions } from './engine.js';
export { DataFrame, GroupedFrame } from './dataframe.js';
export type { RunOptions } from './dataframe.js';
export { Expr, CaseBuilder, col, lit, date, timestamp, count, countDistinct, sum, avg, min, max, fn, coalesce, lower, upper, when } from './builder.js';
export type { ExprLike, Literal } from './builder.js';
export { MemoryTableSource } from './source/memory-source.js';
export { ParquetFilesSource } from './source/parquet-source.js';
export type { ParquetFilesOptions } from './source/parquet-source.js';
export type { TableSource, ScanTask, ScanRequest } from './source/table-source.js';
export type { QueryStats } from './exec/executor.js';
export { explain } from './plan/logical.js';
export type { PlanNode } from './plan/logical.js';
export type { DataType, Field, Schema } from './plan/types.js';
export { parseJobSpec, jobSpecSchema, qualityRuleSchema, specHash, canonicalJson, parseDuration } from './jobs/index.js';
export type { JobSpec, JobSpecInput, QualityRule, SpecProblem } from './jobs/index.js';
export { RunLedger, transition, newRunId, currentOwner, emptyMetrics, ownerIsGone, TERMINAL_STATES, RUNS_PREFIX } from './jobs/index.js';
export type { RunState, RunRecord, RunMetrics, RunOwner, StagedFile } from './jobs/index.js';
