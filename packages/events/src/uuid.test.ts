import { describe, expect, it } from 'vitest';
import { uuidv7 } from './uuid.ts';

describe('uuidv7', () => {
  it('encodes the millisecond timestamp and version 7', () => {
    const ms = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const id = uuidv7(ms);
    expect(parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(ms);
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
  });

  it('gives distinct ids that sort in creation order within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7(1_800_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    const firstThousand = ids.slice(0, 1000);
    expect([...firstThousand].sort()).toEqual(firstThousand);
  });
});
