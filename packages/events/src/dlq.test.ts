import { describe, expect, it } from 'vitest';
import { DLQ_MAX_RAW_BYTES, deadLetter, rawOf } from './dlq.ts';

describe('dead letters', () => {
  it('never throw on values too deep to serialize', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    expect(rawOf(deep)).toMatch(/not serializable/);
  });

  it('cut raw text at the byte limit without splitting a character', () => {
    const raw = 'é'.repeat(DLQ_MAX_RAW_BYTES);
    const record = JSON.parse(
      deadLetter({ code: 'EVENT_TOO_LARGE', message: 'big' }, raw, {
        stage: 'gateway',
        received_at: 1,
      }),
    );
    expect(record.raw_truncated).toBe(true);
    expect(Buffer.byteLength(record.raw)).toBeLessThanOrEqual(DLQ_MAX_RAW_BYTES);
    expect(record.raw).toMatch(/^é+$/);
    expect(record).toMatchObject({ code: 'EVENT_TOO_LARGE', stage: 'gateway', received_at: 1 });
  });
});
