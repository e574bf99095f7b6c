import { createLogger, createRegistry } from '@loglake/core';
import { DEFAULT_EVENT_LIMITS } from '@loglake/events';
import type { KafkaMessage, KafkaProducer, ProducerRecord } from '@loglake/kafka';
import { buildGatewayApp } from './app.ts';
import { Ingestor, type IngestOptions } from './ingestor.ts';
import { createGatewayMetrics } from './metrics.ts';

/** A sent record as tests read it, whichever form it was sent in. */
export interface SentRecord {
  readonly key: string | null;
  readonly value: string;
}

function sentRecord(r: ProducerRecord | KafkaMessage): SentRecord {
  const key = 'topic' in r ? (r.key ?? null) : r.key;
  return { key: key === null ? null : String(key), value: String(r.value) };
}

/**
 * An in-memory KafkaProducer for unit tests of the gateway: records what is sent, and can be
 * told to fail or to hold acknowledgements. It stands in for loglake's own interface, not for kafkajs.
 */
export class MemoryProducer implements KafkaProducer {
  readonly sent: { topic: string; records: SentRecord[] }[] = [];
  mode: 'ok' | 'fail' | 'hold' = 'ok';
  private held: (() => void)[] = [];

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  async send(topic: string, records: readonly (ProducerRecord | KafkaMessage)[]) {
    if (this.mode === 'fail') throw new Error('broker down');
    if (this.mode === 'hold') await new Promise<void>((resolve) => this.held.push(resolve));
    for (const r of records) if ('topic' in r && r.topic !== topic) throw new Error('wrong topic');
    this.sent.push({ topic, records: records.map(sentRecord) });
    return [{ partition: 0, baseOffset: '0' }];
  }

  /** Lets every held send complete. */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }

  records(topic: string): SentRecord[] {
    return this.sent.filter((s) => s.topic === topic).flatMap((s) => s.records);
  }
}

export const TEST_OPTIONS: IngestOptions = {
  topic: 'log-data',
  dlqTopic: 'log-data-dlq',
  apiKeys: new Map([['key-web', 'web']]),
  openMode: false,
  allowBodySource: false,
  body: { maxDecompressedBytes: 1024 * 1024, maxEvents: 1000 },
  events: DEFAULT_EVENT_LIMITS,
  inFlightMaxBytes: 1024 * 1024,
  inFlightMaxEvents: 10_000,
  rateLimitPerS: 0,
  rateLimitBurst: 0,
  kafkaTimeoutMs: 2000,
  partitionKey: 'user_or_session',
  lingerMs: 1,
  maxBatchBytes: 256 * 1024,
  maxInFlightBatches: 2,
  healthProbeIntervalMs: 20,
};

/** A gateway app over a MemoryProducer, for `inject()` tests. */
export function testGateway(overrides: Partial<IngestOptions> = {}, maxBodyBytes = 256 * 1024) {
  const producer = new MemoryProducer();
  const registry = createRegistry();
  const metrics = createGatewayMetrics(registry);
  const logger = createLogger({ name: 'gateway-test', level: 'silent' });
  let kafkaReachable = true;
  const ingestor = new Ingestor(
    { ...TEST_OPTIONS, ...overrides },
    {
      // The same in-memory producer each time: it has no sequence numbers to get out of step.
      createProducer: () => producer,
      probeKafka: async () => {
        if (!kafkaReachable) throw new Error('still down');
      },
      metrics,
      logger,
    },
  );
  const app = buildGatewayApp({ ingestor, metrics, logger, maxBodyBytes });
  return {
    app,
    producer,
    ingestor,
    registry,
    setKafkaReachable: (v: boolean) => {
      kafkaReachable = v;
    },
  };
}
