/**
 * Column vectors inside the kernels. Synchronous, single-threaded; no shared state.
 *
 * - `num`: every numeric-like type as a Float64Array (int32/int64/float64, decimals as their
 *   unscaled integer, dates as days since the epoch, timestamps as microseconds since the epoch,
 *   UTC). For exact types (everything but float64) every value is an integer within ±(2^53−1),
 *   so the double arithmetic on it is exact; kernels check that their results stay there.
 * - `big`: an exact type whose values do not all fit a double exactly (int64 ids beyond 2^53,
 *   decimal(38,S) sums, far timestamps): BigInts. A `BigInt64Array` only for int64/timestamp
 *   values already known to be in range (straight from Arrow); kernels produce `bigint[]` and
 *   check their type's range before handing it on. Every kernel accepts `num` and `big` alike
 *   for exact types (compute/exact.ts converts between them).
 * - `bool`: one byte per row (0/1).
 * - `str`: dictionary form — `codes[i]` indexes `dict`. Plain Utf8 input is dictionary-encoded on
 *   load (hashing the UTF-8 bytes, decoding each distinct value once), so string predicates and
 *   functions run once per distinct value and group-by/join compare integer codes.
 * Validity is a byte per row (1 = valid) or `null` when every row is valid. The value stored
 * under a null is unspecified (kernels compute it anyway; branch-free loops are faster).
 */

import { isStringLike, type DataType } from '../plan/types.js';

export type Valid = Uint8Array | null;

export type BigValues = BigInt64Array | bigint[];

export type Vec =
  | { t: 'num'; type: DataType; values: Float64Array; valid: Valid }
  | { t: 'big'; type: DataType; values: BigValues; valid: Valid }
  | { t: 'bool'; values: Uint8Array; valid: Valid }
  | { t: 'str'; codes: Int32Array; dict: string[]; valid: Valid };

export interface Chunk {
  length: number;
  cols: Vec[];
}

export function vecType(v: Vec): DataType {
  return v.t === 'num' || v.t === 'big' ? v.type : v.t === 'bool' ? 'boolean' : 'string';
}

/**
 * The one string order of the engine: by Unicode code point, which is the order of the UTF-8
 * bytes (DuckDB, Spark, Parquet statistics and Iceberg bounds all use it). JavaScript's `<`
 * compares UTF-16 code units, which differs for characters above U+FFFF against U+E000..U+FFFF;
 * only that case takes the slow path.
 */
export function cmpStr(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return surrogateRank(x) - surrogateRank(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Code units ≥ U+D800 reordered so that surrogates (code points above U+FFFF) sort last. */
function surrogateRank(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}

/** Sorted-rank table of a dictionary (rank[code] = position in code-point order). */
export function dictRanks(dict: string[]): Int32Array {
  const order = dict.map((_, i) => i).sort((a, b) => cmpStr(dict[a]!, dict[b]!));
  const rank = new Int32Array(dict.length);
  order.forEach((d, r) => { rank[d] = r; });
  return rank;
}

/** A chunk of no rows with columns of the given types. */
export function emptyChunk(types: DataType[]): Chunk {
  return {
    length: 0,
    cols: types.map((t): Vec => (isStringLike(t) ? { t: 'str', codes: new Int32Array(0), dict: [''], valid: null } : t === 'boolean' ? { t: 'bool', values: new Uint8Array(0), valid: null } : { t: 'num', type: t, values: new Float64Array(0), valid: null })),
  };
}

export function allNull(type: DataType, n: number): Vec {
  const valid = new Uint8Array(n);
  if (type === 'boolean') return { t: 'bool', values: new Uint8Array(n), valid };
  if (isStringLike(type)) return { t: 'str', codes: new Int32Array(n), dict: [''], valid };
  return { t: 'num', type, values: new Float64Array(n), valid };
}

/** Validity of a binary operation: valid where both inputs are valid. */
export function andValid(n: number, a: Valid, b: Valid): Valid {
  if (!a) return b;
  if (!b) return a;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i]! & b[i]!;
  return out;
}

export function isValid(v: Vec, i: number): boolean {
  return v.valid === null || v.valid[i] === 1;
}

/** Gathers rows `idx`, all ≥ 0 (a selection vector): one branch-free loop per column. */
export function takeSel(v: Vec, idx: Int32Array): Vec {
  const n = idx.length;
  let valid: Valid = null;
  if (v.valid) {
    valid = new Uint8Array(n);
    const src = v.valid;
    for (let i = 0; i < n; i++) valid[i] = src[idx[i]!]!;
  }
  if (v.t === 'num') {
    const out = new Float64Array(n);
    const s = v.values;
    for (let i = 0; i < n; i++) out[i] = s[idx[i]!]!;
    return { t: 'num', type: v.type, values: out, valid };
  }
  if (v.t === 'bool') {
    const out = new Uint8Array(n);
    const s = v.values;
    for (let i = 0; i < n; i++) out[i] = s[idx[i]!]!;
    return { t: 'bool', values: out, valid };
  }
  if (v.t === 'big') {
    const out: bigint[] = new Array<bigint>(n);
    const s = v.values;
    for (let i = 0; i < n; i++) out[i] = s[idx[i]!]!;
    return { t: 'big', type: v.type, values: out, valid };
  }
  const out = new Int32Array(n);
  const s = v.codes;
  for (let i = 0; i < n; i++) out[i] = s[idx[i]!]!;
  return { t: 'str', codes: out, dict: v.dict, valid };
}

/** Gathers rows `idx` (−1 = null row, used by outer joins). */
export function take(v: Vec, idx: Int32Array, n: number = idx.length): Vec {
  let valid: Valid = null;
  let hasMinus = false;
  for (let i = 0; i < n; i++) if (idx[i]! < 0) { hasMinus = true; break; }
  if (!hasMinus && n === idx.length) return takeSel(v, idx);
  if (v.valid || hasMinus) {
    valid = new Uint8Array(n);
    const src = v.valid;
    for (let i = 0; i < n; i++) {
      const j = idx[i]!;
      valid[i] = j < 0 ? 0 : src ? src[j]! : 1;
    }
  }
  if (v.t === 'num') {
    const out = new Float64Array(n);
    const s = v.values;
    for (let i = 0; i < n; i++) { const j = idx[i]!; out[i] = j < 0 ? 0 : s[j]!; }
    return { t: 'num', type: v.type, values: out, valid };
  }
  if (v.t === 'bool') {
    const out = new Uint8Array(n);
    const s = v.values;
    for (let i = 0; i < n; i++) { const j = idx[i]!; out[i] = j < 0 ? 0 : s[j]!; }
    return { t: 'bool', values: out, valid };
  }
  if (v.t === 'big') {
    const out: bigint[] = new Array<bigint>(n);
    const s = v.values;
    for (let i = 0; i < n; i++) { const j = idx[i]!; out[i] = j < 0 ? 0n : s[j]!; }
    return { t: 'big', type: v.type, values: out, valid };
  }
  const out = new Int32Array(n);
  const s = v.codes;
  for (let i = 0; i < n; i++) { const j = idx[i]!; out[i] = j < 0 ? 0 : s[j]!; }
  return { t: 'str', codes: out, dict: v.dict.length ? v.dict : [''], valid };
}

/** Row indexes where a boolean vector is TRUE (NULL counts as false, SQL WHERE semantics). */
export function selection(pred: Vec, n: number): Int32Array | null {
  if (pred.t !== 'bool') throw new Error('selection over a non-boolean vector');
  const vals = pred.values;
  const valid = pred.valid;
  let count = 0;
  if (valid) for (let i = 0; i < n; i++) count += vals[i]! & valid[i]!;
  else for (let i = 0; i < n; i++) count += vals[i]!;
  if (count === n) return null;
  // Branch-free: write every index and advance only past kept ones (a data-dependent branch
  // mispredicts on selective filters). One spare slot takes the last unkept write.
  const idx = new Int32Array(count + 1);
  let k = 0;
  if (valid) {
    for (let i = 0; i < n; i++) { idx[k] = i; k += vals[i]! & valid[i]!; }
  } else {
    for (let i = 0; i < n; i++) { idx[k] = i; k += vals[i]!; }
  }
  return idx.subarray(0, count);
}

/**
 * A WHERE result as a row mask (1 = keep; NULL counts as false) and the number of kept rows,
 * in one small monomorphic loop (for a filter fused into an aggregation).
 */
export function predicateMask(pred: Vec, n: number): { mask: Uint8Array; kept: number } {
  if (pred.t !== 'bool') throw new Error('predicateMask over a non-boolean vector');
  const mask = new Uint8Array(n);
  const pv = pred.values;
  const pvalid = pred.valid;
  let kept = 0;
  if (pvalid) for (let i = 0; i < n; i++) { const m = pv[i]! & pvalid[i]!; mask[i] = m; kept += m; }
  else for (let i = 0; i < n; i++) { const m = pv[i]!; mask[i] = m; kept += m; }
  return { mask, kept };
}

export function filterChunk(c: Chunk, pred: Vec): Chunk {
  const idx = selection(pred, c.length);
  if (idx === null) return c;
  return { length: idx.length, cols: c.cols.map((v) => takeSel(v, idx)) };
}

export function sliceChunk(c: Chunk, start: number, end: number): Chunk {
  const idx = new Int32Array(Math.max(0, end - start));
  for (let i = 0; i < idx.length; i++) idx[i] = start + i;
  return { length: idx.length, cols: c.cols.map((v) => take(v, idx)) };
}

/** Concatenates chunks with the same column layout (string dictionaries are merged). */
export function concatChunks(chunks: Chunk[], types: DataType[]): Chunk {
  const total = chunks.reduce((s, c) => s + c.length, 0);
  const cols: Vec[] = types.map((type, ci) => {
    const parts = chunks.map((c) => c.cols[ci]!);
    if (parts.length === 1) return parts[0]!;
    const anyNull = parts.some((p) => p.valid !== null);
    const valid = anyNull ? new Uint8Array(total) : null;
    let off = 0;
    if (valid) {
      for (let p = 0; p < parts.length; p++) {
        const v = parts[p]!;
        const len = chunks[p]!.length;
        if (v.valid) valid.set(v.valid.subarray(0, len), off);
        else valid.fill(1, off, off + len);
        off += len;
      }
      off = 0;
    }
    if (isStringLike(type)) {
      const dict: string[] = [];
      const ids = new Map<string, number>();
      const codes = new Int32Array(total);
      for (let p = 0; p < parts.length; p++) {
        const v = parts[p]! as Extract<Vec, { t: 'str' }>;
        const remap = new Int32Array(v.dict.length);
        for (let d = 0; d < v.dict.length; d++) {
          const s = v.dict[d]!;
          let id = ids.get(s);
          if (id === undefined) { id = dict.length; dict.push(s); ids.set(s, id); }
          remap[d] = id;
        }
        const len = chunks[p]!.length;
        for (let i = 0; i < len; i++) codes[off + i] = remap[v.codes[i]!]!;
        off += len;
      }
      return { t: 'str', codes, dict: dict.length ? dict : [''], valid };
    }
    if (type === 'boolean') {
      const values = new Uint8Array(total);
      for (let p = 0; p < parts.length; p++) {
        const v = parts[p]! as Extract<Vec, { t: 'bool' }>;
        values.set(v.values.subarray(0, chunks[p]!.length), off);
        off += chunks[p]!.length;
      }
      return { t: 'bool', values, valid };
    }
    if (parts.some((p) => p.t === 'big')) {
      // One part too wide for doubles makes the whole column BigInts (exact; the rare path).
      const values: bigint[] = new Array<bigint>(total);
      for (let p = 0; p < parts.length; p++) {
        const v = parts[p]! as Extract<Vec, { t: 'num' | 'big' }>;
        const len = chunks[p]!.length;
        if (v.t === 'big') for (let i = 0; i < len; i++) values[off + i] = v.values[i]!;
        else for (let i = 0; i < len; i++) values[off + i] = BigInt(v.values[i]!);
        off += len;
      }
      return { t: 'big', type, values, valid };
    }
    const values = new Float64Array(total);
    for (let p = 0; p < parts.length; p++) {
      const v = parts[p]! as Extract<Vec, { t: 'num' }>;
      values.set(v.values.subarray(0, chunks[p]!.length), off);
      off += chunks[p]!.length;
    }
    return { t: 'num', type, values, valid };
  });
  return { length: total, cols };
}
