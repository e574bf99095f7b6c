import { describe, expect, it } from 'vitest';
import { DedupWindow, hashOf } from './dedup-window.ts';

describe('DedupWindow', () => {
  it('finds an id within the window before an offset, and forgets it once it falls out', () => {
    const w = new DedupWindow(3);
    w.add(10, 'a');
    w.add(11, 'b');
    expect(w.has(12, 'a')).toBe(true);
    expect(w.has(13, 'a')).toBe(true); // 10 is within 13 - 3 .. 12
    expect(w.has(14, 'a')).toBe(false); // 10 is not within 11 .. 13
    expect(w.has(14, 'b')).toBe(true);
    expect(w.has(14, 'c')).toBe(false);
  });

  it('ignores offsets it saw already (fetched again) and keeps one count per record', () => {
    const w = new DedupWindow(100);
    w.add(0, 'a');
    w.add(1, 'a');
    w.add(1, 'a');
    w.add(0, 'x');
    expect(w.held).toBe(2);
    w.rewind(1);
    expect(w.has(1, 'a')).toBe(true); // offset 0 still holds it
    w.rewind(0);
    expect(w.has(0, 'a')).toBe(false);
    expect(w.held).toBe(0);
  });

  it('rewinds to an offset: records from there are read again and not taken for duplicates', () => {
    const w = new DedupWindow(100);
    for (let o = 0; o < 10; o += 1) w.add(o, `id-${o}`);
    w.rewind(5);
    for (let o = 5; o < 10; o += 1) {
      expect(w.has(o, `id-${o}`)).toBe(false);
      w.add(o, `id-${o}`);
    }
    expect(w.has(10, 'id-2')).toBe(true);
  });

  it('holds at most `size` ids however long it runs', () => {
    const w = new DedupWindow(1000);
    for (let o = 0; o < 50_000; o += 1) w.add(o, `id-${o}`);
    expect(w.held).toBe(1000);
    expect(w.has(50_000, 'id-48999')).toBe(false);
    expect(w.has(50_000, 'id-49000')).toBe(true);
  });

  it('size 0 turns it off', () => {
    const w = new DedupWindow(0);
    w.add(0, 'a');
    expect(w.has(1, 'a')).toBe(false);
    expect(w.held).toBe(0);
  });
});

/** The rule as first written: ids and offsets in arrays, searched from the end. */
class ReferenceWindow {
  private entries: { offset: number; id: string }[] = [];
  private next = -1;
  constructor(private readonly size: number) {}
  has(offset: number, id: string): boolean {
    if (this.size === 0) return false;
    this.entries = this.entries.filter((e) => e.offset >= offset - this.size);
    return this.entries.some((e) => e.id === id);
  }
  add(offset: number, id: string): void {
    if (this.size === 0 || offset < this.next) return;
    this.entries.push({ offset, id });
    this.next = offset + 1;
    this.entries = this.entries.filter((e) => e.offset >= offset + 1 - this.size);
  }
  rewind(offset: number): void {
    this.entries = this.entries.filter((e) => e.offset < offset);
    this.next = Math.min(this.next, offset);
  }
  clear(): void {
    this.entries = [];
    this.next = -1;
  }
  get held(): number {
    return this.entries.length;
  }
}

/** Two different ids with the same hash (a birthday search over 32 bits). */
const COLLIDING = ((): [string, string] => {
  const seen = new Map<number, string>();
  for (let i = 0; ; i += 1) {
    const id = `c-${i}`;
    const other = seen.get(hashOf(id));
    if (other !== undefined) return [other, id];
    seen.set(hashOf(id), id);
  }
})();

describe('DedupWindow against the rule', () => {
  it('drops a later record only for the same id, never for another id with the same hash', () => {
    const [a, b] = COLLIDING;
    expect(hashOf(a)).toBe(hashOf(b));
    const w = new DedupWindow(10);
    w.add(0, a);
    expect(w.takeDuplicate(1, b, null)).toBe(false);
    expect(w.takeDuplicate(2, a, null)).toBe(true);
    expect(w.takeDuplicate(3, b, null)).toBe(true);
  });

  it('answers as the rule does over random adds, look-ups, rewinds and restarts', () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const [x, y] = COLLIDING;
    const ids = [
      'a',
      'b',
      '',
      x,
      y,
      'ü-é',
      '日本-1',
      'λ',
      'a'.repeat(200),
      '0192f3a4-5b6c-7d8e-9f00-1234',
    ];
    for (const size of [0, 1, 2, 7, 64]) {
      const w = new DedupWindow(size);
      const r = new ReferenceWindow(size);
      let offset = 0;
      for (let step = 0; step < 10_000; step += 1) {
        const op = random(100);
        const id = random(3) === 0 ? `${random(40)}` : (ids[random(ids.length)] as string);
        if (op < 60) {
          const expected = r.has(offset, id);
          r.add(offset, id);
          expect(w.takeDuplicate(offset, id, null)).toBe(expected);
          offset += 1 + (random(10) === 0 ? random(5) : 0);
        } else if (op < 85) {
          expect(w.has(offset, id)).toBe(r.has(offset, id));
        } else if (op < 93) {
          const back = Math.max(0, offset - random(20));
          w.rewind(back);
          r.rewind(back);
          offset = back;
        } else if (op < 96) {
          // fetched again: an offset seen already is ignored
          const old = Math.max(0, offset - 1 - random(5));
          w.add(old, id);
          r.add(old, id);
        } else if (op < 97) {
          w.clear();
          r.clear();
        }
        expect(w.held).toBe(r.held);
      }
    }
  });
});
