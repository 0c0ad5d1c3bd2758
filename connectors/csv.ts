/**
 * CSV import: a store object streamed through the tokenizer of csv-tokenizer.ts into Arrow
 * record batches of an explicit or inferred Iceberg schema. Memory is bounded by one read
 * chunk, the tokenizer's carry-over, the inference sample and one batch. Quoted empty strings ("") stay empty strings;
 * unquoted tokens listed in `nullValues` (default: the empty field) are null.
 * Bad records (wrong field count, unparsable values, broken quoting) are reported with file,
 * line and reason; `errors: 'fail'` (default) throws BAD_RECORD at the first one.
 */

import type * as arrow from 'apache-arrow';
import { CsvTokenizer, NULL, type CsvSyntaxError, type CsvValue } from './csv-tokenizer.js';
import { LakehouseError } from './errors.js';
import type { Schema } from './iceberg-types.js';
import {
  assembleBatches,
  BadRecords,
  BatchAssembler,
  DEFAULT_IMPORT_BATCH,
  inferSchema,
  objectChunks,
  type ImportOptions,
} from './import-common.js';
import type { ObjectStore } from './object-store.js';

export interface CsvOptions extends ImportOptions {
  delimiter?: string;
  quote?: string;
  escape?: string;
  /** First record holds the column names (default true). */
  header?: boolean;
  /** Column names when there is no header (default column1, column2, …). */
  columnNames?: string[];
  /** Unquoted values that mean null (default ['']). */
  nullValues?: string[];
  /** Lines starting with this are comments. */
  comment?: string;
}

interface CsvRecord {
  values: CsvValue[];
  line: number;
}

/** Streams the records of a CSV object (header included) with their line numbers. */
async function* csvRecords(store: ObjectStore, key: string, options: CsvOptions, bad: BadRecords): AsyncGenerator<CsvRecord> {
  const tokenizer = new CsvTokenizer({
    delimiter: options.delimiter ?? ',',
    quote: options.quote ?? '"',
    escape: options.escape ?? '"',
    nullValues: new Set(options.nullValues ?? ['']),
    ...(options.comment ? { comment: options.comment } : {}),
  });
  const decoder = new TextDecoder('utf-8');
  const ready: CsvRecord[] = [];
  const onRecord = (r: CsvRecord): void => { ready.push(r); };
  const onError = (e: CsvSyntaxError): void => {
    bad.report(e.line, e.reason); // throws in 'fail' mode
    if (e.fatal) {
      throw new LakehouseError('BAD_RECORD', `${store.uriFor(key)} line ${e.line}: ${e.reason}`, {
        help: 'Fix the quoting of that record; nothing after it can be read.',
        details: { file: store.uriFor(key), line: e.line },
      });
    }
  };
  for await (const chunk of objectChunks(store, key, options.chunkSize, options.signal)) {
    tokenizer.push(decoder.decode(chunk, { stream: true }), false, onRecord, onError);
    yield* ready;
    ready.length = 0;
  }
  tokenizer.push(decoder.decode(), true, onRecord, onError);
  yield* ready;
}

/** Streams a CSV object as record batches. */
export function readCsv(store: ObjectStore, key: string, options: CsvOptions = {}): AsyncIterable<arrow.RecordBatch> {
  return { [Symbol.asyncIterator]: () => csvBatches(store, key, options)[Symbol.asyncIterator]() };
}

/** Infers the schema of a CSV object from its first `inferRows` records. */
export async function inferCsvSchema(store: ObjectStore, key: string, options: CsvOptions = {}): Promise<Schema> {
  const file = store.uriFor(key);
  const bad = new BadRecords(file, { ...options, errors: 'collect', onBadRecord: () => undefined });
  const it = csvRecords(store, key, { ...options, errors: 'collect' }, bad);
  try {
    const { names, sample } = await headerAndSample(it, options);
    return inferSchema(file, names, sample.map((r) => r.values.map((v) => (v === NULL ? null : v))));
  } finally {
    await it.return(undefined);
  }
}

async function headerAndSample(it: AsyncGenerator<CsvRecord>, options: CsvOptions): Promise<{ names: string[]; sample: CsvRecord[]; headerWidth: number }> {
  let names: string[] | undefined = options.columnNames;
  const sample: CsvRecord[] = [];
  const limit = options.inferRows ?? 1000;
  if (options.header ?? true) {
    const first = await it.next();
    if (first.done) return { names: names ?? [], sample, headerWidth: names?.length ?? 0 };
    const header = first.value.values.map((v, i) => (v === NULL || v.trim() === '' ? `column${i + 1}` : v.trim()));
    names ??= uniqueNames(header);
  }
  while (sample.length < limit) {
    const r = await it.next();
    if (r.done) break;
    sample.push(r.value);
  }
  names ??= Array.from({ length: sample[0]?.values.length ?? 0 }, (_, i) => `column${i + 1}`);
  return { names, sample, headerWidth: names.length };
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    return k === 0 ? n : `${n}_${k + 1}`;
  });
}

async function* csvBatches(store: ObjectStore, key: string, options: CsvOptions): AsyncGenerator<arrow.RecordBatch> {
  const file = store.uriFor(key);
  const bad = new BadRecords(file, options);
  const it = csvRecords(store, key, options, bad);
  try {
    const sampleOpts = options.schema ? { ...options, inferRows: 0 } : options;
    const { names, sample } = await headerAndSample(it, sampleOpts);
    const schema = options.schema ?? inferSchema(file, names, sample.map((r) => r.values.map((v) => (v === NULL ? null : v))));
    // Map schema fields to CSV positions by name.
    const pos = schema.fields.map((f) => {
      if (typeof f.type !== 'string') {
        throw new LakehouseError('UNSUPPORTED', `column "${f.name}" has a nested type; CSV import supports primitive columns only`);
      }
      const i = names.indexOf(f.name);
      if (i < 0 && f.required) {
        throw new LakehouseError('SCHEMA_MISMATCH', `${file} has no column "${f.name}", which the schema requires`, { details: { file, column: f.name } });
      }
      return i;
    });
    const known = new Set(schema.fields.map((f) => f.name));
    const extra = names.filter((n) => !known.has(n));
    if (extra.length > 0) {
      throw new LakehouseError('SCHEMA_MISMATCH', `${file} has column(s) ${extra.map((n) => `"${n}"`).join(', ')} that the schema does not have`, {
        help: 'Add them to the schema or remove them from the file.',
        details: { file, columns: extra },
      });
    }
    const asm = new BatchAssembler(schema, bad);
    const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH;
    const row: unknown[] = new Array(pos.length);
    const isNull = (v: unknown): boolean => v === NULL;
    const take = (r: CsvRecord): void => {
      if (r.values.length !== names.length) {
        bad.report(r.line, `expected ${names.length} fields, found ${r.values.length}`);
        return;
      }
      for (let k = 0; k < pos.length; k++) row[k] = pos[k]! < 0 ? null : r.values[pos[k]!];
      asm.add(row, r.line, isNull);
    };
    yield* assembleBatches(sample, it, take, asm, batchSize);
  } finally {
    await it.return(undefined);
  }
}
