import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoglakeError, createRegistry, type Logger } from '@loglake/core';
import {
  MAX_UNCOMMITTED_FILE_AGE_MS,
  type AppendResult,
  type AppendTarget,
  type CommitRangesResult,
  type RangeFiles,
} from '@loglake/iceberg';
import { createSinkMetrics } from './metrics.ts';
import {
  TableCommitter,
  type CommitOutcome,
  type CommitRangesFn,
  type TableRange,
} from './table-committer.ts';

/** A target no test here may reach: commits go through the fake `commit` below. */
const unreachable = new Proxy({} as AppendTarget, {
  get: () => {
    throw new Error('the committer tried to reach the catalog');
  },
});

/** Never reached by a test unless it advances the fake clock this far. */
const HOUR = 3_600_000;
const NOW = 10 * MAX_UNCOMMITTED_FILE_AGE_MS;

const range = (partition: number, first: bigint, writtenAt = NOW): TableRange => ({
  partition,
  first,
  next: first + 10n,
  files: [],
  writtenAt,
});

/** `commitRanges` as the test decides: each call waits until `land` or `fail` answers it. */
function fakeCommit() {
  const calls: (readonly RangeFiles[])[] = [];
  const answers: {
    resolve: (r: CommitRangesResult) => void;
    reject: (e: unknown) => void;
    ranges: readonly RangeFiles[];
  }[] = [];
  const commit: CommitRangesFn = (_target, _topic, ranges) => {
    calls.push(ranges);
    return new Promise((resolve, reject) => answers.push({ resolve, reject, ranges }));
  };
  return {
    calls,
    commit,
    land: (snapshotId = 7n) => {
      const a = answers.shift();
      const append = { snapshot: { 'snapshot-id': snapshotId }, attempts: 1 } as AppendResult;
      a?.resolve({ append, committed: a.ranges, moved: [] });
    },
    fail: (error: unknown) => answers.shift()?.reject(error),
  };
}

function setup(intervalMs = HOUR) {
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>) => lines.push({ level, fields });
  const logger = { info: log('info'), warn: log('warn'), error: log('error') } as unknown as Logger;
  const metrics = createSinkMetrics(createRegistry({ service: 'test' }));
  const fake = fakeCommit();
  const committer = new TableCommitter({
    target: unreachable,
    topic: 'events',
    intervalMs,
    metrics,
    logger,
    now: () => NOW,
    commit: fake.commit,
  });
  const gauge = async () => (await metrics.tableCommitBlocked.get()).values[0]?.value;
  return { committer, fake, lines, metrics, gauge };
}

/** Records a promise's outcome when it settles, so a test can assert it has not yet. */
function watch(outcome: Promise<CommitOutcome>): { value: CommitOutcome | null } {
  const seen = { value: null as CommitOutcome | null };
  void outcome.then((o) => (seen.value = o));
  return seen;
}

/** Runs what is due now on the fake clock (an immediate, not the interval) and what it chains. */
const turn = () => vi.advanceTimersByTimeAsync(0);

describe('TableCommitter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives up a range whose files are older than the orphan-cleanup limit, without committing it', async () => {
    const { committer, fake, metrics } = setup();
    const old = committer.submit(range(0, 0n, NOW - MAX_UNCOMMITTED_FILE_AGE_MS - 1), () => false);
    const gone = committer.submit(range(1, 0n), () => true);
    await committer.round();
    expect(await old).toEqual({ status: 'expired' });
    expect(await gone).toEqual({ status: 'abandoned' });
    expect(fake.calls).toHaveLength(0);
    expect(committer.backlog).toBe(0);
    expect((await metrics.rangesExpired.get()).values[0]?.value).toBe(1);
  });

  it('commits what was submitted at the interval, not before (while the sink runs)', async () => {
    const { committer, fake } = setup(1000);
    committer.start();
    const outcome = watch(committer.submit(range(0, 0n), () => false));
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls).toHaveLength(1);
    fake.land(11n);
    await turn();
    expect(outcome.value).toEqual({ status: 'committed', snapshotId: 11n });
    await committer.close();
  });

  it('once draining, commits ranges as they arrive (together in one commit), never waiting for the interval', async () => {
    const { committer, fake } = setup();
    committer.start();
    const before = watch(committer.submit(range(0, 0n), () => false));
    committer.drain();
    const a = watch(committer.submit(range(1, 0n), () => false));
    const b = watch(committer.submit(range(2, 0n), () => false));
    await turn();
    // One commit of the range pending before the drain and the two handed over with it.
    expect(fake.calls.map((c) => c.map((r) => r.partition))).toEqual([[0, 1, 2]]);
    fake.land(12n);
    await turn();
    for (const o of [before, a, b])
      expect(o.value).toEqual({ status: 'committed', snapshotId: 12n });
    expect(committer.backlog).toBe(0);
    await committer.close();
  });

  it('once draining, follows a running round with another for the ranges that arrived meanwhile', async () => {
    const { committer, fake } = setup();
    committer.start();
    committer.drain();
    const first = watch(committer.submit(range(0, 0n), () => false));
    await turn();
    expect(fake.calls).toHaveLength(1);
    const later = [0, 1].map((p) =>
      watch(committer.submit(range(p, 10n * BigInt(p + 1)), () => false)),
    );
    await turn();
    // Never two rounds at once: the second waits for the first's answer.
    expect(fake.calls).toHaveLength(1);
    fake.land(13n);
    await turn();
    expect(first.value).toEqual({ status: 'committed', snapshotId: 13n });
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1]?.map((r) => [r.partition, r.first])).toEqual([
      [0, 10n],
      [1, 20n],
    ]);
    fake.land(14n);
    await turn();
    for (const o of later) expect(o.value).toEqual({ status: 'committed', snapshotId: 14n });
    await committer.close();
  });

  it('close() commits what is pending in a last round, answering abandoned ranges without committing them', async () => {
    const { committer, fake } = setup();
    committer.start();
    const live = watch(committer.submit(range(0, 0n), () => false));
    const gone = watch(committer.submit(range(1, 0n), () => true));
    const closed = committer.close();
    await turn();
    expect(fake.calls.map((c) => c.map((r) => r.partition))).toEqual([[0]]);
    fake.land(15n);
    await closed;
    expect(live.value).toEqual({ status: 'committed', snapshotId: 15n });
    expect(gone.value).toEqual({ status: 'abandoned' });
    expect(committer.backlog).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() waits for a running round, then commits what arrived meanwhile', async () => {
    const { committer, fake } = setup();
    const first = watch(committer.submit(range(0, 0n), () => false));
    void committer.round();
    const second = watch(committer.submit(range(0, 10n), () => false));
    const closed = committer.close();
    await turn();
    expect(fake.calls).toHaveLength(1);
    fake.land(16n);
    await turn();
    expect(fake.calls.map((c) => c.map((r) => r.first))).toEqual([[0n], [10n]]);
    fake.land(17n);
    await closed;
    expect(first.value).toEqual({ status: 'committed', snapshotId: 16n });
    expect(second.value).toEqual({ status: 'committed', snapshotId: 17n });
  });

  it('a failure retrying cannot fix is logged as an error with its code and sets the blocked gauge; its ranges stay pending, in order, and land once', async () => {
    const { committer, fake, lines, metrics, gauge } = setup();
    const a = watch(committer.submit(range(0, 0n), () => false));
    const round = committer.round();
    const b = watch(committer.submit(range(0, 10n), () => false));
    fake.fail(
      new LoglakeError('LOGLAKE_ICEBERG_REQUEST_FAILED', 'commit: HTTP 400 BadRequestException', {
        retryable: false,
      }),
    );
    await round;
    expect(a.value).toBeNull();
    expect(committer.backlog).toBe(2);
    expect(await gauge()).toBe(1);
    expect((await metrics.tableCommitFailures.get()).values[0]?.value).toBe(1);
    expect(lines.filter((l) => l.fields.event === 'sink_table_commit_failed')).toEqual([
      {
        level: 'error',
        fields: expect.objectContaining({
          code: 'LOGLAKE_ICEBERG_REQUEST_FAILED',
          retryable: false,
          ranges: 1,
        }),
      },
    ]);

    // The cause fixed: the next round commits both, the failed one first, each once.
    const next = committer.round();
    expect(fake.calls.map((c) => c.map((r) => r.first))).toEqual([[0n], [0n, 10n]]);
    fake.land(18n);
    await next;
    expect(a.value).toEqual({ status: 'committed', snapshotId: 18n });
    expect(b.value).toEqual({ status: 'committed', snapshotId: 18n });
    expect(await gauge()).toBe(0);
    expect(committer.backlog).toBe(0);
  });

  it('a failure retrying may fix stays a warning and leaves the blocked gauge as it was', async () => {
    const { committer, fake, lines, gauge } = setup();
    const a = watch(committer.submit(range(0, 0n), () => false));
    const failWith = async (retryable: boolean) => {
      const round = committer.round();
      fake.fail(
        retryable
          ? new LoglakeError('LOGLAKE_ICEBERG_UNAVAILABLE', 'load-table: ECONNRESET', {
              retryable: true,
            })
          : new LoglakeError('LOGLAKE_ICEBERG_AUTH_FAILED', 'commit: HTTP 403', {
              retryable: false,
            }),
      );
      await round;
    };
    await failWith(true);
    expect(await gauge()).toBe(0);
    expect(lines.find((l) => l.fields.event === 'sink_table_commit_failed')).toMatchObject({
      level: 'warn',
      fields: { code: 'LOGLAKE_ICEBERG_UNAVAILABLE', retryable: true },
    });
    // Blocked, then a time-out: still blocked (a cause alternating with time-outs must not hide).
    await failWith(false);
    expect(await gauge()).toBe(1);
    await failWith(true);
    expect(await gauge()).toBe(1);
    expect(committer.backlog).toBe(1);
    const round = committer.round();
    fake.land(21n);
    await round;
    expect(a.value).toEqual({ status: 'committed', snapshotId: 21n });
    expect(await gauge()).toBe(0);
  });
});
