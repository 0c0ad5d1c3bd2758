/**
 * Hash partitioning of rows by key columns: the shuffle of a partitioned hash join. Both sides of
 * a join are split with the same function, so equal keys land in the same partition whatever
 * side, task or thread they come from. Synchronous once `xxh()` has resolved.
 *
 * - Numbers (every numeric-like type is a double here): an integer-valued key hashes its int32
 *   value, anything else its IEEE bits (−0 as 0, one NaN), then a 32-bit mixer. Equal values of
 *   int32, int64 and double columns therefore agree, as join keys compare them.
 * - Strings: xxh32 of the UTF-8 bytes (xxhash-wasm), once per dictionary entry.
 * The mixer differs from the one `GroupTable` uses for its slots, so the keys of one partition
 * (which share `hash mod parts`) still spread over a partition's hash table.
 */

import xxhash from 'xxhash-wasm';
import { numKeyBits } from './hash-table.js';
import type { Chunk, Vec } from './vec.js';

let hasher: ReturnType<typeof xxhash> | undefined;

/** The process's (or thread's) xxhash-wasm instance, instantiated once. */
export function xxh(): ReturnType<typeof xxhash> {
  hasher ??= xxhash();
  return hasher;
}

type Hasher = Awaited<ReturnType<typeof xxhash>>;

const STRING_SEED = 0x2f0b3c1d;

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return h ^ (h >>> 16);
}

function numHash(x: number): number {
  return mix(numKeyBits(x));
}

/**
 * The partition of every row, in [0, parts). A row with a NULL key gets −1 when `dropNull` (it
 * can match nothing, so an inner join or a build side does not need it) and partition 0 otherwise
 * (the preserved side of an outer join must keep it).
 */
export function partitionIds(keys: Vec[], n: number, parts: number, h: Hasher, dropNull: boolean): Int32Array {
  const acc = new Int32Array(n);
  const nulls = new Uint8Array(n);
  keys.forEach((k, c) => {
    if (k.t === 'str') {
      const dh = new Int32Array(k.dict.length);
      for (let d = 0; d < dh.length; d++) dh[d] = h.h32(k.dict[d]!, STRING_SEED) | 0;
      const codes = k.codes;
      for (let i = 0; i < n; i++) acc[i] = c === 0 ? dh[codes[i]!]! : (Math.imul(acc[i]!, 31) + dh[codes[i]!]!) | 0;
    } else if (k.t === 'big') {
      // Number(x) is deterministic and agrees with a `num` vector holding the same value, so
      // equal keys land in the same partition whichever representation they arrive in.
      const v = k.values;
      for (let i = 0; i < n; i++) { const h = numHash(Number(v[i]!)); acc[i] = c === 0 ? h : (Math.imul(acc[i]!, 31) + h) | 0; }
    } else {
      const v = k.values;
      for (let i = 0; i < n; i++) acc[i] = c === 0 ? numHash(v[i]!) : (Math.imul(acc[i]!, 31) + numHash(v[i]!)) | 0;
    }
    if (k.valid) for (let i = 0; i < n; i++) nulls[i]! |= k.valid[i]! ^ 1;
  });
  // hash × parts / 2^32 (the hash's high bits) rather than hash % parts: a double modulo cost
  // more than the hashing itself.
  const out = new Int32Array(n);
  const nullId = dropNull ? -1 : 0;
  for (let i = 0; i < n; i++) out[i] = nulls[i] ? nullId : (((mix(acc[i]!) >>> 0) * parts) / 4294967296) | 0;
  return out;
}

/**
 * Splits a chunk into `parts` chunks by partition id (rows with id −1 are dropped); row order is
 * kept within a partition. Each column is scattered in one sequential pass into one array laid
 * out partition after partition; the partitions are views of it.
 */
export function splitByPartition(c: Chunk, ids: Int32Array, parts: number): Chunk[] {
  const n = c.length;
  const starts = new Int32Array(parts + 1);
  for (let i = 0; i < n; i++) if (ids[i]! >= 0) starts[ids[i]! + 1]!++;
  for (let p = 0; p < parts; p++) starts[p + 1]! += starts[p]!;
  const total = starts[parts]!;
  const fill = new Int32Array(parts);
  function scatter<T extends Float64Array | Int32Array | Uint8Array>(src: T, dst: T): T {
    fill.set(starts.subarray(0, parts));
    for (let i = 0; i < n; i++) {
      const p = ids[i]!;
      if (p >= 0) dst[fill[p]!++] = src[i]!;
    }
    return dst;
  }
  const cols = c.cols.map((v) => {
    const valid = v.valid ? scatter(v.valid, new Uint8Array(total)) : null;
    if (v.t === 'num') return { ...v, values: scatter(v.values, new Float64Array(total)), valid };
    if (v.t === 'bool') return { ...v, values: scatter(v.values, new Uint8Array(total)), valid };
    if (v.t === 'big') {
      const dst: bigint[] = new Array<bigint>(total);
      fill.set(starts.subarray(0, parts));
      for (let i = 0; i < n; i++) { const p = ids[i]!; if (p >= 0) dst[fill[p]!++] = v.values[i]!; }
      return { ...v, values: dst, valid };
    }
    return { ...v, codes: scatter(v.codes, new Int32Array(total)), valid };
  });
  const out: Chunk[] = [];
  for (let p = 0; p < parts; p++) {
    const a = starts[p]!;
    const b = starts[p + 1]!;
    out.push({
      length: b - a,
      cols: cols.map((v): Vec => {
        const valid = v.valid ? v.valid.subarray(a, b) : null;
        if (v.t === 'num') return { ...v, values: v.values.subarray(a, b), valid };
        if (v.t === 'bool') return { ...v, values: v.values.subarray(a, b), valid };
        if (v.t === 'big') return { ...v, values: v.values.slice(a, b), valid };
        return { ...v, codes: v.codes.subarray(a, b), valid };
      }),
    });
  }
  return out;
}
