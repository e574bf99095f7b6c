import type { Logger } from '@loglake/core';
import type { ConsumedRecord, KafkaConsumer } from '@loglake/kafka';
import type { FlushSlots } from './flush-slots.ts';
import { Flush, logDurableFlush, type FlushReason } from './flush.ts';
import { followIntent, type Intent } from './intent.ts';
import { DedupWindow } from './dedup-window.ts';
import type { Hold, MemoryBudget } from './memory-budget.ts';
import { recordDurableFlush, type SinkMetrics } from './metrics.ts';
import { RangeBuffer } from './range-buffer.ts';
import type { RangeLayout, StartHint } from './range-layout.ts';
import { rememberRecord, takeRecord } from './record-intake.ts';
import { Abandoned } from './retry.ts';

export interface WriterLimits {
  readonly flushMaxRows: number;
  readonly flushMaxBytes: number;
  readonly dedupWindowRecords: number;
}

/** What a partition writer shares with the sink that owns it. */
export interface WriterHost {
  readonly topic: string;
  readonly limits: WriterLimits;
  /** Where a partition starts and how a cut range becomes durable (intents, or a table). */
  readonly layout: RangeLayout;
  readonly slots: FlushSlots;
  readonly budget: MemoryBudget;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
  readonly consumer: Pick<KafkaConsumer, 'seek' | 'commit'>;
  /** Something that decides whether partitions should be paused changed. */
  changed(): void;
}

type State = 'starting' | 'ready' | 'closed';

/**
 * One assigned partition: its open range, its cut ranges on their way to the lake, the intent
 * chain, re-reads and commits. Rules (docs/ARCHITECTURE.md):
 * - a range's intent is created only after the previous range's intent is known to be ours;
 * - a cancelled flush writes nothing more, and a closed writer commits nothing;
 * - commits are `last + 1` of the oldest durable ranges, in order, never backwards within a writer;
 * - nothing here waits inside a Kafka batch: a writer that must wait (start, intent lookup) says
 *   `waiting`, and the sink pauses its partition until it changes.
 */
export class PartitionWriter {
  private buffer: RangeBuffer;
  private readonly window: DedupWindow;
  private readonly held: Hold;
  private flushes: Flush[] = [];
  private epoch = 0;
  private state: State = 'starting';
  private lookup: Promise<void> | null = null;
  private pendingCommit: { readonly offset: bigint; readonly metadata: string } | null = null;
  private committing: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly partition: number,
    private readonly host: WriterHost,
  ) {
    this.buffer = new RangeBuffer(partition, 0n);
    this.window = new DedupWindow(host.limits.dedupWindowRecords);
    this.held = host.budget.hold();
  }

  /** Until this is false, records of the partition cannot be taken. */
  get waiting(): boolean {
    return this.state !== 'ready' || this.lookup !== null;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Bytes of the open range; a cut can free them unless an intent fixed the range's end. */
  get openBytes(): number {
    return this.held.bytes;
  }

  get cuttable(): boolean {
    return !this.buffer.isEmpty && this.buffer.forcedLast === null;
  }

  /** An open range whose end an intent fixed: only reading on to that end can free its memory. */
  get readingRecordedRange(): boolean {
    return this.state === 'ready' && this.lookup === null && this.buffer.forcedLast !== null;
  }

  get openAgeStartedAt(): number | null {
    return this.buffer.isEmpty ? null : this.buffer.ageStartedAt;
  }

  /** Asks the layout where the partition continues, seeks there and becomes ready. */
  async start(from: bigint, metadata: string | null, logStart: bigint): Promise<void> {
    await this.begin({ from, metadata, logStart }, this.epoch);
  }

  private async begin(hint: StartHint, epoch: number): Promise<void> {
    const { layout, logger, topic } = this.host;
    const stale = () => (this.closed || this.epoch !== epoch ? 'partition lost' : null);
    const found = await layout.start(this.partition, hint, stale);
    if (found.lost > 0) this.host.metrics.lostRecords.inc(found.lost);
    if (stale() !== null) return;
    this.buffer = new RangeBuffer(this.partition, found.start);
    if (found.end) this.buffer.fixEnd(found.end);
    // Read the window's offsets before the start again, for their event ids only.
    const seekTo = this.window.restartAt(found.start, hint.logStart);
    this.host.consumer.seek(topic, this.partition, seekTo.toString());
    this.state = 'ready';
    logger.info(
      {
        event: 'sink_partition_assigned',
        partition: this.partition,
        first: found.start.toString(),
        committed: hint.from.toString(),
        found_by: found.how,
        follows_intent: found.end?.kind === 'intent',
        dedup_from: seekTo.toString(),
      },
      'partition assigned',
    );
    this.host.changed();
  }

  /**
   * Takes records in offset order until one cannot be taken yet (an intent lookup is pending, or
   * `blocked` says the sink is at a limit). Returns how many of `records` were dealt with; the rest
   * must be fetched again. Bookkeeping is per batch: `blocked` is asked again only when its answer
   * can have changed (a cut, or the memory budget crossed), the hold and the metrics once.
   */
  accept(records: readonly ConsumedRecord[], blocked: () => boolean): number {
    if (this.state !== 'ready') return 0;
    const { budget, metrics } = this.host;
    const now = Date.now();
    let read = 0;
    let readBytes = 0;
    let duplicates = 0;
    /** Bytes taken and not yet added to the hold (added before any cut or question). */
    let pending = 0;
    /** Bytes that may still be taken before `blocked` must be asked again; below 0: ask now. */
    let room = -1;
    const settle = () => {
      if (pending === 0) return;
      this.held.add(pending);
      pending = 0;
    };
    let i = 0;
    for (; i < records.length; i += 1) {
      const record = records[i] as ConsumedRecord;
      const offset = Number(record.offset);
      // Before the range: read for the dedup window only, or fetched again (already taken).
      if (offset < this.buffer.nextOffset) {
        rememberRecord(this.window, offset, record.value);
        continue;
      }
      if (offset > this.buffer.forcedLastOffset) {
        settle(); // reach() cuts
        room = -1;
      }
      if (!this.reach(offset)) break;
      if (room < 0) {
        settle();
        if (blocked()) break;
        room = budget.over ? 0 : budget.limit - budget.bytes;
      }
      const bytes = takeRecord(this.buffer, this.window, offset, record.value, now);
      if (bytes < 0) duplicates += 1;
      const size = Math.abs(bytes);
      pending += size;
      // Over the budget from here on (or already): ask before the next record.
      room = room - size < 0 || budget.over ? -1 : room - size;
      read += 1;
      readBytes += size;
      const reason = this.fullReason(offset);
      if (reason) {
        settle();
        this.cut(reason);
        room = -1;
      }
    }
    settle();
    metrics.recordsRead.inc(read);
    metrics.bytesRead.inc(readBytes);
    if (duplicates > 0) metrics.duplicatesDropped.inc(duplicates);
    return i;
  }

  /** Cuts the recorded ranges that end before `offset` (their last records may be gone); false while a lookup is pending. */
  private reach(offset: number): boolean {
    for (;;) {
      if (this.lookup !== null) return false;
      if (offset <= this.buffer.forcedLastOffset) return true;
      this.cut('intent');
    }
  }

  /** Why the open range must be cut after the record at `offset`, or null. */
  private fullReason(offset: number): FlushReason | null {
    const forced = this.buffer.forcedLastOffset;
    if (forced !== Number.POSITIVE_INFINITY) return offset === forced ? 'intent' : null;
    if (this.buffer.rows >= this.host.limits.flushMaxRows) return 'rows';
    if (this.buffer.bytes >= this.host.limits.flushMaxBytes) return 'bytes';
    return null;
  }

  /** Cuts the open range for an outside reason (age, memory, shutdown), unless an intent fixed its end. */
  cutNow(reason: FlushReason): boolean {
    if (this.state !== 'ready' || !this.cuttable) return false;
    this.cut(reason);
    return true;
  }

  private cut(reason: FlushReason): void {
    const forced = this.buffer.forcedLast !== null;
    const range = this.buffer.cut();
    const flush = new Flush(range, reason, this.held.take());
    const previous = this.flushes.at(-1) ?? null;
    this.flushes.push(flush);
    this.host.metrics.flushes.inc({ reason });
    // After a recorded range, the next one may be recorded too.
    if (forced) this.startLookup();
    void this.run(flush, previous);
  }

  private startLookup(): void {
    const { layout, logger } = this.host;
    const epoch = this.epoch;
    const first = this.buffer.first;
    const stale = () => (this.closed || this.epoch !== epoch ? 'stale' : null);
    const lookup: Promise<void> = layout.ctx
      .retry(() => layout.recordedEnd(this.partition, first), stale)
      .then((end) => {
        if (stale() === null && end) this.buffer.fixEnd(end);
      })
      .catch((error: unknown) => {
        if (!(error instanceof Abandoned))
          logger.error({ event: 'sink_intent_lookup_failed', err: error }, 'intent lookup failed');
      })
      .finally(() => {
        if (this.lookup !== lookup) return;
        this.lookup = null;
        this.host.changed();
      });
    this.lookup = lookup;
  }

  private async run(flush: Flush, previous: Flush | null): Promise<void> {
    const { slots, metrics, logger, layout } = this.host;
    const started = performance.now();
    await slots.acquire();
    let holding = true;
    const releaseSlot = () => {
      if (!holding) return;
      holding = false;
      slots.release();
      this.host.changed();
    };
    try {
      if (flush.cancelled) return;
      const result = await layout.write(flush, previous, releaseSlot);
      if (flush.cancelled || result.status === 'cancelled') return;
      const { range } = flush;
      if (result.status === 'moved') {
        logger.warn(
          {
            event: 'sink_range_moved',
            partition: this.partition,
            first: range.first.toString(),
            last: range.last.toString(),
            recorded: result.recorded.toString(),
          },
          'the table records another next offset: reading the partition again from there',
        );
        this.restart(range.first);
        return;
      }
      if (result.status === 'conflict') {
        metrics.intentConflicts.inc();
        logger.warn(
          {
            event: 'sink_intent_conflict',
            partition: this.partition,
            first: range.first.toString(),
            theirs: result.existing.last,
          },
          'a different cut is recorded: reading the partition again from there',
        );
        this.reread(range.first, result.existing);
        return;
      }
      flush.done = true;
      recordDurableFlush(metrics, result);
      logDurableFlush(logger, flush, result, performance.now() - started);
      this.commitDone();
      metrics.flushDuration.observe((performance.now() - started) / 1000);
    } catch (error) {
      if (!(error instanceof Abandoned)) {
        logger.error(
          { event: 'sink_flush_failed', err: error, partition: this.partition },
          'flush failed; reading again',
        );
        this.reread(flush.range.first, null);
      }
    } finally {
      flush.settle(false);
      flush.releaseMemory();
      if (!flush.done) this.flushes = this.flushes.filter((f) => f !== flush);
      if (holding) {
        holding = false;
        slots.release();
      }
      this.notifyIdle();
      this.host.changed();
    }
  }

  /** Commits `last + 1` of the oldest durable ranges (one commit for all of them). */
  private commitDone(): void {
    let last: Flush | null = null;
    while (this.flushes[0]?.done) last = this.flushes.shift() ?? null;
    if (!last) return;
    const { first, last: end } = last.range;
    this.pendingCommit = { offset: end + 1n, metadata: `loglake:${first}-${end}` };
    void this.commitPending();
  }

  /** Commits what is durable and not yet committed; called again by the sink's timer after a failure. */
  commitPending(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const pending = this.pendingCommit;
      if (!pending || this.closed) return;
      const { topic, consumer, metrics, logger } = this.host;
      const offset = pending.offset.toString();
      try {
        await consumer.commit([
          { topic, partition: this.partition, offset, metadata: pending.metadata },
        ]);
        if (this.pendingCommit === pending) this.pendingCommit = null;
        metrics.committedOffset.set(
          { topic, partition: String(this.partition) },
          Number(pending.offset),
        );
      } catch (error) {
        logger.warn(
          { event: 'sink_commit_failed', partition: this.partition, offset, err: String(error) },
          'commit failed; will retry',
        );
      }
      this.notifyIdle();
    });
    return this.committing;
  }

  /** A new epoch: flushes from `first` on cancelled, their memory given back, an empty range at `first`. */
  private forgetFrom(first: bigint): void {
    this.epoch += 1;
    for (const f of this.flushes) if (f.range.first >= first) f.cancel();
    this.flushes = this.flushes.filter((f) => !f.cancelled);
    this.held.release();
    this.buffer = new RangeBuffer(this.partition, first);
  }

  /** Forgets what the partition read from `first` on and reads it again from there. */
  private reread(first: bigint, known: Intent | null): void {
    if (this.closed) return;
    this.forgetFrom(first);
    this.window.rewind(Number(first));
    this.lookup = null;
    if (known) this.buffer.fixEnd(followIntent(known));
    else this.startLookup();
    this.host.consumer.seek(this.host.topic, this.partition, first.toString());
    this.host.changed();
  }

  /**
   * The layout refused the range at `first` (another writer moved the partition on): forget what was
   * read from there, and start the partition again where the layout says, as on assignment.
   */
  private restart(first: bigint): void {
    if (this.closed) return;
    this.forgetFrom(first);
    const epoch = this.epoch;
    this.lookup = null;
    this.state = 'starting';
    this.host.changed();
    const { layout, logger } = this.host;
    const stale = () => (this.closed || this.epoch !== epoch ? 'stale' : null);
    void layout.ctx
      .retry(() => layout.ctx.logStart(this.partition), stale)
      .then((logStart) => this.begin({ from: first, metadata: null, logStart }, epoch))
      .catch((error: unknown) => {
        if (!(error instanceof Abandoned))
          logger.error({ event: 'sink_partition_start_failed', err: error }, 'restart failed');
      });
  }

  /** The partition moved to another member: stop everything, write and commit nothing more. */
  close(): void {
    if (this.closed) return;
    this.state = 'closed';
    this.epoch += 1;
    for (const f of this.flushes) f.cancel();
    this.flushes = [];
    this.held.release();
    this.window.clear();
    this.lookup = null;
    this.pendingCommit = null;
    this.notifyIdle();
  }

  /** Resolves once every cut range is durable and its commit was tried (or the writer closed). */
  async whenIdle(): Promise<void> {
    while (!this.closed && this.flushes.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.commitPending();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** The smallest `received_at` of the events held and not yet committed (open range and flushes), or null. */
  oldestPendingReceivedAt(): number | null {
    let oldest = this.buffer.oldestReceivedAt;
    for (const f of this.flushes) {
      const r = f.range.oldestReceivedAt;
      if (r !== null && (oldest === null || r < oldest)) oldest = r;
    }
    return oldest;
  }
}
