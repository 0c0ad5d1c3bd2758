// Child process for batch-job tests: submits one job (optionally crashing itself at a chosen
// point with SIGKILL) and prints the final run record as JSON. Loaded from dist.
import { Engine } from 'lakehouse-engine/engine';
import { submitJob } from 'lakehouse-engine';

const args = JSON.parse(process.argv[2]);
const engine = await Engine.open({ warehouse: args.warehouse, threads: 1 });
try {
  const handle = await submitJob(engine, args.spec, { testHooks: args.crashAt ? { crashAt: args.crashAt } : undefined, leaseMs: args.leaseMs });
  const rec = await handle.settled();
  process.stdout.write(JSON.stringify({ runId: rec.runId, state: rec.state, reused: handle.reused, committedSnapshotId: rec.committedSnapshotId ?? null }));
} finally {
  await engine.close();
}
