/**
 * Hash table from key tuples to dense group ids, shared by aggregation and hash joins.
 * Synchronous; one instance belongs to one task (or to the coordinator's merge) at a time.
 *
 * Keys are stored column-wise: each key column as float64 values (strings as ids interned in a
 * per-table string pool, booleans as 0/1) plus a null flag. Per batch, string key columns are
 * translated once per *distinct dictionary value* into pool ids, so rows are hashed and compared
 * as numbers and never as strings. When every key is a string/boolean column whose dictionaries
 * are small (product ≤ 2^16), rows are grouped by their combined dictionary code through a direct
 * lookup array — no hashing at all (the TPC-H Q1 case).
 *
 * NULL keys form their own group (SQL GROUP BY semantics); `lookup` (joins) never matches them.
 * NaN keys are one group and match each other, −0 equals 0 (DuckDB).
 *
 * Exact keys beyond ±(2^53−1) (`big` vectors: int64 ids, wide decimals): a value that fits a
 * double is keyed by that double whichever vector kind it arrives in, so equal values are equal
 * keys; a wider value is interned in a per-column BigInt pool and keyed by its pool id, flagged
 * by key state BIG (2) beside NULL (1) and VALUE (0). A single-key table in numeric mode switches
 * to the general (multi-column) mode for good the first time a wide value arrives; numeric keys
 * within 2^53 and dictionary keys keep their fast paths untouched.
 * Memory: O(groups × key columns) doubles, plus the string and BigInt pools.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { isStringLike, type DataType } from '../plan/types.js';
import { SAFE } from './exact.js';
import type { BigValues, Vec } from './vec.js';

const NULL_CODE = -1;
/** Key states per row and group (the `rowNull`/`keyNull` bytes). */
const KEY_NULL = 1;
const KEY_BIG = 2;
const SAFE_N = BigInt(SAFE);
const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);
/** Numeric mode grows its slot array past this fill ratio (linear probing, well-mixed hash). */
const MAX_LOAD = 0.7;
/** Direct mapping is kept while the key range is within 2^16 or within 4× the groups. */
const DIRECT_MIN_RANGE = 65_536;
const DIRECT_MAX_SPARSITY = 4;

/**
 * 32 bits standing for one numeric key: int32 values directly, other doubles by their bits (−0
 * folds into 0, every NaN into one value), so that keys equal as join/group keys agree. Not
 * mixed: callers apply their own finalizer.
 */
export function numKeyBits(x: number): number {
  const h = x | 0;
  if (h === x) return h;
  if (x !== x) return 0x7ff80000;
  F64[0] = x;
  return I32[0]! ^ Math.imul(I32[1]!, 0x9e3779b1);
}

/** Hash of one numeric key: its bits through murmur3's finalizer, so that sequential ids spread over the low bits that pick the slot. */
function hashNum(x: number): number {
  let h = numKeyBits(x);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function numValues(v: Vec, n: number): ArrayLike<number> {
  if (v.t === 'num' || v.t === 'bool') return v.values;
  throw new LakehouseError('INTERNAL', `a ${v.t} vector as a numeric group key (${n} rows)`);
}

/** True when some valid value of a `big` vector does not fit a double exactly. */
function hasWide(values: BigValues, valid: Uint8Array | null, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (valid !== null && valid[i] === 0) continue;
    const x = values[i]!;
    if (x > SAFE_N || x < -SAFE_N) return true;
  }
  return false;
}

/** A `big` vector's values as doubles; rows that do not fit become 0 and are flagged in `wide`. */
function narrowBig(values: BigValues, n: number, wide?: Uint8Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x <= SAFE_N && x >= -SAFE_N) out[i] = Number(x);
    else if (wide) wide[i] = 1;
  }
  return out;
}

export class GroupTable {
  size = 0;
  private cap: number;
  private slots: Int32Array;
  private hashes: Int32Array;
  readonly keyVals: Float64Array[];
  readonly keyNull: Uint8Array[];
  private readonly pools: Array<{ strs: string[]; ids: Map<string, number> } | null>;
  /** Per key column: the BigInt values too wide for a double, by pool id (created on first use). */
  private readonly bigPools: Array<{ vals: bigint[]; ids: Map<bigint, number> } | null>;
  private rowKeys: Float64Array[] = [];
  private rowNull: Uint8Array[] = [];

  /**
   * Numeric mode (one key column, not string or boolean): the slots hold (key, group id) pairs
   * side by side, so a probe touches one cache line instead of three arrays.
   */
  private num: boolean;
  private numTab = new Float64Array(0);
  private nullGroup = -1;
  /**
   * Numeric mode starts direct-mapped (group id by key − `dlo`) while the keys seen are integers
   * over a dense range — ids, dates, small codes; DuckDB calls this a perfect hash. Sequential
   * keys then touch memory sequentially, where hashing them would make every row a cache miss.
   * The array holds at most max(2^16, 4 × groups) entries (plus growth headroom); a batch that
   * would break that bound switches the table to hashing for good.
   */
  private direct: Int32Array | null = new Int32Array(0);
  private dlo = 0;

  constructor(readonly types: DataType[], expected = 1024) {
    this.cap = 1024;
    while (this.cap < expected * 2) this.cap <<= 1;
    this.num = types.length === 1 && !isStringLike(types[0]!) && types[0] !== 'boolean';
    this.slots = new Int32Array(this.num ? 0 : this.cap).fill(-1);
    this.hashes = new Int32Array(this.num ? 0 : this.cap >> 1);
    this.keyVals = types.map(() => new Float64Array(this.cap >> 1));
    this.keyNull = types.map(() => new Uint8Array(this.cap >> 1));
    this.pools = types.map((t) => (isStringLike(t) ? { strs: [], ids: new Map() } : null));
    this.bigPools = types.map(() => null);
    if (this.num) this.rehashNum(this.cap);
  }

  /** Group id of every row, inserting new groups. */
  insert(keys: Vec[], n: number): Int32Array {
    if (this.num && keys[0]!.t === 'big') {
      const k = keys[0]!;
      // Values within 2^53 stay numeric keys (equal to the same values in `num` vectors); the
      // first wide value moves the table to the general mode, which pools BigInts.
      if (hasWide(k.values, k.valid, n)) this.toGeneral();
      else keys = [{ t: 'num', type: k.type, values: narrowBig(k.values, n), valid: k.valid }];
    }
    if (this.num) {
      const vals = numValues(keys[0]!, n);
      const valid = keys[0]!.valid;
      if (this.direct && this.extendDirect(vals, valid, n)) return this.insertDirect(vals, valid, n);
      return this.insertNum(vals, valid, n);
    }
    const fast = this.smallDomain(keys, n, true);
    if (fast) return fast;
    this.loadRows(keys, n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.probe(i, true);
    return out;
  }

  /**
   * Single numeric key. Rows equal to the previous row reuse its group without a probe (data
   * clustered or sorted by the key — the common case for ids — costs one comparison per row).
   */
  private insertNum(vals: ArrayLike<number>, valid: Uint8Array | null, n: number): Int32Array {
    const out = new Int32Array(n);
    let prev = NaN;
    let prevG = -1;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) {
        if (this.nullGroup < 0) this.nullGroup = this.newGroup(NaN, 1);
        out[i] = this.nullGroup;
        continue;
      }
      const x = vals[i]!;
      if (x === prev) { out[i] = prevG; continue; }
      const tab = this.numTab;
      const mask = this.cap - 1;
      let sl = hashNum(x) & mask;
      let g: number;
      for (;;) {
        g = tab[2 * sl + 1]!;
        if (g < 0) {
          g = this.newGroup(x, 0);
          tab[2 * sl] = x;
          tab[2 * sl + 1] = g;
          if (this.size > this.cap * MAX_LOAD) this.rehashNum(this.cap << 1);
          break;
        }
        const y = tab[2 * sl]!;
        if (y === x || (x !== x && y !== y)) break;
        sl = (sl + 1) & mask;
      }
      out[i] = g;
      prev = x;
      prevG = g;
    }
    return out;
  }

  /**
   * Makes the direct array cover this batch's keys; false (and the table switches to hashing
   * for good) when a key is not an integer or the key range would be sparse.
   */
  private extendDirect(vals: ArrayLike<number>, valid: Uint8Array | null, n: number): boolean {
    let lo = Infinity;
    let hi = -Infinity;
    let ints = true;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) continue;
      const x = vals[i]!;
      ints = ints && Number.isSafeInteger(x);
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (lo > hi && ints) return true; // only NULLs (NaN keys, which compare with nothing, make ints false)
    const direct = this.direct!;
    const curLo = direct.length ? this.dlo : lo;
    const newLo = Math.min(curLo, lo);
    const newHi = Math.max(curLo + direct.length - 1, hi);
    const range = newHi - newLo + 1;
    if (!ints || (range > DIRECT_MIN_RANGE && range > DIRECT_MAX_SPARSITY * (this.size + n))) {
      this.direct = null;
      let cap = this.cap;
      while (this.size >= cap * MAX_LOAD) cap <<= 1;
      this.rehashNum(cap);
      return false;
    }
    if (newLo === curLo && range <= direct.length) return true;
    // Grow with headroom on the side(s) that grew, so ascending or descending keys rarely copy.
    const grownLo = newLo < curLo ? newLo - (range >> 1) : newLo;
    const grownHi = newHi > curLo + direct.length - 1 ? newHi + (range >> 1) : newHi;
    const next = new Int32Array(grownHi - grownLo + 1).fill(-1);
    if (direct.length) next.set(direct, curLo - grownLo);
    this.direct = next;
    this.dlo = grownLo;
    return true;
  }

  /** Numeric mode over a dense integer key range: group id = direct[key − dlo], no hashing. */
  private insertDirect(vals: ArrayLike<number>, valid: Uint8Array | null, n: number): Int32Array {
    const out = new Int32Array(n);
    const direct = this.direct!;
    const lo = this.dlo;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) {
        if (this.nullGroup < 0) this.nullGroup = this.newGroup(NaN, 1);
        out[i] = this.nullGroup;
        continue;
      }
      const x = vals[i]!;
      let g = direct[x - lo]!;
      if (g < 0) {
        g = this.newGroup(x, 0);
        direct[x - lo] = g;
      }
      out[i] = g;
    }
    return out;
  }

  private lookupDirect(vals: ArrayLike<number>, valid: Uint8Array | null, n: number): Int32Array {
    const out = new Int32Array(n);
    const direct = this.direct!;
    const lo = this.dlo;
    const len = direct.length;
    for (let i = 0; i < n; i++) {
      const x = vals[i]!;
      const k = x - lo;
      // Non-integers and out-of-range keys fail the bounds test or the integer test.
      out[i] = (valid !== null && valid[i] === 0) || !(k >= 0 && k < len && Number.isInteger(k)) ? -1 : direct[k]!;
    }
    return out;
  }

  /** `lookup` for a single numeric key: −1 for NULL rows and absent keys. */
  private lookupNum(vals: ArrayLike<number>, valid: Uint8Array | null, n: number): Int32Array {
    const out = new Int32Array(n);
    const tab = this.numTab;
    const mask = this.cap - 1;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) { out[i] = -1; continue; }
      const x = vals[i]!;
      let sl = hashNum(x) & mask;
      let g: number;
      for (;;) {
        g = tab[2 * sl + 1]!;
        if (g < 0) break;
        const y = tab[2 * sl]!;
        if (y === x || (x !== x && y !== y)) break;
        sl = (sl + 1) & mask;
      }
      out[i] = g;
    }
    return out;
  }

  /** Appends a one-column group (numeric mode). */
  private newGroup(x: number, isNull: number): number {
    const g = this.size++;
    if (g >= this.keyVals[0]!.length) this.grow();
    this.keyNull[0]![g] = isNull;
    this.keyVals[0]![g] = isNull ? NULL_CODE : x;
    return g;
  }

  private rehashNum(cap: number): void {
    this.cap = cap;
    const tab = new Float64Array(cap * 2);
    const mask = cap - 1;
    for (let s = 1; s < tab.length; s += 2) tab[s] = -1;
    const kv = this.keyVals[0]!;
    const kn = this.keyNull[0]!;
    for (let g = 0; g < this.size; g++) {
      if (kn[g]) continue;
      const x = kv[g]!;
      let s = hashNum(x) & mask;
      while (tab[2 * s + 1]! >= 0) s = (s + 1) & mask;
      tab[2 * s] = x;
      tab[2 * s + 1] = g;
    }
    this.numTab = tab;
  }

  /** Group id of every row, −1 when absent or when any key is NULL (join semantics). */
  lookup(keys: Vec[], n: number): Int32Array {
    if (this.num) {
      const k = keys[0]!;
      if (k.t === 'big') {
        // A numeric-mode table holds no key beyond 2^53, so wide probe values match nothing.
        const wide = new Uint8Array(n);
        const vals = narrowBig(k.values, n, wide);
        const out = this.direct ? this.lookupDirect(vals, k.valid, n) : this.lookupNum(vals, k.valid, n);
        for (let i = 0; i < n; i++) if (wide[i]) out[i] = -1;
        return out;
      }
      return this.direct ? this.lookupDirect(numValues(k, n), k.valid, n) : this.lookupNum(numValues(k, n), k.valid, n);
    }
    this.loadRows(keys, n, false);
    const out = new Int32Array(n);
    const k = this.types.length;
    outer: for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) if (this.rowNull[c]![i] === KEY_NULL) { out[i] = -1; continue outer; }
      out[i] = this.probe(i, false);
    }
    return out;
  }

  /**
   * Leaves numeric mode for good (a key beyond 2^53 arrived): the groups so far are hashed into
   * the general slot array with the same hash the general mode uses.
   */
  private toGeneral(): void {
    this.num = false;
    this.direct = null;
    this.numTab = new Float64Array(0);
    this.hashes = new Int32Array(this.keyVals[0]!.length);
    for (let g = 0; g < this.size; g++) this.hashes[g] = hashKeys(this.keyVals, this.keyNull, g);
    let cap = this.cap;
    while (this.size * 2 > cap) cap <<= 1;
    this.rehash(cap);
  }

  /** The key columns of all groups, in group-id order. */
  keyVecs(): Vec[] {
    const n = this.size;
    return this.types.map((t, c): Vec => {
      const vals = this.keyVals[c]!.slice(0, n);
      const nulls = this.keyNull[c]!;
      let valid: Uint8Array | null = null;
      for (let g = 0; g < n; g++) {
        if (nulls[g] === KEY_NULL) {
          valid = new Uint8Array(n);
          for (let h = 0; h < n; h++) valid[h] = nulls[h] === KEY_NULL ? 0 : 1;
          break;
        }
      }
      const bp = this.bigPools[c];
      if (bp) {
        const out: bigint[] = new Array<bigint>(n);
        for (let g = 0; g < n; g++) out[g] = nulls[g] === KEY_BIG ? bp.vals[vals[g]!]! : nulls[g] === KEY_NULL ? 0n : BigInt(vals[g]!);
        return { t: 'big', type: t, values: out, valid };
      }
      if (isStringLike(t)) {
        const pool = this.pools[c]!;
        return { t: 'str', codes: Int32Array.from(vals, (x) => (x < 0 ? 0 : x)), dict: pool.strs.length ? pool.strs.slice() : [''], valid };
      }
      if (t === 'boolean') return { t: 'bool', values: Uint8Array.from(vals), valid };
      return { t: 'num', type: t, values: vals, valid };
    });
  }

  private smallDomain(keys: Vec[], n: number, insert: boolean): Int32Array | null {
    if (!insert || keys.length === 0) return null;
    let domain = 1;
    for (const v of keys) {
      if (v.t === 'num' || v.t === 'big') return null;
      domain *= (v.t === 'str' ? v.dict.length : 2) + 1;
      if (domain > 65536) return null;
    }
    const strides: number[] = [];
    let s = 1;
    for (const v of keys) {
      strides.push(s);
      s *= (v.t === 'str' ? v.dict.length : 2) + 1;
    }
    const lut = new Int32Array(domain).fill(-1);
    if (keys.length <= 2 && keys.every((v) => v.valid === null)) return this.smallDomain2(keys, n, strides, lut);
    const combo = new Int32Array(n);
    keys.forEach((v, c) => {
      const stride = strides[c]!;
      const src = v.t === 'str' ? v.codes : (v as Extract<Vec, { t: 'bool' }>).values;
      const nullCode = v.t === 'str' ? v.dict.length : 2;
      const valid = v.valid;
      if (valid) for (let i = 0; i < n; i++) combo[i]! += (valid[i] ? src[i]! : nullCode) * stride;
      else for (let i = 0; i < n; i++) combo[i]! += src[i]! * stride;
    });
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const cc = combo[i]!;
      let g = lut[cc]!;
      if (g < 0) {
        // First row with this combination in the batch: resolve through the hash table once.
        this.loadSingleRow(keys, i);
        g = this.probe(0, true);
        lut[cc] = g;
      }
      out[i] = g;
    }
    return out;
  }

  /** `smallDomain` for one or two null-free keys: a single pass, no combined-code array. */
  private smallDomain2(keys: Vec[], n: number, strides: number[], lut: Int32Array): Int32Array {
    const codesOf = (v: Vec): Int32Array | Uint8Array => (v.t === 'str' ? v.codes : (v as Extract<Vec, { t: 'bool' }>).values);
    const a = codesOf(keys[0]!);
    const b = keys.length > 1 ? codesOf(keys[1]!) : null;
    const sb = strides[1] ?? 0;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const cc = b === null ? a[i]! : a[i]! + b[i]! * sb;
      let g = lut[cc]!;
      if (g < 0) {
        this.loadSingleRow(keys, i);
        g = this.probe(0, true);
        lut[cc] = g;
      }
      out[i] = g;
    }
    return out;
  }

  private loadSingleRow(keys: Vec[], row: number): void {
    if (this.rowKeys.length !== keys.length || this.rowKeys[0]!.length < 1) {
      this.rowKeys = keys.map(() => new Float64Array(1));
      this.rowNull = keys.map(() => new Uint8Array(1));
    }
    keys.forEach((v, c) => {
      const valid = v.valid === null || v.valid[row] === 1;
      this.rowNull[c]![0] = valid ? 0 : 1;
      if (!valid) { this.rowKeys[c]![0] = NULL_CODE; return; }
      if (v.t === 'str') this.rowKeys[c]![0] = this.intern(c, v.dict[v.codes[row]!]!);
      else if (v.t === 'big') {
        const x = v.values[row]!;
        if (x <= SAFE_N && x >= -SAFE_N) this.rowKeys[c]![0] = Number(x);
        else { this.rowNull[c]![0] = KEY_BIG; this.rowKeys[c]![0] = this.internBig(c, x, true); }
      } else this.rowKeys[c]![0] = v.values[row]!;
    });
  }

  private intern(c: number, s: string): number {
    const pool = this.pools[c]!;
    let id = pool.ids.get(s);
    if (id === undefined) {
      id = pool.strs.length;
      pool.strs.push(s);
      pool.ids.set(s, id);
    }
    return id;
  }

  /** Pool id of a wide BigInt key; −1 when absent and not inserting (it matches no group). */
  private internBig(c: number, x: bigint, insert: boolean): number {
    let pool = this.bigPools[c];
    if (!pool) {
      if (!insert) return -1;
      pool = { vals: [], ids: new Map() };
      this.bigPools[c] = pool;
    }
    let id = pool.ids.get(x);
    if (id === undefined) {
      if (!insert) return -1;
      id = pool.vals.length;
      pool.vals.push(x);
      pool.ids.set(x, id);
    }
    return id;
  }

  /**
   * Translates a batch's key columns into per-row numbers (string ids, BigInt pool ids) and key
   * states (VALUE, NULL, BIG). `insert` false (a join probe) leaves the pools unchanged.
   */
  private loadRows(keys: Vec[], n: number, insert = true): void {
    const bigCols: Array<[number, Extract<Vec, { t: 'big' }>]> = [];
    this.rowKeys = keys.map((v, c) => {
      if (v.t === 'str') {
        const lut = new Float64Array(v.dict.length);
        for (let d = 0; d < lut.length; d++) lut[d] = this.intern(c, v.dict[d]!);
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = lut[v.codes[i]!]!;
        return out;
      }
      if (v.t === 'bool') return Float64Array.from(v.values.subarray(0, n));
      if (v.t === 'big') {
        bigCols.push([c, v]);
        return new Float64Array(n);
      }
      return v.values.length === n ? v.values : v.values.subarray(0, n);
    });
    this.rowNull = keys.map((v) => {
      const out = new Uint8Array(n);
      if (v.valid) for (let i = 0; i < n; i++) out[i] = v.valid[i] ? 0 : KEY_NULL;
      return out;
    });
    for (const [c, v] of bigCols) {
      const rk = this.rowKeys[c]!;
      const rn = this.rowNull[c]!;
      const src = v.values;
      for (let i = 0; i < n; i++) {
        if (rn[i] === KEY_NULL) continue;
        const x = src[i]!;
        if (x <= SAFE_N && x >= -SAFE_N) rk[i] = Number(x);
        else { rn[i] = KEY_BIG; rk[i] = this.internBig(c, x, insert); }
      }
    }
  }

  private hashRow(i: number): number {
    return hashKeys(this.rowKeys, this.rowNull, i);
  }

  private probe(i: number, insert: boolean): number {
    const h = this.hashRow(i);
    const mask = this.cap - 1;
    let s = h & mask;
    const k = this.types.length;
    for (;;) {
      const g = this.slots[s]!;
      if (g < 0) {
        if (!insert) return -1;
        return this.add(i, h, s);
      }
      if (this.hashes[g] === h) {
        let eq = true;
        for (let c = 0; c < k; c++) {
          const rn = this.rowNull[c]![i]!;
          if (rn !== this.keyNull[c]![g]) { eq = false; break; }
          if (rn === KEY_NULL) continue;
          const a = this.rowKeys[c]![i]!;
          const b = this.keyVals[c]![g]!;
          if (a !== b && !(a !== a && b !== b)) { eq = false; break; }
        }
        if (eq) return g;
      }
      s = (s + 1) & mask;
    }
  }

  private add(i: number, h: number, slot: number): number {
    const g = this.size++;
    if (g >= this.hashes.length) this.grow();
    this.hashes[g] = h;
    for (let c = 0; c < this.types.length; c++) {
      const rn = this.rowNull[c]![i]!;
      this.keyNull[c]![g] = rn;
      this.keyVals[c]![g] = rn === KEY_NULL ? NULL_CODE : this.rowKeys[c]![i]!;
    }
    this.slots[slot] = g;
    if (this.size * 2 > this.cap) this.rehash(this.cap << 1);
    return g;
  }

  private grow(): void {
    const len = Math.max(1024, (this.keyVals[0]?.length ?? this.hashes.length) * 2);
    if (!this.num) {
      const h2 = new Int32Array(len);
      h2.set(this.hashes);
      this.hashes = h2;
    }
    for (let c = 0; c < this.types.length; c++) {
      const v = new Float64Array(len);
      v.set(this.keyVals[c]!);
      this.keyVals[c] = v;
      const nn = new Uint8Array(len);
      nn.set(this.keyNull[c]!);
      this.keyNull[c] = nn;
    }
  }

  private rehash(cap = this.cap): void {
    this.cap = cap;
    this.slots = new Int32Array(cap).fill(-1);
    const mask = cap - 1;
    for (let g = 0; g < this.size; g++) {
      let s = this.hashes[g]! & mask;
      while (this.slots[s]! >= 0) s = (s + 1) & mask;
      this.slots[s] = g;
    }
  }
}

/**
 * Hash of row `i` of key columns (values + key states) in the general mode; the same function
 * hashes stored groups when a numeric-mode table turns general. −0 folds into 0 and every NaN
 * into one NaN, so keys equal as group/join keys hash alike.
 */
function hashKeys(vals: Float64Array[], states: Uint8Array[], i: number): number {
  let h = 0x9e3779b9 | 0;
  const k = vals.length;
  for (let c = 0; c < k; c++) {
    const st = states[c]![i]!;
    if (st === KEY_NULL) {
      h = Math.imul(h ^ 0x5bd1e995, 0x01000193);
      continue;
    }
    const x = vals[c]![i]!;
    F64[0] = x === 0 ? 0 : x !== x ? NaN : x;
    h = Math.imul(h ^ I32[0]! ^ (st === KEY_BIG ? 0x27d4eb2f : 0), 0x85ebca6b);
    h = Math.imul(h ^ I32[1]!, 0xc2b2ae35);
    h ^= h >>> 15;
  }
  return h ^ (h >>> 13);
}
