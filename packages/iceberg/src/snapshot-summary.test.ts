import { describe, expect, it } from 'vitest';
import type { DataFile } from './data-file.ts';
import { appendSummary } from './snapshot-summary.ts';
import type { Snapshot } from './types.ts';

const file = (tsHour: number, rows: bigint, size: bigint): DataFile => ({
  filePath: 's3://b/f.parquet',
  tsHour,
  recordCount: rows,
  fileSizeInBytes: size,
  columnSizes: new Map(),
  valueCounts: new Map(),
  nullValueCounts: new Map(),
  nanValueCounts: new Map(),
  lowerBounds: new Map(),
  upperBounds: new Map(),
});
const parent = (summary: Record<string, string>): Snapshot => ({
  'snapshot-id': 1n,
  'sequence-number': 1n,
  'timestamp-ms': 0,
  'manifest-list': 's3://b/l.avro',
  summary: { operation: 'append', ...summary },
});

describe('append summary', () => {
  const files = [file(10, 3n, 100n), file(10, 2n, 50n), file(11, 1n, 10n)];

  it('counts what it adds and starts totals on a table without snapshots', () => {
    expect(appendSummary(files, null, { 'loglake.commit-id': 'c' })).toEqual({
      operation: 'append',
      'added-data-files': '3',
      'added-records': '6',
      'added-files-size': '160',
      'changed-partition-count': '2',
      'total-data-files': '3',
      'total-records': '6',
      'total-files-size': '160',
      'loglake.commit-id': 'c',
    });
  });

  it('records an append without files (a range of no rows) as adding nothing', () => {
    const s = appendSummary([], parent({ 'total-records': '10' }), {});
    expect(s).toMatchObject({
      'added-data-files': '0',
      'added-records': '0',
      'changed-partition-count': '0',
      'total-records': '10',
    });
  });

  it("carries the parent's totals forward, and leaves out a total the parent lacks", () => {
    const s = appendSummary(files, parent({ 'total-records': '10', 'total-data-files': '4' }), {});
    expect(s['total-records']).toBe('16');
    expect(s['total-data-files']).toBe('7');
    expect(s['total-files-size']).toBeUndefined();
  });
});
