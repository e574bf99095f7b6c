import { describe, expect, it } from 'vitest';
import { hourOf, hourSpec } from './partition.ts';

describe('hour(ts)', () => {
  it('counts whole hours since the epoch, flooring before 1970', () => {
    expect(hourOf(0)).toBe(0);
    expect(hourOf(3_599_999)).toBe(0);
    expect(hourOf(Date.UTC(2026, 11, 1, 21, 59, 59, 999))).toBe(
      Date.UTC(2026, 11, 1, 21) / 3_600_000,
    );
    expect(hourOf(-1)).toBe(-1);
    expect(hourOf(-3_600_000)).toBe(-1);
    expect(hourOf(-3_600_001)).toBe(-2);
  });

  it('partitions on the ts column', () => {
    expect(hourSpec().fields).toEqual([
      { 'source-id': 3, 'field-id': 1000, name: 'ts_hour', transform: 'hour' },
    ]);
  });
});
