import {
  currentSnapshot,
  mainAncestry,
  readAvroFile,
  readManifestList,
  recordedOffsets,
  type FileIO,
  type TableMetadata,
} from '@loglake/iceberg';

/** A data file the table's current snapshot references. */
export interface LiveDataFile {
  readonly path: string;
  readonly records: bigint;
}

const DELETED = 2;

/** The data files of `metadata`'s current snapshot, read from its manifest list and manifests. */
export async function liveDataFiles(io: FileIO, metadata: TableMetadata): Promise<LiveDataFile[]> {
  const snapshot = currentSnapshot(metadata);
  if (!snapshot) return [];
  const manifests = await readManifestList(await io.read(snapshot['manifest-list']));
  const out: LiveDataFile[] = [];
  for (const m of manifests) {
    if (m.content !== 0) continue;
    const { records } = await readAvroFile(await io.read(m.manifest_path));
    for (const entry of records) {
      if (entry.status === DELETED) continue;
      const file = entry.data_file as { file_path: string; record_count: bigint };
      out.push({ path: file.file_path, records: BigInt(file.record_count) });
    }
  }
  return out;
}

export interface TableAudit {
  readonly snapshotId: string | null;
  /** Rows of the current snapshot, summed over its data files' record counts. */
  readonly rows: number;
  readonly files: number;
  /** R(p): the next offset the table records per partition of the topic. */
  readonly recorded: ReadonlyMap<number, bigint>;
  /** Data files under `<location>/data/` that no manifest of the current snapshot references. */
  readonly orphans: readonly string[];
  /** Files a manifest references that are not in the store. */
  readonly missing: readonly string[];
  /** `loglake.losses.<topic>` entries along `main`: offsets recorded as deleted before they were read. */
  readonly losses: readonly string[];
}

/**
 * Counts through the table's current snapshot (what every reader sees) and compares it with what is
 * stored under the table's `data/` folder: a file outside the manifests is an orphan (a range whose
 * commit was refused or never made: harmless, for the cleanup job), a referenced file that is
 * absent is a finding. `listed` is every object URI under `<location>/data/`.
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
