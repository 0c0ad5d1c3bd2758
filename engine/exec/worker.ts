/**
 * Worker-thread entry (loaded by piscina from dist/engine/exec/worker.js). Receives one msgpackr-
 * packed `Fragment`, runs it, and returns its output chunks as Arrow IPC buffers whose memory is
 * transferred (not copied) to the coordinator. Errors travel back as data so that the
 * coordinator can rethrow them with their LakehouseError code.
 *
 * Streamed tasks (`port` given; plain scan pipelines of a query): the output does not wait for
 * the end of the task. It is posted on the port in slices (see `SliceEmitter`) as the scan
 * produces it, and the task may run at most `window` slices ahead of the coordinator's
 * acknowledgements: past that it waits (holding only the row group it is decoding) until the
 * consumer takes a slice or the task is cancelled. The reply then carries only the count of
 * slices posted (`streamed`); the coordinator finishes when it has seen them all.
 */

import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { unpack } from 'msgpackr';
import { isLakehouseError, LakehouseError } from '../../connectors/errors.js';
import { concatChunks, sliceChunk, type Chunk } from '../compute/vec.js';
import type { DataType } from '../plan/types.js';
import type { Fragment, OpStats } from './fragment.js';
import { runFragment } from './fragment.js';
import { chunkToIPC } from './ipc.js';
import type { SinkFile } from '../write/sink.js';

export interface WorkerReply {
  ok: boolean;
  buffers?: Uint8Array[];
  /** Rows in each buffer. */
  rows?: number[];
  /** Files written by a sink fragment (plain data). */
  files?: SinkFile[];
  /** Streamed tasks: how many slices were posted on the port (the output is there, not here). */
  streamed?: number;
  stats?: { decodeMs: number; computeMs: number; encodeMs: number; rowsIn: number; startedAt: number; endedAt: number; ops?: OpStats[] };
  error?: { code?: string; message: string; help?: string; name?: string; stack?: string };
}

/** An AbortSignal driven by the coordinator's shared cancel flag, checked where tasks check `aborted`. */
function flagSignal(flag: Int32Array | undefined): AbortSignal | undefined {
  if (!flag) return undefined;
  const controller = new AbortController();
  const timer = setInterval(() => {
    if (Atomics.load(flag, 0) === 1) {
      controller.abort();
      clearInterval(timer);
    }
  }, 5);
  timer.unref();
  const signal = controller.signal;
  Object.defineProperty(signal, 'aborted', { get: () => Atomics.load(flag, 0) === 1 || controller.signal.reason !== undefined });
  (signal as AbortSignal & { dispose?: () => void }).dispose = () => clearInterval(timer);
  return signal;
}

/** A message on a streamed task's port: one slice of output, as Arrow IPC (its buffer transferred). */
export interface SliceMessage {
  buffer: Uint8Array;
  rows: number;
}

/** Bounds of a streamed task's slices (rows and encoded bytes) and its window. */
export interface StreamLimits {
  /** At most this many rows per slice. */
  rows: number;
  /** Slices are cut to aim at this many IPC bytes (the row count adapts to the row width). */
  bytes: number;
  /** Slices posted and not yet acknowledged, at most. */
  window: number;
}

/**
 * Turns a fragment's output chunks into bounded slices on a port. Small chunks (after a
 * selective filter) are gathered up to the slice size; large ones are cut. The first slice
 * measures the row width in IPC bytes and the next ones are cut to `limits.bytes`.
 */
class SliceEmitter {
  private pending: Chunk[] = [];
  private pendingRows = 0;
  private sliceRows: number;
  sent = 0;
  private acked = 0;
  private wake: (() => void) | null = null;
  encodeMs = 0;
  waitMs = 0;

  constructor(private readonly port: MessagePort, private readonly types: DataType[], private readonly limits: StreamLimits, private readonly signal: AbortSignal | undefined) {
    this.sliceRows = limits.rows;
    port.on('message', (n: number) => {
      this.acked += n;
      this.wake?.();
    });
    signal?.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  async push(c: Chunk): Promise<void> {
    this.pending.push(c);
    this.pendingRows += c.length;
    while (this.pendingRows >= this.sliceRows) await this.emit(this.sliceRows);
  }

  async end(): Promise<void> {
    while (this.pendingRows > 0) await this.emit(Math.min(this.sliceRows, this.pendingRows));
    this.port.close();
  }

  /** Posts the first `n` pending rows as one slice, after waiting for room in the window. */
  private async emit(n: number): Promise<void> {
    const w0 = performance.now();
    while (this.sent - this.acked >= this.limits.window) {
      if (this.signal?.aborted) throw new LakehouseError('CANCELLED', 'task cancelled');
      await new Promise<void>((resolve) => { this.wake = resolve; });
      this.wake = null;
    }
    if (this.signal?.aborted) throw new LakehouseError('CANCELLED', 'task cancelled');
    const t0 = performance.now();
    this.waitMs += t0 - w0;
    const all = this.pending.length === 1 ? this.pending[0]! : concatChunks(this.pending, this.types);
    const slice = n === all.length ? all : sliceChunk(all, 0, n);
    this.pending = n === all.length ? [] : [sliceChunk(all, n, all.length)];
    this.pendingRows -= n;
    const buffer = chunkToIPC(slice, this.types);
    // Adapt the rows of the next slices to the byte target (wide rows make fewer per slice).
    const perRow = buffer.byteLength / Math.max(1, n);
    this.sliceRows = Math.max(1024, Math.min(this.limits.rows, Math.floor(this.limits.bytes / Math.max(1, perRow))));
    const msg: SliceMessage = { buffer, rows: n };
    this.port.postMessage(msg, [buffer.buffer as ArrayBuffer]);
    this.sent++;
    this.encodeMs += performance.now() - t0;
  }
}

export default async function runTask(input: { packed: Uint8Array; cancel?: Int32Array; payload?: Uint8Array[]; port?: MessagePort; limits?: StreamLimits }): Promise<unknown> {
  const startedAt = performance.timeOrigin + performance.now();
  const fragment = unpack(input.packed) as Fragment & { fault?: string };
  if (input.payload?.length) fragment.task.payload = input.payload;
  const signal = flagSignal(input.cancel);
  const emitter = input.port && input.limits ? new SliceEmitter(input.port, fragment.types, input.limits, signal) : null;
  try {
    if (fragment.fault === 'crash') {
      // Fault injection for tests: the thread dies as if it had hit a fatal error.
      setImmediate(() => { throw new Error('injected worker crash'); });
      await new Promise(() => undefined);
    }
    const res = await runFragment(fragment, signal, emitter ? (c) => emitter.push(c) : undefined);
    if (emitter) await emitter.end();
    const t0 = performance.now();
    const buffers = res.chunks.map((c, i) => chunkToIPC(c, res.types[i]!));
    (signal as (AbortSignal & { dispose?: () => void }) | undefined)?.dispose?.();
    const encodeMs = performance.now() - t0 + (emitter?.encodeMs ?? 0);
    // Time spent waiting for the consumer is neither decode nor compute.
    const stats = emitter ? { ...res.stats, computeMs: Math.max(0, res.stats.computeMs - emitter.waitMs - emitter.encodeMs) } : res.stats;
    const reply: WorkerReply = {
      ok: true, buffers, rows: res.chunks.map((c) => c.length), ...(res.files ? { files: res.files } : {}), ...(emitter ? { streamed: emitter.sent } : {}),
      stats: { ...stats, encodeMs, startedAt, endedAt: performance.timeOrigin + performance.now() },
    };
    return Piscina.move({
      get [Piscina.transferableSymbol]() { return [...new Set(buffers.map((b) => b.buffer))]; },
      get [Piscina.valueSymbol]() { return reply; },
    } as never);
  } catch (err) {
    input.port?.close();
    (signal as (AbortSignal & { dispose?: () => void }) | undefined)?.dispose?.();
    const e = err as Error & { code?: string; help?: string };
    const reply: WorkerReply = {
      ok: false,
      error: { message: isLakehouseError(err) ? e.message.split('\nHelp: ')[0]! : String(e?.message ?? err), name: e?.name, ...(e?.stack ? { stack: e.stack } : {}), ...(isLakehouseError(err) ? { code: err.code, ...(err.help ? { help: err.help } : {}) } : {}) },
    };
    return reply;
  }
}
