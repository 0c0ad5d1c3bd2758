/** File formats (Parquet, CSV, NDJSON): public surface, re-exported by connectors/index.ts. */
export {};
