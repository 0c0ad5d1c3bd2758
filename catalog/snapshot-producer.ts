/**
 * Builds snapshots for append / overwrite / replace / delete commits (a `CommitOperation` for
 * commit.ts). New files' manifests are written once and reused by every retry (their entries
 * inherit snapshot id and sequence number from the manifest list); manifests that must change
 * (files marked deleted, merges) and the manifest list are rebuilt per attempt against the
 * latest base, after re-validating the operation against every snapshot committed since the
 * base it started from.
 *
 * Validation (serializable for the files an operation touches):
 * - append: always rebases.
 * - replace / delete / overwrite: every file it removes must still be live in the new base.
 * - overwrite: also fails if a snapshot committed since its start (other than an append)
 *   added or removed files in a partition it writes.
 * - replace: also fails if a concurrent commit added delete files to a partition it rewrites.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { LakehouseError } from '../connectors/errors.js';
import type { AttemptResult, CommitOperation, TableState } from './commit.js';
import { EntryStatus, writeManifestList, type DataFile, type ManifestEntry, type ManifestFile } from './manifest.js';
import { mapLimit, readManifestEntries, readSnapshotManifests, writeManifestFile } from './manifest-io.js';
import { ancestors, currentSnapshot, specById, type Operation, type Snapshot, type SnapshotSummary } from './spec/metadata.js';
import { partitionKey } from './spec/partition.js';
import { findCommitSnapshot } from './commit-status.js';
import type { Requirement, Update } from './spec/updates.js';

export interface Provenance {
  /**
   * The writer-chosen id of this commit, recorded as `lake.commit-id` (default: a fresh UUID).
   * Manifest and manifest-list names carry it, so an in-flight marker protects them.
   */
  commitId?: string;
  /** A caller's idempotency key (`lake.idempotency-key`): a second commit with the same key is refused. */
  idempotencyKey?: string;
  runId?: string;
  jobName?: string;
  inputSnapshotIds?: Array<bigint | string>;
  /** Extra summary properties (string values). */
  summary?: Record<string, string>;
}

export interface ProducerSpec {
  operation: Operation;
  add: DataFile[];
  /** Locations of files to remove (data or delete files); each must be live at commit. */
  remove: string[];
  /** Dynamic partition overwrite: remove every live data file in the partitions written. */
  overwriteAddedPartitions?: boolean;
  provenance?: Provenance;
  /** Snapshot the operation was planned against (defaults to the base at first attempt). */
  startingSnapshotId?: bigint | null;
}

export const MANIFEST_MIN_MERGE_COUNT = 100;
export const MANIFEST_TARGET_SIZE = 8 * 1024 * 1024;

export function newSnapshotId(): bigint {
  // Positive 63-bit random id, as Java generates.
  return randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
}

const IO_CONCURRENCY = 16;
const COMMIT_ID_RE = /^[A-Za-z0-9_.-]{8,128}$/;

export class SnapshotProducer implements CommitOperation {
  readonly snapshotId = newSnapshotId();
  readonly commitId: string;
  private newManifests: Array<{ file: ManifestFile; key: string }> | undefined;
  private startId: bigint | null | undefined;
  private lastManifestKeys = new Set<string>();

  constructor(private readonly spec: ProducerSpec) {
    this.startId = spec.startingSnapshotId;
    this.commitId = spec.provenance?.commitId ?? randomUUID();
    if (!COMMIT_ID_RE.test(this.commitId)) {
      throw new LakehouseError('INVALID_ARGUMENT', `commit id "${this.commitId}" must be 8 to 128 letters, digits, ".", "_" or "-"`, { help: 'It becomes part of manifest file names; a UUID is a good choice.' });
    }
  }

  landedIn(md: import('./spec/metadata.js').TableMetadata): boolean {
    return md.snapshots.some((s) => s['snapshot-id'] === this.snapshotId);
  }

  sharedFiles(): string[] {
    return (this.newManifests ?? []).map((m) => m.key);
  }

  usedSharedFiles(): Set<string> {
    return new Set(this.sharedFiles().filter((k) => this.lastManifestKeys.has(k)));
  }

  async attempt(base: TableState, attemptNo: number): Promise<AttemptResult> {
    const md = base.metadata;
    const io = base.io;
    const parent = currentSnapshot(md);
    const parentId = parent?.['snapshot-id'] ?? null;
    if (this.startId === undefined) this.startId = parentId;
    const seq = md['last-sequence-number'] + 1;
    const attemptFiles: string[] = [];

    const key = this.spec.provenance?.idempotencyKey;
    const dup = key ? findCommitSnapshot(md, { idempotencyKey: key }) : undefined;
    if (dup) {
      throw new LakehouseError('COMMIT_CONFLICT', `a commit with idempotency key "${key}" is already in the table (snapshot ${dup['snapshot-id']}); this one was not committed`, {
        help: 'Nothing to do: the earlier commit with this key already published its data.',
        details: { duplicateOf: String(dup['snapshot-id']), idempotencyKey: key, outcomeUnknown: false },
      });
    }
    if (this.spec.operation !== 'append') await this.validate(base);

    // 1. manifests of the new files: written once.
    if (!this.newManifests) {
      this.newManifests = [];
      const bySpec = new Map<string, DataFile[]>();
      for (const f of this.spec.add) {
        const k = `${f.specId}|${f.content === 0 ? 0 : 1}`;
        bySpec.set(k, [...(bySpec.get(k) ?? []), f]);
      }
      for (const [k, files] of bySpec) {
        const [specId, content] = k.split('|').map(Number) as [number, 0 | 1];
        const entries = files.map((f) => ({ status: EntryStatus.ADDED, snapshotId: this.snapshotId, sequenceNumber: seq, fileSequenceNumber: seq, dataFile: f, inherit: true }));
        this.newManifests.push(await writeManifestFile(io, md, specById(md, specId), content, entries, this.snapshotId, seq, this.commitId));
      }
    }
    const fresh = this.newManifests.map((m) => ({ ...m.file, sequenceNumber: seq, minSequenceNumber: seq }));

    // 2. carry over the parent's manifests, rewriting those that hold removed files.
    const parentManifests = parent ? await readSnapshotManifests(io, parent) : [];
    const toRemove = new Set(this.spec.remove);
    const removedFiles: DataFile[] = [];
    let carried: ManifestFile[] = parentManifests;
    if (toRemove.size > 0 || this.spec.overwriteAddedPartitions) {
      const parts = new Set(this.spec.add.filter((f) => f.content === 0).map((f) => partitionKey(f.specId, f.partition)));
      const found = new Set<string>();
      carried = [];
      const rewritten = await mapLimit(parentManifests, IO_CONCURRENCY, async (m) => {
        const entries = await readManifestEntries(io, md, m);
        const hit = entries.filter(
          (e) =>
            e.status !== EntryStatus.DELETED &&
            (toRemove.has(e.dataFile.filePath) || (this.spec.overwriteAddedPartitions && e.dataFile.content === 0 && parts.has(partitionKey(e.dataFile.specId, e.dataFile.partition)))),
        );
        return { m, entries, hit };
      });
      for (const { m, entries, hit } of rewritten) {
        if (hit.length === 0) {
          carried.push(m);
          continue;
        }
        const hitSet = new Set(hit);
        const out: ManifestEntry[] = [];
        for (const e of entries) {
          if (e.status === EntryStatus.DELETED) continue;
          if (hitSet.has(e)) {
            found.add(e.dataFile.filePath);
            removedFiles.push(e.dataFile);
            out.push({ ...e, status: EntryStatus.DELETED, snapshotId: this.snapshotId });
          } else out.push({ ...e, status: EntryStatus.EXISTING });
        }
        const nm = await writeManifestFile(io, md, specById(md, m.partitionSpecId), m.content, out, this.snapshotId, seq, this.commitId);
        attemptFiles.push(nm.key);
        carried.push(nm.file);
      }
      const missing = [...toRemove].filter((p) => !found.has(p));
      if (missing.length > 0) {
        throw new LakehouseError('COMMIT_CONFLICT', `${missing.length} file(s) this ${this.spec.operation} removes are no longer in the table (a concurrent commit removed them): ${missing.slice(0, 3).join(', ')}`, {
          help: 'Reload the table and plan the operation again against the current snapshot.',
          details: { missing },
        });
      }
    }

    // 3. merge small manifests so scans do not read one manifest per commit.
    let manifests = [...fresh, ...carried];
    manifests = await this.maybeMerge(base, manifests, seq, attemptFiles);

    // 4. the manifest list and the snapshot.
    const listKey = io.key(`metadata/snap-${this.snapshotId}-${attemptNo + 1}-${this.commitId}.avro`);
    const listBytes = writeManifestList(manifests, { snapshotId: this.snapshotId, parentSnapshotId: parentId ?? undefined, sequenceNumber: seq });
    await io.store.put(listKey, listBytes);
    attemptFiles.push(listKey);
    this.lastManifestKeys = new Set(manifests.map((m) => io.keyFor(m.manifestPath)));

    const snapshot: Snapshot = {
      'snapshot-id': this.snapshotId,
      'sequence-number': seq,
      'timestamp-ms': Math.max(Date.now(), md['last-updated-ms']),
      'manifest-list': io.store.uriFor(listKey),
      summary: this.summary(parent, removedFiles),
      'schema-id': md['current-schema-id'],
    };
    if (parentId !== null) snapshot['parent-snapshot-id'] = parentId;
    const requirements: Requirement[] = [
      { type: 'assert-table-uuid', uuid: md['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parentId },
    ];
    const updates: Update[] = [
      { action: 'add-snapshot', snapshot },
      { action: 'set-snapshot-ref', 'ref-name': 'main', 'snapshot-id': this.snapshotId, type: 'branch' },
    ];
    return { requirements, updates, attemptFiles };
  }

  /** Checks the snapshots committed since the operation started (see module header). */
  private async validate(base: TableState): Promise<void> {
    const md = base.metadata;
    const cur = currentSnapshot(md);
    const curId = cur?.['snapshot-id'] ?? null;
    if (curId === this.startId) return;
    const chain = ancestors(md, curId ?? undefined);
    const idx = this.startId === null ? chain.length : chain.findIndex((s) => s['snapshot-id'] === this.startId);
    if (idx < 0) {
      throw new LakehouseError('COMMIT_CONFLICT', `the table's history changed under this ${this.spec.operation} (snapshot ${this.startId} is no longer an ancestor of the current snapshot)`, {
        help: 'A rollback or snapshot change happened concurrently. Reload the table and plan the operation again.',
      });
    }
    const since = chain.slice(0, idx).filter((s) => s.summary.operation !== 'append');
    if (since.length === 0 || this.spec.operation === 'delete') return;
    const ours = new Set([...this.spec.add].map((f) => partitionKey(f.specId, f.partition)));
    const removedPaths = new Set(this.spec.remove);
    for (const s of since) {
      for (const m of await readSnapshotManifests(base.io, s)) {
        if (m.addedSnapshotId !== s['snapshot-id']) continue;
        for (const e of await readManifestEntries(base.io, md, m)) {
          if (e.snapshotId !== s['snapshot-id'] || e.status === EntryStatus.EXISTING) continue;
          const pk = partitionKey(e.dataFile.specId, e.dataFile.partition);
          if (this.spec.operation === 'overwrite' && ours.has(pk)) {
            throw new LakehouseError('COMMIT_CONFLICT', `a concurrent ${s.summary.operation} (snapshot ${s['snapshot-id']}) changed a partition this overwrite writes`, {
              help: 'Reload the table and run the overwrite again.',
            });
          }
          if (this.spec.operation === 'replace' && e.dataFile.content !== 0 && e.status === EntryStatus.ADDED && removedPaths.size > 0) {
            throw new LakehouseError('COMMIT_CONFLICT', `a concurrent ${s.summary.operation} (snapshot ${s['snapshot-id']}) added delete files that may apply to files this replace rewrites`, {
              help: 'Reload the table and run the rewrite again so the new deletes are applied.',
            });
          }
        }
      }
    }
  }

  private async maybeMerge(base: TableState, manifests: ManifestFile[], seq: number, attemptFiles: string[]): Promise<ManifestFile[]> {
    const md = base.metadata;
    if (md.properties['commit.manifest-merge.enabled'] === 'false') return manifests;
    const minCount = Number(md.properties['commit.manifest.min-count-to-merge'] ?? MANIFEST_MIN_MERGE_COUNT);
    const target = Number(md.properties['commit.manifest.target-size-bytes'] ?? MANIFEST_TARGET_SIZE);
    const groups = new Map<string, ManifestFile[]>();
    for (const m of manifests) groups.set(`${m.partitionSpecId}|${m.content}`, [...(groups.get(`${m.partitionSpecId}|${m.content}`) ?? []), m]);
    const out: ManifestFile[] = [];
    for (const group of groups.values()) {
      if (group.length < minCount) {
        out.push(...group);
        continue;
      }
      // Bin-pack the small manifests; big ones stay as they are.
      const small = group.filter((m) => m.manifestLength < target);
      out.push(...group.filter((m) => m.manifestLength >= target));
      let bin: ManifestFile[] = [];
      let size = 0;
      const flush = async (): Promise<void> => {
        if (bin.length <= 1) {
          out.push(...bin);
        } else {
          const lists = await mapLimit(bin, IO_CONCURRENCY, (m) => readManifestEntries(base.io, md, m));
          const entries: Array<ManifestEntry & { inherit?: boolean }> = [];
          bin.forEach((m, i) => {
            const mine = m.addedSnapshotId === this.snapshotId && m.sequenceNumber === seq;
            for (const e of lists[i]!) {
              if (e.status === EntryStatus.DELETED) continue;
              if (mine && e.status === EntryStatus.ADDED) entries.push({ ...e, inherit: true });
              else entries.push({ ...e, status: EntryStatus.EXISTING });
            }
          });
          const nm = await writeManifestFile(base.io, md, specById(md, bin[0]!.partitionSpecId), bin[0]!.content, entries, this.snapshotId, seq, this.commitId);
          attemptFiles.push(nm.key);
          out.push(nm.file);
        }
        bin = [];
        size = 0;
      };
      for (const m of small) {
        if (size + m.manifestLength > target && bin.length > 0) await flush();
        bin.push(m);
        size += m.manifestLength;
      }
      await flush();
    }
    return out;
  }

  private summary(parent: Snapshot | undefined, removed: DataFile[]): SnapshotSummary {
    const p = parent?.summary ?? ({} as Record<string, string>);
    const add = this.spec.add;
    const sum = (files: DataFile[], f: (d: DataFile) => number): number => files.reduce((a, d) => a + f(d), 0);
    const data = (fs: DataFile[]): DataFile[] => fs.filter((f) => f.content === 0);
    const pos = (fs: DataFile[]): DataFile[] => fs.filter((f) => f.content === 1);
    const eq = (fs: DataFile[]): DataFile[] => fs.filter((f) => f.content === 2);
    const s: Record<string, string> = {};
    const put = (k: string, v: number): void => {
      if (v !== 0) s[k] = String(v);
    };
    put('added-data-files', data(add).length);
    put('deleted-data-files', data(removed).length);
    put('added-delete-files', add.length - data(add).length);
    put('added-position-delete-files', pos(add).length);
    put('added-equality-delete-files', eq(add).length);
    put('removed-delete-files', removed.length - data(removed).length);
    put('added-records', sum(data(add), (f) => f.recordCount));
    put('deleted-records', sum(data(removed), (f) => f.recordCount));
    put('added-files-size', sum(add, (f) => f.fileSizeInBytes));
    put('removed-files-size', sum(removed, (f) => f.fileSizeInBytes));
    put('added-position-deletes', sum(pos(add), (f) => f.recordCount));
    put('removed-position-deletes', sum(pos(removed), (f) => f.recordCount));
    put('added-equality-deletes', sum(eq(add), (f) => f.recordCount));
    put('removed-equality-deletes', sum(eq(removed), (f) => f.recordCount));
    s['changed-partition-count'] = String(new Set([...add, ...removed].map((f) => partitionKey(f.specId, f.partition))).size);
    const total = (k: string, plus: string, minus: string): void => {
      s[k] = String(Number(p[k] ?? 0) + Number(s[plus] ?? 0) - Number(s[minus] ?? 0));
    };
    total('total-records', 'added-records', 'deleted-records');
    total('total-files-size', 'added-files-size', 'removed-files-size');
    total('total-data-files', 'added-data-files', 'deleted-data-files');
    total('total-delete-files', 'added-delete-files', 'removed-delete-files');
    total('total-position-deletes', 'added-position-deletes', 'removed-position-deletes');
    total('total-equality-deletes', 'added-equality-deletes', 'removed-equality-deletes');
    const prov = this.spec.provenance;
    s['lake.commit-id'] = this.commitId;
    if (prov?.idempotencyKey) s['lake.idempotency-key'] = prov.idempotencyKey;
    if (prov?.runId) s['lake.run-id'] = prov.runId;
    if (prov?.jobName) s['lake.job-name'] = prov.jobName;
    if (prov?.inputSnapshotIds?.length) s['lake.input-snapshot-ids'] = prov.inputSnapshotIds.map(String).join(',');
    Object.assign(s, prov?.summary ?? {});
    return { ...s, operation: this.spec.operation };
  }
}
