/**
 * The backend matrix every storage-facing suite runs against: memory, local disk, and S3 when
 * S3_ENDPOINT (or AWS_ENDPOINT_URL) is set. In CI the S3 backend is mandatory: a missing
 * endpoint fails the run instead of silently skipping the suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureS3Bucket } from 'lakehouse-engine/connectors';

export interface Backend {
  name: 'memory' | 'local' | 's3';
  /** A fresh, empty root URI for one suite. */
  freshUri(label: string): Promise<string>;
  cleanup(): Promise<void>;
}

export const S3_TEST_BUCKET = process.env['LAKE_TEST_BUCKET'] ?? 'lakehouse-test';

export function s3Configured(): boolean {
  return Boolean(process.env['S3_ENDPOINT'] || process.env['AWS_ENDPOINT_URL']);
}

export function backends(): Backend[] {
  const list: Backend[] = [memoryBackend(), localBackend()];
  if (s3Configured()) {
    list.push(s3Backend());
  } else if (process.env['CI']) {
    throw new Error('CI=true but S3_ENDPOINT is not set: the S3 suite must run in CI (see .ci/run).');
  }
  // Without S3 settings the S3 backend is left out; test/helpers/global-setup.ts says so once.
  return list;
}

function suffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function memoryBackend(): Backend {
  return {
    name: 'memory',
    async freshUri(label) {
      return `memory://${label}-${suffix()}`;
    },
    async cleanup() {},
  };
}

function localBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'local',
    async freshUri(label) {
      const dir = mkdtempSync(join(tmpdir(), `lake-${label}-`));
      dirs.push(dir);
      return dir;
    },
    async cleanup() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

let bucketReady: Promise<void> | undefined;

export function ensureTestBucket(): Promise<void> {
  bucketReady ??= ensureS3Bucket(S3_TEST_BUCKET);
  return bucketReady;
}

function s3Backend(): Backend {
  return {
    name: 's3',
    async freshUri(label) {
      await ensureTestBucket();
      return `s3://${S3_TEST_BUCKET}/${label}-${suffix()}`;
    },
    async cleanup() {},
  };
}
