/** Public entry of `lakehouse-engine/catalog`: Iceberg v2 tables (metadata, commits, scans). */
export * from './spec/metadata.js';
export * from './spec/partition.js';
export * from './spec/schema.js';
export * from './spec/transforms.js';
export * from './spec/updates.js';
export { murmur3 } from './spec/murmur3.js';
export { parseJson, stringifyJson } from './json.js';
export type { JsonValue } from './json.js';
export { readAvroContainer, writeAvroContainer, avroType } from './avro.js';
export type { AvroCodec, AvroFile } from './avro.js';
export * from './manifest.js';
