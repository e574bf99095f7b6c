import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCode } from '@loglake/core';
import { createLocalStore, type ObjectStore } from '@loglake/object-store';
import { createDuckDbEncoder } from './duckdb-encoder.ts';
import { withLocalCopies } from './local-copies.ts';
import {
  hourPrefixes,
  parseRunSummary,
  runFolders,
  runHours,
  verifyRun,
  waitForCommits,
  type OffsetsReader,
} from './verify.ts';

const now = 1_795_000_000_000;
const line = (run: string, seq: number) =>
  JSON.stringify({
    event_id: `${run}-${seq}`,
    event_type: 't',
    ts: now,
    received_at: now,
    source: 's',
    extra: { run_id: run, seq },
  });

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** One Parquet object per entry, in the hour folder given (default hour 00). */
async function lakeWith(files: (string[] | { hour: string; lines: string[] })[]) {
  const dir = mkdtempSync(join(tmpdir(), 'loglake-verify-lake-'));
  const store = createLocalStore(dir);
  const encoder = await createDuckDbEncoder({ codec: 'zstd', threads: 1, memoryLimitMb: 128 });
  const tmp = mkdtempSync(join(tmpdir(), 'loglake-verify-tmp-'));
  dirs.push(dir, tmp);
  for (const [i, f] of files.entries()) {
    const { hour, lines } = Array.isArray(f) ? { hour: '00', lines: f } : f;
    const path = join(tmp, `${i}.parquet`);
    await encoder.encode(lines, path);
    await store.putFile(`t/dt=2026-11-18/hour=${hour}/f${i}.parquet`, path);
  }
  await encoder.close();
  return store;
}

/** `verifyRun` over copies of the objects under `prefixes` (default: the whole topic). */
const verifyIn = (
  store: ObjectStore,
  runId: string,
  expected: number,
  prefixes: readonly string[] = ['t/'],
) => withLocalCopies(store, prefixes, (copies) => verifyRun(copies, runId, expected));

describe('verifyRun', () => {
  it('finds a complete run complete, and ignores other runs', async () => {
    const store = await lakeWith([
      [1, 2, 3].map((s) => line('a', s)),
      [4, 5].map((s) => line('a', s)).concat(line('b', 1)),
    ]);
    expect(await verifyIn(store, 'a', 5)).toMatchObject({
      expected: 5,
      found: 5,
      missing: 0,
      duplicated: 0,
      files_read: 2,
    });
  });

  it('catches an injected loss and an injected duplicate', async () => {
    const store = await lakeWith([
      [1, 2, 4].map((s) => line('a', s)),
      [4, 5].map((s) => line('a', s)),
    ]);
    expect(await verifyIn(store, 'a', 5)).toMatchObject({
      found: 4,
      missing: 1,
      duplicated: 1,
    });
  });

  it('reads only the folders it is given', async () => {
    const store = await lakeWith([
      { hour: '00', lines: [1, 2].map((s) => line('a', s)) },
      { hour: '01', lines: [3].map((s) => line('a', s)) },
    ]);
    expect(await verifyIn(store, 'a', 3, ['t/dt=2026-11-18/hour=01/'])).toMatchObject({
      found: 1,
      missing: 2,
      files_read: 1,
    });
    const none = await verifyIn(store, 'a', 3, ['t/dt=2026-11-19/hour=00/']);
    expect(none).toMatchObject({ found: 0, missing: 3, files_read: 0 });
  });
});

describe('withLocalCopies', () => {
  it('copies the objects under each prefix once, keyed by object key, and deletes them after, also on failure', async () => {
    const store = await lakeWith([[line('a', 1)], { hour: '01', lines: [line('a', 2)] }]);
    let dir = '';
    const seen = await withLocalCopies(store, ['t/', 't/dt=2026-11-18/hour=00/'], async (c) => {
      dir = c.dir;
      return [...c.files].map(([key, f]) => [key, f.path === join(c.dir, key), existsSync(f.path)]);
    });
    expect(seen).toEqual([
      ['t/dt=2026-11-18/hour=00/f0.parquet', true, true],
      ['t/dt=2026-11-18/hour=01/f1.parquet', true, true],
    ]);
    expect(existsSync(dir)).toBe(false);
    const failing = withLocalCopies(store, ['t/'], async (c) => {
      dir = c.dir;
      throw new Error('query failed');
    });
    await expect(failing).rejects.toThrow('query failed');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('parseRunSummary', () => {
  const summary = {
    run_id: 'r1',
    profile: 'tracking',
    planned: 100,
    sent: 100,
    accepted: 98,
    rejected: 2,
    seconds: 1.2,
  };

  it("takes the run and its accepted count from the generator's last JSON line, past pnpm's banner", () => {
    const text = [
      '',
      '> loglake@ generate /work/main',
      '> tsx services/generator/src/main.ts',
      '',
      JSON.stringify(summary),
      '',
    ].join('\n');
    expect(parseRunSummary(text)).toEqual({
      run_id: 'r1',
      expected: 98,
      started_at: null,
      ended_at: null,
    });
  });

  it('takes the last line with a run_id, and the time span when the summary has one', () => {
    const text = [
      JSON.stringify({ ...summary, run_id: 'older' }),
      JSON.stringify({
        ...summary,
        started_at: '2026-11-18T10:00:00.000Z',
        ended_at: 1_795_000_000_000,
      }),
      JSON.stringify({ level: 30, msg: 'not a summary' }),
      '{ broken',
    ].join('\n');
    expect(parseRunSummary(text)).toEqual({
      run_id: 'r1',
      expected: 98,
      started_at: Date.parse('2026-11-18T10:00:00.000Z'),
      ended_at: 1_795_000_000_000,
    });
  });

  it('refuses text without a summary, and a summary without an accepted count, with a config error', () => {
    for (const text of [
      '',
      'generate: --rate must be a positive whole number\n',
      '{"run_id": ""}',
      JSON.stringify({ ...summary, accepted: -1 }),
    ]) {
      let error: unknown;
      try {
        parseRunSummary(text);
      } catch (e) {
        error = e;
      }
      expect(hasCode(error, 'LOGLAKE_CONFIG_INVALID'), text).toBe(true);
    }
  });
});

describe('hour folders of a run', () => {
  it('lists every UTC hour the span touches, both ends included', () => {
    expect(
      hourPrefixes('t', Date.parse('2026-11-18T23:10:00Z'), Date.parse('2026-11-19T01:00:00Z')),
    ).toEqual(['t/dt=2026-11-18/hour=23/', 't/dt=2026-11-19/hour=00/', 't/dt=2026-11-19/hour=01/']);
    expect(
      hourPrefixes('t', Date.parse('2026-11-18T05:00:00Z'), Date.parse('2026-11-18T05:59:59Z')),
    ).toEqual(['t/dt=2026-11-18/hour=05/']);
  });

  it('pads the span by how late and early event times can be, or reads the whole topic without a span', () => {
    const run = {
      run_id: 'r',
      expected: 1,
      started_at: Date.parse('2026-11-18T10:30:00Z'),
      ended_at: Date.parse('2026-11-18T10:31:00Z'),
    };
    expect(runFolders('t', run, { pastMs: 2 * 3_600_000, futureMs: 0 })).toEqual([
      't/dt=2026-11-18/hour=08/',
      't/dt=2026-11-18/hour=09/',
      't/dt=2026-11-18/hour=10/',
    ]);
    expect(runFolders('t', run, { pastMs: 0, futureMs: 30 * 60_000 })).toEqual([
      't/dt=2026-11-18/hour=10/',
      't/dt=2026-11-18/hour=11/',
    ]);
    expect(runFolders('t', { ...run, ended_at: null }, { pastMs: 0, futureMs: 0 })).toBeNull();
  });

  it("gives the same span as Iceberg's hour(ts) partition values", () => {
    const run = {
      run_id: 'r',
      expected: 1,
      started_at: Date.parse('2026-11-18T10:30:00Z'),
      ended_at: Date.parse('2026-11-18T10:31:00Z'),
    };
    const hour10 = Date.parse('2026-11-18T10:00:00Z') / 3_600_000;
    expect(runHours(run, { pastMs: 2 * 3_600_000, futureMs: 0 })).toEqual({
      from: hour10 - 2,
      to: hour10,
    });
    expect(runHours(run, { pastMs: 0, futureMs: 30 * 60_000 })).toEqual({
      from: hour10,
      to: hour10 + 1,
    });
    expect(runHours({ ...run, started_at: null }, { pastMs: 0, futureMs: 0 })).toBeNull();
  });
});

/** Kafka's offsets as the admin client reports them, moved by the test. */
function fakeKafka(ends: Record<number, [low: number, high: number]>) {
  const committed = new Map<number, number>();
  let endCalls = 0;
  const reader: OffsetsReader = {
    async topicOffsets() {
      endCalls += 1;
      // Traffic goes on after the wait started: later calls would see more.
      return Object.entries(ends).map(([p, [low, high]]) => ({
        partition: Number(p),
        low: String(low),
        high: String(high + (endCalls - 1) * 100),
      }));
    },
    async committedOffsets() {
      return Object.keys(ends).map((p) => ({
        partition: Number(p),
        offset: String(committed.get(Number(p)) ?? -1),
      }));
    },
  };
  return { reader, committed };
}

describe('waitForCommits', () => {
  it('waits until the group committed up to the end offsets it started with, reporting progress', async () => {
    const { reader, committed } = fakeKafka({ 0: [0, 50], 1: [10, 30], 2: [5, 5] });
    let t = 0;
    const progress: [number, number][] = [];
    const steps = [
      () => committed.set(0, 20),
      () => committed.set(1, 30),
      () => committed.set(0, 50),
    ];
    const wait = await waitForCommits(reader, {
      topic: 't',
      group: 'g',
      timeoutMs: 60_000,
      clock: () => t,
      sleep: async (ms) => {
        t += ms;
        steps.shift()?.();
      },
      onProgress: (behind, _ms, seen) => progress.push([behind, seen.size]),
    });
    // p0 50 and p1 20 (from its log start, nothing committed), then 30 + 20, then 30, then nothing; p2 is empty.
    expect(progress).toEqual([
      [70, 0],
      [50, 1],
      [30, 2],
    ]);
    expect(wait).toMatchObject({ group: 'g', caught_up: true, behind: 0, waited_s: 3 });
    expect(wait.committed).toEqual(
      new Map([
        [0, 50n],
        [1, 30n],
      ]),
    );
  });

  it('gives up after the time limit, saying how far behind the group is; 0 reads once', async () => {
    const { reader, committed } = fakeKafka({ 0: [0, 50] });
    committed.set(0, 40);
    let t = 0;
    const wait = await waitForCommits(reader, {
      topic: 't',
      group: 'g',
      timeoutMs: 5_000,
      pollMs: 2_000,
      clock: () => t,
      sleep: async (ms) => void (t += ms),
    });
    expect(wait).toMatchObject({ caught_up: false, behind: 10, waited_s: 5 });
    // A new wait starts from the end offsets as they are then (100 more records were produced).
    const once = await waitForCommits(reader, {
      topic: 't',
      group: 'g',
      timeoutMs: 0,
      sleep: () => Promise.reject(new Error('slept')),
    });
    expect(once).toMatchObject({ caught_up: false, behind: 110 });
    expect(once.committed.get(0)).toBe(40n);
  });
});
