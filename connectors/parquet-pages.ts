/**
 * Page-header checks run before a column chunk is handed to parquet-wasm. parquet-wasm sizes its
 * decompression buffers by the page header's `uncompressed_page_size`, an untrusted number: one
 * 81 KB file declaring 2^31−1 bytes made it allocate 2.2 GB. We cannot bound allocations inside
 * parquet-wasm, so every page header of the chunks about to be decoded is checked against the
 * bytes actually present and the footer first, and a lie is `CORRUPT_FILE`:
 *
 * - each page's compressed bytes lie inside the chunk, and the pages fill the chunk exactly;
 * - each page's uncompressed size is at most the chunk's `total_uncompressed_size` (footer);
 * - that total is at most `MAX_RATIO[codec]` × the chunk's compressed bytes, for codecs whose
 *   expansion is bounded by their format (none: 1×, snappy ≈ 21×, lz4 ≈ 255×, gzip ≈ 1032×);
 *   zstd and brotli can legitimately expand further (a plain-encoded constant column), so for
 *   them only `MAX_PAGE_BYTES` applies.
 *
 * Pure: bytes in, an error or nothing out.
 */

import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import type { ObjectStore } from './object-store.js';
import { corrupt, type ColumnChunkStats } from './parquet-footer.js';

/** Largest uncompressed page accepted (parquet-mr's default page is 1 MiB; writers cap near 1 GiB). */
export const MAX_PAGE_BYTES = 1024 * 1024 * 1024;

const MAX_RATIO: Record<string, number> = { UNCOMPRESSED: 1, SNAPPY: 32, LZ4: 256, LZ4_RAW: 256, GZIP: 1100 };

/** Slack for page headers, which `total_uncompressed_size` includes and page sizes do not. */
const HEADER_SLACK = 4096;

export function checkPageHeaders(store: ObjectStore, key: string, rowGroup: number, chunk: ColumnChunkStats, bytes: Uint8Array): void {
  const where = `row group ${rowGroup}, column "${chunk.name}" (offset ${chunk.offset})`;
  const ratio = MAX_RATIO[chunk.codec];
  if (ratio !== undefined && chunk.uncompressedSize > ratio * bytes.byteLength + HEADER_SLACK * 16) {
    throw corrupt(store, key, `${where} declares ${chunk.uncompressedSize} uncompressed bytes for ${bytes.byteLength} ${chunk.codec} bytes`);
  }
  const limit = Math.min(MAX_PAGE_BYTES, chunk.uncompressedSize + HEADER_SLACK);
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  while (reader.offset < bytes.byteLength) {
    const at = reader.offset;
    let h: { field_2?: unknown; field_3?: unknown };
    try {
      h = deserializeTCompactProtocol(reader) as typeof h;
    } catch (err) {
      throw corrupt(store, key, `${where}: unreadable page header at chunk offset ${at}`, err);
    }
    const uncompressed = Number(h.field_2);
    const compressed = Number(h.field_3);
    if (!Number.isInteger(uncompressed) || !Number.isInteger(compressed) || uncompressed < 0 || compressed < 0) {
      throw corrupt(store, key, `${where}: page header at chunk offset ${at} has no valid sizes`);
    }
    if (reader.offset > bytes.byteLength || compressed > bytes.byteLength - reader.offset) {
      throw corrupt(store, key, `${where}: page at chunk offset ${at} declares ${compressed} bytes, ${Math.max(0, bytes.byteLength - reader.offset)} remain in the chunk`);
    }
    if (uncompressed > limit) {
      throw corrupt(store, key, `${where}: page at chunk offset ${at} declares ${uncompressed} uncompressed bytes (the chunk totals ${chunk.uncompressedSize})`);
    }
    reader.offset += compressed;
  }
}
