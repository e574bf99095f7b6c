import type { EventReject } from '@loglake/events';
import { bucketOf } from './layout.ts';

export interface PoisonRecord {
  readonly offset: bigint;
  readonly reject: EventReject;
  readonly raw: string;
}

/** A cut range of one partition, ready to be written. */
export interface CutRange {
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
  /** Lines per `dt=…/hour=…` bucket, in offset order. */
  readonly buckets: ReadonlyMap<string, readonly string[]>;
  readonly poison: readonly PoisonRecord[];
  readonly rows: number;
  readonly bytes: number;
  /** Wall-clock time the oldest record entered the buffer, for freshness. */
  readonly oldestAt: number;
  /** Smallest `received_at` among the rows (epoch ms), or null. */
  readonly oldestReceivedAt: number | null;
}

/**
 * The records of one partition since the last cut. A range starts at the offset after the previous
 * range (not at the next record's offset: offsets may have holes), so that a replay from the
 * committed offset finds the intent of the same range.
 */
export class RangeBuffer {
  private buckets = new Map<string, string[]>();
  private poison: PoisonRecord[] = [];
  private lastOffset: bigint | null = null;
  private oldestAt = 0;
  private oldestReceived: number | null = null;
  rows = 0;
  bytes = 0;
  /** When an intent already fixes where this range ends. */
  forcedLast: bigint | null = null;

  constructor(
    readonly partition: number,
    /** First offset of the range being built. */
    public first: bigint,
  ) {}

  get isEmpty(): boolean {
    return this.lastOffset === null;
  }

  get last(): bigint | null {
    return this.lastOffset;
  }

  /** Smallest `received_at` among the rows since the last cut, or null. */
  get oldestReceivedAt(): number | null {
    return this.oldestReceived;
  }

  get ageStartedAt(): number {
    return this.oldestAt;
  }

  add(offset: bigint, ts: number, line: string, receivedAt: number | null, now: number): void {
    this.touch(offset, now);
    const bucket = bucketOf(ts);
    let lines = this.buckets.get(bucket);
    if (!lines) this.buckets.set(bucket, (lines = []));
    lines.push(line);
    this.rows += 1;
    this.bytes += line.length;
    if (receivedAt !== null && (this.oldestReceived === null || receivedAt < this.oldestReceived)) {
      this.oldestReceived = receivedAt;
    }
  }

  addPoison(offset: bigint, reject: EventReject, raw: string, now: number): void {
    this.touch(offset, now);
    this.poison.push({ offset, reject, raw });
    this.bytes += raw.length;
  }

  private touch(offset: bigint, now: number): void {
    if (this.lastOffset === null) this.oldestAt = now;
    this.lastOffset = offset;
  }

  /** Ends the range at the last record added (or at `forcedLast`) and starts the next one after it. */
  cut(): CutRange {
    const last = this.forcedLast ?? this.lastOffset;
    if (last === null) throw new Error('cut of an empty range');
    const range: CutRange = {
      partition: this.partition,
      first: this.first,
      last,
      buckets: this.buckets,
      poison: this.poison,
      rows: this.rows,
      bytes: this.bytes,
      oldestAt: this.oldestAt,
      oldestReceivedAt: this.oldestReceived,
    };
    this.first = last + 1n;
    this.buckets = new Map();
    this.poison = [];
    this.lastOffset = null;
    this.rows = 0;
    this.bytes = 0;
    this.oldestReceived = null;
    this.forcedLast = null;
    return range;
  }
}
