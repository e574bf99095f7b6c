import { expect } from 'vitest';
import { createKafkaProducer, kafkaMessage } from '@loglake/kafka';
import { JAVA_PARTITIONS } from '@loglake/kafka/java-partition-vectors';
import { test, uniqueName } from '../support/fixtures.ts';
import { consumeAll } from '../support/consume.ts';

test('10,000 messages produced with acks=all are all consumed back, and commits land', async ({
  kafka,
  admin,
  topic,
  groupId,
}) => {
  const producer = createKafkaProducer(kafka);
  await producer.connect();
  const sent: string[] = [];
  try {
    for (let batch = 0; batch < 20; batch += 1) {
      const records = Array.from({ length: 500 }, (_, i) => {
        const value = JSON.stringify({
          seq: batch * 500 + i,
          text: `message ${batch * 500 + i} ünïcødé ✓`,
        });
        sent.push(value);
        return { key: `user-${(batch * 500 + i) % 97}`, value };
      });
      const produced = await producer.send(topic, records);
      expect(produced.length).toBeGreaterThan(0);
    }
  } finally {
    await producer.disconnect();
  }

  const offsets = await admin.topicOffsets(topic);
  const total = offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  expect(total).toBe(10_000);

  const records = await consumeAll(kafka, topic, { groupId, commit: true });
  expect(records).toHaveLength(10_000);
  expect(new Set(records.map((r) => r.text))).toEqual(new Set(sent));

  // Same key, same partition: the default partitioner keeps a user's events together.
  const partitionsByKey = new Map<string, Set<number>>();
  for (const r of records) {
    const key = r.key?.toString() ?? '';
    partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(r.partition));
  }
  expect([...partitionsByKey.values()].every((s) => s.size === 1)).toBe(true);

  // Manual commits were stored: the group's offsets equal the log end offsets.
  const committed = await admin.committedOffsets(groupId, topic);
  const byPartition = new Map(committed.map((c) => [c.partition, c.offset]));
  for (const p of offsets) expect(byPartition.get(p.partition)).toBe(p.high);
});

test("keys land on the Java producer's partitions; keyless records of one send share a partition (records and prebuilt messages alike)", async ({
  kafka,
  admin,
}) => {
  const topic = uniqueName('partitions');
  await admin.ensureTopic({ topic, partitions: 6, replicationFactor: 1 });
  const producer = createKafkaProducer(kafka, { idempotent: true });
  await producer.connect();
  try {
    // Half as records, half as messages built once by the caller (the gateway's form).
    await producer.send(
      topic,
      JAVA_PARTITIONS.map(([key], i) =>
        i % 2 === 0
          ? { key, value: JSON.stringify({ key }) }
          : kafkaMessage(topic, key, JSON.stringify({ key })),
      ),
    );
    for (let send = 0; send < 6; send += 1) {
      await producer.send(
        topic,
        Array.from({ length: 10 }, (_, i) =>
          send < 3
            ? { key: null, value: JSON.stringify({ send, i }) }
            : kafkaMessage(topic, null, JSON.stringify({ send, i })),
        ),
      );
    }
    // A message built for another topic is refused, and nothing of its send is written.
    await expect(
      producer.send(topic, [
        { key: null, value: 'never written' },
        kafkaMessage(`${topic}-other`, null, 'never written'),
      ]),
    ).rejects.toThrow(/built for .*-other/);
  } finally {
    await producer.disconnect();
  }
  const records = await consumeAll(kafka, topic);
  const keyed = records.filter((r) => r.key !== null);
  expect(new Map(keyed.map((r) => [r.key?.toString(), r.partition]))).toEqual(
    new Map(JAVA_PARTITIONS.map(([key, , p6]) => [key, p6])),
  );
  const bySend = new Map<number, Set<number>>();
  for (const r of records.filter((r) => r.key === null)) {
    const { send } = JSON.parse(r.text) as { send: number };
    bySend.set(send, (bySend.get(send) ?? new Set()).add(r.partition));
  }
  expect([...bySend.values()].map((s) => s.size)).toEqual([1, 1, 1, 1, 1, 1]);
  expect(new Set([...bySend.values()].map((s) => [...s][0])).size).toBe(6);
  expect(records.filter((r) => r.key === null)).toHaveLength(60);
  await admin.deleteTopics([topic]);
});
