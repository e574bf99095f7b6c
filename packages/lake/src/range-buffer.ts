import type { EventReject } from '@loglake/events';
import { bucketOf } from './layout.ts';

export interface PoisonRecord {
  readonly offset: bigint;
  readonly reject: EventReject;
  readonly raw: string;
}

/** The rows of one `dt=…/hour=…` bucket of a range, in offset order. */
export interface BucketRows {
  readonly lines: string[];
  readonly offsets: bigint[];
}

/** Why a range's last offset was fixed before it was read. */
export type RangeEnd =
  /** An intent at the range's first offset recorded the cut: follow it, dropping the duplicates it names. */
  | { readonly kind: 'intent'; readonly last: bigint; readonly duplicates: ReadonlySet<bigint> }
  /** The next range of the chain is already recorded: end right before it. */
  | { readonly kind: 'chain'; readonly last: bigint };

/** A cut range of one partition, ready to be written. */
export interface CutRange {
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
  /** Rows per `dt=…/hour=…` bucket, in offset order. */
  readonly buckets: ReadonlyMap<string, BucketRows>;
  readonly poison: readonly PoisonRecord[];
  /** Offsets of records dropped as events sent again (ascending). */
  readonly duplicates: readonly bigint[];
  readonly rows: number;
  /** UTF-8 bytes of the record values the range holds (what the memory budget counts). */
  readonly bytes: number;
  /**
   * Set when an intent fixed the range before its first record was read: the range was read
   * from its first offset following that intent, so rows missing now are gone from Kafka.
   */
  readonly followsIntent: boolean;
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
  private buckets = new Map<string, BucketRows>();
  private poison: PoisonRecord[] = [];
  private duplicates: bigint[] = [];
  private lastOffset: bigint | null = null;
  private oldestAt = 0;
  private oldestReceived: number | null = null;
  private end: RangeEnd | null = null;
  rows = 0;
  bytes = 0;

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

  /** The offset the next record must have at least (records below it were read already). */
  get next(): bigint {
    return this.lastOffset === null ? this.first : this.lastOffset + 1n;
  }

  /** Where this range must end, when that was fixed before reading it; null while it is free. */
  get forcedLast(): bigint | null {
    return this.end?.last ?? null;
  }

  /** The duplicates the intent this range follows recorded, or null when the range is cut freely. */
  get recordedDuplicates(): ReadonlySet<bigint> | null {
    return this.end?.kind === 'intent' ? this.end.duplicates : null;
  }

  /** Fixes where the range ends. Only before its first record: a cut is decided once. */
  fixEnd(end: RangeEnd): void {
    if (!this.isEmpty) throw new Error('the end of a range can only be fixed before it is read');
    this.end = end;
  }

  /** Smallest `received_at` among the rows since the last cut, or null. */
  get oldestReceivedAt(): number | null {
    return this.oldestReceived;
  }

  get ageStartedAt(): number {
    return this.oldestAt;
  }

  add(
    offset: bigint,
    ts: number,
    line: string,
    receivedAt: number | null,
    now: number,
    bytes: number,
  ): void {
    this.touch(offset, now);
    const bucket = bucketOf(ts);
    let rows = this.buckets.get(bucket);
    if (!rows) this.buckets.set(bucket, (rows = { lines: [], offsets: [] }));
    rows.lines.push(line);
    rows.offsets.push(offset);
    this.rows += 1;
    this.bytes += bytes;
    if (receivedAt !== null && (this.oldestReceived === null || receivedAt < this.oldestReceived)) {
      this.oldestReceived = receivedAt;
    }
  }

  addPoison(offset: bigint, reject: EventReject, raw: string, now: number, bytes: number): void {
    this.touch(offset, now);
    this.poison.push({ offset, reject, raw });
    this.bytes += bytes;
  }

  /** A record dropped as an event sent again: it is read, and holds no row. */
  addDuplicate(offset: bigint, now: number, bytes: number): void {
    this.touch(offset, now);
    this.duplicates.push(offset);
    this.bytes += bytes;
  }

  private touch(offset: bigint, now: number): void {
    if (this.lastOffset === null) this.oldestAt = now;
    this.lastOffset = offset;
  }

  /**
   * Ends the range at the last record added (or where its end was fixed, even with no record: the
   * records of a recorded range may be gone) and starts the next one after it.
   */
  cut(): CutRange {
    const last = this.end?.last ?? this.lastOffset;
    if (last === null) throw new Error('cut of an empty range');
    const range: CutRange = {
      partition: this.partition,
      first: this.first,
      last,
      buckets: this.buckets,
      poison: this.poison,
      duplicates: this.duplicates,
      rows: this.rows,
      bytes: this.bytes,
      followsIntent: this.end?.kind === 'intent',
      oldestAt: this.oldestAt,
      oldestReceivedAt: this.oldestReceived,
    };
    this.first = last + 1n;
    this.buckets = new Map();
    this.poison = [];
    this.duplicates = [];
    this.lastOffset = null;
    this.rows = 0;
    this.bytes = 0;
    this.oldestReceived = null;
    this.end = null;
    return range;
  }
}
