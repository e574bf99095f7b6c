/**
 * kafkajs 2.2.4, configured as packages/kafka configures it for the gateway and the sink. Its
 * idempotent producer sends each produce request under a per-broker lock held until the answer
 * (#1050, after out-of-order sequences with concurrent sends, #598): one request in flight per
 * broker, and maxInFlightRequests 1 as the gateway sets it.
 */
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import {
  FETCH,
  PRODUCE_TIMEOUT_MS,
  type BenchConsumer,
  type ClientAdapter,
  type ClientTarget,
} from '../adapter.ts';
import { installedVersion } from './version.ts';

function client(target: ClientTarget): Kafka {
  return new Kafka({
    clientId: target.clientId,
    brokers: [...target.brokers],
    logLevel: logLevel.ERROR,
    connectionTimeout: 3000,
    requestTimeout: PRODUCE_TIMEOUT_MS,
  });
}

export const kafkajs: ClientAdapter = {
  id: 'kafkajs',
  library: `kafkajs ${installedVersion('kafkajs')}`,
  producerSetup: 'idempotent, maxInFlightRequests 1 (a per-broker lock: 1 request in flight)',
  outstandingSends: 16,

  async createProducer(target) {
    const producer: Producer = client(target).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    return {
      async send(records) {
        await producer.send({
          topic: target.topic,
          acks: -1,
          timeout: PRODUCE_TIMEOUT_MS,
          messages: records.map((r) => ({ key: r.key, value: r.value })),
        });
      },
      close: () => producer.disconnect(),
    };
  },

  async createConsumer(target, groupId): Promise<BenchConsumer> {
    const consumer = client(target).consumer({
      groupId,
      maxBytes: FETCH.maxBytes,
      maxBytesPerPartition: FETCH.maxBytesPerPartition,
      maxWaitTimeInMs: FETCH.maxWaitMs,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: target.topic, fromBeginning: true });
    return {
      async start(onRecord) {
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            for (const m of batch.messages) {
              onRecord(batch.partition, Number(m.offset), m.value as Buffer);
            }
            const last = batch.messages.at(-1);
            if (last) payload.resolveOffset(last.offset);
          },
        });
      },
      async commit(next) {
        await consumer.commitOffsets(
          [...next].map(([partition, offset]) => ({
            topic: target.topic,
            partition,
            offset: String(offset),
          })),
        );
      },
      close: () => consumer.disconnect(),
    };
  },
};
