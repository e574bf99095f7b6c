/**
 * Key → partition mapping of the clients' partitioners against Kafka's Java producer. The vectors:
 * murmur2 values from Kafka's own UtilsTest plus the bench's keys, partitions from
 * `BuiltInPartitioner.partitionForKey` of kafka-clients 4.4.0 (JavaPartitions.java, 6 and 12
 * partitions). librdkafka's `murmur2_random` has no JavaScript function to call: `pnpm bench:kafka`
 * checks it (and every other client) end to end, each partition's record count against Java's.
 */
import { compatibilityPartitioner, defaultPartitioner, murmur2 } from '@platformatic/kafka';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { JAVA_PARTITIONS as JAVA } from '@loglake/kafka/java-partition-vectors';

const kafkajsPartition = (key: string, partitions: number): number =>
  Partitioners.DefaultPartitioner()({
    topic: 't',
    partitionMetadata: Array.from({ length: partitions }, (_, i) => ({
      partitionErrorCode: 0,
      partitionId: i,
      leader: 1,
      replicas: [1],
      isr: [1],
    })),
    message: { key: Buffer.from(key), value: null },
  });

/** @platformatic/kafka takes the partitioner's number modulo the partition count when it sends. */
const platformaticPartition = (
  partitioner: typeof defaultPartitioner,
  key: string,
  partitions: number,
): number => partitioner({ topic: 't', value: Buffer.alloc(0) }, Buffer.from(key)) % partitions;

describe('key → partition, against the Java producer', () => {
  it('@platformatic/kafka computes the same murmur2 as Java', () => {
    for (const [key, hash] of JAVA) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it.each([6, 12])('kafkajs DefaultPartitioner matches Java (%i partitions)', (partitions) => {
    for (const [key, , p6, p12] of JAVA)
      expect(kafkajsPartition(key, partitions), key).toBe(partitions === 6 ? p6 : p12);
  });

  it.each([6, 12])(
    '@platformatic/kafka compatibilityPartitioner matches Java (%i partitions)',
    (partitions) => {
      for (const [key, , p6, p12] of JAVA)
        expect(platformaticPartition(compatibilityPartitioner, key, partitions), key).toBe(
          partitions === 6 ? p6 : p12,
        );
    },
  );

  it('@platformatic/kafka defaultPartitioner (murmur2 >>> 0) does not match Java for negative hashes', () => {
    const differing = JAVA.filter(
      ([key, , p6]) => platformaticPartition(defaultPartitioner, key, 6) !== p6,
    ).map(([key]) => key);
    expect(differing.length).toBeGreaterThan(0);
    // Positive hashes agree: the two differ only in how a negative 32-bit hash is made positive.
    for (const [key, hash, p6] of JAVA)
      if (hash >= 0) expect(platformaticPartition(defaultPartitioner, key, 6), key).toBe(p6);
  });
});
