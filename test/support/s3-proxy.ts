/**
 * A fault-injecting reverse proxy in front of the test S3 server, for tests that need S3 to be
 * slow, stuck, failing or forgetful at an exact moment.
 *
 * It listens on 127.0.0.1 and forwards every request unchanged — method, path and query as
 * sent, every header in its original case and order (Host included, so SigV4 signatures made
 * for the proxy's address stay valid), the body streamed — and sends S3's answer back the same
 * way. Faults are switched at run time:
 *
 * - `latency()`: delay each request (and optionally each body chunk) by a seeded random amount;
 * - `hold()`: park matching requests (their bodies read) until `release()`; `whenHeld(n)` resolves
 *   once n are parked, so a test acts at that moment without sleeping;
 * - `loseResponse()`: let S3 perform the request, then cut the client's connection instead of
 *   answering (a success the client never hears of);
 * - `fail()`: answer an S3-style XML error without forwarding;
 * - `blackhole()`: from now on accept requests and never answer, until `heal()`.
 *
 * Requests are described by path-style addressing (`/bucket/key`), which the test clients use.
 */
import { Agent, createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, Transform, pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** A request as the proxy sees it. */
export interface S3Request {
  readonly method: string;
  /** The first path segment; '' for a service-level request. */
  readonly bucket: string;
  /** The rest of the path, URL-decoded; '' for a bucket-level request. */
  readonly key: string;
  /** The query string as sent, without '?'. */
  readonly query: string;
}

export type RequestPredicate = (request: S3Request) => boolean;

/** Requests with this method ('*' for any) whose key matches `key` (any key by default). */
export function matching(method: string, key: RegExp = /(?:)/): RequestPredicate {
  return (r) => (method === '*' || r.method === method) && key.test(r.key);
}

export interface LatencyOptions {
  /** Each delay is a whole number of ms in [minMs, maxMs]. */
  readonly minMs: number;
  readonly maxMs: number;
  /** Seed of the delay sequence (mulberry32); the same seed gives the same delays. Default 1. */
  readonly seed?: number;
  /** Also delay every body chunk, of requests and of responses, by a fresh draw. */
  readonly perChunk?: boolean;
  /** Which requests to delay; all by default. */
  readonly match?: RequestPredicate;
}

export interface FaultOptions {
  /** How many matching requests the fault affects; every one until `clear()` by default. */
  readonly times?: number;
}

export interface LoseOptions extends FaultOptions {
  /** Called once the server has answered a matching request, before the client's connection closes. */
  readonly onAnswered?: () => void;
}

export interface FailOptions extends FaultOptions {
  /** The S3 error code in the XML body; by default derived from the status (503 ServiceUnavailable). */
  readonly code?: string;
}

export interface S3FaultProxy {
  /** `http://127.0.0.1:<port>`: the endpoint to give an S3 client. */
  readonly url: string;
  readonly port: number;
  /** Delays requests from now on; `undefined` turns delays off. */
  latency(options: LatencyOptions | undefined): void;
  /** Parks matching requests from now on, their bodies read, until `release()`. */
  hold(match: RequestPredicate): void;
  /** Requests parked whose client is still waiting (one that hangs up is dropped, never sent). */
  held(): number;
  /** Resolves when at least `n` requests are parked; rejects after `timeoutMs` (default 30 s). */
  whenHeld(n: number, timeoutMs?: number): Promise<void>;
  /** Stops holding and forwards every parked request, in arrival order. */
  release(): void;
  /** Forwards matching requests and, once S3 has answered, closes the client's connection instead. */
  loseResponse(match: RequestPredicate, options?: LoseOptions): void;
  /** Answers matching requests with `status` (default 503) and an S3 XML error, without forwarding. */
  fail(match: RequestPredicate, status?: number, options?: FailOptions): void;
  /** From now on, accepts requests and never answers them (`stop()` closes their connections). */
  blackhole(): void;
  /** Ends `blackhole()`: later requests are served again (those swallowed stay unanswered). */
  heal(): void;
  /** Turns every fault off: no latency, no black hole, no rules, held requests released. */
  clear(): void;
  /** Requests received so far, per method (faulted ones included). */
  counts(): Readonly<Record<string, number>>;
  /** How many requests received so far `match` accepts. */
  seen(match: RequestPredicate): number;
  /** Closes the listener and every connection, held and swallowed ones included. */
  stop(): Promise<void>;
}

export interface S3ProxyOptions {
  /** The S3 server, e.g. `inject('s3').endpoint`. */
  readonly target: string;
  /** Port to listen on; a free one by default. */
  readonly port?: number;
}

/** A small seeded PRNG (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const S3_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  409: 'OperationAborted',
  412: 'PreconditionFailed',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

/** Bodies of held requests are buffered up to this size, then the client is slowed down. */
const HOLD_BUFFER_BYTES = 64 * 1024 * 1024;

interface Rule {
  readonly kind: 'lose' | 'fail';
  readonly match: RequestPredicate;
  remaining: number;
  readonly status: number;
  readonly code: string;
  readonly onAnswered?: () => void;
}

interface Parked {
  readonly res: ServerResponse;
  readonly go: () => void;
}

interface Waiter {
  readonly n: number;
  readonly settle: (error?: Error) => void;
}

function describeRequest(req: IncomingMessage): S3Request {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const [bucket = '', ...rest] = path.replace(/^\/+/, '').split('/');
  return {
    method: req.method ?? 'GET',
    bucket: decodeURIComponent(bucket),
    key: decodeURIComponent(rest.join('/')),
    query: q === -1 ? '' : raw.slice(q + 1),
  };
}

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function sendError(res: ServerResponse, status: number, code: string, r: S3Request): void {
  if (res.headersSent || res.destroyed) return;
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(code)}</Code><Message>injected by the test S3 proxy</Message>` +
    `<Resource>/${escapeXml(r.bucket)}/${escapeXml(r.key)}</Resource>` +
    '<RequestId>loglake-s3-proxy</RequestId></Error>';
  res.writeHead(status, {
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(xml),
    'x-amz-request-id': 'loglake-s3-proxy',
  });
  res.end(xml);
}

export async function startS3Proxy(options: S3ProxyOptions): Promise<S3FaultProxy> {
  const target = new URL(options.target);
  // One connection per forwarded request: no idle upstream socket can be reset under a request.
  const agent = new Agent({ keepAlive: false });
  const lifetime = new AbortController();
  const sockets = new Set<Socket>();
  const counts: Record<string, number> = {};
  const log: S3Request[] = [];
  const rules: Rule[] = [];
  let parked: Parked[] = [];
  let waiters: Waiter[] = [];
  let holdMatch: RequestPredicate | undefined;
  let delays: { draw: () => number; perChunk: boolean; match: RequestPredicate } | undefined;
  let blackholed = false;

  const take = (kind: Rule['kind'], r: S3Request): Rule | undefined => {
    const rule = rules.find((x) => x.kind === kind && x.remaining > 0 && x.match(r));
    if (rule) rule.remaining -= 1;
    return rule;
  };

  const wait = (ms: number) => sleep(ms, undefined, { signal: lifetime.signal });

  /** A stream stage that delays each chunk when per-chunk latency applies to `r`. */
  const chunkDelays = (r: S3Request): Transform => {
    const d = delays;
    if (!d?.perChunk || !d.match(r)) return new PassThrough();
    return new Transform({
      transform(chunk: Buffer, _encoding, done) {
        wait(d.draw()).then(
          () => done(null, chunk),
          (error: Error) => done(error),
        );
      },
    });
  };

  function forward(req: IncomingMessage, res: ServerResponse, body: Readable, r: S3Request) {
    if (res.destroyed) return; // the client hung up meanwhile
    const lose = take('lose', r);
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.rawHeaders,
        agent,
      },
      (answer) => {
        if (lose) {
          lose.onAnswered?.();
          answer.resume();
          answer.once('end', () => res.destroy());
          answer.once('error', () => res.destroy());
          return;
        }
        // The client may have hung up while the server answered (a sink SIGKILLed mid-upload):
        // Node 24's pipeline throws at once on a destroyed destination.
        if (res.destroyed) {
          answer.resume();
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
        pipeline(answer, chunkDelays(r), res, () => undefined);
      },
    );
    upstream.once('error', () => {
      if (res.headersSent) res.destroy();
      else sendError(res, 502, 'BadGateway', r);
    });
    pipeline(body, chunkDelays(r), upstream, () => undefined);
  }

  function park(entry: Parked): void {
    parked.push(entry);
    entry.res.once('close', () => {
      parked = parked.filter((p) => p !== entry);
    });
    const ready = waiters.filter((w) => parked.length >= w.n);
    waiters = waiters.filter((w) => parked.length < w.n);
    for (const w of ready) w.settle();
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const r = describeRequest(req);
    counts[r.method] = (counts[r.method] ?? 0) + 1;
    log.push(r);
    if (blackholed) return;
    const failure = take('fail', r);
    if (failure) return sendError(res, failure.status, failure.code, r);
    const body = req.pipe(new PassThrough({ highWaterMark: HOLD_BUFFER_BYTES }));
    const go = () => {
      const d = delays;
      const before = d && d.match(r) ? wait(d.draw()) : Promise.resolve();
      before.then(
        () => forward(req, res, body, r),
        () => res.destroy(),
      );
    };
    if (holdMatch?.(r)) park({ res, go });
    else go();
  }

  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 0 }, onRequest);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const proxy: S3FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    latency(o) {
      if (o === undefined) {
        delays = undefined;
        return;
      }
      if (!(o.minMs >= 0 && o.maxMs >= o.minMs))
        throw new Error('latency needs 0 <= minMs <= maxMs');
      const random = mulberry32(o.seed ?? 1);
      delays = {
        draw: () => o.minMs + Math.floor(random() * (o.maxMs - o.minMs + 1)),
        perChunk: o.perChunk ?? false,
        match: o.match ?? (() => true),
      };
    },
    hold(match) {
      holdMatch = match;
    },
    held: () => parked.length,
    whenHeld(n, timeoutMs = 30_000) {
      if (parked.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          n,
          settle: (error) => {
            clearTimeout(timer);
            waiters = waiters.filter((w) => w !== waiter);
            if (error) reject(error);
            else resolve();
          },
        };
        const timer = setTimeout(() => {
          const seen = JSON.stringify(counts);
          waiter.settle(
            new Error(
              `${parked.length} of ${n} requests held after ${timeoutMs} ms (seen ${seen})`,
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    release() {
      holdMatch = undefined;
      const due = parked;
      parked = [];
      for (const p of due) p.go();
    },
    loseResponse(match, o = {}) {
      rules.push({
        kind: 'lose',
        match,
        remaining: o.times ?? Infinity,
        status: 0,
        code: '',
        ...(o.onAnswered ? { onAnswered: o.onAnswered } : {}),
      });
    },
    fail(match, status = 503, o = {}) {
      const code = o.code ?? S3_ERROR_CODES[status] ?? 'InjectedFault';
      rules.push({ kind: 'fail', match, remaining: o.times ?? Infinity, status, code });
    },
    blackhole() {
      blackholed = true;
    },
    heal() {
      blackholed = false;
    },
    clear() {
      proxy.latency(undefined);
      proxy.heal();
      rules.length = 0;
      proxy.release();
    },
    counts: () => ({ ...counts }),
    seen: (match) => log.filter(match).length,
    async stop() {
      lifetime.abort();
      holdMatch = undefined;
      parked = [];
      for (const w of waiters) w.settle(new Error('the S3 proxy stopped'));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
  return proxy;
}
