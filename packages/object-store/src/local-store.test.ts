import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldersToSync } from './durable-folders.ts';
import { createLocalStore } from './local-store.ts';
import { openStore } from './open-store.ts';

const fresh = () => mkdtempSync(join(tmpdir(), 'loglake-local-'));

describe('local store', () => {
  it('creates once with ifAbsent and keeps the first body', async () => {
    const store = createLocalStore(fresh());
    expect(await store.put('a/b.txt', Buffer.from('one'), { ifAbsent: true })).toEqual({
      status: 'created',
    });
    expect(await store.put('a/b.txt', Buffer.from('two'), { ifAbsent: true })).toEqual({
      status: 'exists',
    });
    expect((await store.get('a/b.txt')).toString()).toBe('one');
    await store.put('a/b.txt', Buffer.from('three'));
    expect((await store.get('a/b.txt')).toString()).toBe('three');
  });

  it('lists keys under a prefix in order, without temporary files', async () => {
    const dir = fresh();
    const store = createLocalStore(dir);
    for (const k of ['x/2.txt', 'x/1.txt', 'x/sub/3.txt', 'y/4.txt'])
      await store.put(k, Buffer.from(k));
    writeFileSync(join(dir, 'x', '.tmp-leftover'), 'partial');
    const keys: string[] = [];
    for await (const o of store.list('x/')) keys.push(o.key);
    expect(keys).toEqual(['x/1.txt', 'x/2.txt', 'x/sub/3.txt']);
  });

  it('stores a file; leaves no temporary file behind', async () => {
    const dir = fresh();
    const src = join(fresh(), 'src.bin');
    writeFileSync(src, Buffer.alloc(1000, 7));
    const store = createLocalStore(dir);
    await store.putFile('f/out.bin', src, { metadata: { writer: 'me' } });
    expect(await store.head('f/out.bin')).toEqual({ size: 1000, metadata: {} });
    expect(readdirSync(join(dir, 'f')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(await store.head('f/missing')).toBeNull();
  });

  it('refuses keys that escape the folder', async () => {
    const store = createLocalStore(fresh());
    await expect(store.put('../evil', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });

  it('opens file:// and s3:// URLs', () => {
    expect(
      openStore('file:///tmp/lake', { region: 'us-east-1', forcePathStyle: true }).store.url,
    ).toBe('file:///tmp/lake');
    expect(
      openStore('s3://bucket/some/prefix', { region: 'us-east-1', forcePathStyle: true }).store.url,
    ).toBe('s3://bucket/some/prefix');
    expect(() => openStore('http://x', { region: 'us-east-1', forcePathStyle: true })).toThrow(
      /neither/,
    );
  });

  it('writes keys several new folders deep, also many at once into the same new folders', async () => {
    const dir = fresh();
    const store = createLocalStore(join(dir, 'not', 'yet'));
    await store.put('t/dt=2024-01-01/hour=05/p0.parquet', Buffer.from('zero'));
    const keys = Array.from({ length: 20 }, (_, i) => `t/dt=2024-01-02/hour=0${i % 3}/p${i}.bin`);
    const results = await Promise.all(
      keys.map((k, i) => store.put(k, Buffer.from(String(i)), { ifAbsent: true })),
    );
    expect(results.every((r) => r.status === 'created')).toBe(true);
    expect((await store.get('t/dt=2024-01-01/hour=05/p0.parquet')).toString()).toBe('zero');
    const listed: string[] = [];
    for await (const o of store.list('t/dt=2024-01-02/')) listed.push(o.key);
    expect(listed).toEqual([...keys].sort());
  });

  it('checks that the folder is writable, creating it, within a time limit', async () => {
    const dir = fresh();
    await expect(
      createLocalStore(join(dir, 'a', 'b')).checkWritable({ timeoutMs: 10_000 }),
    ).resolves.toBeUndefined();
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual([]);
    await expect(createLocalStore(dir).checkWritable({ timeoutMs: 0 })).rejects.toMatchObject({
      code: 'LOGLAKE_CONFIG_INVALID',
    });
  });
});

describe('foldersToSync', () => {
  it('is every folder mkdir created, deepest first, and the parent of the first one', () => {
    expect(foldersToSync('/lake/t/dt=1/hour=2', '/lake/t')).toEqual([
      '/lake/t/dt=1/hour=2',
      '/lake/t/dt=1',
      '/lake/t',
      '/lake',
    ]);
  });

  it('is the new leaf and its parent when only the leaf was new', () => {
    expect(foldersToSync('/lake/t/dt=1', '/lake/t/dt=1')).toEqual(['/lake/t/dt=1', '/lake/t']);
  });

  it('is nothing when every folder existed', () => {
    expect(foldersToSync('/lake/t/dt=1', undefined)).toEqual([]);
  });

  it('reaches above the store root when mkdir created the root too', () => {
    expect(foldersToSync('/data/lake/t', '/data')).toEqual([
      '/data/lake/t',
      '/data/lake',
      '/data',
      '/',
    ]);
  });

  it('refuses a first folder that is not above the leaf', () => {
    expect(() => foldersToSync('/lake/t', '/other')).toThrow(/not a folder above/);
  });
});
