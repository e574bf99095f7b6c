import { randomUUID } from 'node:crypto';
import {
  deadLetter,
  rawOf,
  validateEvent,
  type EventLimits,
  type EventReject,
} from '@loglake/events';
import { errorMessage, type Logger } from '@loglake/core';
import { kafkaMessage, type KafkaMessage, type KafkaProducer } from '@loglake/kafka';
import { ProduceBatcher } from './batcher.ts';
import { InFlightBudget } from './budget.ts';
import { parseBody, bodyFormat, type BodyLimits } from './body.ts';
import { GatewayHttpError, isGatewayHttpError, type RejectedEvent } from './http-errors.ts';
import { KafkaHealth } from './kafka-health.ts';
import type { GatewayMetrics } from './metrics.ts';
import { ProducerSlot } from './producer-slot.ts';
import { RateLimiter } from './rate-limit.ts';

export type PartitionKeyChoice = 'user_or_session' | 'user_id' | 'session_id' | 'event_id' | 'none';

export interface IngestOptions {
  readonly topic: string;
  readonly dlqTopic: string;
  /** API key → source. */
  readonly apiKeys: ReadonlyMap<string, string>;
  /** Accept requests without a key (source "anonymous"; the body may name its source). */
  readonly openMode: boolean;
  readonly allowBodySource: boolean;
  readonly body: BodyLimits;
  readonly events: EventLimits;
  readonly inFlightMaxBytes: number;
  readonly inFlightMaxEvents: number;
  readonly rateLimitPerS: number;
  readonly rateLimitBurst: number;
  /** Longest a request waits for Kafka before it gets a 503. */
  readonly kafkaTimeoutMs: number;
  readonly partitionKey: PartitionKeyChoice;
  readonly lingerMs: number;
  readonly maxBatchBytes: number;
  readonly maxInFlightBatches: number;
  readonly healthProbeIntervalMs: number;
}

export interface IngestRequest {
  readonly raw: Buffer;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly apiKey: string | undefined;
}

export interface IngestResponse {
  readonly request_id: string;
  readonly accepted: number;
  readonly event_ids: string[];
  readonly rejected: RejectedEvent[];
}

export interface IngestDeps {
  /**
   * Makes a producer for the topic: a new client each call, with a producer id of its own. A new one
   * replaces the current one after any failed send (`ProducerSlot`).
   */
  readonly createProducer: () => KafkaProducer;
  /** For dead letters; `createProducer` unless that one must send one request at a time. */
  readonly createDlqProducer?: () => KafkaProducer;
  /** Checks that Kafka answers and the topics exist; at start and to recover after produce failures. */
  readonly probeKafka: () => Promise<void>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly now?: () => number;
}

const DLQ_MAX_INFLIGHT_BYTES = 8 * 1024 * 1024;

/** The ingest pipeline behind POST /events: auth, limits, parsing, validation, produce, DLQ. */
export class Ingestor {
  private readonly budget: InFlightBudget;
  private readonly dlqBudget = new InFlightBudget(DLQ_MAX_INFLIGHT_BYTES, Number.MAX_SAFE_INTEGER);
  private readonly limiter: RateLimiter;
  private readonly producers: ProducerSlot;
  private readonly dlqProducers: ProducerSlot;
  private readonly batcher: ProduceBatcher;
  private readonly dlqBatcher: ProduceBatcher;
  readonly health: KafkaHealth;
  private shuttingDown = false;
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(
    private readonly options: IngestOptions,
    private readonly deps: IngestDeps,
  ) {
    const m = deps.metrics;
    this.now = deps.now ?? Date.now;
    this.budget = new InFlightBudget(options.inFlightMaxBytes, options.inFlightMaxEvents);
    m.inFlightBudgetBytes.set(options.inFlightMaxBytes);
    m.inFlightBudgetEvents.set(options.inFlightMaxEvents);
    m.kafkaUp.set(1);
    this.limiter = new RateLimiter(options.rateLimitPerS, options.rateLimitBurst);
    const batchOptions = {
      lingerMs: options.lingerMs,
      maxBatchBytes: options.maxBatchBytes,
      maxInFlight: options.maxInFlightBatches,
    };
    const observe =
      (topic: string) => (records: number, bytes: number, seconds: number, ok: boolean) => {
        const outcome = ok ? 'ok' : 'error';
        m.produceDuration.observe({ outcome }, seconds);
        m.producedRecords.inc({ topic, outcome }, records);
        if (ok) m.producedBytes.inc({ topic }, bytes);
      };
    const retired = (topic: string) => (reason: unknown) =>
      deps.logger.warn(
        { event: 'gateway_producer_replaced', topic, reason: errorMessage(reason) },
        'a produce call failed: its producer sends nothing more, the next batch goes out on a new one',
      );
    this.producers = new ProducerSlot(deps.createProducer, retired(options.topic));
    this.dlqProducers = new ProducerSlot(
      deps.createDlqProducer ?? deps.createProducer,
      retired(options.dlqTopic),
    );
    this.batcher = new ProduceBatcher(
      this.producers,
      { ...batchOptions, topic: options.topic },
      observe(options.topic),
    );
    this.dlqBatcher = new ProduceBatcher(
      this.dlqProducers,
      { ...batchOptions, topic: options.dlqTopic },
      observe(options.dlqTopic),
    );
    this.health = new KafkaHealth(
      () => this.connect(),
      options.healthProbeIntervalMs,
      (up, reason) => {
        m.kafkaUp.set(up ? 1 : 0);
        if (up) deps.logger.info({ event: 'gateway_kafka_recovered' }, 'Kafka takes writes again');
        else
          deps.logger.warn(
            { event: 'gateway_kafka_unavailable', reason },
            'Kafka is unavailable: answering 503',
          );
      },
    );
  }

  get ready(): boolean {
    return !this.shuttingDown && this.health.isUp;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Checks Kafka and connects the producers; the health probe does the same until it succeeds. */
  async connect(): Promise<void> {
    await this.deps.probeKafka();
    await Promise.all([this.producers.connect(), this.dlqProducers.connect()]);
  }

  /** Disconnects the producers, after `shutdown()`. */
  async close(): Promise<void> {
    this.health.stopProbing();
    await Promise.all([this.producers.close(), this.dlqProducers.close()]);
  }

  /** Stop accepting (503), then wait until every accepted event is acknowledged. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.deps.metrics.ready.set(0);
    await Promise.all([this.batcher.drain(), this.dlqBatcher.drain()]);
    this.health.stopProbing();
  }

  private authenticate(apiKey: string | undefined): string {
    if (apiKey !== undefined && apiKey !== '') {
      const source = this.options.apiKeys.get(apiKey);
      if (source === undefined)
        throw new GatewayHttpError('API_KEY_INVALID', 'the API key is not known');
      return source;
    }
    if (this.options.openMode) return 'anonymous';
    throw new GatewayHttpError(
      'API_KEY_MISSING',
      'send an API key in the X-API-Key header or as Authorization: Bearer <key>',
    );
  }

  /** Resolves when no request is inside `handle`. */
  async idle(): Promise<void> {
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async handle(request: IngestRequest): Promise<IngestResponse> {
    this.active += 1;
    try {
      return await this.handleRequest(request);
    } finally {
      this.active -= 1;
      if (this.active === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  private async handleRequest(request: IngestRequest): Promise<IngestResponse> {
    const m = this.deps.metrics;
    if (this.shuttingDown)
      throw new GatewayHttpError('SHUTTING_DOWN', 'the gateway is shutting down', 5);
    const source = this.authenticate(request.apiKey);
    const format = bodyFormat(request.contentType);
    if (!format) {
      throw new GatewayHttpError(
        'UNSUPPORTED_MEDIA_TYPE',
        'Content-Type must be application/json (an object or an array) or application/x-ndjson',
      );
    }
    if (!this.health.isUp) {
      throw new GatewayHttpError(
        'KAFKA_UNAVAILABLE',
        `Kafka is unavailable (${this.health.reason ?? 'unknown'})`,
        2,
      );
    }
    m.requestBytes.inc(request.raw.length);
    const body = await parseBody(request.raw, format, request.contentEncoding, this.options.body);
    m.eventsReceived.inc(body.items.length);

    const retryAfter = this.limiter.take(request.apiKey ?? 'anonymous', body.items.length);
    if (retryAfter > 0) {
      throw new GatewayHttpError(
        'RATE_LIMITED',
        `over ${this.options.rateLimitPerS} events per second for this key`,
        retryAfter,
      );
    }

    const requestId = randomUUID();
    const receivedAt = this.now();
    const ctx = {
      receivedAt,
      source,
      allowBodySource: this.options.openMode || this.options.allowBodySource,
      limits: this.options.events,
    };
    const records: KafkaMessage[] = [];
    const eventIds: string[] = [];
    const rejected: RejectedEvent[] = [];
    let bytes = 0;
    const { items, lineErrors } = body;
    const anyLineErrors = lineErrors.size > 0;
    for (let index = 0; index < items.length; index += 1) {
      const item = items[index];
      const lineError = anyLineErrors ? lineErrors.get(index) : undefined;
      const result = lineError
        ? { ok: false as const, reject: lineError }
        : validateEvent(item, ctx);
      if (!result.ok) {
        rejected.push({ index, ...result.reject });
        m.eventsRejected.inc({ code: result.reject.code });
        this.deadLetter(result.reject, item, { index, requestId, source, receivedAt });
        continue;
      }
      records.push(kafkaMessage(this.options.topic, this.keyOf(result), result.json));
      eventIds.push(result.eventId);
      bytes += result.bytes;
    }

    if (records.length === 0) {
      throw new GatewayHttpError(
        'ALL_EVENTS_INVALID',
        `all ${rejected.length} events are invalid`,
        undefined,
        { rejected, requestId },
      );
    }
    await this.produce(records, bytes);
    m.eventsAccepted.inc(records.length);
    return { request_id: requestId, accepted: records.length, event_ids: eventIds, rejected };
  }

  private keyOf(e: {
    eventId: string;
    userId: string | undefined;
    sessionId: string | undefined;
  }): string | null {
    switch (this.options.partitionKey) {
      case 'user_or_session':
        // Keyed always: an event sent again lands on its first copy's partition, where the sink's
        // dedup window finds it.
        return e.userId ?? e.sessionId ?? e.eventId;
      case 'user_id':
        return e.userId ?? null;
      case 'session_id':
        return e.sessionId ?? null;
      case 'event_id':
        return e.eventId;
      case 'none':
        return null;
    }
  }

  private async produce(records: KafkaMessage[], bytes: number): Promise<void> {
    const m = this.deps.metrics;
    if (!this.budget.tryAcquire(bytes, records.length)) {
      // Counted once, with every other refusal, where the answer is written (app.ts).
      throw new GatewayHttpError(
        'OVERLOADED',
        'too many events are awaiting Kafka acknowledgement; retry shortly',
        1,
      );
    }
    m.inFlightBytes.set(this.budget.usedBytes);
    m.inFlightEvents.set(this.budget.usedEvents);
    // The budget is given back when Kafka answers, not when the client does: memory stays bounded.
    const acked = this.batcher.send(records, bytes).finally(() => {
      this.budget.release(bytes, records.length);
      m.inFlightBytes.set(this.budget.usedBytes);
      m.inFlightEvents.set(this.budget.usedEvents);
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.kafkaTimeoutMs);
    });
    try {
      const outcome = await Promise.race([acked.then(() => 'acked' as const), deadline]);
      if (outcome === 'timeout') {
        acked.catch(() => undefined);
        this.health.markFailure(`no acknowledgement within ${this.options.kafkaTimeoutMs} ms`);
        throw new GatewayHttpError(
          'KAFKA_UNAVAILABLE',
          `Kafka did not acknowledge within ${this.options.kafkaTimeoutMs} ms`,
          2,
        );
      }
      this.health.markSuccess();
    } catch (error) {
      if (isGatewayHttpError(error)) throw error;
      this.health.markFailure(errorMessage(error));
      throw new GatewayHttpError('KAFKA_UNAVAILABLE', 'Kafka did not acknowledge the events', 2);
    } finally {
      clearTimeout(timer);
    }
  }

  private deadLetter(
    reject: EventReject,
    item: unknown,
    where: { index: number; requestId: string; source: string; receivedAt: number },
  ): void {
    const m = this.deps.metrics;
    const value = deadLetter(reject, rawOf(item), {
      stage: 'gateway',
      source: where.source,
      received_at: where.receivedAt,
      request_id: where.requestId,
      index: where.index,
    });
    if (!this.health.isUp || !this.dlqBudget.tryAcquire(value.length, 1)) {
      m.dlqEvents.inc({ outcome: 'dropped' });
      return;
    }
    this.dlqBatcher
      .send([{ key: null, value }], value.length)
      .then(
        () => m.dlqEvents.inc({ outcome: 'written' }),
        () => m.dlqEvents.inc({ outcome: 'dropped' }),
      )
      .finally(() => this.dlqBudget.release(value.length, 1));
  }
}
