import { describe, expect, it } from 'vitest';
import { encodeBound } from './bounds.ts';

describe('single-value serialization of bounds', () => {
  it('writes int, long, timestamptz and double little-endian', () => {
    expect(encodeBound('int', 404)).toEqual(Buffer.from([0x94, 0x01, 0, 0]));
    expect(encodeBound('long', -2n)).toEqual(
      Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    );
    expect(encodeBound('timestamptz', 1_767_225_600_000_000n)?.readBigInt64LE()).toBe(
      1_767_225_600_000_000n,
    );
    expect(encodeBound('double', 1.5)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x3f]));
  });

  it('gives NaN and strings no bound', () => {
    expect(encodeBound('double', Number.NaN)).toBeUndefined();
    expect(encodeBound('string', 1)).toBeUndefined();
  });
});
