import { mkdir } from 'node:fs/promises';
import { errorMessage, LoglakeError, type Logger } from '@loglake/core';
import type {
  BatchControls,
  ConsumedBatch,
  KafkaAdmin,
  KafkaConsumer,
  KafkaProducer,
} from '@loglake/kafka';
import type { ObjectStore } from '@loglake/object-store';
import type { ParquetEncoder } from './encoder.ts';
import { FlushSlots } from './flush-slots.ts';
import { IntentLayout } from './intent-layout.ts';
import { LagMonitor } from './lag.ts';
import { MemoryBudget } from './memory-budget.ts';
import { reportPendingAges, type SinkMetrics } from './metrics.ts';
import { PartitionWriter, type WriterHost } from './partition-writer.ts';
import type { LayoutContext, RangeLayout } from './range-layout.ts';
import { Abandoned, retryUntil } from './retry.ts';

export type { FlushReason } from './flush.ts';

export interface SinkOptions {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  readonly flushMaxRows: number;
  readonly flushMaxBytes: number;
  readonly flushMaxAgeMs: number;
  /** Bytes held across open ranges and cut ranges not yet encoded; above it, the largest range is cut and fetching pauses. */
  readonly memoryBudgetBytes: number;
  readonly maxFlushesInFlight: number;
  /**
   * Offsets per partition a record's `event_id` is looked up in: an event sent again within them is
   * dropped (recorded in the range's intent). 0 turns it off.
   */
  readonly dedupWindowRecords: number;
  /** Names this process in intents. */
  readonly writer: string;
  readonly tmpDir: string;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** How long the start-up check of the store may take. */
  readonly storeCheckTimeoutMs?: number;
  /** How often consumer lag is measured from Kafka. */
  readonly lagIntervalMs?: number;
}

/** Builds the layout the sink writes through, from what the sink shares with it. */
export type LayoutFactory = (ctx: LayoutContext) => RangeLayout;

/** The S3 layout (intents and Parquet objects by key): SINK_TABLE_FORMAT=parquet. */
export function intentLayout(store: ObjectStore, encoder: ParquetEncoder): LayoutFactory {
  return (ctx) => new IntentLayout(store, encoder, ctx);
}

export interface SinkDeps {
  readonly consumer: KafkaConsumer;
  readonly admin: KafkaAdmin;
  /** The S3 layout's store and encoder; used when `layout` is not given. */
  readonly store?: ObjectStore;
  readonly encoder?: ParquetEncoder;
  /** Where partitions start and how ranges become durable; default the S3 layout over `store`. */
  readonly layout?: LayoutFactory;
  readonly dlqProducer: KafkaProducer;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
}

/**
 * Kafka → Parquet, exactly once in the lake (docs/ARCHITECTURE.md). The sink routes records to one
 * `PartitionWriter` per assigned partition and owns what they share: the assignment, the memory
 * budget, the flush slots, pausing, the timer and the lifecycle. It never waits inside a Kafka
 * batch: a partition that cannot take records now is paused and its batch handed back.
 */
export class LakeSink {
  private readonly writers = new Map<number, PartitionWriter>();
  private assigned = new Set<number>();
  private memberId: string | null = null;
  private readonly paused = new Set<number>();
  private readonly budget: MemoryBudget;
  private readonly slots: FlushSlots;
  private readonly host: WriterHost;
  private readonly layout: RangeLayout;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private lag: LagMonitor | null = null;

  constructor(
    private readonly options: SinkOptions,
    private readonly deps: SinkDeps,
  ) {
    const { metrics } = deps;
    this.budget = new MemoryBudget(options.memoryBudgetBytes, (held) =>
      metrics.bufferedBytes.set(held),
    );
    this.slots = new FlushSlots(options.maxFlushesInFlight, () =>
      metrics.flushesInFlight.set(this.slots.inFlight),
    );
    const ctx: LayoutContext = {
      topic: options.topic,
      dlqTopic: options.dlqTopic,
      writer: options.writer,
      tmpDir: options.tmpDir,
      dlqProducer: deps.dlqProducer,
      logger: deps.logger,
      storeCheckTimeoutMs: options.storeCheckTimeoutMs ?? 30_000,
      retry: (fn, abandon) => this.retry(fn, abandon),
      logStart: async (partition) => {
        const offsets = await deps.admin.topicOffsets(options.topic);
        return BigInt(offsets.find((o) => o.partition === partition)?.low ?? '0');
      },
    };
    const factory =
      deps.layout ??
      (deps.store && deps.encoder ? intentLayout(deps.store, deps.encoder) : undefined);
    if (!factory)
      throw new LoglakeError(
        'LOGLAKE_CONFIG_INVALID',
        'the sink needs a layout, or a store and an encoder',
      );
    this.layout = factory(ctx);
    this.host = {
      topic: options.topic,
      limits: options,
      layout: this.layout,
      slots: this.slots,
      budget: this.budget,
      metrics,
      logger: deps.logger,
      consumer: deps.consumer,
      changed: () => this.reconcile(),
    };
    metrics.bufferBudgetBytes.set(options.memoryBudgetBytes);
    metrics.flushMaxAgeSeconds.set(options.flushMaxAgeMs / 1000);
  }

  /** Checks the bucket and Kafka, then consumes until `stop`. */
  async start(): Promise<void> {
    const { admin, consumer, logger } = this.deps;
    await mkdir(this.options.tmpDir, { recursive: true });
    await this.layout.prepare();
    await admin.connect();
    const topics = await admin.listTopics();
    for (const t of [this.options.topic, this.options.dlqTopic]) {
      if (!topics.includes(t))
        throw new LoglakeError('LOGLAKE_CONFIG_INVALID', `topic ${t} does not exist`);
    }
    await this.deps.dlqProducer.connect();
    await consumer.connect();
    await consumer.subscribe(this.options.topic, { fromBeginning: true });
    consumer.onGroupJoin((assignment, memberId) =>
      this.onAssignment(assignment[this.options.topic] ?? [], memberId),
    );
    consumer.onCrash((error, willRestart) => {
      logger.error(
        { event: 'sink_consumer_crash', err: error, will_restart: willRestart },
        'consumer crashed',
      );
    });
    const tick = Math.max(100, Math.min(1000, Math.floor(this.options.flushMaxAgeMs / 4)));
    this.timer = setInterval(() => this.onTick(), tick);
    await consumer.run((batch, controls) => this.onBatch(batch, controls));
    const { topic, groupId, lagIntervalMs } = this.options;
    this.lag = new LagMonitor(admin, this.deps.metrics, logger, {
      topic,
      groupId,
      intervalMs: lagIntervalMs ?? 5000,
    });
    this.lag.start();
    logger.info(
      {
        event: 'sink_started',
        layout: this.layout.name,
        store: this.deps.store?.url,
        topic: this.options.topic,
      },
      'consuming',
    );
  }

  /** SIGTERM: stop taking records, cut what is buffered, wait until durable and committed, leave the group. */
  async stop(): Promise<void> {
    const step = (name: string) =>
      this.deps.logger.info({ event: 'sink_stop_step', step: name }, name);
    // No new records are taken from here on (onBatch returns at once).
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    // The flushes below are waited for: the layout must not hold them for its own pace.
    this.layout.drain();
    for (const w of this.writers.values()) w.cutNow('shutdown');
    await Promise.all([...this.writers.values()].map((w) => w.whenIdle()));
    step('flushed and committed');
    await this.deps.consumer.disconnect();
    step('left the group');
    await this.deps.dlqProducer.disconnect();
    await this.lag?.stop();
    await this.deps.admin.disconnect();
    await this.layout.close();
  }

  /** Stops at once, writing and committing nothing more (what is not committed is read again by the next owner). */
  async abort(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
    await this.deps.consumer.stop();
    await this.lag?.stop();
  }

  private onAssignment(partitions: readonly number[], memberId: string): void {
    const { logger } = this.deps;
    // A new member id means this member was evicted in between: whatever it held may have been
    // someone else's since. Start every partition afresh from the chain.
    const evicted = this.memberId !== null && this.memberId !== memberId;
    this.memberId = memberId;
    const now = new Set(partitions);
    for (const [p, w] of this.writers) {
      if (now.has(p) && !evicted) continue;
      w.close();
      this.writers.delete(p);
      logger.info(
        { event: 'sink_partition_revoked', partition: p, evicted },
        'partition moved to another member',
      );
    }
    this.assigned = now;
    this.deps.metrics.assignedPartitions.set(now.size);
    const fresh = partitions.filter((p) => !this.writers.has(p));
    for (const p of fresh) this.writers.set(p, new PartitionWriter(p, this.host));
    if (fresh.length > 0) void this.startWriters(fresh);
    // kafkajs keeps paused partitions paused across a rejoin: make the pause state ours again.
    this.reconcile(true);
  }

  /** Reads the group's committed offsets once for the new partitions and starts their writers. */
  private async startWriters(partitions: readonly number[]): Promise<void> {
    const { admin, logger } = this.deps;
    const { groupId, topic } = this.options;
    const writers = partitions
      .map((p) => this.writers.get(p))
      .filter((w): w is PartitionWriter => w !== undefined);
    const allClosed = () => (writers.every((w) => w.closed) ? 'partitions lost' : null);
    try {
      const [committed, ends] = await this.retry(
        () => Promise.all([admin.committedOffsets(groupId, topic), admin.topicOffsets(topic)]),
        allClosed,
      );
      await Promise.all(
        writers.map(async (w) => {
          const c = committed.find((x) => x.partition === w.partition);
          const offset = BigInt(c?.offset ?? '-1');
          const low = BigInt(ends.find((e) => e.partition === w.partition)?.low ?? '0');
          // Nothing committed, or a commit below the log start: read from the log start.
          const from = offset >= low ? offset : low;
          try {
            await w.start(from, offset >= low ? (c?.metadata ?? null) : null, low);
          } catch (error) {
            if (!(error instanceof Abandoned)) throw error;
          }
        }),
      );
    } catch (error) {
      if (!(error instanceof Abandoned))
        logger.error(
          { event: 'sink_partition_start_failed', err: error },
          'partition start failed',
        );
    }
  }

  private onBatch(batch: ConsumedBatch, controls: BatchControls): Promise<void> {
    // A pending seek makes the batch stale: its records are not where the partition reads next.
    if (batch.records.length === 0 || this.stopping || controls.isStale()) return Promise.resolve();
    const writer = this.writers.get(batch.partition);
    if (!writer || writer.closed) return Promise.resolve();
    const taken = writer.accept(batch.records, () => this.blocked(writer));
    const last = batch.records[taken - 1];
    if (last) controls.resolveOffset(last.offset);
    this.enforceBudget();
    this.reconcile();
    return Promise.resolve();
  }

  /**
   * Whether `writer` must stop taking records: flushes at their limit, or memory over budget. Over
   * budget with nothing in flight, cutting cannot free memory when the open ranges are recorded
   * ranges (a restart with a lower budget, several partitions replaying at once): one of them at a
   * time reads on to its recorded end, so memory stays within the budget plus one range.
   */
  private blocked(writer: PartitionWriter): boolean {
    if (this.slots.full || this.layout.backlogged) return true;
    if (!this.budget.over) return false;
    if (!this.slots.idle) return true;
    const exempt = this.exempt();
    if (exempt) return exempt !== writer;
    // Nothing in flight and nothing recorded to read on: a cut frees memory (enforceBudget) where
    // one can be made; where none can, holding back would free nothing.
    return [...this.writers.values()].some((w) => w.cuttable);
  }

  private exempt(): PartitionWriter | null {
    for (const w of this.writers.values()) if (w.readingRecordedRange) return w;
    return null;
  }

  /** Over the memory budget: cut the largest open range that may be cut. */
  private enforceBudget(): void {
    if (!this.budget.over) return;
    let largest: PartitionWriter | null = null;
    for (const w of this.writers.values()) {
      if (w.cuttable && (!largest || w.openBytes > largest.openBytes)) largest = w;
    }
    largest?.cutNow('memory');
  }

  /** Pauses exactly the partitions that cannot take records now, and resumes the others. */
  private reconcile(force = false): void {
    if (this.stopping) return;
    const want = new Set<number>();
    for (const p of this.assigned) {
      const w = this.writers.get(p);
      if (!w || w.waiting || this.blocked(w)) want.add(p);
    }
    const pause = [...want].filter((p) => force || !this.paused.has(p));
    const resume = [...this.assigned].filter((p) => !want.has(p) && (force || this.paused.has(p)));
    const { consumer, metrics } = this.deps;
    if (pause.length > 0) consumer.pause(this.options.topic, pause);
    if (resume.length > 0) consumer.resume(this.options.topic, resume);
    this.paused.clear();
    for (const p of want) this.paused.add(p);
    metrics.pausedPartitions.set(want.size);
  }

  private onTick(): void {
    const now = Date.now();
    for (const w of this.writers.values()) {
      const started = w.openAgeStartedAt;
      if (started !== null && now - started >= this.options.flushMaxAgeMs) w.cutNow('age');
      void w.commitPending();
    }
    this.enforceBudget();
    this.reconcile();
    const pending = [...this.writers.values()].map((w) => ({
      partition: w.partition,
      oldestReceivedAt: w.oldestPendingReceivedAt(),
    }));
    reportPendingAges(this.deps.metrics, this.options.topic, pending, now);
  }

  private retry<T>(fn: () => Promise<T>, abandon: () => string | null): Promise<T> {
    return retryUntil(fn, {
      initialMs: this.options.retryInitialMs,
      maxMs: this.options.retryMaxMs,
      abandon,
      onRetry: (error, attempt, delayMs) => {
        this.deps.metrics.uploadRetries.inc();
        this.deps.logger.warn(
          { event: 'sink_retry', attempt, delay_ms: delayMs, err: errorMessage(error) },
          'lake step failed; retrying',
        );
      },
    });
  }
}
