/** File formats (Parquet, CSV, NDJSON): public surface, re-exported by connectors/index.ts. */
export {
  FIELD_ID_KEY,
  icebergTypeToArrow,
  icebergFieldToArrow,
  icebergSchemaToArrow,
  arrowTypeToIceberg,
  arrowSchemaToIceberg,
  arrowTypesCompatible,
  fieldIdOf,
  parquetTypeToIceberg,
} from './arrow-types.js';
export type { ParquetTypeInfo } from './arrow-types.js';
export { readParquet, readParquetMetadata, DEFAULT_BATCH_SIZE } from './parquet-read.js';
export type { ParquetReadOptions } from './parquet-read.js';
export type { ParquetFileMetadata, ParquetColumn, RowGroupStats, ColumnChunkStats } from './parquet-footer.js';
export { writeParquetFiles, conformBatch, DEFAULT_TARGET_FILE_SIZE, DEFAULT_ROW_GROUP_SIZE } from './parquet-write.js';
export type { ParquetWriteOptions, WrittenDataFile, ParquetCompression } from './parquet-write.js';
export { dataFileStats, compareValues, DEFAULT_TRUNCATE_LENGTH } from './parquet-stats.js';
export type { DataFileStats } from './parquet-stats.js';
export { ColumnBuilder, recordBatchFromRows, batchFromBuilders, icebergValueAt, uuidAt } from './arrow-builders.js';
export { readCsv, inferCsvSchema } from './csv.js';
export type { CsvOptions } from './csv.js';
export { readNdjson, inferNdjsonSchema } from './ndjson.js';
export type { NdjsonOptions } from './ndjson.js';
export type { BadRecord, ImportOptions } from './import-common.js';
