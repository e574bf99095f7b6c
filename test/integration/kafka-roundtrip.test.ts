import { expect } from 'vitest';
import { createKafkaProducer } from '@loglake/kafka';
import { test } from '../support/fixtures.ts';
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
