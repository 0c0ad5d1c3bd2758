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

export interface WorkerReply {
  ok: boolean;
  buffers?: Uint8Array[];
  stats?: { decodeMs: number; computeMs: number; encodeMs: number; rowsIn: number; startedAt: number; endedAt: number };
  error?: { code?: string; message: string; help?: string; name?: string; stack?: string };
}

export default async function runTask(input: { packed: Uint8Array; signal?: unknown }): Promise<unknown> {
  const startedAt = performance.timeOrigin + performance.now();
  const fragment = unpack(input.packed) as Fragment & { fault?: string };
  try {
    if (fragment.fault === 'crash') {
      // Fault injection for tests: the thread dies as if it had hit a fatal error.
      setImmediate(() => { throw new Error('injected worker crash'); });
      await new Promise(() => undefined);
    }
    const res = await runFragment(fragment);
    const t0 = performance.now();
    const buffers = res.chunks.map((c, i) => chunkToIPC(c, res.types[i]!));
    const reply: WorkerReply = { ok: true, buffers, stats: { ...res.stats, encodeMs: performance.now() - t0, startedAt, endedAt: performance.timeOrigin + performance.now() } };
    return Piscina.move({
      get [Piscina.transferableSymbol]() { return [...new Set(buffers.map((b) => b.buffer))]; },
      get [Piscina.valueSymbol]() { return reply; },
    } as never);
  } catch (err) {
    const e = err as Error & { code?: string; help?: string };
    const reply: WorkerReply = {
      ok: false,
      error: { message: isLakehouseError(err) ? e.message.split('\nHelp: ')[0]! : String(e?.message ?? err), name: e?.name, ...(e?.stack ? { stack: e.stack } : {}), ...(isLakehouseError(err) ? { code: err.code, ...(err.help ? { help: err.help } : {}) } : {}) },
    };
    return reply;
  }
}
