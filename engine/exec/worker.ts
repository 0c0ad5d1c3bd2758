/**
 * Worker-thread entry (loaded by piscina from dist/engine/exec/worker.js). Receives one msgpackr-
 * packed `Fragment`, runs it, and returns its output chunks as Arrow IPC buffers whose memory is
 * transferred (not copied) to the coordinator. Errors travel back as data so that the
 * coordinator can rethrow them with their LakehouseError code.
 */

import { Piscina } from 'piscina';
import { unpack } from 'msgpackr';
import { isLakehouseError } from '../../connectors/errors.js';
import type { Fragment } from './fragment.js';
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
  stats?: { decodeMs: number; computeMs: number; encodeMs: number; rowsIn: number; startedAt: number; endedAt: number };
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

export default async function runTask(input: { packed: Uint8Array; cancel?: Int32Array; payload?: Uint8Array[] }): Promise<unknown> {
  const startedAt = performance.timeOrigin + performance.now();
  const fragment = unpack(input.packed) as Fragment & { fault?: string };
  if (input.payload?.length) fragment.task.payload = input.payload;
  const signal = flagSignal(input.cancel);
  try {
    if (fragment.fault === 'crash') {
      // Fault injection for tests: the thread dies as if it had hit a fatal error.
      setImmediate(() => { throw new Error('injected worker crash'); });
      await new Promise(() => undefined);
    }
    const res = await runFragment(fragment, signal);
    const t0 = performance.now();
    const buffers = res.chunks.map((c, i) => chunkToIPC(c, res.types[i]!));
    (signal as (AbortSignal & { dispose?: () => void }) | undefined)?.dispose?.();
    const reply: WorkerReply = { ok: true, buffers, rows: res.chunks.map((c) => c.length), ...(res.files ? { files: res.files } : {}), stats: { ...res.stats, encodeMs: performance.now() - t0, startedAt, endedAt: performance.timeOrigin + performance.now() } };
    return Piscina.move({
      get [Piscina.transferableSymbol]() { return [...new Set(buffers.map((b) => b.buffer))]; },
      get [Piscina.valueSymbol]() { return reply; },
    } as never);
  } catch (err) {
    (signal as (AbortSignal & { dispose?: () => void }) | undefined)?.dispose?.();
    const e = err as Error & { code?: string; help?: string };
    const reply: WorkerReply = {
      ok: false,
      error: { message: isLakehouseError(err) ? e.message.split('\nHelp: ')[0]! : String(e?.message ?? err), name: e?.name, ...(e?.stack ? { stack: e.stack } : {}), ...(isLakehouseError(err) ? { code: err.code, ...(err.help ? { help: err.help } : {}) } : {}) },
    };
    return reply;
  }
}
