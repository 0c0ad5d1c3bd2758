/**
 * Avro object-container files for manifests and manifest lists. Datums are encoded and
 * decoded by avsc; the container (header, blocks, sync markers) is framed here so that the
 * header carries the schema JSON exactly as given — with Iceberg's `field-id` attributes
 * (measured: avsc drops them when it writes a header from a parsed Type) — and so that every
 * Avro `long` is a JS `bigint` (snapshot ids exceed 2^53; avsc's default long type refuses them).
 * Codecs: `null` and `deflate`. Pure (bytes in, bytes out).
 */

import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { LakehouseError } from '../connectors/errors.js';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);

const bigLong = avro.types.LongType.__with({
  fromBuffer: (b: Buffer) => b.readBigInt64LE(0),
  toBuffer: (n: bigint | number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(n));
    return b;
  },
  fromJSON: (x: unknown) => BigInt(x as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || (typeof n === 'number' && Number.isSafeInteger(n)),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** Builds an avsc type in which every `long` reads and writes as `bigint`. */
export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    typeHook: (s: unknown) => (s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long') ? (bigLong as unknown as avro.Type) : undefined),
  } as never);
}

const headerType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const longType = avroType('long');

export type AvroCodec = 'null' | 'deflate';

export function writeAvroContainer(schema: object, records: unknown[], metadata: Record<string, string>, codec: AvroCodec = 'deflate'): Uint8Array {
  const type = avroType(schema);
  const meta: Record<string, Buffer> = { 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from(codec) };
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v);
  const sync = randomBytes(16);
  const parts: Buffer[] = [MAGIC, headerType.toBuffer(meta), sync];
  const BLOCK = 4096;
  for (let i = 0; i < records.length; i += BLOCK) {
    const chunk = records.slice(i, i + BLOCK);
    const datums = Buffer.concat(
      chunk.map((r) => {
        try {
          return type.toBuffer(r);
        } catch (err) {
          throw new LakehouseError('BAD_RECORD', `cannot encode a manifest record: ${(err as Error).message}`, { cause: err });
        }
      }),
    );
    const body = codec === 'deflate' ? deflateRawSync(datums) : datums;
    parts.push(longType.toBuffer(BigInt(chunk.length)), longType.toBuffer(BigInt(body.byteLength)), body, sync);
  }
  return new Uint8Array(Buffer.concat(parts));
}

export interface AvroFile {
  schema: Record<string, unknown>;
  metadata: Record<string, string>;
  records: unknown[];
}

export function readAvroContainer(bytes: Uint8Array, where: string): AvroFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (msg: string, cause?: unknown): never => {
    throw new LakehouseError('CORRUPT_FILE', `${where} is not a readable Avro file: ${msg}`, { cause, details: { file: where } });
  };
  if (buf.byteLength < 4 || !buf.subarray(0, 4).equals(MAGIC)) fail('bad magic bytes');
  let pos = 4;
  const dec = (t: avro.Type): unknown => {
    const r = t.decode(buf, pos) as { value: unknown; offset: number };
    if (r.offset < 0) fail('truncated');
    pos = r.offset;
    return r.value;
  };
  const meta = dec(headerType) as Record<string, Buffer>;
  const sync = buf.subarray(pos, pos + 16);
  pos += 16;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) metadata[k] = v.toString('utf8');
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') fail(`unsupported codec "${codec}"`);
  let schema: Record<string, unknown>;
  try {
    schema = JSON.parse(metadata['avro.schema'] ?? '') as Record<string, unknown>;
  } catch (err) {
    return fail('header has no valid avro.schema', err);
  }
  const type = avroType(schema);
  const records: unknown[] = [];
  while (pos < buf.byteLength) {
    const count = Number(dec(longType) as bigint);
    const size = Number(dec(longType) as bigint);
    if (pos + size + 16 > buf.byteLength) fail('truncated block');
    const raw = buf.subarray(pos, pos + size);
    pos += size;
    if (!buf.subarray(pos, pos + 16).equals(sync)) fail('sync marker mismatch');
    pos += 16;
    let data: Buffer;
    try {
      data = codec === 'deflate' ? inflateRawSync(raw) : raw;
    } catch (err) {
      return fail('corrupt deflate block', err);
    }
    let p = 0;
    for (let i = 0; i < count; i++) {
      const r = type.decode(data, p) as { value: unknown; offset: number };
      if (r.offset < 0) fail('truncated record');
      records.push(r.value);
      p = r.offset;
    }
  }
  return { schema, metadata, records };
}
