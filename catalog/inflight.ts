/**
 * In-flight write markers: how a writer tells orphan removal (and expiry, and recovery) "the
 * files whose names carry these tokens are mine and about to be committed; do not touch them".
 *
 * A writer calls `beginInflight` before it writes its first file. The marker is one small JSON
 * object at `<table root>/_inflight/<id>.json`, re-put every `INFLIGHT_HEARTBEAT_MS` while the
 * write runs, and deleted by `end()` once the outcome is settled: committed, or its files
 * deleted. A write whose commit outcome is unknown calls `leave()` instead: the marker stays,
 * so no sweep deletes files that a delayed metadata write may still make live; it stops
 * protecting once its heartbeat is older than `INFLIGHT_LEASE_MS`, and orphan removal deletes
 * it like any other orphan once it is older than the age floor.
 *
 * Ordering contract (what makes the sweep safe): a writer creates its marker before any file it
 * protects, and deletes it only after the commit that references those files is durable. So a
 * sweep that (1) lists the table's files, then (2) reads the markers, then (3) reads the latest
 * metadata, sees for every listed file either its live marker or the metadata that references
 * it. Matching is by file name: a file is protected when its base name contains a live
 * marker's token (run ids and commit ids are part of every data file, manifest and manifest
 * list name the engine writes).
 *
 * A writer that could not heartbeat for longer than the lease must not commit: `assertFresh()`
 * fails it with COMMIT_FAILED before the metadata write (a sweep may have removed its files).
 */

import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import type { ObjectStore } from '../connectors/object-store.js';

export const INFLIGHT_DIR = '_inflight';
/** How often a running write re-puts its marker. */
export const INFLIGHT_HEARTBEAT_MS = 30_000;
/** A marker whose last heartbeat is older than this no longer protects anything. */
export const INFLIGHT_LEASE_MS = 10 * 60_000;

export interface InflightRecord {
  id: string;
  /** File-name fragments this write's files carry (run id, commit id). */
  tokens: string[];
  /** What kind of write (ingest, sql, job, compaction, commit) — for operators reading markers. */
  kind: string;
  host: string;
  pid: number;
  startedAtMs: number;
  heartbeatAtMs: number;
}

export interface InflightEntry extends InflightRecord {
  key: string;
  /** The store's last-modified time of the marker (the last heartbeat as the store saw it). */
  lastModifiedMs: number;
}

/** Key prefix of a table's markers (`root` is the table's key prefix, '' for a store rooted at the table). */
export function inflightPrefix(root: string): string {
  return root ? `${root.replace(/\/+$/, '')}/${INFLIGHT_DIR}/` : `${INFLIGHT_DIR}/`;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class InflightWrite {
  private timer: NodeJS.Timeout | undefined;
  private lastBeatMs: number;
  private done = false;
  private beating: Promise<void> | undefined;

  private constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly record: InflightRecord,
    private readonly leaseMs: number,
  ) {
    this.lastBeatMs = record.heartbeatAtMs;
  }

  get id(): string {
    return this.record.id;
  }

  get tokens(): readonly string[] {
    return this.record.tokens;
  }

  /** Writes the marker (before any protected file exists) and starts the heartbeat. */
  static async begin(
    store: ObjectStore,
    root: string,
    options: { tokens: string[]; kind: string; id?: string; heartbeatMs?: number; leaseMs?: number },
  ): Promise<InflightWrite> {
    const tokens = options.tokens.filter((t) => t.length >= 8);
    if (tokens.length === 0) throw new LakehouseError('INTERNAL', 'an in-flight marker needs at least one token of 8 or more characters');
    const now = Date.now();
    const record: InflightRecord = {
      id: options.id ?? randomUUID(), tokens, kind: options.kind, host: hostname(), pid: process.pid, startedAtMs: now, heartbeatAtMs: now,
    };
    const w = new InflightWrite(store, `${inflightPrefix(root)}${record.id}.json`, record, options.leaseMs ?? INFLIGHT_LEASE_MS);
    await w.put(now);
    const every = options.heartbeatMs ?? INFLIGHT_HEARTBEAT_MS;
    w.timer = setInterval(() => {
      w.beating ??= w.put(Date.now()).catch(() => undefined).finally(() => { w.beating = undefined; });
    }, every);
    w.timer.unref();
    return w;
  }

  private async put(now: number): Promise<void> {
    if (this.done) return;
    this.record.heartbeatAtMs = now;
    await this.store.put(this.key, enc.encode(JSON.stringify(this.record)), { contentType: 'application/json' });
    this.lastBeatMs = now;
  }

  /** Fails if the marker may have stopped protecting this write's files (heartbeats failed for a lease). */
  assertFresh(nowMs: number = Date.now()): void {
    if (nowMs - this.lastBeatMs <= this.leaseMs * 0.8) return;
    throw new LakehouseError('COMMIT_FAILED', `this write could not renew its in-flight marker for ${Math.round((nowMs - this.lastBeatMs) / 1000)} s, so orphan removal may have deleted its files; nothing was committed`, {
      help: 'Check the store connection and run the write again.',
      details: { marker: this.key, outcomeUnknown: false },
    });
  }

  /** The outcome is settled (committed, or every file deleted): remove the marker. */
  async end(): Promise<void> {
    if (this.done) return;
    this.stop();
    await this.beating;
    await this.store.delete(this.key).catch(() => undefined);
  }

  /** The outcome is unknown: keep the marker (it protects until its lease runs out) and stop beating. */
  leave(): void {
    this.stop();
  }

  private stop(): void {
    this.done = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * The markers of a table, split into those that still protect (heartbeat within the lease) and
 * stale ones. A marker that cannot be parsed protects nothing and is reported as stale.
 */
export async function listInflight(
  store: ObjectStore,
  root: string,
  options: { nowMs?: number; leaseMs?: number } = {},
): Promise<{ live: InflightEntry[]; stale: InflightEntry[] }> {
  const now = options.nowMs ?? Date.now();
  const lease = options.leaseMs ?? INFLIGHT_LEASE_MS;
  const live: InflightEntry[] = [];
  const stale: InflightEntry[] = [];
  for await (const o of store.list(inflightPrefix(root))) {
    if (!o.key.endsWith('.json')) continue;
    let rec: InflightRecord | undefined;
    try {
      const parsed = JSON.parse(dec.decode(await store.get(o.key))) as Partial<InflightRecord>;
      if (Array.isArray(parsed.tokens) && parsed.tokens.every((t) => typeof t === 'string')) rec = parsed as InflightRecord;
    } catch (err) {
      if (isLakehouseError(err, 'NOT_FOUND')) continue; // ended between list and get
      if (!(err instanceof SyntaxError)) throw err;
    }
    const entry: InflightEntry = {
      ...(rec ?? { id: o.key, tokens: [], kind: 'unreadable', host: '', pid: 0, startedAtMs: 0, heartbeatAtMs: 0 }),
      key: o.key,
      lastModifiedMs: o.lastModified.getTime(),
    };
    (rec && now - entry.lastModifiedMs <= lease ? live : stale).push(entry);
  }
  return { live, stale };
}

/** Is the file at `key` protected by one of these (live) markers? */
export function protectedByInflight(markers: readonly InflightRecord[], key: string): InflightRecord | undefined {
  const base = key.slice(key.lastIndexOf('/') + 1);
  return markers.find((m) => m.tokens.some((t) => t.length >= 8 && base.includes(t)));
}
