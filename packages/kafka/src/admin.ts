import type { Admin } from 'kafkajs';
import { LoglakeError, type Logger } from '@loglake/core';
import { DEFAULT_TOPIC_RETENTION_MS, type KafkaClientConfig } from './config.ts';
import { createKafkaJs } from './client.ts';
import { explained } from './errors.ts';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** `retention.ms`; default `DEFAULT_TOPIC_RETENTION_MS` (7 days). */
  readonly retentionMs?: number;
  /** `min.insync.replicas`; default `minInsyncReplicasFor(replicationFactor)`. */
  readonly minInsyncReplicas?: number;
  /** Any other topic settings; they win over the two above. */
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * The `min.insync.replicas` loglake gives a topic of `replicationFactor` replicas: 2 from 3 replicas
 * on (an acks=all write survives the loss of one broker and still exists twice), else 1 (with one or
 * two replicas, 2 would stop every write as soon as one broker is away).
 */
export function minInsyncReplicasFor(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

/**
 * `max.message.bytes` of the topics loglake creates: a record batch of one produce call
 * (`MAX_REQUEST_BYTES` of keys and values, or one event of up to 1 MiB) plus its record overheads,
 * with room. Kafka's default (1 MiB + 12 bytes) would refuse a 1 MiB event with its overhead.
 */
export const TOPIC_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

/** Every setting a topic is created with: retention and min ISR always explicit, never the broker's. */
export function topicConfigs(spec: TopicSpec): Record<string, string> {
  return {
    'retention.ms': String(spec.retentionMs ?? DEFAULT_TOPIC_RETENTION_MS),
    'max.message.bytes': String(TOPIC_MAX_MESSAGE_BYTES),
    'min.insync.replicas': String(
      spec.minInsyncReplicas ?? minInsyncReplicasFor(spec.replicationFactor),
    ),
    ...spec.configs,
  };
}

export interface ClusterInfo {
  readonly clusterId: string;
  readonly controller: number | null;
  readonly brokers: readonly { nodeId: number; host: string; port: number }[];
}

export interface PartitionMetadata {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface PartitionOffsets {
  readonly partition: number;
  /** Log start offset (oldest retained record). */
  readonly low: string;
  /** Log end offset (next offset to be written). */
  readonly high: string;
}

export interface CommittedOffset {
  readonly partition: number;
  /** The next offset to read, or `-1` when nothing was committed. */
  readonly offset: string;
  /** The metadata string committed with it, or null. */
  readonly metadata: string | null;
}

/** The few admin calls loglake needs, behind its own interface. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  describeCluster(): Promise<ClusterInfo>;
  listTopics(): Promise<string[]>;
  /**
   * Creates the topic with `topicConfigs(spec)` if it does not exist (an existing topic is left as
   * it is, and needs only DESCRIBE on it, not CREATE); resolves once it has leaders. Returns whether
   * it created it.
   */
  ensureTopic(spec: TopicSpec): Promise<boolean>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  partitions(topic: string): Promise<PartitionMetadata[]>;
  /** Committed offsets of a group; `-1` where the group has committed nothing. */
  committedOffsets(groupId: string, topic: string): Promise<CommittedOffset[]>;
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  /** DeleteRecords: the partition's log starts at `before` afterwards (what retention does by time). */
  deleteRecords(topic: string, partition: number, before: string): Promise<void>;
}

export function createKafkaAdmin(config: KafkaClientConfig, logger?: Logger): KafkaAdmin {
  const admin: Admin = createKafkaJs(config, logger).admin();
  const run = <T>(action: string, work: () => Promise<T>) => explained(config, action, work);
  return {
    connect: () => run('connecting', () => admin.connect()),
    disconnect: () => admin.disconnect(),
    describeCluster: () =>
      run('describing the cluster', async () => {
        const c = await admin.describeCluster();
        return { clusterId: c.clusterId, controller: c.controller, brokers: c.brokers };
      }),
    listTopics: () => run('listing topics', () => admin.listTopics()),
    ensureTopic: (spec) =>
      run(`ensuring topic ${spec.topic}`, async () => {
        // An existing topic is not created again: a principal that may only see it need not have CREATE.
        const exists = (await admin.listTopics()).includes(spec.topic);
        // kafkajs' own waitForLeaders gives up when the broker it asks has not yet
        // heard of the new topic (UNKNOWN_TOPIC_OR_PARTITION), which a multi-broker
        // cluster answers for a moment after creation; wait here instead.
        const created =
          !exists &&
          (await admin.createTopics({
            waitForLeaders: false,
            topics: [
              {
                topic: spec.topic,
                numPartitions: spec.partitions,
                replicationFactor: spec.replicationFactor,
                configEntries: Object.entries(topicConfigs(spec)).map(([name, value]) => ({
                  name,
                  value,
                })),
              },
            ],
          }));
        await waitForLeaders(admin, spec.topic, created ? spec.partitions : 1, LEADER_WAIT_MS);
        return created;
      }),
    deleteTopics: (topics) =>
      run(`deleting topics ${topics.join(',')}`, async () => {
        if (topics.length > 0) await admin.deleteTopics({ topics: [...topics] });
      }),
    topicOffsets: (topic) =>
      run(`reading the offsets of ${topic}`, async () => {
        const offsets = await admin.fetchTopicOffsets(topic);
        return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
      }),
    partitions: (topic) =>
      run(`reading the metadata of ${topic}`, async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return (topics[0]?.partitions ?? []).map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
        }));
      }),
    committedOffsets: (groupId, topic) =>
      run(`reading the offsets group ${groupId} committed on ${topic}`, async () => {
        const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (entry?.partitions ?? []).map((p) => ({
          partition: p.partition,
          offset: p.offset,
          metadata: p.metadata ?? null,
        }));
      }),
    deleteGroups: (groupIds) =>
      run(`deleting groups ${groupIds.join(',')}`, async () => {
        if (groupIds.length > 0) await admin.deleteGroups([...groupIds]);
      }),
    deleteRecords: (topic, partition, before) =>
      run(`deleting records of ${topic}`, async () => {
        // kafkajs looks the leader up in its cached metadata only: load the topic's first.
        await admin.fetchTopicMetadata({ topics: [topic] });
        await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: before }] });
      }),
  };
}

const LEADER_WAIT_MS = 30_000;
const LEADER_POLL_MS = 100;
const TRANSIENT_METADATA_ERRORS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** Polls metadata until the topic has at least `partitions` partitions, each with a leader. */
async function waitForLeaders(
  admin: Admin,
  topic: string,
  partitions: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no metadata yet';
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = topics[0]?.partitions ?? [];
      if (parts.length >= partitions && parts.every((p) => p.leader >= 0)) return;
      last = `${parts.filter((p) => p.leader >= 0).length} of ${partitions} partitions have a leader`;
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (typeof type !== 'string' || !TRANSIENT_METADATA_ERRORS.has(type)) throw error;
      last = type;
    }
    if (Date.now() >= deadline) {
      throw new LoglakeError(
        'LOGLAKE_KAFKA_UNAVAILABLE',
        `topic ${topic} has no leaders after ${timeoutMs} ms (${last})`,
        { retryable: true },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, LEADER_POLL_MS));
  }
}
