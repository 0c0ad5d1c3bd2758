/**
 * Two-phase hash aggregation. Each task runs a `HashAggregator` over its batches and emits a
 * *partial* chunk (group keys + state columns, plus one (keys, value) chunk per DISTINCT
 * aggregate); the partials of all tasks are fed into one aggregator with `mergePartial`, which
 * emits final values — on the coordinator, or, for a grouped aggregation with many partial
 * groups, one aggregator per hash partition of the group keys, each in its own task.
 *
 * Memory bound (spill-free by design): a task holds O(G_t) groups, the coordinator O(G) groups
 * (the partials, or their partitions until merged), where G is the number of distinct group keys
 * in the query result — each group costs about
 * 8 bytes per key column and 16 bytes per aggregate — plus, for a DISTINCT aggregate, one entry
 * per distinct (group, value) pair. Inputs stream through; only groups are retained.
 *
 * Exact numbers (docs/design.md): sums and averages of integers and decimals are exact — a
 * double per group while it stays within 2^53, spilling into a BigInt carry before it could
 * round (agg-exact.ts); integer sums are int64 and decimal sums decimal(38,S), an overflow is
 * OUT_OF_RANGE; avg is the correctly rounded quotient of the exact sum and count. A partial sum
 * travels as its double part, its carry as decimal text (a nullable string column, null while
 * there is none) and its count, so partials cross worker boundaries and merge exactly over the
 * plain Arrow IPC types. min/max keep their type (`big` vectors for wide values), strings compare
 * by code point, NaN is the greatest double (DuckDB).
 */

import { isExact, isStringLike, type AggCall, type DataType } from '../plan/types.js';
import { GroupTable } from './hash-table.js';
import { addOnes, addValid, markLive, sumAny, sumF64, sumValid, updateKernel } from './agg-kernels.js';
import {
  addChecked, carryColumn, chunkMaxAbs, finishExactAvg, finishExactSum, mergeCarry, minMaxColumn, minMaxExact, minMaxF64, minMaxStr,
  newNumState, preparePlain, resetGroup, sumBig, sumChecked, type NumState,
} from './agg-exact.js';
import { SAFE } from './exact.js';
import { extStateTypes, isExtAgg, newExtState, type ExtState } from './agg-stats.js';
import { holisticTypes, isHolisticAgg, ValueCollector } from './agg-holistic.js';

/** Smallest row block worth a fused pass (below it the checked row loop is used instead). */
const MIN_BLOCK = 256;
import type { Chunk, Vec } from './vec.js';

/** True when an aggregate's state is exact (integer/decimal sums, exact min/max). */
function exactArg(a: AggCall): boolean {
  return a.arg !== null && isExact(a.arg.type);
}

/** Types of the partial state columns of one aggregate, appended after the key columns. */
export function partialStateTypes(a: AggCall): DataType[] {
  if (a.distinct || isHolisticAgg(a)) return [];
  if (isExtAgg(a)) return extStateTypes(a);
  switch (a.fn) {
    case 'count_star': case 'count': return ['float64'];
    // Exact sums: the double part, the BigInt carry as decimal text, the count.
    case 'sum': case 'avg': return exactArg(a) ? ['float64', 'string', 'float64'] : ['float64', 'float64'];
    default: return [a.arg!.type === 'null' ? 'float64' : a.arg!.type];
  }
}

/**
 * Column types of a partial chunk as it travels from a worker to the coordinator. int32 and date
 * keys and min/max states travel as float64 — the kernels' own representation (vec.ts), exact for
 * all their values — so neither side converts them; int64, timestamps and decimals keep their
 * type, whose values may be beyond 2^53 (`big` vectors). `finish` gives the final SQL types.
 */
export function partialTypes(keyTypes: DataType[], aggs: AggCall[]): DataType[] {
  return [...keyTypes, ...aggs.flatMap(partialStateTypes)].map(wireType);
}

/**
 * True for the aggregates that ship values instead of a state: DISTINCT ones (their distinct
 * (group, value) pairs) and holistic ones (agg-holistic.ts: every value, with its order keys).
 */
export function shipsValues(a: AggCall): boolean {
  return a.distinct || isHolisticAgg(a);
}

/**
 * Column types of every chunk a partial aggregation emits: the main partial, then one side chunk
 * per aggregate that ships values (`shipsValues`), in aggregate order: [keys…, value] for a
 * DISTINCT aggregate, [keys…, value, order keys…] for a holistic one.
 */
export function partialLayout(keyTypes: DataType[], aggs: AggCall[]): DataType[][] {
  return [partialTypes(keyTypes, aggs), ...aggs.filter(shipsValues).map((a) => [...keyTypes, ...(isHolisticAgg(a) ? holisticTypes(a) : [a.arg!.type])])];
}

function wireType(t: DataType): DataType {
  return t === 'int32' || t === 'date' ? 'float64' : t;
}

interface StrState { kind: 'str'; vals: Array<string | null> }
type State = NumState | StrState;

export class HashAggregator {
  readonly table: GroupTable;
  private readonly states: Array<State | null>;
  private readonly distinct: Array<GroupTable | null>;
  /** States of the extended aggregates (agg-stats.ts), and the value collectors of holistic ones. */
  private readonly ext: Array<ExtState | null>;
  private readonly holistic: Array<ValueCollector | null>;
  private cap = 0;
  /** Groups that received at least one (unmasked) row; others were created by masked rows only. */
  private live = new Uint8Array(0);

  /** `expectedGroups` presizes the group table (a merge knows its partial row count). */
  constructor(readonly keyTypes: DataType[], readonly aggs: AggCall[], expectedGroups?: number) {
    this.table = new GroupTable(keyTypes, expectedGroups);
    const budget = { used: 0 };
    this.holistic = aggs.map((a) => (isHolisticAgg(a) ? new ValueCollector(a, budget) : null));
    this.ext = aggs.map((a) => (!a.distinct && isExtAgg(a) ? newExtState(a) : null));
    this.states = aggs.map((a, j) => (a.distinct || this.holistic[j] || this.ext[j] ? null : a.fn !== 'count' && a.fn !== 'count_star' && a.arg && isStringLike(a.arg.type) ? { kind: 'str', vals: [] } : newNumState(a.fn !== 'count' && a.fn !== 'count_star' && exactArg(a))));
    this.distinct = aggs.map((a, j) => (a.distinct && !this.holistic[j] ? new GroupTable(['int64', a.arg!.type]) : null));
  }

  private groupIds(keys: Vec[], n: number): Int32Array {
    if (this.keyTypes.length === 0) {
      if (this.table.size === 0) this.table.size = 1;
      return new Int32Array(n);
    }
    return this.table.insert(keys, n);
  }

  private ensure(size: number): void {
    if (size <= this.cap) return;
    let cap = Math.max(64, this.cap);
    while (cap < size) cap *= 2;
    for (const s of this.states) {
      if (!s) continue;
      if (s.kind === 'str') continue;
      const a = new Float64Array(cap); a.set(s.a); s.a = a;
      const b = new Float64Array(cap); b.set(s.b); s.b = b;
      const h = new Uint8Array(cap); h.set(s.has); s.has = h;
    }
    for (const e of this.ext) e?.grow(cap);
    const live = new Uint8Array(cap);
    live.set(this.live);
    this.live = live;
    this.cap = cap;
  }

  /**
   * Raw input: `args[j]` is the evaluated argument of aggregate j (null for count(*)).
   * `mask` (optional) selects the rows to aggregate (1 = take): a WHERE fused into the
   * aggregation, cheaper than gathering the surviving rows when most rows survive.
   * `extra[j]` are the evaluated `extra` inputs of aggregate j (see AggCall), when it has some.
   */
  addChunk(keys: Vec[], args: Array<Vec | null>, n: number, mask?: Uint8Array, extra?: Array<Vec[] | null>): void {
    const g = this.groupIds(keys, n);
    // Rows outside the mask go to a scratch group one past the last group; its state is
    // reset after this chunk, before any new group can take that id.
    const sink = this.table.size;
    this.ensure(sink + 1);
    markLive(this.live, g, mask, sink, n);
    // Rows per group, shared by every count(*) and null-free sum/avg of this chunk.
    let rowsPerGroup: Float64Array | null = null;
    const groupRows = (): Float64Array => {
      if (!rowsPerGroup) {
        rowsPerGroup = new Float64Array(this.cap);
        for (let i = 0; i < n; i++) rowsPerGroup[g[i]!]!++;
      }
      return rowsPerGroup;
    };
    const fused = this.fusedUpdate(args, g, n);
    this.aggs.forEach((a, j) => {
      if (fused[j]) return;
      const arg = args[j] ?? null;
      const hol = this.holistic[j];
      if (hol) { hol.add(g, [arg!, ...(extra?.[j] ?? [])], n, mask ? sink : -1); return; }
      const ext = this.ext[j];
      if (ext) { ext.update(g, [arg!, ...(extra?.[j] ?? [])], n); return; }
      if (a.distinct) {
        const gv: Vec = { t: 'num', type: 'int64', values: Float64Array.from(g), valid: null };
        const vv = arg!;
        // NULL values do not count towards DISTINCT aggregates.
        const rows = this.distinct[j]!;
        if (vv.valid || mask) {
          const idx: number[] = [];
          for (let i = 0; i < n; i++) if ((!vv.valid || vv.valid[i]) && (!mask || mask[i])) idx.push(i);
          const sel = Int32Array.from(idx);
          rows.insert([takeNum(gv, sel), takeAny(vv, sel)], sel.length);
        } else {
          rows.insert([gv, vv], n);
        }
        return;
      }
      const st = this.states[j]!;
      if (a.fn === 'count_star') {
        const s = st as NumState;
        const r = groupRows();
        const size = this.table.size;
        for (let k = 0; k < size; k++) s.a[k]! += r[k]!;
        return;
      }
      const v = arg!;
      const valid = v.valid;
      if (st.kind === 'str') {
        // One slot past the groups: the scratch group of masked rows.
        while (st.vals.length <= this.table.size) st.vals.push(null);
        minMaxStr(st.vals, g, v as Extract<Vec, { t: 'str' }>, n, a.fn === 'min');
        return;
      }
      const s = st as NumState;
      if (a.fn === 'count') {
        if (valid) addValid(s.a, g, valid, n);
        else addOnes(s.a, g, n);
        return;
      }
      if (v.t === 'big' || (s.exact && v.t === 'num')) {
        this.exactUpdate(a, s, g, v as Extract<Vec, { t: 'num' | 'big' }>, n, groupRows);
        return;
      }
      const x = v.t === 'num' || v.t === 'bool' ? v.values : new Float64Array(n);
      switch (a.fn) {
        case 'sum': case 'avg':
          if (valid) {
            sumValid(s.a, s.b, g, x as Float64Array, valid, n);
          } else {
            if (x instanceof Float64Array) sumF64(s.a, g, x, n);
            else sumAny(s.a, g, x, n);
            const r = groupRows();
            const size = this.table.size;
            for (let k = 0; k < size; k++) s.b[k]! += r[k]!;
          }
          break;
        case 'min': case 'max':
          minMaxF64(s, g, x, valid, n, a.fn === 'min');
          break;
      }
    });
    if (mask) {
      for (const e of this.ext) e?.reset(sink);
      for (const st of this.states) {
        if (!st) continue;
        if (st.kind === 'str') { if (st.vals.length > sink) st.vals[sink] = null; continue; }
        resetGroup(st, sink);
      }
    }
  }

  /** sum/avg/min/max of an exact argument (a `num` vector of an exact type, or `big`). */
  private exactUpdate(a: AggCall, s: NumState, g: Int32Array, v: Extract<Vec, { t: 'num' | 'big' }>, n: number, groupRows: () => Float64Array): void {
    if (a.fn === 'min' || a.fn === 'max') {
      minMaxExact(s, g, v, n, a.fn === 'min');
      return;
    }
    const valid = v.valid;
    if (v.t === 'big') sumBig(s, g, v.values, valid, n);
    else if (preparePlain(s, chunkMaxAbs(v.values, valid, n, v.type) * n, this.table.size + 1, n)) {
      if (valid) {
        sumValid(s.a, s.b, g, v.values, valid, n);
        return; // counted too
      }
      sumF64(s.a, g, v.values, n);
    } else sumChecked(s, g, v.values, valid, n);
    if (valid) addValid(s.b, g, valid, n);
    else {
      const r = groupRows();
      const size = this.table.size;
      for (let k = 0; k < size; k++) s.b[k]! += r[k]!;
    }
  }

  /**
   * Updates every null-free count(*), count(x), sum(x) and avg(x) of a chunk in one generated
   * loop over the rows (one pass over the group ids instead of one per aggregate). With many
   * groups the states are updated in place; with few, through per-chunk subtotals (see below).
   * Returns which aggregates it handled.
   */
  private fusedUpdate(args: Array<Vec | null>, g: Int32Array, n: number): boolean[] {
    const done = this.aggs.map(() => false);
    const sums: Float64Array[] = [];
    const xs: Float64Array[] = [];
    const counted: Float64Array[] = [];
    /** Per sum target: its state when exact (subtotals then go through addChecked). */
    const exact: Array<NumState | null> = [];
    const size = this.table.size + 1;
    const dense = size * 4 <= n;
    const maxes = new Map<Float64Array, number>();
    /** Dense mode: rows per block, so that a block's subtotals stay exact doubles. */
    let block = n;
    this.aggs.forEach((a, j) => {
      const st = this.states[j];
      if (a.distinct || !st || st.kind !== 'num') return;
      if (a.fn === 'count_star') {
        counted.push(st.a);
      } else if (a.fn === 'count' || a.fn === 'sum' || a.fn === 'avg') {
        const v = args[j];
        if (!v || v.valid !== null) return;
        if (a.fn === 'count') counted.push(st.a);
        else {
          if (v.t !== 'num') return;
          if (st.exact) {
            // Fused only while the double loop stays exact (agg-exact.ts); otherwise the
            // checked path in addChunk takes this aggregate.
            let m = maxes.get(v.values);
            if (m === undefined) { m = chunkMaxAbs(v.values, null, n, v.type); maxes.set(v.values, m); }
            if (dense) {
              const rows = m > 0 ? Math.floor(SAFE / m) : n;
              if (rows < MIN_BLOCK && rows < n) return;
              if (rows < block) block = rows;
            } else if (!preparePlain(st, m * n, size, n)) return;
          }
          sums.push(st.a);
          xs.push(v.values);
          counted.push(st.b);
          exact.push(st.exact ? st : null);
        }
      } else return;
      done[j] = true;
    });
    if (sums.length + counted.length === 0) return done;
    if (dense) {
      // Few groups: the chunk is summed into small scratch arrays (one per distinct input
      // array — sum(x) and avg(x) share one) and those subtotals are added to the states.
      // Exact sums whose chunk subtotals could pass 2^53 (wide decimals over long chunks) are
      // subtotalled in blocks of rows that cannot, each block's subtotals added exactly.
      const uniq = [...new Set(xs)];
      const scratch = uniq.map(() => new Float64Array(size));
      const r = new Float64Array(size);
      const kernel = updateKernel(uniq.length, 0);
      for (let lo = 0; lo < n; lo += block) {
        const hi = Math.min(n, lo + block);
        if (lo === 0 && hi === n) kernel(n, g, scratch, uniq, [r]);
        else kernel(hi - lo, g.subarray(lo, hi), scratch, uniq.map((x) => x.subarray(lo, hi)), [r]);
        for (let j = 0; j < sums.length; j++) {
          const t = sums[j]!;
          const sub = scratch[uniq.indexOf(xs[j]!)]!;
          const ex = exact[j];
          if (ex) for (let k = 0; k < size; k++) addChecked(ex, k, sub[k]!);
          else for (let k = 0; k < size; k++) t[k]! += sub[k]!;
        }
        if (hi < n) for (const sc of scratch) sc.fill(0);
      }
      for (const c of counted) for (let k = 0; k < size; k++) c[k]! += r[k]!;
    } else {
      const kernel = updateKernel(sums.length, counted.length);
      kernel(n, g, sums, xs, counted);
    }
    return done;
  }

  /** The partial result: keys + state columns, and one (keys…, value) chunk per DISTINCT aggregate. */
  partial(): { main: Chunk; distinct: Chunk[] } {
    const size = this.table.size;
    this.ensure(size);
    const keyVecs = this.keyTypes.length ? this.table.keyVecs() : [];
    const cols: Vec[] = [...keyVecs];
    this.aggs.forEach((a, j) => {
      if (a.distinct || this.holistic[j]) return;
      const ext = this.ext[j];
      if (ext) { cols.push(...ext.partial(size)); return; }
      const st = this.states[j]!;
      if (st.kind === 'str') {
        cols.push(strVec(st.vals, size));
        return;
      }
      if (a.fn === 'count' || a.fn === 'count_star') cols.push({ t: 'num', type: 'float64', values: st.a.slice(0, size), valid: null });
      else if (a.fn === 'sum' || a.fn === 'avg') {
        cols.push({ t: 'num', type: 'float64', values: st.a.slice(0, size), valid: null });
        if (st.exact) cols.push(carryColumn(st, size));
        cols.push({ t: 'num', type: 'float64', values: st.b.slice(0, size), valid: null });
      } else {
        cols.push(minMaxColumn(st, partialStateTypes(a)[0]!, size));
      }
    });
    const distinct = this.aggs.flatMap((a, j) => {
      const hol = this.holistic[j];
      if (hol) return [hol.sideChunk(keyVecs)];
      if (!a.distinct) return [];
      const pairs = this.distinct[j]!;
      const [gids, vals] = pairs.keyVecs() as [Extract<Vec, { t: 'num' }>, Vec];
      const sel = Int32Array.from(gids.values);
      const keys = keyVecs.map((k) => takeAny(k, sel));
      return [{ length: pairs.size, cols: [...keys, vals] }];
    });
    return { main: this.liveOnly({ length: size, cols }), distinct };
  }

  /** Drops groups that only masked-out rows created (keyed aggregation only). */
  private liveOnly(c: Chunk): Chunk {
    if (this.keyTypes.length === 0) return c;
    const live = this.live;
    let kept = 0;
    for (let k = 0; k < c.length; k++) kept += live[k]!;
    if (kept === c.length) return c;
    const sel = new Int32Array(kept);
    for (let k = 0, j = 0; k < c.length; k++) if (live[k]) sel[j++] = k;
    return { length: sel.length, cols: c.cols.map((v) => takeAny(v, sel)) };
  }

  /** Coordinator side: merges one partial (as produced by `partial()`). */
  mergePartial(main: Chunk, distinct: Chunk[]): void {
    const nk = this.keyTypes.length;
    const n = main.length;
    const g = this.groupIds(main.cols.slice(0, nk), n);
    this.ensure(this.table.size);
    markLive(this.live, g, undefined, 0, n);
    let col = nk;
    this.aggs.forEach((a, j) => {
      if (a.distinct || this.holistic[j]) return;
      const ext = this.ext[j];
      if (ext) {
        const w = extStateTypes(a).length;
        ext.merge(g, main.cols.slice(col, col + w), n);
        col += w;
        return;
      }
      const st = this.states[j]!;
      if (st.kind === 'str') {
        while (st.vals.length <= this.table.size) st.vals.push(null);
        minMaxStr(st.vals, g, main.cols[col++] as Extract<Vec, { t: 'str' }>, n, a.fn === 'min');
        return;
      }
      if (a.fn === 'count' || a.fn === 'count_star') {
        sumF64(st.a, g, (main.cols[col++] as Extract<Vec, { t: 'num' }>).values, n);
      } else if (a.fn === 'sum' || a.fn === 'avg') {
        const acc = (main.cols[col++] as Extract<Vec, { t: 'num' }>).values;
        if (st.exact) {
          sumChecked(st, g, acc, null, n);
          mergeCarry(st, g, main.cols[col++]!, n);
        } else sumF64(st.a, g, acc, n);
        sumF64(st.b, g, (main.cols[col++] as Extract<Vec, { t: 'num' }>).values, n);
      } else {
        const v = main.cols[col++]!;
        if (v.t === 'big' || (st.exact && v.t === 'num')) minMaxExact(st, g, v, n, a.fn === 'min');
        else minMaxF64(st, g, (v as Extract<Vec, { t: 'num' | 'bool' }>).values, v.valid, n, a.fn === 'min');
      }
    });
    let d = 0;
    this.aggs.forEach((a, j) => {
      if (!shipsValues(a)) return;
      const dc = distinct[d++]!;
      if (dc.length === 0) return;
      const dg = this.groupIds(dc.cols.slice(0, nk), dc.length);
      const hol = this.holistic[j];
      if (hol) {
        this.ensure(this.table.size);
        markLive(this.live, dg, undefined, 0, dc.length);
        hol.add(dg, dc.cols.slice(nk), dc.length);
        return;
      }
      const gv: Vec = { t: 'num', type: 'int64', values: Float64Array.from(dg), valid: null };
      this.distinct[j]!.insert([gv, dc.cols[nk]!], dc.length);
    });
    this.ensure(this.table.size);
  }

  /** Final values: key columns followed by one column per aggregate. */
  finish(): Chunk {
    if (this.keyTypes.length === 0 && this.table.size === 0) this.table.size = 1;
    const size = this.table.size;
    this.ensure(size);
    const cols: Vec[] = this.keyTypes.length ? this.table.keyVecs() : [];
    this.aggs.forEach((a, j) => {
      const hol = this.holistic[j];
      if (hol) { cols.push(hol.finish(size)); return; }
      if (a.distinct) {
        cols.push(this.finishDistinct(a, this.distinct[j]!, size));
        return;
      }
      const ext = this.ext[j];
      if (ext) { cols.push(ext.finish(size)); return; }
      const st = this.states[j]!;
      if (st.kind === 'str') { cols.push(strVec(st.vals, size)); return; }
      switch (a.fn) {
        case 'count': case 'count_star':
          cols.push({ t: 'num', type: 'int64', values: st.a.slice(0, size), valid: null });
          break;
        case 'sum': {
          if (st.exact) { cols.push(finishExactSum(st, a.type, size)); break; }
          const valid = new Uint8Array(size);
          for (let i = 0; i < size; i++) valid[i] = st.b[i]! > 0 ? 1 : 0;
          cols.push({ t: 'num', type: a.type, values: st.a.slice(0, size), valid });
          break;
        }
        case 'avg': {
          if (st.exact) { cols.push(finishExactAvg(st, a.arg!.type, size)); break; }
          const valid = new Uint8Array(size);
          const out = new Float64Array(size);
          for (let i = 0; i < size; i++) { valid[i] = st.b[i]! > 0 ? 1 : 0; out[i] = st.a[i]! / st.b[i]!; }
          cols.push({ t: 'num', type: 'float64', values: out, valid });
          break;
        }
        default:
          cols.push(minMaxColumn(st, a.type, size));
      }
    });
    return this.liveOnly({ length: size, cols });
  }

  private finishDistinct(a: AggCall, pairs: GroupTable, size: number): Vec {
    const [gids, vals] = pairs.keyVecs() as [Extract<Vec, { t: 'num' }>, Vec];
    const acc = new HashAggregator(['int64'], [{ ...a, distinct: false, fn: a.fn === 'count' ? 'count' : a.fn }]);
    acc.addChunk([gids], [vals], pairs.size);
    const fin = acc.finish();
    const gcol = fin.cols[0] as Extract<Vec, { t: 'num' }>;
    const vcol = fin.cols[1]!;
    // Scatter back to group order; groups without any value get count 0 / NULL.
    const idx = new Int32Array(size).fill(-1);
    for (let i = 0; i < fin.length; i++) idx[gcol.values[i]!] = i;
    const out = takeAny(vcol, idx);
    if (a.fn === 'count') {
      const v = out as Extract<Vec, { t: 'num' }>;
      for (let i = 0; i < size; i++) if (idx[i]! < 0) v.values[i] = 0;
      return { ...v, valid: null };
    }
    return out;
  }
}

function strVec(vals: Array<string | null>, size: number): Vec {
  const dict: string[] = [];
  const ids = new Map<string, number>();
  const codes = new Int32Array(size);
  const valid = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const s = vals[i];
    if (s === null || s === undefined) continue;
    let id = ids.get(s);
    if (id === undefined) { id = dict.length; dict.push(s); ids.set(s, id); }
    codes[i] = id;
    valid[i] = 1;
  }
  return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
}

function takeNum(v: Extract<Vec, { t: 'num' }>, sel: Int32Array): Vec {
  const out = new Float64Array(sel.length);
  for (let i = 0; i < sel.length; i++) out[i] = v.values[sel[i]!]!;
  return { t: 'num', type: v.type, values: out, valid: null };
}

function takeAny(v: Vec, sel: Int32Array): Vec {
  const n = sel.length;
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) { const j = sel[i]!; valid[i] = j < 0 ? 0 : v.valid ? v.valid[j]! : 1; }
  if (v.t === 'str') {
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) { const j = sel[i]!; codes[i] = j < 0 ? 0 : v.codes[j]!; }
    return { t: 'str', codes, dict: v.dict, valid };
  }
  if (v.t === 'bool') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) { const j = sel[i]!; out[i] = j < 0 ? 0 : v.values[j]!; }
    return { t: 'bool', values: out, valid };
  }
  if (v.t === 'big') {
    const out: bigint[] = new Array<bigint>(n);
    for (let i = 0; i < n; i++) { const j = sel[i]!; out[i] = j < 0 ? 0n : v.values[j]!; }
    return { t: 'big', type: v.type, values: out, valid };
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) { const j = sel[i]!; out[i] = j < 0 ? 0 : v.values[j]!; }
  return { t: 'num', type: v.type, values: out, valid };
}
