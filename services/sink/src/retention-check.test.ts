import { describe, expect, it } from 'vitest';
import { retentionWarnings } from './retention-check.ts';

const DAY = 86_400_000;
const needs = { flushMaxAgeMs: 60_000, replayAllowanceMs: DAY };
const topic = (over: Partial<Parameters<typeof retentionWarnings>[1]> = {}) => ({
  retentionMs: 7 * DAY,
  retentionBytes: null,
  cleanupPolicy: 'delete',
  source: 'topic' as const,
  ...over,
});

describe('retentionWarnings', () => {
  it('says nothing when the topic keeps records longer than the replay window, by time only', () => {
    expect(retentionWarnings('log-data', topic(), needs)).toEqual([]);
    expect(retentionWarnings('log-data', topic({ retentionMs: null }), needs)).toEqual([]);
  });

  it('warns when retention is shorter than the flush age plus the allowance', () => {
    const [w, ...rest] = retentionWarnings('log-data', topic({ retentionMs: DAY }), needs);
    expect(rest).toEqual([]);
    expect(w).toContain('keeps records 24 h');
    expect(w).toContain('replay window of 24 h');
    expect(retentionWarnings('log-data', topic({ retentionMs: DAY + 60_000 }), needs)).toEqual([]);
  });

  it('warns about deletion by size and about compaction', () => {
    const w = retentionWarnings(
      'log-data',
      topic({ retentionBytes: 1 << 30, cleanupPolicy: 'compact,delete' }),
      needs,
    );
    expect(w).toHaveLength(2);
    expect(w[0]).toContain('retention.bytes');
    expect(w[1]).toContain('compacted');
  });
});
