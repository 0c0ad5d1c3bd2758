/**
 * A deterministic TPC-H-like data generator: `lineitem`, `orders`, `part`, `customer` at a scale
 * factor (SF 1 ≈ 1.5M orders, 6M line items, 200k parts, 150k customers), as Arrow batches.
 * Value distributions follow the TPC-H spec closely enough for Q1/Q3/Q6-style queries to select
 * realistic fractions (dates 1992-01-01…1998-08-02, flags by the 1995-06-17 cutoff, quantity
 * 1–50, discount 0–0.10, tax 0–0.08, prices from the part key), but it is not dbgen: money is
 * double, text columns come from small vocabularies. Every chunk of orders has its own seeded
 * generator, so output is identical on every machine and independent of batch size.
 */

import { Data, Float64, Int32, Int64, makeData, RecordBatch, Schema, Field, Struct, Utf8, DateDay, Vector } from 'apache-arrow';
import { seededRandom } from './sales.js';

export type TpchTable = 'lineitem' | 'orders' | 'part' | 'customer';

export const TPCH_EPOCH_START = daysSinceEpoch('1992-01-01');
export const TPCH_EPOCH_END = daysSinceEpoch('1998-08-02');
const CURRENT_DATE = daysSinceEpoch('1995-06-17');
const ORDERS_PER_CHUNK = 25_000;

function daysSinceEpoch(iso: string): number {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
}

export function rowCounts(sf: number): { orders: number; part: number; customer: number } {
  return { orders: Math.max(1, Math.round(1_500_000 * sf)), part: Math.max(1, Math.round(200_000 * sf)), customer: Math.max(1, Math.round(150_000 * sf)) };
}

const SHIP_INSTRUCT = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
const SHIP_MODE = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
const PRIORITY = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'];
const CONTAINERS = ['SM CASE', 'SM BOX', 'MED BAG', 'MED BOX', 'LG CASE', 'LG BOX', 'JUMBO PACK', 'WRAP DRUM'];
const TYPES = ['STANDARD ANODIZED TIN', 'SMALL PLATED COPPER', 'MEDIUM BURNISHED NICKEL', 'LARGE BRUSHED BRASS', 'ECONOMY POLISHED STEEL', 'PROMO PLATED TIN'];
const WORDS = ['furiously', 'quickly', 'carefully', 'blithely', 'slyly', 'ironic', 'final', 'regular', 'express', 'pending', 'deposits', 'requests', 'packages', 'accounts', 'theodolites', 'pinto beans', 'asymptotes', 'foxes'];

/** Builds a Utf8 vector straight from offsets and bytes (no per-value builder objects). */
class StringColumn {
  private readonly enc = new TextEncoder();
  private bytes = new Uint8Array(1 << 16);
  private readonly offsets: Int32Array;
  private used = 0;
  private n = 0;
  constructor(capacity: number) {
    this.offsets = new Int32Array(capacity + 1);
  }
  push(s: string): void {
    const need = this.used + s.length * 3;
    if (need > this.bytes.length) {
      const next = new Uint8Array(Math.max(need, this.bytes.length * 2));
      next.set(this.bytes.subarray(0, this.used));
      this.bytes = next;
    }
    this.used += this.enc.encodeInto(s, this.bytes.subarray(this.used)).written;
    this.offsets[++this.n] = this.used;
  }
  data(): Data<Utf8> {
    return makeData({ type: new Utf8(), length: this.n, valueOffsets: this.offsets.subarray(0, this.n + 1), data: this.bytes.slice(0, this.used) });
  }
}

function batch(fields: [string, Data][]): RecordBatch {
  const schema = new Schema(fields.map(([name, d]) => new Field(name, d.type, false)));
  const length = fields[0]![1].length;
  const data = makeData({ type: new Struct(schema.fields), length, children: fields.map(([, d]) => d) });
  return new RecordBatch(schema, data);
}

const i64 = (a: BigInt64Array): Data => makeData({ type: new Int64(), length: a.length, data: a });
const i32 = (a: Int32Array): Data => makeData({ type: new Int32(), length: a.length, data: a });
const f64 = (a: Float64Array): Data => makeData({ type: new Float64(), length: a.length, data: a });
const date = (a: Int32Array): Data => makeData({ type: new DateDay(), length: a.length, data: a });

function retailPrice(partkey: number): number {
  return (90_000 + Math.floor(partkey / 10) % 20_001 + 100 * (partkey % 1000)) / 100;
}

function comment(rnd: () => number, words: number): string {
  let s = WORDS[Math.floor(rnd() * WORDS.length)]!;
  for (let i = 1; i < words; i++) s += ` ${WORDS[Math.floor(rnd() * WORDS.length)]!}`;
  return s;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Orders and their line items for one chunk of order numbers (deterministic per chunk). */
function ordersChunk(sf: number, chunk: number): { orders: RecordBatch; lineitem: RecordBatch } {
  const counts = rowCounts(sf);
  const first = chunk * ORDERS_PER_CHUNK;
  const n = Math.min(ORDERS_PER_CHUNK, counts.orders - first);
  const rnd = seededRandom(0x7c0ffee ^ (chunk * 2654435761));
  const oKey = new BigInt64Array(n), oCust = new BigInt64Array(n), oDate = new Int32Array(n), oShipPri = new Int32Array(n);
  const oTotal = new Float64Array(n);
  const oStatus = new StringColumn(n), oPri = new StringColumn(n), oClerk = new StringColumn(n), oComment = new StringColumn(n);
  const maxLines = n * 7;
  const lOrder = new BigInt64Array(maxLines), lPart = new BigInt64Array(maxLines), lSupp = new BigInt64Array(maxLines);
  const lLine = new Int32Array(maxLines), lShip = new Int32Array(maxLines), lCommit = new Int32Array(maxLines), lReceipt = new Int32Array(maxLines);
  const lQty = new Float64Array(maxLines), lPrice = new Float64Array(maxLines), lDisc = new Float64Array(maxLines), lTax = new Float64Array(maxLines);
  const lFlag = new StringColumn(maxLines), lStatus = new StringColumn(maxLines), lInstr = new StringColumn(maxLines), lMode = new StringColumn(maxLines), lComment = new StringColumn(maxLines);
  let li = 0;
  for (let i = 0; i < n; i++) {
    const ordinal = first + i;
    // TPC-H order keys are sparse: 8 used out of every 32.
    const orderkey = BigInt(Math.floor(ordinal / 8) * 32 + (ordinal % 8) + 1);
    const odate = TPCH_EPOCH_START + Math.floor(rnd() * (TPCH_EPOCH_END - 151 - TPCH_EPOCH_START));
    oKey[i] = orderkey;
    oCust[i] = BigInt(1 + Math.floor(rnd() * counts.customer));
    oDate[i] = odate;
    oShipPri[i] = 0;
    oPri.push(PRIORITY[Math.floor(rnd() * PRIORITY.length)]!);
    oClerk.push(`Clerk#${String(1 + Math.floor(rnd() * Math.max(1, 1000 * sf))).padStart(9, '0')}`);
    oComment.push(comment(rnd, 4));
    const lines = 1 + Math.floor(rnd() * 7);
    let total = 0;
    let shipped = 0;
    for (let l = 0; l < lines; l++, li++) {
      const partkey = 1 + Math.floor(rnd() * counts.part);
      const qty = 1 + Math.floor(rnd() * 50);
      const price = round2(qty * retailPrice(partkey));
      const disc = Math.floor(rnd() * 11) / 100;
      const tax = Math.floor(rnd() * 9) / 100;
      const ship = odate + 1 + Math.floor(rnd() * 121);
      const receipt = ship + 1 + Math.floor(rnd() * 30);
      lOrder[li] = orderkey;
      lPart[li] = BigInt(partkey);
      lSupp[li] = BigInt(1 + ((partkey + l * Math.floor(rnd() * 4)) % Math.max(1, Math.round(10_000 * sf))));
      lLine[li] = l + 1;
      lQty[li] = qty;
      lPrice[li] = price;
      lDisc[li] = disc;
      lTax[li] = tax;
      lShip[li] = ship;
      lCommit[li] = odate + 30 + Math.floor(rnd() * 61);
      lReceipt[li] = receipt;
      lFlag.push(receipt <= CURRENT_DATE ? (rnd() < 0.5 ? 'R' : 'A') : 'N');
      const status = ship > CURRENT_DATE ? 'O' : 'F';
      if (status === 'F') shipped++;
      lStatus.push(status);
      lInstr.push(SHIP_INSTRUCT[Math.floor(rnd() * SHIP_INSTRUCT.length)]!);
      lMode.push(SHIP_MODE[Math.floor(rnd() * SHIP_MODE.length)]!);
      lComment.push(comment(rnd, 3));
      total += price * (1 + tax) * (1 - disc);
    }
    oTotal[i] = round2(total);
    oStatus.push(shipped === lines ? 'F' : shipped === 0 ? 'O' : 'P');
  }
  const orders = batch([
    ['o_orderkey', i64(oKey)], ['o_custkey', i64(oCust)], ['o_orderstatus', oStatus.data()], ['o_totalprice', f64(oTotal)],
    ['o_orderdate', date(oDate)], ['o_orderpriority', oPri.data()], ['o_clerk', oClerk.data()], ['o_shippriority', i32(oShipPri)],
    ['o_comment', oComment.data()],
  ]);
  const lineitem = batch([
    ['l_orderkey', i64(lOrder.slice(0, li))], ['l_partkey', i64(lPart.slice(0, li))], ['l_suppkey', i64(lSupp.slice(0, li))],
    ['l_linenumber', i32(lLine.slice(0, li))], ['l_quantity', f64(lQty.slice(0, li))], ['l_extendedprice', f64(lPrice.slice(0, li))],
    ['l_discount', f64(lDisc.slice(0, li))], ['l_tax', f64(lTax.slice(0, li))], ['l_returnflag', lFlag.data()], ['l_linestatus', lStatus.data()],
    ['l_shipdate', date(lShip.slice(0, li))], ['l_commitdate', date(lCommit.slice(0, li))], ['l_receiptdate', date(lReceipt.slice(0, li))],
    ['l_shipinstruct', lInstr.data()], ['l_shipmode', lMode.data()], ['l_comment', lComment.data()],
  ]);
  return { orders, lineitem };
}

function partBatch(sf: number): RecordBatch {
  const n = rowCounts(sf).part;
  const rnd = seededRandom(0x9a27);
  const key = new BigInt64Array(n), size = new Int32Array(n), price = new Float64Array(n);
  const name = new StringColumn(n), mfgr = new StringColumn(n), brand = new StringColumn(n), type = new StringColumn(n), cont = new StringColumn(n);
  for (let i = 0; i < n; i++) {
    key[i] = BigInt(i + 1);
    const m = 1 + Math.floor(rnd() * 5);
    name.push(comment(rnd, 2));
    mfgr.push(`Manufacturer#${m}`);
    brand.push(`Brand#${m}${1 + Math.floor(rnd() * 5)}`);
    type.push(TYPES[Math.floor(rnd() * TYPES.length)]!);
    size[i] = 1 + Math.floor(rnd() * 50);
    cont.push(CONTAINERS[Math.floor(rnd() * CONTAINERS.length)]!);
    price[i] = retailPrice(i + 1);
  }
  return batch([
    ['p_partkey', i64(key)], ['p_name', name.data()], ['p_mfgr', mfgr.data()], ['p_brand', brand.data()], ['p_type', type.data()],
    ['p_size', i32(size)], ['p_container', cont.data()], ['p_retailprice', f64(price)],
  ]);
}

function customerBatch(sf: number): RecordBatch {
  const n = rowCounts(sf).customer;
  const rnd = seededRandom(0xc057);
  const key = new BigInt64Array(n), nation = new Int32Array(n), bal = new Float64Array(n);
  const name = new StringColumn(n), seg = new StringColumn(n), phone = new StringColumn(n);
  for (let i = 0; i < n; i++) {
    key[i] = BigInt(i + 1);
    name.push(`Customer#${String(i + 1).padStart(9, '0')}`);
    nation[i] = Math.floor(rnd() * 25);
    phone.push(`${10 + nation[i]!}-${100 + Math.floor(rnd() * 900)}-${100 + Math.floor(rnd() * 900)}-${1000 + Math.floor(rnd() * 9000)}`);
    bal[i] = round2(-999.99 + rnd() * 10_999.98);
    seg.push(SEGMENTS[Math.floor(rnd() * SEGMENTS.length)]!);
  }
  return batch([
    ['c_custkey', i64(key)], ['c_name', name.data()], ['c_nationkey', i32(nation)], ['c_phone', phone.data()],
    ['c_acctbal', f64(bal)], ['c_mktsegment', seg.data()],
  ]);
}

/** The batches of one table at a scale factor, generated lazily chunk by chunk. */
export function* generateTpch(table: TpchTable, sf: number): Generator<RecordBatch> {
  if (table === 'part') {
    yield partBatch(sf);
    return;
  }
  if (table === 'customer') {
    yield customerBatch(sf);
    return;
  }
  const chunks = Math.ceil(rowCounts(sf).orders / ORDERS_PER_CHUNK);
  for (let c = 0; c < chunks; c++) yield ordersChunk(sf, c)[table];
}

/** CSV text of a batch (header included when `header`), ISO dates, no quoting needed. */
export function batchToCsv(b: RecordBatch, header: boolean): string {
  const cols = b.schema.fields.map((f, i) => ({ f, v: b.getChildAt(i) as Vector }));
  const lines: string[] = header ? [cols.map((c) => c.f.name).join(',')] : [];
  const isDate = cols.map((c) => c.f.type instanceof DateDay);
  const raw = cols.map((c) => c.v.data[0]!.values as ArrayLike<unknown>);
  for (let r = 0; r < b.numRows; r++) {
    let line = '';
    for (let c = 0; c < cols.length; c++) {
      if (c) line += ',';
      if (isDate[c]) line += new Date(Number(raw[c]![r]) * 86_400_000).toISOString().slice(0, 10);
      else line += String(cols[c]!.v.get(r));
    }
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
