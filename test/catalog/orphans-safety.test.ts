/**
 * Orphan removal racing real writers (issue #12): three child processes append in a loop while
 * this process sweeps with the most aggressive settings a user can ask for (forceUnsafeAge,
 * olderThan = now). Afterwards every acknowledged append's rows are there exactly once, every
 * snapshot scans fully, and every file any snapshot references still exists.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Warehouse, readManifestEntries, readSnapshotManifests, removeOrphanFiles, type Table } from 'lakehouse-engine/catalog';
import { backends } from '../helpers/backends.js';
import { readRows, writeDataFile } from './util.js';

const WORKER = fileURLToPath(new URL('./orphans-worker.mjs', import.meta.url));
const WRITERS = 3;
const MIN_ROUNDS = 10;

interface Ack { worker: number; i: number; ids: number[] }

function runWorker(args: object, acks: Ack[]): { done: Promise<void>; exited: () => boolean } {
  let finished = false;
  const done = new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let buf = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        acks.push(JSON.parse(buf.slice(0, nl)) as Ack);
        buf = buf.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      finished = true;
      if (code === 0) resolve();
      else reject(new Error(`worker exited ${code}: ${err}`));
    });
  });
  return { done, exited: () => finished };
}

/** Every key any snapshot of `t` references, checked with HEAD (not through the manifest cache). */
async function missingReferencedFiles(t: Table): Promise<string[]> {
  const missing: string[] = [];
  for (const s of t.snapshots()) {
    const listKey = t.io.keyFor(s['manifest-list']);
    if (!(await t.io.store.head(listKey))) {
      missing.push(listKey);
      continue;
    }
    for (const m of await readSnapshotManifests(t.io, s)) {
      const mk = t.io.keyFor(m.manifestPath);
      if (!(await t.io.store.head(mk))) missing.push(mk);
    }
  }
  const plan = await t.scan();
  for (const task of plan.tasks) {
    const k = t.io.keyFor(task.file.filePath);
    if (!(await t.io.store.head(k))) missing.push(k);
  }
  return missing;
}

/** Keys of the manifest lists, manifests and data files of every snapshot of `t`. */
async function referencedKeys(t: Table): Promise<Set<string>> {
  const out = new Set<string>();
  for (const s of t.snapshots()) {
    out.add(t.io.keyFor(s['manifest-list']));
    for (const m of await readSnapshotManifests(t.io, s)) {
      out.add(t.io.keyFor(m.manifestPath));
      for (const e of await readManifestEntries(t.io, t.metadata, m)) out.add(t.io.keyFor(e.dataFile.filePath));
    }
  }
  return out;
}

for (const backend of backends().filter((b) => b.name !== 'memory')) {
  describe(`orphan removal racing writers on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it(`${WRITERS} writer processes + ${MIN_ROUNDS}+ sweeps at olderThan = now: nothing committed or in flight is lost`, async () => {
      const appends = backend.name === 's3' ? 8 : 10;
      const uri = await backend.freshUri('orphan-race');
      const wh = await Warehouse.open(uri);
      await wh.createNamespace('db');
      const t = await wh.createTable('db.race', [
        { name: 'id', type: 'long', required: true },
        { name: 'writer', type: 'int' },
        { name: 'seq', type: 'int' },
      ]);
      // A leftover of a crashed writer from before the race: the first sweep must remove it.
      const leftoverKey = t.io.keyFor((await writeDataFile(t, [{ id: -1n, writer: -1, seq: -1 }])).filePath);

      const acks: Ack[] = [];
      const workers = Array.from({ length: WRITERS }, (_, w) => runWorker({ uri, table: 'db.race', worker: w, count: appends }, acks));
      const sweeper = await wh.loadTable('db.race');
      let rounds = 0;
      const deadline = Date.now() + 120_000;
      let removed = 0;
      const removedKeys: string[] = [];
      const failures: unknown[] = [];
      void Promise.allSettled(workers.map((w) => w.done)).then((r) => failures.push(...r.filter((x) => x.status === 'rejected')));
      while (rounds < MIN_ROUNDS || !workers.every((w) => w.exited())) {
        const res = await removeOrphanFiles(sweeper, { forceUnsafeAge: true, olderThan: Date.now(), onWarning: () => undefined });
        rounds++;
        removed += res.orphans.length;
        removedKeys.push(...res.orphans);
        if (Date.now() > deadline) throw new Error(`writers did not finish within the deadline (${acks.length} appends acknowledged)`);
      }
      await Promise.all(workers.map((w) => w.done));
      // One more sweep once every writer is gone: junk written after the last listing.
      removedKeys.push(...(await removeOrphanFiles(sweeper, { forceUnsafeAge: true, olderThan: Date.now(), onWarning: () => undefined })).orphans);
      removed = removedKeys.length;
      expect(failures).toEqual([]);
      expect(acks.length).toBe(WRITERS * appends);
      // The sweeps did real work: the leftover and the writers' junk files went, nothing else did.
      expect(removedKeys).toContain(leftoverKey);
      const after = await wh.loadTable('db.race');
      // Anything else removed (a writer's lost-attempt files it was deleting itself, listed just
      // before) must be something no snapshot of any version references.
      const referenced = await referencedKeys(after);
      expect(removedKeys.filter((k) => k !== leftoverKey && !/\/data\/junk-/.test(k) && referenced.has(k))).toEqual([]);

      const rows = await readRows(after);
      const want = acks.flatMap((a) => a.ids).sort((a, b) => a - b);
      expect(rows.map((r) => r['id'] as number).sort((a, b) => a - b)).toEqual(want);
      expect(await missingReferencedFiles(after)).toEqual([]);
      // Every retained snapshot still scans fully (its data files exist and decode).
      for (const s of after.snapshots()) {
        const n = (await readRows(after, { snapshotId: s['snapshot-id'] })).length;
        expect(n).toBe(Number(s.summary['total-records']));
      }
      // Nothing unreferenced is left behind once the writers are done.
      const final = await removeOrphanFiles(after, { forceUnsafeAge: true, olderThan: Date.now(), dryRun: true, onWarning: () => undefined });
      expect(final.orphans).toEqual([]);
      expect(final.protectedFiles).toEqual([]);
      console.log(`[${backend.name}] ${rounds} sweeps during ${acks.length} appends removed ${removed} orphan(s)`);
      await wh.close();
    }, 150_000);
  });
}
