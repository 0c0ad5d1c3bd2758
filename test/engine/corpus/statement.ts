/** Differential corpus: statement queries (tables: test/engine/corpus/data.ts). */
import type { CorpusCase } from './types.js';

export const STATEMENT_CASES: CorpusCase[] = [];
