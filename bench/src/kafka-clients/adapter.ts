/**
 * The one small interface every Kafka client of `pnpm bench:kafka` sits behind. An adapter only
 * translates; the produce and consume loops, the clocks and the checks are the same for all
 * (bench/src/kafka-clients/child.ts).
 */

export interface BenchRecord {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface ClientTarget {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly clientId: string;
}

/** An idempotent producer with acks=all and Java-compatible key → partition mapping. */
export interface BenchProducer {
  /** Resolves once every record of the batch is acknowledged by all in-sync replicas. */
  send(records: readonly BenchRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Called for every consumed record; `value` must be the record's bytes as a Buffer. */
export type OnRecord = (partition: number, offset: number, value: Buffer) => void;

/** A consumer-group member reading the topic from the beginning, without auto-commit. */
export interface BenchConsumer {
  /** Joins the group and calls `onRecord` for every record until `stop` is called. */
  start(onRecord: OnRecord): Promise<void>;
  /** Commits `next` (partition → next offset to read) for the group. */
  commit(next: ReadonlyMap<number, number>): Promise<void>;
  /** Stops fetching and leaves the group. */
  close(): Promise<void>;
}

export interface ClientAdapter {
  /** Stable id, used in BENCH_KAFKA_CLIENTS and the JSON. */
  readonly id: string;
  /** Package and version, as installed. */
  readonly library: string;
  /** How the producer is configured for idempotence, in a phrase for the table. */
  readonly producerSetup: string;
  /** `send` calls kept outstanding by the produce loop. */
  readonly outstandingSends: number;
  createProducer(target: ClientTarget): Promise<BenchProducer>;
  createConsumer(target: ClientTarget, groupId: string): Promise<BenchConsumer>;
}

/** Fetch limits of the sink's consumer (packages/kafka/src/consumer.ts), applied to every client. */
export const FETCH = {
  maxBytes: 10 * 1024 * 1024,
  maxBytesPerPartition: 1024 * 1024,
  maxWaitMs: 500,
} as const;

/** Request timeout of every produce request, as the gateway's KAFKA ack timeout. */
export const PRODUCE_TIMEOUT_MS = 30_000;
