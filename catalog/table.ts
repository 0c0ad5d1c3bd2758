/**
 * A loaded Iceberg table: its current state (metadata version N), and the write operations that
 * commit new versions. A `Table` object is a handle on one state; writes return a new state
 * (the handle is updated in place too, so chained calls see their own commits).
 *
 * Concurrency contract: any number of Table objects, in any number of processes, may commit to
 * the same table; commit.ts serializes them through putIfAbsent on the next metadata version.
 * One Table object is not meant to be shared by concurrent operations in one process (each
 * operation carries its own base, so doing so is safe but wastes retries).
 */

import { randomUUID } from 'node:crypto';
import { LakehouseError, isLakehouseError } from '../connectors/errors.js';
import type { Schema } from '../connectors/iceberg-types.js';
import type { IcebergValue } from '../connectors/single-value.js';
import { runCommit, type CommitOptions, type CommitStats, type TableState } from './commit.js';
import type { DataFile, FileContentCode } from './manifest.js';
import { SnapshotProducer, type Provenance } from './snapshot-producer.js';
import {
  ancestors,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  parseTableMetadata,
  snapshotAsOf,
  snapshotById,
  type Operation,
  type Snapshot,
  type TableMetadata,
} from './spec/metadata.js';
import { partitionPath, partitionTuple, type PartitionSpec } from './spec/partition.js';
import { evolveSchema, type SchemaChange } from './spec/schema.js';
import type { PartitionValue } from './spec/transforms.js';
import type { Update } from './spec/updates.js';
import type { TableIO } from './table-io.js';
import { planScan, type ScanOptions, type ScanPlan } from './scan-plan.js';
import { readTable, type ReadOptions } from './table-read.js';
import type * as arrow from 'apache-arrow';

export interface TableIdentifier {
  namespace: string;
  name: string;
}

/** Statistics of a written data file, as `writeParquetFiles` reports them. */
export type DataFileStatsInput = Pick<DataFile,
  'recordCount' | 'fileSizeInBytes' | 'columnSizes' | 'valueCounts' | 'nullValueCounts' | 'nanValueCounts' | 'lowerBounds' | 'upperBounds' | 'splitOffsets'>;

export interface CommitResult {
  snapshot: Snapshot;
  stats: CommitStats;
}

export async function loadTableState(io: TableIO): Promise<TableState | undefined> {
  const latest = await io.latestVersion();
  if (!latest) return undefined;
  return readTableState(io, latest.key, latest.version);
}

export async function readTableState(io: TableIO, key: string, version: number): Promise<TableState> {
  const bytes = await io.store.get(key);
  const location = io.store.uriFor(key);
  const metadata = parseTableMetadata(new TextDecoder().decode(bytes), location);
  io.location = metadata.location;
  return { io, metadata, version, metadataKey: key, metadataLocation: location };
}

export class Table {
  constructor(
    readonly identifier: TableIdentifier,
    private current: TableState,
    /** Read-only tables (a pinned metadata file) refuse commits. */
    readonly readOnly = false,
  ) {}

  get state(): TableState {
    return this.current;
  }
  get metadata(): TableMetadata {
    return this.current.metadata;
  }
  get io(): TableIO {
    return this.current.io;
  }
  get version(): number {
    return this.current.version;
  }
  get location(): string {
    return this.current.metadata.location;
  }
  get metadataLocation(): string {
    return this.current.metadataLocation;
  }
  schema(): Schema {
    return currentSchema(this.metadata);
  }
  spec(): PartitionSpec {
    return defaultSpec(this.metadata);
  }
  currentSnapshot(): Snapshot | undefined {
    return currentSnapshot(this.metadata);
  }
  snapshots(): Snapshot[] {
    return [...this.metadata.snapshots];
  }
  snapshot(id: bigint | string): Snapshot {
    return snapshotById(this.metadata, BigInt(id));
  }
  snapshotAsOf(timestampMs: number): Snapshot {
    return snapshotAsOf(this.metadata, timestampMs);
  }
  /** Current snapshot and its ancestors, newest first. */
  history(): Snapshot[] {
    return ancestors(this.metadata, this.currentSnapshot()?.['snapshot-id']);
  }
  /** The snapshot (newest first in the current history) written by a run, if any. */
  findRun(runId: string): Snapshot | undefined {
    return this.history().find((s) => s.summary['lake.run-id'] === runId);
  }

  async refresh(): Promise<this> {
    const st = await this.load();
    this.current = st;
    return this;
  }

  /** @internal reload the latest state of this table. */
  async load(): Promise<TableState> {
    if (this.readOnly) return this.current;
    const st = await loadTableState(this.io);
    if (!st) {
      throw new LakehouseError('TABLE_NOT_FOUND', `table ${this.identifier.namespace}.${this.identifier.name} no longer exists`, {
        help: 'It was dropped; create it again or load another table.',
      });
    }
    return st;
  }

  // ------------------------------------------------------------------ reads

  /** Plans a scan of this state (current snapshot unless options pick another). */
  scan(options: ScanOptions = {}): Promise<ScanPlan> {
    return planScan(this.current, options);
  }

  /** Streams the rows of a snapshot, deletes applied, columns mapped by field id. */
  async read(options: ReadOptions = {}): Promise<AsyncIterable<arrow.RecordBatch>> {
    return (await readTable(this.current, options)).batches;
  }

  // ------------------------------------------------------------------ data files

  /** Partition tuple of one row, from its values by field id. */
  partitionFor(valueOf: (fieldId: number) => PartitionValue, spec = this.spec()): PartitionValue[] {
    return partitionTuple(spec, this.schema(), valueOf);
  }

  /** A fresh store key for a new data file (under `data/`, in the partition's directory). */
  newDataFileKey(partition?: PartitionValue[], ext = 'parquet', spec = this.spec()): string {
    const dir = partition && spec.fields.length ? `data/${partitionPath(spec, this.schema(), partition)}` : 'data';
    return this.io.key(`${dir}/${randomUUID()}.${ext}`);
  }

  /** The DataFile entry for a staged file (key in this table's store + its statistics). */
  dataFile(input: {
    key: string;
    stats: DataFileStatsInput;
    partition?: PartitionValue[];
    specId?: number;
    content?: FileContentCode;
    equalityIds?: number[];
    format?: string;
    referencedDataFile?: string;
  }): DataFile {
    const spec = input.specId === undefined ? this.spec() : this.metadata['partition-specs'].find((s) => s['spec-id'] === input.specId);
    if (!spec) throw new LakehouseError('INVALID_ARGUMENT', `partition spec ${input.specId} is not defined for this table`);
    const partition = input.partition ?? [];
    if (partition.length !== spec.fields.length) {
      throw new LakehouseError('INVALID_ARGUMENT', `data file ${input.key} has ${partition.length} partition values; the spec has ${spec.fields.length} fields`, {
        help: 'Compute the partition with table.partitionFor(...) for partitioned tables.',
      });
    }
    const s = input.stats;
    const df: DataFile = {
      content: input.content ?? 0,
      filePath: this.io.store.uriFor(input.key),
      fileFormat: input.format ?? 'PARQUET',
      specId: spec['spec-id'],
      partition,
      recordCount: s.recordCount,
      fileSizeInBytes: s.fileSizeInBytes,
    };
    if (s.columnSizes?.size) df.columnSizes = s.columnSizes;
    if (s.valueCounts?.size) df.valueCounts = s.valueCounts;
    if (s.nullValueCounts?.size) df.nullValueCounts = s.nullValueCounts;
    if (s.nanValueCounts?.size) df.nanValueCounts = s.nanValueCounts;
    if (s.lowerBounds?.size) df.lowerBounds = s.lowerBounds;
    if (s.upperBounds?.size) df.upperBounds = s.upperBounds;
    if (s.splitOffsets?.length) df.splitOffsets = s.splitOffsets;
    if (input.equalityIds) df.equalityIds = input.equalityIds;
    if (input.referencedDataFile) df.referencedDataFile = input.referencedDataFile;
    return df;
  }

  // ------------------------------------------------------------------ writes

  newAppend(): WriteBuilder {
    return new WriteBuilder(this, 'append');
  }
  /** Remove files and/or add files; conflicts with concurrent changes to the same partitions. */
  newOverwrite(): WriteBuilder {
    return new WriteBuilder(this, 'overwrite');
  }
  /** Rewrite (compaction): the removed files' rows are exactly the added files' rows. */
  newReplace(): WriteBuilder {
    return new WriteBuilder(this, 'replace');
  }
  /** Remove whole files. */
  newDelete(): WriteBuilder {
    return new WriteBuilder(this, 'delete');
  }

  /** Commits metadata-only updates (schema, properties, refs) built against each base. */
  async commitUpdates(build: (base: TableState) => { updates: Update[]; requirements?: import('./spec/updates.js').Requirement[] }, options?: CommitOptions): Promise<CommitStats> {
    this.assertWritable();
    const { state, stats } = await runCommit(
      () => this.load(),
      this.current,
      {
        attempt: async (base) => {
          const b = build(base);
          return { updates: b.updates, requirements: [{ type: 'assert-table-uuid', uuid: base.metadata['table-uuid'] }, ...(b.requirements ?? [])], attemptFiles: [] };
        },
        sharedFiles: () => [],
        usedSharedFiles: () => new Set(),
      },
      options,
    );
    this.current = state;
    return stats;
  }

  /** Schema evolution by field id; readers of old files map columns by id. */
  async updateSchema(changes: SchemaChange[]): Promise<Schema> {
    await this.commitUpdates((base) => {
      const md = base.metadata;
      const nextId = Math.max(...md.schemas.map((s) => s['schema-id'])) + 1;
      const { schema, lastColumnId } = evolveSchema(currentSchema(md), changes, md['last-column-id'], nextId);
      return {
        updates: [
          { action: 'add-schema', schema, 'last-column-id': lastColumnId },
          { action: 'set-current-schema', 'schema-id': -1 },
        ],
        requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': md['current-schema-id'] }],
      };
    });
    return this.schema();
  }

  async setProperties(updates: Record<string, string>, removals: string[] = []): Promise<void> {
    await this.commitUpdates(() => ({
      updates: [
        { action: 'set-properties', updates },
        ...(removals.length ? [{ action: 'remove-properties' as const, removals }] : []),
      ],
    }));
  }

  /** @internal */
  async commitProducer(producer: SnapshotProducer, options?: CommitOptions): Promise<CommitResult> {
    this.assertWritable();
    const { state, stats } = await runCommit(() => this.load(), this.current, producer, options);
    this.current = state;
    return { snapshot: snapshotById(state.metadata, producer.snapshotId), stats };
  }

  /** @internal */
  setState(state: TableState): void {
    this.current = state;
  }

  assertWritable(): void {
    if (this.readOnly) {
      throw new LakehouseError('UNSUPPORTED', `table ${this.identifier.namespace}.${this.identifier.name} was loaded from a fixed metadata file and is read-only`, {
        help: 'Register the table in a warehouse (registerTable) to commit to it.',
      });
    }
  }
}

export class WriteBuilder {
  private readonly added: DataFile[] = [];
  private readonly removed: string[] = [];
  private provenance: Provenance = {};
  private dynamicOverwrite = false;

  constructor(private readonly table: Table, private readonly operation: Operation) {}

  appendFile(file: DataFile): this {
    return this.addFile(file);
  }
  addFile(file: DataFile): this {
    if (this.operation === 'delete') throw new LakehouseError('INVALID_ARGUMENT', 'a delete cannot add files', { help: 'Use newOverwrite() to remove and add files.' });
    this.added.push(file);
    return this;
  }
  addFiles(files: Iterable<DataFile>): this {
    for (const f of files) this.addFile(f);
    return this;
  }
  deleteFile(file: DataFile | string): this {
    if (this.operation === 'append') throw new LakehouseError('INVALID_ARGUMENT', 'an append cannot remove files', { help: 'Use newOverwrite(), newReplace() or newDelete().' });
    this.removed.push(typeof file === 'string' ? file : file.filePath);
    return this;
  }
  /** Overwrite: also remove every live data file in the partitions of the added files. */
  overwritePartitions(): this {
    if (this.operation !== 'overwrite') throw new LakehouseError('INVALID_ARGUMENT', 'overwritePartitions() applies to newOverwrite()');
    this.dynamicOverwrite = true;
    return this;
  }
  withProvenance(p: Provenance): this {
    this.provenance = { ...this.provenance, ...p };
    return this;
  }
  /** Snapshot the operation's inputs were read from (for validation of concurrent changes). */
  basedOn(snapshotId: bigint | null): this {
    this.startingSnapshotId = snapshotId;
    return this;
  }
  private startingSnapshotId: bigint | null | undefined;

  async commit(options?: CommitOptions): Promise<CommitResult> {
    if (this.operation === 'replace' && this.removed.length === 0) {
      throw new LakehouseError('INVALID_ARGUMENT', 'a replace must remove at least one file', { help: 'Use newAppend() to only add files.' });
    }
    const producer = new SnapshotProducer({
      operation: this.operation,
      add: this.added,
      remove: this.removed,
      overwriteAddedPartitions: this.dynamicOverwrite,
      provenance: this.provenance,
      ...(this.startingSnapshotId !== undefined ? { startingSnapshotId: this.startingSnapshotId } : {}),
    });
    return this.table.commitProducer(producer, options);
  }
}

export function isTableNotFound(err: unknown): boolean {
  return isLakehouseError(err, 'TABLE_NOT_FOUND');
}

export type { IcebergValue };
