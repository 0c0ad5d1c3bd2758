/**
 * `lake remove-orphans` as a user runs it: the 1-day floor on --older-than (0s, 1h, a future
 * time are refused with INVALID_ARGUMENT and a Help line), --force-unsafe-age (a warning, and
 * referenced files still kept), the "recent, not removed" report and the --json counts.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLake, type CliResult } from '../helpers/cli.js';

let dir: string;
let wh: string;
const lake = (...args: string[]): Promise<CliResult> => runLake(args, wh);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lake-cli-orphans-'));
  wh = join(dir, 'wh');
  writeFileSync(join(dir, 'x.csv'), 'id,name\n1,a\n2,b\n');
  const r = await lake('ingest', 'shop.items', join(dir, 'x.csv'), '--create');
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lake remove-orphans --older-than floor', () => {
  for (const age of ['0s', '0ms', '1h', '23h', new Date(Date.now() + 3_600_000).toISOString()]) {
    it(`--older-than ${age} is refused with INVALID_ARGUMENT and a Help line`, async () => {
      const r = await lake('remove-orphans', 'shop.items', '--older-than', age);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('[INVALID_ARGUMENT]');
      expect(r.stderr).toMatch(/minimum is 1 day/);
      expect(r.stderr).toMatch(/Help: .*--force-unsafe-age/);
    });
  }

  it('a negative duration is a usage error', async () => {
    expect((await lake('remove-orphans', 'shop.items', '--older-than', '-5d')).code).toBe(2);
  });

  it('the default (1d) works, reports recent files, and deletes only old unreferenced ones', async () => {
    const dataDir = join(wh, 'shop', 'items', 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'young.parquet'), 'young');
    writeFileSync(join(dataDir, 'old.parquet'), 'old');
    const twoDays = (Date.now() - 2 * 86_400_000) / 1000;
    utimesSync(join(dataDir, 'old.parquet'), twoDays, twoDays);
    const text = await lake('remove-orphans', 'shop.items', '--dry-run', '--verbose');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/found 1 orphan file/);
    expect(text.stdout).toMatch(/recent, not removed: 1 file\(s\) \(5 B\)/);
    expect(text.stdout).toContain('shop/items/data/young.parquet');
    const r = await lake('remove-orphans', 'shop.items', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ dryRun: false, orphanFiles: 1, recentFiles: 1, protectedFiles: 0, orphans: ['shop/items/data/old.parquet'] });
    expect(out.recent.map((f: { key: string }) => f.key)).toEqual(['shop/items/data/young.parquet']);
    expect(existsSync(join(dataDir, 'old.parquet'))).toBe(false);
    expect(existsSync(join(dataDir, 'young.parquet'))).toBe(true);
  });

  it('--force-unsafe-age --older-than 0s warns on stderr, removes the young orphan, keeps the table readable', async () => {
    const r = await lake('remove-orphans', 'shop.items', '--older-than', '0s', '--force-unsafe-age', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --force-unsafe-age/);
    const out = JSON.parse(r.stdout);
    expect(out.orphans).toEqual(['shop/items/data/young.parquet']);
    const q = await lake('sql', 'SELECT count(*) AS n FROM shop.items', '--format', 'json');
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/"n":\s*2/);
  });

  it('--dry-run allows any age (it deletes nothing)', async () => {
    const r = await lake('remove-orphans', 'shop.items', '--older-than', '0s', '--dry-run', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).orphanFiles).toBe(0);
  });

  it('--help states the floor and the flags', async () => {
    const r = await lake('remove-orphans', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--force-unsafe-age');
    expect(r.stdout).toMatch(/at least 1 day/);
    expect(r.stdout).toMatch(/recent, not removed/);
  });
});
