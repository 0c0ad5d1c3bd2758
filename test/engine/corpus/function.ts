/** Differential corpus: function queries (tables: test/engine/corpus/data.ts). */
import type { CorpusCase } from './types.js';

export const FUNCTION_CASES: CorpusCase[] = [];
