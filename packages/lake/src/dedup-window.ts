/**
 * The event ids of a partition's last `size` offsets, for dropping events a client sent again
 * (same `event_id`, same key, so the same partition) after a lost answer. A record is a duplicate
 * when a record with its id lies in the `size` offsets before it: a rule about the log alone, so
 * that the sink's decisions do not depend on when it read what.
 *
 * The window only suggests: a range's intent records the offsets it dropped, and a replay that
 * follows the intent drops exactly those. Where the window cannot see back far enough (just after
 * a start, before the log start, after a re-read) it misses duplicates; it never drops an event
 * whose id it did not see.
 */
export class DedupWindow {
  /** Offsets and ids in offset order; entries below `head` are gone. */
  private offsets: number[] = [];
  private ids: string[] = [];
  private head = 0;
  private readonly counts = new Map<string, number>();
  /** The offset after the last one seen; records below it were seen already. */
  private nextOffset = -1;

  constructor(readonly size: number) {}

  get enabled(): boolean {
    return this.size > 0;
  }

  /** Ids held now (for tests and the memory estimate). */
  get held(): number {
    return this.offsets.length - this.head;
  }

  /**
   * Forgets everything and says where to read from so that the window is full again at `start`:
   * `size` offsets back, not below the log start.
   */
  restartAt(start: bigint, logStart: bigint): bigint {
    this.clear();
    const from = start - BigInt(this.size);
    return from > logStart ? from : logStart < start ? logStart : start;
  }

  /**
   * Whether the record at `offset` is dropped, and remembers it: exactly the `recorded` offsets when
   * the range follows an intent, else when its id lies in the window.
   */
  takeDuplicate(offset: number, id: string, recorded: ReadonlySet<bigint> | null): boolean {
    const duplicate = recorded ? recorded.has(BigInt(offset)) : this.has(offset, id);
    this.add(offset, id);
    return duplicate;
  }

  /** True when a record with `id` lies in the window before `offset`. */
  has(offset: number, id: string): boolean {
    if (!this.enabled) return false;
    this.evictBefore(offset - this.size);
    return (this.counts.get(id) ?? 0) > 0;
  }

  /** Remembers the record at `offset`; offsets seen before are ignored (fetched again). */
  add(offset: number, id: string): void {
    if (!this.enabled || offset < this.nextOffset) return;
    this.offsets.push(offset);
    this.ids.push(id);
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    this.nextOffset = offset + 1;
    this.evictBefore(offset + 1 - this.size);
  }

  /** Forgets the records from `offset` on: they are read again. */
  rewind(offset: number): void {
    while (this.offsets.length > this.head && (this.offsets.at(-1) as number) >= offset) {
      this.offsets.pop();
      this.forget(this.ids.pop() as string);
    }
    this.nextOffset = Math.min(this.nextOffset, offset);
  }

  /** Forgets everything: the partition was assigned again. */
  clear(): void {
    this.offsets = [];
    this.ids = [];
    this.head = 0;
    this.counts.clear();
    this.nextOffset = -1;
  }

  private evictBefore(offset: number): void {
    while (this.head < this.offsets.length && (this.offsets[this.head] as number) < offset) {
      this.forget(this.ids[this.head] as string);
      this.head += 1;
    }
    // Compact once the dead prefix is as long as what is held.
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
  }

  private forget(id: string): void {
    const n = (this.counts.get(id) ?? 0) - 1;
    if (n > 0) this.counts.set(id, n);
    else this.counts.delete(id);
  }
}
