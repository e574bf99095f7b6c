import { compatibilityPartitioner } from '@platformatic/kafka';

/**
 * Key → partition as Kafka's Java producer maps it (`toPositive(murmur2(key)) % partitions`), which
 * kafkajs' DefaultPartitioner and librdkafka's `murmur2_random` match too: every producer to one
 * topic puts one key on one partition. @platformatic/kafka takes the number modulo the topic's
 * partition count when it sends. Its own default (`murmur2 >>> 0`) differs for negative hashes.
 */
export function javaKeyPartition(key: Buffer): number {
  return compatibilityPartitioner({ topic: '', value: undefined }, key);
}

/**
 * Records without a key: one partition per send, the next one for the next send (Java's sticky
 * behaviour, KIP-480: fewer, larger per-partition batches than spreading record by record).
 */
export class StickyPartitions {
  private next = 0;

  /** The partition number for this send's keyless records (taken modulo the partition count). */
  take(): number {
    const p = this.next;
    this.next = (this.next + 1) % 0x7fffffff;
    return p;
  }
}
