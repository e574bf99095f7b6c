import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, LoglakeError, type Logger } from '@loglake/core';
import { checkStoredEvent } from '@loglake/events';
import type { BatchControls, ConsumedBatch, KafkaAdmin, KafkaConsumer, KafkaProducer } from '@loglake/kafka';
import type { ObjectStore } from '@loglake/object-store';
import type { ParquetEncoder } from './encoder.ts';
import { flushRange, type FlushContext } from './flush.ts';
import { readIntent } from './intent.ts';
import { LagMonitor } from './lag.ts';
import { recordDurableFlush, reportPendingAges, type SinkMetrics } from './metrics.ts';
import { newPartitionState, oldestPendingReceivedAt, type Flush, type PartitionState } from './partition-state.ts';
import { RangeBuffer } from './range-buffer.ts';
import { Abandoned, retryUntil } from './retry.ts';

export type FlushReason = 'rows' | 'bytes' | 'age' | 'memory' | 'intent' | 'shutdown';

export interface SinkOptions {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  readonly flushMaxRows: number;
  readonly flushMaxBytes: number;
  readonly flushMaxAgeMs: number;
  /** Bytes held across open ranges and flushes not yet durable; above it, the largest range is cut and fetching pauses. */
  readonly memoryBudgetBytes: number;
  readonly maxFlushesInFlight: number;
  /** Names this process in intents. */
  readonly writer: string;
  readonly tmpDir: string;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly heartbeatIntervalMs: number;
  /** How often consumer lag is measured from Kafka. */
  readonly lagIntervalMs?: number;
}

export interface SinkDeps {
  readonly consumer: KafkaConsumer;
  readonly admin: KafkaAdmin;
  readonly store: ObjectStore;
  readonly encoder: ParquetEncoder;
  readonly dlqProducer: KafkaProducer;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
}

/**
 * Kafka → Parquet, exactly once in the lake (docs/ARCHITECTURE.md). Per partition: records are
 * buffered into a range; a cut (rows, bytes, age, memory, shutdown) becomes a flush that records
 * an intent, writes the objects, sends dead letters, and then commits, in offset order.
 */
export class LakeSink {
  private readonly partitions = new Map<number, PartitionState>();
  private assigned = new Set<number>();
  private inFlight = 0;
  private heldBytes = 0;
  private capacityWaiters: (() => void)[] = [];
  private stopping = false;
  private paused = false;
  private ageTimer: NodeJS.Timeout | null = null;
  private lag: LagMonitor | null = null;
  /** Everything a flush needs but its retry policy, which depends on the flush. */
  private readonly flushContext: Omit<FlushContext, 'retry'>;

  constructor(
    private readonly options: SinkOptions,
    private readonly deps: SinkDeps,
  ) {
    this.flushContext = {
      topic: options.topic,
      dlqTopic: options.dlqTopic,
      writer: options.writer,
      tmpDir: options.tmpDir,
      store: deps.store,
      encoder: deps.encoder,
      dlqProducer: deps.dlqProducer,
    };
    deps.metrics.bufferBudgetBytes.set(options.memoryBudgetBytes);
    deps.metrics.flushMaxAgeSeconds.set(options.flushMaxAgeMs / 1000);
  }

  /** Checks the bucket and Kafka, then consumes until `stop`. */
  async start(): Promise<void> {
    const { admin, consumer, store, logger } = this.deps;
    await mkdir(this.options.tmpDir, { recursive: true });
    await store.checkWritable();
    await admin.connect();
    const topics = await admin.listTopics();
    for (const t of [this.options.topic, this.options.dlqTopic]) {
      if (!topics.includes(t)) throw new LoglakeError('LOGLAKE_CONFIG_INVALID', `topic ${t} does not exist`);
    }
    await this.deps.dlqProducer.connect();
    await consumer.connect();
    await consumer.subscribe(this.options.topic, { fromBeginning: true });
    consumer.onGroupJoin((assignment) => this.onAssignment(assignment[this.options.topic] ?? []));
    consumer.onCrash((error, willRestart) => {
      logger.error({ event: 'sink_consumer_crash', err: error, will_restart: willRestart }, 'consumer crashed');
    });
    const tick = Math.max(100, Math.min(1000, Math.floor(this.options.flushMaxAgeMs / 4)));
    this.ageTimer = setInterval(() => this.onTick(), tick);
    await consumer.run((batch, controls) => this.onBatch(batch, controls));
    const { topic, groupId, lagIntervalMs } = this.options;
    this.lag = new LagMonitor(admin, this.deps.metrics, logger, { topic, groupId, intervalMs: lagIntervalMs ?? 5000 });
    this.lag.start();
    logger.info({ event: 'sink_started', store: store.url, topic: this.options.topic }, 'consuming');
  }

  /** SIGTERM: stop fetching, flush what is buffered, wait until durable and committed, leave the group. */
  async stop(): Promise<void> {
    const step = (name: string) => this.deps.logger.info({ event: 'sink_stop_step', step: name }, name);
    // No new records are taken from here on (onBatch returns at once).
    this.stopping = true;
    if (this.ageTimer) clearInterval(this.ageTimer);
    for (const st of this.partitions.values()) {
      if (!st.buffer.isEmpty && st.buffer.forcedLast === null) this.cut(st, 'shutdown');
    }
    this.wakeWaiters();
    await Promise.all([...this.partitions.values()].map((st) => this.settle(st)));
    step('flushed and committed');
    await this.deps.consumer.disconnect();
    step('left the group');
    await this.deps.dlqProducer.disconnect();
    await this.lag?.stop();
    await this.deps.admin.disconnect();
    await this.deps.encoder.close();
  }

  private async settle(st: PartitionState): Promise<void> {
    while (st.flushes.length > 0) {
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
    await st.commits;
  }

  private onAssignment(partitions: readonly number[]): void {
    const now = new Set(partitions);
    for (const [p, st] of this.partitions) {
      // Lost: drop what is not cut; running flushes stop retrying and do not commit (the new owner
      // follows their intents). Kept partitions need nothing: records fetched again are skipped.
      if (!now.has(p)) {
        st.generation += 1;
        this.release(st.buffer.bytes);
        this.partitions.delete(p);
        this.deps.logger.info({ event: 'sink_partition_revoked', partition: p }, 'partition moved to another member');
      }
    }
    this.assigned = now;
    this.deps.metrics.assignedPartitions.set(now.size);
  }

  private async initPartition(partition: number, firstOffset: bigint): Promise<PartitionState> {
    const committed = await this.retry(() => this.deps.admin.committedOffsets(this.options.groupId, this.options.topic), () => null);
    const c = committed.find((x) => x.partition === partition)?.offset ?? '-1';
    const first = BigInt(c) >= 0n ? BigInt(c) : firstOffset;
    const st = newPartitionState(partition, first);
    this.partitions.set(partition, st);
    this.deps.logger.info({ event: 'sink_partition_assigned', partition, first: first.toString() }, 'partition assigned');
    return st;
  }

  /** Reads the intent at the range's first offset, if any, and makes the range end where it says. */
  private async lookupIntent(st: PartitionState): Promise<void> {
    const gen = st.generation;
    const intent = await this.retry(
      () => readIntent(this.deps.store, this.options.topic, st.partition, st.buffer.first),
      () => (st.generation !== gen ? 'partition lost' : null),
    );
    st.lookupNext = intent !== null;
    if (intent) st.buffer.forcedLast = BigInt(intent.last);
  }

  private async onBatch(batch: ConsumedBatch, controls: BatchControls): Promise<void> {
    if (batch.records.length === 0 || this.stopping) return;
    const p = batch.partition;
    let st = this.partitions.get(p);
    if (!st) st = await this.initPartition(p, BigInt(batch.records[0]?.offset ?? '0'));
    const gen = st.generation;
    for (const record of batch.records) {
      if (!controls.isRunning() || controls.isStale() || this.stopping) break;
      if (st.generation !== gen || this.partitions.get(p) !== st) break;
      const offset = BigInt(record.offset);
      const seen = st.buffer.last ?? st.buffer.first - 1n;
      if (offset <= seen) {
        // Fetched again after a rebalance: already buffered or flushed. Resolve it, or kafkajs
        // would fetch the same batch forever.
        controls.resolveOffset(record.offset);
        continue;
      }
      if (st.lookupNext) await this.lookupIntent(st);
      if (st.buffer.forcedLast !== null && offset > st.buffer.forcedLast) {
        this.cut(st, 'intent');
        await this.lookupIntent(st);
      }
      const checked = checkStoredEvent(record.value);
      const now = Date.now();
      if (checked.ok) {
        st.buffer.add(offset, checked.event.ts, checked.event.line, checked.event.receivedAt, now);
      } else {
        st.buffer.addPoison(offset, checked.reject, record.value?.toString('utf8') ?? '', now);
      }
      this.hold(checked.ok ? checked.event.line.length : (record.value?.length ?? 0));
      this.deps.metrics.recordsRead.inc();
      this.deps.metrics.bytesRead.inc(record.value?.length ?? 0);
      controls.resolveOffset(record.offset);
      if (st.buffer.forcedLast !== null) {
        if (offset === st.buffer.forcedLast) this.cut(st, 'intent');
      } else if (st.buffer.rows >= this.options.flushMaxRows) this.cut(st, 'rows');
      else if (st.buffer.bytes >= this.options.flushMaxBytes) this.cut(st, 'bytes');
      this.enforceBudget();
      await this.waitForCapacity(controls);
    }
  }

  private hold(bytes: number): void {
    this.heldBytes += bytes;
    this.deps.metrics.bufferedBytes.set(this.heldBytes);
  }

  private release(bytes: number): void {
    this.heldBytes -= bytes;
    this.deps.metrics.bufferedBytes.set(this.heldBytes);
  }

  /** Over the memory budget: cut the largest open range (one not fixed by an intent). */
  private enforceBudget(): void {
    if (this.heldBytes <= this.options.memoryBudgetBytes) return;
    let largest: PartitionState | null = null;
    for (const st of this.partitions.values()) {
      if (st.buffer.isEmpty || st.buffer.forcedLast !== null) continue;
      if (!largest || st.buffer.bytes > largest.buffer.bytes) largest = st;
    }
    if (largest) this.cut(largest, 'memory');
  }

  private blocked(): boolean {
    return this.inFlight >= this.options.maxFlushesInFlight || this.heldBytes > this.options.memoryBudgetBytes;
  }

  /** Backpressure: while flushes are at their limit, pause fetching and keep the membership alive. */
  private async waitForCapacity(controls: BatchControls): Promise<void> {
    if (!this.blocked()) return;
    this.setPaused(true);
    while (this.blocked() && !this.stopping && controls.isRunning() && !controls.isStale()) {
      const freed = new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
      await Promise.race([freed, sleep(this.options.heartbeatIntervalMs)]);
      await controls.heartbeat();
    }
    this.setPaused(false);
  }

  private setPaused(paused: boolean): void {
    if (this.paused === paused || this.stopping) return;
    this.paused = paused;
    if (paused) this.deps.consumer.pause(this.options.topic);
    else this.deps.consumer.resume(this.options.topic);
    this.deps.metrics.pausedPartitions.set(paused ? this.assigned.size : 0);
  }

  private wakeWaiters(): void {
    const waiters = this.capacityWaiters;
    this.capacityWaiters = [];
    for (const w of waiters) w();
  }

  private onTick(): void {
    const now = Date.now();
    for (const st of this.partitions.values()) {
      const b = st.buffer;
      if (!b.isEmpty && b.forcedLast === null && now - b.ageStartedAt >= this.options.flushMaxAgeMs) {
        this.cut(st, 'age');
      }
    }
    this.enforceBudget();
    const pending = [...this.partitions.values()].map((st) => ({
      partition: st.partition,
      oldestReceivedAt: oldestPendingReceivedAt(st),
    }));
    reportPendingAges(this.deps.metrics, this.options.topic, pending, now);
  }

  private cut(st: PartitionState, reason: FlushReason): void {
    const range = st.buffer.cut();
    if (reason === 'intent') st.lookupNext = true;
    const flush: Flush = { range, done: false, cancelled: false };
    st.flushes.push(flush);
    this.inFlight += 1;
    this.deps.metrics.flushes.inc({ reason });
    this.deps.metrics.flushesInFlight.set(this.inFlight);
    void this.runFlush(st, flush, reason);
  }

  private async runFlush(st: PartitionState, flush: Flush, reason: FlushReason): Promise<void> {
    const { metrics, logger } = this.deps;
    const started = performance.now();
    const { range } = flush;
    const ctx: FlushContext = {
      ...this.flushContext,
      retry: (fn) =>
        this.retry(fn, () =>
          flush.cancelled ? 'range re-read' : this.partitions.get(range.partition) !== st ? 'partition lost' : null,
        ),
    };
    try {
      const outcome = await flushRange(ctx, range);
      if (outcome.status === 'conflict') {
        metrics.intentConflicts.inc();
        logger.warn(
          { event: 'sink_intent_conflict', partition: range.partition, first: range.first.toString(), theirs: outcome.existing.last },
          'another writer recorded a different cut: re-reading the partition from there',
        );
        this.reread(st, range.first);
        return;
      }
      flush.done = true;
      recordDurableFlush(metrics, range, outcome);
      logger.info(
        {
          event: 'sink_flush_completed',
          partition: range.partition,
          first: range.first.toString(),
          last: range.last.toString(),
          rows: range.rows,
          files: outcome.files,
          bytes: outcome.bytes,
          dead_letters: range.poison.length,
          reason,
          replay: outcome.followedIntent,
          ms: Math.round(performance.now() - started),
        },
        'flush durable',
      );
      await this.commitInOrder(st);
      metrics.flushDuration.observe((performance.now() - started) / 1000);
    } catch (error) {
      if (!(error instanceof Abandoned)) {
        logger.error({ event: 'sink_flush_failed', err: error, partition: range.partition }, 'flush failed');
        this.reread(st, range.first);
      }
    } finally {
      if (!flush.done) st.flushes = st.flushes.filter((f) => f !== flush);
      this.inFlight -= 1;
      this.release(range.bytes);
      metrics.flushesInFlight.set(this.inFlight);
      this.wakeWaiters();
    }
  }

  /** Commits the oldest finished flushes of the partition, never out of order and never backwards. */
  private commitInOrder(st: PartitionState): Promise<void> {
    st.commits = st.commits.then(async () => {
      while (st.flushes[0]?.done) {
        const flush = st.flushes.shift();
        if (!flush || flush.cancelled || this.partitions.get(st.partition) !== st) continue;
        const offset = (flush.range.last + 1n).toString();
        try {
          await this.deps.consumer.commit([
            {
              topic: this.options.topic,
              partition: st.partition,
              offset,
              metadata: `loglake:${flush.range.first}-${flush.range.last}`,
            },
          ]);
          this.deps.metrics.committedOffset.set({ topic: this.options.topic, partition: String(st.partition) }, Number(offset));
        } catch (error) {
          // The next commit covers this one; a replay from an older offset follows the intents.
          this.deps.logger.warn({ event: 'sink_commit_failed', partition: st.partition, offset, err: errorMessage(error) }, 'commit failed');
        }
      }
    });
    return st.commits;
  }

  /** Forgets what the partition buffered beyond `first` and reads it again from there. */
  private reread(st: PartitionState, first: bigint): void {
    st.generation += 1;
    this.release(st.buffer.bytes);
    for (const f of st.flushes) if (f.range.first >= first) f.cancelled = true;
    st.flushes = st.flushes.filter((f) => !f.cancelled);
    st.buffer = new RangeBuffer(st.partition, first);
    st.lookupNext = true;
    this.deps.consumer.seek(this.options.topic, st.partition, first.toString());
  }

  private retry<T>(fn: () => Promise<T>, abandon: () => string | null): Promise<T> {
    return retryUntil(fn, {
      initialMs: this.options.retryInitialMs,
      maxMs: this.options.retryMaxMs,
      abandon,
      onRetry: (error, attempt, delayMs) => {
        this.deps.metrics.uploadRetries.inc();
        this.deps.logger.warn({ event: 'sink_retry', attempt, delay_ms: delayMs, err: errorMessage(error) }, 'lake write failed; retrying');
      },
    });
  }
}
