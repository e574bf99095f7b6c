import { describe, expect } from 'vitest';
import { test } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { checkLake, withLake } from '../support/lake.ts';
import { startSink } from '../support/sink.ts';

const TOTAL = 1_000_000;
const BATCH = 1000;

function event(n: number, now: number): Record<string, unknown> {
  return {
    event_id: `m-${n}`,
    event_type: n % 4 === 0 ? 'tracking' : 'page_view',
    ts: now - (n % 3_600_000),
    create_time: '5f4c1e70-cb1c-11f0-8de9-0242ac120002',
    bid: (n % 1000) / 100,
    campaign_id: n % 97,
    company_id: n % 13,
    publisher_id: n % 7,
    group_id: n % 31,
    job_id: n,
    custom_track: ['click', 'unqualified', 'qualified', 'conversion'][n % 4],
    user_id: `user-${n % 5000}`,
    message: n % 50 === 0 ? `naïve 🚀 ${n}` : undefined,
    ...(n % 100 === 0 ? { campaign_meta: { n, tags: ['x', 'y'] } } : {}),
  };
}

describe('the whole pipeline', () => {
  test('1,000,000 events posted through the gateway arrive in the lake exactly once, sampled rows field by field', async ({
    kafka,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const gw = await startGateway(kafka, topic, dlqTopic, { GATEWAY_RATE_LIMIT_EVENTS_PER_S: '0' });
    const sink = await startSink(kafka, topic, dlqTopic, groupId, store.url, {
      SINK_FLUSH_MAX_AGE_MS: '3000',
    });
    const now = Date.now();
    let accepted = 0;
    const statuses: Record<number, number> = {};
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          while (next < TOTAL) {
            const start = next;
            next += BATCH;
            const body = JSON.stringify(
              Array.from({ length: BATCH }, (_, i) => event(start + i, now)),
            );
            const r = await gw.post(body);
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status === 200) accepted += r.body.accepted;
          }
        }),
      );
      expect(statuses).toEqual({ 200: TOTAL / BATCH });
      expect(accepted).toBe(TOTAL);
      await expect
        .poll(async () => (await checkLake(store, topic)).rows, {
          timeout: 240_000,
          interval: 3000,
        })
        .toBe(TOTAL);
    } finally {
      expect(await sink.stop()).toBe(0);
      await gw.stop();
    }
    expect(await checkLake(store, topic)).toMatchObject({
      rows: TOTAL,
      distinct: TOTAL,
      misplaced: 0,
    });
    await withLake(store, topic, async (query, source) => {
      const sample = Array.from({ length: 200 }, (_, i) => (i * 4999 + 17) % TOTAL);
      const rows = await query(
        `SELECT event_id, event_type, epoch_ms(ts) AS ts, create_time, bid, campaign_id, company_id, publisher_id, group_id,
                  job_id, custom_track, user_id, message, extra, source
           FROM ${source} WHERE event_id IN (${sample.map((n) => `'m-${n}'`).join(',')})`,
      );
      expect(rows).toHaveLength(sample.length);
      for (const row of rows) {
        const n = Number(String(row.event_id).slice(2));
        const { campaign_meta, ...sent } = event(n, now);
        expect({
          ...row,
          ts: Number(row.ts),
          campaign_id: Number(row.campaign_id),
          company_id: Number(row.company_id),
          publisher_id: Number(row.publisher_id),
          group_id: Number(row.group_id),
          job_id: Number(row.job_id),
          message: row.message ?? undefined,
          extra: row.extra === null ? undefined : JSON.parse(row.extra as string),
        }).toEqual({
          ...sent,
          source: 'itest',
          extra: campaign_meta === undefined ? undefined : { campaign_meta },
        });
      }
    });
  }, 600_000);
});
