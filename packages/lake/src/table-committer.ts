import { errorMessage, isLoglakeError, type Logger } from '@loglake/core';
import {
  MAX_UNCOMMITTED_FILE_AGE_MS,
  commitRanges,
  type AppendTarget,
  type CommitRangesResult,
  type DataFile,
  type RangeFiles,
} from '@loglake/iceberg';
import type { SinkMetrics } from './metrics.ts';

/** A finished range on its way into the table. */
export interface TableRange {
  readonly partition: number;
  readonly first: bigint;
  /** `last + 1`. */
  readonly next: bigint;
  readonly files: readonly DataFile[];
  /** Declares offsets `lostFrom`..`first − 1` deleted from Kafka before they were read. */
  readonly lostFrom?: bigint;
  /** When its first data file was written (epoch ms): never committed past MAX_UNCOMMITTED_FILE_AGE_MS. */
  readonly writtenAt: number;
}

export type CommitOutcome =
  | { readonly status: 'committed'; readonly snapshotId: bigint }
  /** The table records `recorded` as the partition's next offset, not this range's first. */
  | { readonly status: 'moved'; readonly recorded: bigint }
  /** The writer gave the range up (the partition was lost or re-read) before it was committed. */
  | { readonly status: 'abandoned' }
  /** Its files are too old to commit (orphan cleanup may have deleted them): read it again. */
  | { readonly status: 'expired' };

interface Submission {
  readonly range: TableRange;
  readonly abandoned: () => boolean;
  readonly settle: (outcome: CommitOutcome) => void;
}

/** One commit of several partitions' ranges: `commitRanges`, or a test's fake. */
export type CommitRangesFn = (
  target: AppendTarget,
  topic: string,
  ranges: readonly RangeFiles[],
) => Promise<CommitRangesResult>;

export interface TableCommitterOptions {
  readonly target: AppendTarget;
  readonly topic: string;
  /** Rounds start every `intervalMs`; once `drain` was called, also as soon as ranges arrive. */
  readonly intervalMs: number;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
  /** The clock range ages are measured by; Date.now unless a test passes another. */
  readonly now?: () => number;
  readonly commit?: CommitRangesFn;
}

/**
 * One committer per sink process (docs/ARCHITECTURE.md, "Contention"): the writers hand it their
 * finished ranges, in offset order per partition, and every `intervalMs` it makes one commit of all
 * of them (`commitRanges`): ranges whose partition another writer moved on are refused alone, the
 * rest lands. A round that fails (catalog unavailable, attempts used up, an unknown state that
 * could not be looked up) keeps its ranges, in order, for the next round: a range that landed after
 * all is then refused as moved (its partition is re-read from the offset the table records), never
 * recorded twice. A failure retrying cannot fix (a refused request, credentials, broken metadata) is
 * logged as an error with its code and sets `loglake_sink_table_commit_blocked` until a round gets
 * through; its ranges stay pending all the same (an operator may fix the cause). Once the sink
 * stops (`drain`), ranges are committed as they arrive instead of at the next tick. Commit metrics
 * are counted here, once.
 */
export class TableCommitter {
  private pending: Submission[] = [];
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Set by `drain`: the writers wait for their last ranges' outcome, so no round waits for a tick. */
  private draining = false;
  /** A round scheduled for what just arrived (draining). */
  private soon: NodeJS.Immediate | null = null;
  /** Ranges arrived while a round ran (draining): another follows it. */
  private followUp = false;
  private closed = false;
  private readonly now: () => number;
  private readonly commit: CommitRangesFn;

  constructor(private readonly options: TableCommitterOptions) {
    this.now = options.now ?? Date.now;
    this.commit = options.commit ?? commitRanges;
  }

  start(): void {
    this.timer = setInterval(() => void this.round(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Ranges handed over and not yet answered. */
  get backlog(): number {
    return this.pending.length;
  }

  /** Queues `range` for the next commit; its partition's earlier ranges must have been submitted before. */
  submit(range: TableRange, abandoned: () => boolean): Promise<CommitOutcome> {
    const outcome = new Promise<CommitOutcome>((settle) =>
      this.pending.push({ range, abandoned, settle }),
    );
    if (this.draining) this.commitSoon();
    return outcome;
  }

  /**
   * The sink is stopping: from now on a round starts as soon as ranges arrive (and what is pending
   * now is committed at once), since the writers' last ranges are waited for by the shutdown. The
   * interval keeps running: a round that fails is tried again at the next tick, not in a loop.
   */
  drain(): void {
    this.draining = true;
    if (this.pending.length > 0) this.commitSoon();
  }

  /**
   * A round after the current turn of the event loop, so that ranges handed over together share
   * one commit; while a round runs, right after it (with whatever arrived meanwhile).
   */
  private commitSoon(): void {
    if (this.closed) return;
    if (this.running) {
      this.followUp = true;
      return;
    }
    this.soon ??= setImmediate(() => {
      this.soon = null;
      void this.round();
    });
  }

  /** One commit of everything pending (waits for a round already running instead). */
  round(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.commitPending().finally(() => {
      this.running = null;
      if (this.followUp) {
        this.followUp = false;
        this.commitSoon();
      }
    });
    return this.running;
  }

  private async commitPending(): Promise<void> {
    const { metrics, logger } = this.options;
    const taken = this.pending;
    this.pending = [];
    const live: Submission[] = [];
    const oldest = this.now() - MAX_UNCOMMITTED_FILE_AGE_MS;
    for (const s of taken) {
      if (s.abandoned()) s.settle({ status: 'abandoned' });
      else if (s.range.writtenAt < oldest) this.expire(s);
      else live.push(s);
    }
    if (live.length === 0) return;
    const started = performance.now();
    try {
      const result = await this.commit(
        this.options.target,
        this.options.topic,
        live.map((s) => s.range),
      );
      metrics.tableCommitDuration.observe((performance.now() - started) / 1000);
      metrics.tableCommitBlocked.set(0);
      // Every refusal, also of ranges whose writer has lost its partition meanwhile (a zombie's).
      metrics.rangesMoved.inc(result.moved.length);
      const snapshotId = result.append?.snapshot['snapshot-id'];
      if (result.append) {
        metrics.tableCommits.inc();
        metrics.tableCommitConflicts.inc(Math.max(0, result.append.attempts - 1));
      }
      for (const s of live) {
        const moved = result.moved.find((m) => m.range === s.range);
        if (moved) s.settle({ status: 'moved', recorded: moved.recorded });
        else if (snapshotId !== undefined) s.settle({ status: 'committed', snapshotId });
      }
      logger.info(
        {
          event: 'sink_table_commit',
          snapshot_id: snapshotId?.toString() ?? null,
          ranges: result.committed.length,
          files: result.committed.reduce((n, r) => n + r.files.length, 0),
          moved: result.moved.length,
          attempts: result.append?.attempts ?? 0,
          ms: Math.round(performance.now() - started),
        },
        'table commit',
      );
    } catch (error) {
      metrics.tableCommitDuration.observe((performance.now() - started) / 1000);
      metrics.tableCommitFailures.inc();
      // Before anything submitted since, so each partition's ranges stay in offset order.
      this.pending = [...live, ...this.pending];
      this.reportFailure(error, live.length);
    }
  }

  /**
   * A failed round, at warn when retrying may fix it and at error (with the blocked gauge) when it
   * cannot: an error that is not a retryable LoglakeError (a refused request, credentials, invalid
   * metadata, or an unexpected exception) fails every round the same way until someone acts. Only a
   * round that lands clears the gauge: a cause that alternates with time-outs stays blocked.
   */
  private reportFailure(error: unknown, ranges: number): void {
    const { metrics, logger } = this.options;
    const retryable = isLoglakeError(error) && error.retryable;
    if (!retryable) metrics.tableCommitBlocked.set(1);
    const fields = {
      event: 'sink_table_commit_failed',
      ranges,
      code: isLoglakeError(error) ? error.code : null,
      retryable,
      err: errorMessage(error),
    };
    if (retryable) logger.warn(fields, 'table commit failed; its ranges are tried again');
    else
      logger.error(
        fields,
        'table commit failed for a reason retrying will not fix; its ranges stay pending and are tried again',
      );
  }

  /**
   * Gives up a range whose files are older than MAX_UNCOMMITTED_FILE_AGE_MS (the catalog refused or
   * failed every round since, or the process was stopped that long): orphan cleanup may delete such
   * files, so a commit must never name them. The partition is read again from the table's offset;
   * later ranges of it in this round start past the table's offset and are refused as moved.
   */
  private expire(s: Submission): void {
    const { range } = s;
    this.options.metrics.rangesExpired.inc();
    this.options.logger.warn(
      {
        event: 'sink_table_range_expired',
        partition: range.partition,
        first: range.first.toString(),
        last: (range.next - 1n).toString(),
        age_ms: this.now() - range.writtenAt,
      },
      'a finished range waited too long for its table commit: reading it again instead of committing old files',
    );
    s.settle({ status: 'expired' });
  }

  /**
   * Stops the timer and commits what is pending in one last round, after a round already running
   * (abandoned ranges are answered, not committed). Called once the writers are idle. If that round
   * fails its ranges stay unanswered and uncommitted: their Kafka offsets were not committed either,
   * so the partitions' next owner reads them again.
   */
  async close(): Promise<void> {
    // Nothing is scheduled from here on: the round below is the last.
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.soon) clearImmediate(this.soon);
    this.soon = null;
    await this.running;
    if (this.pending.length > 0) await this.round();
    if (this.pending.length > 0)
      this.options.logger.warn(
        { event: 'sink_table_uncommitted_at_stop', ranges: this.pending.length },
        'stopping with finished ranges not committed: the next owner of their partitions reads them again',
      );
  }
}
