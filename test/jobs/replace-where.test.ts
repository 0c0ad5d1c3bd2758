/**
 * `overwrite: "replace-where"`: an INSERT OVERWRITE job replaces exactly the target rows that
 * match its WHERE (copy-on-write of the files that may hold such rows, one commit), on a table
 * partitioned by month replaced one day at a time. Checked through the real engine, catalog and
 * store (local disk, and S3 when configured): exact rows and counts, untouched files, one new
 * snapshot; a new row outside the predicate refused with nothing committed and nothing left in
 * the store; a concurrent writer that rewrites a file this job rewrites forces a re-read (no row
 * resurrected, none lost); parameters in a statement with PARTITIONED BY transforms and FOR … AS OF.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warehouse, buildPartitionSpec, planScan, type DataFile, type Table } from 'lakehouse-engine/catalog';
import { Engine } from 'lakehouse-engine/engine';
import { recoverRuns, submitJob, type RunRecord } from 'lakehouse-engine';
import { backends } from '../helpers/backends.js';
import { icebergValueAt } from 'lakehouse-engine/connectors';
import { writeDataFile, type Row } from '../catalog/util.js';
import { expectNoOrphans, runWorker } from './helpers.js';

const DAY0 = Date.UTC(2024, 5, 1) / 86_400_000; // 2024-06-01 as days since the epoch
const DAYS = 40; // June 1 … July 10
const PER_DAY = 3;
const iso = (dayIdx: number): string => new Date((DAY0 + dayIdx) * 86_400_000).toISOString().slice(0, 10);
/** Decimals beyond 2^53 unscaled and longs near 2^63: a rewritten row must come back bit for bit. */
const amt = (id: number): bigint => BigInt(id) * 10n ** 30n + 7n;
const big = (id: number): bigint => 9223372036854775807n - BigInt(id);
const oldRow = (id: number): Row => ({ id: BigInt(id), d: DAY0 + Math.floor(id / PER_DAY), v: BigInt(id * 10), note: 'old', amt: amt(id), big: big(id) });
const idsOfDays = (from: number, to: number): number[] => Array.from({ length: (to - from) * PER_DAY }, (_, i) => from * PER_DAY + i);
/** The four files of the target: June 1–10, 11–20, 21–30 (one month partition), July 1–10. */
const FILE_DAYS: Array<[number, number]> = [[0, 10], [10, 20], [20, 30], [30, 40]];
const JUNE_15 = 14;
const FIELDS = [
  { name: 'id', type: 'long' as const, required: true },
  { name: 'd', type: 'date' as const, required: true },
  { name: 'v', type: 'long' as const },
  { name: 'note', type: 'string' as const },
  { name: 'amt', type: 'decimal(38,2)' as const },
  { name: 'big', type: 'long' as const },
];
/** The source of the new rows: five for June 15, and rows of the days around it that the WHERE leaves out. */
const newRow = (id: number, day: number): Row => ({ id: BigInt(id), d: DAY0 + day, v: BigInt(7000 + id), note: 'new', amt: -amt(id), big: -big(id) - 1n });
const FRESH: Row[] = [
  ...[0, 1, 2, 3, 4].map((i) => newRow(1000 + i, JUNE_15)),
  ...[0, 1].map((i) => newRow(2000 + i, JUNE_15 - 1)),
  ...[0, 1].map((i) => newRow(2002 + i, JUNE_15 + 1)),
];
const NEW_IDS = [1000, 1001, 1002, 1003, 1004];
const REPLACE_DAY = {
  name: 'replace-day',
  overwrite: 'replace-where',
  sql: 'INSERT OVERWRITE mart.ev SELECT id, d, v, note, amt, big FROM raw.fresh WHERE d = :day',
  parameters: { day: { type: 'date', value: iso(JUNE_15) } },
};

/** Canonical text of a row: every value exact (64-bit and decimal values as bigint digits). */
const text = (r: Row): string => FIELDS.map((f) => String(r[f.name] ?? null)).join('|');
const byId = (rows: Row[]): Map<number, string> => new Map(rows.map((r) => [Number(r['id']), text(r)]));
const INITIAL = byId(idsOfDays(0, DAYS).map(oldRow));
const FRESH_BY_ID = byId(FRESH);

/** Every row of a table, read exactly (no conversion to JS numbers on the way). */
async function exactRows(t: Table): Promise<Row[]> {
  const out: Row[] = [];
  for await (const b of await t.read()) {
    for (let i = 0; i < b.numRows; i++) out.push(Object.fromEntries(FIELDS.map((f) => [f.name, icebergValueAt(b.getChild(f.name)!, i)])));
  }
  return out;
}

for (const backend of backends().filter((b) => b.name !== 'memory')) {
  describe(`replace-where jobs (${backend.name})`, () => {
    let uri: string;
    let engine: Engine;
    let wh: Warehouse;
    const initial = INITIAL;
    let files: DataFile[];

    const load = (name = 'mart.ev'): Promise<Table> => wh.loadTable(name);
    const rowsById = async (t?: Table): Promise<Map<number, string>> => byId(await exactRows(t ?? (await load())));
    const liveFiles = async (t?: Table): Promise<string[]> => (await planScan((t ?? (await load())).state)).tasks.map((x) => x.file.filePath).sort();
    const keysUnder = async (prefix: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const o of wh.store.list(prefix)) out.push(o.key);
      return out.sort();
    };

    /** A fresh target: four files over June and July, 120 rows, one append snapshot. */
    async function makeTarget(): Promise<Table> {
      if (await wh.tableExists('mart.ev')) await wh.dropTable('mart.ev', { purge: true });
      const t = await wh.createTable('mart.ev', FIELDS, { partitionBy: [{ column: 'd', transform: 'month' }] });
      files = [];
      for (const [a, b] of FILE_DAYS) files.push(await writeDataFile(t, idsOfDays(a, b).map(oldRow)));
      await t.newAppend().addFiles(files).commit();
      return t;
    }

    beforeAll(async () => {
      uri = await backend.freshUri('replace-where');
      wh = await Warehouse.open(uri);
      for (const ns of ['raw', 'mart']) await wh.createNamespace(ns);
      const src = await wh.createTable('raw.fresh', FIELDS);
      await src.newAppend().addFiles([await writeDataFile(src, FRESH)]).commit();
      engine = await Engine.open({ warehouse: uri, threads: 2 });
      await makeTarget();
      expect(await rowsById()).toEqual(INITIAL);
    }, 60_000);

    afterAll(async () => {
      await engine?.close();
      await wh?.close();
      await backend.cleanup();
    });

    it('replaces exactly the rows of one day: the rest of the month and the other files intact, one new snapshot', async () => {
      const before = await load();
      const snapshotsBefore = before.snapshots().length;
      const rec = await (await submitJob(engine, REPLACE_DAY)).result();
      expect(rec.state).toBe('PUBLISHED');
      expect(rec.output?.mode).toBe('replace-where');
      // One file (June 11–20) holds June 15: 3 rows replaced, its 27 others rewritten.
      expect(rec.replaced).toEqual({ removedFiles: 1, replacedRows: PER_DAY, keptRows: 10 * PER_DAY - PER_DAY, rounds: 1 });

      const t = await load();
      expect(t.snapshots().length).toBe(snapshotsBefore + 1);
      const snap = t.currentSnapshot()!;
      expect(String(snap['snapshot-id'])).toBe(rec.committedSnapshotId);
      expect(snap.summary).toMatchObject({ operation: 'overwrite', 'added-records': '32', 'deleted-records': '30', 'deleted-data-files': '1', 'total-records': String(DAYS * PER_DAY - PER_DAY + 5) });

      const after = await rowsById(t);
      const expected = new Map(initial);
      for (const id of idsOfDays(JUNE_15, JUNE_15 + 1)) expected.delete(id);
      for (const id of NEW_IDS) expected.set(id, FRESH_BY_ID.get(id)!);
      expect(after.size).toBe(DAYS * PER_DAY - PER_DAY + 5);
      expect(after).toEqual(expected);

      // The files without June 15 rows are untouched; the rewritten one is gone.
      const live = await liveFiles(t);
      for (const i of [0, 2, 3]) expect(live).toContain(files[i]!.filePath);
      expect(live).not.toContain(files[1]!.filePath);
      await expectNoOrphans(uri, 'mart.ev');
      expect(await keysUnder('mart/ev/_inflight/'), 'in-flight markers of the two staged writes are settled').toEqual([]);
    }, 90_000);

    it('a dry run says what it would replace and leaves the store as it was', async () => {
      await makeTarget();
      const keysBefore = await keysUnder('mart/ev/');
      const rec = await (await submitJob(engine, { ...REPLACE_DAY, name: 'rehearse', mode: 'dry-run' })).result();
      expect(rec.state).toBe('COMPLETED');
      expect(rec.replaced).toEqual({ removedFiles: 1, replacedRows: PER_DAY, keptRows: 10 * PER_DAY - PER_DAY, rounds: 0 });
      expect(await keysUnder('mart/ev/')).toEqual(keysBefore);
      expect(await rowsById()).toEqual(initial);
    }, 90_000);

    it('a predicate covering whole files removes them without rewriting; one matching nothing changes no file', async () => {
      await makeTarget();
      // No July row in the source: July's rows are replaced by nothing.
      const rec = await (await submitJob(engine, { ...REPLACE_DAY, name: 'drop-july', sql: 'INSERT OVERWRITE mart.ev SELECT id, d, v, note, amt, big FROM raw.fresh WHERE d >= :from', parameters: { from: { type: 'date', value: iso(30) } } })).result();
      expect(rec.replaced).toEqual({ removedFiles: 1, replacedRows: 10 * PER_DAY, keptRows: 0, rounds: 1 });
      const t = await load();
      expect(t.currentSnapshot()!.summary).toMatchObject({ operation: 'overwrite', 'deleted-data-files': '1', 'deleted-records': '30', 'total-data-files': '3' });
      expect(t.currentSnapshot()!.summary['added-data-files']).toBeUndefined();
      expect(await rowsById(t)).toEqual(new Map([...initial].filter(([id]) => id < 30 * PER_DAY)));
      expect(await liveFiles(t)).toEqual(files.slice(0, 3).map((f) => f.filePath).sort());

      const none = await (await submitJob(engine, { ...REPLACE_DAY, name: 'match-none', parameters: { day: { type: 'date', value: '2025-01-01' } } })).result();
      expect(none.replaced).toEqual({ removedFiles: 0, replacedRows: 0, keptRows: 0, rounds: 1 });
      expect(await liveFiles()).toEqual(files.slice(0, 3).map((f) => f.filePath).sort());
      await expectNoOrphans(uri, 'mart.ev');
    }, 90_000);

    it('a new row outside the predicate is refused, naming the count: nothing committed, nothing left in the store', async () => {
      await makeTarget();
      const t0 = await load();
      const keysBefore = await keysUnder('mart/ev/');
      const handle = await submitJob(engine, {
        ...REPLACE_DAY,
        name: 'replace-day-bad',
        // One of the five new rows is moved to June 16, where nothing is replaced.
        sql: `INSERT OVERWRITE mart.ev SELECT id, CASE WHEN id = 1002 THEN DATE '${iso(JUNE_15 + 1)}' ELSE d END AS d, v, note, amt, big FROM raw.fresh WHERE d = :day`,
      });
      const rec: RunRecord = await handle.settled();
      expect(rec.state).toBe('FAILED');
      expect(rec.error?.code).toBe('BAD_RECORD');
      expect(rec.error?.message).toContain('1 of the 5 new row(s) do not match the replace-where predicate d = ');
      await expect(handle.result()).rejects.toMatchObject({ code: 'BAD_RECORD' });
      const t = await load();
      expect(t.metadata['last-updated-ms']).toBe(t0.metadata['last-updated-ms']);
      expect(t.snapshots().length).toBe(t0.snapshots().length);
      expect(await rowsById(t)).toEqual(initial);
      // Listing the store prefix, not asking the table: no staged file, no in-flight marker.
      expect(await keysUnder('mart/ev/')).toEqual(keysBefore);
    }, 90_000);

    it('files written under an older partition spec are refused (a concurrent delete there would go unseen), nothing left', async () => {
      const t = await makeTarget();
      // Partition evolution month(d) → day(d): the existing files stay under spec 0.
      await t.commitUpdates((base) => ({
        updates: [
          { action: 'add-spec', spec: buildPartitionSpec(t.schema(), [{ column: 'd', transform: 'day' }], 1, base.metadata['last-partition-id']) },
          { action: 'set-default-spec', 'spec-id': 1 },
        ],
      }));
      const keysBefore = await keysUnder('mart/ev/');
      const rec = await (await submitJob(engine, { ...REPLACE_DAY, name: 'old-spec' })).settled();
      expect(rec.state).toBe('FAILED');
      expect(rec.error?.code).toBe('UNSUPPORTED');
      expect(rec.error?.message).toContain('older partition spec');
      expect(await keysUnder('mart/ev/')).toEqual(keysBefore);
      expect(await rowsById()).toEqual(initial);
    }, 90_000);

    it('a concurrent writer rewriting a file this job rewrites forces a re-read: its delete stays, its append stays, the day is replaced', async () => {
      await makeTarget();
      const removedId = 34; // June 12, in the June 11–20 file
      const appended: Row = { ...oldRow(5000), d: DAY0 + 11, note: 'concurrent' };
      let hooked = 0;
      const rec = await (await submitJob(engine, REPLACE_DAY, {
        testHooks: {
          beforeReplaceCommit: async (round) => {
            hooked++;
            if (round !== 0) return;
            // Between this job's read and its commit: a copy-on-write delete of one row of the
            // file the job rewrites, and an append into the same month.
            const t = await load();
            const rest = idsOfDays(10, 20).filter((id) => id !== removedId).map(oldRow);
            await t.newOverwrite().deleteFile(files[1]!.filePath).addFiles([await writeDataFile(t, rest)]).commit();
            const t2 = await load();
            await t2.newAppend().addFiles([await writeDataFile(t2, [appended])]).commit();
          },
        },
      })).result();
      expect(rec.state).toBe('PUBLISHED');
      expect(hooked).toBe(2);
      // The first commit conflicted (its removed file was gone); the second read the concurrent result.
      expect(rec.replaced).toEqual({ removedFiles: 1, replacedRows: PER_DAY, keptRows: 10 * PER_DAY - PER_DAY - 1, rounds: 2 });
      const after = await rowsById();
      const expected = new Map(initial);
      expected.delete(removedId);
      for (const id of idsOfDays(JUNE_15, JUNE_15 + 1)) expected.delete(id);
      for (const id of NEW_IDS) expected.set(id, FRESH_BY_ID.get(id)!);
      expected.set(5000, text(appended));
      expect(after).toEqual(expected);
      await expectNoOrphans(uri, 'mart.ev');
      expect(await keysUnder('mart/ev/_inflight/')).toEqual([]);
    }, 90_000);

    it('killed after staging the rewrite (at COMMITTING): recovery deletes the rewrite and the new rows, a resubmission replaces the day once', async () => {
      await makeTarget();
      const dataBefore = await keysUnder('mart/ev/data/');
      const metaBefore = await keysUnder('mart/ev/metadata/');
      const killed = await runWorker({ warehouse: uri, spec: REPLACE_DAY, crashAt: 'COMMITTING' });
      expect(killed.signal).toBe('SIGKILL');
      // The kill came after the rewrite was staged: its files are there, named after the run.
      const staged = (await keysUnder('mart/ev/data/')).filter((k) => !dataBefore.includes(k));
      expect(staged.some((k) => /-rw0-/.test(k)), staged.join(', ')).toBe(true);
      const actions = await recoverRuns(wh);
      expect(actions.map((a) => a.to)).toEqual(['FAILED']);
      expect(await keysUnder('mart/ev/data/')).toEqual(dataBefore);
      expect(await keysUnder('mart/ev/metadata/')).toEqual(metaBefore);
      const rec = await (await submitJob(engine, REPLACE_DAY)).result();
      expect(rec.replaced).toMatchObject({ removedFiles: 1, replacedRows: PER_DAY });
      const expected = new Map(initial);
      for (const id of idsOfDays(JUNE_15, JUNE_15 + 1)) expected.delete(id);
      for (const id of NEW_IDS) expected.set(id, FRESH_BY_ID.get(id)!);
      expect(await rowsById()).toEqual(expected);
      await expectNoOrphans(uri, 'mart.ev');
    }, 90_000);

    it('parameters work in a statement with PARTITIONED BY transforms and FOR VERSION / TIMESTAMP AS OF', async () => {
      const t = await makeTarget();
      const first = t.currentSnapshot()!;
      // A later commit the time travel must not see.
      await (await submitJob(engine, { ...REPLACE_DAY, name: 'replace-again' })).result();
      const rec = await (await submitJob(engine, {
        name: 'ctas-travel',
        sql: 'CREATE TABLE mart.snap PARTITIONED BY (month(d), bucket(4, id)) AS SELECT id, d, v, note, amt, big FROM mart.ev FOR VERSION AS OF :snap WHERE d >= :from AND note = :note',
        parameters: { snap: { type: 'long', value: String(first['snapshot-id']) }, from: { type: 'date', value: iso(JUNE_15) }, note: 'old' },
      })).result();
      expect(rec.state).toBe('PUBLISHED');
      const snapTable = await load('mart.snap');
      expect(snapTable.spec().fields.map((f) => f.transform)).toEqual(['month', 'bucket[4]']);
      const want = [...initial].filter(([id]) => id >= JUNE_15 * PER_DAY).map(([, r]) => r).sort();
      expect((await exactRows(snapTable)).map(text).sort()).toEqual(want);

      const at = new Date(Number(first['timestamp-ms'])).toISOString().replace('T', ' ').replace('Z', '');
      const rec2 = await (await submitJob(engine, {
        name: 'insert-travel',
        sql: 'INSERT INTO mart.snap SELECT id, d, v, note, amt, big FROM mart.ev FOR TIMESTAMP AS OF :at WHERE d = :day',
        parameters: { at: { type: 'timestamp', value: at }, day: { type: 'date', value: iso(JUNE_15) } },
      })).result();
      expect(rec2.state).toBe('PUBLISHED');
      // As of the first snapshot June 15 still had its three old rows (the replace came later).
      const rows = (await exactRows(await load('mart.snap'))).filter((r) => r['note'] === 'old' && Number(r['id']) >= JUNE_15 * PER_DAY && Number(r['id']) < (JUNE_15 + 1) * PER_DAY);
      expect(rows.length).toBe(2 * PER_DAY);
    }, 90_000);
  });
}
