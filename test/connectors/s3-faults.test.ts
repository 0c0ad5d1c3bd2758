/**
 * The S3 backend against the real store (Ceph RGW in CI), with failures injected at the HTTP
 * transport (a request handler that resets chosen requests before or after they reach RGW):
 * every write is retried (streamed PutObject, our own multipart upload with a lost Complete),
 * conditional creates settle their outcome from the stored bytes, credential problems are
 * STORE_AUTH, and no secret ever reaches a message.
 */
import { randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isLakehouseError,
  LakehouseError,
  openObjectStore,
  redactSecrets,
  redactUri,
  s3ConfigFromEnv,
  S3Store,
  type RetryPolicy,
} from 'lakehouse-engine/connectors';
import { ensureTestBucket, s3Configured, S3_TEST_BUCKET } from '../helpers/backends.js';

const enc = new TextEncoder();
const FAST: RetryPolicy = { baseDelayMs: 5, maxDelayMs: 50, totalTimeoutMs: 20_000 };
const MiB = 1024 * 1024;

interface Req { method: string; path: string; query: Record<string, unknown> }
type Rule = { match: (r: Req) => boolean; when: 'before' | 'after'; times: number };

/** Resets matching requests: before sending (nothing reached RGW) or after (the answer was lost). */
class FaultyHandler extends NodeHttpHandler {
  readonly rules: Rule[] = [];
  readonly seen: string[] = [];
  override async handle(request: Parameters<NodeHttpHandler['handle']>[0], options?: Parameters<NodeHttpHandler['handle']>[1]): ReturnType<NodeHttpHandler['handle']> {
    const req = request as unknown as Req;
    this.seen.push(`${req.method} ${Object.keys(req.query ?? {}).sort().join(',')}`);
    const rule = this.rules.find((r) => r.times > 0 && r.match(req));
    if (rule) rule.times--;
    if (rule?.when === 'before') throw Object.assign(new Error('socket hang up (injected)'), { code: 'ECONNRESET' });
    const res = await super.handle(request, options);
    if (rule?.when === 'after') {
      (res.response.body as { destroy?: () => void } | undefined)?.destroy?.();
      throw Object.assign(new Error('socket hang up after the request (injected)'), { code: 'ECONNRESET' });
    }
    return res;
  }
}

const run = s3Configured() ? describe : describe.skip;
if (!s3Configured()) console.warn('s3-faults: S3 not configured, skipped (CI requires it; see test/helpers/backends.ts)');

run('S3 backend under transport faults (real RGW)', () => {
  let prefix = '';
  const handler = new FaultyHandler({ requestTimeout: 30_000, connectionTimeout: 5_000 });
  beforeAll(async () => {
    await ensureTestBucket();
    prefix = `s3-faults-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  });
  afterAll(() => handler.destroy());

  const s3 = (sub: string, policy: RetryPolicy = FAST) => new S3Store(`s3://${S3_TEST_BUCKET}/${prefix}/${sub}`, {
    multipartThreshold: 5 * MiB, partSize: 5 * MiB, clientConfig: { requestHandler: handler },
  }, policy);

  async function* stream(bytes: Uint8Array, chunk = 256 * 1024): AsyncIterable<Uint8Array> {
    for (let i = 0; i < bytes.byteLength; i += chunk) yield bytes.subarray(i, i + chunk);
  }

  it('a streamed body below the threshold is one PutObject, retried after a reset', async () => {
    const store = s3('small');
    const body = randomBytes(300 * 1024);
    handler.rules.push({ match: (r) => r.method === 'PUT', when: 'before', times: 2 });
    await store.put('data/f.parquet', stream(body));
    expect(Buffer.from(await store.get('data/f.parquet')).equals(body)).toBe(true);
  });

  it('multipart: a reset part is retried, a lost Complete is accepted after NoSuchUpload, no upload is left', async () => {
    const store = s3('multi');
    const body = randomBytes(17 * MiB);
    handler.rules.push(
      { match: (r) => r.method === 'PUT' && r.query['partNumber'] === '2', when: 'before', times: 1 },
      { match: (r) => r.method === 'POST' && 'uploadId' in (r.query ?? {}), when: 'after', times: 1 },
    );
    handler.seen.length = 0;
    await store.put('data/big.parquet', stream(body));
    expect(handler.rules.every((r) => r.times === 0)).toBe(true);
    expect(handler.seen.filter((s) => s.startsWith('POST') && s.includes('uploadId')).length).toBe(2);
    expect(Buffer.from(await store.get('data/big.parquet')).equals(body)).toBe(true);
    const client = new S3Client(s3ConfigFromEnv());
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: S3_TEST_BUCKET, Prefix: `${prefix}/multi/` }));
    client.destroy();
    expect(open.Uploads ?? []).toEqual([]);
  }, 60_000);

  it('a part that keeps failing aborts the upload: nothing stored, nothing left open, outcome known', async () => {
    const store = s3('abort', { ...FAST, totalTimeoutMs: 2_000 });
    handler.rules.push({ match: (r) => r.method === 'PUT' && r.query['partNumber'] === '3', when: 'before', times: 10_000 });
    const err = await store.put('data/x.parquet', stream(randomBytes(12 * MiB))).catch((e: unknown) => e);
    handler.rules.length = 0;
    expect(isLakehouseError(err, 'STORE_UNAVAILABLE'), String(err)).toBe(true);
    expect((err as LakehouseError).details).toMatchObject({ key: 'data/x.parquet', outcomeUnknown: false, retryBudgetSpent: true });
    expect(await store.head('data/x.parquet')).toBeUndefined();
    const client = new S3Client(s3ConfigFromEnv());
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: S3_TEST_BUCKET, Prefix: `${prefix}/abort/` }));
    client.destroy();
    expect(open.Uploads ?? []).toEqual([]);
  }, 60_000);

  it('putIfAbsent whose answer was lost: the retry reads back our bytes and answers true', async () => {
    const uri = `s3://${S3_TEST_BUCKET}/${prefix}/pia`;
    const store = await openObjectStore(uri, { s3: { clientConfig: { requestHandler: handler } }, retry: FAST, verifyConditionalWrites: false });
    handler.rules.push({ match: (r) => r.method === 'PUT' && r.path.endsWith('/v1.metadata.json'), when: 'after', times: 1 });
    expect(await store.putIfAbsent('t/metadata/v1.metadata.json', enc.encode('mine'))).toBe(true);
    expect(await store.putIfAbsent('t/metadata/v1.metadata.json', enc.encode('theirs'))).toBe(false);
  });

  it('putIfAbsent whose answer was lost and whose read-back keeps failing: outcome unknown, never false', async () => {
    const uri = `s3://${S3_TEST_BUCKET}/${prefix}/pia2`;
    const store = await openObjectStore(uri, { s3: { clientConfig: { requestHandler: handler } }, retry: { ...FAST, totalTimeoutMs: 2_000 }, verifyConditionalWrites: false });
    handler.rules.push(
      { match: (r) => r.method === 'PUT' && r.path.endsWith('/v2.metadata.json'), when: 'after', times: 1 },
      { match: (r) => r.method === 'GET' && r.path.endsWith('/v2.metadata.json'), when: 'before', times: 10_000 },
    );
    const err = await store.putIfAbsent('t/metadata/v2.metadata.json', enc.encode('mine')).catch((e: unknown) => e);
    handler.rules.length = 0;
    expect(isLakehouseError(err, 'STORE_UNAVAILABLE'), String(err)).toBe(true);
    expect((err as LakehouseError).details).toMatchObject({ key: 't/metadata/v2.metadata.json', outcomeUnknown: true });
  });
});

run('S3 credentials: STORE_AUTH, never retried', () => {
  it('a wrong secret: every operation answers STORE_AUTH naming the variables, at once', async () => {
    await ensureTestBucket();
    const store = await openObjectStore(`s3://${S3_TEST_BUCKET}/auth-${Date.now()}`, {
      s3: { accessKeyId: process.env['AWS_ACCESS_KEY_ID']!, secretAccessKey: 'definitely-not-the-secret' },
    });
    for (const op of [() => store.head('k'), () => store.get('k'), () => store.put('k', enc.encode('x')), () => store.putIfAbsent('k', enc.encode('x'))]) {
      const t0 = Date.now();
      const err = await op().catch((e: unknown) => e);
      expect(isLakehouseError(err, 'STORE_AUTH'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/Help: .*AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY/);
      expect((err as Error).message).not.toContain('definitely-not-the-secret');
      expect(Date.now() - t0).toBeLessThan(3000); // not retried for a budget
    }
    await store.close();
  });

  it('no credentials at all: STORE_AUTH naming the variables and the credential chain', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && !k.startsWith('AWS_ENDPOINT') && k !== 'AWS_REGION') delete process.env[k];
    Object.assign(process.env, { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_CONFIG_FILE: '/nonexistent/config', AWS_EC2_METADATA_DISABLED: 'true' });
    try {
      const store = await openObjectStore(`s3://${S3_TEST_BUCKET}/auth-none-${Date.now()}`);
      const t0 = Date.now();
      const err = await store.get('k').catch((e: unknown) => e);
      expect(isLakehouseError(err, 'STORE_AUTH'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/no S3 credentials[\s\S]*Help: .*AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY.*AWS_PROFILE/);
      expect(Date.now() - t0).toBeLessThan(5000);
      await store.close();
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe('credentials in URIs never reach a message', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

  it('redactUri masks userinfo and secret query parameters', () => {
    expect(redactUri(`s3://AKIAEXAMPLE:${secret}@bucket/p`)).toBe('s3://***@bucket/p');
    expect(redactUri('https://user:pw@host:9000/x?a=1')).toBe('https://***@host:9000/x?a=1');
    expect(redactUri('https://h/k?X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=abc123&x-id=GetObject&X-Amz-Security-Token=tok'))
      .toBe('https://h/k?X-Amz-Credential=***&X-Amz-Signature=***&x-id=GetObject&X-Amz-Security-Token=***');
    expect(redactUri('https://h/p?token=t&sig=s&password=p&secret=q&keep=1')).toBe('https://h/p?token=***&sig=***&password=***&secret=***&keep=1');
    expect(redactUri('s3://bucket/plain/path')).toBe('s3://bucket/plain/path');
    expect(redactUri('file:///home/u/data@2024/wh')).toBe('file:///home/u/data@2024/wh');
  });

  it('redactSecrets masks every URI inside free text', () => {
    expect(redactSecrets(`failed on s3://k:${secret}@b/p and "https://h/x?sig=zzz", then gave up`))
      .toBe('failed on s3://***@b/p and "https://h/x?sig=***", then gave up');
  });

  it('an S3 URI with userinfo is refused with INVALID_URI, printing only the redacted URI', async () => {
    for (const uri of [`s3://AKIAEXAMPLE:${secret}@bucket/p`, 's3://AKIAEXAMPLE:plainsecret@bucket', 's3a://user@bucket/x']) {
      const err = await openObjectStore(uri).catch((e: unknown) => e);
      expect(isLakehouseError(err, 'INVALID_URI'), String(err)).toBe(true);
      const text = `${(err as Error).message} ${JSON.stringify((err as LakehouseError).details)}`;
      expect(text).not.toContain(secret);
      expect(text).not.toContain('plainsecret');
      expect(text).toContain('***@');
      expect(text).toMatch(/Help: .*AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY/);
    }
  });

  it('other schemes with credentials: refused without echoing them', async () => {
    for (const uri of ['https://admin:hunter2@store.example/wh', 'file://admin:hunter2@host/wh', 'gs://b/p?token=hunter2', 'memory://admin:hunter2@name']) {
      const err = await openObjectStore(uri).catch((e: unknown) => e);
      expect(isLakehouseError(err, 'INVALID_URI'), String(err)).toBe(true);
      expect(`${(err as Error).message} ${JSON.stringify((err as LakehouseError).details)}`).not.toContain('hunter2');
    }
  });
});
