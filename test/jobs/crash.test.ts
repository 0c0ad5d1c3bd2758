/**
 * A job killed (SIGKILL) at each state, then `recover` and a resubmission: the table holds the
 * job's output exactly once and no orphan files remain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Warehouse, removeOrphanFiles } from 'lakehouse-engine/catalog';
import { RunLedger, recoverRuns } from 'lakehouse-engine';
import { readRows } from '../catalog/util.js';
import { makeRawTable, runWorker } from './helpers.js';

let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-jobcrash-'));
  await makeRawTable(dir);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const spec = {
  name: 'clean',
  idempotencyKey: 'clean-crash',
  sql: 'CREATE TABLE mart.clean PARTITIONED BY (region) AS SELECT id, region, amount, day FROM raw.sales',
};

for (const crashAt of ['INPUT_LOCKED', 'mid-tasks', 'VALIDATING', 'COMMITTING', 'after-commit'] as const) {
  describe(`killed at ${crashAt}`, () => {
    it('recover + resubmit → output exactly once, no orphan files', async () => {
      const killed = await runWorker({ warehouse: dir, spec, crashAt });
      expect(killed.signal, killed.err).toBe('SIGKILL');
      const wh = await Warehouse.open(dir);
      const ledger = new RunLedger(wh.store);
      const [crashed] = await ledger.list();
      expect(crashed!.state).not.toBe('PUBLISHED');

      const actions = await recoverRuns(wh);
      expect(actions).toHaveLength(1);
      expect(actions[0]!.to).toBe(crashAt === 'after-commit' ? 'PUBLISHED' : 'FAILED');

      const again = await runWorker({ warehouse: dir, spec });
      expect(again.code, again.err).toBe(0);
      const res = JSON.parse(again.out);
      expect(res.state).toBe('PUBLISHED');
      if (crashAt === 'after-commit') {
        expect(res.reused).toBe(true);
        expect(res.runId).toBe(crashed!.runId);
      }
      const t = await wh.loadTable('mart.clean');
      const rows = await readRows(t);
      expect(rows.length).toBe(400);
      expect(new Set(rows.map((r) => r['id'])).size).toBe(400);
      expect(t.history().filter((s) => s.summary['lake.run-id'])).toHaveLength(1);
      const orphans = await removeOrphanFiles(t, { olderThan: Date.now() + 60_000, dryRun: true });
      expect(orphans.orphans.filter((k) => !k.includes('/metadata/'))).toEqual([]);
      await wh.close();
    }, 120_000);
  });
}
