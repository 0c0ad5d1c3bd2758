/**
 * Hash join kernel for every join kind of plan/logical.ts (inner, left, right, full, semi, anti,
 * mark, single), with an optional residual predicate and SQL's null-aware (`NOT IN`) semantics.
 *
 * The build side is hashed once into a `GroupTable` whose group ids index a CSR list of build
 * rows (`HashJoinBuild`, read-only after construction, so one build — e.g. a broadcast one
 * cached per worker thread — serves many probe batches and tasks). Probing goes through a
 * `JoinProber`, which holds the per-run state: the build rows matched so far (RIGHT/FULL emit
 * the unmatched ones from `finish()`, so a prober must see every probe row of its build's key
 * range — the executor never broadcasts those joins).
 *
 * Matching: equal keys (exact: decimals and int64 beyond 2^53 through hash-table.ts; NULL keys
 * never match), then the residual over the candidate pair (probe columns then build columns),
 * evaluated in blocks of at most `BLOCK` pairs (memory per probe batch: the block, plus the
 * output). A residual that is NULL is no match. With no keys every build row is a candidate
 * (a nested-loop join over the build).
 *
 * Null-aware (`nullAware`, for mark and anti) is SQL's three-valued answer of `x IN (…)` /
 * `x op ANY (…)`: the OR over candidate pairs of their residual (TRUE / FALSE / NULL), where,
 * when the join has keys, the LAST key pair is the three-valued `x = y` of `x IN (subquery)`
 * and the keys before it are strict (correlation equalities: NULL never matches). A probe row
 * without a match is UNKNOWN when a residual among its candidates is NULL, or when some build
 * row of its strict group, with its residual TRUE or NULL, has a NULL last key — or any such row
 * at all when the probe's last key is NULL. mark outputs UNKNOWN as NULL, anti keeps only FALSE
 * rows (so an empty build keeps every row). Without `nullAware`, a NULL residual is no match
 * and mark is never NULL.
 *
 * single: a left join that raises CARDINALITY_VIOLATION when a probe row matches two build rows.
 *
 * Output columns: probe columns then build columns (semi/anti: probe columns; mark: probe
 * columns + one boolean). Synchronous; deterministic for a given input order.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { JoinKind } from '../plan/logical.js';
import type { DataType, Expr } from '../plan/types.js';
import { compileExpr, evalVec, type Evaluator } from './eval.js';
import { GroupTable } from './hash-table.js';
import { allNull, take, type Chunk, type Vec } from './vec.js';

/** Candidate pairs evaluated by one residual call. */
const BLOCK = 65_536;

/** Build rows by group: `rows[starts[g] .. starts[g+1])`. */
interface Csr {
  starts: Int32Array;
  rows: Int32Array;
}

/** Rows grouped by key; `live` rows only (a zero-key table is one group of them all). */
class KeyIndex {
  private readonly table: GroupTable | null;
  readonly csr: Csr;

  constructor(keys: Vec[], types: DataType[], n: number, live: Uint8Array) {
    if (keys.length === 0) {
      this.table = null;
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (live[i]) rows.push(i);
      this.csr = { starts: Int32Array.of(0, rows.length), rows: Int32Array.from(rows) };
      return;
    }
    this.table = new GroupTable(types, n);
    const g = this.table.insert(keys, n);
    const groups = this.table.size;
    const counts = new Int32Array(groups + 1);
    for (let i = 0; i < n; i++) if (live[i]) counts[g[i]! + 1]!++;
    for (let i = 0; i < groups; i++) counts[i + 1]! += counts[i]!;
    const fill = counts.slice(0, groups);
    const rows = new Int32Array(counts[groups]!);
    for (let i = 0; i < n; i++) if (live[i]) rows[fill[g[i]!]!++] = i;
    this.csr = { starts: counts, rows };
  }

  /** Group of each probe row; −1 when a key is NULL or absent. */
  lookup(keys: Vec[], n: number): Int32Array {
    if (!this.table) return new Int32Array(n);
    return this.table.lookup(keys, n);
  }
}

function validMask(keys: Vec[], n: number): Uint8Array {
  const live = new Uint8Array(n).fill(1);
  for (const k of keys) if (k.valid) for (let i = 0; i < n; i++) live[i]! &= k.valid[i]!;
  return live;
}

export interface HashJoinOptions {
  /** Build the extra indexes of null-aware probing (see the module header). */
  nullAware?: boolean;
}

export class HashJoinBuild {
  readonly main: KeyIndex;
  /** Null-aware: all build rows, and those with a NULL last key, by their strict keys. */
  readonly strictAll: KeyIndex | null = null;
  readonly strictNull: KeyIndex | null = null;

  constructor(readonly build: Chunk, keys: Vec[], readonly keyTypes: DataType[], opts: HashJoinOptions = {}) {
    const n = build.length;
    // Rows with a NULL key can never match: they stay out of the lists.
    this.main = new KeyIndex(keys, keyTypes, n, validMask(keys, n));
    if (opts.nullAware && keys.length > 0) {
      const strict = keys.slice(0, -1);
      const strictTypes = keyTypes.slice(0, -1);
      const sLive = validMask(strict, n);
      this.strictAll = new KeyIndex(strict, strictTypes, n, sLive);
      const last = keys[keys.length - 1]!;
      const nullLast = new Uint8Array(n);
      for (let i = 0; i < n; i++) nullLast[i] = sLive[i]! & (last.valid && last.valid[i] === 0 ? 1 : 0);
      this.strictNull = new KeyIndex(strict, strictTypes, n, nullLast);
    }
  }

  get rowCount(): number {
    return this.build.length;
  }

  /** A probe run: `probeTypes` are the probe chunks' column types (for RIGHT/FULL's NULL columns). */
  prober(spec: { kind: JoinKind; residual?: Expr | null; nullAware?: boolean; probeTypes: DataType[] }): JoinProber {
    return new JoinProber(this, spec.kind, spec.residual ? compileExpr(spec.residual) : null, spec.nullAware === true, spec.probeTypes);
  }

  /** One-shot inner/left probe without residual (kept for callers that probe statelessly). */
  probe(probe: Chunk, keys: Vec[], kind: JoinKind): Chunk {
    if (kind !== 'inner' && kind !== 'left') throw new LakehouseError('INTERNAL', `a ${kind} join needs a prober (it keeps state across batches)`);
    return this.prober({ kind, probeTypes: [] }).probe(probe, keys);
  }
}

/** Growable pair list. */
class Pairs {
  p = new Int32Array(1024);
  b = new Int32Array(1024);
  n = 0;
  push(i: number, j: number): void {
    if (this.n === this.p.length) {
      const p = new Int32Array(this.n * 2);
      p.set(this.p);
      this.p = p;
      const b = new Int32Array(this.n * 2);
      b.set(this.b);
      this.b = b;
    }
    this.p[this.n] = i;
    this.b[this.n++] = j;
  }
}

const TRUE = 1;
const UNKNOWN = 2;

export class JoinProber {
  /** RIGHT/FULL: build rows matched by some probe row so far. */
  private readonly matched: Uint8Array | null;

  constructor(
    private readonly hb: HashJoinBuild,
    readonly kind: JoinKind,
    private readonly residual: Evaluator | null,
    private readonly nullAware: boolean,
    private readonly probeTypes: DataType[],
  ) {
    this.matched = kind === 'right' || kind === 'full' ? new Uint8Array(hb.build.length) : null;
    if (nullAware && (kind !== 'mark' && kind !== 'anti')) throw new LakehouseError('INTERNAL', `null-aware ${kind} join`);
    if (nullAware && hb.keyTypes.length > 0 && !hb.strictAll) throw new LakehouseError('INTERNAL', 'null-aware probe of a build without its null-aware indexes');
  }

  /**
   * State of every candidate pair of one block: the residual's value (TRUE, FALSE = 0 or
   * UNKNOWN); without a residual every pair is TRUE.
   */
  private pairStates(probe: Chunk, pidx: Int32Array, bidx: Int32Array, n: number): Uint8Array {
    const out = new Uint8Array(n);
    if (!this.residual) return out.fill(TRUE);
    const pi = pidx.subarray(0, n);
    const bi = bidx.subarray(0, n);
    const c: Chunk = { length: n, cols: [...probe.cols.map((v) => take(v, pi)), ...this.hb.build.cols.map((v) => take(v, bi))] };
    const r = evalVec(this.residual, c);
    if (r.t !== 'bool') throw new LakehouseError('INTERNAL', 'join residual is not boolean');
    for (let i = 0; i < n; i++) out[i] = r.valid && r.valid[i] === 0 ? UNKNOWN : r.values[i]! ? TRUE : 0;
    return out;
  }

  /**
   * The candidate pairs of the probe rows `sel` (those with `g[i] >= 0`), in probe order, in
   * blocks of about BLOCK pairs (one probe row's candidates may be cut over blocks), each with
   * its pair states: memory stays bounded however many build rows a key (or no key) has.
   */
  private forEachBlock(probe: Chunk, csr: Csr, g: Int32Array, sel: ArrayLike<number> | null, fn: (p: Int32Array, b: Int32Array, st: Uint8Array, n: number) => void): void {
    const { starts, rows } = csr;
    const pp = new Int32Array(BLOCK);
    const bb = new Int32Array(BLOCK);
    let m = 0;
    const flush = (): void => {
      if (m === 0) return;
      fn(pp, bb, this.pairStates(probe, pp, bb, m), m);
      m = 0;
    };
    const count = sel ? sel.length : probe.length;
    for (let k = 0; k < count; k++) {
      const i = sel ? sel[k]! : k;
      const gi = g[i]!;
      if (gi < 0) continue;
      const end = starts[gi + 1]!;
      for (let r = starts[gi]!; r < end; r++) {
        pp[m] = i;
        bb[m++] = rows[r]!;
        if (m === BLOCK) flush();
      }
    }
    flush();
  }

  probe(probe: Chunk, keys: Vec[]): Chunk {
    const n = probe.length;
    const g = this.hb.main.lookup(keys, n);
    const { kind } = this;
    // Fast path: inner/left without residual (no per-pair state).
    if (!this.residual && (kind === 'inner' || kind === 'left')) return this.plainProbe(probe, g, kind === 'left');
    // Per probe row: matched (a pair with the residual TRUE), and a residual NULL seen (UNKNOWN).
    const hit = new Uint8Array(n);
    const unknown = new Uint8Array(n);
    const emitsPairs = kind === 'inner' || kind === 'left' || kind === 'right' || kind === 'full' || kind === 'single';
    const out = emitsPairs ? new Pairs() : null;
    const matched = this.matched;
    this.forEachBlock(probe, this.hb.main.csr, g, null, (pp, bb, st, m) => {
      for (let k = 0; k < m; k++) {
        const s = st[k]!;
        const i = pp[k]!;
        if (s === TRUE) {
          if (kind === 'single' && hit[i]) {
            throw new LakehouseError('CARDINALITY_VIOLATION', 'a scalar subquery returned more than one row', {
              help: 'Make the subquery return at most one row per outer row: use an aggregate such as min()/max(), add LIMIT 1, or narrow its WHERE.',
            });
          }
          hit[i] = 1;
          if (out) out.push(i, bb[k]!);
          if (matched) matched[bb[k]!] = 1;
        } else if (s === UNKNOWN) unknown[i] = 1;
      }
    });
    if (this.nullAware && keys.length > 0) this.nullAwareUnknown(probe, keys, hit, unknown);
    switch (kind) {
      case 'inner': case 'right':
        return this.gather(probe, out!.p.subarray(0, out!.n), out!.b.subarray(0, out!.n));
      case 'left': case 'full': case 'single': {
        for (let i = 0; i < n; i++) if (!hit[i]) out!.push(i, -1);
        return this.gather(probe, out!.p.subarray(0, out!.n), out!.b.subarray(0, out!.n));
      }
      case 'semi': case 'anti': {
        const keep: number[] = [];
        for (let i = 0; i < n; i++) {
          const k = kind === 'semi' ? hit[i] === 1 : !hit[i] && !(this.nullAware && unknown[i]);
          if (k) keep.push(i);
        }
        const idx = Int32Array.from(keep);
        return { length: idx.length, cols: probe.cols.map((v) => take(v, idx)) };
      }
      case 'mark': {
        const values = hit;
        let valid: Uint8Array | null = null;
        if (this.nullAware) {
          valid = new Uint8Array(n).fill(1);
          for (let i = 0; i < n; i++) if (!hit[i] && unknown[i]) valid[i] = 0;
        }
        return { length: n, cols: [...probe.cols, { t: 'bool', values, valid }] };
      }
    }
  }

  /**
   * Null-aware: marks UNKNOWN the unmatched probe rows for which `x = y` could be NULL — a NULL
   * probe key against any candidate of its strict group, or a probe key against a NULL build key
   * — with the residual TRUE or NULL on that pair.
   */
  private nullAwareUnknown(probe: Chunk, keys: Vec[], hit: Uint8Array, unknown: Uint8Array): void {
    const n = probe.length;
    const strict = keys.slice(0, -1);
    const last = keys[keys.length - 1]!;
    const sAll = this.hb.strictAll!;
    const sNull = this.hb.strictNull!;
    const g = sAll.lookup(strict, n);
    const gNull = sNull.lookup(strict, n);
    const nullProbe: number[] = [];
    const valProbe: number[] = [];
    for (let i = 0; i < n; i++) {
      if (hit[i] || unknown[i]) continue;
      if (last.valid && last.valid[i] === 0) nullProbe.push(i);
      else valProbe.push(i);
    }
    const check = (csr: Csr, gg: Int32Array, sel: number[]): void => {
      if (!sel.length) return;
      this.forEachBlock(probe, csr, gg, sel, (pp, _bb, st, m) => {
        for (let k = 0; k < m; k++) if (st[k] !== 0) unknown[pp[k]!] = 1;
      });
    };
    check(sAll.csr, g, nullProbe);
    check(sNull.csr, gNull, valProbe);
  }

  private plainProbe(probe: Chunk, g: Int32Array, left: boolean): Chunk {
    const n = probe.length;
    const { starts, rows } = this.hb.main.csr;
    // Two tight passes (count, then fill) instead of one loop that grows its outputs.
    let m = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const c = gi >= 0 ? starts[gi + 1]! - starts[gi]! : 0;
      m += c === 0 && left ? 1 : c;
    }
    const pidx = new Int32Array(m);
    const bidx = new Int32Array(m);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const a = gi >= 0 ? starts[gi]! : 0;
      const b = gi >= 0 ? starts[gi + 1]! : 0;
      if (a === b) {
        if (left) { pidx[o] = i; bidx[o] = -1; o++; }
        continue;
      }
      for (let r = a; r < b; r++) { pidx[o] = i; bidx[o] = rows[r]!; o++; }
    }
    return this.gather(probe, pidx, bidx);
  }

  private gather(probe: Chunk, pidx: Int32Array, bidx: Int32Array): Chunk {
    return {
      length: pidx.length,
      cols: [...probe.cols.map((v) => take(v, pidx)), ...this.hb.build.cols.map((v) => take(v, bidx))],
    };
  }

  /** RIGHT/FULL: the build rows no probe row matched, with NULL probe columns; else null. */
  finish(): Chunk | null {
    if (!this.matched) return null;
    const rest: number[] = [];
    for (let i = 0; i < this.matched.length; i++) if (!this.matched[i]) rest.push(i);
    if (!rest.length) return null;
    const idx = Int32Array.from(rest);
    return {
      length: idx.length,
      cols: [...this.probeTypes.map((t) => allNull(t, idx.length)), ...this.hb.build.cols.map((v) => take(v, idx))],
    };
  }
}
