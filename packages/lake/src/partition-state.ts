import { RangeBuffer, type CutRange } from './range-buffer.ts';

/** A cut range on its way to the lake. */
export interface Flush {
  readonly range: CutRange;
  done: boolean;
  /** Set when the partition is re-read from an offset at or before this range: it must not commit. */
  cancelled: boolean;
}

/** What the sink holds for one partition it owns. */
export interface PartitionState {
  readonly partition: number;
  buffer: RangeBuffer;
  /** Cut ranges not yet committed, in offset order. */
  flushes: Flush[];
  /** After a cut that followed an intent, the next range may have one too. */
  lookupNext: boolean;
  /** Bumped when the partition is re-read, so that a batch in progress stops. */
  generation: number;
  commits: Promise<void>;
}

export function newPartitionState(partition: number, first: bigint): PartitionState {
  return {
    partition,
    buffer: new RangeBuffer(partition, first),
    flushes: [],
    lookupNext: true,
    generation: 0,
    commits: Promise.resolve(),
  };
}

/** The smallest `received_at` of the events held and not yet committed (open range and flushes), or null. */
export function oldestPendingReceivedAt(st: PartitionState): number | null {
  let oldest = st.buffer.oldestReceivedAt;
  for (const f of st.flushes) {
    const r = f.range.oldestReceivedAt;
    if (r !== null && (oldest === null || r < oldest)) oldest = r;
  }
  return oldest;
}
