/** Public entry of `lakehouse-engine`: everything a user needs, re-exported by layer. */
export * from './connectors/index.js';
