import type { Consumer } from 'kafkajs';
import { LoglakeError, type Logger } from '@loglake/core';
import type { KafkaClientConfig } from './config.ts';
import { createKafkaJs } from './client.ts';
import { explainKafkaError, explained, isKafkaJsError } from './errors.ts';

/**
 * One record of a batch, as the client decoded it (not copied: a batch of a million records costs
 * no second object per record). Its partition is the batch's; headers are not read by loglake.
 */
export interface ConsumedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Broker or producer timestamp, epoch milliseconds as a string. */
  readonly timestamp: string;
}

export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly records: readonly ConsumedRecord[];
}

export interface BatchControls {
  /** Keeps the group membership alive; call during long work inside a batch. */
  heartbeat(): Promise<void>;
  /** Moves the fetch position past `offset` (not a commit). */
  resolveOffset(offset: string): void;
  isRunning(): boolean;
  /** True when a rebalance made this batch's partition no longer ours. */
  isStale(): boolean;
}

export interface CommitOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read (last processed + 1). */
  readonly offset: string;
  readonly metadata?: string;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly maxBytesPerPartition?: number;
  readonly maxBytes?: number;
  readonly maxWaitTimeMs?: number;
}

export type Assignment = Readonly<Record<string, readonly number[]>>;

/** A consumer-group member with manual commits: nothing is committed unless `commit` is called. */
export interface KafkaConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(topic: string, options?: { fromBeginning?: boolean }): Promise<void>;
  run(handler: (batch: ConsumedBatch, controls: BatchControls) => Promise<void>): Promise<void>;
  commit(offsets: readonly CommitOffset[]): Promise<void>;
  pause(topic: string, partitions?: readonly number[]): void;
  /** Moves the fetch position of a partition (takes effect at the next fetch). */
  seek(topic: string, partition: number, offset: string): void;
  resume(topic: string, partitions?: readonly number[]): void;
  /** After every join: this member's assignment and id (a new id means the member was evicted in between). */
  onGroupJoin(listener: (assignment: Assignment, memberId: string) => void): void;
  onCrash(listener: (error: unknown, willRestart: boolean) => void): void;
  /** Stops fetching and leaves the group; `run`'s handler is not called again. */
  stop(): Promise<void>;
}

/**
 * A crash's error, explained. kafkajs turns a FindCoordinator the ACLs deny (GROUP_AUTHORIZATION_FAILED)
 * into "Failed to find group coordinator" and drops the reason, so that message gets the hint.
 */
function explainCrash(error: unknown, config: KafkaClientConfig, groupId: string): unknown {
  const explained = explainKafkaError(error, config, `consuming in group ${groupId}`);
  if (explained !== error || !isKafkaJsError(error, 'KafkaJSGroupCoordinatorNotFound')) {
    return explained;
  }
  const who = config.sasl ? `User:${config.sasl.username}` : 'this client';
  return new LoglakeError(
    'LOGLAKE_KAFKA_UNAVAILABLE',
    `no coordinator found for group ${groupId}; kafkajs says this too when the cluster's ACLs deny the group: check that ${who} may READ group ${groupId}`,
    { retryable: true, cause: error },
  );
}

export function createKafkaConsumer(
  config: KafkaClientConfig,
  options: ConsumerOptions,
  logger?: Logger,
): KafkaConsumer {
  const consumer: Consumer = createKafkaJs(config, logger).consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
    rebalanceTimeout: options.rebalanceTimeoutMs ?? 60000,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1048576,
    maxBytes: options.maxBytes ?? 10485760,
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
    allowAutoTopicCreation: false,
  });
  return {
    connect: () => explained(config, 'connecting the consumer', () => consumer.connect()),
    disconnect: () => consumer.disconnect(),
    subscribe: (topic, opts = {}) =>
      explained(config, `subscribing to ${topic}`, () =>
        consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? false }),
      ),
    run(handler) {
      return consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const records: readonly ConsumedRecord[] = batch.messages;
          await handler(
            {
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: batch.highWatermark,
              records,
            },
            {
              heartbeat: () => payload.heartbeat(),
              resolveOffset: (offset) => payload.resolveOffset(offset),
              isRunning: () => payload.isRunning(),
              isStale: () => payload.isStale(),
            },
          );
        },
      });
    },
    commit: (offsets) =>
      consumer.commitOffsets(
        offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          ...(o.metadata === undefined ? {} : { metadata: o.metadata }),
        })),
      ),
    pause: (topic, partitions) =>
      consumer.pause([{ topic, ...(partitions ? { partitions: [...partitions] } : {}) }]),
    seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset }),
    resume: (topic, partitions) =>
      consumer.resume([{ topic, ...(partitions ? { partitions: [...partitions] } : {}) }]),
    onGroupJoin(listener) {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        listener(event.payload.memberAssignment, event.payload.memberId);
      });
    },
    stop: () => consumer.stop(),
    onCrash(listener) {
      consumer.on(consumer.events.CRASH, (event) => {
        listener(explainCrash(event.payload.error, config, options.groupId), event.payload.restart);
      });
    },
  };
}
