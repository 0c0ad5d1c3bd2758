/**
 * NDJSON import (one JSON object per line) into Arrow record batches of an explicit or
 * inferred Iceberg schema, streamed with bounded memory (one read chunk, one partial line of
 * at most `maxLineBytes`, the inference sample, one batch). Keys map to columns by name; keys
 * the schema does not have make the record bad (never silently dropped). JSON numbers beyond
 * 2^53 are refused for long columns because JSON.parse has already rounded them; quote them.
 */

import type * as arrow from 'apache-arrow';
import { LakehouseError } from './errors.js';
import type { Schema } from './iceberg-types.js';
import { assembleBatches, BadRecords, BatchAssembler, DEFAULT_IMPORT_BATCH, inferSchema, objectChunks, type ImportOptions } from './import-common.js';
import type { ObjectStore } from './object-store.js';

export interface NdjsonOptions extends ImportOptions {
  /** Longest accepted line (default 16 MiB); a longer one is a BAD_RECORD error. */
  maxLineBytes?: number;
}

interface JsonRecord {
  obj: Record<string, unknown>;
  line: number;
}

async function* jsonRecords(store: ObjectStore, key: string, options: NdjsonOptions, bad: BadRecords): AsyncGenerator<JsonRecord> {
  const decoder = new TextDecoder('utf-8');
  const max = options.maxLineBytes ?? 16 * 1024 * 1024;
  let rest = '';
  let line = 0;
  const parseLine = (text: string, n: number): JsonRecord | undefined => {
    const t = text.trim();
    if (t === '') return undefined;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (err) {
      bad.report(n, `invalid JSON (${(err as Error).message})`);
      return undefined;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      bad.report(n, 'the line is not a JSON object');
      return undefined;
    }
    return { obj: v as Record<string, unknown>, line: n };
  };
  for await (const chunk of objectChunks(store, key, options.chunkSize, options.signal)) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const r = parseLine(text.slice(start, nl), ++line);
      if (r) yield r;
      start = nl + 1;
    }
    rest = text.slice(start);
    if (rest.length > max) {
      throw new LakehouseError('BAD_RECORD', `${store.uriFor(key)} line ${line + 1}: line longer than ${max} bytes`, {
        help: 'Raise maxLineBytes if the file really has such long records.',
        details: { file: store.uriFor(key), line: line + 1 },
      });
    }
  }
  const r = parseLine(rest + decoder.decode(), ++line);
  if (r) yield r;
}

/** Streams an NDJSON object as record batches. */
export function readNdjson(store: ObjectStore, key: string, options: NdjsonOptions = {}): AsyncIterable<arrow.RecordBatch> {
  return { [Symbol.asyncIterator]: () => ndjsonBatches(store, key, options)[Symbol.asyncIterator]() };
}

/** Infers the schema of an NDJSON object from its first `inferRows` records. */
export async function inferNdjsonSchema(store: ObjectStore, key: string, options: NdjsonOptions = {}): Promise<Schema> {
  const file = store.uriFor(key);
  const it = jsonRecords(store, key, { ...options, errors: 'collect' }, new BadRecords(file, { errors: 'collect' }));
  try {
    return schemaFromSample(file, await sampleOf(it, options.inferRows ?? 1000));
  } finally {
    await it.return(undefined);
  }
}

async function sampleOf(it: AsyncGenerator<JsonRecord>, n: number): Promise<JsonRecord[]> {
  const out: JsonRecord[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

function schemaFromSample(file: string, sample: JsonRecord[]): Schema {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of sample) for (const k of Object.keys(r.obj)) if (!seen.has(k)) (seen.add(k), names.push(k));
  return inferSchema(file, names, sample.map((r) => names.map((n) => r.obj[n])));
}

async function* ndjsonBatches(store: ObjectStore, key: string, options: NdjsonOptions): AsyncGenerator<arrow.RecordBatch> {
  const file = store.uriFor(key);
  const bad = new BadRecords(file, options);
  const it = jsonRecords(store, key, options, bad);
  try {
    const sample = options.schema ? [] : await sampleOf(it, options.inferRows ?? 1000);
    const schema = options.schema ?? schemaFromSample(file, sample);
    for (const f of schema.fields) {
      if (typeof f.type !== 'string') throw new LakehouseError('UNSUPPORTED', `column "${f.name}" has a nested type; NDJSON import supports primitive columns only`);
    }
    const names = schema.fields.map((f) => f.name);
    const known = new Set(names);
    const asm = new BatchAssembler(schema, bad);
    const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH;
    const row: unknown[] = new Array(names.length);
    const isNull = (v: unknown): boolean => v === null;
    const take = (r: JsonRecord): void => {
      for (const k in r.obj) {
        if (!known.has(k)) {
          bad.report(r.line, `field "${k}" is not in the schema`, k);
          return;
        }
      }
      for (let i = 0; i < names.length; i++) row[i] = r.obj[names[i]!];
      asm.add(row, r.line, isNull);
    };
    yield* assembleBatches(sample, it, take, asm, batchSize);
  } finally {
    await it.return(undefined);
  }
}
