import { randomUUID } from 'node:crypto';
import { LoglakeError } from '@loglake/core';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_TARGET_FILE_SIZE_BYTES,
  planCompaction,
  type CompactionCandidate,
  type CompactionGroup,
} from './compaction-plan.ts';
import type { AppendTarget } from './fast-append.ts';
import { currentDataFiles } from './manifest-entries.ts';
import { hourOf } from './partition.ts';
import { replaceFiles, type ReplaceGroup } from './replace.ts';
import { createFileRewriter, type FileRewriter } from './rewrite-data-files.ts';
import type { TableMetadata } from './types.ts';

export const DEFAULT_COMPACTION_GRACE_MS = 2 * 3_600_000;
/** DuckDB's threads and memory limit for the rewrite, unless told otherwise (CLI and sink). */
export const DEFAULT_COMPACTION_THREADS = 1;
export const DEFAULT_COMPACTION_MEMORY_LIMIT_MB = 512;

export interface CompactOptions {
  /** Local folder for downloads and written files (emptied of what this run put there). */
  readonly workDir: string;
  /** Default 128 MiB. */
  readonly targetFileSizeBytes?: number;
  /** Default 75 % of the target. */
  readonly minFileSizeBytes?: number;
  /** Default 2. */
  readonly minInputFiles?: number;
  /** An hour is closed, and compacted, once it ended this long ago (default 2 h). */
  readonly graceMs?: number;
  /** The clock that decides which hours are closed (the snapshot's timestamp is the real time). */
  readonly now?: () => number;
  /** DuckDB's threads and memory limit for the rewrite (default 1 thread, 512 MB). */
  readonly threads?: number;
  readonly memoryLimitMb?: number;
  readonly maxAttempts?: number;
  readonly backoff?: (attempt: number) => Promise<void>;
  readonly log?: (event: string, fields: Readonly<Record<string, unknown>>) => void;
  /** Plan only: report the groups, rewrite and commit nothing. */
  readonly dryRun?: boolean;
  /**
   * Once aborted, no further group is rewritten: the groups already rewritten are committed (a
   * shutdown waits for one group's rewrite and the commit at most), the rest wait for the next run.
   */
  readonly signal?: AbortSignal;
}

export interface CompactReport {
  /** The `replace` snapshot, or null when nothing was committed. */
  readonly snapshotId: bigint | null;
  readonly plannedGroups: number;
  readonly committedGroups: number;
  readonly abandonedGroups: number;
  readonly filesRemoved: number;
  readonly filesAdded: number;
  readonly rowsRewritten: bigint;
  readonly bytesIn: bigint;
  readonly bytesOut: bigint;
  readonly attempts: number;
  readonly durationMs: number;
  /** The plan: one entry per group (hour, files, input bytes, rows). */
  readonly groups: readonly {
    readonly tsHour: number;
    readonly files: number;
    readonly inputBytes: bigint;
    readonly rows: bigint;
  }[];
}

/** The current snapshot's data files that compaction may take: the current spec's, with an hour. */
export async function compactionCandidates(
  target: AppendTarget,
  metadata: TableMetadata,
): Promise<CompactionCandidate[]> {
  const out: CompactionCandidate[] = [];
  for (const { entry: e, specId } of await currentDataFiles(target.io, metadata)) {
    if (specId !== metadata['default-spec-id'] || e.tsHour === null) continue;
    out.push({
      filePath: e.filePath,
      tsHour: e.tsHour,
      recordCount: e.recordCount,
      fileSizeInBytes: e.fileSizeInBytes,
    });
  }
  return out;
}

async function rewriteGroup(
  target: AppendTarget,
  rewriter: FileRewriter,
  location: string,
  group: CompactionGroup,
  workDir: string,
): Promise<ReplaceGroup> {
  const dir = join(workDir, randomUUID());
  await mkdir(dir, { recursive: true });
  try {
    const inputs: string[] = [];
    for (const [i, f] of group.files.entries()) {
      const local = join(dir, `in-${i}.parquet`);
      await writeFile(local, await target.io.read(f.filePath));
      inputs.push(local);
    }
    const output = join(dir, 'out.parquet');
    const written = await rewriter.merge(inputs, output, group.recordCount);
    if (written.tsHour !== group.tsHour)
      throw new Error(`compacted file of hour ${group.tsHour} has hour ${written.tsHour}`);
    const filePath = `${location}/data/ts_hour=${group.tsHour}/compacted-${randomUUID()}.parquet`;
    await target.io.upload(filePath, output);
    return { replaced: group.files.map((f) => f.filePath), added: [{ ...written, filePath }] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The rewrite reads columns by name (DuckDB's `read_parquet` does not resolve Parquet field ids), so
 * a column renamed since some files were written would read as null there. loglake never renames
 * (ids and names are fixed in `schema.ts`); a table where some schema gave an id another name is
 * refused rather than rewritten.
 */
function refuseRenamedColumns(metadata: TableMetadata): void {
  const names = new Map<number, string>();
  for (const s of metadata.schemas) {
    for (const f of s.fields) {
      const seen = names.get(f.id);
      if (seen !== undefined && seen !== f.name) {
        throw new LoglakeError(
          'LOGLAKE_ICEBERG_INVALID_METADATA',
          `column ${f.id} was renamed (${seen} → ${f.name}): compaction reads columns by name and does not rewrite this table`,
        );
      }
      names.set(f.id, f.name);
    }
  }
}

/**
 * Compaction of closed hours: plans groups of small files per hour (`planCompaction`), rewrites
 * each group into one file with DuckDB (rows checked equal, field ids kept, zstd), uploads it, and
 * commits one `replace` snapshot for all groups (`replaceFiles`: fast appends that land meanwhile
 * survive; a group whose file another writer removed is abandoned, its new file left as an orphan).
 * Kafka offsets are untouched: the snapshot carries no `loglake.offsets.*` key, so R(p) is still
 * read from the newest append (or the table property).
 */
export async function compactTable(
  target: AppendTarget,
  options: CompactOptions,
): Promise<CompactReport> {
  const started = performance.now();
  const now = (options.now ?? Date.now)();
  const log = options.log ?? (() => {});
  const metadata = (await target.catalog.loadTable(target.namespace, target.table)).metadata;
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  refuseRenamedColumns(metadata);
  const groups = planCompaction(await compactionCandidates(target, metadata), {
    targetFileSizeBytes: options.targetFileSizeBytes ?? DEFAULT_TARGET_FILE_SIZE_BYTES,
    ...(options.minFileSizeBytes === undefined
      ? {}
      : { minFileSizeBytes: options.minFileSizeBytes }),
    ...(options.minInputFiles === undefined ? {} : { minInputFiles: options.minInputFiles }),
    closedBeforeHour: hourOf(now - (options.graceMs ?? DEFAULT_COMPACTION_GRACE_MS)),
  });
  log('compaction_planned', {
    groups: groups.length,
    files: groups.reduce((n, g) => n + g.files.length, 0),
  });
  const plan = groups.map((g) => ({
    tsHour: g.tsHour,
    files: g.files.length,
    inputBytes: g.inputBytes,
    rows: g.recordCount,
  }));
  const empty = {
    groups: plan,
    snapshotId: null,
    plannedGroups: groups.length,
    committedGroups: 0,
    abandonedGroups: 0,
    filesRemoved: 0,
    filesAdded: 0,
    rowsRewritten: 0n,
    bytesIn: 0n,
    bytesOut: 0n,
    attempts: 0,
  };
  if (groups.length === 0 || !schema || options.dryRun)
    return { ...empty, durationMs: Math.round(performance.now() - started) };
  await mkdir(options.workDir, { recursive: true });
  const rewriter = await createFileRewriter({
    columns: schema.fields,
    threads: options.threads ?? DEFAULT_COMPACTION_THREADS,
    memoryLimitMb: options.memoryLimitMb ?? DEFAULT_COMPACTION_MEMORY_LIMIT_MB,
    tempDirectory: join(options.workDir, 'duckdb-spill'),
  });
  const rewritten: ReplaceGroup[] = [];
  try {
    for (const g of groups) {
      if (options.signal?.aborted) break;
      rewritten.push(await rewriteGroup(target, rewriter, metadata.location, g, options.workDir));
      log('compaction_group_rewritten', { hour: g.tsHour, files: g.files.length });
    }
  } finally {
    rewriter.close();
  }
  if (rewritten.length === 0)
    return { ...empty, durationMs: Math.round(performance.now() - started) };
  const result = await replaceFiles(target, {
    groups: rewritten,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  const inGroups = (list: readonly ReplaceGroup[]) =>
    groups.filter((g) => list.some((r) => r.replaced[0] === g.files[0]?.filePath));
  const committed = inGroups(result.committed);
  const report: CompactReport = {
    groups: plan,
    snapshotId: result.snapshot?.['snapshot-id'] ?? null,
    plannedGroups: groups.length,
    committedGroups: result.committed.length,
    abandonedGroups: result.abandoned.length,
    filesRemoved: committed.reduce((n, g) => n + g.files.length, 0),
    filesAdded: result.committed.reduce((n, g) => n + g.added.length, 0),
    rowsRewritten: committed.reduce((n, g) => n + g.recordCount, 0n),
    bytesIn: committed.reduce((n, g) => n + g.inputBytes, 0n),
    bytesOut: result.committed.reduce(
      (n, g) => n + g.added.reduce((m, f) => m + f.fileSizeInBytes, 0n),
      0n,
    ),
    attempts: result.attempts,
    durationMs: Math.round(performance.now() - started),
  };
  log('compaction_committed', { ...report, groups: report.groups.length });
  return report;
}
