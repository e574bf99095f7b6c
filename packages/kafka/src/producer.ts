import { Producer, ProduceAcks, type MessageToProduce } from '@platformatic/kafka';
import { LoglakeError, isLoglakeError, type Logger } from '@loglake/core';
import { MAX_REQUEST_BYTES, chunksBySize } from './chunks.ts';
import type { KafkaClientConfig } from './config.ts';
import { explainKafkaError, explained } from './errors.ts';
import { StickyPartitions, javaKeyPartition } from './partitioner.ts';
import { platformaticConnection } from './platformatic.ts';

export interface ProducerRecord {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A record already in the shape the client sends (`kafkaMessage`): `send` hands it on as it is,
 * so a hot path (the gateway: one per accepted event) makes one object per record, not two.
 */
export interface KafkaMessage {
  readonly topic: string;
  readonly key?: Buffer;
  readonly value: Buffer;
  /** Set by `send` for a keyless record (the partition its send sticks to); never by callers. */
  readonly partition?: number;
}

/** Builds the client's message for `topic` once; `send` to the same topic takes it without a copy. */
export function kafkaMessage(topic: string, key: string | null, value: string): KafkaMessage {
  return key === null
    ? { topic, value: Buffer.from(value) }
    : { topic, value: Buffer.from(value), key: Buffer.from(key) };
}

export interface ProducedPartition {
  readonly partition: number;
  /** Offset of the first record of this send in the partition. */
  readonly baseOffset: string;
}

export interface ProducerOptions {
  /**
   * Idempotent writes (default; needs acks=all, which every send uses): the broker drops a retried
   * batch it already wrote, by producer id and per-partition sequence numbers. Without it a retry
   * can write records twice: @platformatic/kafka sends a broker's whole request again when one of
   * its partitions failed (seen right after topic creation: 360 of 10,000 records twice).
   */
  readonly idempotent?: boolean;
  readonly compression?: 'none' | 'gzip';
  /** How long the broker may wait for in-sync replicas before failing the request. */
  readonly ackTimeoutMs?: number;
  /** Retries inside the client (same producer id and sequence numbers) before a send fails. */
  readonly retries?: number;
  /**
   * The longest a send may take, retries included (Java's `delivery.timeout.ms`): after it the send
   * fails, its records may or may not be written, and the producer should not be sent on again.
   * Default: `ackTimeoutMs` plus the connection's request timeout.
   */
  readonly deliveryTimeoutMs?: number;
}

/** Sends records with acks=all: a resolved `send` means every record is on all in-sync replicas. */
export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** `KafkaMessage`s must have been built for `topic`. */
  send(
    topic: string,
    records: readonly (ProducerRecord | KafkaMessage)[],
  ): Promise<ProducedPartition[]>;
}

const RETRY_DELAY_MS = 250;

type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

const bytes = (v: string | Buffer): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);
const messageBytes = (m: Message): number => (m.key?.length ?? 0) + (m.value?.length ?? 0);

function headersOf(headers: Readonly<Record<string, string>>): Map<Buffer, Buffer> {
  const out = new Map<Buffer, Buffer>();
  for (const [k, v] of Object.entries(headers)) out.set(Buffer.from(k), Buffer.from(v));
  return out;
}

/**
 * The producer of every loglake service, on @platformatic/kafka (docs/kafka-clients.md: half the
 * CPU of kafkajs per record, a maintained idempotent producer). Keys map to partitions as Java's
 * producer maps them; keyless records of one send share a partition.
 */
export function createKafkaProducer(
  config: KafkaClientConfig,
  options: ProducerOptions = {},
  logger?: Logger,
): KafkaProducer {
  const idempotent = options.idempotent ?? true;
  const ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? ackTimeoutMs + config.requestTimeoutMs;
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    ...platformaticConnection(config),
    idempotent,
    acks: ProduceAcks.ALL,
    // The produce request's own time limit: how long the leader waits for the in-sync replicas.
    timeout: ackTimeoutMs,
    // At least 2: with fewer, the idempotent producer would retry without limit.
    retries: Math.max(2, options.retries ?? 5),
    retryDelay: RETRY_DELAY_MS,
    compression: options.compression === 'gzip' ? 'gzip' : 'none',
    partitioner: (_message, key) => (key ? javaKeyPartition(key) : 0),
    autocreateTopics: false,
  });
  const sticky = new StickyPartitions();
  let closed = false;
  return {
    connect: () =>
      explained(config, 'connecting the producer', async () => {
        // Logs in (and, idempotent, takes a producer id): a refusal shows here, not on the first send.
        if (idempotent) await producer.initIdempotentProducer({});
        else await producer.metadata({ topics: [] });
      }),
    async disconnect() {
      if (closed) return;
      closed = true;
      await producer.close(true);
    },
    async send(topic, records) {
      const keyless = sticky.take();
      const messages: Message[] = records.map((r) => {
        if ('topic' in r) {
          // Sent where it says: a message built for another topic is a caller's bug, not data.
          if (r.topic !== topic)
            throw new TypeError(`a message built for ${r.topic} was sent to ${topic}`);
          // Built once by the caller: only a keyless one is touched, to set its partition.
          if (r.key === undefined) (r as Message).partition = keyless;
          return r;
        }
        const m: Message =
          r.key === null
            ? { topic, value: bytes(r.value), partition: keyless }
            : { topic, value: bytes(r.value), key: bytes(r.key) };
        if (r.headers) m.headers = headersOf(r.headers);
        return m;
      });
      // Calls of at most MAX_REQUEST_BYTES, one after the other: a large request's events would
      // otherwise make a partition's batch larger than the topic takes (MESSAGE_TOO_LARGE).
      const sendAll = async () => {
        const offsets: { partition: number; offset: bigint }[] = [];
        for (const chunk of chunksBySize(messages, messageBytes, MAX_REQUEST_BYTES)) {
          const result = await producer.send({ messages: chunk });
          offsets.push(...(result.offsets ?? []));
        }
        return offsets;
      };
      const sent = sendAll();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          sent.catch(() => undefined);
          reject(
            new LoglakeError(
              'LOGLAKE_KAFKA_PRODUCE_FAILED',
              `produce to ${topic} not acknowledged within ${deliveryTimeoutMs} ms; the records may or may not be written`,
              { retryable: true },
            ),
          );
        }, deliveryTimeoutMs);
      });
      try {
        const offsets = await Promise.race([sent, late]);
        return offsets.map((o) => ({
          partition: o.partition,
          baseOffset: String(o.offset),
        }));
      } catch (cause) {
        if (isLoglakeError(cause)) throw cause;
        // An ACL refusal keeps its own code (not retryable); any other failure may pass.
        const explainedError = explainKafkaError(cause, config, `producing to ${topic}`);
        if (explainedError !== cause) throw explainedError;
        logger?.debug({ err: cause, topic }, 'produce failed');
        throw new LoglakeError('LOGLAKE_KAFKA_PRODUCE_FAILED', `produce to ${topic} failed`, {
          retryable: true,
          cause,
        });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
