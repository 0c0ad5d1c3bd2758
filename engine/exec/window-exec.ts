/**
 * Execution of a logical `window` node, parallel by partition key.
 *
 * Coordinator side (`executeWindow`): the input streams in; every chunk is split by the hash of
 * its PARTITION BY keys into P partitions (compute/partition.ts — the shuffle of partitioned
 * joins; rows whose keys hold a NULL go to partition 0, so equal keys, NULLs included, always
 * meet) and kept as Arrow IPC. Each non-empty partition then becomes one task on the worker pool
 * (`Fragment.window`), at most `maxInFlight` at a time, whose output is yielded as it finishes
 * (row order is unspecified, as in SQL without ORDER BY). A window without PARTITION BY is one
 * task. Memory: the shuffled input as IPC here until its task takes it; in a worker, the input of
 * its one partition task (decoded, sorted copy, one column per call). Nothing spills.
 *
 * Worker side (`runWindowTask`): decodes the partition's rows and runs the window kernel
 * (compute/window.ts) over them — every PARTITION BY key present in a task has all its rows
 * there. Cancellation: the query's signal aborts the remaining tasks.
 */

import { LakehouseError } from '../../connectors/errors.js';
import { compileExpr, evalVec } from '../compute/eval.js';
import { partitionIds, splitByPartition, xxh } from '../compute/partition.js';
import { concatChunks, emptyChunk, type Chunk } from '../compute/vec.js';
import { computeWindow, type WindowSpec } from '../compute/window.js';
import type { PlanNode } from '../plan/logical.js';
import type { DataType, Schema } from '../plan/types.js';
import type { ExecContext } from './executor.js';
import type { Fragment, FragmentResult } from './fragment.js';
import { chunkToIPC, oneChunkFromIPC } from './ipc.js';

/** What the window stage reads of its node: the logical window node or the physical one (engine/physical/plan.ts). */
type WindowNode = Pick<Extract<PlanNode, { op: 'window' }>, 'partitionBy' | 'orderBy' | 'calls' | 'schema'> & { input: { schema: Schema } };

/** The window work of one pool task: the partition's rows arrive as the task's IPC payload. */
export interface WindowFragment {
  spec: WindowSpec;
  inputTypes: DataType[];
}

/** Partitions per pool thread for a partitioned window (more than one evens out skewed keys). */
const PARTS_PER_THREAD = 4;

export async function* executeWindow(p: WindowNode, input: AsyncIterable<Chunk>, ctx: ExecContext): AsyncGenerator<Chunk> {
  const inputTypes = p.input.schema.map((f) => f.type);
  const types = p.schema.map((f) => f.type);
  const parts = p.partitionBy.length ? ctx.pool.threads * PARTS_PER_THREAD : 1;
  const buffers: Uint8Array[][] = Array.from({ length: parts }, () => []);
  const rows = new Array<number>(parts).fill(0);
  const keys = p.partitionBy.map(compileExpr);
  const h = parts > 1 ? await xxh() : null;
  let splitMs = 0;
  for await (const c of input) {
    if (!c.length) continue;
    const t0 = performance.now();
    if (!h) {
      buffers[0]!.push(chunkToIPC(c, inputTypes));
      rows[0]! += c.length;
    } else {
      const ids = partitionIds(keys.map((k) => evalVec(k, c)), c.length, parts, h, false);
      splitByPartition(c, ids, parts).forEach((part, i) => {
        if (!part.length) return;
        buffers[i]!.push(chunkToIPC(part, inputTypes));
        rows[i]! += part.length;
      });
    }
    splitMs += performance.now() - t0;
  }
  // The split and encoding of the input on this thread (the merge-side work of this stage).
  ctx.stats.mergeMs += splitMs;
  const spec: WindowSpec = { partitionBy: p.partitionBy, orderBy: p.orderBy, calls: p.calls };
  const todo = buffers.map((b, i) => ({ b, i })).filter(({ i }) => rows[i]! > 0);
  if (todo.length === 0) {
    yield emptyChunk(types);
    return;
  }
  // The stage's own signal: the consumer stopping early (or an error) cancels the rest.
  const stage = new AbortController();
  const onAbort = (): void => stage.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const launch = (k: number): Promise<{ k: number; chunks: Chunk[] }> => {
    const payload = todo[k]!.b;
    todo[k]!.b = [];
    const fragment: Fragment = {
      task: { kind: 'ipc', bytes: payload.reduce((n, b) => n + b.byteLength, 0), rows: rows[todo[k]!.i]!, payload },
      scanColumns: [], ops: [], types, window: { spec, inputTypes },
    };
    return ctx.pool.run(fragment, () => types, stage.signal).then((out) => {
      ctx.stats.tasks++;
      ctx.stats.computeMs += out.stats.computeMs;
      ctx.stats.transferMs += out.stats.transferMs;
      ctx.stats.queueMs += out.stats.queueMs;
      return { k, chunks: out.chunks };
    });
  };
  const pending = new Map<number, Promise<{ k: number; chunks: Chunk[] }>>();
  let next = 0;
  const fill = (): void => {
    while (pending.size < Math.max(1, ctx.maxInFlight) && next < todo.length) {
      const k = next++;
      const run = launch(k);
      run.catch(() => undefined);
      pending.set(k, run);
    }
  };
  try {
    fill();
    while (pending.size) {
      if (ctx.signal.aborted) throw new LakehouseError('CANCELLED', 'query cancelled', { cause: ctx.signal.reason });
      const { k, chunks } = await Promise.race(pending.values());
      pending.delete(k);
      fill();
      for (const c of chunks) if (c.length) yield c;
    }
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (pending.size || next < todo.length) stage.abort(new LakehouseError('CANCELLED', 'stage finished early'));
  }
}

/** A window task (in a worker, or wherever runFragment runs it): its payload's rows through the kernel. */
export function runWindowTask(f: Fragment, w: WindowFragment): FragmentResult {
  const t0 = performance.now();
  const parts = (f.task.payload ?? []).map((b) => oneChunkFromIPC(b, w.inputTypes)).filter((c) => c.length > 0);
  const input = parts.length === 1 ? parts[0]! : parts.length ? concatChunks(parts, w.inputTypes) : emptyChunk(w.inputTypes);
  const t1 = performance.now();
  const out = computeWindow(input, w.spec);
  return { chunks: [out], types: [f.types], stats: { decodeMs: t1 - t0, computeMs: performance.now() - t1, rowsIn: input.length } };
}
