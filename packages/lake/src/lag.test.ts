import { describe, expect, it } from 'vitest';
import { createLogger, createRegistry } from '@loglake/core';
import type { KafkaAdmin } from '@loglake/kafka';
import { LagMonitor } from './lag.ts';
import { createSinkMetrics, reportPendingAges } from './metrics.ts';

const logger = createLogger({ level: 'silent', name: 'test' });

/** Only the two calls the monitor makes; the rest are not reached. */
function fakeAdmin(
  ends: { partition: number; low: string; high: string }[],
  committed: { partition: number; offset: string }[],
  fail = false,
): KafkaAdmin {
  const unused = () => Promise.reject(new Error('not used'));
  return {
    connect: unused,
    disconnect: unused,
    describeCluster: unused,
    listTopics: unused,
    ensureTopic: unused,
    deleteTopics: unused,
    partitions: unused,
    deleteGroups: unused,
    deleteRecords: unused,
    topicOffsets: () => (fail ? Promise.reject(new Error('broker down')) : Promise.resolve(ends)),
    committedOffsets: () => Promise.resolve(committed.map((c) => ({ ...c, metadata: null }))),
  };
}

async function values(registry: ReturnType<typeof createRegistry>, name: string) {
  const metric = await registry.getSingleMetric(name)?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.partition, v.value]));
}

describe('LagMonitor', () => {
  it('reports log end minus committed per partition, from the log start where nothing is committed', async () => {
    const registry = createRegistry();
    const metrics = createSinkMetrics(registry);
    const admin = fakeAdmin(
      [
        { partition: 0, low: '0', high: '100' },
        { partition: 1, low: '40', high: '50' },
        { partition: 2, low: '0', high: '7' },
      ],
      [
        { partition: 0, offset: '90' },
        { partition: 1, offset: '-1' },
        { partition: 2, offset: '7' },
      ],
    );
    await new LagMonitor(admin, metrics, logger, {
      topic: 't',
      groupId: 'g',
      intervalMs: 1000,
    }).poll();
    expect(await values(registry, 'loglake_sink_consumer_lag_records')).toEqual({
      '0': 10,
      '1': 10,
      '2': 0,
    });
    expect(await values(registry, 'loglake_sink_log_end_offset')).toEqual({
      '0': 100,
      '1': 50,
      '2': 7,
    });
  });

  it('keeps the last values when Kafka cannot be asked', async () => {
    const registry = createRegistry();
    const metrics = createSinkMetrics(registry);
    const ends = [{ partition: 0, low: '0', high: '5' }];
    await new LagMonitor(fakeAdmin(ends, []), metrics, logger, {
      topic: 't',
      groupId: 'g',
      intervalMs: 1000,
    }).poll();
    await new LagMonitor(fakeAdmin(ends, [], true), metrics, logger, {
      topic: 't',
      groupId: 'g',
      intervalMs: 1000,
    }).poll();
    expect(await values(registry, 'loglake_sink_consumer_lag_records')).toEqual({ '0': 5 });
  });
});

describe('reportPendingAges', () => {
  it('sets lag seconds per owned partition and freshness to the oldest of them', async () => {
    const registry = createRegistry();
    const metrics = createSinkMetrics(registry);
    reportPendingAges(
      metrics,
      't',
      [
        { partition: 0, oldestReceivedAt: 10_000 },
        { partition: 1, oldestReceivedAt: null },
        { partition: 2, oldestReceivedAt: 25_000 },
      ],
      40_000,
    );
    expect(await values(registry, 'loglake_sink_consumer_lag_seconds')).toEqual({
      '0': 30,
      '1': 0,
      '2': 15,
    });
    expect(
      (await registry.getSingleMetric('loglake_sink_oldest_pending_event_age_seconds')?.get())
        ?.values[0]?.value,
    ).toBe(30);
    // A partition given up disappears from the next report.
    reportPendingAges(metrics, 't', [{ partition: 1, oldestReceivedAt: null }], 41_000);
    expect(await values(registry, 'loglake_sink_consumer_lag_seconds')).toEqual({ '1': 0 });
    expect(
      (await registry.getSingleMetric('loglake_sink_oldest_pending_event_age_seconds')?.get())
        ?.values[0]?.value,
    ).toBe(0);
  });
});
