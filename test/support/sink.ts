import { inject } from 'vitest';
import { DEFAULT_EVENT_LIMITS, validateEvent } from '@loglake/events';
import { createKafkaProducer, type KafkaAdmin, type KafkaClientConfig } from '@loglake/kafka';
import { freePort, startService, waitForStatus, type ServiceProcess } from './processes.ts';

export interface SinkUnderTest extends ServiceProcess {
  readonly adminUrl: string;
  metrics(): Promise<string>;
}

/** The real sink process, writing to `outputUrl` (the stack's S3 for s3:// URLs). */
export async function startSink(
  kafka: KafkaClientConfig,
  topic: string,
  dlqTopic: string,
  groupId: string,
  outputUrl: string,
  env: Record<string, string> = {},
): Promise<SinkUnderTest> {
  const s3 = inject('s3');
  const adminPort = await freePort();
  const proc = startService('sink', {
    KAFKA_BROKERS: kafka.brokers.join(','),
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    SINK_OUTPUT_URL: outputUrl,
    SINK_TOPIC: topic,
    SINK_DLQ_TOPIC: dlqTopic,
    SINK_GROUP_ID: groupId,
    SINK_ADMIN_PORT: String(adminPort),
    SINK_FLUSH_MAX_AGE_MS: '1500',
    SINK_SESSION_TIMEOUT_MS: '10000',
    // Killed members hold a rebalance until this passes; production keeps the 60 s default.
    SINK_REBALANCE_TIMEOUT_MS: '10000',
    SINK_HEARTBEAT_INTERVAL_MS: '1000',
    SINK_RETRY_MAX_MS: '2000',
    ...env,
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitForStatus(`${adminUrl}/readyz`, 200, proc, 60_000);
  return { ...proc, adminUrl, metrics: async () => (await fetch(`${adminUrl}/metrics`)).text() };
}

/** A metric's value from Prometheus text (the first sample whose line starts with `name`). */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name) && !l.startsWith('#'));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

/** Produces `count` normalized events (as the gateway writes them) with ids `<prefix>-<n>`. */
export async function produceEvents(
  kafka: KafkaClientConfig,
  topic: string,
  count: number,
  prefix: string,
  /** `run`: also give each event `run_id` = run and `seq` = n + 1 (kept in `extra`), as `pnpm generate` does, for `pnpm verify`. */
  options: { batch?: number; spreadHours?: number; run?: string } = {},
): Promise<void> {
  const producer = createKafkaProducer(kafka);
  await producer.connect();
  const now = Date.now();
  const batch = options.batch ?? 1000;
  const spread = (options.spreadHours ?? 3) * 3600_000;
  try {
    for (let i = 0; i < count; i += batch) {
      const records = [];
      for (let j = i; j < Math.min(count, i + batch); j += 1) {
        const r = validateEvent(
          {
            event_id: `${prefix}-${j}`,
            event_type: j % 3 === 0 ? 'click' : 'page_view',
            ts: now - ((j * 7919) % spread),
            user_id: `user-${j % 500}`,
            campaign_id: j % 40,
            bid: (j % 100) / 10,
            message: `event ${j} ünïcødé ✓`,
            ...(j % 10 === 0 ? { attrs: { n: j, tags: ['a', 'b'] } } : {}),
            ...(options.run ? { run_id: options.run, seq: j + 1 } : {}),
          },
          { receivedAt: now, source: 'test', allowBodySource: false, limits: DEFAULT_EVENT_LIMITS },
        );
        if (!r.ok) throw new Error(r.reject.message);
        records.push({ key: `user-${j % 500}`, value: r.json });
      }
      await producer.send(topic, records);
    }
  } finally {
    await producer.disconnect();
  }
}

/** True when the group's committed offsets reached the topic's end on every partition. */
export async function allCommitted(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<boolean> {
  const ends = await admin.topicOffsets(topic);
  const committed = await admin.committedOffsets(groupId, topic);
  return ends.every((e) => committed.find((c) => c.partition === e.partition)?.offset === e.high);
}
