import { describe, expect, it } from 'vitest';
import { retentionOf } from './topic-config.ts';

describe('retentionOf', () => {
  it('reads the effective retention and where it comes from', () => {
    expect(
      retentionOf('t', {
        'retention.ms': { value: '604800000', source: 'topic' },
        'retention.bytes': { value: '-1', source: 'default' },
        'cleanup.policy': { value: 'delete', source: 'default' },
      }),
    ).toEqual({
      retentionMs: 604_800_000,
      retentionBytes: null,
      cleanupPolicy: 'delete',
      source: 'topic',
    });
  });

  it('takes -1 as unlimited', () => {
    expect(
      retentionOf('t', {
        'retention.ms': { value: '-1', source: 'broker' },
        'retention.bytes': { value: '1073741824', source: 'broker' },
      }),
    ).toMatchObject({ retentionMs: null, retentionBytes: 1_073_741_824, source: 'broker' });
  });

  it('fails rather than guess when the brokers return no value', () => {
    expect(() => retentionOf('t', {})).toThrow(
      /topic t: the brokers returned no usable retention\.ms/,
    );
  });
});
