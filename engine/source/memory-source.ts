/**
 * A table held in this process's memory: Arrow record batches registered under a name.
 * Its scan tasks are marked `local` (they run on the coordinator thread: worker threads cannot
 * see this memory) and reference the batches through a process-wide registry by id.
 * The batches are treated as immutable once registered.
 */

import type * as arrow from 'apache-arrow';
import { LakehouseError } from '../../connectors/errors.js';
import { schemaFromArrow } from '../compute/arrow-in.js';
import type { Schema } from '../plan/types.js';
import { refuseUnsupported, type ScanRequest, type ScanTask, type TableSource } from './table-source.js';

const registry = new Map<string, arrow.RecordBatch[]>();
let nextId = 0;

export function memoryBatches(id: string): arrow.RecordBatch[] {
  const b = registry.get(id);
  if (!b) throw new LakehouseError('NOT_FOUND', `in-memory table ${id} is no longer registered`);
  return b;
}

export class MemoryTableSource implements TableSource {
  readonly schema: Schema;
  readonly unsupportedColumns: ReadonlyMap<string, string>;
  private readonly id: string;

  constructor(table: arrow.Table | arrow.RecordBatch[], private readonly batchesPerTask = 1) {
    const batches = Array.isArray(table) ? table : table.batches;
    const aschema = Array.isArray(table) ? table[0]?.schema : table.schema;
    if (!aschema) throw new LakehouseError('INVALID_ARGUMENT', 'an in-memory table needs at least one batch (or an Arrow Table) to know its schema');
    const { schema, unsupported } = schemaFromArrow(aschema);
    this.schema = schema;
    this.unsupportedColumns = unsupported;
    this.id = `mem-${process.pid}-${nextId++}`;
    registry.set(this.id, batches);
  }

  async planScan(request: ScanRequest): Promise<ScanTask[]> {
    if (request.travel) {
      throw new LakehouseError('UNSUPPORTED', 'not supported yet: time travel on an in-memory table', { help: 'Time travel needs a catalog table.' });
    }
    refuseUnsupported(request.columns, this.unsupportedColumns);
    const batches = registry.get(this.id)!;
    const tasks: ScanTask[] = [];
    for (let i = 0; i < batches.length; i += this.batchesPerTask) {
      const idx = Array.from({ length: Math.min(this.batchesPerTask, batches.length - i) }, (_, k) => i + k);
      const rows = idx.reduce((s, k) => s + batches[k]!.numRows, 0);
      tasks.push({ kind: 'memory', local: true, id: this.id, batches: idx, bytes: idx.reduce((s, k) => s + batches[k]!.data.byteLength, 0), rows });
    }
    return tasks;
  }

  /** Forgets the batches (the source must not be scanned afterwards). */
  release(): void {
    registry.delete(this.id);
  }
}
