import { LakehouseError } from '../../connectors/errors.js';
import type { JoinKind } from '../plan/logical.js';
/**
 * Hash join kernel (inner and left outer). The build side is hashed once into a `GroupTable`
 * whose group ids index a CSR list of build rows; probe batches then look keys up by number
 * (string keys are interned once per distinct value) and gather both sides. NULL keys never
 * match. Output columns: probe side, then build side. Synchronous; the build is read-only after
 * construction, so one build can serve many probe batches in sequence.
 */

import type { DataType } from '../plan/types.js';
import { GroupTable } from './hash-table.js';
import { take, type Chunk, type Vec } from './vec.js';

export class HashJoinBuild {
  private readonly table: GroupTable;
  private readonly starts: Int32Array;
  private readonly rows: Int32Array;

  constructor(readonly build: Chunk, keys: Vec[], keyTypes: DataType[]) {
    this.table = new GroupTable(keyTypes, build.length);
    const n = build.length;
    const g = this.table.insert(keys, n);
    const groups = this.table.size;
    const counts = new Int32Array(groups + 1);
    // Rows with a NULL key can never match: leave them out of the lists.
    const live = new Uint8Array(n).fill(1);
    for (const k of keys) if (k.valid) for (let i = 0; i < n; i++) live[i]! &= k.valid[i]!;
    for (let i = 0; i < n; i++) if (live[i]) counts[g[i]! + 1]!++;
    for (let i = 0; i < groups; i++) counts[i + 1]! += counts[i]!;
    this.starts = counts;
    const fill = counts.slice(0, groups);
    this.rows = new Int32Array(counts[groups]!);
    for (let i = 0; i < n; i++) if (live[i]) this.rows[fill[g[i]!]!++] = i;
  }

  get rowCount(): number {
    return this.build.length;
  }

  probe(probe: Chunk, keys: Vec[], kind: JoinKind): Chunk {
    if (kind !== 'inner' && kind !== 'left') throw new LakehouseError('INTERNAL', `${kind} joins are not implemented by this kernel`);
    const n = probe.length;
    const g = this.table.lookup(keys, n);
    const starts = this.starts;
    const left = kind === 'left';
    // Two tight passes (count, then fill) instead of one loop that grows its outputs.
    let m = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      if (gi >= 0) m += starts[gi + 1]! - starts[gi]!;
      else if (left) m++;
    }
    const pidx = new Int32Array(m);
    const bidx = new Int32Array(m);
    const rows = this.rows;
    let o = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      if (gi >= 0) {
        const b = starts[gi + 1]!;
        for (let r = starts[gi]!; r < b; r++) { pidx[o] = i; bidx[o] = rows[r]!; o++; }
      } else if (left) {
        pidx[o] = i; bidx[o] = -1; o++;
      }
    }
    return {
      length: m,
      cols: [...probe.cols.map((v) => take(v, pidx)), ...this.build.cols.map((v) => take(v, bidx))],
    };
  }
}
