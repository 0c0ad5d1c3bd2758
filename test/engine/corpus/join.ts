/** Differential corpus: join queries (tables: test/engine/corpus/data.ts). */
import type { CorpusCase } from './types.js';

export const JOIN_CASES: CorpusCase[] = [];
