/**
 * @platformatic/kafka 2.x (Node >= 22.22). Its default partitioner maps keys with `murmur2 >>> 0`,
 * which is not Java's `& 0x7fffffff`; `compatibilityPartitioner` is. Since 2.3.0 (#310) the idempotent
 * producer takes a send's sequence numbers when it goes out, not when its answer comes back, so
 * several sends may be outstanding; each connection keeps at most `maxInflights` (5) requests on the wire.
 */
import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  compatibilityPartitioner,
} from '@platformatic/kafka';
import { FETCH, PRODUCE_TIMEOUT_MS, type ClientAdapter } from '../adapter.ts';
import { installedVersion } from './version.ts';

export const platformatic: ClientAdapter = {
  id: 'platformatic',
  library: `@platformatic/kafka ${installedVersion('@platformatic/kafka')}`,
  producerSetup: 'idempotent, compatibilityPartitioner, ≤ 5 requests in flight per connection',
  outstandingSends: 16,

  async createProducer(target) {
    const producer = new Producer({
      clientId: target.clientId,
      bootstrapBrokers: [...target.brokers],
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
      timeout: PRODUCE_TIMEOUT_MS,
    });
    await producer.metadata({ topics: [target.topic] });
    return {
      async send(records) {
        await producer.send({
          messages: records.map((r) => ({ topic: target.topic, key: r.key, value: r.value })),
        });
      },
      close: () => producer.close(),
    };
  },

  async createConsumer(target, groupId) {
    const consumer = new Consumer({
      clientId: target.clientId,
      bootstrapBrokers: [...target.brokers],
      groupId,
      autocommit: false,
      maxBytes: FETCH.maxBytes,
      maxBytesPerPartition: FETCH.maxBytesPerPartition,
      maxWaitTime: FETCH.maxWaitMs,
    });
    let stream: Awaited<ReturnType<typeof consumer.consume>> | null = null;
    return {
      async start(onRecord) {
        stream = await consumer.consume({
          topics: [target.topic],
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        });
        stream.on('data', (m) => onRecord(m.partition, Number(m.offset), m.value));
      },
      async commit(next) {
        await consumer.commit({
          offsets: [...next].map(([partition, offset]) => ({
            topic: target.topic,
            partition,
            offset: BigInt(offset),
            leaderEpoch: -1,
          })),
        });
      },
      async close() {
        await stream?.close();
        await consumer.close(true);
      },
    };
  },
};
