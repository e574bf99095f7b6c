import { describe, expect, it } from 'vitest';
import { JAVA_PARTITIONS } from './java-partition-vectors.ts';
import { compatibilityPartitioner } from '@platformatic/kafka';
import { StickyPartitions, javaKeyPartition, murmur2 } from './partitioner.ts';

describe('javaKeyPartition', () => {
  it.each([6, 12])('puts each key on the partition the Java producer does (%i partitions)', (n) => {
    for (const [key, , p6, p12] of JAVA_PARTITIONS)
      expect(javaKeyPartition(Buffer.from(key)) % n, key).toBe(n === 6 ? p6 : p12);
  });
});

describe('StickyPartitions', () => {
  it('moves to the next partition with each send', () => {
    const sticky = new StickyPartitions();
    expect([sticky.take(), sticky.take(), sticky.take()].map((p) => p % 2)).toEqual([0, 1, 0]);
  });
});

describe('murmur2', () => {
  it('equals Java’s Utils.murmur2', () => {
    for (const [key, java] of JAVA_PARTITIONS) expect(murmur2(Buffer.from(key)), key).toBe(java);
  });

  it('equals @platformatic/kafka’s (BigInt) murmur2 for keys of every length up to 40 bytes', () => {
    for (let n = 0; n <= 40; n += 1) {
      const key = Buffer.from(Array.from({ length: n }, (_, i) => (i * 151 + n * 7) & 0xff));
      expect(murmur2(key) & 0x7fffffff, `length ${n}`).toBe(
        compatibilityPartitioner({ topic: '', value: undefined }, key),
      );
    }
  });
});
