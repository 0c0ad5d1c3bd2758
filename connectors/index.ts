/** Public entry of `lakehouse-engine/connectors`: object stores and file formats. */
export { LakehouseError, isLakehouseError } from './errors.js';
export type { ErrorCode, LakehouseErrorOptions } from './errors.js';
export type { ObjectStore, ObjectMeta, ByteRange, Body, PutOptions } from './object-store.js';
export * from './iceberg-types.js';
export { openObjectStore } from './open.js';
export type { OpenObjectStoreOptions } from './open.js';
export { MemoryStore } from './memory.js';
export { LocalFsStore } from './local-fs.js';
export { encodeSingleValue, decodeSingleValue, bigintToMinimalBytes, minimalBytesToBigint, uuidToBytes, bytesToUuid } from './single-value.js';
export type { IcebergValue } from './single-value.js';
export * from './formats.js';
