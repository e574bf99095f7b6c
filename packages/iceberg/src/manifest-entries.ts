import { LoglakeError } from '@loglake/core';
import { readAvroFile, writeAvroFile } from './avro.ts';
import { encodeBound } from './bounds.ts';
import type { FileIO } from './file-io.ts';
import { stringifyJson } from './json.ts';
import { readManifestList, type ManifestFile } from './manifest-list.ts';
import { ENTRY_ADDED, manifestEntrySchema } from './manifest.ts';
import {
  currentSnapshot,
  type PartitionSpec,
  type Schema,
  type Snapshot,
  type TableMetadata,
} from './types.ts';

/** `status` of a manifest entry (spec §Manifests): 0 existing, 1 added, 2 deleted. */
export const ENTRY_EXISTING = 0;
export const ENTRY_DELETED = 2;

/** `content` of a manifest list entry: 0 data manifest, 1 delete manifest. */
export const MANIFEST_CONTENT_DATA = 0;

/**
 * One entry of a manifest as a reader sees it: snapshot id and sequence numbers resolved (inherited
 * from the manifest list where the entry left them null), the `data_file` record kept as read so that
 * a rewrite can carry it over untouched.
 */
export interface ManifestEntry {
  readonly status: number;
  readonly snapshotId: bigint;
  /** The data sequence number. */
  readonly sequenceNumber: bigint;
  readonly fileSequenceNumber: bigint;
  readonly filePath: string;
  readonly recordCount: bigint;
  readonly fileSizeInBytes: bigint;
  /** The `hour(ts)` partition value, or null when the spec has no such field (another spec). */
  readonly tsHour: number | null;
  /** 0 data, 1 position deletes, 2 equality deletes. */
  readonly content: number;
  readonly dataFile: Readonly<Record<string, unknown>>;
}

export const isLive = (e: ManifestEntry): boolean => e.status !== ENTRY_DELETED;

const asBigint = (v: unknown): bigint | null =>
  v === null || v === undefined ? null : BigInt(v as bigint);

/**
 * Reads a manifest's entries, applying the spec's inheritance: a null snapshot id comes from the
 * manifest list entry's `added_snapshot_id`; null sequence numbers of an ADDED entry come from its
 * `sequence_number`. Any other null sequence number is invalid v2 metadata.
 */
export async function readManifestEntries(
  bytes: Buffer,
  manifest: ManifestFile,
): Promise<ManifestEntry[]> {
  const { records, metadata } = await readAvroFile(bytes);
  const specFields = JSON.parse(metadata['partition-spec'] ?? '[]') as { name: string }[];
  const hourField = specFields.find((f) => f.name === 'ts_hour')?.name;
  return records.map((r) => {
    const status = r.status as number;
    const file = r.data_file as Record<string, unknown>;
    const inherit = (v: unknown, what: string): bigint => {
      const got = asBigint(v);
      if (got !== null) return got;
      if (status !== ENTRY_ADDED) {
        throw new LoglakeError(
          'LOGLAKE_ICEBERG_INVALID_METADATA',
          `${manifest.manifest_path}: an entry with status ${status} has no ${what}`,
        );
      }
      return manifest.sequence_number;
    };
    const partition = (file.partition ?? {}) as Record<string, unknown>;
    const hour = hourField === undefined ? null : partition[hourField];
    return {
      status,
      snapshotId: asBigint(r.snapshot_id) ?? manifest.added_snapshot_id,
      sequenceNumber: inherit(r.sequence_number, 'sequence number'),
      fileSequenceNumber: inherit(r.file_sequence_number, 'file sequence number'),
      filePath: file.file_path as string,
      recordCount: BigInt(file.record_count as bigint),
      fileSizeInBytes: BigInt(file.file_size_in_bytes as bigint),
      tsHour: typeof hour === 'number' ? hour : null,
      content: (file.content as number | undefined) ?? 0,
      dataFile: file,
    };
  });
}

/** A snapshot's manifests with their entries (every status), in manifest list order. */
export interface SnapshotManifests {
  readonly manifests: readonly ManifestFile[];
  readonly entries: ReadonlyMap<string, readonly ManifestEntry[]>;
}

/**
 * Reads a snapshot's manifest list and every manifest in it. `cache` (by manifest path) lets a
 * caller that walks many snapshots read each shared manifest once.
 */
export async function readSnapshotManifests(
  io: FileIO,
  snapshot: Snapshot,
  cache: Map<string, Promise<ManifestEntry[]>> = new Map(),
): Promise<SnapshotManifests> {
  const manifests = await readManifestList(await io.read(snapshot['manifest-list']));
  const entries = new Map<string, readonly ManifestEntry[]>();
  for (const m of manifests) {
    let read = cache.get(m.manifest_path);
    if (!read) {
      read = io.read(m.manifest_path).then((bytes) => readManifestEntries(bytes, m));
      cache.set(m.manifest_path, read);
    }
    entries.set(m.manifest_path, await read);
  }
  return { manifests, entries };
}

export interface TableDataFile {
  readonly entry: ManifestEntry;
  /** The partition spec of the manifest that lists it. */
  readonly specId: number;
}

/**
 * The data files every reader of `metadata`'s current snapshot sees: live entries of its data
 * manifests (any partition spec), each with the snapshot that added it. The one listing of a
 * table's files for compaction, `verify`, `lake:check` and the benches.
 */
export async function currentDataFiles(
  io: FileIO,
  metadata: TableMetadata,
): Promise<TableDataFile[]> {
  const snapshot = currentSnapshot(metadata);
  if (!snapshot) return [];
  const { manifests, entries } = await readSnapshotManifests(io, snapshot);
  const files: TableDataFile[] = [];
  for (const m of manifests) {
    if (m.content !== MANIFEST_CONTENT_DATA) continue;
    for (const entry of entries.get(m.manifest_path) ?? [])
      if (isLive(entry) && entry.content === 0) files.push({ entry, specId: m.partition_spec_id });
  }
  return files;
}

/** The data sequence number to write for an entry carried into a rewritten manifest. */
export interface RewrittenEntry {
  readonly entry: ManifestEntry;
  /** EXISTING (kept) or DELETED (removed by the new snapshot). */
  readonly status: typeof ENTRY_EXISTING | typeof ENTRY_DELETED;
}

/** The `data_file` record in our manifest schema: fields we do not write default to null. */
function carriedDataFile(spec: PartitionSpec, file: Readonly<Record<string, unknown>>) {
  const partition = (file.partition ?? {}) as Record<string, unknown>;
  const orNull = (name: string) => file[name] ?? null;
  return {
    content: file.content ?? 0,
    file_path: file.file_path,
    file_format: file.file_format,
    partition: Object.fromEntries(spec.fields.map((f) => [f.name, partition[f.name] ?? null])),
    record_count: file.record_count,
    file_size_in_bytes: file.file_size_in_bytes,
    column_sizes: orNull('column_sizes'),
    value_counts: orNull('value_counts'),
    null_value_counts: orNull('null_value_counts'),
    nan_value_counts: orNull('nan_value_counts'),
    lower_bounds: orNull('lower_bounds'),
    upper_bounds: orNull('upper_bounds'),
    key_metadata: orNull('key_metadata'),
    split_offsets: orNull('split_offsets'),
    equality_ids: orNull('equality_ids'),
    sort_order_id: orNull('sort_order_id'),
  };
}

/** The metadata keys readers require of a data manifest. */
export function dataManifestMetadata(schema: Schema, spec: PartitionSpec): Record<string, string> {
  return {
    schema: stringifyJson(schema),
    'schema-id': String(schema['schema-id']),
    'partition-spec': stringifyJson(spec.fields),
    'partition-spec-id': String(spec['spec-id']),
    'format-version': '2',
    content: 'data',
  };
}

/**
 * A data manifest that carries entries of an older manifest into a new snapshot: kept files as
 * EXISTING with their own snapshot id and sequence numbers (written out, never inherited), removed
 * files as DELETED with the new snapshot's id and their original sequence numbers (spec §Manifests:
 * a deleted entry keeps the data and file sequence numbers of the file it removes).
 */
export function writeRewrittenManifest(
  schema: Schema,
  spec: PartitionSpec,
  snapshotId: bigint,
  entries: readonly RewrittenEntry[],
): Buffer {
  return writeAvroFile(
    manifestEntrySchema(spec),
    dataManifestMetadata(schema, spec),
    entries.map(({ entry, status }) => ({
      status,
      snapshot_id: status === ENTRY_DELETED ? snapshotId : entry.snapshotId,
      sequence_number: entry.sequenceNumber,
      file_sequence_number: entry.fileSequenceNumber,
      data_file: carriedDataFile(spec, entry.dataFile),
    })),
  );
}

/**
 * The manifest list entry of a rewritten manifest: added by the new snapshot (its sequence number),
 * counts split into existing and deleted, the smallest data sequence number of its entries, and
 * the `ts_hour` range of its entries.
 */
export function rewrittenManifestFile(options: {
  readonly path: string;
  readonly length: number;
  readonly specId: number;
  readonly sequenceNumber: bigint;
  readonly snapshotId: bigint;
  readonly entries: readonly RewrittenEntry[];
}): ManifestFile {
  const { entries } = options;
  const sum = (status: number) =>
    entries.filter((e) => e.status === status).reduce((n, e) => n + e.entry.recordCount, 0n);
  const count = (status: number) => entries.filter((e) => e.status === status).length;
  const hours = entries.flatMap((e) => (e.entry.tsHour === null ? [] : [e.entry.tsHour]));
  const seqs = entries.map((e) => e.entry.sequenceNumber);
  return {
    manifest_path: options.path,
    manifest_length: BigInt(options.length),
    partition_spec_id: options.specId,
    content: MANIFEST_CONTENT_DATA,
    sequence_number: options.sequenceNumber,
    min_sequence_number: seqs.reduce((a, b) => (b < a ? b : a), options.sequenceNumber),
    added_snapshot_id: options.snapshotId,
    added_files_count: 0,
    existing_files_count: count(ENTRY_EXISTING),
    deleted_files_count: count(ENTRY_DELETED),
    added_rows_count: 0n,
    existing_rows_count: sum(ENTRY_EXISTING),
    deleted_rows_count: sum(ENTRY_DELETED),
    partitions:
      hours.length === 0
        ? null
        : [
            {
              contains_null: hours.length < entries.length,
              contains_nan: false,
              lower_bound:
                encodeBound(
                  'int',
                  hours.reduce((a, b) => Math.min(a, b)),
                ) ?? null,
              upper_bound:
                encodeBound(
                  'int',
                  hours.reduce((a, b) => Math.max(a, b)),
                ) ?? null,
            },
          ],
    key_metadata: null,
  };
}
