/**
 * Corrupt table files (issue #13): each case writes a good table with the library, damages the
 * bytes of one kind of file, and runs the `lake` commands a user would run against it — as real
 * child processes with a kill timer, so a hang fails the test (after 10 s) instead of hanging it.
 * Every command must end within 10 s with exit 0 or a coded error (`error [CODE]:`, exit 1, no
 * stack trace); the commands that read the damaged file must end with the expected code; and the
 * a gap in the metadata versions is an error naming the missing version (never the older table).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeBin } from '../helpers/cli.js';
import { recordBatchFromRows, writeParquetFiles } from 'lakehouse-engine/connectors';
import { readAvroContainer, Warehouse, writeAvroContainer } from 'lakehouse-engine/catalog';

/**
 * The budget of a command on damaged files: 10 s beyond what a healthy command costs on this
 * machine right now. A cold `lake` spends seconds importing modules and starting its worker pool
 * before it reads anything (measured ~2 + 4 s with both cores busy), so on a loaded CI machine a
 * flat 10 s would fail healthy commands; the control run below measures that overhead.
 */
const BUDGET_MS = 10_000;
let KILL_MS = 60_000;
const ROWS_PER_APPEND = [5, 6, 7];
const TOTAL = ROWS_PER_APPEND.reduce((a, b) => a + b, 0);

let root: string;
let wh: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  killed: boolean;
}

/** `lake …args` as a child process, SIGKILLed after KILL_MS. */
function lake(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [lakeBin, ...args, '--warehouse', wh], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, KILL_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0, killed });
    });
  });
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

// ------------------------------------------------------------------ byte surgery

function zigzag(n: bigint): Buffer {
  let v = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

function varintLength(b: Buffer, pos: number): number {
  let i = pos;
  while (b[i]! & 0x80) i++;
  return i - pos + 1;
}

/** Offset of the first data block: after the header, which ends with the sync marker (the file's last 16 bytes). */
function firstBlock(b: Buffer): number {
  const sync = b.subarray(b.byteLength - 16);
  return b.indexOf(sync) + 16;
}

/** Replaces the varint at `pos` by `value`. */
function setVarint(b: Buffer, pos: number, value: bigint): Buffer {
  return Buffer.concat([b.subarray(0, pos), zigzag(value), b.subarray(pos + varintLength(b, pos))]);
}

const avro = {
  huge_count: (b: Buffer): Buffer => setVarint(b, firstBlock(b), 1n << 60n),
  neg_size: (b: Buffer): Buffer => {
    const p = firstBlock(b);
    return setVarint(b, p + varintLength(b, p), -200n);
  },
  // The header map's first block count (right after the 4 magic bytes).
  bad_header: (b: Buffer): Buffer => setVarint(b, 4, 1n << 59n),
};

// ------------------------------------------------------------------ the table

function tableDir(name: string): string {
  return join(wh, 'bad', name);
}

function files(name: string, re: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (re.test(e.name)) out.push(p);
    }
  };
  walk(tableDir(name));
  return out.sort();
}

function newestMetadata(name: string): string {
  const dir = join(tableDir(name), 'metadata');
  const versions = readdirSync(dir).map((f) => /^v(\d+)\.metadata\.json$/.exec(f)).filter((m) => m).map((m) => Number(m![1]));
  return join(dir, `v${Math.max(...versions)}.metadata.json`);
}

function rewrite(path: string, fn: (b: Buffer) => Buffer | string): void {
  writeFileSync(path, fn(readFileSync(path)));
}

type Damage = (name: string) => void;

/**
 * `commands` must fail with `code`; `others` must merely not hang or crash. The commands are
 * spread over the cases (every command meets every kind of damage at least once) to keep the
 * number of child processes — about 1 s of CPU each — near 60.
 */
const CASES: Array<{ name: string; damage: Damage; code: string; commands: string[]; others?: string[]; from?: string; stderr?: RegExp }> = [];
const ALL = ['sql', 'files', 'show', 'history', 'expire', 'orphans', 'compact'];
const READS_MANIFESTS = ['sql', 'files', 'expire', 'orphans', 'compact'];
const SOME = [['sql', 'expire', 'compact'], ['files', 'orphans', 'sql']];

CASES.push({
  name: 'meta_garbled',
  damage: (t) => rewrite(newestMetadata(t), (b) => Buffer.concat([b.subarray(0, b.byteLength >> 1), Buffer.from('\u0001"\\q{[,,')])),
  code: 'INVALID_METADATA',
  commands: ALL,
});
CASES.push({
  name: 'meta_deep',
  damage: (t) => rewrite(newestMetadata(t), (b) => '{"deep": ' + '['.repeat(200_000) + ']'.repeat(200_000) + ', ' + b.toString().slice(1)),
  code: 'INVALID_METADATA',
  commands: ['sql', 'show', 'orphans'],
});
CASES.push({
  name: 'meta_shape',
  damage: (t) => rewrite(newestMetadata(t), (b) => {
    const j = JSON.parse(b.toString()) as Record<string, unknown>;
    j.schemas = [{ 'schema-id': 0, type: 'struct', fields: 'not-a-list' }];
    return JSON.stringify(j);
  }),
  code: 'INVALID_METADATA',
  commands: ['sql', 'history', 'expire', 'compact'],
});
CASES.push({
  name: 'meta_dir',
  damage: (t) => {
    const p = newestMetadata(t);
    rmSync(p);
    mkdirSync(p);
    writeFileSync(join(p, 'junk'), 'x');
  },
  code: 'INVALID_METADATA',
  commands: ALL,
});
CASES.push({
  // An empty directory is invisible to the object-store API (no object, nothing listed).
  name: 'meta_emptydir',
  damage: (t) => {
    const p = newestMetadata(t);
    rmSync(p);
    mkdirSync(p);
  },
  code: 'INVALID_METADATA',
  commands: ['sql', 'files', 'expire', 'orphans'],
});
Object.entries(avro).forEach(([kind, fn], i) => {
  const commands = i === 0 ? READS_MANIFESTS : SOME[i - 1]!;
  const others = i === 0 ? ['show', 'history'] : [];
  CASES.push({ name: `list_${kind}`, damage: (t) => files(t, /^snap-.*\.avro$/).forEach((p) => rewrite(p, fn)), code: 'CORRUPT_FILE', commands, others });
  CASES.push({ name: `manifest_${kind}`, damage: (t) => files(t, /-m0\.avro$/).forEach((p) => rewrite(p, fn)), code: 'CORRUPT_FILE', commands, others });
});
CASES.push({
  name: 'dup_file',
  // The newest manifest (one append's file) lists its data file twice.
  damage: (t) => {
    const newest = files(t, /-m0\.avro$/).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
    rewrite(newest, (b) => {
      const f = readAvroContainer(b, newest);
      const meta = Object.fromEntries(Object.entries(f.metadata).filter(([k]) => !k.startsWith('avro.')));
      return Buffer.from(writeAvroContainer(f.schema, [...f.records, ...f.records], meta));
    });
  },
  code: 'INVALID_METADATA',
  commands: ['sql', 'files', 'compact'],
  others: ['show', 'history', 'expire', 'orphans'],
});
CASES.push({
  name: 'schema_swap',
  // Field ids of `id` (long) and `amount` (double) swapped in the current schema.
  damage: (t) => rewrite(newestMetadata(t), (b) => {
    const text = b.toString();
    return text.replace(/"id"\s*:\s*1\s*,\s*"name"\s*:\s*"id"/, '"id": 3, "name": "id"').replace(/"id"\s*:\s*3\s*,\s*"name"\s*:\s*"amount"/, '"id": 1, "name": "amount"');
  }),
  code: 'SCHEMA_MISMATCH',
  commands: ['sql'],
  others: ['files', 'show'],
});

CASES.push({
  name: 'pq_page',
  from: 'pq',
  // The first page header of the one data file (a 1 MiB dictionary page) declares 2^27−1
  // uncompressed bytes in place of 2^20 (same varint length, so the file stays well framed):
  // the reader must refuse it before parquet-wasm allocates by it.
  damage: (t) => {
    const [p] = files(t, /\.parquet$/);
    rewrite(p!, (b) => {
      if (b[4] !== 0x15 || b[6] !== 0x15) throw new Error('unexpected page header layout');
      const out = setVarint(b, 7, (1n << 27n) - 1n);
      if (out.byteLength !== b.byteLength) throw new Error('varint length changed');
      return out;
    });
  },
  code: 'CORRUPT_FILE',
  stderr: /declares \d+ uncompressed bytes/,
  commands: ['sql', 'ingest'],
  others: ['files', 'compact'],
});

function args(cmd: string, table: string): string[] {
  switch (cmd) {
    case 'sql': return ['sql', table.endsWith('schema_swap') ? `SELECT sum(id) AS s FROM ${table}` : table.endsWith('pq_page') ? `SELECT sum(v) AS s FROM ${table}` : `SELECT count(*) AS n FROM ${table}`, '--format', 'json'];
    case 'files': return ['table', 'files', table];
    case 'show': return ['table', 'show', table];
    case 'history': return ['table', 'history', table];
    case 'expire': return ['expire', table, '--older-than', '2100-01-01T00:00:00Z', '--retain-last', '1', '--dry-run'];
    case 'orphans': return ['remove-orphans', table, '--dry-run'];
    case 'compact': return ['compact', table, '--dry-run'];
    // Ingest the damaged data file of the case's table into a new table.
    case 'ingest': return ['ingest', `${table}_copy`, files(table.slice('bad.'.length), /\.parquet$/)[0]!, '--create'];
    default: throw new Error(cmd);
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lake-hostile-'));
  wh = join(root, 'wh');
  const template = join(root, 'template');
  const w = await Warehouse.open(template);
  await w.createNamespace('bad');
  const t = await w.createTable('bad.t', [
    { name: 'id', type: 'long', required: true },
    { name: 'name', type: 'string' },
    { name: 'amount', type: 'double' },
  ]);
  let next = 0;
  for (const n of ROWS_PER_APPEND) {
    const schema = t.schema();
    const rows = Array.from({ length: n }, (_, i) => ({ id: BigInt(next + i), name: `r${next + i}`, amount: (next + i) * 1.5 }));
    next += n;
    const key = t.newDataFileKey([]);
    const [f] = await writeParquetFiles(t.io.store, () => key, [recordBatchFromRows(schema, rows)], { schema });
    await t.newAppend().appendFile(t.dataFile({ key: f!.key, stats: f!.stats, partition: [] })).commit();
  }
  // A second table: one data file of 150,000 random longs, whose first page is 1 MiB.
  const pq = await w.createTable('bad.pq', [{ name: 'v', type: 'long', required: true }]);
  const pqRows = Array.from({ length: 150_000 }, (_, i) => ({ v: BigInt(i) * 7919n * 104729n + BigInt(Math.floor(Math.random() * 2 ** 40)) }));
  const pqKey = pq.newDataFileKey([]);
  const [pf] = await writeParquetFiles(pq.io.store, () => pqKey, [recordBatchFromRows(pq.schema(), pqRows)], { schema: pq.schema() });
  await pq.newAppend().appendFile(pq.dataFile({ key: pf!.key, stats: pf!.stats, partition: [] })).commit();
  await w.close();
  // One copy of the good table per case (and a control), then the damage.
  for (const { name, from } of [{ name: 'control' }, { name: 'gap' }, ...CASES] as Array<{ name: string; from?: string }>) {
    cpSync(join(template, 'bad', from ?? 't'), tableDir(name), { recursive: true });
  }
  cpSync(join(template, 'bad', '.namespace.json'), join(wh, 'bad', '.namespace.json'));
  for (const c of CASES) c.damage(c.name);
  // v1..v4 present; delete v3 and point the hint at v2: probing from the hint stops at the gap.
  rmSync(join(tableDir('gap'), 'metadata', 'v3.metadata.json'));
  writeFileSync(join(tableDir('gap'), 'metadata', 'version-hint.text'), '2');
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('corrupt table files: a coded error within seconds, never a hang, a crash or wrong rows', () => {
  it('every command on every damaged table ends within 10 s with exit 0 or a coded error; the readers of the damage fail with its code', async () => {
    const healthy = await lake(args('sql', 'bad.control'));
    expect(healthy.code, healthy.stderr).toBe(0);
    KILL_MS = BUDGET_MS + 2 * healthy.ms;
    console.log(`a healthy command took ${healthy.ms} ms: each command on damaged files gets ${KILL_MS} ms`);
    const jobs = CASES.flatMap((c) => c.commands.map((cmd) => ({ c, cmd })));
    for (const c of CASES) for (const cmd of c.others ?? []) jobs.push({ c: { ...c, code: '' }, cmd });
    const results = await mapLimit(jobs, 3, async ({ c, cmd }) => ({ c, cmd, r: await lake(args(cmd, `bad.${c.name}`)) }));
    const problems: string[] = [];
    for (const { c, cmd, r } of results) {
      const tag = `${c.name} / ${cmd} (${r.ms} ms)`;
      if (r.killed) {
        problems.push(`${tag}: still running after ${KILL_MS} ms (killed)`);
        continue;
      }
      if (/\n\s+at /.test(r.stderr)) problems.push(`${tag}: stack trace on stderr: ${r.stderr.slice(0, 300)}`);
      if (c.code) {
        if (r.code !== 1 || !r.stderr.includes(`error [${c.code}]:`) || (c.stderr && !c.stderr.test(r.stderr))) problems.push(`${tag}: expected exit 1 with error [${c.code}], got exit ${r.code}: ${r.stderr.slice(0, 300)} ${r.stdout.slice(0, 200)}`);
      } else if (r.code !== 0 && !(r.code === 1 && /^error \[[A-Z_]+\]:/m.test(r.stderr))) {
        problems.push(`${tag}: exit ${r.code} without a coded error: ${r.stderr.slice(0, 300)}`);
      }
    }
    const slowest = results.reduce((a, b) => (b.r.ms > a.r.ms ? b : a));
    console.log(`${results.length} commands; slowest: ${slowest.c.name} / ${slowest.cmd} ${slowest.r.ms} ms`);
    expect(problems).toEqual([]);
  }, 600_000);

  it('a gap in the metadata versions (v1, v2, v4; hint 2) is INVALID_METADATA naming the missing v3, never the older table', async () => {
    const [control, gap, show] = await Promise.all([
      lake(args('sql', 'bad.control')),
      lake(args('sql', 'bad.gap')),
      lake(['table', 'show', 'bad.gap', '--json']),
    ]);
    expect(control.code, control.stderr).toBe(0);
    expect(JSON.parse(control.stdout)).toEqual([{ n: TOTAL }]);
    for (const r of [gap, show]) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/error \[INVALID_METADATA\]: metadata version 3 .* is missing although version 4 exists/);
      expect(r.stderr).toMatch(/v3\.metadata\.json/);
    }
  }, 60_000);
});
