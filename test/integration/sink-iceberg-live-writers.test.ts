import { describe, expect, inject } from 'vitest';
import { test, waitUntil } from '../support/fixtures.ts';
import {
  icebergSinkEnv,
  pyIcebergRead,
  readTable,
  tableCaughtUp,
  testTable,
  type TestTable,
} from '../support/iceberg-sink.ts';
import { useIcebergCatalog } from '../support/iceberg.ts';
import { matching, startS3Proxy, type S3FaultProxy } from '../support/s3-proxy.ts';
import { metricValue, produceEvents, startSink, type SinkUnderTest } from '../support/sink.ts';

const catalogInfo = useIcebergCatalog();

/** A metric of a sink that is not frozen (a frozen one answers nothing: give up after 2 s). */
async function metric(sink: SinkUnderTest, name: string): Promise<number> {
  const res = await fetch(`${sink.adminUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
  return metricValue(await res.text(), name);
}

const when = (ok: boolean) => (ok ? true : undefined);

/** Two sinks on one group, the broker's minimum session, data file uploads slowed by a proxy. */
function liveEnv(
  t: TestTable,
  s3: S3FaultProxy,
  catalogUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...icebergSinkEnv(t, catalogUrl),
    S3_ENDPOINT: s3.url,
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

describe('sinks with two live writers, iceberg mode', () => {
  test('a sink frozen past its session with its table commit on the wire wakes as a zombie after the new owner committed: the late commit is refused, exactly once, three rounds both ways', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const t = testTable(store);
    const s3 = await startS3Proxy({ target: inject('s3').endpoint });
    s3.latency({ minMs: 50, maxMs: 300, seed: 7, match: matching('PUT', /\.parquet$/) });
    // Each sink reaches the catalog through a proxy of its own: the test holds one sink's commit.
    const catalogs = [
      await startS3Proxy({ target: catalogInfo().url }),
      await startS3Proxy({ target: catalogInfo().url }),
    ] as const;
    const commit = matching('POST', new RegExp(`namespaces/${t.namespace}/tables/${t.table}$`));
    const sinks = [
      await startSink(kafka, topic, dlqTopic, groupId, store.url, liveEnv(t, s3, catalogs[0].url)),
      await startSink(kafka, topic, dlqTopic, groupId, store.url, liveEnv(t, s3, catalogs[1].url)),
    ] as const;
    let total = 0;
    let lateCommits = 0;
    /** Ranges the table refused (OFFSETS_MOVED), over both sinks. */
    let refused = 0;
    try {
      for (let round = 0; round < 3; round += 1) {
        const v = round % 2;
        const victim = sinks[v] as SinkUnderTest;
        const other = sinks[1 - v] as SinkUnderTest;
        const victimCatalog = catalogs[v] as S3FaultProxy;
        await waitUntil(
          'the victim owns partitions',
          async () => when((await metric(victim, 'loglake_sink_assigned_partitions')) > 0),
          60_000,
          100,
        );
        victimCatalog.hold(commit);
        await produceEvents(kafka, topic, 6000, `iz${round}a`, { spreadHours: 3 });
        total += 6000;
        await victimCatalog.whenHeld(1, 60_000);
        victim.freeze();
        try {
          const before = (await readTable(catalogInfo().url, t, store, topic)).snapshotId;
          await waitUntil(
            'the other member owns every partition',
            async () => when((await metric(other, 'loglake_sink_assigned_partitions')) === 3),
            60_000,
            200,
          );
          await produceEvents(kafka, topic, 2000, `iz${round}b`, { spreadHours: 3 });
          total += 2000;
          // The new owner commits on top of what the zombie's held commit was built on.
          await waitUntil(
            'the new owner committed',
            async () =>
              when((await readTable(catalogInfo().url, t, store, topic)).snapshotId !== before),
            60_000,
            200,
          );
        } finally {
          victim.thaw();
        }
        // The zombie's commit reaches the catalog now, on a stale snapshot.
        victimCatalog.release();
        lateCommits += 1;
        await waitUntil(
          'the victim rejoined',
          async () => when((await metric(victim, 'loglake_sink_assigned_partitions')) > 0),
          90_000,
          200,
        );
      }
      await waitUntil(
        'the table and the group at the end of every partition',
        async () => when(await tableCaughtUp(catalogInfo().url, t, store, admin, groupId, topic)),
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
        refused += await metric(s, 'loglake_sink_ranges_moved_total');
      }
    } finally {
      for (const s of sinks) await s.stop();
      for (const c of catalogs) await c.stop();
      await s3.stop();
    }
    expect(lateCommits).toBe(3);
    // Each round the zombie's late commit and the new owner's ranges overlap on some partition: one
    // of the two is refused (whichever reached the table second), at least once a round.
    expect(refused).toBeGreaterThanOrEqual(3);
    const table = await readTable(catalogInfo().url, t, store, topic);
    expect(table).toMatchObject({ rows: total, missing: [] });
    const read = await pyIcebergRead(catalogInfo().url, t);
    expect(read).toMatchObject({ rows: total, distinct_event_ids: total });
  }, 600_000);

  test('a second sink joins and leaves three times while uploads are slow and flushes sit at their limit: nothing stays paused, exactly once', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const t = testTable(store);
    const s3 = await startS3Proxy({ target: inject('s3').endpoint });
    s3.latency({ minMs: 300, maxMs: 1500, seed: 11, match: matching('PUT', /\.parquet$/) });
    const env = liveEnv(t, s3, catalogInfo().url, {
      SINK_MAX_FLUSHES_IN_FLIGHT: '2',
      SINK_FLUSH_MAX_ROWS: '1000',
    });
    const main = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
    let total = 0;
    let atLimit = 0;
    try {
      await produceEvents(kafka, topic, 10_000, 'ibp', { spreadHours: 2 });
      total += 10_000;
      for (let round = 0; round < 3; round += 1) {
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
          await produceEvents(kafka, topic, 2000, `ibp${round}`, { spreadHours: 2 });
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
        'the table and the group at the end of every partition',
        async () => when(await tableCaughtUp(catalogInfo().url, t, store, admin, groupId, topic)),
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
      await s3.stop();
    }
    expect(atLimit).toBe(3);
    const table = await readTable(catalogInfo().url, t, store, topic);
    expect(table).toMatchObject({ rows: total, missing: [] });
    const read = await pyIcebergRead(catalogInfo().url, t);
    expect(read).toMatchObject({ rows: total, distinct_event_ids: total });
  }, 600_000);
});
