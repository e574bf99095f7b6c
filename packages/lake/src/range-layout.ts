import type { Logger } from '@loglake/core';
import type { Flush, FlushContext, FlushResult } from './flush.ts';
import type { RangeEnd } from './range-buffer.ts';

/** What the sink hands to a layout: what flushes need besides a store and an encoder. */
export type LayoutContext = Omit<FlushContext, 'store' | 'encoder'> & {
  readonly logger: Logger;
  readonly storeCheckTimeoutMs: number;
};

/** Where a partition's reading starts, as a layout decides it on assignment (or after a refused range). */
export interface StartPoint {
  /** The first offset of the partition's next range. */
  readonly start: bigint;
  /** Where that range must end, when the layout recorded it already (an intent, the next range of the chain). */
  readonly end: RangeEnd | null;
  /** How the start was found, for the log. */
  readonly how: string;
  /** Rows counted as lost on the way (offsets deleted from Kafka before they were read), already reported. */
  readonly lost: number;
}

/** What the sink knows about a partition when it asks a layout where to start. */
export interface StartHint {
  /** The group's committed offset, or the log start when nothing usable is committed. */
  readonly from: bigint;
  /** The commit's metadata (null with the log start). */
  readonly metadata: string | null;
  readonly logStart: bigint;
}

/**
 * The seam between the per-partition writer, which is the same for every layout (buffering, cuts,
 * dedup window, memory budget, pausing, re-reads, Kafka commits after durability), and the two
 * things a layout decides: where a partition starts, and how a cut range becomes durable.
 * - `intents` (SINK_TABLE_FORMAT=parquet): `_loglake/intents/` chain, Parquet objects by key;
 * - `table` (SINK_TABLE_FORMAT=iceberg): data files committed to an Iceberg table with offsets.
 */
export interface RangeLayout {
  readonly name: 'parquet' | 'iceberg';
  /** The context flushes run in (retries, dead letters, temporary files). */
  readonly ctx: LayoutContext;
  /** Start-up check: the store is writable, the table exists (created when absent). */
  prepare(): Promise<void>;
  /** Where `partition` starts; `abandon` names a reason to stop retrying (the partition was lost). */
  start(partition: number, hint: StartHint, abandon: () => string | null): Promise<StartPoint>;
  /**
   * After a range whose end was recorded is cut, the end of the next one if that is recorded too;
   * null when it is free. Layouts that never fix cuts answer null at once.
   */
  recordedEnd(partition: number, first: bigint): Promise<RangeEnd | null>;
  /**
   * Makes one cut range durable. `releaseSlot` may be called once the range no longer needs a flush
   * slot (its files are written and only a commit is awaited).
   */
  write(flush: Flush, previous: Flush | null, releaseSlot: () => void): Promise<FlushResult>;
  /**
   * The sink is stopping (called once, before its last cuts): from now on a range handed to `write`
   * is made durable as soon as it can be, not at the layout's own pace (the table layout's commit
   * interval), since the shutdown waits for it.
   */
  drain(): void;
  /** Waits for work the layout holds outside the writers (a pending table commit) and frees its resources. */
  close(): Promise<void>;
  /** True when the layout cannot take more finished ranges now (commits are behind): fetching pauses. */
  readonly backlogged: boolean;
}
