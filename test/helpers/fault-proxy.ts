/**
 * An HTTP-aware TCP fault proxy for tests: listens on 127.0.0.1 (a free port) in front of an S3
 * endpoint and injects the network faults an object-store client meets in production.
 *
 * It parses just enough HTTP/1.1 — request line, headers, a Content-Length or chunked body,
 * keep-alive — to see each request whole and decide per request:
 * - `reset-before`: the client socket is reset before anything is forwarded (the write did NOT
 *   happen);
 * - `drop-response`: the request is forwarded, the proxy waits for the whole upstream response,
 *   then resets the client socket without sending it (the write landed, the answer was lost);
 * - `delay-request`: the request is held `delayMs` before it is forwarded. The client may time
 *   out and give up meanwhile; the request is still delivered later (unless the proxy is down
 *   by then: a request in flight when the store restarts is lost);
 * - `fail-status`: the proxy answers with an S3-style error (default 503) and forwards nothing.
 * Whole-proxy controls: `down()` resets every open connection and closes the listening socket
 * (new connections are refused: a store restart as a client sees it), `up()` listens again on the
 * same port, `outage(ms)` does both. A seeded random mode applies resets (half before, half after
 * forwarding) and delayed deliveries to a fraction of requests.
 *
 * Contracts:
 * - Each client request is forwarded on its own fresh upstream connection, so a fault on one
 *   request never leaks into another; the client's own connection stays keep-alive.
 * - Headers are forwarded byte for byte (the Host header keeps the proxy's address: SigV4 signs
 *   it). `Expect: 100-continue` is answered by the proxy and not forwarded (it is unsigned).
 * - Rules are tried in the order added, before random mode; a request matches at most one.
 * - Random decisions are a pure function of the seed and the order in which requests arrive:
 *   with the same seed and the same request order the same requests are faulted. Concurrent
 *   clients make that order timing-dependent; the seed fixes the fault pattern, not the schedule.
 * - Children use it by getting `S3_ENDPOINT`/`AWS_ENDPOINT_URL` set to `endpoint` (`proxyEnv`).
 * - `close()` resets everything and ends pending delays; nothing is left listening.
 */
import * as net from 'node:net';
import { rng as seededRandom } from '../formats/fixtures.js';

export type ProxyAction = 'reset-before' | 'drop-response' | 'delay-request' | 'fail-status';

export interface ProxyRule {
  /** HTTP method(s) to match (upper case). Default: any. */
  method?: string | string[];
  /**
   * Matched against the request path without its query, e.g. `/bucket/t/metadata/v3.metadata.json`
   * (the SDK appends queries such as `?x-id=PutObject`; use `target` to match those).
   */
  path?: RegExp | string;
  /** Matched against the whole request target, path and query. */
  target?: RegExp;
  /** Fire only on the nth matching request (1-based). */
  nth?: number;
  /** Fire at most this many times. Default: once when `nth` is set, else unlimited. */
  times?: number;
  action: ProxyAction;
  /** delay-request: how long to hold the request. */
  delayMs?: number;
  /** fail-status: status to answer (default 503) and S3 error code (default from the status). */
  status?: number;
  errorCode?: string;
}

export interface RuleHandle {
  readonly rule: ProxyRule;
  /** Matching requests seen so far (whether or not the rule fired on them). */
  seen(): number;
  /** Times the rule fired. */
  fired(): number;
  remove(): void;
}

export interface RandomFaults {
  seed: number;
  /** Fraction of requests reset (half before forwarding, half after: drop-response). */
  resetRate: number;
  /** Fraction of requests delivered late. */
  delayRate: number;
  /** Delay range in ms, uniform. */
  delayMs: [number, number];
  /** Restrict random faults to these methods / paths without query (default: every request). */
  methods?: string[];
  path?: RegExp;
}

export interface ProxyEvent {
  seq: number;
  at: number;
  method: string;
  path: string;
  action?: ProxyAction;
  source?: 'rule' | 'random';
  delayMs?: number;
  /** Upstream status when forwarded; undefined when nothing came back. */
  status?: number;
  /** The request was not forwarded because the proxy was down when its delay ended. */
  lostInOutage?: boolean;
}

export interface ProxyStats {
  requests: number;
  forwarded: number;
  connections: number;
  byMethod: Record<string, number>;
  actions: Record<ProxyAction, number>;
  actionsByMethod: Record<ProxyAction, Record<string, number>>;
  /** The subset of `actions` that random mode applied. */
  random: Record<ProxyAction, number>;
  outages: number;
  outageMs: number;
  /** Delayed requests dropped because the proxy was down when they were due. */
  lostInOutage: number;
  /** Connections reset by down()/outage(). */
  resetByOutage: number;
}

export interface FaultProxyOptions {
  /** Upstream base URL, e.g. http://127.0.0.1:7480 (default: S3_ENDPOINT / AWS_ENDPOINT_URL). */
  upstream?: string;
  rules?: ProxyRule[];
  random?: RandomFaults;
  /** Keep at most this many events in `events` (default 20 000). */
  maxEvents?: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  readonly upstream: string;
  readonly events: ProxyEvent[];
  addRule(rule: ProxyRule): RuleHandle;
  clearRules(): void;
  setRandom(random: RandomFaults | undefined): void;
  /** Down for `ms`, then up again; resolves once listening again. */
  outage(ms: number): Promise<void>;
  down(): Promise<void>;
  up(): Promise<void>;
  isDown(): boolean;
  stats(): ProxyStats;
  close(): Promise<void>;
}

/** A copy of `base` whose S3 endpoint variables point at `endpoint`. */
export function proxyEnv(endpoint: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, S3_ENDPOINT: endpoint, AWS_ENDPOINT_URL: endpoint };
  delete env['AWS_ENDPOINT_URL_S3'];
  return env;
}

/** mulberry32: a small, well-mixed seeded PRNG (one definition for the tests: test/formats/fixtures.ts). */
export { seededRandom };

const ACTIONS: ProxyAction[] = ['reset-before', 'drop-response', 'delay-request', 'fail-status'];
const MAX_HEAD = 64 * 1024;

class Eof extends Error {}

/** Accumulates a socket's bytes and hands them out by delimiter or length. */
class ByteReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.length;
      this.notify();
    });
    const end = () => {
      this.ended = true;
      this.notify();
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private flat(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private take(n: number): Buffer {
    const all = this.flat();
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    return out;
  }

  private async more(): Promise<void> {
    if (this.ended) throw new Eof('connection closed');
    await new Promise<void>((r) => (this.wake = r));
  }

  get empty(): boolean {
    return this.length === 0;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Bytes up to and including `delim`; null at a clean end of stream (nothing buffered). */
  async readUntil(delim: string, max: number): Promise<Buffer | null> {
    for (;;) {
      const i = this.flat().indexOf(delim);
      if (i >= 0) return this.take(i + delim.length);
      if (this.length > max) throw new Error(`no "${JSON.stringify(delim)}" within ${max} bytes`);
      if (this.ended && this.length === 0) return null;
      await this.more();
    }
  }

  async readExact(n: number): Promise<Buffer> {
    while (this.length < n) await this.more();
    return this.take(n);
  }

  async readToEnd(): Promise<Buffer> {
    while (!this.ended) await this.more();
    return this.take(this.length);
  }
}

interface Head {
  startLine: string;
  headers: Array<[string, string]>;
  raw: Buffer;
}

function parseHead(raw: Buffer): Head {
  const lines = raw.toString('latin1').split('\r\n');
  const startLine = lines[0] ?? '';
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const c = line.indexOf(':');
    if (c <= 0) throw new Error(`bad header line "${line}"`);
    headers.push([line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim()]);
  }
  return { startLine, headers, raw };
}

function header(h: Head, name: string): string | undefined {
  return h.headers.find(([k]) => k === name)?.[1];
}

/** The raw bytes of a message body (framing included), or 'to-end' when it runs until close. */
async function readBody(r: ByteReader, h: Head, noBody: boolean, isResponse: boolean): Promise<{ raw: Buffer; toEnd: boolean }> {
  if (noBody) return { raw: Buffer.alloc(0), toEnd: false };
  if (/chunked/i.test(header(h, 'transfer-encoding') ?? '')) {
    const parts: Buffer[] = [];
    for (;;) {
      const line = await r.readUntil('\r\n', MAX_HEAD);
      if (!line) throw new Eof('end inside a chunked body');
      parts.push(line);
      const size = parseInt(line.toString('latin1').split(';')[0]!.trim(), 16);
      if (!Number.isFinite(size)) throw new Error('bad chunk size');
      if (size === 0) {
        // Trailers, up to an empty line.
        for (;;) {
          const t = await r.readUntil('\r\n', MAX_HEAD);
          if (!t) throw new Eof('end inside chunked trailers');
          parts.push(t);
          if (t.length === 2) return { raw: Buffer.concat(parts), toEnd: false };
        }
      }
      parts.push(await r.readExact(size + 2));
    }
  }
  const cl = header(h, 'content-length');
  if (cl !== undefined) return { raw: await r.readExact(Number(cl)), toEnd: false };
  if (!isResponse) return { raw: Buffer.alloc(0), toEnd: false };
  return { raw: await r.readToEnd(), toEnd: true };
}

const STATUS_CODES: Record<number, [string, string]> = {
  400: ['Bad Request', 'InvalidRequest'],
  403: ['Forbidden', 'AccessDenied'],
  404: ['Not Found', 'NoSuchKey'],
  412: ['Precondition Failed', 'PreconditionFailed'],
  500: ['Internal Server Error', 'InternalError'],
  503: ['Service Unavailable', 'ServiceUnavailable'],
};

function errorResponse(status: number, errorCode: string | undefined, isHead: boolean): Buffer {
  const [reason, code] = STATUS_CODES[status] ?? ['Error', 'InternalError'];
  const body = isHead
    ? ''
    : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${errorCode ?? code}</Code><Message>injected by fault proxy</Message><RequestId>fault-proxy</RequestId></Error>`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-amz-request-id: fault-proxy\r\n\r\n${body}`,
    'latin1',
  );
}

function emptyCounts(): Record<ProxyAction, number> {
  return { 'reset-before': 0, 'drop-response': 0, 'delay-request': 0, 'fail-status': 0 };
}

function reset(sock: net.Socket): void {
  if (sock.destroyed) return;
  // A TCP RST, as a crashed peer or a middlebox gives: the client sees ECONNRESET.
  if (typeof sock.resetAndDestroy === 'function') sock.resetAndDestroy();
  else sock.destroy();
}

interface Decision {
  action?: ProxyAction;
  source?: 'rule' | 'random';
  delayMs?: number;
  status?: number;
  errorCode?: string;
}

export async function startFaultProxy(options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstreamUrl = options.upstream ?? process.env['S3_ENDPOINT'] ?? process.env['AWS_ENDPOINT_URL'];
  if (!upstreamUrl) throw new Error('startFaultProxy: no upstream (set S3_ENDPOINT or pass { upstream })');
  const up = new URL(upstreamUrl);
  if (up.protocol !== 'http:') throw new Error(`startFaultProxy: only http:// upstreams are supported, got ${upstreamUrl}`);
  const upHost = up.hostname;
  const upPort = Number(up.port || 80);
  const maxEvents = options.maxEvents ?? 20_000;

  type Entry = { rule: ProxyRule; seen: number; fired: number };
  let rules: Entry[] = [];
  let random: RandomFaults | undefined;
  let rng: () => number = Math.random;
  const events: ProxyEvent[] = [];
  const clients = new Set<net.Socket>();
  const upstreams = new Set<net.Socket>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const stats: ProxyStats = {
    requests: 0,
    forwarded: 0,
    connections: 0,
    byMethod: {},
    actions: emptyCounts(),
    actionsByMethod: Object.fromEntries(ACTIONS.map((a) => [a, {}])) as Record<ProxyAction, Record<string, number>>,
    random: emptyCounts(),
    outages: 0,
    outageMs: 0,
    lostInOutage: 0,
    resetByOutage: 0,
  };
  let down = false;
  let downSince = 0;
  /** Bumped by every down(): a delayed request from an earlier epoch was in flight across a restart. */
  let epoch = 0;
  let closed = false;
  let server: net.Server | undefined;
  let port = 0;
  let seq = 0;

  const setRandom = (r: RandomFaults | undefined): void => {
    random = r;
    rng = r ? seededRandom(r.seed) : Math.random;
  };
  setRandom(options.random);

  const addRule = (rule: ProxyRule): RuleHandle => {
    const entry: Entry = { rule, seen: 0, fired: 0 };
    rules.push(entry);
    return {
      rule,
      seen: () => entry.seen,
      fired: () => entry.fired,
      remove: () => {
        rules = rules.filter((e) => e !== entry);
      },
    };
  };
  for (const r of options.rules ?? []) addRule(r);

  const decide = (method: string, target: string): Decision => {
    const path = target.split('?')[0] ?? '';
    for (const e of rules) {
      const r = e.rule;
      if (r.method !== undefined && !(Array.isArray(r.method) ? r.method : [r.method]).includes(method)) continue;
      if (r.path !== undefined && !(typeof r.path === 'string' ? path === r.path : r.path.test(path))) continue;
      if (r.target !== undefined && !r.target.test(target)) continue;
      e.seen++;
      if (r.nth !== undefined && e.seen !== r.nth) continue;
      if (e.fired >= (r.times ?? (r.nth !== undefined ? 1 : Infinity))) continue;
      e.fired++;
      return { action: r.action, source: 'rule', delayMs: r.delayMs ?? 0, status: r.status, errorCode: r.errorCode };
    }
    if (random) {
      if (random.methods && !random.methods.includes(method)) return {};
      if (random.path && !random.path.test(path)) return {};
      // Always two draws per eligible request, so one request's fate never shifts the next one's.
      const x = rng();
      const y = rng();
      if (x < random.resetRate) return { action: y < 0.5 ? 'reset-before' : 'drop-response', source: 'random' };
      if (x < random.resetRate + random.delayRate) {
        const [lo, hi] = random.delayMs;
        return { action: 'delay-request', source: 'random', delayMs: Math.round(lo + y * (hi - lo)) };
      }
    }
    return {};
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const t = {
        timer: setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms),
        resolve,
      };
      timers.add(t);
    });

  /** Sends one request upstream on a fresh connection; resolves with the raw response. */
  const exchange = (raw: Buffer, isHeadReq: boolean): Promise<{ raw: Buffer; status: number; close: boolean }> =>
    new Promise((resolve, reject) => {
      const sock = net.connect({ host: upHost, port: upPort });
      upstreams.add(sock);
      sock.on('error', () => {});
      const reader = new ByteReader(sock);
      const done = (): void => {
        upstreams.delete(sock);
        sock.destroy();
      };
      sock.once('connect', () => sock.write(raw));
      (async () => {
        const parts: Buffer[] = [];
        for (;;) {
          const headRaw = await reader.readUntil('\r\n\r\n', MAX_HEAD);
          if (!headRaw) throw new Eof('upstream closed before answering');
          const h = parseHead(headRaw);
          const status = Number(h.startLine.split(' ')[1]);
          parts.push(headRaw);
          if (status >= 100 && status < 200) continue; // interim response; the final one follows
          const noBody = isHeadReq || status === 204 || status === 304;
          const body = await readBody(reader, h, noBody, true);
          parts.push(body.raw);
          const close = body.toEnd || /close/i.test(header(h, 'connection') ?? '');
          return { raw: Buffer.concat(parts), status, close };
        }
      })().then(
        (v) => {
          done();
          resolve(v);
        },
        (e) => {
          done();
          reject(e);
        },
      );
    });

  const record = (ev: ProxyEvent): void => {
    events.push(ev);
    if (events.length > maxEvents) events.splice(0, events.length - maxEvents);
  };

  const serve = async (client: net.Socket): Promise<void> => {
    const reader = new ByteReader(client);
    try {
      for (;;) {
        // Tolerate stray CRLFs between requests (RFC 9112 §2.2).
        let headRaw = await reader.readUntil('\r\n\r\n', MAX_HEAD);
        if (!headRaw) return;
        while (headRaw.subarray(0, 2).toString('latin1') === '\r\n') headRaw = headRaw.subarray(2);
        let h = parseHead(headRaw);
        const [method = '', path = ''] = h.startLine.split(' ');
        if (/100-continue/i.test(header(h, 'expect') ?? '')) {
          client.write('HTTP/1.1 100 Continue\r\n\r\n');
          const kept = headRaw
            .toString('latin1')
            .split('\r\n')
            .filter((l) => !/^expect\s*:/i.test(l))
            .join('\r\n');
          h = parseHead(Buffer.from(kept, 'latin1'));
        }
        const body = await readBody(reader, h, false, false);
        const raw = Buffer.concat([h.raw, body.raw]);
        const clientClose = /close/i.test(header(h, 'connection') ?? '');

        stats.requests++;
        stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
        const d = decide(method, path);
        const ev: ProxyEvent = { seq: ++seq, at: Date.now(), method, path, action: d.action, source: d.source };
        if (d.action) {
          stats.actions[d.action]++;
          const byM = stats.actionsByMethod[d.action];
          byM[method] = (byM[method] ?? 0) + 1;
          if (d.source === 'random') stats.random[d.action]++;
        }
        record(ev);

        if (d.action === 'reset-before') {
          reset(client);
          return;
        }
        if (d.action === 'fail-status') {
          client.write(errorResponse(d.status ?? 503, d.errorCode, method === 'HEAD'));
          if (clientClose) return void client.end();
          continue;
        }
        if (d.action === 'delay-request') {
          ev.delayMs = d.delayMs;
          const startEpoch = epoch;
          await sleep(d.delayMs ?? 0);
          if (closed) return;
          if (down || epoch !== startEpoch) {
            // The store restarted while this request was in flight: its connection is gone, it never arrives.
            ev.lostInOutage = true;
            stats.lostInOutage++;
            reset(client);
            return;
          }
        }
        let res;
        try {
          stats.forwarded++;
          res = await exchange(raw, method === 'HEAD');
        } catch {
          // Upstream vanished mid-exchange (outage, or the store itself failed): so does the client.
          reset(client);
          return;
        }
        ev.status = res.status;
        if (d.action === 'drop-response') {
          reset(client);
          return;
        }
        if (client.destroyed) return; // the client gave up waiting (e.g. during a delay)
        client.write(res.raw);
        if (res.close || clientClose) return void client.end();
      }
    } catch {
      reset(client);
    }
  };

  const onConnection = (client: net.Socket): void => {
    if (down || closed) return void reset(client);
    stats.connections++;
    clients.add(client);
    client.on('error', () => {});
    client.on('close', () => clients.delete(client));
    void serve(client);
  };

  const listen = (p: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen({ host: '127.0.0.1', port: p, exclusive: true }, () => {
        s.off('error', reject);
        server = s;
        port = (s.address() as net.AddressInfo).port;
        resolve();
      });
    });

  const resetAll = (): void => {
    for (const c of clients) {
      stats.resetByOutage++;
      reset(c);
    }
    for (const u of upstreams) u.destroy();
  };

  const goDown = async (): Promise<void> => {
    if (down || closed) return;
    down = true;
    epoch++;
    downSince = Date.now();
    stats.outages++;
    const s = server;
    server = undefined;
    const closing = new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    resetAll();
    await closing;
  };

  const goUp = async (): Promise<void> => {
    if (!down || closed) return;
    // The port is ours until someone else binds it; retry briefly in case the OS lags.
    for (let attempt = 0; ; attempt++) {
      try {
        await listen(port);
        break;
      } catch (err) {
        if (attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    stats.outageMs += Date.now() - downSince;
    down = false;
  };

  await listen(0);

  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    upstream: upstreamUrl,
    events,
    addRule,
    clearRules: () => {
      rules = [];
    },
    setRandom,
    down: goDown,
    up: goUp,
    isDown: () => down,
    outage: async (ms: number) => {
      await goDown();
      await new Promise((r) => setTimeout(r, ms));
      await goUp();
    },
    stats: () => structuredClone(stats),
    close: async () => {
      if (closed) return;
      if (down) stats.outageMs += Date.now() - downSince;
      closed = true;
      for (const t of timers) {
        clearTimeout(t.timer);
        t.resolve();
      }
      timers.clear();
      const s = server;
      server = undefined;
      const closing = new Promise<void>((r) => (s ? s.close(() => r()) : r()));
      for (const c of clients) reset(c);
      for (const u of upstreams) u.destroy();
      await closing;
    },
  };
}
