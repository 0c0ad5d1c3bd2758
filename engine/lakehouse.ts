/**
 * Package root entry (`lakehouse-engine`): every layer's public surface in one import.
 * Two names exist in more than one layer; the root resolves them explicitly — `Schema` is the
 * Iceberg schema (the engine's plan schema is `lakehouse-engine/engine`'s `Schema`), and
 * `compareValues` is the connectors' (Iceberg value order).
 */
export * from '../connectors/index.js';
export * from '../catalog/index.js';
export * from './index.js';
export type { Schema } from '../connectors/index.js';
export { compareValues } from '../connectors/index.js';
