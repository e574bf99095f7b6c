import type { ObjectStore } from '@loglake/object-store';
import { findChainStart } from './chain-start.ts';
import type { ParquetEncoder } from './encoder.ts';
import { runFlush, type FlushContext } from './flush.ts';
import { followIntent, readIntent } from './intent.ts';
import { reportGap } from './loss.ts';
import type { LayoutContext, RangeLayout, StartHint, StartPoint } from './range-layout.ts';

/**
 * The S3 layout (SINK_TABLE_FORMAT=parquet): a partition starts where its chain of intents says,
 * a range becomes durable by its intent and its objects (docs/ARCHITECTURE.md, rules 1-4).
 */
export class IntentLayout implements RangeLayout {
  readonly name = 'parquet';
  readonly backlogged = false;
  private readonly flushCtx: FlushContext;

  constructor(
    private readonly store: ObjectStore,
    private readonly encoder: ParquetEncoder,
    readonly ctx: LayoutContext,
  ) {
    this.flushCtx = { ...ctx, store, encoder };
  }

  async prepare(): Promise<void> {
    await this.store.checkWritable({ timeoutMs: this.ctx.storeCheckTimeoutMs });
  }

  async start(
    partition: number,
    hint: StartHint,
    abandon: () => string | null,
  ): Promise<StartPoint> {
    const { ctx } = this;
    const { topic, logger } = ctx;
    const found = await ctx.retry(
      () => findChainStart(this.store, topic, partition, hint.from, hint.metadata),
      abandon,
    );
    let lost = 0;
    if (found.gap && abandon() === null) {
      const reason = hint.from === hint.logStart ? 'retention' : 'reset';
      const gap = { topic, partition, writer: ctx.writer, reason, ...found.gap } as const;
      lost = await ctx.retry(() => reportGap(this.store, logger, gap), abandon);
    }
    const end = found.intent
      ? followIntent(found.intent)
      : found.nextRecorded !== null
        ? ({ kind: 'chain', last: found.nextRecorded - 1n } as const)
        : null;
    return { start: found.start, end, how: found.how, lost };
  }

  async recordedEnd(partition: number, first: bigint) {
    const intent = await readIntent(this.store, this.ctx.topic, partition, first);
    return intent ? followIntent(intent) : null;
  }

  write(flush: Parameters<RangeLayout['write']>[0], previous: Parameters<RangeLayout['write']>[1]) {
    return runFlush(this.flushCtx, flush, previous);
  }

  drain(): void {
    // Nothing to hurry: a range is durable once its own flush wrote it.
  }

  async close(): Promise<void> {
    await this.encoder.close();
  }
}
