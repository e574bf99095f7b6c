import type { Logger } from '@loglake/core';
import type { ObjectStore } from '@loglake/object-store';
import { lossKey } from './layout.ts';

/**
 * Written when offsets `first`..`last` of a partition will never be in the lake as a range of the
 * chain records them: a replay could not write an intent's objects as recorded, because records of the
 * range were gone from Kafka (retention, DeleteRecords) or read differently than when the intent
 * was recorded. Those objects are never written shorter; the loss is kept here for the auditor.
 */
export interface LossRecord {
  readonly version: 1;
  readonly topic: string;
  readonly partition: number;
  readonly first: string;
  readonly last: string;
  readonly files: readonly {
    readonly key: string;
    readonly rows_expected: number;
    readonly rows_read: number;
  }[];
  /** Rows lost; for a gap no range recorded, the number of offsets (an upper bound: offsets may have holes). */
  readonly lost_rows: number;
  /**
   * `retention`: the log starts after the range's first offset; `mismatch`: the records are there but
   * differ from what the intent recorded; `reset`: the group's offset was moved past unrecorded offsets.
   */
  readonly reason: 'retention' | 'mismatch' | 'reset';
  readonly created_at: string;
  readonly writer: string;
}

/** Records a loss once (a replay of the same range finds it and leaves it as it is). */
export async function recordLoss(store: ObjectStore, loss: LossRecord): Promise<void> {
  await store.put(
    lossKey(loss.topic, loss.partition, BigInt(loss.first)),
    Buffer.from(JSON.stringify(loss)),
    {
      ifAbsent: true,
      contentType: 'application/json',
    },
  );
}

/**
 * Records offsets `first`..`last` that no range holds (deleted before the sink read them, or skipped
 * by a reset of the group's offset). Returns the rows counted as lost: the number of offsets, an
 * upper bound (offsets may have holes).
 */
export async function recordGap(
  store: ObjectStore,
  gap: {
    readonly topic: string;
    readonly partition: number;
    readonly first: bigint;
    readonly last: bigint;
    readonly writer: string;
    readonly reason: 'retention' | 'reset';
  },
): Promise<number> {
  const offsets = Number(gap.last - gap.first + 1n);
  await recordLoss(store, {
    version: 1,
    topic: gap.topic,
    partition: gap.partition,
    first: gap.first.toString(),
    last: gap.last.toString(),
    files: [],
    lost_rows: offsets,
    reason: gap.reason,
    created_at: new Date().toISOString(),
    writer: gap.writer,
  });
  return offsets;
}

/** Records a gap (`recordGap`) and logs it as an error; returns the rows counted as lost. */
export async function reportGap(
  store: ObjectStore,
  logger: Logger,
  gap: Parameters<typeof recordGap>[1],
): Promise<number> {
  const lost = await recordGap(store, gap);
  logger.error(
    {
      event: 'sink_offsets_skipped',
      partition: gap.partition,
      first: gap.first.toString(),
      last: gap.last.toString(),
      reason: gap.reason,
    },
    gap.reason === 'retention'
      ? 'records were deleted from Kafka before the sink read them'
      : "the group's offset was moved past unwritten records",
  );
  return lost;
}
