/**
 * @confluentinc/kafka-javascript (librdkafka in a native addon), through its two APIs:
 *   - confluent-kafkajs: the KafkaJS-style promise API (`KafkaJS.Kafka`), which sets the
 *     `murmur2_random` partitioner (Java's mapping for keyed records) itself;
 *   - confluent-rdkafka: the node-rdkafka-style API (`Producer`, `KafkaConsumer`), whose default
 *     partitioner is librdkafka's `consistent_random` (CRC32), so it is set to `murmur2_random`.
 * librdkafka's idempotent producer keeps at most 5 requests in flight per broker and owns its retries.
 */
import { createRequire } from 'node:module';
import type * as Confluent from '@confluentinc/kafka-javascript';
import {
  FETCH,
  PRODUCE_TIMEOUT_MS,
  type BenchConsumer,
  type BenchProducer,
  type ClientAdapter,
  type ClientTarget,
} from '../adapter.ts';
import { installedVersion } from './version.ts';

const require = createRequire(import.meta.url);

/** Loads the native addon on first use: without its build (`pnpm bench:kafka:build-confluent`) this throws. */
export function loadConfluent(): typeof Confluent {
  return require('@confluentinc/kafka-javascript') as typeof Confluent;
}

const VERSION = installedVersion('@confluentinc/kafka-javascript');

const common = (target: ClientTarget) => ({
  'bootstrap.servers': target.brokers.join(','),
  'client.id': target.clientId,
  log_level: 3,
});

export const confluentKafkaJs: ClientAdapter = {
  id: 'confluent-kafkajs',
  library: `@confluentinc/kafka-javascript ${VERSION}, KafkaJS-style API`,
  producerSetup: 'idempotent (librdkafka: ≤ 5 requests in flight)',
  outstandingSends: 16,

  async createProducer(target) {
    const { KafkaJS } = loadConfluent();
    const producer = new KafkaJS.Kafka({}).producer({
      ...common(target),
      kafkaJS: { idempotent: true, acks: -1, timeout: PRODUCE_TIMEOUT_MS },
    });
    await producer.connect();
    return {
      async send(records) {
        await producer.send({
          topic: target.topic,
          messages: records.map((r) => ({ key: r.key, value: r.value })),
        });
      },
      close: () => producer.disconnect(),
    };
  },

  async createConsumer(target, groupId) {
    const { KafkaJS } = loadConfluent();
    const consumer = new KafkaJS.Kafka({}).consumer({
      ...common(target),
      'fetch.max.bytes': FETCH.maxBytes,
      kafkaJS: {
        groupId,
        fromBeginning: true,
        autoCommit: false,
        maxBytes: FETCH.maxBytes,
        maxBytesPerPartition: FETCH.maxBytesPerPartition,
        maxWaitTimeInMs: FETCH.maxWaitMs,
      },
    });
    await consumer.connect();
    await consumer.subscribe({ topic: target.topic });
    return {
      async start(onRecord) {
        await consumer.run({
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

function rdkafkaProducer(target: ClientTarget): Promise<BenchProducer> {
  const { Producer } = loadConfluent();
  const producer = new Producer({
    ...common(target),
    'enable.idempotence': true,
    acks: -1,
    partitioner: 'murmur2_random',
    dr_cb: true,
    'request.timeout.ms': PRODUCE_TIMEOUT_MS,
  });
  /** Per send: records still waiting for their delivery report, and how to finish. */
  interface Pending {
    left: number;
    done: (error?: Error) => void;
  }
  producer.on('delivery-report', (error, report) => {
    const pending = report.opaque as Pending;
    if (error) pending.done(new Error(`delivery failed: ${error.message} (${error.code})`));
    else if ((pending.left -= 1) === 0) pending.done();
  });
  return new Promise((resolve, reject) => {
    producer.connect({}, (error) => {
      if (error) {
        reject(new Error(`connect failed: ${error.message}`));
        return;
      }
      producer.setPollInBackground(true);
      resolve({
        send: (records) =>
          new Promise<void>((done, fail) => {
            let settled = false;
            const pending: Pending = {
              left: records.length,
              done: (e) => {
                if (settled) return;
                settled = true;
                if (e) fail(e);
                else done();
              },
            };
            for (const r of records)
              producer.produce(target.topic, null, r.value, r.key, null, pending);
          }),
        close: () =>
          new Promise<void>((done) => {
            producer.flush(10_000, () => producer.disconnect(() => done()));
          }),
      });
    });
  });
}

function rdkafkaConsumer(target: ClientTarget, groupId: string): Promise<BenchConsumer> {
  const { KafkaConsumer } = loadConfluent();
  const consumer = new KafkaConsumer(
    {
      ...common(target),
      'group.id': groupId,
      'enable.auto.commit': false,
      'fetch.max.bytes': FETCH.maxBytes,
      'max.partition.fetch.bytes': FETCH.maxBytesPerPartition,
      'fetch.wait.max.ms': FETCH.maxWaitMs,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  let running = true;
  return new Promise((resolve, reject) => {
    consumer.connect({}, (error) => {
      if (error) {
        reject(new Error(`connect failed: ${error.message}`));
        return;
      }
      consumer.subscribe([target.topic]);
      consumer.setDefaultConsumeTimeout(100);
      resolve({
        async start(onRecord) {
          const next = () => {
            if (!running) return;
            consumer.consume(1000, (e, messages) => {
              if (e) {
                process.stderr.write(`consume error: ${String(e)}\n`);
              } else {
                for (const m of messages) onRecord(m.partition, m.offset, m.value as Buffer);
              }
              setImmediate(next);
            });
          };
          next();
        },
        async commit(offsets) {
          consumer.commitSync(
            [...offsets].map(([partition, offset]) => ({ topic: target.topic, partition, offset })),
          );
        },
        close: () =>
          new Promise<void>((done) => {
            running = false;
            consumer.disconnect(() => done());
          }),
      });
    });
  });
}

export const confluentRdKafka: ClientAdapter = {
  id: 'confluent-rdkafka',
  library: `@confluentinc/kafka-javascript ${VERSION}, node-rdkafka-style API`,
  producerSetup: 'enable.idempotence, murmur2_random (librdkafka: ≤ 5 requests in flight)',
  outstandingSends: 16,
  createProducer: rdkafkaProducer,
  createConsumer: rdkafkaConsumer,
};
