import type { EventReject } from '@loglake/events';
import { bucketOf } from './layout.ts';
import { NdjsonRows } from './ndjson-rows.ts';

export interface PoisonRecord {
  readonly offset: bigint;
  readonly reject: EventReject;
  readonly raw: string;
}

const HOUR_MS = 3_600_000;

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
  /** Rows per `dt=…/hour=…` bucket, in offset order, as NDJSON bytes. */
  readonly buckets: ReadonlyMap<string, NdjsonRows>;
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
  private buckets = new Map<string, NdjsonRows>();
  /** The bucket of the last row: the next row's event hour is most often the same. */
  private lastHour = Number.NaN;
  private lastRows: NdjsonRows | null = null;
  private poison: PoisonRecord[] = [];
  private duplicates: bigint[] = [];
  /** Offsets within a range are numbers (Kafka's are below 2^53); bigint at the range's edges. */
  private lastOffset: number | null = null;
  private oldestAt = 0;
  private oldestReceived: number | null = null;
  private end: RangeEnd | null = null;
  rows = 0;
  bytes = 0;

  constructor(
    readonly partition: number,
    /** First offset of the range being built. */
    public first: bigint,
  ) {
    this.firstOffset = Number(first);
  }

  get isEmpty(): boolean {
    return this.lastOffset === null;
  }

  get last(): bigint | null {
    return this.lastOffset === null ? null : BigInt(this.lastOffset);
  }

  /** The offset the next record must have at least (records below it were read already). */
  get next(): bigint {
    return this.lastOffset === null ? this.first : BigInt(this.lastOffset) + 1n;
  }

  /** `next` as a number, for comparing record by record. */
  get nextOffset(): number {
    return this.lastOffset === null ? this.firstOffset : this.lastOffset + 1;
  }

  private firstOffset: number;

  /** Where this range must end, when that was fixed before reading it; null while it is free. */
  get forcedLast(): bigint | null {
    return this.end?.last ?? null;
  }

  /** `forcedLast` as a number (Infinity while the range is free), for comparing record by record. */
  get forcedLastOffset(): number {
    return this.forcedNumber;
  }

  private forcedNumber = Number.POSITIVE_INFINITY;

  /** The duplicates the intent this range follows recorded, or null when the range is cut freely. */
  get recordedDuplicates(): ReadonlySet<bigint> | null {
    return this.end?.kind === 'intent' ? this.end.duplicates : null;
  }

  /** Fixes where the range ends. Only before its first record: a cut is decided once. */
  fixEnd(end: RangeEnd): void {
    if (!this.isEmpty) throw new Error('the end of a range can only be fixed before it is read');
    this.end = end;
    this.forcedNumber = Number(end.last);
  }

  /** Smallest `received_at` among the rows since the last cut, or null. */
  get oldestReceivedAt(): number | null {
    return this.oldestReceived;
  }

  get ageStartedAt(): number {
    return this.oldestAt;
  }

  /** A row: `line` is its JSON (one line), as bytes on the sink's normal path. */
  add(
    offset: bigint | number,
    ts: number,
    line: Uint8Array | string,
    receivedAt: number | null,
    now: number,
    bytes: number,
  ): void {
    const at = typeof offset === 'bigint' ? Number(offset) : offset;
    this.touch(at, now);
    this.rowsOf(ts).append(typeof line === 'string' ? Buffer.from(line, 'utf8') : line, at);
    this.rows += 1;
    this.bytes += bytes;
    if (receivedAt !== null && (this.oldestReceived === null || receivedAt < this.oldestReceived)) {
      this.oldestReceived = receivedAt;
    }
  }

  /** The rows of `ts`'s `dt=…/hour=…` bucket (the same hour as the last row's: no date arithmetic). */
  private rowsOf(ts: number): NdjsonRows {
    const hour = Math.floor(ts / HOUR_MS);
    if (hour === this.lastHour && this.lastRows) return this.lastRows;
    const bucket = bucketOf(ts);
    let rows = this.buckets.get(bucket);
    if (!rows) this.buckets.set(bucket, (rows = new NdjsonRows()));
    // An event time that is not a number has no hour: its bucket is looked up every time.
    this.lastHour = hour;
    this.lastRows = Number.isNaN(hour) ? null : rows;
    return rows;
  }

  addPoison(
    offset: bigint | number,
    reject: EventReject,
    raw: string,
    now: number,
    bytes: number,
  ): void {
    const at = BigInt(offset);
    this.touch(Number(at), now);
    this.poison.push({ offset: at, reject, raw });
    this.bytes += bytes;
  }

  /** A record dropped as an event sent again: it is read, and holds no row. */
  addDuplicate(offset: bigint | number, now: number, bytes: number): void {
    const at = BigInt(offset);
    this.touch(Number(at), now);
    this.duplicates.push(at);
    this.bytes += bytes;
  }

  private touch(offset: number, now: number): void {
    if (this.lastOffset === null) this.oldestAt = now;
    this.lastOffset = offset;
  }

  /**
   * Ends the range at the last record added (or where its end was fixed, even with no record: the
   * records of a recorded range may be gone) and starts the next one after it.
   */
  cut(): CutRange {
    const last = this.end?.last ?? this.last;
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
    this.firstOffset = Number(this.first);
    this.buckets = new Map();
    this.lastHour = Number.NaN;
    this.lastRows = null;
    this.poison = [];
    this.duplicates = [];
    this.lastOffset = null;
    this.rows = 0;
    this.bytes = 0;
    this.oldestReceived = null;
    this.end = null;
    this.forcedNumber = Number.POSITIVE_INFINITY;
    return range;
  }
}
