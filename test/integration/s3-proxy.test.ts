import { randomBytes } from 'node:crypto';
import { describe, expect, inject } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, createS3Store, type ObjectStore } from '@loglake/object-store';
import { test } from '../support/fixtures.ts';
import { matching, mulberry32, startS3Proxy, type S3FaultProxy } from '../support/s3-proxy.ts';

interface ProxyFixtures {
  proxy: S3FaultProxy;
  /** An S3 client whose endpoint is the proxy, with the stack's credentials. */
  viaProxy: S3Client;
  /** The fixture `store`'s bucket and prefix, reached through the proxy. */
  proxied: ObjectStore;
}

function proxiedClient(proxy: S3FaultProxy, requestTimeoutMs?: number): S3Client {
  const s3 = inject('s3');
  return createS3Client({
    endpoint: proxy.url,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  });
}

/** The same bucket and prefix as `store` (whose url is `s3://bucket/prefix`), through `client`. */
function sameRoot(store: ObjectStore, client: S3Client): ObjectStore {
  const bucket = inject('s3').bucket;
  return createS3Store(client, { bucket, prefix: store.url.slice(`s3://${bucket}/`.length) });
}

const it = test.extend<ProxyFixtures>({
  proxy: async ({}, use) => {
    const proxy = await startS3Proxy({ target: inject('s3').endpoint });
    await use(proxy);
    await proxy.stop();
  },
  viaProxy: async ({ proxy }, use) => {
    const client = proxiedClient(proxy);
    await use(client);
    client.destroy();
  },
  proxied: async ({ store, viaProxy }, use) => {
    await use(sameRoot(store, viaProxy));
  },
});

const elapsed = async (call: () => Promise<unknown>) => {
  const started = performance.now();
  await call();
  return performance.now() - started;
};

describe('the S3 fault proxy', () => {
  it('forwards signed requests unchanged: a put through it is readable directly', async ({
    proxy,
    proxied,
    store,
  }) => {
    const body = randomBytes(300_000);
    expect((await proxied.put('through/a.bin', body, { ifAbsent: true })).status).toBe('created');
    expect((await store.get('through/a.bin')).equals(body)).toBe(true);
    expect((await proxied.get('through/a.bin')).equals(body)).toBe(true);
    expect(proxy.counts()).toEqual({ PUT: 1, GET: 1 });
    // Multipart: queries (?uploads, ?partNumber=&uploadId=) and 8 MiB bodies pass unchanged too.
    const big = randomBytes(9 * 1024 * 1024);
    expect((await proxied.put('through/big.bin', big)).status).toBe('created');
    expect((await store.get('through/big.bin')).equals(big)).toBe(true);
    expect(proxy.counts()).toEqual({ PUT: 3, GET: 1, POST: 2 });
  });

  it('needs the Host header forwarded as signed: S3 refuses a request whose Host differs', async ({
    proxy,
    store,
  }) => {
    // The control for the test above: versitygw checks the Host that the signature covers, so
    // a proxy that rewrote Host to S3's own address would break every request.
    const client = proxiedClient(proxy);
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers.host = new URL(inject('s3').endpoint).host;
        return next(args);
      },
      // The last of the finalize step: after httpSigningMiddleware has signed the request.
      { step: 'finalizeRequest', priority: 'low', name: 'rewriteHostAfterSigning' },
    );
    try {
      await expect(
        sameRoot(store, client).put('through/b.bin', Buffer.from('b')),
      ).rejects.toMatchObject({
        code: 'LOGLAKE_STORE_WRITE_FAILED',
        retryable: false,
        details: { status: 403 },
      });
      expect(await store.head('through/b.bin')).toBeNull();
    } finally {
      client.destroy();
    }
  });

  it('holds a .parquet PUT until release, letting other requests through', async ({
    proxy,
    proxied,
    store,
  }) => {
    proxy.hold(matching('PUT', /\.parquet$/));
    const body = randomBytes(50_000);
    const put = proxied.put('lake/p0-00000000.parquet', body, { ifAbsent: true });
    await proxy.whenHeld(1);
    expect(proxy.held()).toBe(1);
    expect((await proxied.put('lake/p0.json', Buffer.from('{}'))).status).toBe('created');
    expect(await store.head('lake/p0-00000000.parquet')).toBeNull();
    expect(await proxied.head('lake/p0-00000000.parquet')).toBeNull();

    proxy.release();
    expect((await put).status).toBe('created');
    expect(proxy.held()).toBe(0);
    expect((await store.get('lake/p0-00000000.parquet')).equals(body)).toBe(true);
    expect(proxy.seen(matching('PUT', /\.parquet$/))).toBe(1);
  });

  it('loses the response of a conditional create that S3 performed: the SDK retry sees "exists"', async ({
    proxy,
    proxied,
    store,
  }) => {
    const body = Buffer.from('the first and only body');
    proxy.loseResponse(matching('PUT', /once\.parquet$/), { times: 1 });
    expect(await proxied.put('lake/once.parquet', body, { ifAbsent: true })).toEqual({
      status: 'exists',
    });
    expect(proxy.seen(matching('PUT', /once\.parquet$/))).toBe(2);
    expect((await store.get('lake/once.parquet')).equals(body)).toBe(true);
  });

  it('loses every response of a conditional create: the call fails retryably, a later retry sees "exists"', async ({
    proxy,
    proxied,
    store,
  }) => {
    const body = Buffer.from('landed although the writer heard nothing');
    proxy.loseResponse(matching('PUT', /lost\.parquet$/));
    await expect(proxied.put('lake/lost.parquet', body, { ifAbsent: true })).rejects.toMatchObject({
      code: 'LOGLAKE_STORE_WRITE_FAILED',
      retryable: true,
    });
    expect(proxy.seen(matching('PUT', /lost\.parquet$/))).toBeGreaterThanOrEqual(2);
    expect((await store.get('lake/lost.parquet')).equals(body)).toBe(true);

    proxy.clear();
    expect(await proxied.put('lake/lost.parquet', body, { ifAbsent: true })).toEqual({
      status: 'exists',
    });
  });

  it('delays requests by a seeded amount within the bounds', async ({ proxy, proxied, store }) => {
    await store.put('slow/a.txt', Buffer.from('a'));
    proxy.latency({ minMs: 150, maxMs: 250, seed: 7 });
    for (let i = 0; i < 4; i += 1) {
      expect(await elapsed(() => proxied.head('slow/a.txt'))).toBeGreaterThanOrEqual(149);
    }
    // Per chunk: a 1 MiB body goes in several chunks each way, each delayed again.
    proxy.latency({ minMs: 40, maxMs: 40, perChunk: true });
    const big = randomBytes(1024 * 1024);
    await store.put('slow/big.bin', big);
    const chunked = await elapsed(async () => {
      expect((await proxied.get('slow/big.bin')).equals(big)).toBe(true);
    });
    expect(chunked).toBeGreaterThanOrEqual(2 * 40);

    proxy.latency(undefined);
    const a = mulberry32(7);
    const b = mulberry32(7);
    const draws = Array.from({ length: 100 }, () => a());
    expect(draws).toEqual(Array.from({ length: 100 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(draws).size).toBe(100);
  });

  it('answers injected errors as S3 does, for a number of requests or until cleared', async ({
    proxy,
    proxied,
    store,
  }) => {
    await store.put('err/a.txt', Buffer.from('a'));
    proxy.fail(matching('GET', /err\/a\.txt$/), 503, { times: 1 });
    expect((await proxied.get('err/a.txt')).toString()).toBe('a'); // the SDK retried the 503
    proxy.fail(matching('GET'), 500);
    await expect(proxied.get('err/a.txt')).rejects.toMatchObject({
      code: 'LOGLAKE_STORE_WRITE_FAILED',
      retryable: true,
      details: { status: 500 },
    });
    proxy.fail(matching('PUT'), 403, { code: 'AccessDenied' });
    await expect(proxied.put('err/b.txt', Buffer.from('b'))).rejects.toMatchObject({
      retryable: false,
      details: { status: 403 },
    });
    expect(await store.head('err/b.txt')).toBeNull();
    proxy.clear();
    expect((await proxied.get('err/a.txt')).toString()).toBe('a');
  });

  it('swallows requests while black-holed and serves them again once healed', async ({
    proxy,
    store,
  }) => {
    const client = proxiedClient(proxy, 300);
    try {
      const fast = sameRoot(store, client);
      proxy.blackhole();
      await expect(fast.put('hole/a.txt', Buffer.from('a'))).rejects.toMatchObject({
        code: 'LOGLAKE_STORE_WRITE_FAILED',
        retryable: true,
      });
      expect(await store.head('hole/a.txt')).toBeNull();
      proxy.heal();
      expect((await fast.put('hole/a.txt', Buffer.from('a'))).status).toBe('created');
    } finally {
      client.destroy();
    }
  });

  it('closes held connections on stop and fails whoever waits for more', async ({ store }) => {
    const proxy = await startS3Proxy({ target: inject('s3').endpoint });
    const client = proxiedClient(proxy);
    try {
      proxy.hold(matching('PUT'));
      const put = sameRoot(store, client).put('stop/a.txt', Buffer.from('a'));
      await proxy.whenHeld(1);
      const more = proxy.whenHeld(2);
      await proxy.stop();
      await expect(more).rejects.toThrow(/stopped/);
      await expect(put).rejects.toMatchObject({ code: 'LOGLAKE_STORE_WRITE_FAILED' });
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });
});
