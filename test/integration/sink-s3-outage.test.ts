import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect } from 'vitest';
import { DEFAULT_EVENT_LIMITS, validateEvent } from '@loglake/events';
import { createKafkaProducer } from '@loglake/kafka';
import { stackDown, stackUp } from '@loglake/stack';
import { test } from '../support/fixtures.ts';
import { auditAfterRun, checkLake } from '../support/lake.ts';
import { metricValue, startSink } from '../support/sink.ts';

const RATE = 5000;
const BUDGET = 48 * 1024 * 1024;
const log = (m: string) => process.stderr.write(`[stack] ${m}\n`);

describe('S3 outage', () => {
  test('S3 stopped for 60 s under 5,000 events/s: memory within budget, lag grows then drains, exactly once', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const sink = await startSink(kafka, topic, dlqTopic, groupId, store.url, {
      SINK_MEMORY_BUDGET_BYTES: String(BUDGET),
      SINK_FLUSH_MAX_BYTES: String(8 * 1024 * 1024),
      SINK_FLUSH_MAX_AGE_MS: '2000',
      SINK_RETRY_MAX_MS: '2000',
    });
    const producer = createKafkaProducer(kafka);
    await producer.connect();
    let sent = 0;
    let producing = true;
    // Open loop at RATE events/s, 100 per send, for the whole test.
    const steady = (async () => {
      const begun = Date.now();
      while (producing) {
        const due = Math.floor(((Date.now() - begun) / 1000) * RATE);
        if (sent >= due) {
          await sleep(5);
          continue;
        }
        const now = Date.now();
        const records = Array.from({ length: 100 }, () => {
          const r = validateEvent(
            {
              event_id: `s3-${sent++}`,
              event_type: 'tick',
              user_id: `u${sent % 300}`,
              message: 'x'.repeat(200),
            },
            {
              receivedAt: now,
              source: 'test',
              allowBodySource: false,
              limits: DEFAULT_EVENT_LIMITS,
            },
          );
          if (!r.ok) throw new Error(r.reject.message);
          return { key: `u${sent % 300}`, value: r.json };
        });
        await producer.send(topic, records);
      }
    })();
    const lag = async () => {
      const ends = await admin.topicOffsets(topic);
      const committed = await admin.committedOffsets(groupId, topic);
      return ends.reduce(
        (n, e) =>
          n +
          Number(
            BigInt(e.high) -
              BigInt(committed.find((c) => c.partition === e.partition)?.offset ?? '0'),
          ),
        0,
      );
    };
    const rss = () =>
      Number(
        /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${sink.child.pid}/status`, 'utf8'))?.[1] ?? 0,
      ) * 1024;
    let peakBuffered = 0;
    let peakRss = 0;
    let maxLagDuringOutage = 0;
    try {
      await sleep(10_000);
      const lagBefore = await lag();
      await stackDown({ only: ['s3'] });
      try {
        const outageEnd = Date.now() + 60_000;
        while (Date.now() < outageEnd) {
          peakBuffered = Math.max(
            peakBuffered,
            metricValue(await sink.metrics(), 'loglake_sink_buffered_bytes'),
          );
          peakRss = Math.max(peakRss, rss());
          maxLagDuringOutage = Math.max(maxLagDuringOutage, await lag());
          await sleep(1000);
        }
        expect(
          metricValue(await sink.metrics(), 'loglake_sink_upload_retries_total'),
        ).toBeGreaterThan(0);
        expect(metricValue(await sink.metrics(), 'loglake_sink_paused_partitions')).toBeGreaterThan(
          0,
        );
      } finally {
        await stackUp({ kafka: [], s3: true, prometheus: 'off', log });
      }
      expect(maxLagDuringOutage).toBeGreaterThan(lagBefore + 100_000);
      await sleep(5_000);
      producing = false;
      await steady;
      const deadline = Date.now() + 120_000;
      while ((await lag()) > 0 && Date.now() < deadline) await sleep(1000);
      expect(await lag()).toBe(0);
    } finally {
      producing = false;
      await steady.catch(() => undefined);
      await producer.disconnect();
      await sink.stop();
    }
    expect(peakBuffered).toBeGreaterThan(0);
    // The budget is checked after each record: it can be passed by at most one record (≤ 64 KiB).
    expect(peakBuffered).toBeLessThanOrEqual(BUDGET + 64 * 1024);
    expect(peakRss).toBeLessThan(BUDGET + 400 * 1024 * 1024);
    expect(await checkLake(store, topic)).toMatchObject({
      rows: sent,
      distinct: sent,
      misplaced: 0,
    });
    // lake:check: the intents chain without gaps or overlaps, every object is there with its rows.
    expect((await auditAfterRun(store, admin, groupId, topic)).findings).toEqual([]);
  }, 400_000);
});
