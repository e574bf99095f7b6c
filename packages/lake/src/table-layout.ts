import {
  ensureEventTable,
  recordedOffsets,
  type AppendTarget,
  type DataFileWriter,
} from '@loglake/iceberg';
import { sendDeadLetters, type Flush, type FlushResult } from './flush.ts';
import type { SinkMetrics } from './metrics.ts';
import type { LayoutContext, RangeLayout, StartHint, StartPoint } from './range-layout.ts';
import { TableCommitter } from './table-committer.ts';
import { uploadDataFiles, writeDataFiles } from './table-files.ts';

export interface TableLayoutOptions {
  readonly target: AppendTarget;
  readonly dataFiles: DataFileWriter;
  /** How often the process's committer commits the finished ranges of all its partitions. */
  readonly commitIntervalMs: number;
  /** Where a table created by the sink keeps its files; default the catalog's choice. */
  readonly location?: string;
  /** Finished ranges waiting for a commit beyond which fetching pauses. */
  readonly maxPendingRanges?: number;
  readonly metrics: SinkMetrics;
}

/**
 * The Iceberg layout (SINK_TABLE_FORMAT=iceberg, docs/ARCHITECTURE.md "Exactly once through an
 * Iceberg table"): the table is the record. A partition starts at the offset the table records for
 * it, R(p) (rule 4; the group's offset only when there is none); a cut range becomes data files
 * under the table's location (rule 5), its dead letters, then a commit through the process's
 * committer that records it only if it starts at R(p) (rules 1-3). A refused range comes back as
 * `moved` and the writer starts the partition again from the table.
 */
export class TableLayout implements RangeLayout {
  readonly name = 'iceberg';
  private readonly committer: TableCommitter;
  private location = '';
  /** Per partition: offsets found deleted before they were read, declared with the range at `to`. */
  private readonly losses = new Map<number, { readonly from: bigint; readonly to: bigint }>();

  constructor(
    readonly ctx: LayoutContext,
    private readonly options: TableLayoutOptions,
  ) {
    this.committer = new TableCommitter({
      target: options.target,
      topic: ctx.topic,
      intervalMs: options.commitIntervalMs,
      metrics: options.metrics,
      logger: ctx.logger,
    });
  }

  get backlogged(): boolean {
    return this.committer.backlog >= (this.options.maxPendingRanges ?? 64);
  }

  /** Creates the table (and namespace) when absent, refuses one without the event columns. */
  async prepare(): Promise<void> {
    const { catalog, namespace, table } = this.options.target;
    const loaded = await ensureEventTable(catalog, namespace, table, {
      ...(this.options.location ? { location: this.options.location } : {}),
    });
    this.location = loaded.metadata.location.replace(/\/+$/, '');
    this.committer.start();
    this.ctx.logger.info(
      {
        event: 'sink_table_ready',
        table: `${namespace.join('.')}.${table}`,
        location: this.location,
      },
      'writing through the Iceberg table',
    );
  }

  async start(
    partition: number,
    hint: StartHint,
    abandon: () => string | null,
  ): Promise<StartPoint> {
    const { catalog, namespace, table } = this.options.target;
    const { topic, logger } = this.ctx;
    const metadata = await this.ctx.retry(
      async () => (await catalog.loadTable(namespace, table)).metadata,
      abandon,
    );
    const recorded = recordedOffsets(metadata, topic).get(partition);
    this.losses.delete(partition);
    if (recorded === undefined) {
      const how = hint.metadata === null && hint.from === hint.logStart ? 'log-start' : 'group';
      return { start: hint.from, end: null, how, lost: 0 };
    }
    const logStart = await this.ctx.retry(() => this.ctx.logStart(partition), abandon);
    if (recorded >= logStart) return { start: recorded, end: null, how: 'table', lost: 0 };
    // Deleted from Kafka before anyone read them: the first range declares the loss (rule "No gap").
    this.losses.set(partition, { from: recorded, to: logStart });
    logger.error(
      {
        event: 'sink_offsets_skipped',
        partition,
        first: recorded.toString(),
        last: (logStart - 1n).toString(),
        reason: 'retention',
      },
      'records were deleted from Kafka before the sink read them; the next commit records the loss',
    );
    return { start: logStart, end: null, how: 'table-after-loss', lost: 0 };
  }

  recordedEnd(): Promise<null> {
    return Promise.resolve(null);
  }

  async write(flush: Flush, previous: Flush | null, releaseSlot: () => void): Promise<FlushResult> {
    const { ctx } = this;
    const { range } = flush;
    const abandon = () => (flush.cancelled ? 'cancelled' : null);
    const local = await ctx.retry(
      () => writeDataFiles(this.options.dataFiles, ctx.tmpDir, range),
      abandon,
    );
    try {
      flush.releaseMemory();
      const writtenAt = Date.now();
      const files = await uploadDataFiles(
        this.options.target.io,
        this.location,
        ctx.topic,
        range,
        local,
        (fn) => ctx.retry(fn, abandon),
      );
      await sendDeadLetters(ctx, range.partition, local.poison, abandon);
      await local.dispose();
      // Ranges of a partition reach the committer in offset order.
      if (previous && !(await previous.intentSettled)) flush.cancel();
      if (flush.cancelled) return { status: 'cancelled' };
      releaseSlot();
      const loss = this.losses.get(range.partition);
      const lostFrom = loss?.to === range.first ? loss.from : undefined;
      const outcome = this.committer.submit(
        {
          partition: range.partition,
          first: range.first,
          next: range.last + 1n,
          files,
          writtenAt,
          ...(lostFrom !== undefined ? { lostFrom } : {}),
        },
        () => flush.cancelled,
      );
      flush.settle(true);
      const answer = await outcome;
      if (answer.status === 'abandoned') return { status: 'cancelled' };
      if (answer.status === 'moved') return { status: 'moved', recorded: answer.recorded };
      // Too old to commit: read again from where the table records (as a moved range is).
      if (answer.status === 'expired') return { status: 'moved', recorded: range.first };
      if (loss && lostFrom !== undefined) this.losses.delete(range.partition);
      const rows = files.reduce((n, f) => n + Number(f.recordCount), 0);
      return {
        status: 'durable',
        files: files.length,
        bytes: files.reduce((n, f) => n + Number(f.fileSizeInBytes), 0),
        rows,
        fileRows: files.map((f) => Number(f.recordCount)),
        deadLetters: local.poison.length,
        followedIntent: false,
        lostRows: loss && lostFrom !== undefined ? Number(loss.to - loss.from) : 0,
      };
    } finally {
      await local.dispose();
    }
  }

  /** The writers' last ranges are committed as they arrive, not at the next interval. */
  drain(): void {
    this.committer.drain();
  }

  async close(): Promise<void> {
    await this.committer.close();
    this.options.dataFiles.close();
    this.options.target.io.close();
  }
}
