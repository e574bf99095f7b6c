import { describe, expect, it } from 'vitest';
import { DedupWindow } from './dedup-window.ts';

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
