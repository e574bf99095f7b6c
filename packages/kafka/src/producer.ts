import { CompressionTypes, Partitioners, type Producer } from 'kafkajs';
import { LoglakeError, type Logger } from '@loglake/core';
import type { KafkaClientConfig } from './config.ts';
import { createKafkaJs } from './client.ts';
import { explainKafkaError, explained } from './errors.ts';

export interface ProducerRecord {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ProducedPartition {
  readonly partition: number;
  /** Offset of the first record of this send in the partition. */
  readonly baseOffset: string;
}

export interface ProducerOptions {
  /** kafkajs' idempotent producer (needs acks=all); documented as experimental by kafkajs. */
  readonly idempotent?: boolean;
  readonly compression?: 'none' | 'gzip';
  /** How long the broker may wait for in-sync replicas before failing the request. */
  readonly ackTimeoutMs?: number;
  /** Retries inside kafkajs before a send fails. */
  readonly retries?: number;
}

/** Sends records with acks=all: a resolved `send` means every record is on all in-sync replicas. */
export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(topic: string, records: readonly ProducerRecord[]): Promise<ProducedPartition[]>;
}

export function createKafkaProducer(
  config: KafkaClientConfig,
  options: ProducerOptions = {},
  logger?: Logger,
): KafkaProducer {
  const idempotent = options.idempotent ?? false;
  const producer: Producer = createKafkaJs(config, logger).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent,
    ...(idempotent ? { maxInFlightRequests: 1 } : {}),
    allowAutoTopicCreation: false,
    retry: { retries: options.retries ?? 5 },
  });
  const compression =
    options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  return {
    connect: () => explained(config, 'connecting the producer', () => producer.connect()),
    disconnect: () => producer.disconnect(),
    async send(topic, records) {
      try {
        const result = await producer.send({
          topic,
          acks: -1,
          timeout: options.ackTimeoutMs ?? 30000,
          compression,
          messages: records.map((r) => ({
            key: r.key,
            value: r.value,
            ...(r.headers ? { headers: { ...r.headers } } : {}),
          })),
        });
        return result.map((r) => ({ partition: r.partition, baseOffset: r.baseOffset ?? '-1' }));
      } catch (cause) {
        // An ACL refusal keeps its own code (not retryable); any other failure may pass.
        const explained = explainKafkaError(cause, config, `producing to ${topic}`);
        if (explained !== cause) throw explained;
        throw new LoglakeError('LOGLAKE_KAFKA_PRODUCE_FAILED', `produce to ${topic} failed`, {
          retryable: true,
          cause,
        });
      }
    },
  };
}
