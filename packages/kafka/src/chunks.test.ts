import { describe, expect, it } from 'vitest';
import { chunksBySize } from './chunks.ts';

describe('chunksBySize', () => {
  const size = (s: string) => s.length;

  it('keeps everything in one run when it fits', () => {
    const items = ['aa', 'bb', 'cc'];
    expect(chunksBySize(items, size, 6)).toEqual([items]);
    expect(chunksBySize([], size, 6)).toEqual([[]]);
  });

  it('cuts in order before the item that would go over, and sends an oversized item alone', () => {
    expect(chunksBySize(['aa', 'bb', 'cc', 'dddddddd', 'e'], size, 5)).toEqual([
      ['aa', 'bb'],
      ['cc'],
      ['dddddddd'],
      ['e'],
    ]);
  });
});
