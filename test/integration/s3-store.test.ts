import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { test } from '../support/fixtures.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('an object over 10 MiB goes up by multipart and reads back byte-exact', async ({ store }) => {
  const body = randomBytes(10 * 1024 * 1024 + 123_457);
  const put = await store.put('big/object.bin', body);
  expect(put.status).toBe('created');
  // A multipart ETag is "<md5 of part md5s>-<part count>": two parts of 8 MiB and the rest.
  expect(put.status === 'created' ? put.etag : '').toMatch(/-2"$/);
  const back = await store.get('big/object.bin');
  expect(back.length).toBe(body.length);
  expect(sha(back)).toBe(sha(body));
  expect((await store.head('big/object.bin'))?.size).toBe(body.length);
});

test('a prefix with more than 1,000 keys is listed completely, page by page, in order', async ({
  store,
  s3,
}) => {
  const keys = Array.from({ length: 1_234 }, (_, i) => `many/${String(i).padStart(5, '0')}.txt`);
  for (let i = 0; i < keys.length; i += 64) {
    await Promise.all(keys.slice(i, i + 64).map((k) => store.put(k, Buffer.from(k))));
  }
  let listCalls = 0;
  s3.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'ListObjectsV2Command') listCalls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countListCalls' },
  );
  const listed: string[] = [];
  for await (const o of store.list('many/')) listed.push(o.key);
  expect(listed).toEqual(keys);
  expect(listCalls).toBe(2);
});

test('a conditional create refuses to overwrite, for single and multipart uploads', async ({
  store,
}) => {
  expect((await store.put('once.txt', Buffer.from('first'), { ifAbsent: true })).status).toBe(
    'created',
  );
  expect((await store.put('once.txt', Buffer.from('second'), { ifAbsent: true })).status).toBe(
    'exists',
  );
  expect((await store.get('once.txt')).toString()).toBe('first');

  const first = randomBytes(9 * 1024 * 1024);
  expect((await store.put('once.bin', first, { ifAbsent: true })).status).toBe('created');
  expect(
    (await store.put('once.bin', randomBytes(9 * 1024 * 1024), { ifAbsent: true })).status,
  ).toBe('exists');
  expect(sha(await store.get('once.bin'))).toBe(sha(first));
});

test('the bucket is reachable and writable; a missing bucket is a coded error', async ({
  store,
  s3,
}) => {
  await expect(store.checkWritable()).resolves.toBeUndefined();
  const { createS3Store } = await import('@loglake/object-store');
  const missing = createS3Store(s3, { bucket: 'no-such-bucket-loglake' });
  await expect(missing.checkWritable()).rejects.toMatchObject({
    code: 'LOGLAKE_STORE_UNAVAILABLE',
  });
});
