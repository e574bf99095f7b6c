/** A live data file as compaction plans with it. */
export interface CompactionCandidate {
  readonly filePath: string;
  readonly tsHour: number;
  readonly recordCount: bigint;
  readonly fileSizeInBytes: bigint;
}

export interface CompactionPlanOptions {
  /** Size of the files to write (default 128 MiB); groups are packed up to it. */
  readonly targetFileSizeBytes: number;
  /** Files at least this large are left alone (default 75 % of the target, as Spark's). */
  readonly minFileSizeBytes?: number;
  /** A group is rewritten only when it has at least this many files (default 2). */
  readonly minInputFiles?: number;
  /** Only hours before this one (`hour(ts)` value) are closed and compacted. */
  readonly closedBeforeHour: number;
}

/** Files of one hour to rewrite into one file. */
export interface CompactionGroup {
  readonly tsHour: number;
  readonly files: readonly CompactionCandidate[];
  readonly inputBytes: bigint;
  readonly recordCount: bigint;
}

export const DEFAULT_TARGET_FILE_SIZE_BYTES = 128 * 1024 * 1024;

/**
 * Which small files of closed hours to rewrite, and into how many files: per hour, the files below
 * the minimum size are packed first-fit decreasing by size into groups of at most the target size
 * (input bytes: zstd Parquet in, zstd Parquet out, so the output is about the same size or smaller).
 * A group of fewer than `minInputFiles` files is dropped: rewriting it would gain nothing. Pure and
 * deterministic (ties broken by path), so a plan can be tested and logged.
 */
export function planCompaction(
  files: readonly CompactionCandidate[],
  options: CompactionPlanOptions,
): CompactionGroup[] {
  const target = BigInt(options.targetFileSizeBytes);
  const minSize = BigInt(
    options.minFileSizeBytes ?? Math.floor(options.targetFileSizeBytes * 0.75),
  );
  const minInputFiles = Math.max(2, options.minInputFiles ?? 2);
  const byHour = new Map<number, CompactionCandidate[]>();
  for (const f of files) {
    if (f.tsHour >= options.closedBeforeHour || f.fileSizeInBytes >= minSize) continue;
    const list = byHour.get(f.tsHour) ?? [];
    list.push(f);
    byHour.set(f.tsHour, list);
  }
  const groups: CompactionGroup[] = [];
  for (const hour of [...byHour.keys()].sort((a, b) => a - b)) {
    const sorted = (byHour.get(hour) ?? []).sort((a, b) =>
      a.fileSizeInBytes === b.fileSizeInBytes
        ? a.filePath.localeCompare(b.filePath)
        : a.fileSizeInBytes > b.fileSizeInBytes
          ? -1
          : 1,
    );
    const bins: { files: CompactionCandidate[]; bytes: bigint }[] = [];
    for (const f of sorted) {
      const bin = bins.find((b) => b.bytes + f.fileSizeInBytes <= target);
      if (bin) {
        bin.files.push(f);
        bin.bytes += f.fileSizeInBytes;
      } else bins.push({ files: [f], bytes: f.fileSizeInBytes });
    }
    for (const bin of bins) {
      if (bin.files.length < minInputFiles) continue;
      groups.push({
        tsHour: hour,
        files: bin.files,
        inputBytes: bin.bytes,
        recordCount: bin.files.reduce((n, f) => n + f.recordCount, 0n),
      });
    }
  }
  return groups;
}
