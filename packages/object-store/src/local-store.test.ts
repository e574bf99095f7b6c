import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
