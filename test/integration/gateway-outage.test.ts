import { describe, expect } from 'vitest';
import { stackDown, stackUp } from '@loglake/stack';
import { consumeAll } from '../support/consume.ts';
import { test } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';

const log = (m: string) => process.stderr.write(`[stack] ${m}\n`);

describe('gateway with the broker stopped', () => {
  test('answers 503 within the configured time, says not ready, and recovers by itself when the broker returns', async ({
    kafka,
    topic,
    dlqTopic,
  }) => {
    const timeoutMs = 2000;
    const gw = await startGateway(kafka, topic, dlqTopic, {
      GATEWAY_KAFKA_TIMEOUT_MS: String(timeoutMs),
    });
    try {
      expect((await gw.post('{"event_type":"before","event_id":"before"}')).status).toBe(200);
      await stackDown({ only: ['kafka'] });
      try {
        const begun = Date.now();
        const during = await gw.post('{"event_type":"during","event_id":"during-1"}');
        const elapsed = Date.now() - begun;
        expect(during.status).toBe(503);
        expect(during.body.error?.code).toBe('KAFKA_UNAVAILABLE');
        expect(during.headers.get('retry-after')).toBe('2');
        expect(elapsed).toBeLessThan(timeoutMs + 1000);
        // Now known down: the next answer comes at once, and load balancers are told.
        const fast = await gw.post('{"event_type":"during","event_id":"during-2"}');
        expect(fast.status).toBe(503);
        expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
        expect(await (await fetch(`${gw.adminUrl}/metrics`)).text()).toMatch(
          /loglake_gateway_kafka_up\{[^}]*\} 0/,
        );
      } finally {
        await stackUp({ kafka: ['single'], s3: false, prometheus: 'off', log });
      }
      await expect
        .poll(async () => (await fetch(`${gw.url}/readyz`)).status, {
          timeout: 60_000,
          interval: 250,
        })
        .toBe(200);
      const after = await gw.post('{"event_type":"after","event_id":"after"}');
      expect(after.status).toBe(200);
      const ids = (await consumeAll(kafka, topic)).map((r) => JSON.parse(r.text).event_id);
      expect(ids).toContain('before');
      expect(ids).toContain('after');
    } finally {
      await gw.stop();
    }
  });
});
