/**
 * The event ids of a partition's last `size` offsets, for dropping events a client sent again
 * (same `event_id`, same key, so the same partition) after a lost answer. A record is a duplicate
 * when a record with its id lies in the `size` offsets before it: a rule about the log alone, so
 * that the sink's decisions do not depend on when it read what.
 *
 * The window only suggests: a range's intent records the offsets it dropped, and a replay that
 * follows the intent drops exactly those. Where the window cannot see back far enough (just after
 * a start, before the log start, after a re-read) it misses duplicates; it never drops an event
 * whose id it did not see: a hash hit is confirmed by comparing the whole id.
 *
 * Layout (no string and no Map entry per id): a ring of `size` entries in typed arrays (offset,
 * hash, where the id's characters start in a circular byte pool and how many there are), and an
 * open-addressing table of ring slots by hash. An id is stored one byte per character when all
 * its characters are below 256 (a UUID: 36 bytes), else two. An id from the sink's scan is a slice
 * of the record's text, and holding the string would hold the whole record (about 500 bytes).
 */
export class DedupWindow {
  private offsets = new Float64Array(0);
  private hashes = new Int32Array(0);
  private starts = new Int32Array(0);
  private lengths = new Int32Array(0);
  /** 1 where the id is stored two bytes per character. */
  private wide = new Uint8Array(0);
  /** Ring slots + 1 by hash (linear probing; 0 is empty); at most half full. */
  private table = new Int32Array(0);
  private mask = 0;
  /** The ids' characters; entries are contiguous, in ring order, and may wrap to the pool's start. */
  private pool = new Uint8Array(0);
  private poolTail = 0;
  /** Ring slot of the oldest entry, and how many entries are held. */
  private head = 0;
  private count = 0;
  /** The offset after the last one seen; records below it were seen already. */
  private nextOffset = -1;

  constructor(readonly size: number) {}

  get enabled(): boolean {
    return this.size > 0;
  }

  /** Ids held now (for tests and the memory estimate). */
  get held(): number {
    return this.count;
  }

  /** Bytes of the typed arrays behind the window (for the memory estimate). */
  get bytes(): number {
    return (
      this.offsets.byteLength +
      this.hashes.byteLength * 3 +
      this.wide.byteLength +
      this.table.byteLength +
      this.pool.byteLength
    );
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
    if (!this.enabled) return recorded ? recorded.has(BigInt(offset)) : false;
    const hash = hashOf(id);
    let duplicate: boolean;
    if (recorded) duplicate = recorded.has(BigInt(offset));
    else {
      this.evictBefore(offset - this.size);
      duplicate = this.find(id, hash);
    }
    this.insert(offset, id, hash);
    return duplicate;
  }

  /** True when a record with `id` lies in the window before `offset`. */
  has(offset: number, id: string): boolean {
    if (!this.enabled) return false;
    this.evictBefore(offset - this.size);
    return this.find(id, hashOf(id));
  }

  /** Remembers the record at `offset`; offsets seen before are ignored (fetched again). */
  add(offset: number, id: string): void {
    if (this.enabled) this.insert(offset, id, hashOf(id));
  }

  /** Forgets the records from `offset` on: they are read again. */
  rewind(offset: number): void {
    while (this.count > 0) {
      const slot = (this.head + this.count - 1) % this.size;
      if ((this.offsets[slot] as number) < offset) break;
      this.unlink(slot);
      this.count -= 1;
    }
    this.poolTail = this.count === 0 ? 0 : this.endOf((this.head + this.count - 1) % this.size);
    this.nextOffset = Math.min(this.nextOffset, offset);
  }

  /** Forgets everything: the partition was assigned again. */
  clear(): void {
    this.table.fill(0);
    this.head = 0;
    this.count = 0;
    this.poolTail = 0;
    this.nextOffset = -1;
  }

  private insert(offset: number, id: string, hash: number): void {
    if (offset < this.nextOffset) return;
    if (this.table.length === 0) this.allocate();
    this.nextOffset = offset + 1;
    this.evictBefore(offset + 1 - this.size);
    const slot = (this.head + this.count) % this.size;
    const n = id.length;
    let start = this.place(n);
    let pool = this.pool;
    let wide = 0;
    for (let i = 0; i < n; i += 1) {
      const c = id.charCodeAt(i);
      if (c > 0xff) {
        wide = 1;
        break;
      }
      pool[start + i] = c;
    }
    if (wide) {
      start = this.place(2 * n);
      pool = this.pool;
      for (let i = 0; i < n; i += 1) {
        const c = id.charCodeAt(i);
        pool[start + 2 * i] = c & 0xff;
        pool[start + 2 * i + 1] = c >> 8;
      }
    }
    this.poolTail = start + (wide ? 2 * n : n);
    this.offsets[slot] = offset;
    this.hashes[slot] = hash;
    this.starts[slot] = start;
    this.lengths[slot] = n;
    this.wide[slot] = wide;
    this.count += 1;
    let i = hash & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
  }

  private find(id: string, hash: number): boolean {
    if (this.count === 0) return false;
    const { table, hashes, mask } = this;
    for (let i = hash & mask; table[i] !== 0; i = (i + 1) & mask) {
      const slot = (table[i] as number) - 1;
      if (hashes[slot] === hash && this.equals(slot, id)) return true;
    }
    return false;
  }

  private equals(slot: number, id: string): boolean {
    const n = id.length;
    if (this.lengths[slot] !== n) return false;
    const start = this.starts[slot] as number;
    const pool = this.pool;
    if (this.wide[slot]) {
      for (let i = 0; i < n; i += 1) {
        const c = (pool[start + 2 * i] as number) | ((pool[start + 2 * i + 1] as number) << 8);
        if (c !== id.charCodeAt(i)) return false;
      }
      return true;
    }
    for (let i = 0; i < n; i += 1) if (pool[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private evictBefore(offset: number): void {
    while (this.count > 0 && (this.offsets[this.head] as number) < offset) {
      this.unlink(this.head);
      this.head = (this.head + 1) % this.size;
      this.count -= 1;
    }
    if (this.count === 0) this.poolTail = 0;
  }

  /** Takes `slot` out of the table (backward-shift deletion keeps every probe chain unbroken). */
  private unlink(slot: number): void {
    const { table, hashes, mask } = this;
    let i = (hashes[slot] as number) & mask;
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = (hashes[(table[j] as number) - 1] as number) & mask;
      // Move j's entry into the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        table[i] = table[j] as number;
        i = j;
      }
    }
    table[i] = 0;
  }

  /** Bytes of the entry in `slot`. */
  private sizeOf(slot: number): number {
    return (this.lengths[slot] as number) << (this.wide[slot] as number);
  }

  private endOf(slot: number): number {
    return (this.starts[slot] as number) + this.sizeOf(slot);
  }

  /** Where `length` bytes go: after the newest entry, or at the pool's start; grows the pool when neither has room. */
  private place(length: number): number {
    if (this.count === 0) {
      if (length > this.pool.length) this.grow(length);
      return 0;
    }
    const oldest = this.starts[this.head] as number;
    const tail = this.poolTail;
    if (tail >= oldest) {
      if (tail + length <= this.pool.length) return tail;
      if (length < oldest) return 0;
    } else if (tail + length < oldest) return tail;
    this.grow(length);
    return this.poolTail;
  }

  /** A pool twice as large (and room for `length` more), the entries copied to its start in ring order. */
  private grow(length: number): void {
    const next = new Uint8Array(Math.max(1024, (this.pool.length + length) * 2));
    let at = 0;
    for (let k = 0; k < this.count; k += 1) {
      const slot = (this.head + k) % this.size;
      const start = this.starts[slot] as number;
      const n = this.sizeOf(slot);
      next.set(this.pool.subarray(start, start + n), at);
      this.starts[slot] = at;
      at += n;
    }
    this.pool = next;
    this.poolTail = at;
  }

  private allocate(): void {
    this.offsets = new Float64Array(this.size);
    this.hashes = new Int32Array(this.size);
    this.starts = new Int32Array(this.size);
    this.lengths = new Int32Array(this.size);
    this.wide = new Uint8Array(this.size);
    let capacity = 16;
    while (capacity < this.size * 2) capacity *= 2;
    this.table = new Int32Array(capacity);
    this.mask = capacity - 1;
    // Grows to what the ids need (a UUID: 36 bytes, 3.6 MB for 100,000), doubling.
    this.pool = new Uint8Array(Math.min(64 * 1024, 1024 + this.size * 37));
  }
}

/** FNV-1a over the id's UTF-16 code units (exported for the test of collisions). */
export function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 0;
}
