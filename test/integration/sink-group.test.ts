import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect } from 'vitest';
import { test } from '../support/fixtures.ts';
import { auditAfterRun, checkLake } from '../support/lake.ts';
import { allCommitted, produceEvents, startSink } from '../support/sink.ts';

const TOTAL = 150_000;

describe('two sink instances', () => {
  test('share the partitions; one killed mid-run, the other takes over; exactly once', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    await produceEvents(kafka, topic, TOTAL, 'two');
    const env = {
      SINK_FLUSH_MAX_ROWS: '10000',
      SINK_SESSION_TIMEOUT_MS: '6000',
      SINK_REBALANCE_TIMEOUT_MS: '6000',
      SINK_MAX_FLUSHES_IN_FLIGHT: '1',
      SINK_WRITER_ID: 'a',
    };
    const a = await startSink(kafka, topic, dlqTopic, groupId, store.url, env);
    const b = await startSink(kafka, topic, dlqTopic, groupId, store.url, {
      ...env,
      SINK_WRITER_ID: 'b',
    });
    const writers = async () => {
      const seen = new Set<string>();
      for await (const o of store.list(`_loglake/intents/${topic}/`)) {
        seen.add((JSON.parse((await store.get(o.key)).toString()) as { writer: string }).writer);
      }
      return seen;
    };
    try {
      await expect
        .poll(async () => (await writers()).size, { timeout: 60_000, interval: 200 })
        .toBe(2);
      await a.kill();
      const done = () => allCommitted(admin, groupId, topic);
      const deadline = Date.now() + 120_000;
      while (!(await done()) && Date.now() < deadline) await sleep(500);
      expect(await done()).toBe(true);
    } finally {
      await b.stop();
    }
    expect(await checkLake(store, topic)).toMatchObject({
      rows: TOTAL,
      distinct: TOTAL,
      misplaced: 0,
    });
    // lake:check: the intents chain without gaps or overlaps, every object is there with its rows.
    expect((await auditAfterRun(store, admin, groupId, topic)).findings).toEqual([]);
  }, 300_000);
});
