import { deadLetter } from '@loglake/events';
import type { Logger } from '@loglake/core';
import type { KafkaProducer } from '@loglake/kafka';
import type { ObjectStore } from '@loglake/object-store';
import type { ParquetEncoder } from './encoder.ts';
import { encodeRange, type EncodedRange } from './encode-range.ts';
import {
  compareWithIntent,
  intentOf,
  writeIntent,
  type Intent,
  type Settlement,
} from './intent.ts';
import { recordLoss } from './loss.ts';
import type { Hold } from './memory-budget.ts';
import type { CutRange, PoisonRecord } from './range-buffer.ts';
import { Abandoned } from './retry.ts';

export type FlushReason = 'rows' | 'bytes' | 'age' | 'memory' | 'intent' | 'shutdown';

export interface FlushContext {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly writer: string;
  readonly tmpDir: string;
  readonly store: ObjectStore;
  readonly encoder: ParquetEncoder;
  readonly dlqProducer: KafkaProducer;
  /** Runs one lake step with retries until it succeeds or `abandon` names a reason to stop. */
  readonly retry: <T>(fn: () => Promise<T>, abandon: () => string | null) => Promise<T>;
  /** The partition's log start offset (oldest record Kafka still has). */
  readonly logStart: (partition: number) => Promise<bigint>;
}

/** A cut range on its way to the lake. */
export class Flush {
  cancelled = false;
  done = false;
  /** Resolves true once this flush's intent is known to be ours (created, or the same cut found), false otherwise. */
  readonly intentSettled: Promise<boolean>;
  private resolveSettled: (ours: boolean) => void = () => undefined;

  constructor(
    readonly range: CutRange,
    readonly reason: FlushReason,
    private readonly held: Hold,
  ) {
    this.intentSettled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  settle(ours: boolean): void {
    this.resolveSettled(ours);
  }

  /** Stops the flush before its next write; it will not commit. */
  cancel(): void {
    this.cancelled = true;
    this.settle(false);
    this.held.release();
  }

  /** The range's rows are encoded (or dropped): give their bytes back to the budget, once. */
  releaseMemory(): void {
    this.held.release();
  }
}

/** What a durable flush put in the lake (objects written now; rows of every recorded object in place). */
export interface DurableFlush {
  readonly status: 'durable';
  readonly files: number;
  readonly bytes: number;
  readonly rows: number;
  readonly fileRows: readonly number[];
  readonly deadLetters: number;
  readonly followedIntent: boolean;
  readonly lostRows: number;
}

export type FlushResult =
  | DurableFlush
  | { readonly status: 'conflict'; readonly existing: Intent }
  /** The table records another next offset for the partition (another writer moved it on): read again from there. */
  | { readonly status: 'moved'; readonly recorded: bigint }
  | { readonly status: 'cancelled' };

/**
 * Writes one cut range durably, in this order: encode its files locally; wait until the previous
 * range's intent is known to be ours; record the cut (intent, conditional create) or find the same
 * cut recorded; write each object (a followed intent's objects that exist already are left as they
 * are); record what could not be written as recorded; send the dead letters. A cancelled flush
 * writes nothing more. A different recorded cut is a conflict: the caller reads the range again.
 */
export async function runFlush(
  ctx: FlushContext,
  flush: Flush,
  previous: Flush | null,
): Promise<FlushResult> {
  const { range } = flush;
  const abandon = () => (flush.cancelled ? 'cancelled' : null);
  const encoded = await ctx.retry(
    () => encodeRange(ctx.encoder, ctx.tmpDir, ctx.topic, range),
    abandon,
  );
  try {
    flush.releaseMemory();
    if (previous && !(await previous.intentSettled)) flush.cancel();
    if (flush.cancelled) return { status: 'cancelled' };
    const intent = intentOf(ctx.topic, ctx.writer, range, encoded);
    const recorded = await ctx.retry(() => writeIntent(ctx.store, intent), abandon);
    const settlement: Settlement =
      recorded.status === 'created'
        ? { kind: 'created' }
        : compareWithIntent(recorded.existing, range, encoded);
    if (settlement.kind === 'conflict') {
      flush.settle(false);
      return { status: 'conflict', existing: settlement.existing };
    }
    flush.settle(true);
    const written = await writeObjects(ctx, flush, encoded, settlement);
    const lostRows =
      settlement.kind === 'followed' ? await accountShortfall(ctx, flush, settlement) : 0;
    await sendDeadLetters(ctx, range.partition, encoded.poison, abandon);
    return {
      status: 'durable',
      ...written,
      deadLetters: encoded.poison.length,
      followedIntent: recorded.status === 'exists',
      lostRows,
    };
  } finally {
    await encoded.dispose();
  }
}

/** Logs a durable flush, and as an error the rows of it that are gone from Kafka. */
export function logDurableFlush(
  logger: Logger,
  flush: Flush,
  result: DurableFlush,
  ms: number,
): void {
  const { range } = flush;
  const where = {
    partition: range.partition,
    first: range.first.toString(),
    last: range.last.toString(),
  };
  if (result.lostRows > 0) {
    logger.error(
      { event: 'sink_rows_lost', ...where, rows: result.lostRows },
      'records of a recorded range are gone from Kafka and its objects were never written',
    );
  }
  logger.info(
    {
      event: 'sink_flush_completed',
      ...where,
      rows: result.rows,
      files: result.files,
      bytes: result.bytes,
      dead_letters: result.deadLetters,
      reason: flush.reason,
      replay: result.followedIntent,
      ms: Math.round(ms),
    },
    'flush durable',
  );
}

async function writeObjects(
  ctx: FlushContext,
  flush: Flush,
  encoded: EncodedRange,
  settlement: Settlement,
): Promise<{ files: number; bytes: number; rows: number; fileRows: number[] }> {
  const abandon = () => (flush.cancelled ? 'cancelled' : null);
  const skip =
    settlement.kind === 'followed'
      ? new Set([...settlement.short, ...settlement.unrecorded].map((f) => f.key))
      : new Set<string>();
  const out = { files: 0, bytes: 0, rows: 0, fileRows: [] as number[] };
  for (const file of encoded.files) {
    if (skip.has(file.key)) continue;
    if (flush.cancelled) throw new Abandoned('cancelled');
    out.rows += file.rows;
    // The writer that recorded a followed intent may have written this object already: leave it.
    if (
      settlement.kind === 'followed' &&
      (await ctx.retry(() => ctx.store.head(file.key), abandon)) !== null
    )
      continue;
    await ctx.retry(
      () =>
        ctx.store.putFile(file.key, file.path, {
          contentType: 'application/vnd.apache.parquet',
          metadata: {
            'loglake-range': `${flush.range.first}-${flush.range.last}`,
            'loglake-rows': String(file.rows),
          },
        }),
      abandon,
    );
    out.files += 1;
    out.bytes += file.bytes;
    out.fileRows.push(file.rows);
  }
  return out;
}

/**
 * A followed intent whose files this replay cannot reproduce: an object that exists was written
 * whole by an earlier writer; one that does not is lost, recorded, and never written shorter.
 */
async function accountShortfall(
  ctx: FlushContext,
  flush: Flush,
  settlement: Extract<Settlement, { kind: 'followed' }>,
): Promise<number> {
  if (settlement.short.length === 0 && settlement.unrecorded.length === 0) return 0;
  const abandon = () => (flush.cancelled ? 'cancelled' : null);
  const files: { key: string; rows_expected: number; rows_read: number }[] = [];
  for (const s of settlement.short) {
    if ((await ctx.retry(() => ctx.store.head(s.key), abandon)) === null) {
      files.push({ key: s.key, rows_expected: s.expected, rows_read: s.have });
    }
  }
  for (const u of settlement.unrecorded)
    files.push({ key: u.key, rows_expected: 0, rows_read: u.rows });
  const lost = files.reduce((n, f) => n + Math.max(f.rows_expected, f.rows_read), 0);
  if (lost === 0) return 0;
  const { range } = flush;
  const logStart = await ctx.retry(() => ctx.logStart(range.partition), abandon);
  await ctx.retry(
    () =>
      recordLoss(ctx.store, {
        version: 1,
        topic: ctx.topic,
        partition: range.partition,
        first: range.first.toString(),
        last: range.last.toString(),
        files,
        lost_rows: lost,
        reason: logStart > range.first ? 'retention' : 'mismatch',
        created_at: new Date().toISOString(),
        writer: ctx.writer,
      }),
    abandon,
  );
  return lost;
}

/** A range's poison records to the dead-letter topic, with where they came from (both layouts). */
export async function sendDeadLetters(
  ctx: Pick<FlushContext, 'topic' | 'dlqTopic' | 'dlqProducer' | 'retry'>,
  partition: number,
  poison: readonly PoisonRecord[],
  abandon: () => string | null,
): Promise<void> {
  if (poison.length === 0) return;
  const receivedAt = Date.now();
  const records = poison.map((p) => ({
    key: null,
    value: deadLetter(p.reject, p.raw, {
      stage: 'sink',
      received_at: receivedAt,
      topic: ctx.topic,
      partition,
      offset: p.offset.toString(),
    }),
  }));
  await ctx.retry(() => ctx.dlqProducer.send(ctx.dlqTopic, records), abandon);
}
