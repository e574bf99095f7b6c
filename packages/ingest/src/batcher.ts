import type { KafkaMessage, KafkaProducer, ProducerRecord } from '@loglake/kafka';
import type { ProducerSlot } from './producer-slot.ts';

/** What a batch carries: records, or messages already built for the batcher's topic. */
type BatchRecord = ProducerRecord | KafkaMessage;

export interface BatcherOptions {
  readonly topic: string;
  /** How long the first record of a batch waits for others. */
  readonly lingerMs: number;
  /** A batch is sent at once when it holds this many bytes. */
  readonly maxBatchBytes: number;
  /** Produce calls in flight at once; more batches wait. */
  readonly maxInFlight: number;
}

interface Pending {
  readonly records: BatchRecord[];
  bytes: number;
  readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Micro-batching: records of concurrent requests go to Kafka in one produce call. Each request's
 * promise settles with the call that carried its records (acks=all), never before.
 *
 * After a failed call nothing more is sent on its producer (see ProducerSlot): the batches waiting
 * to be sent fail with it, unsent, and the next batch goes out on a new producer.
 */
export class ProduceBatcher {
  private pending: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly ready: Pending[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly producers: ProducerSlot,
    private readonly options: BatcherOptions,
    private readonly onBatch: (
      records: number,
      bytes: number,
      seconds: number,
      ok: boolean,
    ) => void = () => undefined,
  ) {}

  /** Resolves once Kafka has acknowledged every record; rejects if their produce call failed. */
  send(records: BatchRecord[], bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const batch = (this.pending ??= { records: [], bytes: 0, waiters: [] });
      for (const r of records) batch.records.push(r);
      batch.bytes += bytes;
      batch.waiters.push({ resolve, reject });
      if (batch.bytes >= this.options.maxBatchBytes) this.cut();
      else this.timer ??= setTimeout(() => this.cut(), this.options.lingerMs);
    });
  }

  /** Number of produce calls in flight or waiting. */
  get backlog(): number {
    return this.inFlight + this.ready.length + (this.pending ? 1 : 0);
  }

  /** Sends what is pending now and resolves when nothing is in flight. */
  async drain(): Promise<void> {
    this.cut();
    if (this.backlog === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private cut(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending) this.ready.push(this.pending);
    this.pending = null;
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.ready.length > 0) {
      const batch = this.ready.shift();
      if (batch) void this.produce(batch);
    }
    if (this.backlog === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async produce(batch: Pending): Promise<void> {
    this.inFlight += 1;
    const started = performance.now();
    let producer: KafkaProducer | null = null;
    try {
      producer = await this.producers.connect();
      await producer.send(this.options.topic, batch.records);
      this.onBatch(batch.records.length, batch.bytes, (performance.now() - started) / 1000, true);
      for (const w of batch.waiters) w.resolve();
    } catch (error) {
      this.onBatch(batch.records.length, batch.bytes, (performance.now() - started) / 1000, false);
      for (const w of batch.waiters) w.reject(error);
      if (producer) this.producers.retire(producer, error);
      this.failWaiting(error);
    } finally {
      this.inFlight -= 1;
      this.pump();
    }
  }

  /** Fails every batch not sent yet: none of their records went to Kafka. */
  private failWaiting(error: unknown): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const waiting = this.pending ? [...this.ready, this.pending] : [...this.ready];
    this.ready.length = 0;
    this.pending = null;
    for (const batch of waiting) for (const w of batch.waiters) w.reject(error);
  }
}
