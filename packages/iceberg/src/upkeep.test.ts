import { describe, expect, it } from 'vitest';
import { snapshotsToExpire } from './expire.ts';
import { offsetsKey, recordedOffsets } from './offsets.ts';
import { offsetsToCarry, replaceSummary } from './replace.ts';
import type { ManifestEntry } from './manifest-entries.ts';
import type { DataFile } from './data-file.ts';
import type { Snapshot, TableMetadata } from './types.ts';

const snap = (
  id: bigint,
  parent: bigint | null,
  ts: number,
  summary: Record<string, string> = {},
): Snapshot => ({
  'snapshot-id': id,
  ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
  'sequence-number': id,
  'timestamp-ms': ts,
  'manifest-list': `s3://b/t/metadata/snap-${id}.avro`,
  summary: { operation: 'append', ...summary },
});

const table = (
  snapshots: Snapshot[],
  refs: Record<string, bigint>,
  properties = {},
): TableMetadata => ({
  'format-version': 2,
  'table-uuid': 'u',
  location: 's3://b/t',
  'last-sequence-number': 9n,
  'last-updated-ms': 0,
  'last-column-id': 1,
  schemas: [],
  'current-schema-id': 0,
  'partition-specs': [],
  'default-spec-id': 0,
  'last-partition-id': 1000,
  properties,
  'current-snapshot-id': refs.main ?? null,
  snapshots,
  refs: Object.fromEntries(
    Object.entries(refs).map(([k, v]) => [
      k,
      { 'snapshot-id': v, type: k === 'main' ? 'branch' : 'tag' },
    ]),
  ),
});

describe('snapshot expiry', () => {
  const snapshots = [1n, 2n, 3n, 4n, 5n].map((id) =>
    snap(id, id === 1n ? null : id - 1n, Number(id) * 1000),
  );
  it('takes old snapshots, never the newest retainLast of main, the current one or a ref head', () => {
    const m = table(snapshots, { main: 5n, audit: 2n });
    const ids = (cutoffMs: number, retainLast: number) =>
      snapshotsToExpire(m, { cutoffMs, retainLast }).map((s) => s['snapshot-id']);
    expect(ids(10_000, 1)).toEqual([1n, 3n, 4n]);
    expect(ids(10_000, 3)).toEqual([1n]);
    expect(ids(3_500, 1)).toEqual([1n, 3n]);
    // retainLast 0 still keeps the current snapshot.
    expect(ids(10_000, 0)).toEqual([1n, 3n, 4n]);
  });
});

describe('compaction and the offsets record', () => {
  const key = offsetsKey('log-data');
  it('walks past replace snapshots and falls back to the property once expiry took the rest', () => {
    const append = snap(1n, null, 1, { [key]: '{"0":10}' });
    const replace = { ...snap(2n, 1n, 2), summary: { operation: 'replace' } };
    const full = table([append, replace], { main: 2n }, { [key]: '{"0":10}' });
    expect(recordedOffsets(full, 'log-data')).toEqual(new Map([[0, 10n]]));
    const expired = table([replace], { main: 2n }, { [key]: '{"0":10}' });
    expect(recordedOffsets(expired, 'log-data')).toEqual(new Map([[0, 10n]]));
  });

  it('copies the recorded map to the property only where it differs', () => {
    const append = snap(1n, null, 1, { [key]: '{"0":10,"1":4}' });
    expect(offsetsToCarry(table([append], { main: 1n }, { [key]: '{"0":10,"1":4}' }))).toEqual({});
    expect(offsetsToCarry(table([append], { main: 1n }))).toEqual({ [key]: '{"0":10,"1":4}' });
  });

  it('summarises a replace: rows unchanged, files and bytes moved, totals carried', () => {
    const removed = [
      { recordCount: 3n, fileSizeInBytes: 100n },
      { recordCount: 2n, fileSizeInBytes: 80n },
    ] as ManifestEntry[];
    const added = [{ recordCount: 5n, fileSizeInBytes: 120n, tsHour: 7 }] as DataFile[];
    const parent = snap(1n, null, 1, {
      'total-records': '9',
      'total-data-files': '4',
      'total-files-size': '400',
    });
    expect(replaceSummary(removed, added, parent, { x: 'y' })).toEqual({
      operation: 'replace',
      'added-data-files': '1',
      'deleted-data-files': '2',
      'added-records': '5',
      'deleted-records': '5',
      'added-files-size': '120',
      'removed-files-size': '180',
      'changed-partition-count': '1',
      'total-data-files': '3',
      'total-records': '9',
      'total-files-size': '340',
      x: 'y',
    });
  });
});
