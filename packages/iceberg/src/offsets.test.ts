import { describe, expect, it } from 'vitest';
import { hasCode } from '@loglake/core';
import {
  advanceOffsets,
  encodeLosses,
  decodeOffsets,
  encodeOffsets,
  offsetsKey,
  recordedOffsets,
} from './offsets.ts';
import type { Snapshot, TableMetadata } from './types.ts';

const snap = (
  id: bigint,
  parent: bigint | undefined,
  summary: Record<string, string>,
): Snapshot => ({
  'snapshot-id': id,
  ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }),
  'sequence-number': 1n,
  'timestamp-ms': 0,
  'manifest-list': 's3://b/l.avro',
  summary: { operation: 'append', ...summary },
});

function table(snapshots: Snapshot[], current: bigint): TableMetadata {
  return {
    'format-version': 2,
    'table-uuid': 'u',
    location: 's3://b/t',
    'last-sequence-number': 3n,
    'last-updated-ms': 0,
    'last-column-id': 23,
    schemas: [],
    'current-schema-id': 0,
    'partition-specs': [],
    'default-spec-id': 0,
    'last-partition-id': 1000,
    snapshots,
    refs: { main: { 'snapshot-id': current, type: 'branch' } },
  };
}

function moved(run: () => unknown): boolean {
  try {
    run();
  } catch (e) {
    return hasCode(e, 'LOGLAKE_ICEBERG_OFFSETS_MOVED');
  }
  return false;
}

describe('Kafka offsets in snapshot summaries', () => {
  const key = offsetsKey('log-data');

  it('encode and decode exactly, partitions in order', () => {
    const text = encodeOffsets(
      new Map([
        [2, 9_007_199_254_740_993n],
        [0, 5n],
      ]),
    );
    expect(text).toBe('{"0":5,"2":9007199254740993}');
    expect(decodeOffsets(text)).toEqual(
      new Map([
        [0, 5n],
        [2, 9_007_199_254_740_993n],
      ]),
    );
  });

  it("come from the newest snapshot on main's ancestry that has them, past others' snapshots", () => {
    const metadata = table(
      [
        snap(1n, undefined, { [key]: '{"0":3}' }),
        snap(2n, 1n, { [key]: '{"0":7,"1":2}' }),
        snap(3n, 2n, {}), // compaction: no offsets
        snap(4n, 1n, { [key]: '{"0":99}' }), // not on main's ancestry
      ],
      3n,
    );
    expect(recordedOffsets(metadata, 'log-data')).toEqual(
      new Map([
        [0, 7n],
        [1, 2n],
      ]),
    );
    expect(recordedOffsets(metadata, 'other-topic')).toEqual(new Map());
  });

  it('fall back to the table property when no snapshot on the ancestry has them (expired)', () => {
    const metadata = { ...table([snap(3n, 2n, {})], 3n), properties: { [key]: '{"0":12}' } };
    expect(recordedOffsets(metadata, 'log-data')).toEqual(new Map([[0, 12n]]));
    const newer = table([snap(1n, undefined, { [key]: '{"0":4}' })], 1n);
    // A rolled-back main: the ancestry, which matches the data, wins over the property.
    expect(recordedOffsets({ ...newer, properties: { [key]: '{"0":12}' } }, 'log-data')).toEqual(
      new Map([[0, 4n]]),
    );
  });

  it('advance only a range that starts where the record ends, keeping other partitions', () => {
    const recorded = new Map([
      [0, 7n],
      [1, 2n],
    ]);
    expect(
      advanceOffsets(
        recorded,
        [
          { partition: 0, first: 7n, next: 10n },
          { partition: 4, first: 0n, next: 1n },
        ],
        't',
      ),
    ).toEqual({
      offsets: new Map([
        [0, 10n],
        [1, 2n],
        [4, 1n],
      ]),
      losses: [],
    });
    expect(
      advanceOffsets(
        recorded,
        [
          { partition: 0, first: 7n, next: 9n },
          { partition: 0, first: 9n, next: 11n },
        ],
        't',
      ).offsets.get(0),
    ).toBe(11n);
    for (const first of [3n, 8n]) {
      expect(moved(() => advanceOffsets(recorded, [{ partition: 0, first, next: 12n }], 't'))).toBe(
        true,
      );
    }
  });

  it('skip a gap only when the range declares the loss from exactly the recorded offset', () => {
    const recorded = new Map([[0, 7n]]);
    // Records 7..19 were deleted from Kafka before they were read: the loss is recorded.
    expect(
      advanceOffsets(recorded, [{ partition: 0, first: 20n, next: 25n, lostFrom: 7n }], 't'),
    ).toEqual({
      offsets: new Map([[0, 25n]]),
      losses: [{ partition: 0, from: 7n, to: 20n }],
    });
    // A loss declared from an outdated record (another writer went on from 7) is refused.
    expect(
      moved(() =>
        advanceOffsets(recorded, [{ partition: 0, first: 20n, next: 25n, lostFrom: 5n }], 't'),
      ),
    ).toBe(true);
    // A loss cannot move backwards over recorded offsets.
    expect(
      moved(() =>
        advanceOffsets(recorded, [{ partition: 0, first: 3n, next: 25n, lostFrom: 7n }], 't'),
      ),
    ).toBe(true);
    expect(encodeLosses([{ partition: 0, from: 7n, to: 20n }])).toBe('{"0":[7,20]}');
  });
});
