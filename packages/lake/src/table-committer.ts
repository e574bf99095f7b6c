import { errorMessage, type Logger } from '@loglake/core';
import {
  MAX_UNCOMMITTED_FILE_AGE_MS,
  commitRanges,
  type AppendTarget,
  type DataFile,
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

/**
 * One committer per sink process (docs/ARCHITECTURE.md, "Contention"): the writers hand it their
 * finished ranges, in offset order per partition, and every `intervalMs` it makes one commit of all
 * of them (`commitRanges`): ranges whose partition another writer moved on are refused alone, the
 * rest lands. A round that fails (catalog unavailable, attempts used up, an unknown state that
 * could not be looked up) keeps its ranges, in order, for the next round: a range that landed after
 * all is then refused as moved (its partition is re-read from the offset the table records), never
 * recorded twice. Commit metrics are counted here, once.
 */
export class TableCommitter {
  private pending: Submission[] = [];
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly target: AppendTarget,
    private readonly topic: string,
    private readonly intervalMs: number,
    private readonly metrics: SinkMetrics,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.round(), this.intervalMs);
    this.timer.unref();
  }

  /** Ranges handed over and not yet answered. */
  get backlog(): number {
    return this.pending.length;
  }

  /** Queues `range` for the next commit; its partition's earlier ranges must have been submitted before. */
  submit(range: TableRange, abandoned: () => boolean): Promise<CommitOutcome> {
    return new Promise((settle) => this.pending.push({ range, abandoned, settle }));
  }

  /** One commit of everything pending (waits for a round already running instead). */
  round(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.commitPending().finally(() => (this.running = null));
    return this.running;
  }

  private async commitPending(): Promise<void> {
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
      const result = await commitRanges(
        this.target,
        this.topic,
        live.map((s) => s.range),
      );
      this.metrics.tableCommitDuration.observe((performance.now() - started) / 1000);
      // Every refusal, also of ranges whose writer has lost its partition meanwhile (a zombie's).
      this.metrics.rangesMoved.inc(result.moved.length);
      const snapshotId = result.append?.snapshot['snapshot-id'];
      if (result.append) {
        this.metrics.tableCommits.inc();
        this.metrics.tableCommitConflicts.inc(Math.max(0, result.append.attempts - 1));
      }
      for (const s of live) {
        const moved = result.moved.find((m) => m.range === s.range);
        if (moved) s.settle({ status: 'moved', recorded: moved.recorded });
        else if (snapshotId !== undefined) s.settle({ status: 'committed', snapshotId });
      }
      this.logger.info(
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
      this.metrics.tableCommitDuration.observe((performance.now() - started) / 1000);
      this.metrics.tableCommitFailures.inc();
      this.logger.warn(
        { event: 'sink_table_commit_failed', ranges: live.length, err: errorMessage(error) },
        'table commit failed; its ranges are tried again in the next round',
      );
      // Before anything submitted since, so each partition's ranges stay in offset order.
      this.pending = [...live, ...this.pending];
    }
  }

  /**
   * Gives up a range whose files are older than MAX_UNCOMMITTED_FILE_AGE_MS (the catalog refused or
   * failed every round since, or the process was stopped that long): orphan cleanup may delete such
   * files, so a commit must never name them. The partition is read again from the table's offset;
   * later ranges of it in this round start past the table's offset and are refused as moved.
   */
  private expire(s: Submission): void {
    const { range } = s;
    this.metrics.rangesExpired.inc();
    this.logger.warn(
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

  /** Stops the timer after committing what is pending (one last round, then rounds until empty or `give up`). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running;
    for (const s of this.pending) if (s.abandoned()) s.settle({ status: 'abandoned' });
    this.pending = this.pending.filter((s) => !s.abandoned());
  }
}
