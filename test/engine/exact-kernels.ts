/**
 * Helpers of the exact-aggregate suite: the built kernels (dist/), vectors built from JS values,
 * a two-phase aggregation driven like the executor drives it (partials per "task", optionally
 * through Arrow IPC, merged on a "coordinator"), and DuckDB as the oracle.
 */

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { rng } from '../helpers/prng.js';

export { rng };

const dist = (p: string): string => new URL(`../../dist/engine/${p}`, import.meta.url).href;

export const agg = (await import(dist('compute/aggregate.js'))) as typeof import('../../engine/compute/aggregate.js');
export const ht = (await import(dist('compute/hash-table.js'))) as typeof import('../../engine/compute/hash-table.js');
export const join = (await import(dist('compute/join.js'))) as typeof import('../../engine/compute/join.js');
export const part = (await import(dist('compute/partition.js'))) as typeof import('../../engine/compute/partition.js');
export const sort = (await import(dist('compute/sort.js'))) as typeof import('../../engine/compute/sort.js');
export const exact = (await import(dist('compute/exact.js'))) as typeof import('../../engine/compute/exact.js');
export const types = (await import(dist('plan/types.js'))) as typeof import('../../engine/plan/types.js');
export const ipc = (await import(dist('exec/ipc.js'))) as typeof import('../../engine/exec/ipc.js');

type Vec = import('../../engine/compute/vec.js').Vec;
type Chunk = import('../../engine/compute/vec.js').Chunk;
type DataType = import('../../engine/plan/types.js').DataType;
type AggCall = import('../../engine/plan/types.js').AggCall;
type AggFn = import('../../engine/plan/types.js').AggFn;
export type { Vec, Chunk, DataType, AggCall };

export type Val = bigint | number | string | null;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A vector of `type` from JS values: strings dictionary-encoded, float64 as doubles, exact types
 * (unscaled BigInts or integer numbers) as `num` when every value fits a double exactly, else as
 * `big` — or as `big` whatever the values with `forceBig`.
 */
export function vec(type: DataType, vals: Val[], forceBig = false): Vec {
  const n = vals.length;
  const hasNull = vals.some((v) => v === null);
  const valid = hasNull ? Uint8Array.from(vals, (v) => (v === null ? 0 : 1)) : null;
  if (types.isStringLike(type)) {
    const dict: string[] = [];
    const ids = new Map<string, number>();
    const codes = new Int32Array(n);
    vals.forEach((v, i) => {
      if (v === null) return;
      const s = String(v);
      let id = ids.get(s);
      if (id === undefined) { id = dict.length; dict.push(s); ids.set(s, id); }
      codes[i] = id;
    });
    return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
  }
  if (type === 'float64') return { t: 'num', type, values: Float64Array.from(vals, (v) => (v === null ? 0 : Number(v))), valid };
  const big = vals.map((v) => (v === null ? 0n : BigInt(v)));
  if (forceBig || big.some((x) => x > SAFE || x < -SAFE)) return { t: 'big', type, values: big, valid };
  return { t: 'num', type, values: Float64Array.from(big, Number), valid };
}

/** Value i of a vector as text for exact types (DuckDB's JSON form), a number for doubles. */
export function valueAt(v: Vec, i: number): Val {
  if (v.valid && !v.valid[i]) return null;
  if (v.t === 'str') return v.dict[v.codes[i]!]!;
  if (v.t === 'bool') return v.values[i] ? 'true' : 'false';
  const d = types.decimalParts(v.type);
  const x = v.t === 'big' ? v.values[i]! : v.values[i]!;
  if (v.type === 'float64') return Number.isNaN(x) ? 'NaN' : (x as number);
  if (d) return exact.formatDecimal(x as number | bigint, d.scale);
  return String(x);
}

export function rowsOf(c: Chunk): Val[][] {
  return Array.from({ length: c.length }, (_, i) => c.cols.map((v) => valueAt(v, i)));
}

/** Rows sorted by their text, for comparing group results whatever the group order. */
export function sorted(rows: Val[][]): Val[][] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

export function call(fn: AggFn, argType: DataType | null, distinct = false, argCol = 0): AggCall {
  return { fn, arg: argType === null ? null : { k: 'col', i: argCol, type: argType }, distinct, type: types.aggResultType(fn, argType ?? undefined) };
}

export interface Input {
  keys: Vec[];
  args: Array<Vec | null>;
  n: number;
}

/** Rows [a, b) of an input (every vector gathered). */
function slice(inp: Input, a: number, b: number): Input {
  const idx = Int32Array.from({ length: b - a }, (_, i) => a + i);
  const take = (v: Vec): Vec => {
    const valid = v.valid ? v.valid.slice(a, b) : null;
    if (v.t === 'num') return { ...v, values: v.values.slice(a, b), valid };
    if (v.t === 'big') return { ...v, values: Array.from(idx, (i) => v.values[i]!), valid };
    if (v.t === 'bool') return { ...v, values: v.values.slice(a, b), valid };
    return { ...v, codes: v.codes.slice(a, b), valid };
  };
  return { keys: inp.keys.map(take), args: inp.args.map((x) => (x ? take(x) : null)), n: b - a };
}

/**
 * Two-phase aggregation as the executor runs it: each of `tasks` gets every `tasks`-th input
 * (or, with fewer inputs than tasks, a contiguous share of each input), fed in chunks of `chunk`
 * rows; it emits its partial, which travels through Arrow IPC when `viaIPC`, and one merger
 * finishes.
 */
export function aggregate(keyTypes: DataType[], aggs: AggCall[], inputs: Input[], opts: { tasks?: number; chunk?: number; viaIPC?: boolean; mask?: (i: number) => boolean } = {}): Chunk {
  const tasks = opts.tasks ?? 1;
  const chunk = opts.chunk ?? 1 << 30;
  const layout = agg.partialLayout(keyTypes, aggs);
  const merger = new agg.HashAggregator(keyTypes, aggs);
  const whole = inputs.length >= tasks;
  const per = inputs.map((inp) => Math.ceil(inp.n / tasks));
  for (let t = 0; t < tasks; t++) {
    const a = new agg.HashAggregator(keyTypes, aggs);
    inputs.forEach((inp, k) => {
      if (whole && k % tasks !== t) return;
      const lo = whole ? 0 : Math.min(inp.n, t * per[k]!);
      const hi = whole ? inp.n : Math.min(inp.n, lo + per[k]!);
      for (let s = lo; s < hi; s += chunk) {
        const part = slice(inp, s, Math.min(hi, s + chunk));
        const mask = opts.mask ? Uint8Array.from({ length: part.n }, (_, i) => (opts.mask!(s + i) ? 1 : 0)) : undefined;
        a.addChunk(part.keys, part.args, part.n, mask);
      }
    });
    let { main, distinct } = a.partial();
    if (opts.viaIPC) {
      main = ipc.oneChunkFromIPC(ipc.chunkToIPC(main, layout[0]!), layout[0]!);
      distinct = distinct.map((d, j) => ipc.oneChunkFromIPC(ipc.chunkToIPC(d, layout[j + 1]!), layout[j + 1]!));
    }
    merger.mergePartial(main, distinct);
  }
  return merger.finish();
}

/** DuckDB in memory: `rows(sql)` answers as JSON rows (BIGINT, HUGEINT, DECIMAL as strings). */
export async function duck(): Promise<{ rows: (sql: string) => Promise<Val[][]>; run: (sql: string) => Promise<void>; close: () => void }> {
  const db = await DuckDBInstance.create(':memory:');
  const c: DuckDBConnection = await db.connect();
  return {
    rows: async (sql) => {
      const r = await c.runAndReadAll(sql);
      return r.getRowsJson() as Val[][];
    },
    run: async (sql) => { await c.run(sql); },
    close: () => { c.closeSync(); db.closeSync(); },
  };
}

/** SQL literal of a value for a DuckDB VALUES list. */
export function sqlLit(v: Val, type: string): string {
  if (v === null) return `NULL::${type}`;
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'::${type}`;
  return `(${v})::${type}`;
}

/** Unscaled integer → decimal text at `scale` (for DuckDB literals). */
export function dec(unscaled: bigint, scale: number): string {
  return exact.formatDecimal(unscaled, scale);
}


/** A uniform BigInt in [-bound, bound]. */
export function randBig(r: () => number, bound: bigint): bigint {
  let x = 0n;
  for (let k = 0; k < 5; k++) x = (x << 32n) | BigInt(Math.floor(r() * 4294967296));
  return (x % (2n * bound + 1n)) - bound;
}
