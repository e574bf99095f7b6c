import { describe, expect, it } from 'vitest';
import { JAVA_PARTITIONS } from './java-partition-vectors.ts';
import { StickyPartitions, javaKeyPartition } from './partitioner.ts';

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
