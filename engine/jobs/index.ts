/** Batch jobs: spec, run ledger. Re-exported by engine/index.ts. */
export { parseJobSpec, jobSpecSchema, qualityRuleSchema, specHash, canonicalJson, parseDuration } from './spec.js';
export type { JobSpec, JobSpecInput, QualityRule, SpecProblem } from './spec.js';
export { RunLedger, transition, newRunId, currentOwner, emptyMetrics, ownerIsGone, TERMINAL_STATES, RUNS_PREFIX } from './ledger.js';
export type { RunState, RunRecord, RunMetrics, RunOwner, StagedFile } from './ledger.js';
