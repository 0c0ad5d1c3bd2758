/**
 * Jobs run on their bound statement, end to end: a hostile parameter value cannot change what
 * a run writes, and reconciliation's control totals work with parameters (they run on the
 * bound query tree, not on re-read SQL) — including with quarantine, and with no files left
 * behind when validation itself fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Warehouse } from 'lakehouse-engine/catalog';
import { Engine } from 'lakehouse-engine/engine';
import { submitJob } from 'lakehouse-engine';
import { readRows } from '../catalog/util.js';
import { expectNoOrphans, makeRawTable, rawRows } from './helpers.js';

let dir: string;
let engine: Engine;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-bound-'));
  await makeRawTable(dir);
  engine = await Engine.open({ warehouse: dir, threads: 2 });
});

afterEach(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rowsOf(name: string): Promise<Array<Record<string, unknown>>> {
  const wh = await Warehouse.open(dir);
  try {
    return await readRows(await wh.loadTable(name));
  } finally {
    await wh.close();
  }
}

describe('parameters cannot change the statement', () => {
  // A nested block comment holding a placeholder-lookalike, then the real placeholder.
  const sql = (t: string) => `CREATE TABLE mart.${t} AS SELECT id, region FROM raw.sales /* note /* nested */ still comment :r */ WHERE region = :r AND id < 8`;

  it('the nested-comment value "*/ OR 1=1 --" is data: it matches no row', async () => {
    const north = await (await submitJob(engine, { name: 'n', sql: sql('north'), parameters: { r: 'north' } })).result();
    expect(north.state).toBe('PUBLISHED');
    const expected = rawRows().filter((r) => r.region === 'north' && r.id < 8n).map((r) => Number(r.id));
    expect(expected).toHaveLength(2);
    expect((await rowsOf('mart.north')).map((r) => Number(r['id'])).sort((a, b) => a - b)).toEqual(expected);
    const inj = await (await submitJob(engine, { name: 'i', sql: sql('inj'), parameters: { r: '*/ OR 1=1 --' } })).result();
    expect(inj.state).toBe('PUBLISHED');
    expect(inj.metrics.rowsWritten).toBe(0);
  });

  it("a value with quotes and a backslash is compared as one string", async () => {
    const rec = await (await submitJob(engine, { name: 'q', sql: "CREATE TABLE mart.q AS SELECT id FROM raw.sales WHERE region <> 'a\\' AND region = :r", parameters: { r: `no'rth" \\` } })).result();
    expect(rec.state).toBe('PUBLISHED');
    expect(rec.metrics.rowsWritten).toBe(0);
  });
});

describe('control totals on the bound statement', () => {
  it('parameters + controlTotals (+ quarantine) publish, with equal totals recorded', async () => {
    const rec = await (
      await submitJob(engine, {
        name: 'ct',
        sql: 'CREATE TABLE mart.ct PARTITIONED BY (region) AS SELECT id, region, amount, day FROM raw.sales WHERE day >= :from AND amount > :min',
        parameters: { from: { type: 'date', value: '2023-12-09' }, min: { type: 'double', value: -100 } },
        quality: [{ rule: 'range', column: 'amount', min: 0, severity: 'quarantine' }],
        reconcile: { controlTotals: ['amount', 'id'] },
      })
    ).result();
    expect(rec.state).toBe('PUBLISHED');
    const from = Date.parse('2023-12-09') / 86_400_000;
    const input = rawRows().filter((r) => r.day >= from && r.amount > -100);
    const sum = input.reduce((s, r) => s + r.amount, 0);
    const totals = (rec.reconciliation as { controlTotals: Record<string, { input: number; output: number }> }).controlTotals;
    expect(totals['amount']!.input).toBeCloseTo(sum, 6);
    expect(totals['amount']!.output).toBeCloseTo(sum, 6);
    expect(totals['id']).toEqual({ input: input.reduce((s, r) => s + Number(r.id), 0), output: input.reduce((s, r) => s + Number(r.id), 0) });
    const good = await rowsOf('mart.ct');
    const bad = await rowsOf('mart.ct__quarantine');
    expect(good.length + bad.length).toBe(input.length);
    expect(bad.length).toBe(input.filter((r) => r.amount < 0).length);
    await expectNoOrphans(dir, 'mart.ct');
  });

  it('a failure inside validation, after quarantine was staged, leaves no files for the table or its quarantine', async () => {
    const rec = await (
      await submitJob(engine, {
        name: 'ct-bad',
        sql: 'CREATE TABLE mart.ctbad AS SELECT id, region, amount FROM raw.sales WHERE amount > :min',
        parameters: { min: -100 },
        quality: [{ rule: 'range', column: 'amount', min: 0, severity: 'quarantine' }],
        reconcile: { controlTotals: ['no_such_column'] },
      })
    ).settled();
    expect(rec.state).toBe('FAILED');
    expect(rec.error?.message).toContain('no_such_column');
    await expectNoOrphans(dir, 'mart.ctbad');
  });
});
