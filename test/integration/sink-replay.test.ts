import { describe, expect, inject } from 'vitest';
import type { Intent } from '@loglake/lake';
import type { ObjectStore } from '@loglake/object-store';
import { test, waitUntil } from '../support/fixtures.ts';
import { auditAfterRun, checkLake } from '../support/lake.ts';
import { matching, startS3Proxy } from '../support/s3-proxy.ts';
import { allCommitted, metricValue, produceEvents, startSink } from '../support/sink.ts';

const MiB = 1024 * 1024;
const when = (ok: boolean) => (ok ? true : undefined);
const parquetPuts = matching('PUT', /\.parquet$/);

async function intentsOf(store: ObjectStore, topic: string): Promise<Intent[]> {
  const out: Intent[] = [];
  for await (const o of store.list(`_loglake/intents/${topic}/`)) {
    out.push(JSON.parse((await store.get(o.key)).toString()) as Intent);
  }
  return out;
}

describe('sink replays at the edges', () => {
  test('SIGKILL between the intents and their objects, restart with half the memory budget: recorded ranges larger than the budget are replayed exactly once', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const proxy = await startS3Proxy({ target: inject('s3').endpoint });
    const base = {
      S3_ENDPOINT: proxy.url,
      SINK_SESSION_TIMEOUT_MS: '6000',
      SINK_HEARTBEAT_INTERVAL_MS: '1000',
    };
    // One range per partition, cut by age once everything is read: ~20,000 events, ~8 MB each.
    const first = await startSink(kafka, topic, dlqTopic, groupId, store.url, {
      ...base,
      SINK_FLUSH_MAX_AGE_MS: '8000',
      SINK_FLUSH_MAX_BYTES: String(64 * MiB),
      SINK_MEMORY_BUDGET_BYTES: String(128 * MiB),
    });
    proxy.hold(parquetPuts);
    await produceEvents(kafka, topic, 60_000, 'replay', { spreadHours: 2 });
    try {
      await proxy.whenHeld(1, 120_000);
      await waitUntil(
        'an intent for every partition',
        async () => when((await intentsOf(store, topic)).length === 3),
        120_000,
        200,
      );
    } finally {
      await first.kill();
      // The dead writer's parked object writes are dropped with its connections, never sent.
      await waitUntil('parked writes dropped', async () => when(proxy.held() === 0), 10_000, 20);
      proxy.clear();
    }
    const intents = await intentsOf(store, topic);
    expect(
      intents.map((i) => i.files.reduce((n, f) => n + f.rows, 0)).reduce((a, b) => a + b, 0),
    ).toBe(60_000);
    // Half the budget: each recorded range (~8 MB) is more than a third of it, all three more than all of it.
    const second = await startSink(kafka, topic, dlqTopic, groupId, store.url, {
      ...base,
      SINK_FLUSH_MAX_AGE_MS: '1000',
      SINK_FLUSH_MAX_BYTES: String(8 * MiB),
      SINK_MEMORY_BUDGET_BYTES: String(16 * MiB),
    });
    try {
      await waitUntil(
        'every partition committed to its end',
        async () => when(await allCommitted(admin, groupId, topic)),
        180_000,
        500,
      );
      expect(metricValue(await second.metrics(), 'loglake_sink_paused_partitions')).toBe(0);
      expect(metricValue(await second.metrics(), 'loglake_sink_intents_followed_total')).toBe(3);
    } finally {
      expect(await second.stop()).toBe(0);
      await proxy.stop();
    }
    expect(await checkLake(store, topic)).toMatchObject({
      rows: 60_000,
      distinct: 60_000,
      misplaced: 0,
    });
    expect((await auditAfterRun(store, admin, groupId, topic)).findings).toEqual([]);
  }, 420_000);

  test('records deleted past the first offset of an intent whose objects were never written: the loss is recorded and counted, nothing written shorter, the partition moves on', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const proxy = await startS3Proxy({ target: inject('s3').endpoint });
    const env = {
      S3_ENDPOINT: proxy.url,
      SINK_FLUSH_MAX_ROWS: '1000',
      SINK_FLUSH_MAX_AGE_MS: '1000',
      SINK_SESSION_TIMEOUT_MS: '6000',
      SINK_HEARTBEAT_INTERVAL_MS: '1000',
    };
    const first = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
    proxy.hold(parquetPuts);
    await produceEvents(kafka, topic, 9000, 'ret', { spreadHours: 2 });
    try {
      await waitUntil(
        'intents recorded',
        async () => when((await intentsOf(store, topic)).some((i) => i.first === '0')),
        60_000,
        100,
      );
    } finally {
      await first.kill();
      // The dead writer's parked object writes are dropped with its connections, never sent.
      await waitUntil('parked writes dropped', async () => when(proxy.held() === 0), 10_000, 20);
      proxy.clear();
    }
    const victim = (await intentsOf(store, topic)).find((i) => i.first === '0') as Intent;
    // Offsets 0..9 of the victim's partition go; the objects holding them can no longer be made whole.
    await admin.deleteRecords(topic, victim.partition, '10');
    const second = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
    let counted = NaN;
    try {
      await waitUntil(
        'every partition committed to its end',
        async () => when(await allCommitted(admin, groupId, topic)),
        120_000,
        500,
      );
      counted = metricValue(await second.metrics(), 'loglake_sink_lost_records_total');
    } finally {
      expect(await second.stop()).toBe(0);
      await proxy.stop();
    }
    // Each recorded object is either whole (its rows all still in Kafka) or absent: never shorter.
    const missing = [];
    for (const f of victim.files) if ((await store.head(f.key)) === null) missing.push(f);
    const lostRows = missing.reduce((n, f) => n + f.rows, 0);
    expect(missing.length).toBeGreaterThan(0);
    expect(counted).toBe(lostRows);
    expect(await checkLake(store, topic)).toMatchObject({
      rows: 9000 - lostRows,
      distinct: 9000 - lostRows,
      misplaced: 0,
    });
    const audit = await auditAfterRun(store, admin, groupId, topic);
    expect(audit.findings.map((f) => `${f.kind} ${f.key ?? ''}`).sort()).toEqual(
      missing.map((f) => `recorded_loss ${f.key}`).sort(),
    );
    expect(audit.totals.lost_rows).toBe(lostRows);
  }, 300_000);
});
