/**
 * Deterministic TPC-H-lineitem-like data (same 16 columns and types, similar value
 * distributions; not the dbgen algorithm) as Arrow record batches with Iceberg field ids.
 * The same `rows` and `seed` always give the same data.
 */

import type * as arrow from 'apache-arrow';
import { batchFromBuilders, ColumnBuilder, icebergSchemaToArrow, type PrimitiveType, type Schema } from '../../connectors/index.js';

export const LINEITEM_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: (
    [
      ['l_orderkey', 'long'], ['l_partkey', 'long'], ['l_suppkey', 'long'], ['l_linenumber', 'int'],
      ['l_quantity', 'decimal(15,2)'], ['l_extendedprice', 'decimal(15,2)'], ['l_discount', 'decimal(15,2)'], ['l_tax', 'decimal(15,2)'],
      ['l_returnflag', 'string'], ['l_linestatus', 'string'], ['l_shipdate', 'date'], ['l_commitdate', 'date'],
      ['l_receiptdate', 'date'], ['l_shipinstruct', 'string'], ['l_shipmode', 'string'], ['l_comment', 'string'],
    ] as [string, PrimitiveType][]
  ).map(([name, type], i) => ({ id: i + 1, name, required: true, type })),
};

const INSTRUCT = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
const MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
const WORDS = 'furiously quickly carefully blithely slyly ironic final pending regular express special bold even silent unusual deposits requests accounts packages theodolites instructions foxes pinto beans ideas dependencies platelets asymptotes courts dolphins'.split(' ');
const D1992 = 8035; // 1992-01-01 in days since 1970
const CUTOFF = 9298; // 1995-06-17

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Yields `rows` lineitem rows in batches of `batchSize`. */
export function* generateLineitem(rows: number, options: { batchSize?: number; seed?: number } = {}): Generator<arrow.RecordBatch> {
  const batchSize = options.batchSize ?? 65_536;
  const r = prng(options.seed ?? 42);
  const arrowSchema = icebergSchemaToArrow(LINEITEM_SCHEMA);
  const b = LINEITEM_SCHEMA.fields.map((f) => new ColumnBuilder(f.type as PrimitiveType));
  let order = 1n;
  let line = 1;
  let linesInOrder = 1 + Math.floor(r() * 7);
  let orderDate = D1992;
  for (let i = 0; i < rows; i++) {
    if (line > linesInOrder) {
      order += 1n + BigInt(Math.floor(r() * 4));
      line = 1;
      linesInOrder = 1 + Math.floor(r() * 7);
      orderDate = D1992 + Math.floor(r() * 2405);
    }
    const part = 1 + Math.floor(r() * 200_000);
    const qty = 1 + Math.floor(r() * 50);
    const price = BigInt(qty) * BigInt(90_000 + (Math.floor(part / 10) % 20_001) + 100 * (part % 1000));
    const ship = orderDate + 1 + Math.floor(r() * 121);
    const receipt = ship + 1 + Math.floor(r() * 30);
    const words = 2 + Math.floor(r() * 6);
    let comment = '';
    for (let w = 0; w < words; w++) comment += (w ? ' ' : '') + WORDS[Math.floor(r() * WORDS.length)];
    b[0]!.append(order);
    b[1]!.append(BigInt(part));
    b[2]!.append(BigInt(1 + Math.floor(r() * 10_000)));
    b[3]!.append(line);
    b[4]!.append(BigInt(qty) * 100n);
    b[5]!.append(price);
    b[6]!.append(BigInt(Math.floor(r() * 11)));
    b[7]!.append(BigInt(Math.floor(r() * 9)));
    b[8]!.append(receipt <= CUTOFF ? (r() < 0.5 ? 'R' : 'A') : 'N');
    b[9]!.append(ship > CUTOFF ? 'O' : 'F');
    b[10]!.append(ship);
    b[11]!.append(orderDate + 30 + Math.floor(r() * 61));
    b[12]!.append(receipt);
    b[13]!.append(INSTRUCT[Math.floor(r() * 4)]!);
    b[14]!.append(MODES[Math.floor(r() * 7)]!);
    b[15]!.append(comment);
    line++;
    if (b[0]!.length === batchSize) yield batchFromBuilders(arrowSchema, b);
  }
  if (b[0]!.length > 0) yield batchFromBuilders(arrowSchema, b);
}
