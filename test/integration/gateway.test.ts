import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect } from 'vitest';
import { consumeAll } from '../support/consume.ts';
import { test } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';

const now = () => Date.now();

describe('gateway → real Kafka', () => {
  test('events read back from the topic equal what was posted, field by field, unknown fields included', async ({
    kafka,
    topic,
    dlqTopic,
  }) => {
    const gw = await startGateway(kafka, topic, dlqTopic);
    try {
      const t0 = now() - 60_000;
      const sent = [
        {
          event_id: 'rt-1',
          event_type: 'tracking',
          ts: new Date(t0).toISOString(),
          create_time: '5f4c1e70-cb1c-11f0-8de9-0242ac120002',
          bid: 0.37,
          campaign_id: 12,
          company_id: 7,
          publisher_id: 3,
          group_id: 4,
          job_id: 9001,
          custom_track: 'qualified',
          user_id: 'user-ü',
        },
        {
          event_id: 'rt-2',
          event_type: 'log',
          ts: t0 + 1,
          level: 'error',
          message: 'naïve 🚀 \u0000 \u202e 𝒳 "quoted"',
          session_id: 's-1',
          url: 'https://example.com/a?b=c',
          status: 503,
          latency_ms: 12.5,
          user_agent: 'Mozilla/5.0',
          ip: '2001:db8::1',
          plan: { tier: 'pro', seats: [1, 2, 3], nested: { ok: true, none: null } },
          'ключ 🔑': 'значение',
        },
      ];
      const answer = await gw.post(JSON.stringify(sent));
      expect(answer.status).toBe(200);
      expect(answer.body.event_ids).toEqual(['rt-1', 'rt-2']);
      const ndjson = gzipSync(
        Buffer.from(`${JSON.stringify({ event_type: 'nd', user_id: 'x' })}\n`),
      );
      const nd = await gw.post(ndjson, {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
      });
      expect(nd.status).toBe(200);

      const records = await consumeAll(kafka, topic);
      const byId = new Map(
        records.map((r) => [
          JSON.parse(r.text).event_id as string,
          JSON.parse(r.text) as Record<string, unknown>,
        ]),
      );
      expect(byId.size).toBe(3);
      const one = byId.get('rt-1');
      const { ts: ts1, ...known1 } = sent[0] as Record<string, unknown>;
      expect(one).toEqual({
        ...known1,
        ts: Date.parse(String(ts1)),
        received_at: one?.received_at,
        source: 'itest',
      });
      const two = byId.get('rt-2');
      const { plan, 'ключ 🔑': key, ...known2 } = sent[1] as Record<string, unknown>;
      expect(two).toEqual({
        ...known2,
        received_at: two?.received_at,
        source: 'itest',
        extra: { plan, 'ключ 🔑': key },
      });
      expect(typeof two?.received_at).toBe('number');
      // The key keeps one user's (or session's) events on one partition.
      expect(records.find((r) => r.text.includes('rt-1'))?.key?.toString()).toBe('user-ü');
      const three = byId.get(nd.body.event_ids[0] ?? '');
      expect(three).toMatchObject({ event_type: 'nd', user_id: 'x', source: 'itest' });
    } finally {
      await gw.stop();
    }
  });

  test('after a 2xx, kill -9 of the gateway loses nothing', async ({ kafka, topic, dlqTopic }) => {
    const gw = await startGateway(kafka, topic, dlqTopic);
    const acked: string[] = [];
    let killed = false;
    let seq = 0;
    const worker = async () => {
      while (!killed) {
        const batch = Array.from({ length: 50 }, () => ({
          event_type: 'k',
          event_id: `kill-${seq++}`,
        }));
        try {
          const r = await gw.post(JSON.stringify(batch));
          if (r.status === 200) acked.push(...r.body.event_ids);
        } catch {
          return; // connection reset by the kill: not acknowledged
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await expect
      .poll(() => acked.length, { timeout: 60_000, interval: 20 })
      .toBeGreaterThanOrEqual(5_000);
    killed = true;
    await gw.kill();
    await Promise.all(workers);
    const inTopic = new Set(
      (await consumeAll(kafka, topic)).map((r) => JSON.parse(r.text).event_id as string),
    );
    expect(acked.filter((id) => !inTopic.has(id))).toEqual([]);
    expect(gw.output()).not.toContain('gateway_stopped');
  });

  test('SIGTERM: stops taking requests, finishes those in flight, exits 0, loses nothing', async ({
    kafka,
    topic,
    dlqTopic,
  }) => {
    const gw = await startGateway(kafka, topic, dlqTopic);
    const acked: string[] = [];
    const refused: number[] = [];
    let stop = false;
    let seq = 0;
    const worker = async () => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => ({
          event_type: 't',
          event_id: `term-${seq++}`,
        }));
        try {
          const r = await gw.post(JSON.stringify(batch));
          if (r.status === 200) acked.push(...r.body.event_ids);
          else refused.push(r.status);
        } catch {
          return; // the listener closed
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await expect
      .poll(() => acked.length, { timeout: 30_000, interval: 20 })
      .toBeGreaterThanOrEqual(1_000);
    const exit = await gw.stop();
    expect(exit, gw.output().slice(-4000)).toBe(0);
    stop = true;
    await Promise.all(workers);
    expect(refused.every((s) => s === 503)).toBe(true);
    const inTopic = new Set(
      (await consumeAll(kafka, topic)).map((r) => JSON.parse(r.text).event_id as string),
    );
    expect(acked.filter((id) => !inTopic.has(id))).toEqual([]);
    expect(gw.output()).toContain('gateway_stopped');
  });

  test('an over-budget burst gets 503 at once while memory stays bounded, and the accepted events all land', async ({
    kafka,
    topic,
    dlqTopic,
  }) => {
    const gw = await startGateway(kafka, topic, dlqTopic, {
      GATEWAY_INFLIGHT_MAX_EVENTS: '2000',
      GATEWAY_INFLIGHT_MAX_BYTES: String(2 * 1024 * 1024),
      GATEWAY_MAX_DECOMPRESSED_BYTES: String(1024 * 1024),
      GATEWAY_MAX_BODY_BYTES: String(1024 * 1024),
      GATEWAY_RATE_LIMIT_EVENTS_PER_S: '0',
    });
    const rss = () =>
      Number(
        /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gw.child.pid}/status`, 'utf8'))?.[1] ?? 0,
      ) * 1024;
    let peak = rss();
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 5);
    try {
      let seq = 0;
      const bodies = Array.from({ length: 300 }, () =>
        JSON.stringify(
          Array.from({ length: 1000 }, () => ({
            event_type: 'burst',
            event_id: `b-${seq++}`,
            message: 'x'.repeat(100),
          })),
        ),
      );
      const answers = await Promise.all(bodies.map((b) => gw.post(b)));
      const statuses = answers.map((a) => a.status);
      const accepted = answers.filter((a) => a.status === 200).flatMap((a) => a.body.event_ids);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(
        answers.filter((a) => a.status === 503).every((a) => a.body.error?.code === 'OVERLOADED'),
      ).toBe(true);
      expect(answers.find((a) => a.status === 503)?.headers.get('retry-after')).toBe('1');
      expect(accepted.length).toBeGreaterThan(0);
      const inTopic = (await consumeAll(kafka, topic)).map(
        (r) => JSON.parse(r.text).event_id as string,
      );
      expect(inTopic.sort()).toEqual([...accepted].sort());
      // 300 requests carry 300,000 events (~40 MB of JSON); the gateway holds at most 2,000 awaiting acks.
      expect(peak).toBeLessThan(400 * 1024 * 1024);
    } finally {
      clearInterval(sampler);
      await gw.stop();
    }
  });
});
