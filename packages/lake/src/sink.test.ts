import { afterEach, describe, expect, it } from 'vitest';
import { createDuckDbEncoder } from './duckdb-encoder.ts';
import { intentKey, lossKey } from './layout.ts';
import { writeIntent, type Intent } from './intent.ts';
import type { RangeLayout } from './range-layout.ts';
import { event, gauge, Harness, TOPIC, until } from './testing/harness.ts';
import { textLines } from './testing/gated-store.ts';

let h: Harness;

afterEach(async () => {
  await h.stopAll();
});

/** Records another writer's cut `first..last` (intent only, no object), as the sink would have named it. */
async function foreignIntent(first: number, last: number, partition = 0): Promise<void> {
  const rows = new Map<string, number>();
  for (let n = first; n <= last; n += 1) {
    const ts = (JSON.parse(event(partition, n)) as { ts: number }).ts;
    const d = new Date(ts);
    const bucket = `dt=${d.toISOString().slice(0, 10)}/hour=${d.toISOString().slice(11, 13)}`;
    const key = `${TOPIC}/${bucket}/${TOPIC}-p${partition}-${String(first).padStart(20, '0')}-${String(last).padStart(20, '0')}.parquet`;
    rows.set(key, (rows.get(key) ?? 0) + 1);
  }
  const intent: Intent = {
    version: 1,
    topic: TOPIC,
    partition,
    first: String(first),
    last: String(last),
    files: [...rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, n]) => ({ key, rows: n })),
    dead_letters: 0,
    created_at: new Date().toISOString(),
    writer: 'other',
  };
  expect((await writeIntent(h.local, intent)).status).toBe('created');
}

const isIntent = (op: string, key: string) => op === 'put' && key.includes('_loglake/intents/');
const isData = (op: string, key: string) => op === 'put' && key.endsWith('.parquet');

describe('LakeSink with one writer', () => {
  it('writes every record once across partitions and commits the ends', async () => {
    h = new Harness(3);
    for (let p = 0; p < 3; p += 1) h.produce(p, 0, 95, p);
    const s = await h.start('a', [0, 1, 2], { flushMaxAgeMs: 20 });
    await until('all committed', () => h.broker.allCommitted());
    for (let p = 0; p < 3; p += 1) expect(await h.expectExactlyOnce(p, 0, 95)).toEqual([]);
    expect(await gauge(s, 'bufferedBytes')).toBe(0);
    expect(await gauge(s, 'pausedPartitions')).toBe(0);
    expect(s.consumer.maxHandlerMs).toBeLessThan(250);
  });
});

describe('LakeSink against another writer’s cuts (findings 1 and 2)', () => {
  it('two conflicting flushes in a row: re-reads from the first one, skips nothing', async () => {
    h = new Harness(1);
    h.produce(0, 0, 25);
    // Our intents are held until the other writer has recorded 0..4, 5..9, 10..14.
    const s = await h.start('a', [0], { flushMaxRows: 10 });
    s.gated.hold(isIntent);
    // Both ranges 0..9 and 10..19 are cut before the other writer's cuts appear.
    await until(
      'two cuts',
      async () => (await s.metrics.flushes.get()).values.reduce((n, v) => n + v.value, 0) >= 2,
    );
    await s.gated.whenHeld(1);
    await foreignIntent(0, 4);
    await foreignIntent(5, 9);
    await foreignIntent(10, 14);
    s.gated.release();
    await until('committed to 25', () => h.broker.committed.get(0)?.offset === 25n);
    expect(await h.expectExactlyOnce(0, 0, 25)).toEqual([]);
    // Never committed past a range whose objects are not in the lake.
    const { keys } = await h.lake();
    expect(keys.some((k) => k.includes('-00000000000000000000-00000000000000000004.parquet'))).toBe(
      true,
    );
  });

  it('a later range is never recorded before the earlier one is known to be ours (no duplicates)', async () => {
    h = new Harness(1);
    h.produce(0, 0, 40);
    const s = await h.start('a', [0], { flushMaxRows: 10 });
    s.gated.hold(isIntent);
    await s.gated.whenHeld(1);
    await until('all read', () => h.broker.logEnd(0) === 40n && s.gated.held >= 1);
    await foreignIntent(0, 14);
    await foreignIntent(15, 29);
    s.gated.release();
    await until('committed to 40', () => h.broker.committed.get(0)?.offset === 40n);
    expect(await h.expectExactlyOnce(0, 0, 40)).toEqual([]);
  });
});

describe('LakeSink with a zombie beside a live writer', () => {
  it('a stalled owner wakes after another member took its partition: exactly once, both ways', async () => {
    h = new Harness(2);
    h.produce(0, 0, 60);
    h.produce(1, 0, 60);
    const a = await h.start('a', [0, 1], { flushMaxRows: 7, flushMaxAgeMs: 20 });
    // A stalls in the middle of its flushes (GC, S3): its data writes hang.
    a.gated.hold(isData);
    await a.gated.whenHeld(1);
    // The group gives both partitions to B; A is not told (a zombie).
    const b = await h.start('b', [0, 1], { flushMaxRows: 5, flushMaxAgeMs: 20 });
    h.produce(0, 60, 40);
    h.produce(1, 60, 40);
    await until('B committed everything', () => h.broker.allCommitted());
    // A wakes up, finishes what it had, and keeps reading.
    a.gated.release();
    h.produce(0, 100, 30);
    await until('A noticed', () => a.gated.held === 0);
    // The next rebalance takes the partitions from A for good; B reads on.
    a.consumer.assign([], { evicted: true });
    b.consumer.assign([0, 1]);
    await until('all committed', () => h.broker.allCommitted());
    for (const p of [0, 1])
      expect(await h.expectExactlyOnce(p, 0, p === 0 ? 130 : 100)).toEqual([]);
    expect(await gauge(b, 'pausedPartitions')).toBe(0);
  });
});

describe('LakeSink rebalanced while flushes are at their limit (finding 3)', () => {
  it('resumes every partition after the rebalance, and commits the ends', async () => {
    h = new Harness(3);
    for (let p = 0; p < 3; p += 1) h.produce(p, 0, 60);
    const s = await h.start('a', [0, 1, 2], { flushMaxRows: 5, maxFlushesInFlight: 2 });
    s.gated.hold(isData);
    await s.gated.whenHeld(2);
    await until('paused at the limit', async () => (await gauge(s, 'pausedPartitions')) === 3);
    s.consumer.assign([0, 1, 2]);
    s.gated.release();
    await until('all committed', () => h.broker.allCommitted());
    expect(await gauge(s, 'pausedPartitions')).toBe(0);
    expect(s.consumer.pausedPartitions.size).toBe(0);
    for (let p = 0; p < 3; p += 1) expect(await h.expectExactlyOnce(p, 0, 60)).toEqual([]);
    expect(s.gated.maxConcurrentDataPuts).toBeLessThanOrEqual(2);
  });

  it('never runs more flushes than the limit, whatever cuts them (finding 11)', async () => {
    h = new Harness(3);
    for (let p = 0; p < 3; p += 1) h.produce(p, 0, 40);
    const s = await h.start('a', [0, 1, 2], {
      flushMaxRows: 3,
      maxFlushesInFlight: 2,
      flushMaxAgeMs: 5,
    });
    let maxInFlight = 0;
    s.gated.hold(isData);
    for (let i = 0; i < 20; i += 1) {
      await s.gated.whenHeld(1);
      maxInFlight = Math.max(maxInFlight, await gauge(s, 'flushesInFlight'));
      s.gated.release();
      s.gated.hold(isData);
    }
    s.gated.release();
    await until('all committed', () => h.broker.allCommitted());
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(s.gated.maxConcurrentDataPuts).toBeLessThanOrEqual(2);
  });
});

describe('LakeSink memory (findings 4 and 7)', () => {
  it('a recorded range larger than the budget is read to its end (no wedge)', async () => {
    h = new Harness(1);
    h.produce(0, 0, 100);
    await foreignIntent(0, 99);
    const s = await h.start('a', [0], { memoryBudgetBytes: 2_000, flushMaxBytes: 1_000 });
    await until('committed to 100', () => h.broker.committed.get(0)?.offset === 100n);
    expect(await h.expectExactlyOnce(0, 0, 100)).toEqual([]);
    expect(await gauge(s, 'bufferedBytes')).toBe(0);
  });

  it('several partitions replaying recorded ranges at once stay within the budget plus one range', async () => {
    h = new Harness(3);
    for (let p = 0; p < 3; p += 1) {
      h.produce(p, 0, 50);
      await foreignIntent(0, 49, p);
    }
    const s = await h.start('a', [0, 1, 2], { memoryBudgetBytes: 3_000, flushMaxBytes: 1_000 });
    let peak = 0;
    s.metrics.bufferedBytes.reset();
    await until('all committed', async () => {
      peak = Math.max(peak, await gauge(s, 'bufferedBytes'));
      return h.broker.allCommitted();
    });
    // One recorded range of 50 events of ~110 bytes beyond the budget, not three.
    expect(peak).toBeLessThan(3_000 + 50 * 130);
    for (let p = 0; p < 3; p += 1) expect(await h.expectExactlyOnce(p, 0, 50)).toEqual([]);
  });

  it('counts poison and rows in the same unit and gives back exactly what it held', async () => {
    h = new Harness(2);
    h.broker.produce(0, ['ünïcødé ✓ not json', event(0, 1), '{"x":"✓✓✓"}', event(0, 3)]);
    h.produce(1, 0, 30);
    const s = await h.start('a', [0, 1], { flushMaxRows: 2 });
    await until('all committed', () => h.broker.allCommitted());
    // A partition lost while its flushes are held gives its memory back once.
    s.gated.hold(isData);
    h.produce(1, 30, 10);
    await s.gated.whenHeld(1);
    s.consumer.assign([0]);
    s.gated.release();
    await until(
      'drained',
      async () => (await gauge(s, 'flushesInFlight')) === 0 && s.gated.held === 0,
    );
    await until('budget empty', async () => (await gauge(s, 'bufferedBytes')) === 0);
    expect(h.broker.deadLetters).toHaveLength(2);
  });
});

describe('LakeSink replays against retention (finding 5)', () => {
  async function crashAfterIntent(partition: number, count: number): Promise<void> {
    const a = await h.start('a', [partition], { flushMaxRows: count });
    a.gated.hold(isData);
    await a.gated.whenHeld(1);
    await h.crash(a);
  }

  it('records deleted after the objects were written: nothing rewritten shorter, no loss', async () => {
    h = new Harness(1);
    h.produce(0, 0, 50);
    const a = await h.start('a', [0], { flushMaxRows: 50 });
    await until('objects written', async () => (await h.lake()).counts.size === 50);
    await h.crash(a); // before its commit landed? commits are in memory here; drop the group's offset
    h.broker.committed.clear();
    h.broker.deleteRecords(0, 20n);
    const before = await h.lake();
    await h.start('b', [0], { flushMaxRows: 50 });
    await until('committed past the range', () => (h.broker.committed.get(0)?.offset ?? 0n) >= 50n);
    const after = await h.lake();
    expect(after.counts).toEqual(before.counts);
    expect(await h.expectExactlyOnce(0, 0, 50)).toEqual([]);
  });

  it('records deleted before the objects were written: the loss is recorded and counted, never written shorter', async () => {
    h = new Harness(1);
    h.produce(0, 0, 50);
    await crashAfterIntent(0, 50);
    h.broker.deleteRecords(0, 20n);
    h.produce(0, 50, 10);
    const b = await h.start('b', [0], { flushMaxRows: 50, flushMaxAgeMs: 20 });
    await until('committed to 60', () => h.broker.committed.get(0)?.offset === 60n);
    const lost = Array.from({ length: 50 }, (_, n) => n);
    expect(await h.expectExactlyOnce(0, 0, 60, lost)).toEqual([]);
    const loss = JSON.parse((await h.local.get(lossKey(TOPIC, 0, 0n))).toString()) as {
      lost_rows: number;
      reason: string;
    };
    expect(loss).toMatchObject({ lost_rows: 50, reason: 'retention' });
    expect((await b.metrics.lostRecords.get()).values[0]?.value).toBe(50);
  });

  it('a recorded range wholly gone does not loop: the partition moves on', async () => {
    h = new Harness(1);
    h.produce(0, 0, 20);
    await crashAfterIntent(0, 20);
    h.produce(0, 20, 15);
    h.broker.deleteRecords(0, 25n);
    await h.start('b', [0], { flushMaxRows: 5 });
    await until('committed to 35', () => h.broker.committed.get(0)?.offset === 35n);
    const lost = Array.from({ length: 25 }, (_, n) => n);
    expect(await h.expectExactlyOnce(0, 0, 35, lost)).toEqual([]);
  });
});

describe('LakeSink poison the encoder refuses (finding 6)', () => {
  it('dead-letters records DuckDB refuses and moves the partition on', async () => {
    h = new Harness(1);
    const dupKey = event(0, 2).replace(
      '"event_type":"click"',
      '"event_type":"click","event_type":"x"',
    );
    const surrogate = event(0, 4).slice(0, -1) + ',"extra":{"m":"\\ud800"}}';
    h.broker.produce(0, [event(0, 0), event(0, 1), dupKey, event(0, 3), surrogate, event(0, 5)]);
    const encoder = await createDuckDbEncoder({ codec: 'zstd', threads: 1, memoryLimitMb: 128 });
    await h.start('a', [0], { flushMaxRows: 6 }, encoder);
    await until('committed to 6', () => h.broker.committed.get(0)?.offset === 6n);
    expect(
      h.broker.deadLetters.map((d) => (JSON.parse(String(d.value)) as { offset: string }).offset),
    ).toEqual(['2', '4']);
    const intent = JSON.parse((await h.local.get(intentKey(TOPIC, 0, 0n))).toString()) as Intent;
    expect(intent.files.reduce((n, f) => n + f.rows, 0)).toBe(4);
    expect(intent.dead_letters).toBe(2);
  });
});

describe('LakeSink never waits inside a batch (finding 8)', () => {
  it('an S3 outage while partitions start keeps the consumer loop turning', async () => {
    h = new Harness(2);
    h.produce(0, 0, 20);
    h.produce(1, 0, 20);
    const s = await h.start('a', [0, 1]);
    await until('all committed', () => h.broker.allCommitted());
    s.gated.fail((op) => op === 'get' || op === 'list');
    // The partitions leave and come back while S3 does not answer: each must find its chain again.
    s.consumer.assign([]);
    await until('revoked', () => s.consumer.partitions.length === 0);
    const beats = s.consumer.heartbeats;
    s.consumer.assign([0, 1]);
    h.produce(0, 20, 10);
    await until('heartbeats go on during the outage', () => s.consumer.heartbeats > beats + 50);
    expect(s.consumer.maxHandlerMs).toBeLessThan(250);
    s.gated.heal();
    await until('all committed', () => h.broker.allCommitted());
    expect(await h.expectExactlyOnce(0, 0, 30)).toEqual([]);
  });
});

describe('LakeSink when the group forgot its offsets (finding 9)', () => {
  it('starts at the recorded cut that holds the log start, not at the first record fetched', async () => {
    h = new Harness(1);
    h.produce(0, 0, 30);
    const a = await h.start('a', [0], { flushMaxRows: 10 });
    await until('committed to 30', () => h.broker.committed.get(0)?.offset === 30n);
    await h.crash(a);
    h.broker.committed.clear();
    h.broker.deleteRecords(0, 5n);
    h.produce(0, 30, 20);
    await h.start('b', [0], { flushMaxRows: 10 });
    await until('committed to 50', () => h.broker.committed.get(0)?.offset === 50n);
    expect(await h.expectExactlyOnce(0, 0, 50)).toEqual([]);
  });

  it('a committed offset inside a recorded range replays that range whole', async () => {
    h = new Harness(1);
    h.produce(0, 0, 30);
    const a = await h.start('a', [0], { flushMaxRows: 10 });
    await until('committed to 30', () => h.broker.committed.get(0)?.offset === 30n);
    await h.crash(a);
    h.broker.commit('operator', 0, 15n, null);
    h.produce(0, 30, 10);
    await h.start('b', [0], { flushMaxRows: 10 });
    await until('committed to 40', () => h.broker.committed.get(0)?.offset === 40n);
    expect(await h.expectExactlyOnce(0, 0, 40)).toEqual([]);
    const lines = await textLines(h.local, (await h.lake()).keys[0] as string);
    expect(lines.length).toBeGreaterThan(0);
  });
});

/**
 * A layout that, like the table layout's committer between ticks, answers no range until the sink
 * says it is stopping (or the test gives up): a shutdown that waited for such a layout's own pace
 * would take as long as that pace.
 */
function heldUntilDrained(inner: RangeLayout, seen: string[]) {
  let release = () => undefined as void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const layout: RangeLayout = {
    name: inner.name,
    ctx: inner.ctx,
    get backlogged() {
      return inner.backlogged;
    },
    prepare: () => inner.prepare(),
    start: (partition, hint, abandon) => inner.start(partition, hint, abandon),
    recordedEnd: (partition, first) => inner.recordedEnd(partition, first),
    async write(flush, previous, releaseSlot) {
      seen.push(`write ${flush.range.first}-${flush.range.last}`);
      await released;
      return inner.write(flush, previous, releaseSlot);
    },
    drain() {
      seen.push('drain');
      release();
      inner.drain();
    },
    close: () => inner.close(),
  };
  return { layout, release };
}

describe('LakeSink stop', () => {
  it('tells the layout it is stopping before its last cuts, so ranges a layout holds are answered', async () => {
    h = new Harness(1);
    h.produce(0, 0, 5);
    const seen: string[] = [];
    let held: ReturnType<typeof heldUntilDrained> | undefined;
    const s = await h.start('a', [0], {}, undefined, (inner) => {
      held = heldUntilDrained(inner, seen);
      return held.layout;
    });
    await until('read', async () => (await s.metrics.recordsRead.get()).values[0]?.value === 5);
    const stopped = s.sink.stop();
    try {
      await until('the last cut handed to the layout', () =>
        seen.some((e) => e.startsWith('write')),
      );
      expect(seen).toEqual(['drain', 'write 0-4']);
    } finally {
      held?.release();
    }
    await stopped;
    expect(await h.expectExactlyOnce(0, 0, 5)).toEqual([]);
    expect(h.broker.allCommitted()).toBe(true);
  });
});
