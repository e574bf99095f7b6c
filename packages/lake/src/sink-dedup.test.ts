import { afterEach, describe, expect, it } from 'vitest';
import { compareWithIntent, type Intent } from './intent.ts';
import type { EncodedRange } from './encode-range.ts';
import type { CutRange } from './range-buffer.ts';
import { event, Harness, TOPIC, until, type RunningSink } from './testing/harness.ts';

let h: Harness;

afterEach(async () => {
  await h.stopAll();
});

const isData = (op: string, key: string) => op === 'put' && key.endsWith('.parquet');

/** Events `p<partition>-<n>` for each n, as a client that sends them (again) would. */
function resend(partition: number, ns: readonly number[]): void {
  h.broker.produce(
    partition,
    ns.map((n) => event(partition, n)),
  );
}

async function dropped(s: RunningSink): Promise<number> {
  return (await s.metrics.duplicatesDropped.get()).values[0]?.value ?? 0;
}

async function recordedDuplicates(partition: number): Promise<string[]> {
  return (await h.intents(partition)).flatMap((i) => i.duplicates ?? []);
}

describe('LakeSink drops events sent again', () => {
  it('drops a resent event_id within the window and records its offset in the intent', async () => {
    h = new Harness(1);
    h.produce(0, 0, 20); // offsets 0..19
    resend(0, [5, 6, 7, 8, 9]); // offsets 20..24
    h.produce(0, 20, 10); // offsets 25..34
    const s = await h.start('a', [0], { flushMaxRows: 10, flushMaxAgeMs: 20 });
    await until('committed to 35', () => h.broker.committed.get(0)?.offset === 35n);
    expect(await h.expectExactlyOnce(0, 0, 30)).toEqual([]);
    expect(await recordedDuplicates(0)).toEqual(['20', '21', '22', '23', '24']);
    expect(await dropped(s)).toBe(5);
  });

  it('a replay that follows an intent drops exactly the offsets it records, window or not', async () => {
    h = new Harness(1);
    h.produce(0, 0, 10);
    resend(0, [1, 3]); // offsets 10, 11
    h.produce(0, 10, 8); // offsets 12..19
    const a = await h.start('a', [0], { flushMaxRows: 18 });
    a.gated.hold(isData);
    await a.gated.whenHeld(1);
    await h.crash(a); // the intent 0..19 is recorded, no object is written
    expect(await recordedDuplicates(0)).toEqual(['10', '11']);
    const b = await h.start('b', [0], {
      flushMaxRows: 100,
      flushMaxAgeMs: 20,
      dedupWindowRecords: 0,
    });
    await until('committed to 20', () => h.broker.committed.get(0)?.offset === 20n);
    expect(await h.expectExactlyOnce(0, 0, 18)).toEqual([]);
    expect(await dropped(b)).toBe(2);
    // Past the recorded range the window is off: a resend is kept.
    resend(0, [4]);
    await until('committed to 21', () => h.broker.committed.get(0)?.offset === 21n);
    expect((await h.lake()).counts.get('p0-4')).toBe(2);
  });

  it('a restarted sink reads the window before its committed offset: a resend right after it is dropped', async () => {
    h = new Harness(1);
    h.produce(0, 0, 10);
    const a = await h.start('a', [0], { flushMaxRows: 10 });
    await until('committed to 10', () => h.broker.committed.get(0)?.offset === 10n);
    await h.crash(a);
    resend(0, [3]); // offset 10, its first copy at 3 lies before the committed offset
    h.produce(0, 10, 5); // offsets 11..15
    const b = await h.start('b', [0], { flushMaxRows: 100, flushMaxAgeMs: 20 });
    await until('committed to 16', () => h.broker.committed.get(0)?.offset === 16n);
    expect(await h.expectExactlyOnce(0, 0, 15)).toEqual([]);
    expect(await dropped(b)).toBe(1);
    expect(await recordedDuplicates(0)).toEqual(['10']);
  });

  it('a resend further back than the window is kept: the window bounds memory', async () => {
    h = new Harness(1);
    h.produce(0, 0, 10);
    resend(0, [0, 8]); // offsets 10, 11: p0-0 is 10 offsets back, p0-8 is 3
    const s = await h.start('a', [0], {
      flushMaxRows: 100,
      flushMaxAgeMs: 20,
      dedupWindowRecords: 5,
    });
    await until('committed to 12', () => h.broker.committed.get(0)?.offset === 12n);
    const { counts } = await h.lake();
    expect(counts.get('p0-0')).toBe(2);
    expect(counts.get('p0-8')).toBe(1);
    expect(await dropped(s)).toBe(1);
  });
});

describe('compareWithIntent and duplicates', () => {
  const files = [{ key: `${TOPIC}/dt=x/f.parquet`, rows: 3 }];
  const encoded: EncodedRange = {
    files: files.map((f) => ({ ...f, path: '/nowhere', bytes: 1 })),
    poison: [],
    dispose: () => Promise.resolve(),
  };
  const intent = (duplicates?: string[]): Intent => ({
    version: 1,
    topic: TOPIC,
    partition: 0,
    first: '0',
    last: '4',
    files,
    dead_letters: 0,
    ...(duplicates ? { duplicates } : {}),
    created_at: '',
    writer: 'other',
  });
  const range = (duplicates: bigint[], followsIntent: boolean): CutRange => ({
    partition: 0,
    first: 0n,
    last: 4n,
    buckets: new Map(),
    poison: [],
    duplicates,
    rows: 3,
    bytes: 0,
    followsIntent,
    oldestAt: 0,
    oldestReceivedAt: null,
  });

  it('the same cut with other drops, cut freely: a conflict (read again following the intent)', () => {
    expect(compareWithIntent(intent(['3']), range([4n], false), encoded).kind).toBe('conflict');
    expect(compareWithIntent(intent(), range([4n], false), encoded).kind).toBe('conflict');
    expect(compareWithIntent(intent(['3', '4']), range([3n, 4n], false), encoded).kind).toBe(
      'followed',
    );
  });

  it('a range that followed the intent is final', () => {
    expect(compareWithIntent(intent(['3']), range([], true), encoded).kind).toBe('followed');
  });
});
