import { readAvroFile, writeAvroFile, type AvroSchema } from './avro.ts';
import { encodeBound } from './bounds.ts';
import type { DataFile } from './data-file.ts';

/** One entry of a manifest list (spec §Manifest Lists, v2), with 64-bit values as bigint. */
export interface ManifestFile {
  readonly manifest_path: string;
  readonly manifest_length: bigint;
  readonly partition_spec_id: number;
  readonly content: number;
  readonly sequence_number: bigint;
  readonly min_sequence_number: bigint;
  readonly added_snapshot_id: bigint;
  readonly added_files_count: number;
  readonly existing_files_count: number;
  readonly deleted_files_count: number;
  readonly added_rows_count: bigint;
  readonly existing_rows_count: bigint;
  readonly deleted_rows_count: bigint;
  readonly partitions: readonly FieldSummary[] | null;
  readonly key_metadata: Buffer | null;
}

export interface FieldSummary {
  readonly contains_null: boolean;
  readonly contains_nan: boolean | null;
  readonly lower_bound: Buffer | null;
  readonly upper_bound: Buffer | null;
}

const optional = (name: string, fieldId: number, type: unknown) => ({
  name,
  type: ['null', type],
  default: null,
  'field-id': fieldId,
});

export const MANIFEST_FILE_SCHEMA: AvroSchema = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    optional('partitions', 507, {
      type: 'array',
      'element-id': 508,
      items: {
        type: 'record',
        name: 'r508',
        fields: [
          { name: 'contains_null', type: 'boolean', 'field-id': 509 },
          optional('contains_nan', 518, 'boolean'),
          optional('lower_bound', 510, 'bytes'),
          optional('upper_bound', 511, 'bytes'),
        ],
      },
    }),
    optional('key_metadata', 519, 'bytes'),
  ],
};

/** The manifest list entry of a data manifest this snapshot adds (counts and hour range summed). */
export function addedManifestFile(options: {
  readonly path: string;
  readonly length: number;
  readonly specId: number;
  readonly sequenceNumber: bigint;
  readonly snapshotId: bigint;
  readonly files: readonly DataFile[];
}): ManifestFile {
  const hours = options.files.map((f) => f.tsHour);
  return {
    manifest_path: options.path,
    manifest_length: BigInt(options.length),
    partition_spec_id: options.specId,
    content: 0,
    sequence_number: options.sequenceNumber,
    min_sequence_number: options.sequenceNumber,
    added_snapshot_id: options.snapshotId,
    added_files_count: options.files.length,
    existing_files_count: 0,
    deleted_files_count: 0,
    added_rows_count: options.files.reduce((n, f) => n + f.recordCount, 0n),
    existing_rows_count: 0n,
    deleted_rows_count: 0n,
    partitions: [
      {
        contains_null: false,
        contains_nan: false,
        lower_bound: encodeBound('int', Math.min(...hours)) ?? null,
        upper_bound: encodeBound('int', Math.max(...hours)) ?? null,
      },
    ],
    key_metadata: null,
  };
}

/** Reads a manifest list (ours or another engine's: fields it lacks default to null). */
export async function readManifestList(bytes: Buffer): Promise<ManifestFile[]> {
  const { records } = await readAvroFile(bytes);
  return records.map((r) => normalise(r));
}

function normalise(r: Record<string, unknown>): ManifestFile {
  const count = (name: string, legacy: string) => Number(r[name] ?? r[legacy] ?? 0);
  const rows = (name: string, legacy: string) => BigInt((r[name] ?? r[legacy] ?? 0n) as bigint);
  return {
    manifest_path: r.manifest_path as string,
    manifest_length: BigInt(r.manifest_length as bigint),
    partition_spec_id: r.partition_spec_id as number,
    content: (r.content as number | undefined) ?? 0,
    sequence_number: BigInt((r.sequence_number as bigint | undefined) ?? 0n),
    min_sequence_number: BigInt((r.min_sequence_number as bigint | undefined) ?? 0n),
    added_snapshot_id: BigInt(r.added_snapshot_id as bigint),
    added_files_count: count('added_files_count', 'added_data_files_count'),
    existing_files_count: count('existing_files_count', 'existing_data_files_count'),
    deleted_files_count: count('deleted_files_count', 'deleted_data_files_count'),
    added_rows_count: rows('added_rows_count', 'added_rows_count'),
    existing_rows_count: rows('existing_rows_count', 'existing_rows_count'),
    deleted_rows_count: rows('deleted_rows_count', 'deleted_rows_count'),
    partitions:
      (r.partitions as Partial<FieldSummary>[] | null | undefined)?.map((p) => ({
        contains_null: p.contains_null ?? true,
        contains_nan: p.contains_nan ?? null,
        lower_bound: p.lower_bound ?? null,
        upper_bound: p.upper_bound ?? null,
      })) ?? null,
    key_metadata: (r.key_metadata as Buffer | null | undefined) ?? null,
  };
}

/** A manifest list: the new manifests first, then every manifest of the parent snapshot as it was. */
export function writeManifestList(options: {
  readonly snapshotId: bigint;
  readonly parentSnapshotId: bigint | null;
  readonly sequenceNumber: bigint;
  readonly manifests: readonly ManifestFile[];
}): Buffer {
  return writeAvroFile(
    MANIFEST_FILE_SCHEMA,
    {
      'snapshot-id': options.snapshotId.toString(),
      'parent-snapshot-id':
        options.parentSnapshotId === null ? 'null' : options.parentSnapshotId.toString(),
      'sequence-number': options.sequenceNumber.toString(),
      'format-version': '2',
    },
    options.manifests.map((m) => ({ ...m })),
  );
}
