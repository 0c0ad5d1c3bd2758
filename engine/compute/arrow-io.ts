/**
 * Arrow ⇄ kernel vectors: the read path (arrow-in.ts) and the write path (arrow-out.ts) under
 * one entry, for callers that use both.
 */

export * from './arrow-in.js';
export * from './arrow-out.js';
