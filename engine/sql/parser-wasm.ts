/**
 * Our own instance of the SQL parser's WASM module (sqlparser-rs via `@guanmingchiu/sqlparser-ts`),
 * so that a trap can be survived.
 *
 * Why: the package keeps one module-level instance. A WASM trap inside it (e.g. "memory access out
 * of bounds" from a stack overflow on a deeply chained expression) leaves that instance's linear
 * memory in an undefined state, and every later parse in the process fails. The package also
 * wraps the trap into its own ParserError, so callers cannot tell a trap from a syntax error.
 *
 * So, as connectors/parquet-wasm.ts does for parquet-wasm, we load the glue source ourselves
 * (the same code the package runs; its ES `export`s are turned into a returned object and it is
 * compiled with node:vm) against a WebAssembly.Module compiled once. A trap (a
 * `WebAssembly.RuntimeError`) retires the instance: the next parse instantiates a fresh one
 * (a new linear memory) synchronously. Per thread (module state).
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compileFunction } from 'node:vm';

interface WasmApi {
  RuntimeError: new (message?: string) => Error;
  Module: new (bytes: Uint8Array) => object;
}
// The project compiles without DOM typings, which is where TypeScript declares `WebAssembly`.
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Glue {
  initSync(opts: { module: object }): unknown;
  parse_sql(dialect: string, sql: string): unknown;
}

const require = createRequire(import.meta.url);
const wasmDir = join(dirname(require.resolve('@guanmingchiu/sqlparser-ts')), '..', 'wasm');

let compiled: object | undefined;
let glueSource: string | undefined;
let current: Glue | undefined;
let generation = 0;

function load(): Glue {
  compiled ??= new WA.Module(readFileSync(join(wasmDir, 'sqlparser_rs_wasm_bg.wasm')));
  glueSource ??= readFileSync(join(wasmDir, 'sqlparser_rs_wasm.js'), 'utf8')
    .replace(/^export function /gm, 'function ')
    .replace(/^export \{[^}]*\};?\s*$/m, '')
    .replace(/import\.meta\.url/g, '__glueUrl');
  const fn = compileFunction(`${glueSource}\nreturn { initSync, parse_sql };`, ['__glueUrl'], { filename: join(wasmDir, 'sqlparser_rs_wasm.js') });
  const glue = fn(`file://${join(wasmDir, 'sqlparser_rs_wasm.js')}`) as Glue;
  glue.initSync({ module: compiled });
  generation++;
  return glue;
}

/** True for the error a WASM trap raises (out of bounds, unreachable, stack overflow). */
export function isWasmTrap(err: unknown): boolean {
  return err instanceof WA.RuntimeError || (err instanceof RangeError && /call stack/i.test(err.message));
}

/**
 * Parses with the current instance. A trap retires the instance and is rethrown as is (the
 * caller turns it into a coded error); any other error is the parser's syntax error.
 */
export function wasmParse(dialect: string, sql: string): unknown {
  const glue = (current ??= load());
  try {
    return glue.parse_sql(dialect, sql);
  } catch (err) {
    if (isWasmTrap(err) && current === glue) current = undefined;
    throw err;
  }
}

/** Which instance generation is current (tests use it to see that a trap retired one). */
export function sqlParserGeneration(): number {
  return generation;
}
