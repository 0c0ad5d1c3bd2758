/**
 * Avro object-container files for manifests and manifest lists. Datums are encoded by avsc and
 * decoded by a bounds-checked decoder of our own (files are untrusted input); the container (header, blocks, sync markers) is framed here so that the
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

/**
 * Upper bound on one block's inflated size: a manifest block holds at most a few thousand
 * entries (we write 4096 per block), far below this; a deflate bomb stops here instead of
 * exhausting memory.
 */
export const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

/**
 * Reads a container file. Every length, count and size in it is untrusted: each is checked
 * against the bytes that remain before it is used (a block count can never exceed the bytes of
 * its block, since every record of a manifest schema takes at least one byte), so a corrupt file
 * is a `CORRUPT_FILE` error naming it — never a hang, a huge allocation or a crash. The datums are
 * decoded by `compile` below (not avsc, whose array/map decoding trusts block counts).
 */
export function readAvroContainer(bytes: Uint8Array, where: string): AvroFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (msg: string, cause?: unknown): never => {
    throw new LakehouseError('CORRUPT_FILE', `${where} is not a readable Avro file: ${msg}`, {
      cause,
      help: 'The file was damaged or is not an Avro manifest; restore it from a backup, or roll the table back to a snapshot that does not use it.',
      details: { file: where },
    });
  };
  if (buf.byteLength < 4 || !buf.subarray(0, 4).equals(MAGIC)) fail('bad magic bytes');
  const head = new Cursor(buf, 4, fail);
  const metadata: Record<string, string> = {};
  for (;;) {
    let count = head.long();
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      head.long(); // block size in bytes, unused
    }
    if (count > head.remaining()) fail('header map count exceeds the file size');
    for (let i = 0; i < count; i++) {
      const k = head.bytes().toString('utf8');
      metadata[k] = head.bytes().toString('utf8');
    }
  }
  const sync = head.take(16);
  let pos = head.pos;
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') fail(`unsupported codec "${codec}"`);
  let schema: Record<string, unknown>;
  try {
    schema = JSON.parse(metadata['avro.schema'] ?? '') as Record<string, unknown>;
  } catch (err) {
    return fail('header has no valid avro.schema', err);
  }
  let reader: Reader;
  try {
    reader = compile(schema, new Map(), '');
  } catch (err) {
    return fail(`header schema is not a valid Avro schema: ${(err as Error).message}`, err);
  }
  const records: unknown[] = [];
  while (pos < buf.byteLength) {
    const c = new Cursor(buf, pos, fail);
    const count = c.long();
    const size = c.long();
    if (count < 0 || size < 0) fail(`negative block count or size at offset ${pos}`);
    if (size + 16 > c.remaining()) fail(`block at offset ${pos} declares ${size} bytes but only ${c.remaining()} remain`);
    const raw = c.take(size);
    if (!c.take(16).equals(sync)) fail('sync marker mismatch');
    pos = c.pos;
    let data: Buffer;
    try {
      data = codec === 'deflate' ? inflateRawSync(raw, { maxOutputLength: MAX_BLOCK_BYTES }) : raw;
    } catch (err) {
      return fail('corrupt deflate block', err);
    }
    if (count > data.byteLength) fail(`block at offset ${pos} declares ${count} records in ${data.byteLength} bytes`);
    const d = new Cursor(data, 0, fail);
    for (let i = 0; i < count; i++) records.push(reader(d));
    if (d.remaining() !== 0) fail(`block declares ${count} records but ${d.remaining()} bytes are left over`);
  }
  return { schema, metadata, records };
}

/** A bounds-checked reader over one buffer; every read fails (via `fail`) instead of overrunning. */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly fail: (msg: string) => never,
  ) {}

  remaining(): number {
    return this.buf.byteLength - this.pos;
  }

  take(n: number): Buffer {
    if (n < 0 || n > this.remaining()) this.fail(`truncated (wanted ${n} bytes at offset ${this.pos}, ${this.remaining()} remain)`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Zig-zag varint, at most 10 bytes; as a number (callers bound it) — see `bigLong` for datums. */
  long(): number {
    return Number(this.bigLong());
  }

  bigLong(): bigint {
    let v = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (i >= 10) this.fail(`varint longer than 10 bytes at offset ${this.pos}`);
      if (this.pos >= this.buf.byteLength) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    v = BigInt.asUintN(64, v);
    return (v >> 1n) ^ -(v & 1n);
  }

  int(): number {
    const v = this.bigLong();
    if (v < -2147483648n || v > 2147483647n) this.fail(`int out of range at offset ${this.pos}`);
    return Number(v);
  }

  bytes(): Buffer {
    const n = this.long();
    if (n < 0) this.fail(`negative length at offset ${this.pos}`);
    return this.take(n);
  }

  /** Item count of one array/map block (negative: followed by its byte size), bounded by the bytes left. */
  blockCount(): number {
    let n = this.long();
    if (n < 0) {
      n = -n;
      this.long();
    }
    // Every array or map item takes at least one byte in our schemas (null-only items do not occur).
    if (n > this.remaining()) this.fail(`array/map block of ${n} items exceeds the ${this.remaining()} bytes left`);
    return n;
  }
}

type Reader = (c: Cursor) => unknown;

/**
 * Compiles an Avro schema (the writer's, from the header) into a decoder producing the values
 * avsc would: records as plain objects, unions unwrapped, `long` as bigint, bytes/fixed as Buffer,
 * maps as objects. Named types may be referenced by name after their definition.
 */
function compile(s: unknown, named: Map<string, Reader>, ns: string): Reader {
  if (typeof s === 'string') {
    switch (s) {
      case 'null':
        return () => null;
      case 'boolean':
        return (c) => {
          const b = c.take(1)[0]!;
          if (b > 1) c.fail(`bad boolean byte ${b} at offset ${c.pos - 1}`);
          return b === 1;
        };
      case 'int':
        return (c) => c.int();
      case 'long':
        return (c) => c.bigLong();
      case 'float':
        return (c) => c.take(4).readFloatLE(0);
      case 'double':
        return (c) => c.take(8).readDoubleLE(0);
      case 'bytes':
        return (c) => Buffer.from(c.bytes());
      case 'string':
        return (c) => c.bytes().toString('utf8');
      default: {
        const r = named.get(s.includes('.') || !ns ? s : `${ns}.${s}`) ?? named.get(s);
        if (!r) throw new Error(`unknown type name "${s}"`);
        return (c) => r(c);
      }
    }
  }
  if (Array.isArray(s)) {
    const branches = s.map((b) => compile(b, named, ns));
    return (c) => {
      const i = c.long();
      const br = branches[i];
      if (!br) return c.fail(`union branch ${i} out of range at offset ${c.pos}`);
      return br(c);
    };
  }
  if (typeof s !== 'object' || s === null) throw new Error(`bad schema ${JSON.stringify(s)}`);
  const o = s as Record<string, unknown>;
  const fullName = (): string => {
    const name = String(o.name ?? '');
    const space = typeof o.namespace === 'string' ? o.namespace : ns;
    return name.includes('.') || !space ? name : `${space}.${name}`;
  };
  switch (o.type) {
    case 'record':
    case 'error': {
      const full = fullName();
      const inner = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
      const fields: Array<[string, Reader]> = [];
      const rec: Reader = (c) => {
        const out: Record<string, unknown> = {};
        for (const [name, r] of fields) out[name] = r(c);
        return out;
      };
      named.set(full, rec);
      for (const f of (o.fields as Array<{ name: string; type: unknown }>) ?? []) fields.push([f.name, compile(f.type, named, inner)]);
      return rec;
    }
    case 'enum': {
      const symbols = (o.symbols as string[]) ?? [];
      const r: Reader = (c) => {
        const i = c.long();
        if (i < 0 || i >= symbols.length) c.fail(`enum index ${i} out of range at offset ${c.pos}`);
        return symbols[i];
      };
      named.set(fullName(), r);
      return r;
    }
    case 'fixed': {
      const size = Number(o.size);
      const r: Reader = (c) => Buffer.from(c.take(size));
      named.set(fullName(), r);
      return r;
    }
    case 'array': {
      const item = compile(o.items, named, ns);
      return (c) => {
        const out: unknown[] = [];
        for (let n = c.blockCount(); n !== 0; n = c.blockCount()) for (let i = 0; i < n; i++) out.push(item(c));
        return out;
      };
    }
    case 'map': {
      const value = compile(o.values, named, ns);
      return (c) => {
        const out: Record<string, unknown> = {};
        for (let n = c.blockCount(); n !== 0; n = c.blockCount()) for (let i = 0; i < n; i++) out[c.bytes().toString('utf8')] = value(c);
        return out;
      };
    }
    default:
      // A primitive with attributes, e.g. { type: 'long', logicalType: 'timestamp-micros' }.
      return compile(o.type, named, ns);
  }
}
