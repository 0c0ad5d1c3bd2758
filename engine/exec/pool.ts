/**
 * The worker pool: a piscina pool sized to the machine's cores, running `Fragment`s in
 * dist/engine/exec/worker.js. Descriptors go in msgpackr-packed (their buffer transferred);
 * results come back as Arrow IPC buffers transferred by the worker.
 *
 * Concurrency contract: `run` may be called concurrently from any number of queries.
 * Cancellation is cooperative: each task carries a shared one-word flag that the worker checks
 * between batches, and aborting sets it and rejects the caller at once. A cancelled task's
 * thread finishes its current batch and returns (within milliseconds), instead of being
 * terminated: terminating threads through piscina's own `signal` raced with results already in
 * flight ("Unexpected message from Worker", an uncaught exception in the coordinator). A worker
 * that crashes fails only the task it was running, with the worker's error; the pool recovers.
 *
 * Streamed tasks (`stream`): the worker posts its output in slices on a MessagePort of the task
 * as it computes it, and waits when `window` slices are unacknowledged; the coordinator decodes
 * each slice on arrival and acknowledges it when its consumer takes it (see executor.ts,
 * streamFragments). The reply carries the number of slices, so a reply that overtakes its last
 * slices is held until they are in.
 *
 * Worker loading: piscina's worker first tries `require(filename)` and only then `import()`.
 * On Node 20.19+ `require()` of our ESM worker goes through the experimental `require(esm)`
 * path, which aborted the whole process about once in 30 CLI runs on a busy machine
 * (`FATAL ERROR: v8::Module::IsGraphAsync … must be used on an instantiated module`, exit 134,
 * sometimes after a write had committed, so the user never learnt the outcome). The workers
 * therefore start with `--no-experimental-require-module`: `require()` then fails cleanly with
 * ERR_REQUIRE_ESM and piscina loads the worker through `import()`. The flag applies to the
 * worker threads only (piscina passes `execArgv` to `new Worker`); `bench/cli-stress.ts`
 * measures the abort rate.
 */

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import { Piscina } from 'piscina';
import { isLakehouseError, LakehouseError, type ErrorCode } from '../../connectors/errors.js';
import type { Chunk } from '../compute/vec.js';

/** Plans carry exact BigInt literals (wide decimals, int64 beyond 2^53): msgpackr's BigInt
 * extension keeps values past 64 bits that its plain int64 encoding would refuse. */
const PACKR = new Packr({ useBigIntExtension: true });
import type { Fragment, OpStats } from './fragment.js';
import { chunkFromIPC } from './ipc.js';
import type { SliceMessage, StreamLimits, WorkerReply } from './worker.js';
import type { SinkFile } from '../write/sink.js';

export interface TaskStats {
  decodeMs: number;
  computeMs: number;
  encodeMs: number;
  /** Result hand-over: worker end → coordinator has the chunks (message + IPC decode). */
  transferMs: number;
  /** Waiting for a free worker. */
  queueMs: number;
  rowsIn: number;
  /** Per fragment op: rows, bytes and time (EXPLAIN ANALYZE). */
  ops?: OpStats[];
}

export interface TaskOutput {
  chunks: Chunk[];
  /** With `raw`: the output as the worker's Arrow IPC buffers (not decoded here), and their row counts. */
  buffers?: Uint8Array[];
  rows?: number[];
  /** Files written by a sink fragment. */
  files?: SinkFile[];
  stats: TaskStats;
}

/**
 * A streamed task's output: each slice is handed to `onSlice` as it arrives, with an `ack` to
 * call when the consumer takes it — the worker runs at most `limits.window` unacknowledged
 * slices ahead (see worker.ts). `run` resolves once every slice has been handed over.
 */
export interface StreamOptions {
  limits: StreamLimits;
  onSlice(chunks: Chunk[], ack: () => void): void;
}

/** Node flag that keeps piscina off the `require(esm)` path (see the module header). */
export const NO_REQUIRE_ESM_FLAG = '--no-experimental-require-module';

/** The worker threads' execArgv: the parent's, plus the flag on Node versions that know it. */
export function workerExecArgv(base: readonly string[] = process.execArgv): string[] {
  // Tests only: LAKE_WORKER_REQUIRE_ESM=1 keeps the old loading path, to measure what the flag buys.
  const keep = process.env['LAKE_WORKER_REQUIRE_ESM'] === '1';
  const args = base.filter((a) => a !== NO_REQUIRE_ESM_FLAG && a !== '--experimental-require-module');
  // Node < 20.17 has no require(esm) and rejects the unknown flag in a Worker's execArgv.
  return keep || !('require_module' in process.features) ? [...base] : [...args, NO_REQUIRE_ESM_FLAG];
}

/** The workers' young-generation size (see the constructor). */
const WORKER_YOUNG_GENERATION_MB = 8;

/** How long close() waits for cancelled tasks to come back before it destroys the threads. */
const CLOSE_SETTLE_MS = 10_000;

export class WorkerPool {
  private readonly pool: Piscina;
  readonly threads: number;
  /** Tasks sent and not yet answered — including cancelled ones whose callers have moved on. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(options: { threads?: number } = {}) {
    this.threads = Math.max(1, options.threads ?? availableParallelism());
    this.pool = new Piscina({
      filename: fileURLToPath(new URL('./worker.js', import.meta.url)),
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      execArgv: workerExecArgv(),
      // A small nursery: worker batches are short-lived (a batch's vectors die when its slice or
      // partial is sent), and with V8's default young generation they survived long enough to be
      // promoted — measured on a streamed 5M-row `SELECT *`: peak RSS 510 → 475 MB and 40 → 25 s
      // wall with 8 MB. Only the nursery is capped: the old generation keeps V8's limit, so no
      // large hash table or sort can run out of memory because of this.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
  }

  /**
   * Runs one fragment. With `settle`, a cancelled task is waited for (its thread sees the flag
   * within one batch) before the call rejects: writes need that, so that the files a cancelled
   * task deletes on its way out are gone before the caller cleans up. With `raw`, the output
   * stays Arrow IPC (a shuffle passes it on to another task without decoding it here).
   */
  async run(fragment: Fragment & { fault?: string }, outTypes: (i: number) => Fragment['types'], signal: AbortSignal, options: { settle?: boolean; raw?: boolean; stream?: StreamOptions } = {}): Promise<TaskOutput> {
    // A task's payload (rows it carries) is transferred beside the packed descriptor, not copied
    // into it. Views into a larger buffer are copied first: transferring detaches the whole buffer.
    const payload = (fragment.task.payload ?? []).map((b) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice()));
    // A copy: msgpackr packs into a buffer it reuses, which must not be transferred away.
    const packed = new Uint8Array(PACKR.pack(payload.length ? { ...fragment, task: { ...fragment.task, payload: [] } } : fragment));
    let reply: WorkerReply;
    const sentAt = performance.timeOrigin + performance.now();
    if (signal.aborted) throw new LakehouseError('CANCELLED', 'query cancelled', { cause: signal.reason });
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        Atomics.store(cancel, 0, 1);
        reject(new LakehouseError('CANCELLED', 'query cancelled', { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    const transferList: unknown[] = [...new Set([packed.buffer, ...payload.map((b) => b.buffer)])];
    const channel = options.stream ? this.openStream(options.stream, outTypes(0)) : null;
    if (channel) transferList.push(channel.port);
    const input = channel ? { packed, cancel, payload, port: channel.port, limits: options.stream!.limits } : { packed, cancel, payload };
    const task = this.pool.run(input, { transferList: transferList as ArrayBuffer[] }) as Promise<WorkerReply>;
    // A cancelled task still settles later; its outcome is no longer anyone's business, but the
    // pool must not be destroyed under it (piscina throws "Unexpected message from Worker",
    // uncaught, when a reply arrives for a destroyed pool): close() waits for these.
    const settled = task.then(() => undefined, () => undefined);
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
    try {
      reply = await Promise.race([task, aborted]);
      // The slices travel on their own port: the reply may overtake the last ones.
      if (channel && reply.ok) await Promise.race([channel.received(reply.streamed ?? 0), aborted]);
    } catch (err) {
      if (channel) channel.close();
      if (isLakehouseError(err) && !signal.aborted) throw err;
      if (signal.aborted) {
        if (options.settle) await task.then(() => undefined, () => undefined);
        throw new LakehouseError('CANCELLED', 'query cancelled', { cause: signal.reason });
      }
      throw new LakehouseError('TASK_FAILED', `a worker failed while running a task: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
        help: 'The query was stopped; the worker pool has replaced the failed thread and can run new queries.',
      });
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
    channel?.close();
    if (!reply.ok) {
      const e = reply.error!;
      const code = (e.code ?? 'TASK_FAILED') as ErrorCode;
      const err = new LakehouseError(code, e.code ? e.message : `task failed: ${e.message}`, e.help ? { help: e.help } : {});
      if (e.stack && !e.code) err.stack = e.stack;
      throw err;
    }
    const chunks = options.raw ? [] : (reply.buffers ?? []).flatMap((b, i) => chunkFromIPC(b, outTypes(i)));
    const s = reply.stats!;
    const doneAt = performance.timeOrigin + performance.now();
    return {
      chunks,
      ...(options.raw ? { buffers: reply.buffers ?? [], rows: reply.rows ?? [] } : {}),
      ...(reply.files ? { files: reply.files } : {}),
      stats: {
        decodeMs: s.decodeMs, computeMs: s.computeMs, encodeMs: s.encodeMs, rowsIn: s.rowsIn, ...(s.ops ? { ops: s.ops } : {}),
        queueMs: Math.max(0, s.startedAt - sentAt), transferMs: Math.max(0, doneAt - s.endedAt),
      },
    };
  }

  /** The coordinator's end of a streamed task: decodes slices, hands them on, counts them. */
  private openStream(stream: StreamOptions, types: Fragment['types']): { port: MessagePort; received(n: number): Promise<void>; close(): void } {
    const { port1, port2 } = new MessageChannel();
    let count = 0;
    let closed = false;
    let want = -1;
    let resolveAll: (() => void) | null = null;
    let rejectAll: ((e: Error) => void) | null = null;
    let failed: Error | null = null;
    const check = (): void => {
      if (failed) rejectAll?.(failed);
      else if (want >= 0 && count >= want) resolveAll?.();
      else if (want >= 0 && closed) {
        rejectAll?.(new LakehouseError('INTERNAL', `internal: a streamed task posted ${want} slices, ${count} arrived`, { help: 'Run the query again; report this if it repeats.' }));
      }
    };
    port1.on('message', (m: SliceMessage) => {
      count++;
      // A slice that cannot be decoded fails this task (through received()), not the process.
      try {
        if (!failed) stream.onSlice(chunkFromIPC(m.buffer, types), () => { if (!closed) port1.postMessage(1); });
      } catch (err) {
        failed = err instanceof Error ? err : new Error(String(err));
        if (!closed) { closed = true; port1.close(); }
      }
      check();
    });
    port1.on('close', () => { closed = true; check(); });
    return {
      port: port2,
      received: (n) => new Promise<void>((resolve, reject) => { want = n; resolveAll = resolve; rejectAll = reject; check(); }),
      close: () => { if (!closed) { closed = true; port1.close(); } },
    };
  }

  /**
   * Waits (at most CLOSE_SETTLE_MS) for tasks still running — cancelled tasks see their flag
   * within one batch — then destroys the threads.
   */
  async close(): Promise<void> {
    if (this.inflight.size) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inflight]),
        new Promise((r) => { timer = setTimeout(r, CLOSE_SETTLE_MS); timer.unref(); }),
      ]);
      if (timer) clearTimeout(timer);
    }
    await this.pool.destroy();
  }
}
