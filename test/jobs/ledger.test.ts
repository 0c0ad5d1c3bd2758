import { describe, expect, it } from 'vitest';
import { isLakehouseError, openObjectStore } from 'lakehouse-engine/connectors';
import { currentOwner, emptyMetrics, newRunId, parseJobSpec, RunLedger, specHash, transition, type RunRecord } from 'lakehouse-engine';
import { backends } from '../helpers/backends.js';

const spec = parseJobSpec({ name: 'daily_sales', sql: 'SELECT 1', output: { table: 'sales.daily' } });

function record(runId = newRunId()): RunRecord {
  return {
    runId,
    version: 0,
    jobName: spec.name,
    specHash: specHash(spec),
    spec,
    mode: spec.mode,
    state: 'PLANNED',
    transitions: [{ state: 'PLANNED', atMs: 1 }],
    owner: currentOwner(),
    createdAtMs: Date.now(),
    parameters: {},
    inputs: {},
    staged: [],
    metrics: emptyMetrics(),
  };
}

describe('job spec validation', () => {
  it('lists every problem with its path', () => {
    const err = (() => {
      try {
        parseJobSpec({ name: 'bad name!', sql: '', output: { table: 'nodot', mode: 'upsert' }, quality: [{ rule: 'range', column: 'x' }], extra: 1 });
      } catch (e) {
        return e;
      }
    })();
    expect(isLakehouseError(err, 'INVALID_JOB_SPEC')).toBe(true);
    const paths = ((err as { details: { problems: { path: string }[] } }).details.problems).map((p) => p.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['name', 'sql', 'output.table', 'output.mode', 'quality[0]', '(root)']));
  });

  it('hashes specs independently of key order', () => {
    const a = parseJobSpec({ name: 'j', sql: 'SELECT 1', parameters: { a: 1, b: 'x' } });
    const b = parseJobSpec({ parameters: { b: 'x', a: 1 }, sql: 'SELECT 1', name: 'j' });
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(a)).not.toBe(specHash(parseJobSpec({ name: 'j', sql: 'SELECT 2' })));
  });
});

for (const backend of backends()) {
  describe(`run ledger: ${backend.name}`, () => {
    it('moves through legal states only, as a chain of versions', async () => {
      const ledger = new RunLedger(await openObjectStore(await backend.freshUri('ledger')));
      const rec = await ledger.create(record());
      const locked = await ledger.update(rec.runId, (cur) => transition(cur, 'INPUT_LOCKED', 2, { runClockMs: 2, inputs: { 'sales.raw': '42' } }));
      expect(locked.version).toBe(2);
      await expect(ledger.update(rec.runId, (cur) => transition(cur, 'PUBLISHED', 3))).rejects.toThrow(/cannot move from INPUT_LOCKED to PUBLISHED/);
      const loaded = await ledger.load(rec.runId);
      expect(loaded.state).toBe('INPUT_LOCKED');
      expect(loaded.inputs).toEqual({ 'sales.raw': '42' });
      expect(await ledger.runIds()).toEqual([rec.runId]);
      await backend.cleanup();
    });

    it('compare-and-swap: concurrent transitions from one state → exactly one applies', async () => {
      const ledger = new RunLedger(await openObjectStore(await backend.freshUri('ledger-cas')));
      const rec = await ledger.create(record());
      await ledger.update(rec.runId, (c) => transition(c, 'INPUT_LOCKED', 2));
      await ledger.update(rec.runId, (c) => transition(c, 'RUNNING', 3));
      // The owner tries to validate while a recovery marks the run failed: one wins, the other
      // sees the new state and is refused.
      const results = await Promise.allSettled([
        ledger.update(rec.runId, (c) => transition(c, 'VALIDATING', 4)),
        ledger.update(rec.runId, (c) => transition(c, 'FAILED', 4, { error: { code: 'TASK_FAILED', message: 'owner died' } })),
      ]);
      const final = await ledger.load(rec.runId);
      const [validating, failed] = results;
      const tail = final.transitions.map((t) => t.state).slice(3);
      // Each fulfilled update is in the chain exactly once, in an order the state machine allows.
      if (validating!.status === 'fulfilled' && failed!.status === 'fulfilled') expect(tail).toEqual(['VALIDATING', 'FAILED']);
      else if (validating!.status === 'fulfilled') expect(tail).toEqual(['VALIDATING']);
      else expect(tail).toEqual(['FAILED']);
      expect(final.state).toBe(tail[tail.length - 1]);
      expect(final.transitions.map((t) => t.state).slice(0, 3)).toEqual(['PLANNED', 'INPUT_LOCKED', 'RUNNING']);
      await backend.cleanup();
    });

    it('idempotency claims: 8 concurrent claimers of one key → one owner per sequence', async () => {
      const ledger = new RunLedger(await openObjectStore(await backend.freshUri('ledger-keys')));
      const ids = Array.from({ length: 8 }, () => newRunId());
      const won = await Promise.all(ids.map((id) => ledger.claim('daily-2026-11-23', 1, id)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const latest = await ledger.latestClaim('daily-2026-11-23');
      expect(latest).toEqual({ seq: 1, runId: ids[won.indexOf(true)] });
      expect(await ledger.latestClaim('another-key')).toBeUndefined();
      await backend.cleanup();
    });
  });
}
