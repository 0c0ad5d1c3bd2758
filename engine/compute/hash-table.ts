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
 * Memory: O(groups × key columns) doubles, plus the string pool.
 */

import type { DataType } from '../plan/types.js';
import type { Vec } from './vec.js';

const NULL_CODE = -1;
const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);

export class GroupTable {
  size = 0;
  private cap: number;
  private slots: Int32Array;
  private hashes: Int32Array;
  readonly keyVals: Float64Array[];
  readonly keyNull: Uint8Array[];
  private readonly pools: Array<{ strs: string[]; ids: Map<string, number> } | null>;
  private rowKeys: Float64Array[] = [];
  private rowNull: Uint8Array[] = [];

  constructor(readonly types: DataType[], expected = 1024) {
    this.cap = 1024;
    while (this.cap < expected * 2) this.cap <<= 1;
    this.slots = new Int32Array(this.cap).fill(-1);
    this.hashes = new Int32Array(this.cap >> 1);
    this.keyVals = types.map(() => new Float64Array(this.cap >> 1));
    this.keyNull = types.map(() => new Uint8Array(this.cap >> 1));
    this.pools = types.map((t) => (t === 'string' ? { strs: [], ids: new Map() } : null));
  }

  /** Group id of every row, inserting new groups. */
  insert(keys: Vec[], n: number): Int32Array {
    const fast = this.smallDomain(keys, n, true);
    if (fast) return fast;
    if (keys.length === 1 && keys[0]!.t === 'num') return this.insertNum(keys[0]!.values, keys[0]!.valid, n);
    this.loadRows(keys, n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.probe(i, true);
    return out;
  }

  /** Single numeric key: the same hashing as `hashRow`, without per-row indirections. */
  private insertNum(vals: Float64Array, valid: Uint8Array | null, n: number): Int32Array {
    const out = new Int32Array(n);
    let nullGroup = -1;
    for (let g = 0; g < this.size; g++) if (this.keyNull[0]![g]) { nullGroup = g; break; }
    const seed = 0x9e3779b9 | 0;
    for (let i = 0; i < n; i++) {
      if (valid !== null && valid[i] === 0) {
        if (nullGroup < 0) {
          let h = Math.imul(seed ^ 0x5bd1e995, 0x01000193);
          h ^= h >>> 13;
          nullGroup = this.addRaw(h, NaN, 1);
        }
        out[i] = nullGroup;
        continue;
      }
      const x = vals[i]!;
      F64[0] = x === 0 ? 0 : x;
      let h = Math.imul(seed ^ I32[0]!, 0x85ebca6b);
      h = Math.imul(h ^ I32[1]!, 0xc2b2ae35);
      h ^= h >>> 15;
      h ^= h >>> 13;
      const mask = this.cap - 1;
      const slots = this.slots;
      const hashes = this.hashes;
      const kv = this.keyVals[0]!;
      const kn = this.keyNull[0]!;
      let sl = h & mask;
      let g: number;
      for (;;) {
        g = slots[sl]!;
        if (g < 0) { g = this.addRaw(h, x, 0, sl); break; }
        if (hashes[g] === h && kn[g] === 0) {
          const y = kv[g]!;
          if (y === x || (x !== x && y !== y)) break;
        }
        sl = (sl + 1) & mask;
      }
      out[i] = g;
    }
    return out;
  }

  /** Adds a one-column group; `slot` is its free slot when known (else it is searched). */
  private addRaw(h: number, x: number, isNull: number, slot = -1): number {
    const g = this.size++;
    if (g >= this.hashes.length) this.grow();
    this.hashes[g] = h;
    this.keyNull[0]![g] = isNull;
    this.keyVals[0]![g] = isNull ? NULL_CODE : x;
    if (slot < 0) {
      slot = h & (this.cap - 1);
      while (this.slots[slot]! >= 0) slot = (slot + 1) & (this.cap - 1);
    }
    this.slots[slot] = g;
    if (this.size * 2 > this.cap) this.rehash(this.cap << 1);
    return g;
  }

  /** Group id of every row, −1 when absent or when any key is NULL (join semantics). */
  lookup(keys: Vec[], n: number): Int32Array {
    this.loadRows(keys, n);
    const out = new Int32Array(n);
    const k = this.types.length;
    outer: for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) if (this.rowNull[c]![i]) { out[i] = -1; continue outer; }
      out[i] = this.probe(i, false);
    }
    return out;
  }

  /** The key columns of all groups, in group-id order. */
  keyVecs(): Vec[] {
    const n = this.size;
    return this.types.map((t, c) => {
      const vals = this.keyVals[c]!.slice(0, n);
      const nulls = this.keyNull[c]!;
      let valid: Uint8Array | null = null;
      for (let g = 0; g < n; g++) {
        if (nulls[g]) {
          valid = new Uint8Array(n);
          for (let h = 0; h < n; h++) valid[h] = nulls[h] ? 0 : 1;
          break;
        }
      }
      if (t === 'string') {
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
      if (v.t === 'num') return null;
      domain *= (v.t === 'str' ? v.dict.length : 2) + 1;
      if (domain > 65536) return null;
    }
    const strides: number[] = [];
    let s = 1;
    for (const v of keys) {
      strides.push(s);
      s *= (v.t === 'str' ? v.dict.length : 2) + 1;
    }
    const combo = new Int32Array(n);
    keys.forEach((v, c) => {
      const stride = strides[c]!;
      const src = v.t === 'str' ? v.codes : (v as Extract<Vec, { t: 'bool' }>).values;
      const nullCode = v.t === 'str' ? v.dict.length : 2;
      const valid = v.valid;
      if (valid) for (let i = 0; i < n; i++) combo[i]! += (valid[i] ? src[i]! : nullCode) * stride;
      else for (let i = 0; i < n; i++) combo[i]! += src[i]! * stride;
    });
    const lut = new Int32Array(domain).fill(-1);
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
      else this.rowKeys[c]![0] = v.values[row]!;
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

  /** Translates a batch's key columns into per-row numbers (string ids) and null flags. */
  private loadRows(keys: Vec[], n: number): void {
    this.rowKeys = keys.map((v, c) => {
      if (v.t === 'str') {
        const lut = new Float64Array(v.dict.length);
        for (let d = 0; d < lut.length; d++) lut[d] = this.intern(c, v.dict[d]!);
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = lut[v.codes[i]!]!;
        return out;
      }
      if (v.t === 'bool') return Float64Array.from(v.values.subarray(0, n));
      return v.values.length === n ? v.values : v.values.subarray(0, n);
    });
    this.rowNull = keys.map((v) => {
      const out = new Uint8Array(n);
      if (v.valid) for (let i = 0; i < n; i++) out[i] = v.valid[i] ? 0 : 1;
      return out;
    });
  }

  private hashRow(i: number): number {
    let h = 0x9e3779b9 | 0;
    const k = this.rowKeys.length;
    for (let c = 0; c < k; c++) {
      if (this.rowNull[c]![i]) {
        h = Math.imul(h ^ 0x5bd1e995, 0x01000193);
        continue;
      }
      const x = this.rowKeys[c]![i]!;
      F64[0] = x === 0 ? 0 : x; // folds -0 into 0
      h = Math.imul(h ^ I32[0]!, 0x85ebca6b);
      h = Math.imul(h ^ I32[1]!, 0xc2b2ae35);
      h ^= h >>> 15;
    }
    return h ^ (h >>> 13);
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
          if (rn) continue;
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
      this.keyVals[c]![g] = rn ? NULL_CODE : this.rowKeys[c]![i]!;
    }
    this.slots[slot] = g;
    if (this.size * 2 > this.cap) this.rehash(this.cap << 1);
    return g;
  }

  private grow(): void {
    const len = this.hashes.length * 2;
    const h2 = new Int32Array(len);
    h2.set(this.hashes);
    this.hashes = h2;
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
