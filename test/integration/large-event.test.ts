import { expect } from 'vitest';
import { test } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { auditAfterRun, withLake } from '../support/lake.ts';
import { allCommitted, startSink } from '../support/sink.ts';

const KiB = 1024;

test('a 900 KiB log message goes through the gateway, Kafka and the sink into the lake whole; one over the limit is refused', async ({
  kafka,
  admin,
  topic,
  dlqTopic,
  groupId,
  store,
}) => {
  const gw = await startGateway(kafka, topic, dlqTopic);
  const sink = await startSink(kafka, topic, dlqTopic, groupId, store.url, {
    SINK_FLUSH_MAX_AGE_MS: '500',
  });
  // A stack trace's worth of lines, 900 KiB in all, with characters JSON must escape.
  const line = 'at handler (/srv/app/src/routes/orders.ts:118:23) "quoted"\tü\n';
  const message = line.repeat(Math.ceil((900 * KiB) / line.length)).slice(0, 900 * KiB);
  const now = Date.now();
  try {
    // The large event shares its request with small ones, which the gateway batches with it.
    const big = await gw.post(
      JSON.stringify([
        { event_id: 'big', event_type: 'log', level: 'error', ts: now, message },
        ...Array.from({ length: 50 }, (_, i) => ({
          event_id: `small-${i}`,
          event_type: 'log',
          ts: now,
        })),
      ]),
    );
    expect(big.status).toBe(200);
    expect(big.body.accepted).toBe(51);
    // Over the default 1 MiB event limit: refused as that event, nothing else.
    const tooBig = await gw.post(
      JSON.stringify([
        { event_id: 'too-big', event_type: 'log', ts: now, message: 'x'.repeat(1024 * KiB + 1) },
        { event_id: 'next', event_type: 'log', ts: now },
      ]),
    );
    expect(tooBig.status).toBe(200);
    expect(tooBig.body.rejected.map((r) => [r.index, r.code])).toEqual([[0, 'FIELD_TOO_LONG']]);
    await expect
      .poll(() => allCommitted(admin, groupId, topic), { timeout: 60_000, interval: 200 })
      .toBe(true);
  } finally {
    expect(await sink.stop()).toBe(0);
    expect(await gw.stop()).toBe(0);
  }
  const rows = await withLake(store, topic, (query, source) =>
    query(
      `SELECT event_id, length(message)::INTEGER AS n, message = '${message.replaceAll("'", "''")}' AS same
       FROM ${source} WHERE event_id = 'big'`,
    ),
  );
  expect(rows).toEqual([{ event_id: 'big', n: 900 * KiB, same: true }]);
  const audit = await auditAfterRun(store, admin, groupId, topic);
  expect(audit.findings).toEqual([]);
  expect(audit.totals.rows).toBe(52);
}, 120_000);
