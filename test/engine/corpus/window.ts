/** Differential corpus: window queries (tables: test/engine/corpus/data.ts). */
import type { CorpusCase } from './types.js';

export const WINDOW_CASES: CorpusCase[] = [];
