/**
 * The shape of one scalar function in the registry (engine/functions/registry.ts), in the style
 * of DataFusion's ScalarUDFImpl: name, aliases, argument typing, kernel and documentation in
 * one object, so that adding a function is one entry in one family file.
 *
 * - `bind` checks and coerces the bound arguments and returns the bound expression — usually
 *   `{k:'call', fn: name, args, type}`, plain data that travels to the workers, where `kernel`
 *   (looked up by `fn`) compiles it; a function may also bind to other expressions (`ifnull` →
 *   `coalesce`, `nullif` → CASE).
 * - `kernel` compiles a bound call whose `fn` is this entry's name (args already compiled).
 * Nothing here holds state: entries are constants shared by every query and worker.
 */

import type { DataType, Expr } from '../plan/types.js';
import type { Evaluator } from './kernel.js';

export type CallExpr = Extract<Expr, { k: 'call' }>;

export type Family = 'string' | 'regex' | 'math' | 'date' | 'conditional';

/** A SQL INTERVAL as DuckDB keeps it: months, days and microseconds, applied in that order. */
export interface IntervalValue {
  months: number;
  days: number;
  micros: number;
}

export interface BindTools {
  /** The name as the query wrote it (for messages). */
  name: string;
  /** Throws PLAN_ERROR at the call's SQL position. */
  fail(msg: string, help?: string): never;
  /** Throws UNSUPPORTED "not supported yet: …" at the call's SQL position. */
  unsupported(what: string): never;
  /** The value of argument i when it was written as an INTERVAL literal (its Expr is then a NULL placeholder). */
  interval(i: number): IntervalValue | undefined;
  /** The statement's pinned clock: µs since the epoch (UTC), the same for every row and worker. */
  now(): number;
}

export interface ScalarFunction {
  name: string;
  aliases?: string[];
  family: Family;
  /** `name(arg TYPE, …) → TYPE`, as the reference shows it. */
  signature: string;
  /** One or two sentences: what it returns, NULL behaviour, DuckDB differences. */
  doc: string;
  example?: string;
  bind(args: Expr[], t: BindTools): Expr;
  kernel?(e: CallExpr, args: Evaluator[]): Evaluator;
}

/** A kernel the binder targets that is not callable by name (interval arithmetic). */
export interface InternalKernel {
  name: string;
  kernel(e: CallExpr, args: Evaluator[]): Evaluator;
}

export type { DataType };
