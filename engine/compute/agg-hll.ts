/**
 * approx_count_distinct: a HyperLogLog sketch per group (Flajolet et al. 2007, with the small-
 * range linear counting of Heule et al. 2013), mergeable across tasks.
 *
 * Each value is hashed to 32 bits (numbers by their key bits as hash-table.ts keys them — so
 * 1, 1.0 and a BigInt 1 agree, −0 = 0, one NaN — strings by FNV-1a over their UTF-16 units,
 * both through murmur3's finalizer). A group starts *sparse*: the set of its distinct hashes,
 * exact up to hash collisions (for n values about n²/2^33 of them: none below ~10^4 values).
 * Past SPARSE_MAX hashes it turns *dense*: 2^12 registers (4 KiB), standard error 1.04/√4096 ≈
 * 1.6%; integers within ±2^31 hash without collisions at all (the finalizer is a bijection).
 * DuckDB's own sketch differs, so answers agree with DuckDB within the two error bounds, not
 * digit for digit. Memory: at most 4 KiB + SPARSE_MAX hashes per group.
 *
 * Wire form of a partial state (one string cell per group): "s" + base-36 hashes joined by ","
 * (sparse) or "d" + one character per register, '0' + value (dense); NULL for an empty group.
 * Synchronous, deterministic.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { SAFE } from './exact.js';
import { numKeyBits } from './hash-table.js';
import type { ExtState } from './agg-stats.js';
import type { Vec } from './vec.js';

const P = 12;
const M = 1 << P;
const SPARSE_MAX = 1024;
const SAFE_N = BigInt(SAFE);

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h ^ s.length);
}

function hashBig(x: bigint): number {
  if (x <= SAFE_N && x >= -SAFE_N) return fmix(numKeyBits(Number(x)));
  const lo = Number(BigInt.asUintN(32, x));
  const hi = Number(BigInt.asUintN(32, x >> 32n));
  return fmix(Math.imul(lo ^ 0x27d4eb2f, 0x9e3779b1) ^ hi ^ Number(BigInt.asUintN(32, x >> 64n)));
}

/** 32-bit hashes of a vector's valid values (dictionary strings hashed once per entry). */
function hashes(v: Vec, n: number): Uint32Array {
  const out = new Uint32Array(n);
  if (v.t === 'str') {
    const dh = v.dict.map(hashString);
    for (let i = 0; i < n; i++) out[i] = dh[v.codes[i]!]!;
  } else if (v.t === 'big') {
    for (let i = 0; i < n; i++) if (v.valid === null || v.valid[i]) out[i] = hashBig(v.values[i]!);
  } else {
    const x = v.values;
    for (let i = 0; i < n; i++) out[i] = fmix(numKeyBits(x[i]!));
  }
  return out;
}

interface Sketch {
  set: Set<number> | null;
  regs: Uint8Array | null;
}

function addHash(s: Sketch, h: number): void {
  if (s.set) {
    s.set.add(h);
    if (s.set.size > SPARSE_MAX) densify(s);
    return;
  }
  const regs = s.regs!;
  // The register from the hash's top bits, the rank from a second mix of the whole hash: the
  // low bits of one murmur finalizer over sequential integers are too regular for the rank
  // (−4.6% on 20,000 consecutive ids, against −1.1% this way).
  const idx = h >>> (32 - P);
  const rank = Math.min(Math.clz32(fmix(h ^ 0x5bd1e995)) + 1, 32 - P + 1);
  if (rank > regs[idx]!) regs[idx] = rank;
}

function densify(s: Sketch): void {
  const set = s.set!;
  s.set = null;
  s.regs = new Uint8Array(M);
  for (const h of set) addHash(s, h);
}

function estimate(s: Sketch): number {
  if (s.set) return s.set.size;
  const regs = s.regs!;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) { sum += 2 ** -regs[i]!; if (regs[i] === 0) zeros++; }
  const alpha = 0.7213 / (1 + 1.079 / M);
  let e = (alpha * M * M) / sum;
  if (e <= 2.5 * M && zeros > 0) e = M * Math.log(M / zeros);
  else if (e > 2 ** 32 / 30) e = -(2 ** 32) * Math.log(1 - e / 2 ** 32);
  return Math.round(e);
}

export class HllState implements ExtState {
  private sketches: Array<Sketch | null> = [];

  grow(cap: number): void {
    while (this.sketches.length < cap) this.sketches.push(null);
  }

  private at(k: number): Sketch {
    let s = this.sketches[k];
    if (!s) { s = { set: new Set(), regs: null }; this.sketches[k] = s; }
    return s;
  }

  update(g: Int32Array, args: Vec[], n: number): void {
    const v = args[0]!;
    const h = hashes(v, n);
    for (let i = 0; i < n; i++) {
      if (v.valid !== null && v.valid[i] === 0) continue;
      addHash(this.at(g[i]!), h[i]!);
    }
  }

  reset(k: number): void {
    this.sketches[k] = null;
  }

  partial(size: number): Vec[] {
    const dict: string[] = [''];
    const codes = new Int32Array(size);
    const valid = new Uint8Array(size);
    for (let k = 0; k < size; k++) {
      const s = this.sketches[k];
      if (!s) continue;
      valid[k] = 1;
      codes[k] = dict.length;
      dict.push(s.set ? 's' + [...s.set].map((h) => h.toString(36)).join(',') : 'd' + String.fromCharCode(...Array.from(s.regs!, (r) => 48 + r)));
    }
    return [{ t: 'str', codes, dict, valid }];
  }

  merge(g: Int32Array, cols: Vec[], n: number): void {
    const c = cols[0]!;
    if (c.t !== 'str') throw new LakehouseError('INTERNAL', `an approx_count_distinct sketch arrived as a ${c.t} column`);
    for (let i = 0; i < n; i++) {
      if (c.valid !== null && c.valid[i] === 0) continue;
      const text = c.dict[c.codes[i]!]!;
      const s = this.at(g[i]!);
      if (text[0] === 's') {
        if (text.length > 1) for (const h of text.slice(1).split(',')) addHash(s, parseInt(h, 36));
        continue;
      }
      if (s.set) densify(s);
      const regs = s.regs!;
      for (let r = 0; r < M; r++) { const x = text.charCodeAt(r + 1) - 48; if (x > regs[r]!) regs[r] = x; }
    }
  }

  finish(size: number): Vec {
    const out = new Float64Array(size);
    for (let k = 0; k < size; k++) { const s = this.sketches[k]; out[k] = s ? estimate(s) : 0; }
    return { t: 'num', type: 'int64', values: out, valid: null };
  }
}
