/**
 * SQL statements that write: `INSERT INTO ns.t <query>` (append), `INSERT OVERWRITE [TABLE]
 * ns.t <query>` (dynamic partition overwrite: only the partitions present in the output are
 * replaced; an unpartitioned table is replaced as a whole) and `CREATE TABLE [IF NOT EXISTS]
 * ns.t [PARTITIONED BY (month(d), bucket(8, id), …)] AS <query>`. Each is a staged write
 * committed once; a failure after staging deletes the staged files unless the commit's outcome
 * is unknown (then the files may be referenced and are left for `remove-orphans`).
 */

import { randomBytes } from 'node:crypto';
import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import { DataFrame, type QueryContext } from '../dataframe.js';
import { explainFrame, type ExplainHost } from '../physical/explain-frame.js';
import { parseSql } from '../sql/parser.js';
import { stageWrite, type WriteHost } from './stage.js';

export type SqlResult =
  | { kind: 'query'; frame: DataFrame }
  | {
    kind: 'write';
    statement: 'INSERT INTO' | 'INSERT OVERWRITE' | 'CREATE TABLE AS';
    table: string;
    /** The new snapshot (null: CREATE TABLE IF NOT EXISTS found the table and did nothing). */
    snapshotId: string | null;
    rowsWritten: number;
    filesWritten: number;
    inputSnapshots: Record<string, string | null>;
  };

export function newSqlRunId(): string {
  return `sql-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export async function runSqlStatement(
  runner: ExplainHost,
  host: WriteHost,
  text: string,
  options: QueryContext & { signal?: AbortSignal; runId?: string },
): Promise<SqlResult> {
  const stmt = parseSql(text);
  const context: QueryContext = options.inputs ? { inputs: options.inputs } : {};
  if (stmt.kind === 'explain') return { kind: 'query', frame: explainFrame(runner, host, stmt, text, context) };
  const frame = new DataFrame(runner, stmt.query, text, context);
  if (stmt.kind === 'query') return { kind: 'query', frame };
  const table = stmt.table.join('.').toLowerCase();
  const statement = stmt.kind === 'ctas' ? 'CREATE TABLE AS' : stmt.overwrite ? 'INSERT OVERWRITE' : 'INSERT INTO';
  if (stmt.kind === 'ctas') {
    const wh = await host.warehouse();
    if (await wh.tableExists(table)) {
      if (stmt.ifNotExists) {
        const t = await wh.loadTable(table);
        const cur = t.currentSnapshot();
        return { kind: 'write', statement, table, snapshotId: cur ? String(cur['snapshot-id']) : null, rowsWritten: 0, filesWritten: 0, inputSnapshots: {} };
      }
      throw new LakehouseError('TABLE_EXISTS', `table ${table} already exists`, { help: 'Use INSERT INTO / INSERT OVERWRITE to write to it, or CREATE TABLE IF NOT EXISTS.' });
    }
  }
  if (stmt.kind === 'insert') {
    // SQL INSERT supplies every column: a query with fewer columns than the table is an error
    // naming the missing ones, never a silent write of NULLs (the DataFrame write API, which
    // matches by name, may still leave optional columns out).
    const wh = await host.warehouse();
    if (await wh.tableExists(table)) {
      const fields = (await wh.loadTable(table)).schema().fields;
      const output = (await frame.plan()).schema;
      if (output.length < fields.length) {
        const given = new Set(output.map((f) => f.name.toLowerCase()));
        const byName = output.every((f) => fields.some((t) => t.name.toLowerCase() === f.name.toLowerCase()));
        const missing = byName ? fields.filter((f) => !given.has(f.name.toLowerCase())) : fields.slice(output.length);
        throw new LakehouseError('SCHEMA_MISMATCH', `${statement} ${table}: the query returns ${output.length} column${output.length === 1 ? '' : 's'} (${output.map((f) => f.name).join(', ')}); the table has ${fields.length} — missing: ${missing.map((f) => f.name).join(', ')}`, {
          help: `Select a value for every column, in table order (${fields.map((f) => f.name).join(', ')}); use NULL AS <column> for columns to leave empty.`,
          details: { table, missing: missing.map((f) => f.name) },
        });
      }
    }
  }
  const staged = await stageWrite(host, {
    query: frame,
    table,
    mode: stmt.kind === 'insert' && stmt.overwrite ? 'overwrite-partitions' : 'append',
    ...(stmt.kind === 'ctas' ? { create: { partitionBy: stmt.partitionBy } } : {}),
    runId: options.runId ?? newSqlRunId(),
    ...(options.signal ? { signal: options.signal } : {}),
  }, { createOnly: stmt.kind === 'ctas' });
  try {
    const { snapshotId } = await staged.commit();
    return {
      kind: 'write', statement, table, snapshotId, rowsWritten: staged.metrics.rowsWritten, filesWritten: staged.files.length, inputSnapshots: staged.inputSnapshots,
    };
  } catch (err) {
    const unknown = isLakehouseError(err) && err.details['outcomeUnknown'] === true;
    if (!unknown) await staged.abort().catch(() => undefined);
    if (isLakehouseError(err)) {
      err.details['commitId'] ??= staged.commitId;
      err.details['table'] ??= table;
    }
    throw err;
  }
}
