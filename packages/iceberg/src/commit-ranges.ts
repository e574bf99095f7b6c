import { hasCode } from '@loglake/core';
import type { DataFile } from './data-file.ts';
import { fastAppend, type AppendResult, type AppendTarget } from './fast-append.ts';

/** A finished range of one partition and the data files that hold its rows. */
export interface RangeFiles {
  readonly partition: number;
  readonly first: bigint;
  readonly next: bigint;
  readonly files: readonly DataFile[];
}

export interface MovedRange {
  readonly range: RangeFiles;
  /** The next offset the table records for the partition, which the range does not start at. */
  readonly recorded: bigint;
}

export interface CommitRangesResult {
  /** The snapshot that recorded `committed`, or null when every range had moved. */
  readonly append: AppendResult | null;
  readonly committed: readonly RangeFiles[];
  /** Ranges refused by the exactly-once rule: their files stay unreferenced; re-read from `recorded`. */
  readonly moved: readonly MovedRange[];
}

/**
 * One commit for the finished ranges of several partitions (a sink process's committer gathers
 * them, so that N processes make at most N commits per interval instead of racing per partition).
 * A range whose partition another writer moved on (OFFSETS_MOVED) is taken out and the rest is
 * committed without it; every other failure is thrown.
 */
export async function commitRanges(
  target: AppendTarget,
  topic: string,
  ranges: readonly RangeFiles[],
  options: { readonly maxAttempts?: number; readonly now?: () => number } = {},
): Promise<CommitRangesResult> {
  let pending = [...ranges];
  const moved: MovedRange[] = [];
  while (pending.length > 0) {
    try {
      const append = await fastAppend(target, {
        files: pending.flatMap((r) => r.files),
        kafka: { topic, ranges: pending },
        ...options,
      });
      return { append, committed: pending, moved };
    } catch (error) {
      if (!hasCode(error, 'LOGLAKE_ICEBERG_OFFSETS_MOVED')) throw error;
      const partition = Number(error.details?.partition);
      const recorded = BigInt(String(error.details?.recorded));
      const out = pending.filter((r) => r.partition === partition);
      if (out.length === 0) throw error;
      moved.push(...out.map((range) => ({ range, recorded })));
      pending = pending.filter((r) => r.partition !== partition);
    }
  }
  return { append: null, committed: [], moved };
}
