import kafkajs, { type Admin } from 'kafkajs';
import { LoglakeError, type Logger } from '@loglake/core';
import type { KafkaClientConfig } from './config.ts';
import { createKafkaJs } from './client.ts';
import { explained } from './errors.ts';

// Node's CommonJS interop does not see these enums as named exports of kafkajs (its lexer stops early).
const { ConfigResourceTypes, ConfigSource } = kafkajs;
type ConfigSource = kafkajs.ConfigSource;

/** Where a topic's effective setting comes from. */
export type TopicConfigSource = 'topic' | 'broker' | 'default';

export interface TopicConfigValue {
  /** The effective value (null for a setting without one). */
  readonly value: string | null;
  /** `topic`: set on the topic; `broker`: the brokers' configuration; `default`: Kafka's built-in. */
  readonly source: TopicConfigSource;
}

/** A topic's retention as the brokers apply it. */
export interface TopicRetention {
  /** `retention.ms`: records older than this are deleted; null when unlimited (`-1`). */
  readonly retentionMs: number | null;
  /** `retention.bytes`, per partition: older segments are deleted past it; null when unlimited. */
  readonly retentionBytes: number | null;
  /** `cleanup.policy`: `delete`, `compact` or `compact,delete`. */
  readonly cleanupPolicy: string;
  /** Where `retention.ms` comes from. */
  readonly source: TopicConfigSource;
}

function sourceOf(source: ConfigSource): TopicConfigSource {
  if (source === ConfigSource.TOPIC_CONFIG) return 'topic';
  if (source === ConfigSource.DEFAULT_CONFIG) return 'default';
  return 'broker';
}

/** `-1` (or any negative value) is Kafka's "unlimited". */
function limit(value: string | null | undefined, name: string, topic: string): number | null {
  const n = Number(value);
  if (value === null || value === undefined || value === '' || !Number.isFinite(n)) {
    throw new LoglakeError(
      'LOGLAKE_KAFKA_UNAVAILABLE',
      `topic ${topic}: the brokers returned no usable ${name} (${String(value)})`,
    );
  }
  return n < 0 ? null : n;
}

/** The retention of a topic from its effective settings (as `describeTopicConfigs` returns them). */
export function retentionOf(
  topic: string,
  configs: Readonly<Record<string, TopicConfigValue>>,
): TopicRetention {
  const ms = configs['retention.ms'];
  return {
    retentionMs: limit(ms?.value, 'retention.ms', topic),
    retentionBytes: limit(configs['retention.bytes']?.value, 'retention.bytes', topic),
    cleanupPolicy: configs['cleanup.policy']?.value ?? 'delete',
    source: ms?.source ?? 'default',
  };
}

/** How long a topic that a broker does not know yet may take to reach it. */
const TOPIC_PROPAGATION_MS = 5_000;
const TOPIC_PROPAGATION_STEP_MS = 100;

function isUnknownTopic(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'UNKNOWN_TOPIC_OR_PARTITION';
}

/**
 * Runs `request` again while the broker answering it does not know the topic yet, for at most
 * `TOPIC_PROPAGATION_MS`. Kafka answers DescribeConfigs from whichever broker it reaches, and a
 * topic created a moment ago reaches every broker a little after the controller (seen on the
 * three-node stack: UNKNOWN_TOPIC_OR_PARTITION right after creation). A topic that does not exist
 * fails with the same error once the time is up.
 */
async function whileTopicPropagates<T>(request: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + TOPIC_PROPAGATION_MS;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (!isUnknownTopic(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, TOPIC_PROPAGATION_STEP_MS));
    }
  }
}

/** Opens a short-lived admin connection for `work`. */
async function withAdmin<T>(
  config: KafkaClientConfig,
  logger: Logger | undefined,
  work: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = createKafkaJs(config, logger).admin();
  await explained(config, 'connecting', () => admin.connect());
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A topic's effective settings (DescribeConfigs), by name; all of them when `names` is omitted.
 * The principal needs DESCRIBE_CONFIGS on the topic.
 */
export function describeTopicConfigs(
  config: KafkaClientConfig,
  topic: string,
  names?: readonly string[],
  logger?: Logger,
): Promise<Record<string, TopicConfigValue>> {
  return withAdmin(config, logger, (admin) =>
    explained(config, `describing the settings of topic ${topic}`, async () => {
      const { resources } = await whileTopicPropagates(() =>
        admin.describeConfigs({
          includeSynonyms: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: topic,
              ...(names ? { configNames: [...names] } : {}),
            },
          ],
        }),
      );
      const out: Record<string, TopicConfigValue> = {};
      for (const e of resources[0]?.configEntries ?? []) {
        out[e.configName] = { value: e.configValue, source: sourceOf(e.configSource) };
      }
      return out;
    }),
  );
}

/**
 * How long (and how much) `topic` keeps records, as the brokers apply it: the topic's own
 * `retention.ms` or the brokers' default. For a start-up check such as the sink's (a retention
 * shorter than the longest replay means records deleted before they reach the lake). Needs
 * DESCRIBE_CONFIGS on the topic; opens and closes its own connection.
 */
export async function topicRetention(
  config: KafkaClientConfig,
  topic: string,
  logger?: Logger,
): Promise<TopicRetention> {
  const configs = await describeTopicConfigs(
    config,
    topic,
    ['retention.ms', 'retention.bytes', 'cleanup.policy'],
    logger,
  );
  return retentionOf(topic, configs);
}
