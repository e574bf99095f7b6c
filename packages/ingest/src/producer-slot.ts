import type { KafkaProducer } from '@loglake/kafka';

/**
 * The producer a batcher sends on, replaced after a failed send and never sent on again.
 *
 * A send that failed may have been written all the same (a lost response, a leader that crashed
 * after replicating it), and an idempotent producer's sequence numbers then no longer match the
 * broker's. kafkajs rolls its sequence numbers back after a failed send: its next batch carries the
 * numbers of the one the broker may have stored, and a broker that sees the same sequence range
 * from the same producer takes the new batch for a retry of the stored one and acknowledges records
 * it never wrote (or, with another record count, refuses every later batch with
 * OUT_OF_ORDER_SEQUENCE_NUMBER). A fresh producer has a new producer id and starts its sequences at
 * 0, whatever the client; reconnecting the old one keeps its id and sequences.
 */
export class ProducerSlot {
  private producer: KafkaProducer;
  private connected: Promise<void> | null = null;
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    private readonly create: () => KafkaProducer,
    /** Called when a producer is retired, with why. */
    private readonly onRetired: (reason: unknown) => void = () => undefined,
  ) {
    this.producer = create();
  }

  /** The producer to send on, connected (a new one is connected on first use). */
  async connect(): Promise<KafkaProducer> {
    const producer = this.producer;
    const connected = (this.connected ??= producer.connect());
    try {
      await connected;
    } catch (error) {
      this.retire(producer, error);
      throw error;
    }
    // Retired while it was connecting: its successor, never it.
    return producer === this.producer ? producer : this.connect();
  }

  /**
   * Nothing is sent on `producer` again: it is disconnected once its requests have settled, and the
   * next `connect()` makes a new one. A producer retired already is left alone.
   */
  retire(producer: KafkaProducer, reason: unknown): void {
    if (producer !== this.producer) return;
    this.producer = this.create();
    this.connected = null;
    const closing = producer
      .disconnect()
      .catch(() => undefined)
      .finally(() => this.retiring.delete(closing));
    this.retiring.add(closing);
    this.onRetired(reason);
  }

  /** Disconnects the current producer and waits for retired ones to finish disconnecting. */
  async close(): Promise<void> {
    await Promise.all([this.producer.disconnect(), ...this.retiring]);
  }
}
