import { join } from 'node:path';
import { describe, expect, inject } from 'vitest';
import { findRepoRoot } from '@loglake/stack';
import { test, uniqueName, waitUntil } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { freePort, startService } from '../support/processes.ts';
import { startPrometheus, type PrometheusUnderTest } from '../support/prometheus.ts';
import { allExpressions } from '../support/promql.ts';
import { allCommitted, startSink } from '../support/sink.ts';

const root = findRepoRoot();
const RATE = 400;
const SECONDS = 30;
const FLUSH_AGE_S = 2;

/**
 * Series that may be missing after a healthy run: labelled counters of things that did not happen
 * (429/503, intent conflicts), and the generator's, which went stale when it exited (they are
 * checked while it runs). A dashboard expression made only of these may come back empty.
 */
const ABSENT_WHEN_HEALTHY = [
  'loglake_gateway_requests_refused_total',
  'loglake_sink_intent_conflicts_total',
  'loglake_generator_',
];

async function scalar(prom: PrometheusUnderTest, expr: string): Promise<number> {
  const samples = await prom.query(expr);
  expect(samples, expr).toHaveLength(1);
  return samples[0]?.value ?? Number.NaN;
}

describe('observability', () => {
  test('Prometheus scraping the real services answers every dashboard and rule expression with plausible values', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const gw = await startGateway(kafka, topic, dlqTopic, { GATEWAY_RATE_LIMIT_EVENTS_PER_S: '0' });
    const sink = await startSink(kafka, topic, dlqTopic, groupId, store.url, {
      SINK_FLUSH_MAX_AGE_MS: String(FLUSH_AGE_S * 1000),
      SINK_LAG_INTERVAL_MS: '1000',
    });
    const generatorPort = await freePort();
    const prom = await startPrometheus(
      {
        'loglake-gateway': gw.adminUrl.replace('http://', ''),
        'loglake-sink': sink.adminUrl.replace('http://', ''),
        'loglake-generator': `127.0.0.1:${generatorPort}`,
      },
      [join(root, 'infra', 'prometheus', 'rules', '*.yml')],
    );
    try {
      // One invalid event, so that the rejection and dead-letter series exist.
      const bad = await gw.post(
        JSON.stringify([{ event_type: 'x', bid: 'not a number' }, { event_type: 'ok' }]),
      );
      expect([bad.body.accepted, bad.body.rejected.map((r) => r.code)]).toEqual([
        1,
        ['FIELD_TYPE'],
      ]);
      // And one malformed body, so that the failed-request series exist.
      expect((await gw.post('{"event_type": ')).status).toBe(400);

      const runId = uniqueName('run');
      const generator = startService('generator', {}, [
        '--target',
        `${gw.url}/events`,
        '--api-key',
        'test-key-0001',
        '--rate',
        String(RATE),
        '--duration',
        `${SECONDS}s`,
        '--batch',
        '20',
        '--metrics',
        `127.0.0.1:${generatorPort}`,
        '--run-id',
        runId,
      ]);
      // While it runs, Prometheus sees the generator's own metrics.
      const sentMidRun = await waitUntil('the generator scraped', async () => {
        const s = await prom.query('loglake_generator_events_sent_total');
        return (s[0]?.value ?? 0) > 0 ? s[0]?.value : undefined;
      });
      expect(await generator.exited).toBe(0);
      const summary = JSON.parse(generator.output().trim().split('\n').at(-1) ?? '{}') as {
        sent: number;
        accepted: number;
        rejected: number;
      };
      expect(summary.accepted).toBe(RATE * SECONDS);
      expect(sentMidRun).toBeLessThanOrEqual(summary.sent);

      // The sink catches up; then Prometheus must say so too.
      await waitUntil(
        'the sink committed everything',
        async () => ((await allCommitted(admin, groupId, topic)) ? true : undefined),
        60_000,
      );
      // Caught up, as Prometheus sees it: no lag, and nothing pending older than the flush age. (The
      // two gauges are set at different moments, so one scrape may carry the new lag and an older
      // freshness; wait for a scrape with both.)
      await waitUntil(
        'Prometheus to see zero lag and fresh data',
        async () => {
          const lag = await scalar(
            prom,
            'sum(max by (topic, partition) (loglake_sink_consumer_lag_records))',
          );
          const age = await scalar(prom, 'max(loglake_sink_oldest_pending_event_age_seconds)');
          return lag === 0 && age <= FLUSH_AGE_S ? true : undefined;
        },
        30_000,
      );

      // Everything the generator had accepted, plus the one good event of the bad request.
      await waitUntil('the last gateway scrape', async () =>
        (await scalar(prom, 'sum(loglake_gateway_events_accepted_total)')) === summary.accepted + 1
          ? true
          : undefined,
      );
      expect(await scalar(prom, 'sum(loglake_gateway_events_rejected_total)')).toBe(1);
      expect(await scalar(prom, 'sum(loglake_sink_rows_written_total)')).toBe(summary.accepted + 1);
      expect(await scalar(prom, 'max(loglake_sink_flush_max_age_seconds)')).toBe(FLUSH_AGE_S);
      expect(
        await scalar(prom, 'sum(rate(loglake_gateway_events_accepted_total[1m]))'),
      ).toBeGreaterThan(0);

      // pnpm verify reads the lake and finds the run complete, once.
      const s3 = inject('s3');
      const verify = startService(
        'generator',
        {
          S3_ENDPOINT: s3.endpoint,
          S3_ACCESS_KEY_ID: s3.accessKeyId,
          S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
          KAFKA_BROKERS: kafka.brokers.join(','),
        },
        [
          '--run',
          runId,
          '--expected',
          String(summary.sent),
          '--lake',
          store.url,
          '--topic',
          topic,
          '--group',
          groupId,
        ],
        'verify.ts',
      );
      expect(await verify.exited, verify.output()).toBe(0);
      // The JSON report is verify's last line on stdout; stderr carries its progress and summary.
      const reportLine = verify
        .output()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .at(-1);
      const verified = JSON.parse(reportLine ?? '{}') as Record<string, unknown>;
      expect(verified).toMatchObject({
        expected: summary.sent,
        found: summary.sent,
        missing: 0,
        duplicated: 0,
      });

      const expressions = allExpressions(root);
      expect(expressions.length).toBeGreaterThan(20);
      const report: string[] = [];
      for (const { source, expr } of expressions) {
        const samples = await prom.query(expr);
        const isRule = source.startsWith('rule');
        if (isRule) {
          // Healthy but for the one invalid event posted above: only the dead-letter alert's
          // condition holds.
          const shouldHold = source === 'rule LoglakeDeadLettersGrowing';
          expect
            .soft(
              samples.length > 0,
              `${source} ${shouldHold ? 'should' : 'should not'} hold: ${expr}`,
            )
            .toBe(shouldHold);
          report.push(`${shouldHold ? 'holds' : 'quiet'}     ${source}`);
          continue;
        }
        const names = expr.match(/\b(?:loglake|process|nodejs|up)\w*/g) ?? [];
        const mayBeEmpty =
          names.length > 0 && names.every((n) => ABSENT_WHEN_HEALTHY.some((a) => n.startsWith(a)));
        if (!mayBeEmpty && samples.length === 0) {
          const raw = await Promise.all(
            names.map(async (n) => `${n}: ${JSON.stringify(await prom.query(n))}`),
          );
          expect
            .soft(samples.length, `${source} returned no data: ${expr}\n${raw.join('\n')}`)
            .toBeGreaterThan(0);
        }
        const signed = /\b(deriv|delta|predict_linear)\(/.test(expr);
        for (const s of samples) {
          // NaN is what Prometheus answers for 0/0 (a ratio over an idle window); never ±Inf.
          const plausible =
            Number.isNaN(s.value) || (Number.isFinite(s.value) && (signed || s.value >= 0));
          expect.soft(plausible, `${source} = ${s.value}: ${expr}`).toBe(true);
        }
        report.push(`${samples.length} series  ${source}`);
      }
      process.stderr.write(
        `[observability] ${expressions.length} expressions\n${report.join('\n')}\n`,
      );
    } finally {
      await prom.stop();
      await sink.stop();
      await gw.stop();
    }
  });
});
