/** Package root entry (`lakehouse-engine`): every layer's public surface in one import. */
export * from '../connectors/index.js';
