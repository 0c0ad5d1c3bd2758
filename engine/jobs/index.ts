/** Batch jobs: spec, run ledger, runner, recovery. Re-exported by engine/index.ts. */
export { parseJobSpec, jobSpecSchema, qualityRuleSchema, specHash, canonicalJson, parseDuration } from './spec.js';
export type { JobSpec, JobSpecInput, QualityRule, SpecProblem } from './spec.js';
export { RunLedger, transition, newRunId, currentOwner, emptyMetrics, ownerIsGone, TERMINAL_STATES, RUNS_PREFIX } from './ledger.js';
export type { RunState, RunRecord, RunMetrics, RunOwner, StagedFile, ClaimOwner } from './ledger.js';
export { bindPlaceholders, literalNode, normalizeParams } from './params.js';
export type { ParamType, TypedParam, Params } from './params.js';
export { bindStatement } from './statement.js';
export { checkOverwrite, checkOverwriteBoundary } from './overwrite-boundary.js';
export type { BoundStatement } from './statement.js';
export { jobTarget, referencedTables, splitTopLevel } from './target.js';
export type { JobTarget, WriteMode } from './target.js';
export { submitJob, RunHandle } from './runner.js';
export type { SubmitOptions, JobProgress } from './runner.js';
export { recoverRun, recoverRuns } from './recover.js';
export type { RecoveryAction } from './recover.js';
export type { JobEngine, StagedWriteLike, StagedDataFileLike, StageWriteRequest } from './engine-contract.js';
export type { RuleOutcome } from './quality.js';
export type { Validation, Reconciliation } from './validate.js';
