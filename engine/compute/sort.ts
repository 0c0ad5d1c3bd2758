/**
 * Sort kernel: sorts a chunk by several keys. Each key is first turned into a Float64Array of
 * sortable numbers (strings by their rank in the sorted dictionary), so the comparator only
 * compares numbers. NULL placement follows each key's `nullsFirst` (default: NULLS LAST for both
 * ASC and DESC, as DuckDB does). Stable.
 */

import { dictRanks, take, type BigValues, type Chunk, type Vec } from './vec.js';

/** Dense ranks of BigInt values (equal values share a rank), so the comparator compares numbers. */
function bigRanks(values: BigValues, n: number): Float64Array {
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a]! < values[b]! ? -1 : values[a]! > values[b]! ? 1 : 0));
  const out = new Float64Array(n);
  let r = 0;
  for (let k = 0; k < n; k++) {
    if (k > 0 && values[idx[k]!] !== values[idx[k - 1]!]) r++;
    out[idx[k]!] = r;
  }
  return out;
}

export interface SortKey {
  vec: Vec;
  desc: boolean;
  nullsFirst: boolean;
}

/** Sortable numbers of a key column (strings by dictionary rank, BigInts by dense rank); also used by compute/window-frames.ts. */
export function sortable(v: Vec, n: number): Float64Array {
  if (v.t === 'num') return v.values;
  if (v.t === 'bool') return Float64Array.from(v.values.subarray(0, n));
  if (v.t === 'big') return bigRanks(v.values, n);
  const rank = dictRanks(v.dict);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rank[v.codes[i]!]!;
  return out;
}

export function sortPermutation(n: number, keys: SortKey[]): Int32Array {
  const prepared = keys.map((k) => ({ vals: sortable(k.vec, n), valid: k.vec.valid, dir: k.desc ? -1 : 1, nf: k.nullsFirst ? -1 : 1 }));
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => {
    for (const k of prepared) {
      const na = k.valid !== null && k.valid[a] === 0;
      const nb = k.valid !== null && k.valid[b] === 0;
      if (na || nb) {
        if (na && nb) continue;
        return na ? k.nf : -k.nf;
      }
      const x = k.vals[a]!;
      const y = k.vals[b]!;
      if (x < y) return -k.dir;
      if (x > y) return k.dir;
      if (x !== y) {
        // NaN sorts after every number (as in DuckDB).
        const xn = x !== x;
        const yn = y !== y;
        if (xn !== yn) return (xn ? 1 : -1) * k.dir;
      }
    }
    return a - b;
  });
  return idx;
}

export function sortChunk(c: Chunk, keys: SortKey[]): Chunk {
  const perm = sortPermutation(c.length, keys);
  return { length: c.length, cols: c.cols.map((v) => take(v, perm)) };
}
