/** Differential corpus: setop queries (tables: test/engine/corpus/data.ts). */
import type { CorpusCase } from './types.js';

export const SETOP_CASES: CorpusCase[] = [];
