/** Public entry of `lakehouse-engine/connectors`: object stores and file formats. */
export { LakehouseError, isLakehouseError } from './errors.js';
export type { ErrorCode, LakehouseErrorOptions } from './errors.js';
export type { ObjectStore, ObjectMeta, ByteRange, Body, PutOptions } from './object-store.js';
export * from './iceberg-types.js';
