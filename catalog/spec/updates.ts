/**
 * Commit requirements and metadata updates, in the vocabulary of the Iceberg REST catalog
 * (`assert-ref-snapshot-id`, `add-snapshot`, `set-snapshot-ref`, …). A commit is
 * `checkRequirements(base)` + `applyUpdates(base)`: both pure, so a writer that lost a race can
 * re-run them against the new base without touching data files. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import type { Schema } from '../../connectors/iceberg-types.js';
import type { PartitionSpec, SortOrder } from './partition.js';
import type { Snapshot, SnapshotRef, TableMetadata } from './metadata.js';

export type Requirement =
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; 'snapshot-id': bigint | null }
  | { type: 'assert-current-schema-id'; 'current-schema-id': number }
  | { type: 'assert-last-assigned-field-id'; 'last-assigned-field-id': number }
  | { type: 'assert-default-spec-id'; 'default-spec-id': number }
  | { type: 'assert-snapshot-exists'; 'snapshot-id': bigint };

export type Update =
  | { action: 'add-schema'; schema: Schema; 'last-column-id': number }
  | { action: 'set-current-schema'; 'schema-id': number }
  | { action: 'add-spec'; spec: PartitionSpec }
  | { action: 'set-default-spec'; 'spec-id': number }
  | { action: 'add-sort-order'; 'sort-order': SortOrder }
  | { action: 'set-default-sort-order'; 'sort-order-id': number }
  | { action: 'add-snapshot'; snapshot: Snapshot }
  | { action: 'set-snapshot-ref'; 'ref-name': string; 'snapshot-id': bigint; type: 'branch' | 'tag' }
  | { action: 'remove-snapshots'; 'snapshot-ids': bigint[] }
  | { action: 'remove-snapshot-ref'; 'ref-name': string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] };

function conflict(msg: string, details: Record<string, unknown> = {}): never {
  throw new LakehouseError('COMMIT_CONFLICT', msg, {
    help: 'Another writer changed the table first. Reload the table and retry the operation.',
    details,
  });
}

/** Throws `COMMIT_CONFLICT` naming the first requirement `md` does not meet. */
export function checkRequirements(md: TableMetadata, reqs: Requirement[]): void {
  for (const r of reqs) {
    switch (r.type) {
      case 'assert-table-uuid':
        if (md['table-uuid'] !== r.uuid) conflict(`table uuid changed from ${r.uuid} to ${md['table-uuid']} (the table was dropped and re-created)`);
        break;
      case 'assert-ref-snapshot-id': {
        const cur = md.refs[r.ref]?.['snapshot-id'] ?? null;
        if (cur !== r['snapshot-id']) conflict(`branch "${r.ref}" moved from snapshot ${r['snapshot-id']} to ${cur}`, { ref: r.ref });
        break;
      }
      case 'assert-current-schema-id':
        if (md['current-schema-id'] !== r['current-schema-id']) conflict(`the current schema changed (id ${r['current-schema-id']} → ${md['current-schema-id']})`);
        break;
      case 'assert-last-assigned-field-id':
        if (md['last-column-id'] !== r['last-assigned-field-id']) conflict('a concurrent schema change assigned new column ids');
        break;
      case 'assert-default-spec-id':
        if (md['default-spec-id'] !== r['default-spec-id']) conflict('the partition spec changed concurrently');
        break;
      case 'assert-snapshot-exists':
        if (!md.snapshots.some((s) => s['snapshot-id'] === r['snapshot-id'])) conflict(`snapshot ${r['snapshot-id']} no longer exists (expired concurrently)`);
        break;
    }
  }
}

export interface ApplyOptions {
  nowMs: number;
  /** Location of the metadata file `base` was read from, appended to the metadata log. */
  baseMetadataLocation?: string;
  /** Bound on the metadata log (`write.metadata.previous-versions-max`, default 100). */
  maxPreviousVersions?: number;
}

/** Returns new metadata; `base` is not modified. */
export function applyUpdates(base: TableMetadata, updates: Update[], opts: ApplyOptions): TableMetadata {
  const md: TableMetadata = {
    ...base,
    schemas: [...base.schemas],
    'partition-specs': [...base['partition-specs']],
    'sort-orders': [...base['sort-orders']],
    snapshots: [...base.snapshots],
    'snapshot-log': [...base['snapshot-log']],
    'metadata-log': [...base['metadata-log']],
    refs: { ...base.refs },
    properties: { ...base.properties },
  };
  let lastAddedSchema: number | undefined;
  let lastAddedSpec: number | undefined;
  let lastAddedOrder: number | undefined;
  const ts = Math.max(opts.nowMs, base['last-updated-ms']);
  for (const u of updates) {
    switch (u.action) {
      case 'add-schema': {
        const existing = md.schemas.find((s) => JSON.stringify(s.fields) === JSON.stringify(u.schema.fields));
        if (existing) {
          lastAddedSchema = existing['schema-id'];
          break;
        }
        const id = Math.max(-1, ...md.schemas.map((s) => s['schema-id'])) + 1;
        md.schemas.push({ ...u.schema, 'schema-id': id });
        md['last-column-id'] = Math.max(md['last-column-id'], u['last-column-id']);
        lastAddedSchema = id;
        break;
      }
      case 'set-current-schema': {
        const id = u['schema-id'] === -1 ? lastAddedSchema : u['schema-id'];
        if (id === undefined || !md.schemas.some((s) => s['schema-id'] === id)) throw new LakehouseError('INVALID_ARGUMENT', `schema ${u['schema-id']} does not exist`);
        md['current-schema-id'] = id;
        break;
      }
      case 'add-spec': {
        const existing = md['partition-specs'].find((s) => JSON.stringify(s.fields) === JSON.stringify(u.spec.fields));
        if (existing) {
          lastAddedSpec = existing['spec-id'];
          break;
        }
        const id = Math.max(-1, ...md['partition-specs'].map((s) => s['spec-id'])) + 1;
        md['partition-specs'].push({ ...u.spec, 'spec-id': id });
        md['last-partition-id'] = Math.max(md['last-partition-id'], ...u.spec.fields.map((f) => f['field-id']));
        lastAddedSpec = id;
        break;
      }
      case 'set-default-spec': {
        const id = u['spec-id'] === -1 ? lastAddedSpec : u['spec-id'];
        if (id === undefined || !md['partition-specs'].some((s) => s['spec-id'] === id)) throw new LakehouseError('INVALID_ARGUMENT', `partition spec ${u['spec-id']} does not exist`);
        md['default-spec-id'] = id;
        break;
      }
      case 'add-sort-order': {
        const id = u['sort-order'].fields.length === 0 ? 0 : Math.max(0, ...md['sort-orders'].map((s) => s['order-id'])) + 1;
        if (!md['sort-orders'].some((s) => s['order-id'] === id)) md['sort-orders'].push({ ...u['sort-order'], 'order-id': id });
        lastAddedOrder = id;
        break;
      }
      case 'set-default-sort-order': {
        const id = u['sort-order-id'] === -1 ? lastAddedOrder : u['sort-order-id'];
        if (id === undefined || !md['sort-orders'].some((s) => s['order-id'] === id)) throw new LakehouseError('INVALID_ARGUMENT', `sort order ${u['sort-order-id']} does not exist`);
        md['default-sort-order-id'] = id;
        break;
      }
      case 'add-snapshot': {
        const s = u.snapshot;
        if (md.snapshots.some((x) => x['snapshot-id'] === s['snapshot-id'])) throw new LakehouseError('COMMIT_CONFLICT', `snapshot id ${s['snapshot-id']} already exists`);
        if (s['sequence-number'] <= md['last-sequence-number'] && md['format-version'] >= 2 && s['sequence-number'] !== 0) {
          conflict(`snapshot sequence number ${s['sequence-number']} is not above the table's last ${md['last-sequence-number']}`);
        }
        md.snapshots.push(s);
        md['last-sequence-number'] = Math.max(md['last-sequence-number'], s['sequence-number']);
        break;
      }
      case 'set-snapshot-ref': {
        const id = u['snapshot-id'];
        if (!md.snapshots.some((s) => s['snapshot-id'] === id)) {
          throw new LakehouseError('SNAPSHOT_NOT_FOUND', `cannot point "${u['ref-name']}" at snapshot ${id}: no such snapshot`);
        }
        const prev: SnapshotRef | undefined = md.refs[u['ref-name']];
        md.refs[u['ref-name']] = { ...(prev ?? {}), 'snapshot-id': id, type: u.type };
        if (u['ref-name'] === 'main') {
          md['current-snapshot-id'] = id;
          // A snapshot added by this commit is logged at its own timestamp (as Java does), so
          // time travel to a snapshot's timestamp-ms finds it; a ref move is logged at commit time.
          const added = updates.find((x) => x.action === 'add-snapshot' && x.snapshot['snapshot-id'] === id);
          const at = added && added.action === 'add-snapshot' ? added.snapshot['timestamp-ms'] : ts;
          md['snapshot-log'].push({ 'timestamp-ms': at, 'snapshot-id': id });
        }
        break;
      }
      case 'remove-snapshots': {
        const gone = new Set(u['snapshot-ids']);
        for (const [name, r] of Object.entries(md.refs)) {
          if (gone.has(r['snapshot-id'])) throw new LakehouseError('INVALID_ARGUMENT', `cannot remove snapshot ${r['snapshot-id']}: ref "${name}" points at it`);
        }
        md.snapshots = md.snapshots.filter((s) => !gone.has(s['snapshot-id']));
        // The log keeps only entries for snapshots that still exist (as Java does after expiry).
        md['snapshot-log'] = md['snapshot-log'].filter((e) => !gone.has(e['snapshot-id']));
        break;
      }
      case 'remove-snapshot-ref':
        delete md.refs[u['ref-name']];
        if (u['ref-name'] === 'main') delete md['current-snapshot-id'];
        break;
      case 'set-properties':
        Object.assign(md.properties, u.updates);
        break;
      case 'remove-properties':
        for (const k of u.removals) delete md.properties[k];
        break;
    }
  }
  md['last-updated-ms'] = ts;
  if (opts.baseMetadataLocation) {
    md['metadata-log'].push({ 'timestamp-ms': base['last-updated-ms'], 'metadata-file': opts.baseMetadataLocation });
    const max = opts.maxPreviousVersions ?? Number(md.properties['write.metadata.previous-versions-max'] ?? 100);
    if (md['metadata-log'].length > max) md['metadata-log'] = md['metadata-log'].slice(-max);
  }
  return md;
}
