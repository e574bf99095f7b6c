import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalStore, type ObjectStore } from '@loglake/object-store';
import { findChainStart } from './chain-start.ts';
import { writeIntent } from './intent.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A store holding intents for the given `[first, last]` ranges of partition 0. */
async function chain(...ranges: [number, number][]): Promise<ObjectStore> {
  const dir = mkdtempSync(join(tmpdir(), 'loglake-chain-'));
  dirs.push(dir);
  const store = createLocalStore(dir);
  for (const [first, last] of ranges) {
    await writeIntent(store, {
      version: 1,
      topic: 't',
      partition: 0,
      first: String(first),
      last: String(last),
      files: [],
      dead_letters: 0,
      created_at: '',
      writer: 'w',
    });
  }
  return store;
}

describe('findChainStart', () => {
  it('follows the intent recorded at the committed offset', async () => {
    const found = await findChainStart(await chain([0, 9], [10, 19]), 't', 0, 10n, null);
    expect(found).toMatchObject({ start: 10n, how: 'intent', gap: null, nextRecorded: null });
    expect(found.intent?.last).toBe('19');
  });

  it("takes the commit's own metadata as proof that the offset is the chain's head", async () => {
    const found = await findChainStart(await chain([0, 9], [10, 19]), 't', 0, 20n, 'loglake:10-19');
    expect(found).toMatchObject({ start: 20n, intent: null, how: 'commit-metadata', gap: null });
  });

  it('starts a committed offset inside a recorded range at that range, to replay it whole', async () => {
    const found = await findChainStart(await chain([0, 9], [10, 19]), 't', 0, 15n, null);
    expect(found).toMatchObject({ start: 10n, how: 'listing', gap: null });
    expect(found.intent?.last).toBe('19');
  });

  it('reports the offsets between the head and a later start as a gap', async () => {
    const found = await findChainStart(await chain([0, 9], [10, 19]), 't', 0, 25n, null);
    expect(found).toMatchObject({ start: 25n, intent: null, gap: { first: 20n, last: 24n } });
  });

  it('ends a range that starts before the recorded chain right before it', async () => {
    const found = await findChainStart(await chain([10, 19]), 't', 0, 5n, null);
    expect(found).toMatchObject({ start: 5n, intent: null, nextRecorded: 10n, gap: null });
  });

  it('starts where it was told when nothing is recorded', async () => {
    const found = await findChainStart(await chain(), 't', 0, 7n, 'loglake:0-6');
    expect(found).toMatchObject({
      start: 7n,
      intent: null,
      how: 'empty',
      gap: null,
      nextRecorded: null,
    });
  });

  it('does not trust metadata that names a range the chain does not hold', async () => {
    const found = await findChainStart(await chain([0, 9], [10, 14]), 't', 0, 20n, 'loglake:10-19');
    expect(found).toMatchObject({ start: 20n, how: 'listing', gap: { first: 15n, last: 19n } });
  });
});
