import type { Admin } from 'kafkajs';
import { LoglakeError, type Logger } from '@loglake/core';
import type { KafkaClientConfig } from './config.ts';
import { createKafkaJs } from './client.ts';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs?: Readonly<Record<string, string>>;
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
  /** Creates the topic if it does not exist; resolves once it has leaders. Returns whether it created it. */
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
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    async describeCluster() {
      const c = await admin.describeCluster();
      return { clusterId: c.clusterId, controller: c.controller, brokers: c.brokers };
    },
    listTopics: () => admin.listTopics(),
    async ensureTopic(spec) {
      // kafkajs' own waitForLeaders gives up when the broker it asks has not yet
      // heard of the new topic (UNKNOWN_TOPIC_OR_PARTITION), which a multi-broker
      // cluster answers for a moment after creation; wait here instead.
      const created = await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.partitions,
            replicationFactor: spec.replicationFactor,
            configEntries: Object.entries(spec.configs ?? {}).map(([name, value]) => ({
              name,
              value,
            })),
          },
        ],
      });
      await waitForLeaders(admin, spec.topic, created ? spec.partitions : 1, LEADER_WAIT_MS);
      return created;
    },
    async deleteTopics(topics) {
      if (topics.length > 0) await admin.deleteTopics({ topics: [...topics] });
    },
    async topicOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
    },
    async partitions(topic) {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return (topics[0]?.partitions ?? []).map((p) => ({
        partition: p.partitionId,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
      }));
    },
    async committedOffsets(groupId, topic) {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (entry?.partitions ?? []).map((p) => ({
        partition: p.partition,
        offset: p.offset,
        metadata: p.metadata ?? null,
      }));
    },
    async deleteGroups(groupIds) {
      if (groupIds.length > 0) await admin.deleteGroups([...groupIds]);
    },
    async deleteRecords(topic, partition, before) {
      // kafkajs looks the leader up in its cached metadata only: load the topic's first.
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition, offset: before }] });
    },
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
