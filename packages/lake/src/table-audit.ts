import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  currentDataFiles,
  currentSnapshot,
  mainAncestry,
  recordedOffsets,
  type FileIO,
  type TableMetadata,
} from '@loglake/iceberg';
import type { AuditFinding } from './audit-report.ts';
import type { LocalCopies, LocalCopy } from './local-copies.ts';

/** A data file the table's current snapshot references. */
export interface LiveDataFile {
  readonly path: string;
  readonly records: bigint;
  /** When the snapshot that added it was committed (its rows became visible), epoch ms. */
  readonly visibleAt: number;
  /** Its `hour(ts)` partition value, or null under another partition spec. */
  readonly tsHour: number | null;
}

/** The data files of `metadata`'s current snapshot, each with when its rows became visible. */
export async function liveDataFiles(io: FileIO, metadata: TableMetadata): Promise<LiveDataFile[]> {
  const committedAt = new Map(
    (metadata.snapshots ?? []).map((s) => [s['snapshot-id'], s['timestamp-ms']]),
  );
  const fallback = currentSnapshot(metadata)?.['timestamp-ms'] ?? 0;
  return (await currentDataFiles(io, metadata)).map(({ entry }) => ({
    path: entry.filePath,
    records: entry.recordCount,
    visibleAt: committedAt.get(entry.snapshotId) ?? fallback,
    tsHour: entry.tsHour,
  }));
}

export interface TableAudit {
  readonly snapshotId: string | null;
  /** Rows of the current snapshot, summed over its data files' record counts. */
  readonly rows: number;
  readonly files: number;
  /** R(p): the next offset the table records per partition of the topic. */
  readonly recorded: ReadonlyMap<number, bigint>;
  /**
   * Data files under `<location>/data/` that the current snapshot does not reference: ranges whose
   * commit was refused or never made, and files compaction replaced (older snapshots still read
   * them until they expire). Not findings; `lake:orphans` deletes only what no snapshot references.
   */
  readonly orphans: readonly string[];
  /** Files a manifest references that are not in the store. */
  readonly missing: readonly string[];
  /** `loglake.losses.<topic>` entries along `main`: offsets recorded as deleted before they were read. */
  readonly losses: readonly string[];
}

/**
 * Counts through the table's current snapshot (what every reader sees) and compares it with what is
 * stored under the table's `data/` folder: a file outside the current snapshot is listed apart (a
 * range whose commit was refused or never made, or a file compaction replaced), a referenced file
 * that is absent is a finding. `listed` is every object URI under `<location>/data/`.
 */
export async function auditTable(
  io: FileIO,
  metadata: TableMetadata,
  topic: string,
  listed: readonly string[],
): Promise<TableAudit> {
  const live = await liveDataFiles(io, metadata);
  const livePaths = new Set(live.map((f) => f.path));
  const stored = new Set(listed);
  const lossKey = `loglake.losses.${topic}`;
  return {
    snapshotId: currentSnapshot(metadata)?.['snapshot-id'].toString() ?? null,
    rows: Number(live.reduce((n, f) => n + f.records, 0n)),
    files: live.length,
    recorded: recordedOffsets(metadata, topic),
    orphans: listed.filter((p) => !livePaths.has(p)).sort(),
    missing: [...livePaths].filter((p) => !stored.has(p)).sort(),
    losses: mainAncestry(metadata).flatMap((s) =>
      s.summary[lossKey] !== undefined ? [s.summary[lossKey]] : [],
    ),
  };
}

/**
 * What is wrong with the table as a record of the topic: a referenced file absent from the store,
 * a group that committed beyond what the table records (rule 4 makes the group offset a hint that
 * trails the table, never leads it), and losses the table records. Orphans are not findings.
 */
export function tableFindings(
  audit: TableAudit,
  committed: ReadonlyMap<number, bigint> | null,
): AuditFinding[] {
  const findings: AuditFinding[] = audit.missing.map((key) => ({
    kind: 'missing_object',
    partition: null,
    key,
    detail: 'the current snapshot references a data file that is not in the store',
  }));
  for (const [partition, offset] of committed ?? []) {
    const recorded = audit.recorded.get(partition);
    if (recorded === undefined || offset > recorded)
      findings.push({
        kind: 'committed_beyond_chain',
        partition,
        detail: `the group committed ${offset}, the table records ${recorded ?? 'nothing'}`,
      });
  }
  for (const loss of audit.losses)
    findings.push({
      kind: 'recorded_loss',
      partition: null,
      detail: `the table records offsets deleted from Kafka before they were read: ${loss}`,
    });
  return findings;
}

/** Runs `fn` over local copies of the table's live data files (DuckDB reads them there), deleting them after. */
export async function withTableCopies<T>(
  io: FileIO,
  files: readonly LiveDataFile[],
  fn: (copies: LocalCopies) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'loglake-table-'));
  try {
    const copies = new Map<string, LocalCopy>();
    for (const [i, f] of files.entries()) {
      const path = join(dir, `${i}.parquet`);
      await writeFile(path, await io.read(f.path));
      copies.set(path, { path, visibleAt: f.visibleAt });
    }
    return await fn({ dir, files: copies });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
