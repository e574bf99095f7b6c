import { describe, expect, inject } from 'vitest';
import { test, waitUntil } from '../support/fixtures.ts';
import {
  icebergSinkEnv,
  pyIcebergRead,
  readTable,
  tableCaughtUp,
  testTable,
} from '../support/iceberg-sink.ts';
import { useIcebergCatalog } from '../support/iceberg.ts';
import { matching, startS3Proxy } from '../support/s3-proxy.ts';
import { startService } from '../support/processes.ts';
import { metricValue, produceEvents, startSink, type SinkUnderTest } from '../support/sink.ts';

const catalogInfo = useIcebergCatalog();
const TOTAL = 40_000;
/** Events produced after the last restart, whose commit answer is lost. */
const LATE = 2_000;
const when = (ok: boolean) => (ok ? true : undefined);

describe('sink crashes in iceberg mode', () => {
  test('SIGKILL between data files and table commit, and between table commit and Kafka commit, twice each: every event in the table exactly once', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    await produceEvents(kafka, topic, TOTAL, 'icrash', { spreadHours: 3, run: 'icrash' });
    const t = testTable(store);
    // The catalog behind a proxy: the test sees each commit request and decides when the sink dies.
    const proxy = await startS3Proxy({ target: catalogInfo().url });
    const commit = matching('POST', new RegExp(`namespaces/${t.namespace}/tables/${t.table}$`));
    const env = {
      ...icebergSinkEnv(t, proxy.url),
      SINK_FLUSH_MAX_ROWS: '2500',
      SINK_MAX_FLUSHES_IN_FLIGHT: '2',
      SINK_SESSION_TIMEOUT_MS: '6000',
      SINK_REBALANCE_TIMEOUT_MS: '10000',
      SINK_HEARTBEAT_INTERVAL_MS: '1000',
    };
    const start = () => startSink(kafka, topic, dlqTopic, groupId, store.url, env);
    let sink: SinkUnderTest = await start();
    let aheadOfGroup = 0;
    let lostAnswer = false;
    let refusedAfterLostAnswer = NaN;
    try {
      for (let round = 0; round < 4; round += 1) {
        const before = await readTable(catalogInfo().url, t, store, topic);
        if (round % 2 === 0) {
          // Data files are written and the commit is on its way: the catalog never sees it.
          proxy.hold(commit);
          await proxy.whenHeld(1, 60_000);
          await sink.kill();
          // The proxy learns that the killed sink's connection closed a moment after the kill; only
          // then is the held commit dropped on release rather than sent on the dead client's behalf.
          await waitUntil(
            'the proxy to see the killed sink hang up',
            () => Promise.resolve(when(proxy.held() === 0)),
            10_000,
            10,
          );
          proxy.release(); // the held request's client is gone: it is dropped, never sent
          const after = await readTable(catalogInfo().url, t, store, topic);
          expect(after.snapshotId).toBe(before.snapshotId);
          expect(after.orphans.length).toBeGreaterThan(before.orphans.length);
        } else {
          // The catalog applies the commit; the sink dies before it hears so (no Kafka commit follows).
          const dying: { exited: Promise<void> | null } = { exited: null };
          proxy.loseResponse(commit, {
            times: 1,
            onAnswered: () => {
              dying.exited = sink.kill();
            },
          });
          await waitUntil(
            'the commit applied and the sink killed',
            async () => when(dying.exited !== null),
            60_000,
            20,
          );
          await dying.exited;
          const after = await readTable(catalogInfo().url, t, store, topic);
          expect(after.snapshotId).not.toBe(before.snapshotId);
          const committed = await admin.committedOffsets(groupId, topic);
          const ahead = [...after.recorded].some(
            ([p, next]) => next > BigInt(committed.find((c) => c.partition === p)?.offset ?? '-1'),
          );
          if (ahead) aheadOfGroup += 1;
        }
        proxy.clear();
        sink = await start();
      }
      // Last, the answer to a commit the catalog applied is lost and the sink lives on: it must
      // find its snapshot on main's ancestry (rule 3), not commit again, and not be refused.
      proxy.loseResponse(commit, { times: 1, onAnswered: () => (lostAnswer = true) });
      await produceEvents(kafka, topic, LATE, 'icrash-late', { spreadHours: 3 });
      await waitUntil(
        'the table and the group at the end of every partition',
        async () => when(await tableCaughtUp(catalogInfo().url, t, store, admin, groupId, topic)),
        240_000,
        500,
      );
      refusedAfterLostAnswer = metricValue(await sink.metrics(), 'loglake_sink_ranges_moved_total');
    } finally {
      await sink.stop();
      await proxy.stop();
    }
    // The table was ahead of the group after each kill that followed an applied commit: the
    // restarted sink had to start from the table's offsets, not the group's.
    expect(aheadOfGroup).toBe(2);
    expect(lostAnswer).toBe(true);
    expect(refusedAfterLostAnswer).toBe(0);
    const table = await readTable(catalogInfo().url, t, store, topic);
    expect(table).toMatchObject({ rows: TOTAL + LATE, missing: [] });
    expect(table.orphans.length).toBeGreaterThanOrEqual(2);
    const read = await pyIcebergRead(catalogInfo().url, t);
    expect(read).toMatchObject({ rows: TOTAL + LATE, distinct_event_ids: TOTAL + LATE });
    // pnpm lake:check through the table: no findings, the orphans reported as such.
    const s3 = inject('s3');
    const cliEnv = {
      ...icebergSinkEnv(t, catalogInfo().url),
      KAFKA_BROKERS: kafka.brokers.join(','),
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      SINK_TOPIC: topic,
      SINK_GROUP_ID: groupId,
    };
    const check = startService('sink', cliEnv, ['--table-format', 'iceberg'], 'lake-check.ts');
    expect(await check.exited, check.output()).toBe(0);
    const report = JSON.parse(
      check
        .output()
        .split('\n')
        .find((l) => l.startsWith('{')) ?? '{}',
    ) as { rows: number; ok: boolean; orphans: string[]; findings: unknown[] };
    expect(report).toMatchObject({ rows: TOTAL + LATE, ok: true, findings: [] });
    expect(report.orphans).toEqual(table.orphans);
    // pnpm verify through the table: the run's 40,000 events, each once.
    const verify = startService(
      'generator',
      cliEnv,
      [
        '--run',
        'icrash',
        '--expected',
        String(TOTAL),
        '--topic',
        topic,
        '--group',
        groupId,
        '--wait',
        '0',
        '--table-format',
        'iceberg',
      ],
      'verify.ts',
    );
    expect(await verify.exited, verify.output()).toBe(0);
    const verified = JSON.parse(verify.output().trim().split('\n').at(-1) ?? '{}') as unknown;
    expect(verified).toMatchObject({ expected: TOTAL, found: TOTAL, missing: 0, duplicated: 0 });
    // Without a run summary the run's hours are unknown: every data file of the snapshot was read.
    const scope = (verified as { table?: { files_read: number; files_live: number; hours: null } })
      .table;
    expect(scope?.hours).toBeNull();
    expect(scope?.files_read).toBeGreaterThan(0);
    expect(scope?.files_read).toBe(scope?.files_live);
  }, 420_000);

  test('records deleted from Kafka before the sink read them are declared lost in the commit, the rest land once', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const t = testTable(store);
    const env = icebergSinkEnv(t, catalogInfo().url);
    const first = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
    await produceEvents(kafka, topic, 3000, 'iret1', { spreadHours: 2 });
    try {
      await waitUntil(
        'the first 3,000 in the table',
        async () => when(await tableCaughtUp(catalogInfo().url, t, store, admin, groupId, topic)),
        120_000,
        200,
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const recorded = (await readTable(catalogInfo().url, t, store, topic)).recorded.get(0) ?? -1n;
    await produceEvents(kafka, topic, 3000, 'iret2', { spreadHours: 2 });
    const end = BigInt((await admin.topicOffsets(topic)).find((o) => o.partition === 0)?.high ?? 0);
    expect(end - recorded).toBeGreaterThan(100n);
    // Retention removes 100 records of partition 0 the sink never read.
    await admin.deleteRecords(topic, 0, (recorded + 100n).toString());
    const second = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
    let lost = NaN;
    try {
      await waitUntil(
        'the table and the group at the end of every partition',
        async () => when(await tableCaughtUp(catalogInfo().url, t, store, admin, groupId, topic)),
        120_000,
        200,
      );
      lost = metricValue(await second.metrics(), 'loglake_sink_lost_records_total');
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(lost).toBe(100);
    const table = await readTable(catalogInfo().url, t, store, topic);
    expect(table).toMatchObject({ rows: 6000 - 100, missing: [] });
    expect(table.losses).toEqual([`{"0":[${recorded},${recorded + 100n}]}`]);
    const read = await pyIcebergRead(catalogInfo().url, t);
    expect(read).toMatchObject({ rows: 5900, distinct_event_ids: 5900 });
  }, 300_000);
});
