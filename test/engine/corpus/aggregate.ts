/** Differential corpus: aggregate queries (tables: test/engine/corpus/data.ts). */
import type { CorpusCase } from './types.js';

export const AGGREGATE_CASES: CorpusCase[] = [];
