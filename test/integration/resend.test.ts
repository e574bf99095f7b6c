import { describe, expect } from 'vitest';
import { test } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { auditAfterRun, checkLake } from '../support/lake.ts';
import { allCommitted, metricValue, startSink } from '../support/sink.ts';

const N = 2000;

/** A client's events with its own ids; half have a user id, half are keyed by their event id. */
function batch(prefix: string, now: number): string {
  return JSON.stringify(
    Array.from({ length: N }, (_, n) => ({
      event_id: `${prefix}-${n}`,
      event_type: 'click',
      ts: now - n * 1000,
      ...(n % 2 === 0 ? { user_id: `user-${n % 97}` } : {}),
    })),
  );
}

describe('events a client sends again', () => {
  test('a resent request is dropped by the sink, also by a sink started after the first copy was committed', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const gw = await startGateway(kafka, topic, dlqTopic, { GATEWAY_RATE_LIMIT_EVENTS_PER_S: '0' });
    const env = { SINK_FLUSH_MAX_ROWS: '500', SINK_FLUSH_MAX_AGE_MS: '500' };
    const now = Date.now();
    const a = batch('a', now);
    try {
      const first = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
      try {
        expect((await gw.post(a)).status).toBe(200);
        // The answer was lost: the client sends the same events again, to the same sink.
        expect((await gw.post(a)).status).toBe(200);
        await expect
          .poll(() => allCommitted(admin, groupId, topic), { timeout: 60_000, interval: 200 })
          .toBe(true);
        expect(metricValue(await first.metrics(), 'loglake_sink_duplicates_dropped_total')).toBe(N);
      } finally {
        expect(await first.stop()).toBe(0);
      }
      // A third copy after the sink restarted: its first copies lie before the committed offset.
      const second = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
      try {
        expect((await gw.post(a)).status).toBe(200);
        expect((await gw.post(batch('b', now))).status).toBe(200);
        await expect
          .poll(() => allCommitted(admin, groupId, topic), { timeout: 60_000, interval: 200 })
          .toBe(true);
        expect(metricValue(await second.metrics(), 'loglake_sink_duplicates_dropped_total')).toBe(
          N,
        );
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await gw.stop();
    }
    const records = (await admin.topicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    expect(records).toBe(4 * N);
    expect(await checkLake(store, topic)).toMatchObject({ rows: 2 * N, distinct: 2 * N });
    const audit = await auditAfterRun(store, admin, groupId, topic);
    expect(audit.findings).toEqual([]);
    expect(audit.totals.rows).toBe(2 * N);
  }, 180_000);
});
