import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from './json.ts';

describe('lossless JSON', () => {
  it('keeps a snapshot id above 2^53 exact, both ways', () => {
    const text = '{"snapshot-id":7635660646343998149,"ids":[9007199254740993],"x":1.5,"n":7}';
    const parsed = parseJson(text) as Record<string, unknown>;
    expect(parsed['snapshot-id']).toBe(7635660646343998149n);
    expect(parsed.ids).toEqual([9007199254740993n]);
    expect(parsed.x).toBe(1.5);
    expect(parsed.n).toBe(7);
    expect(stringifyJson(parsed)).toBe(text);
  });

  it('reads small ids under 64-bit keys as bigint too, so their type does not depend on their size', () => {
    const parsed = parseJson('{"sequence-number":3,"snapshot-id":-1}') as Record<string, unknown>;
    expect(parsed['sequence-number']).toBe(3n);
    expect(parsed['snapshot-id']).toBe(-1n);
  });

  it('leaves a non-integer under a 64-bit key alone', () => {
    expect(parseJson('{"snapshot-id":null}')).toEqual({ 'snapshot-id': null });
  });
});
