/**
 * The VALIDATING stage: quality gates and reconciliation on a run's staged files, before
 * anything is visible. Staged files are registered as temporary tables (per partition for
 * row-level rules) and checked with SQL.
 *
 * Outcomes by severity: `warn` records; `fail-partition` leaves that partition's files out of
 * the commit; `quarantine` re-stages the output without the failing rows and stages those rows
 * (with the run id and the rule) into `<table>__quarantine`; `fail-run` publishes nothing.
 * Reconciliation counts, never assumes: rows the writer produced vs rows in the staged files'
 * footers; accepted + quarantined + dropped = staged; control totals of the query (on the
 * pinned inputs) vs the staged output; and an order-independent checksum of the output rows.
 */

import * as arrow from 'apache-arrow';
import { readParquet, readParquetMetadata } from '../../connectors/index.js';
import type { ObjectStore } from '../../connectors/object-store.js';
import { ParquetFilesSource } from '../source/parquet-source.js';
import { jobFrame, type JobEngine, type StagedDataFileLike, type StagedWriteLike } from './engine-contract.js';
import { simpleQuery, type UFrom, type UQuery } from '../plan/unbound.js';
import type { JobTarget } from './target.js';
import { quarantineTableName, xxh } from './files.js';
import { badRowPredicate, combineRowHashes, evaluateRules, ruleName, type RuleOutcome } from './quality.js';
import type { JobSpec, QualityRule } from './spec.js';

export interface Reconciliation {
  ok: boolean;
  problems: string[];
  inputRows: number;
  writerRows: number;
  stagedRows: number;
  acceptedRows: number;
  quarantinedRows: number;
  droppedRows: number;
  filteredRows: number;
  controlTotals: Record<string, { input: number; output: number }>;
  checksum: string;
}

export interface Validation {
  quality: RuleOutcome[];
  reconciliation: Reconciliation;
  dropFiles: string[];
  replacement?: StagedWriteLike;
  quarantine?: StagedWriteLike;
  acceptedRows: number;
  quarantinedRows: number;
  rejectedRows: number;
  /** Aborts re-staged writes (when the run will not commit) and drops temporary tables. */
  discard(): Promise<void>;
}

const ROW_LEVEL = new Set<QualityRule['rule']>(['not_null', 'range', 'accepted_values', 'expression', 'unique']);

export async function validateAndReconcile(
  engine: JobEngine,
  store: ObjectStore,
  staged: StagedWriteLike,
  spec: JobSpec,
  target: Pick<JobTarget, 'mode' | 'query' | 'sqlText'>,
  runClockMs: number,
  outputTable: string,
  runId: string,
  create?: { partitionBy?: string[] },
): Promise<Validation> {
  const temps: string[] = [];
  const tag = runId.replace(/[^A-Za-z0-9]/g, '_');
  const register = async (suffix: string, files: StagedDataFileLike[]): Promise<string> => {
    const name = `lake_run.${tag}_${suffix}`;
    engine.registerTable(name, (await ParquetFilesSource.open(store, files.map((f) => f.key))) as never);
    temps.push(name);
    return name;
  };
  const dropTemps = (): void => {
    for (const t of temps.splice(0)) engine.dropTable(t);
  };
  // Re-staged writes of this validation: a throw after they were staged must delete them (the
  // caller only aborts the original staging, which does not cover the quarantine table).
  let replacement: StagedWriteLike | undefined;
  let quarantine: StagedWriteLike | undefined;
  try {
    const rules = spec.quality ?? [];
    const files = staged.files.filter((f) => f.stats.recordCount > 0);
    const byPartition = new Map<string, StagedDataFileLike[]>();
    for (const f of files) byPartition.set(f.partitionPath, [...(byPartition.get(f.partitionPath) ?? []), f]);

    // Quality: row-level rules per partition (so a partition can fail alone), table-level on all.
    const quality: RuleOutcome[] = [];
    const rowRules = rules.filter((r) => ROW_LEVEL.has(r.rule));
    const tableRules = rules.filter((r) => !ROW_LEVEL.has(r.rule));
    let i = 0;
    for (const [partition, pf] of byPartition) {
      if (rowRules.length) quality.push(...(await evaluateRules(engine, await register(`p${i++}`, pf), partition, rowRules, runClockMs)));
    }
    const all = files.length ? await register('all', files) : undefined;
    if (tableRules.length) {
      if (all) quality.push(...(await evaluateRules(engine, all, '', tableRules, runClockMs)));
      else quality.push(...tableRules.map((r, k) => ({ rule: ruleName(r, k), kind: r.rule, severity: r.severity, partition: '', failedRows: 0, passed: r.rule !== 'row_count' || (r.min ?? 0) === 0 })));
    }

    // Reconciliation, part 1: every staged row is accounted for, counted from the files.
    const metas = await Promise.all(files.map((f) => readParquetMetadata(store, f.key)));
    const stagedRows = metas.reduce((n, m) => n + m.numRows, 0);
    const problems: string[] = [];
    if (stagedRows !== staged.metrics.rowsWritten) {
      problems.push(`the staged files hold ${stagedRows} rows but the write produced ${staged.metrics.rowsWritten}`);
    }

    const failedParts = new Set(quality.filter((q) => !q.passed && q.severity === 'fail-partition').map((q) => q.partition));
    const dropFiles = files.filter((f) => failedParts.has(f.partitionPath)).map((f) => f.key);
    const droppedRows = files.filter((f) => failedParts.has(f.partitionPath)).reduce((n, f) => n + f.stats.recordCount, 0);
    const kept = files.filter((f) => !failedParts.has(f.partitionPath));

    // Quarantine: re-stage kept rows without the failing ones; stage the failing ones aside.
    const qRules = rowRules.map((r, k) => ({ r, name: ruleName(r, k), bad: r.rule === 'unique' ? undefined : badRowPredicate(r) })).filter((x) => x.r.severity === 'quarantine' && x.bad);
    const needsQuarantine = quality.some((q) => !q.passed && q.severity === 'quarantine' && !failedParts.has(q.partition));
    let quarantinedRows = 0;
    if (needsQuarantine && kept.length) {
      const src = await register('keep', kept);
      const anyBad = qRules.map((q) => `(${q.bad})`).join(' OR ');
      const which = `CASE ${qRules.map((q) => `WHEN ${q.bad} THEN '${q.name.replace(/'/g, "''")}'`).join(' ')} END`;
      replacement = await engine.stageWrite({ query: `SELECT * FROM ${src} WHERE NOT (${anyBad})`, table: outputTable, mode: spec.mode === 'shadow' ? 'append' : target.mode, create, runId: `${runId}-clean` });
      quarantine = await engine.stageWrite({
        query: `SELECT *, '${runId}' AS _lake_run_id, ${which} AS _lake_failed_rule FROM ${src} WHERE ${anyBad}`,
        table: quarantineTableName(outputTable),
        mode: 'append',
        create: { partitionBy: [] },
        runId: `${runId}-quarantine`,
      });
      quarantinedRows = quarantine.metrics.rowsWritten;
      const cleanRows = replacement.metrics.rowsWritten;
      const keptRows = kept.reduce((n, f) => n + f.stats.recordCount, 0);
      if (cleanRows + quarantinedRows !== keptRows) problems.push(`quarantine split ${keptRows} rows into ${cleanRows} clean + ${quarantinedRows} quarantined`);
    }
    const acceptedRows = stagedRows - droppedRows - quarantinedRows;

    // Control totals: the query on its pinned inputs vs the staged output.
    const controlTotals: Reconciliation['controlTotals'] = {};
    const inputs = Object.fromEntries(Object.entries(staged.inputSnapshots).filter(([, v]) => v !== null).map(([k, v]) => [k, { snapshotId: v! }]));
    // Both sums are query trees over the bound statement and the staged files: no SQL text is
    // rebuilt or re-read, so parameters and quoting cannot get in the way.
    for (const c of spec.reconcile?.controlTotals ?? []) {
      const q = await jobFrame(engine, sumOf(c, { k: 'sub', query: target.query, alias: 'q' }), target.sqlText, inputs).toArray();
      const o = all ? await jobFrame(engine, sumOf(c, { k: 'table', name: all.split('.') }), undefined).toArray() : [{ s: 0 }];
      const input = Number(q[0]?.['s'] ?? 0);
      const output = Number(o[0]?.['s'] ?? 0);
      controlTotals[c] = { input, output };
      if (Math.abs(input - output) > 1e-9 * Math.max(1, Math.abs(input))) problems.push(`control total of ${c}: input ${input} ≠ output ${output}`);
    }
    const checksum = spec.reconcile?.checksum === false ? '' : await outputChecksum(store, replacement ? replacement.files : kept);
    if (replacement) {
      // The first staging is superseded; the control totals above still read it. Delete its
      // files by key: its abort() would also sweep every file named after this run, which
      // includes the replacement's.
      dropTemps();
      await store.deleteMany(staged.files.map((f) => f.key));
    }
    const reconciliation: Reconciliation = {
      ok: problems.length === 0,
      problems,
      inputRows: staged.metrics.rowsRead,
      writerRows: staged.metrics.rowsWritten,
      stagedRows,
      acceptedRows,
      quarantinedRows,
      droppedRows,
      filteredRows: Math.max(0, staged.metrics.rowsRead - staged.metrics.rowsWritten),
      controlTotals,
      checksum,
    };
    dropTemps();
    return {
      quality,
      reconciliation,
      dropFiles: replacement ? [] : dropFiles,
      replacement,
      quarantine,
      acceptedRows,
      quarantinedRows,
      rejectedRows: droppedRows,
      async discard() {
        await replacement?.abort();
        await quarantine?.abort();
        dropTemps();
      },
    };
  } catch (err) {
    dropTemps();
    await replacement?.abort().catch(() => undefined);
    await quarantine?.abort().catch(() => undefined);
    throw err;
  }
}

/** `SELECT sum(<column>) AS s FROM <from>` as a query tree. */
function sumOf(column: string, from: UFrom): UQuery {
  return simpleQuery({ k: 'select', distinct: false, items: [{ k: 'expr', e: { k: 'fn', name: 'sum', args: [{ k: 'ident', parts: [column] }], distinct: false, star: false }, alias: 's' }], from, where: null, groupBy: [], having: null });
}

/** Order-independent checksum over the rows of files: sum of per-row xxh64, mod 2^64. */
async function outputChecksum(store: ObjectStore, files: StagedDataFileLike[]): Promise<string> {
  const h = await xxh();
  const hashes: bigint[] = [];
  for (const f of files) {
    for await (const b of readParquet(store, f.key)) {
      const cols = b.schema.fields.map((_, i) => b.getChildAt(i) as arrow.Vector);
      for (let r = 0; r < b.numRows; r++) {
        let s = '';
        for (const c of cols) {
          const v = c.get(r);
          s += v === null || v === undefined ? '\u0000' : typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) : String(v);
          s += '\u0001';
        }
        hashes.push(h.h64(s));
      }
    }
  }
  return combineRowHashes(hashes);
}
