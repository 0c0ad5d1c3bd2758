/**
 * Our own instance of parquet-wasm, loaded so that a WASM trap (a Rust panic on corrupt input,
 * which parquet-wasm compiles to `unreachable`) can neither crash the process nor hang a read.
 *
 * Why: parquet-wasm's async reader polls its futures from `queueMicrotask` callbacks and from
 * promise callbacks. A trap there is an uncaught exception (Node exits) and the read's promise
 * never settles (a hang). We load the module's CommonJS source ourselves (the same code Node
 * would run) with a `queueMicrotask` that catches and reports traps; `StoreBlob` in
 * parquet-read.ts returns thenables that do the same for its I/O callbacks. A read races its
 * WASM promise against the trap report and fails with CORRUPT_FILE.
 *
 * After a trap the instance's state is undefined, so it is retired: later calls get a fresh
 * instance (a new module, a new linear memory). Work in flight on the retired instance may fail
 * and is then reported as corrupt input too — acceptable for a path that only bad files reach.
 * Everything here is per thread (module state); workers each have their own instance.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { compileFunction } from 'node:vm';

export type ParquetWasm = typeof import('parquet-wasm');

// The project compiles without DOM typings, which is where TypeScript declares `WebAssembly`.
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new (message?: string) => Error } }).WebAssembly.RuntimeError;

const require = createRequire(import.meta.url);
const modulePath = require.resolve('parquet-wasm');
let source: string | undefined;

type TrapListener = (err: unknown) => void;

interface Instance {
  wasm: ParquetWasm;
  generation: number;
  listeners: Set<TrapListener>;
}

let current: Instance | undefined;
let generation = 0;

function load(): Instance {
  source ??= readFileSync(modulePath, 'utf8');
  const inst: Instance = { wasm: undefined as unknown as ParquetWasm, generation: ++generation, listeners: new Set() };
  const guardedMicrotask = (cb: () => void): void => {
    queueMicrotask(() => {
      try {
        cb();
      } catch (err) {
        reportTrap(inst, err);
      }
    });
  };
  const fn = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname', 'queueMicrotask'], { filename: modulePath });
  const mod = { exports: {} as Record<string, unknown> };
  fn(mod.exports, require, mod, modulePath, dirname(modulePath), guardedMicrotask);
  inst.wasm = mod.exports as unknown as ParquetWasm;
  return inst;
}

function reportTrap(inst: Instance, err: unknown): void {
  if (current === inst) current = undefined; // retire: the next caller gets a fresh instance
  for (const l of inst.listeners) l(err);
}

/** A handle on the current instance, with a way to hear about traps in its async work. */
export interface WasmHandle {
  readonly wasm: ParquetWasm;
  /** Settles (rejects) when this instance traps; use it in `Promise.race` with WASM promises. */
  readonly trapped: Promise<never>;
  /** Report a trap caught elsewhere (a synchronous call or an I/O callback). */
  trap(err: unknown): void;
  /** Stop listening (call when done, so listeners do not accumulate). */
  release(): void;
}

export function acquireParquetWasm(): WasmHandle {
  current ??= load();
  const inst = current;
  let listener: TrapListener | undefined;
  const trapped = new Promise<never>((_, reject) => {
    listener = (err) => reject(err);
    inst.listeners.add(listener);
  });
  trapped.catch(() => undefined); // observed via race; never an unhandled rejection
  return {
    wasm: inst.wasm,
    trapped,
    trap: (err) => reportTrap(inst, err),
    release: () => {
      if (listener) inst.listeners.delete(listener);
    },
  };
}

/** The current instance for synchronous use (writers); call `retireParquetWasm` if it throws a trap. */
export function parquetWasm(): ParquetWasm {
  current ??= load();
  return current.wasm;
}

/** True for the error a WASM trap raises (`RuntimeError: unreachable`, out of bounds, …). */
export function isWasmTrap(err: unknown): boolean {
  return err instanceof WasmRuntimeError;
}

/** Retires the current instance after a synchronous trap. */
export function retireParquetWasm(): void {
  if (current) reportTrap(current, new WasmRuntimeError('retired'));
}

/** Which instance generation is current (tests use it to see that a trap retired one). */
export function parquetWasmGeneration(): number {
  return current?.generation ?? generation;
}
