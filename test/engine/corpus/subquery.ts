/** Differential corpus: subquery queries (tables: test/engine/corpus/data.ts). */
import type { CorpusCase } from './types.js';

export const SUBQUERY_CASES: CorpusCase[] = [];
