const M = 0x5bd1e995;
const SEED = 0x9747b28c;

/**
 * Kafka's murmur2 (Java's `Utils.murmur2`) in 32-bit integer arithmetic. @platformatic/kafka's own
 * does it in BigInt, about 1 µs a key: the largest single cost of a keyed record in the gateway's
 * profile. The Java vectors below prove the two agree.
 */
export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length - whole;
  if (rest > 0) {
    if (rest === 3) h ^= (data[whole + 2] ?? 0) << 16;
    if (rest >= 2) h ^= (data[whole + 1] ?? 0) << 8;
    h ^= data[whole] ?? 0;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Key → partition as Kafka's Java producer maps it (`toPositive(murmur2(key)) % partitions`), which
 * kafkajs' DefaultPartitioner and librdkafka's `murmur2_random` match too: every producer to one
 * topic puts one key on one partition. @platformatic/kafka takes the number modulo the topic's
 * partition count when it sends. Its own default (`murmur2 >>> 0`) differs for negative hashes.
 */
export function javaKeyPartition(key: Buffer): number {
  return murmur2(key) & 0x7fffffff;
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
