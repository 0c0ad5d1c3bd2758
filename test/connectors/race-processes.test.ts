/**
 * putIfAbsent's exactly-one-winner property across OS processes and worker threads on the
 * local store (and across processes on S3 when configured): each participant races through
 * the same keys; every key must have exactly one winner and hold that winner's bytes.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openObjectStore } from 'lakehouse-engine/connectors';
import { backends } from '../helpers/backends.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./race-worker.mjs', import.meta.url));
const ROUNDS = 100;

async function verify(uri: string, results: { id: number; won: number[] }[]): Promise<void> {
  const winners = new Map<number, number[]>();
  for (const r of results) for (const round of r.won) winners.set(round, [...(winners.get(round) ?? []), r.id]);
  const store = await openObjectStore(uri);
  const dec = new TextDecoder();
  for (let round = 0; round < ROUNDS; round++) {
    const w = winners.get(round) ?? [];
    expect(w, `round ${round}`).toHaveLength(1);
    expect(dec.decode(await store.get(`race/${round}`))).toBe(`${w[0]}:${round}`);
  }
  // Every participant really competed (each won or lost every round; none crashed early).
  expect(results).toHaveLength(4);
}

for (const backend of backends().filter((b) => b.name !== 'memory')) {
  describe(`putIfAbsent race across processes: ${backend.name}`, () => {
    it('4 processes: exactly one winner per key', async () => {
      const uri = await backend.freshUri('race-proc');
      const outs = await Promise.all(
        [0, 1, 2, 3].map((id) => run(process.execPath, [script, JSON.stringify({ uri, id, rounds: ROUNDS })], { env: process.env })),
      );
      await verify(uri, outs.map((o) => JSON.parse(o.stdout)));
      await backend.cleanup();
    }, 120_000);
  });
}

describe('putIfAbsent race across worker threads: local', () => {
  it('4 threads: exactly one winner per key', async () => {
    const backend = backends().find((b) => b.name === 'local')!;
    const uri = await backend.freshUri('race-threads');
    const outs = await Promise.all(
      [0, 1, 2, 3].map(
        (id) =>
          new Promise<string>((resolve, reject) => {
            const w = new Worker(script, { workerData: { uri, id, rounds: ROUNDS } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    await verify(uri, outs.map((o) => JSON.parse(o)));
    await backend.cleanup();
  }, 120_000);
});
