/**
 * INTERSECT / EXCEPT [ALL] over two row streams of the same column types (the logical `setop`
 * node): every row of both sides is keyed by all of its columns in one GroupTable
 * (compute/hash-table.ts), which compares exactly — decimals as unscaled integers, BIGINTs
 * beyond 2^53 through its BigInt pool, strings by value, −0 = 0, NaN = NaN — and NULL-safely
 * (NULL keys form a group of their own, so NULL = NULL as the SQL standard asks of set
 * operations). Per distinct row the left and right multiplicities m and n are counted; the
 * result holds each distinct row
 *   INTERSECT: once if m > 0 and n > 0;   INTERSECT ALL: min(m, n) times;
 *   EXCEPT:    once if m > 0 and n = 0;   EXCEPT ALL:    max(m − n, 0) times.
 * Row order of the result is the order in which distinct rows first appeared on the left.
 *
 * Synchronous, single-threaded (one instance per operator run). Memory: O(distinct rows of
 * both inputs) key values plus two counters per distinct row; right rows whose value never
 * appeared on the left are interned too (the table has no insert-free NULL-safe lookup) but
 * not counted.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { DataType } from '../plan/types.js';
import { GroupTable } from './hash-table.js';
import { takeSel, type Chunk } from './vec.js';

export type SetOpKind = 'intersect' | 'except';

/** Output rows per emitted chunk. */
const OUT_ROWS = 65_536;

export class SetOpCounter {
  private readonly table: GroupTable;
  private left = new Float64Array(1024);
  private right = new Float64Array(1024);
  /** Distinct rows seen on the left: group ids 0..leftGroups−1 (right-only groups come later). */
  private leftGroups = 0;
  private rightStarted = false;

  constructor(types: DataType[]) {
    this.table = new GroupTable(types);
  }

  private grow(n: number): void {
    if (n <= this.left.length) return;
    let cap = this.left.length;
    while (cap < n) cap *= 2;
    const l = new Float64Array(cap);
    l.set(this.left);
    const r = new Float64Array(cap);
    r.set(this.right);
    this.left = l;
    this.right = r;
  }

  addLeft(c: Chunk): void {
    if (this.rightStarted) throw new LakehouseError('INTERNAL', 'set operation: left rows arrived after right rows', { help: 'Report this query.' });
    if (c.length === 0) return;
    const ids = this.table.insert(c.cols, c.length);
    this.grow(this.table.size);
    const l = this.left;
    for (let i = 0; i < ids.length; i++) l[ids[i]!]!++;
    this.leftGroups = this.table.size;
  }

  addRight(c: Chunk): void {
    this.rightStarted = true;
    if (c.length === 0 || this.leftGroups === 0) return;
    const ids = this.table.insert(c.cols, c.length);
    const r = this.right;
    const lg = this.leftGroups;
    for (let i = 0; i < ids.length; i++) {
      const g = ids[i]!;
      if (g < lg) r[g]!++;
    }
  }

  /** The result rows, in chunks of at most OUT_ROWS rows (none when the result is empty). */
  *finish(kind: SetOpKind, all: boolean): Generator<Chunk> {
    const lg = this.leftGroups;
    if (lg === 0) return;
    const copies = (g: number): number => {
      const m = this.left[g]!;
      const n = this.right[g]!;
      if (kind === 'intersect') return all ? Math.min(m, n) : m > 0 && n > 0 ? 1 : 0;
      return all ? Math.max(m - n, 0) : n === 0 ? 1 : 0;
    };
    const keys = this.table.keyVecs();
    let idx = new Int32Array(OUT_ROWS);
    let k = 0;
    for (let g = 0; g < lg; g++) {
      for (let c = copies(g); c > 0; c--) {
        idx[k++] = g;
        if (k === OUT_ROWS) {
          yield { length: k, cols: keys.map((v) => takeSel(v, idx)) };
          idx = new Int32Array(OUT_ROWS);
          k = 0;
        }
      }
    }
    if (k > 0) {
      const sel = idx.subarray(0, k);
      yield { length: k, cols: keys.map((v) => takeSel(v, sel)) };
    }
  }
}
