import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createS3Client, createS3Store, type ObjectStore } from '@loglake/object-store';
import { waitUntil } from '../support/fixtures.ts';

/** A TCP server on loopback that accepts every connection and never sends a byte. */
async function startSilentServer() {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume(); // read and drop what the client sends, answer nothing
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    open: () => sockets.size,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type SilentServer = Awaited<ReturnType<typeof startSilentServer>>;

function storeAt(url: string, requestTimeoutMs: number) {
  const client = createS3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'nobody', secretAccessKey: 'nothing' },
    connectionTimeoutMs: 500,
    requestTimeoutMs,
  });
  return { client, store: createS3Store(client, { bucket: 'silent', prefix: 'p' }) };
}

/** How long `call` took to reject, and with what. */
async function rejection(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await call();
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
  throw new Error('expected the call to fail');
}

async function listAll(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list('')) keys.push(o.key);
  return keys;
}

let server: SilentServer;
beforeAll(async () => {
  server = await startSilentServer();
});
afterAll(async () => {
  await server.close();
});

describe('an S3 endpoint that accepts connections and never answers', () => {
  const REQUEST_TIMEOUT_MS = 300;
  // The SDK makes 3 attempts, each abandoned after 300 ms of silence, with < 1 s of backoff
  // between them; 10 s leaves room for a loaded machine and still catches "waits forever".
  const BOUND_MS = 10_000;
  const source = join(mkdtempSync(join(tmpdir(), 'loglake-timeouts-')), 'body.bin');
  writeFileSync(source, Buffer.alloc(1024, 1));

  const calls: Record<string, (store: ObjectStore) => Promise<unknown>> = {
    put: (s) => s.put('a.bin', Buffer.from('x')),
    'put ifAbsent': (s) => s.put('a.bin', Buffer.from('x'), { ifAbsent: true }),
    putFile: (s) => s.putFile('b.bin', source),
    get: (s) => s.get('a.bin'),
    head: (s) => s.head('a.bin'),
    list: (s) => listAll(s),
    delete: (s) => s.delete('a.bin'),
  };

  for (const [name, call] of Object.entries(calls)) {
    test(`${name} fails with a retryable LOGLAKE_STORE_WRITE_FAILED, in bounded time`, async () => {
      const { client, store } = storeAt(server.url, REQUEST_TIMEOUT_MS);
      const before = server.accepted();
      try {
        const { ms, error } = await rejection(() => call(store));
        expect(error).toMatchObject({ code: 'LOGLAKE_STORE_WRITE_FAILED', retryable: true });
        expect((error as Error).message).toMatch(/TimeoutError/);
        expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
        expect(ms).toBeLessThan(BOUND_MS);
        // The timed-out attempt was retried on a new connection before the call gave up.
        expect(server.accepted() - before).toBeGreaterThan(1);
      } finally {
        client.destroy();
      }
    });
  }

  test('checkWritable gives up at its own limit, aborting the request, however long the socket timeout', async () => {
    const own = await startSilentServer(); // counts only this test's connections
    const { client, store } = storeAt(own.url, 60_000);
    try {
      const { ms, error } = await rejection(() => store.checkWritable({ timeoutMs: 400 }));
      expect(error).toMatchObject({
        code: 'LOGLAKE_STORE_UNAVAILABLE',
        retryable: true,
        message: 'store did not answer within 400 ms',
      });
      expect(ms).toBeGreaterThanOrEqual(399);
      expect(ms).toBeLessThan(3_000);
      // The abort reached the SDK: it closed its connection instead of waiting out 60 s.
      await waitUntil(
        'the aborted request to close its connection',
        async () => (own.open() === 0 ? true : undefined),
        5_000,
      );
    } finally {
      client.destroy();
      await own.close();
    }
  });

  test('checkWritable reports a HeadBucket that timed out as retryable LOGLAKE_STORE_UNAVAILABLE', async () => {
    const { client, store } = storeAt(server.url, REQUEST_TIMEOUT_MS);
    try {
      const { ms, error } = await rejection(() => store.checkWritable());
      expect(error).toMatchObject({ code: 'LOGLAKE_STORE_UNAVAILABLE', retryable: true });
      expect((error as Error).message).toMatch(/not reachable \(TimeoutError\)/);
      expect(ms).toBeLessThan(BOUND_MS);
    } finally {
      client.destroy();
    }
  });
});
