/**
 * INSERT OVERWRITE replaces whole partitions: a job whose WHERE on the partition source column
 * selects part of a partition (a day of a month-partitioned table, as `lake run --help`'s own
 * example did) is refused before any run exists, naming `overwrite: "replace-where"`; whole
 * partitions are accepted and publish.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import { Warehouse } from 'lakehouse-engine/catalog';
import { Engine } from 'lakehouse-engine/engine';
import { RunLedger, submitJob } from 'lakehouse-engine';
import { readRows } from '../catalog/util.js';
import { makeRawTable } from './helpers.js';

let dir: string;
let engine: Engine;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-overwrite-'));
  await makeRawTable(dir); // days 2023-12-08, -09, -10
  engine = await Engine.open({ warehouse: dir, threads: 2 });
});

afterEach(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function state(name: string): Promise<{ snapshots: number; rows: number }> {
  const wh = await Warehouse.open(dir);
  try {
    const t = await wh.loadTable(name);
    return { snapshots: t.snapshots().length, rows: (await readRows(t)).length };
  } finally {
    await wh.close();
  }
}

async function make(partitionBy: string): Promise<void> {
  const rec = await (await submitJob(engine, { name: 'mk', sql: `CREATE TABLE mart.m PARTITIONED BY (${partitionBy}) AS SELECT id, region, amount, day FROM raw.sales` })).result();
  expect(rec.state).toBe('PUBLISHED');
}

const day = { day: { type: 'date', value: '2023-12-09' } };

describe('INSERT OVERWRITE boundary', () => {
  it('a day predicate on a month-partitioned table is refused, names replace-where, and changes nothing', async () => {
    await make('month(day)');
    const before = await state('mart.m');
    const runsBefore = (await new RunLedger((await Warehouse.open(dir)).store).runIds()).length;
    let err: unknown;
    try {
      await submitJob(engine, { name: 'ow', sql: 'INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales WHERE day = :day', parameters: day });
    } catch (e) {
      err = e;
    }
    expect(isLakehouseError(err, 'INVALID_JOB_SPEC')).toBe(true);
    const msg = (err as Error).message + ' ' + ((err as { help?: string }).help ?? '');
    expect(msg).toContain('month(day)');
    expect(msg).toContain("day = DATE '2023-12-09'");
    expect(msg).toContain('overwrite');
    expect(msg).toContain('replace-where');
    expect(msg).toContain("day >= DATE '2023-12-01' AND day < DATE '2024-01-01'");
    await expect(submitJob(engine, { name: 'ow', sql: "INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales WHERE day >= DATE '2023-12-01' OR amount > 5" })).rejects.toThrow(/mixes day with other columns/);
    // replace-where is refused before a run exists where it cannot apply (test/jobs/replace-where.test.ts runs it).
    await expect(submitJob(engine, { name: 'ow', overwrite: 'replace-where', sql: 'INSERT INTO mart.m SELECT id, region, amount, day FROM raw.sales WHERE day = :day', parameters: day })).rejects.toMatchObject({ code: 'INVALID_JOB_SPEC' });
    await expect(submitJob(engine, { name: 'ow', overwrite: 'replace-where', sql: 'INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales s WHERE s.day = :day AND s.nope > 0', parameters: day })).rejects.toThrow(/s\.nope is not a column of mart\.m/);
    await expect(submitJob(engine, { name: 'ow', overwrite: 'replace-where', sql: 'INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales' })).rejects.toThrow(/has no WHERE/);
    expect(await state('mart.m')).toEqual(before);
    expect((await new RunLedger((await Warehouse.open(dir)).store).runIds()).length).toBe(runsBefore);
    // Dry runs are refused the same way: they rehearse the real run.
    await expect(submitJob(engine, { name: 'ow', mode: 'dry-run', sql: 'INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales WHERE day >= :day', parameters: day })).rejects.toThrow(/replace-where/);
  });

  it('a whole-month range, or no predicate on the column, is accepted on the month-partitioned table', async () => {
    await make('month(day)');
    const whole = await (await submitJob(engine, {
      name: 'ow-month',
      sql: 'INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales WHERE day >= :from AND day < :to AND id >= 0',
      parameters: { from: { type: 'date', value: '2023-12-01' }, to: { type: 'date', value: '2024-01-01' } },
    })).result();
    expect(whole.state).toBe('PUBLISHED');
    expect((await state('mart.m')).rows).toBe(400);
    const all = await (await submitJob(engine, { name: 'ow-all', sql: 'INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales WHERE region IS NOT NULL OR region IS NULL' })).result();
    expect(all.state).toBe('PUBLISHED');
  });

  it('on a day-partitioned (identity) table, day = :day is whole partitions', async () => {
    await make('day');
    const rec = await (await submitJob(engine, { name: 'ow-day', sql: 'INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales WHERE day = :day', parameters: day })).result();
    expect(rec.state).toBe('PUBLISHED');
    expect((await state('mart.m')).rows).toBe(400);
  });

  it('bucket partitions and predicates mixing the column with others are refused', async () => {
    await make('bucket(4, id)');
    await expect(submitJob(engine, { name: 'ow-b', sql: 'INSERT OVERWRITE mart.m SELECT id, region, amount, day FROM raw.sales WHERE id < 100' })).rejects.toThrow(/bucket/);
  });
});
