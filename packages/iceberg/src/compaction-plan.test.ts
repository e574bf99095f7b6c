import { describe, expect, it } from 'vitest';
import { planCompaction, type CompactionCandidate } from './compaction-plan.ts';

const MB = 1024 * 1024;
const f = (name: string, tsHour: number, mb: number, rows = 10n): CompactionCandidate => ({
  filePath: `s3://b/t/data/${name}.parquet`,
  tsHour,
  recordCount: rows,
  fileSizeInBytes: BigInt(mb * MB),
});
const names = (g: { files: readonly CompactionCandidate[] }) =>
  g.files.map((x) => x.filePath.replace(/^.*\/|\.parquet$/g, ''));

describe('planCompaction', () => {
  it('packs small files of each closed hour first-fit decreasing up to the target', () => {
    const files = [f('a', 10, 40), f('b', 10, 70), f('c', 10, 30), f('d', 10, 50), f('e', 10, 20)];
    const groups = planCompaction(files, { targetFileSizeBytes: 128 * MB, closedBeforeHour: 11 });
    // 70+50 = 120 (+40 would exceed 128); 40+30+20 = 90.
    expect(groups.map(names)).toEqual([
      ['b', 'd'],
      ['a', 'c', 'e'],
    ]);
    expect(groups.map((g) => Number(g.inputBytes) / MB)).toEqual([120, 90]);
    expect(groups.map((g) => g.recordCount)).toEqual([20n, 30n]);
  });

  it('leaves open hours, large files and lone files alone', () => {
    const files = [
      f('open1', 12, 1),
      f('open2', 12, 1),
      f('big', 10, 100), // at least 75 % of 128 MB
      f('small', 10, 1),
      f('lone', 9, 5),
      f('x', 8, 1),
      f('y', 8, 2),
    ];
    const groups = planCompaction(files, { targetFileSizeBytes: 128 * MB, closedBeforeHour: 12 });
    expect(groups.map((g) => [g.tsHour, names(g)])).toEqual([[8, ['y', 'x']]]);
  });

  it('never mixes hours in a group and honours minInputFiles and minFileSizeBytes', () => {
    const files = [f('a', 1, 1), f('b', 1, 1), f('c', 1, 1), f('d', 2, 1), f('e', 2, 1)];
    const three = planCompaction(files, {
      targetFileSizeBytes: 128 * MB,
      closedBeforeHour: 3,
      minInputFiles: 3,
    });
    expect(three.map((g) => [g.tsHour, g.files.length])).toEqual([[1, 3]]);
    const none = planCompaction(files, {
      targetFileSizeBytes: 128 * MB,
      closedBeforeHour: 3,
      minFileSizeBytes: MB,
    });
    expect(none).toEqual([]);
  });

  it('splits an hour of many small files into several groups of about the target', () => {
    const files = Array.from({ length: 100 }, (_, i) => f(`f${String(i).padStart(3, '0')}`, 5, 3));
    const groups = planCompaction(files, { targetFileSizeBytes: 32 * MB, closedBeforeHour: 6 });
    // 10 files of 3 MB fit in 32 MB: 10 groups of 10.
    expect(groups.map((g) => g.files.length)).toEqual(Array(10).fill(10));
    expect(new Set(groups.flatMap(names)).size).toBe(100);
  });
});
