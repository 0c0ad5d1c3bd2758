/**
 * A fault-injecting ObjectStore wrapper for crash, retry and conflict tests.
 *
 * Rules match operations (and optionally keys) and then fail, delay, "crash" or break
 * conditional writes. `when: 'after'` performs the operation first and then fails — the case
 * of a write that was applied but whose answer was lost. `when: 'later'` fails the call at once
 * with a transient fault (as if the request timed out on the client) and performs the operation
 * `delayMs` later in the background — a delayed delivery that lands after the writer gave up;
 * `settled()` waits for every such background operation. A crash makes every later operation
 * fail too, as if the process had died at that point: nothing after it reaches the store.
 * The optional temp-file methods are forwarded (without faults) when the inner store has them.
 */

import { LakehouseError } from './errors.js';
import { collectBody } from './keys.js';
import type { Body, ByteRange, ObjectMeta, ObjectStore, PutOptions } from './object-store.js';

export type FaultOp = 'get' | 'head' | 'put' | 'putIfAbsent' | 'list' | 'delete' | 'deleteMany';

export interface FaultRule {
  op: FaultOp | FaultOp[] | '*';
  /** Which keys: exact key, regular expression, or predicate. Default: every key. */
  key?: string | RegExp | ((key: string) => boolean);
  /** Fire only on the nth matching call (1-based). Default: every matching call. */
  nth?: number;
  /** Fire at most this many times. Default: once when `nth` is set, else unlimited. */
  times?: number;
  /**
   * fail: a transient error (retry layers retry it). error: a permanent error (or `error`).
   * delay: wait `delayMs`, then proceed. crash: fail now and every operation after.
   * ignore-precondition: putIfAbsent overwrites and reports success, like a store that ignores
   * `If-None-Match`.
   */
  action: 'fail' | 'error' | 'delay' | 'crash' | 'ignore-precondition';
  /**
   * before (default): fail without performing. after: perform, then fail. later: fail at once
   * with a transient fault and perform the operation `delayMs` (default 0) later in the
   * background, whatever the action (see `FaultyStore.settled`).
   */
  when?: 'before' | 'after' | 'later';
  delayMs?: number;
  error?: unknown;
}

export interface FaultCall {
  op: FaultOp;
  key: string;
  fault?: FaultRule['action'];
}

export class FaultyStore implements ObjectStore {
  readonly calls: FaultCall[] = [];
  crashed = false;
  private readonly seen = new Map<FaultRule, number>();
  private readonly fired = new Map<FaultRule, number>();
  private readonly background = new Set<Promise<void>>();
  /** Outcomes of the background operations of `when: 'later'` rules, in completion order. */
  readonly lateResults: Array<{ op: FaultOp; key: string; ok: boolean; value?: unknown; error?: unknown }> = [];
  readonly listTemporary?: (prefix: string) => AsyncIterable<ObjectMeta>;
  readonly deleteTemporary?: (key: string) => Promise<void>;

  constructor(readonly inner: ObjectStore, readonly rules: FaultRule[]) {
    const list = inner.listTemporary?.bind(inner);
    const del = inner.deleteTemporary?.bind(inner);
    if (list) this.listTemporary = (prefix) => list(prefix);
    if (del) this.deleteTemporary = (key) => del(key);
  }

  /** Resolves when every background operation of a `when: 'later'` rule has finished. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  get uri(): string {
    return this.inner.uri;
  }

  /** Brings a crashed store back (a "restarted process" sees the same storage). */
  revive(): void {
    this.crashed = false;
  }

  private match(op: FaultOp, key: string): FaultRule | undefined {
    for (const r of this.rules) {
      const ops = r.op === '*' ? undefined : Array.isArray(r.op) ? r.op : [r.op];
      if (ops && !ops.includes(op)) continue;
      if (r.key !== undefined) {
        const ok = typeof r.key === 'string' ? r.key === key : r.key instanceof RegExp ? r.key.test(key) : r.key(key);
        if (!ok) continue;
      }
      const n = (this.seen.get(r) ?? 0) + 1;
      this.seen.set(r, n);
      if (r.nth !== undefined && n !== r.nth) continue;
      const limit = r.times ?? (r.nth !== undefined ? 1 : Infinity);
      const f = this.fired.get(r) ?? 0;
      if (f >= limit) continue;
      this.fired.set(r, f + 1);
      return r;
    }
    return undefined;
  }

  private async run<T>(op: FaultOp, key: string, perform: (rule?: FaultRule) => Promise<T>): Promise<T> {
    if (this.crashed) throw crashError(op, key, true);
    const rule = this.match(op, key);
    this.calls.push({ op, key, fault: rule?.action });
    if (!rule) return perform();
    if (rule.when === 'later') {
      const late = (async () => {
        await new Promise((r) => setTimeout(r, rule.delayMs ?? 0));
        try {
          this.lateResults.push({ op, key, ok: true, value: await perform(rule.action === 'ignore-precondition' ? rule : undefined) });
        } catch (error) {
          this.lateResults.push({ op, key, ok: false, error });
        }
      })();
      this.background.add(late);
      void late.finally(() => this.background.delete(late));
      throw new LakehouseError('INJECTED_FAULT', `injected timeout of ${op} "${key}" (delivered ${rule.delayMs ?? 0} ms later)`, {
        details: { op, key, transient: true, late: true },
      });
    }
    if (rule.action === 'delay') {
      await new Promise((r) => setTimeout(r, rule.delayMs ?? 0));
      return perform();
    }
    if (rule.action === 'ignore-precondition') return perform(rule);
    if (rule.when === 'after') await perform();
    if (rule.action === 'crash') {
      this.crashed = true;
      throw crashError(op, key, false);
    }
    if (rule.action === 'error') {
      // Applied, then refused: the caller cannot know whether it landed.
      const applied = rule.when === 'after' ? { outcomeUnknown: true } : {};
      throw rule.error ?? new LakehouseError('INJECTED_FAULT', `injected permanent failure of ${op} "${key}"`, { details: { op, key, transient: false, ...applied } });
    }
    throw new LakehouseError('INJECTED_FAULT', `injected transient failure of ${op} "${key}"`, { details: { op, key, transient: true } });
  }

  get(key: string, range?: ByteRange): Promise<Uint8Array> {
    return this.run('get', key, () => this.inner.get(key, range));
  }

  head(key: string): Promise<ObjectMeta | undefined> {
    return this.run('head', key, () => this.inner.head(key));
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<void> {
    // A delayed delivery needs the bytes after the caller moved on: take them now.
    if (!(body instanceof Uint8Array) && this.rules.some((r) => r.when === 'later')) body = await collectBody(body);
    const bytes = body instanceof Uint8Array ? new Uint8Array(body) : body;
    return this.run('put', key, () => this.inner.put(key, bytes, options));
  }

  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    body = new Uint8Array(body);
    return this.run('putIfAbsent', key, async (rule) => {
      if (rule?.action === 'ignore-precondition') {
        await this.inner.put(key, body, options);
        return true;
      }
      return this.inner.putIfAbsent(key, body, options);
    });
  }

  async *list(prefix = ''): AsyncIterable<ObjectMeta> {
    const items: ObjectMeta[] = [];
    await this.run('list', prefix, async () => {
      for await (const m of this.inner.list(prefix)) items.push(m);
    });
    yield* items;
  }

  delete(key: string): Promise<void> {
    return this.run('delete', key, () => this.inner.delete(key));
  }

  deleteMany(keys: Iterable<string>): Promise<void> {
    const all = [...keys];
    return this.run('deleteMany', all[0] ?? '', () => this.inner.deleteMany(all));
  }

  uriFor(key: string): string {
    return this.inner.uriFor(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export function withFaults(store: ObjectStore, rules: FaultRule[]): FaultyStore {
  return new FaultyStore(store, rules);
}

export function isInjectedCrash(err: unknown): boolean {
  return err instanceof LakehouseError && err.code === 'INJECTED_FAULT' && err.details['crash'] === true;
}

function crashError(op: FaultOp, key: string, after: boolean): LakehouseError {
  return new LakehouseError(
    'INJECTED_FAULT',
    after ? `store is down after a simulated crash (${op} "${key}")` : `simulated crash at ${op} "${key}"`,
    // A "dead process" never learns what its last request did.
    { details: { op, key, crash: true, transient: false, outcomeUnknown: true } },
  );
}
