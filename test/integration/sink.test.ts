import { describe, expect } from 'vitest';
import { createKafkaProducer } from '@loglake/kafka';
import { consumeAll } from '../support/consume.ts';
import { test, uniqueName } from '../support/fixtures.ts';
import { checkLake, withLake } from '../support/lake.ts';
import { allCommitted, produceEvents, startSink } from '../support/sink.ts';

const s3Url = (store: { url: string }) => store.url;

describe('sink → real S3', () => {
  test('a poison record goes to the DLQ with its reason; the partition keeps moving; the rest land once', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    await produceEvents(kafka, topic, 3000, 'p1');
    const producer = createKafkaProducer(kafka);
    await producer.connect();
    await producer.send(topic, [
      { key: 'user-1', value: 'this is not json' },
      {
        key: 'user-1',
        value: JSON.stringify({
          event_id: 'bad',
          event_type: 'x',
          ts: 'yesterday',
          received_at: 1,
        }),
      },
      // Pass the JavaScript check, refused by DuckDB: a duplicate key, a lone surrogate in extra.
      {
        key: 'user-1',
        value:
          '{"event_id":"dup","event_type":"x","event_type":"y","ts":1764151200000,"received_at":1764151200000}',
      },
      {
        key: 'user-1',
        value:
          '{"event_id":"sur","event_type":"x","ts":1764151200000,"received_at":1764151200000,"extra":{"m":"\\ud800"}}',
      },
      // Times no dt/hour folder can hold.
      {
        key: 'user-1',
        value: JSON.stringify({
          event_id: 'far',
          event_type: 'x',
          ts: 9007199254740991,
          received_at: 1,
        }),
      },
      {
        key: 'user-1',
        value: JSON.stringify({
          event_id: 'bc',
          event_type: 'x',
          ts: -70000000000000,
          received_at: 1,
        }),
      },
    ]);
    await producer.disconnect();
    await produceEvents(kafka, topic, 3000, 'p2');

    const sink = await startSink(kafka, topic, dlqTopic, groupId, s3Url(store));
    try {
      await expect
        .poll(() => allCommitted(admin, groupId, topic), { timeout: 60_000, interval: 500 })
        .toBe(true);
      const lake = await checkLake(store, topic);
      expect(lake).toMatchObject({ rows: 6000, distinct: 6000, misplaced: 0 });
      const dlq = (await consumeAll(kafka, dlqTopic)).map((r) => JSON.parse(r.text));
      expect(
        dlq
          .map(
            (d) => `${d.code}:${JSON.parse(d.raw.startsWith('{') ? d.raw : '{}').event_id ?? ''}`,
          )
          .sort(),
      ).toEqual([
        'FIELD_OUT_OF_RANGE:bc',
        'FIELD_OUT_OF_RANGE:far',
        'FIELD_TYPE:bad',
        'INVALID_JSON_LINE:',
        'INVALID_JSON_LINE:dup',
        'INVALID_JSON_LINE:sur',
      ]);
      expect(
        dlq.every((d) => d.stage === 'sink' && d.topic === topic && typeof d.offset === 'string'),
      ).toBe(true);
      expect(dlq.find((d) => d.code === 'INVALID_JSON_LINE')?.raw).toBe('this is not json');
    } finally {
      expect(await sink.stop()).toBe(0);
    }
  });

  test('rows read back with DuckDB equal what was produced, field by field, with real timestamps', async ({
    kafka,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    await produceEvents(kafka, topic, 2000, 'f');
    const sent = new Map(
      (await consumeAll(kafka, topic)).map((r) => [
        JSON.parse(r.text).event_id as string,
        JSON.parse(r.text),
      ]),
    );
    const sink = await startSink(kafka, topic, dlqTopic, groupId, s3Url(store));
    try {
      await expect
        .poll(async () => (await checkLake(store, topic)).rows, { timeout: 60_000, interval: 1000 })
        .toBe(2000);
    } finally {
      expect(await sink.stop()).toBe(0);
    }
    await withLake(store, topic, async (query, source) => {
      const types = await query(
        `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${source})`,
      );
      expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
        ts: 'TIMESTAMP WITH TIME ZONE',
        received_at: 'TIMESTAMP WITH TIME ZONE',
        campaign_id: 'BIGINT',
        bid: 'DOUBLE',
        status: 'INTEGER',
        extra: 'JSON',
      });
      const rows = await query(
        `SELECT event_id, event_type, epoch_ms(ts) AS ts, epoch_ms(received_at) AS received_at, source, user_id,
                campaign_id, bid, message, extra, status FROM ${source} ORDER BY event_id`,
      );
      expect(rows).toHaveLength(2000);
      for (const row of rows) {
        const e = sent.get(String(row.event_id));
        expect(e, String(row.event_id)).toBeDefined();
        expect({
          event_type: row.event_type,
          ts: Number(row.ts),
          received_at: Number(row.received_at),
          source: row.source,
          user_id: row.user_id,
          campaign_id: Number(row.campaign_id),
          bid: row.bid,
          message: row.message,
          extra: row.extra === null ? undefined : JSON.parse(row.extra as string),
          status: row.status,
        }).toEqual({
          event_type: e.event_type,
          ts: e.ts,
          received_at: e.received_at,
          source: e.source,
          user_id: e.user_id,
          campaign_id: e.campaign_id,
          bid: e.bid,
          message: e.message,
          extra: e.extra,
          status: null,
        });
      }
    });
  });

  test('a missing bucket is a start-up error, not a silent discard', async ({
    kafka,
    topic,
    dlqTopic,
    groupId,
  }) => {
    const { startService } = await import('../support/processes.ts');
    const s3 = (await import('vitest')).inject('s3');
    const proc = startService('sink', {
      KAFKA_BROKERS: kafka.brokers.join(','),
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      SINK_OUTPUT_URL: `s3://${uniqueName('no-such-bucket')}/lake`,
      SINK_TOPIC: topic,
      SINK_DLQ_TOPIC: dlqTopic,
      SINK_GROUP_ID: groupId,
      SINK_ADMIN_PORT: '0',
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/LOGLAKE_STORE_UNAVAILABLE|not reachable/);
  });

  test('warns at start-up when the topic keeps records for less than the replay window', async ({
    kafka,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    // The test topic keeps records 7 days; a sink that must survive 30 days of outage says so.
    const sink = await startSink(kafka, topic, dlqTopic, groupId, s3Url(store), {
      SINK_REPLAY_ALLOWANCE_MS: String(30 * 86_400_000),
    });
    try {
      await expect
        .poll(() => sink.output().includes('sink_topic_retention_short'), { timeout: 30_000 })
        .toBe(true);
      expect(sink.output()).toContain('keeps records 168 h');
    } finally {
      expect(await sink.stop()).toBe(0);
    }
  });
});
