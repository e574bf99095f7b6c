import { describe, expect, inject } from 'vitest';
import { test, waitUntil } from '../support/fixtures.ts';
import { auditAfterRun, checkLake } from '../support/lake.ts';
import { startS3Proxy, type S3FaultProxy } from '../support/s3-proxy.ts';
import {
  allCommitted,
  metricValue,
  produceEvents,
  startSink,
  type SinkUnderTest,
} from '../support/sink.ts';

/** A metric of a sink that is not frozen (a frozen one answers nothing: give up after 2 s). */
async function metric(sink: SinkUnderTest, name: string): Promise<number> {
  const res = await fetch(`${sink.adminUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
  return metricValue(await res.text(), name);
}

const when = (ok: boolean) => (ok ? true : undefined);

/** Two sinks on one group, the broker's minimum session, S3 slowed by a proxy in front of it. */
function liveEnv(proxy: S3FaultProxy, extra: Record<string, string> = {}): Record<string, string> {
  return {
    S3_ENDPOINT: proxy.url,
    SINK_FLUSH_MAX_ROWS: '800',
    SINK_FLUSH_MAX_AGE_MS: '1000',
    SINK_MAX_FLUSHES_IN_FLIGHT: '4',
    SINK_SESSION_TIMEOUT_MS: '6000',
    SINK_REBALANCE_TIMEOUT_MS: '10000',
    SINK_HEARTBEAT_INTERVAL_MS: '1000',
    SINK_RETRY_MAX_MS: '1000',
    ...extra,
  };
}

describe('sinks with two live writers', () => {
  test('a sink frozen past its session while its flushes are in flight wakes as a zombie beside the new owner: exactly once, five rounds both ways', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const proxy = await startS3Proxy({ target: inject('s3').endpoint });
    proxy.latency({ minMs: 50, maxMs: 400, seed: 7 });
    const sinks = [
      await startSink(kafka, topic, dlqTopic, groupId, store.url, liveEnv(proxy)),
      await startSink(kafka, topic, dlqTopic, groupId, store.url, liveEnv(proxy)),
    ] as const;
    let total = 0;
    let frozenMidFlush = 0;
    try {
      for (let round = 0; round < 5; round += 1) {
        const victim = sinks[round % 2] as SinkUnderTest;
        const other = sinks[(round + 1) % 2] as SinkUnderTest;
        await produceEvents(kafka, topic, 6000, `z${round}a`, { spreadHours: 3 });
        total += 6000;
        await waitUntil(
          'the victim owns partitions',
          async () => when((await metric(victim, 'loglake_sink_assigned_partitions')) > 0),
          60_000,
          100,
        );
        await waitUntil(
          'the victim mid-flush',
          async () => when((await metric(victim, 'loglake_sink_flushes_in_flight')) > 0),
          60_000,
          10,
        );
        victim.freeze();
        frozenMidFlush += 1;
        try {
          // Past the session: the group gives every partition to the other member.
          await waitUntil(
            'the other member owns every partition',
            async () => when((await metric(other, 'loglake_sink_assigned_partitions')) === 3),
            60_000,
            200,
          );
          await produceEvents(kafka, topic, 2000, `z${round}b`, { spreadHours: 3 });
          total += 2000;
        } finally {
          victim.thaw();
        }
        // The zombie's flushes go on until it hears it was evicted; then it rejoins.
        await waitUntil(
          'the victim rejoined',
          async () => when((await metric(victim, 'loglake_sink_assigned_partitions')) > 0),
          90_000,
          200,
        );
      }
      await waitUntil(
        'every partition committed to its end',
        async () => when(await allCommitted(admin, groupId, topic)),
        180_000,
        500,
      );
      for (const s of sinks) {
        await waitUntil(
          'no partition paused',
          async () => when((await metric(s, 'loglake_sink_paused_partitions')) === 0),
          30_000,
          200,
        );
      }
    } finally {
      for (const s of sinks) await s.stop();
      await proxy.stop();
    }
    expect(frozenMidFlush).toBe(5);
    expect(await checkLake(store, topic)).toMatchObject({
      rows: total,
      distinct: total,
      misplaced: 0,
    });
    const audit = await auditAfterRun(store, admin, groupId, topic);
    expect(audit.findings).toEqual([]);
    expect(audit.totals.rows).toBe(total);
  }, 600_000);

  test('a second sink joins and leaves five times while S3 is slow and flushes sit at their limit: nothing stays paused, exactly once', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const proxy = await startS3Proxy({ target: inject('s3').endpoint });
    proxy.latency({ minMs: 300, maxMs: 1500, seed: 11 });
    const env = liveEnv(proxy, { SINK_MAX_FLUSHES_IN_FLIGHT: '2', SINK_FLUSH_MAX_ROWS: '1000' });
    const main = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
    let total = 0;
    let atLimit = 0;
    try {
      await produceEvents(kafka, topic, 12_000, 'bp', { spreadHours: 2 });
      total += 12_000;
      for (let round = 0; round < 5; round += 1) {
        await waitUntil(
          'flushes at their limit',
          async () => when((await metric(main, 'loglake_sink_flushes_in_flight')) === 2),
          60_000,
          20,
        );
        atLimit += 1;
        const joiner = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
        try {
          await waitUntil(
            'the joiner owns partitions',
            async () => when((await metric(joiner, 'loglake_sink_assigned_partitions')) > 0),
            60_000,
            200,
          );
          await produceEvents(kafka, topic, 2000, `bp${round}`, { spreadHours: 2 });
          total += 2000;
        } finally {
          expect(await joiner.stop()).toBe(0);
        }
        await waitUntil(
          'the first sink owns every partition again',
          async () => when((await metric(main, 'loglake_sink_assigned_partitions')) === 3),
          60_000,
          200,
        );
      }
      await waitUntil(
        'every partition committed to its end',
        async () => when(await allCommitted(admin, groupId, topic)),
        240_000,
        500,
      );
      await waitUntil(
        'no partition paused',
        async () => when((await metric(main, 'loglake_sink_paused_partitions')) === 0),
        30_000,
        200,
      );
    } finally {
      await main.stop();
      await proxy.stop();
    }
    expect(atLimit).toBe(5);
    expect(await checkLake(store, topic)).toMatchObject({
      rows: total,
      distinct: total,
      misplaced: 0,
    });
    expect((await auditAfterRun(store, admin, groupId, topic)).findings).toEqual([]);
  }, 600_000);
});
