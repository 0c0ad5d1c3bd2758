/** `lake compact`: --dry-run --json plan, a real run's --json metrics against the table, --help. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLake, type CliResult } from '../helpers/cli.js';
import { Warehouse } from 'lakehouse-engine/catalog';
import { Engine } from 'lakehouse-engine/engine';


let dir: string;
let wh: string;

const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-cli-compact-'));
  wh = join(dir, 'wh');
  // Six small appends into 2 partitions: 6 small files per partition.
  const engine = await Engine.open({ warehouse: wh, threads: 1 });
  for (let k = 0; k < 6; k++) {
    const csv = join(dir, `part-${k}.csv`);
    writeFileSync(csv, `id,kind\n${Array.from({ length: 10 }, (_, i) => `${k * 10 + i},${i % 2 ? 'odd' : 'even'}`).join('\n')}\n`);
    await engine.ingest('c.t', [csv], { create: true, partitionBy: 'kind' });
  }
  await engine.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lake compact', () => {
  it('--dry-run --json prints the plan and changes nothing', async () => {
    const r = await lake('compact', 'c.t', '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.groups.map((g: { partition: Record<string, string> }) => g.partition.kind).sort()).toEqual(['even', 'odd']);
    for (const g of out.groups) {
      expect(g.files.length).toBe(6);
      expect(g.expectedFiles).toBe(1);
      expect(g.inputRows).toBe(30);
    }
    const w = await Warehouse.open(wh);
    expect((await w.loadTable('c.t')).snapshots().length).toBe(6);
    await w.close();
  });

  it('--json after a run: metrics and the committed replace snapshot', async () => {
    const r = await lake('compact', 'c.t', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.metrics).toMatchObject({ filesBefore: 12, filesAfter: 2, filesRewritten: 12, filesAdded: 2, rows: 60 });
    const w = await Warehouse.open(wh);
    const t = await w.loadTable('c.t');
    expect(out.snapshotIds.map(String)).toEqual([String(t.currentSnapshot()!['snapshot-id'])]);
    expect(t.currentSnapshot()!.summary.operation).toBe('replace');
    await w.close();
    const q = await lake('sql', 'SELECT count(*) AS n, sum(id) AS s FROM c.t', '--json');
    expect(JSON.parse(q.stdout)).toEqual([{ n: 60, s: (59 * 60) / 2 }]);
  });

  it('usage errors exit 2; --help has examples', async () => {
    expect((await lake('compact', 'c.t', '--target-file-size', 'big')).code).toBe(2);
    const h = await lake('compact', '--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Examples:');
    expect(h.stdout).toContain('--dry-run');
  });
});
