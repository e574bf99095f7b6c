import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoglakeError, hasCode } from '@loglake/core';
import type { RestCatalog } from './catalog.ts';
import type { DataFile } from './data-file.ts';
import type { FileIO } from './file-io.ts';
import { addedManifestFile, readManifestList, writeManifestList } from './manifest-list.ts';
import { writeDataManifest } from './manifest.ts';
import {
  LOSSES_KEY_PREFIX,
  advanceOffsets,
  encodeLosses,
  encodeOffsets,
  offsetsKey,
  recordedOffsets,
  type OffsetRange,
} from './offsets.ts';
import { appendSummary } from './snapshot-summary.ts';
import {
  currentSnapshot,
  mainAncestry,
  type PartitionSpec,
  type Snapshot,
  type TableMetadata,
} from './types.ts';

export interface AppendTarget {
  readonly catalog: RestCatalog;
  readonly io: FileIO;
  readonly namespace: readonly string[];
  readonly table: string;
}

export interface AppendRequest {
  /**
   * Data files already uploaded under the table's location. May be empty when `kafka` is set: a
   * range without rows (all dead letters or dropped duplicates) still moves the recorded offsets.
   */
  readonly files: readonly DataFile[];
  /** The Kafka ranges these files hold, checked and recorded in the snapshot summary. */
  readonly kafka?: { readonly topic: string; readonly ranges: readonly OffsetRange[] };
  /** Attempts in all (conflicts and unknown states each use one); default 5. */
  readonly maxAttempts?: number;
  readonly now?: () => number;
  /** Waits before attempt `n` after a conflict; default full jitter up to 100 ms × 2^n, at most 5 s. */
  readonly backoff?: (attempt: number) => Promise<void>;
}

/** Full-jitter exponential backoff (another writer just committed: give it room). */
export function jitterBackoff(attempt: number): Promise<void> {
  return sleep(Math.random() * Math.min(5000, 100 * 2 ** attempt));
}

export interface AppendResult {
  readonly snapshot: Snapshot;
  readonly metadata: TableMetadata;
  /** Commit requests sent (1 when nothing raced). */
  readonly attempts: number;
}

export const COMMIT_ID_KEY = 'loglake.commit-id';

/** A random positive 63-bit id, as Java makes them (never 0, never -1). */
export function newSnapshotId(): bigint {
  const id = randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn;
  return id === 0n ? 1n : id;
}

/** What stays the same across attempts: ids, the files and their manifest (written once). */
interface PreparedAppend {
  readonly snapshotId: bigint;
  readonly commitId: string;
  readonly schemaId: number;
  readonly spec: PartitionSpec;
  /** The manifest of the new files; null for an append that only moves offsets. */
  readonly manifest: { readonly path: string; readonly length: number } | null;
}

async function prepare(
  target: AppendTarget,
  metadata: TableMetadata,
  files: readonly DataFile[],
): Promise<PreparedAppend> {
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  const spec = metadata['partition-specs'].find(
    (s) => s['spec-id'] === metadata['default-spec-id'],
  );
  if (!schema || !spec) {
    throw new LoglakeError('LOGLAKE_ICEBERG_INVALID_METADATA', 'no current schema or spec');
  }
  const commitId = randomUUID();
  let manifest: PreparedAppend['manifest'] = null;
  if (files.length > 0) {
    const bytes = writeDataManifest(schema, spec, files);
    const path = `${metadata.location}/metadata/${commitId}-m0.avro`;
    await target.io.write(path, bytes);
    manifest = { path, length: bytes.length };
  }
  return { snapshotId: newSnapshotId(), commitId, schemaId: schema['schema-id'], spec, manifest };
}

/**
 * The snapshot to add on top of `metadata`'s current one: offsets checked against that parent, a
 * manifest list of the new manifest followed by every manifest of the parent as it was.
 */
async function buildSnapshot(
  target: AppendTarget,
  request: AppendRequest,
  p: PreparedAppend,
  metadata: TableMetadata,
  attempt: number,
): Promise<{ snapshot: Snapshot; properties: Record<string, string> }> {
  const parent = currentSnapshot(metadata);
  const extra: Record<string, string> = { [COMMIT_ID_KEY]: p.commitId };
  const properties: Record<string, string> = {};
  if (request.kafka) {
    const { topic, ranges } = request.kafka;
    const { offsets, losses } = advanceOffsets(recordedOffsets(metadata, topic), ranges, topic);
    extra[offsetsKey(topic)] = encodeOffsets(offsets);
    properties[offsetsKey(topic)] = encodeOffsets(offsets);
    if (losses.length > 0) extra[`${LOSSES_KEY_PREFIX}${topic}`] = encodeLosses(losses);
  }
  const sequenceNumber = metadata['last-sequence-number'] + 1n;
  const added = p.manifest
    ? [
        addedManifestFile({
          path: p.manifest.path,
          length: p.manifest.length,
          specId: p.spec['spec-id'],
          sequenceNumber,
          snapshotId: p.snapshotId,
          files: request.files,
        }),
      ]
    : [];
  const inherited = parent
    ? await readManifestList(await target.io.read(parent['manifest-list']))
    : [];
  const listPath = `${metadata.location}/metadata/snap-${p.snapshotId}-${attempt}-${p.commitId}.avro`;
  const list = writeManifestList({
    snapshotId: p.snapshotId,
    parentSnapshotId: parent?.['snapshot-id'] ?? null,
    sequenceNumber,
    manifests: [...added, ...inherited],
  });
  await target.io.write(listPath, list);
  const snapshot: Snapshot = {
    'snapshot-id': p.snapshotId,
    ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
    'sequence-number': sequenceNumber,
    'timestamp-ms': (request.now ?? Date.now)(),
    'manifest-list': listPath,
    summary: appendSummary(request.files, parent, extra),
    'schema-id': p.schemaId,
  };
  return { snapshot, properties };
}

/**
 * Adds `snapshot`, moves `main` to it and sets `properties`, in one commit, if `main` is still where
 * `metadata` saw it.
 */
async function commitSnapshot(
  target: AppendTarget,
  metadata: TableMetadata,
  { snapshot, properties }: { snapshot: Snapshot; properties: Record<string, string> },
): Promise<TableMetadata> {
  const committed = await target.catalog.commitTable(target.namespace, target.table, {
    requirements: [
      { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
      {
        type: 'assert-ref-snapshot-id',
        ref: 'main',
        'snapshot-id': snapshot['parent-snapshot-id'] ?? null,
      },
    ],
    updates: [
      { action: 'add-snapshot', snapshot },
      {
        action: 'set-snapshot-ref',
        'ref-name': 'main',
        type: 'branch',
        'snapshot-id': snapshot['snapshot-id'],
      },
      ...(Object.keys(properties).length > 0
        ? [{ action: 'set-properties' as const, updates: properties }]
        : []),
    ],
  });
  return committed.metadata;
}

const landed = (metadata: TableMetadata, id: bigint) =>
  mainAncestry(metadata).find((s) => s['snapshot-id'] === id);

/**
 * A fast append: one new manifest for `files` (written once), then per attempt a manifest list of
 * that manifest plus every manifest of the current snapshot, committed with
 * `assert-ref-snapshot-id` on `main`. A conflict (409) reloads and rebuilds on the new parent,
 * re-checking the Kafka offsets there. An unknown commit state (5xx, no answer) is resolved by
 * looking for this snapshot id on `main`'s ancestry before trying again: a snapshot is never
 * committed twice. Files are never deleted here: after a failure the caller decides.
 */
export async function fastAppend(
  target: AppendTarget,
  request: AppendRequest,
): Promise<AppendResult> {
  if (request.files.length === 0 && !request.kafka) {
    throw new Error('an append needs data files, or Kafka ranges to record');
  }
  const backoff = request.backoff ?? jitterBackoff;
  const maxAttempts = request.maxAttempts ?? 5;
  const load = async () =>
    (await target.catalog.loadTable(target.namespace, target.table)).metadata;
  let metadata = await load();
  const prepared = await prepare(target, metadata, request.files);
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const built = await buildSnapshot(target, request, prepared, metadata, attempt);
    try {
      return {
        snapshot: built.snapshot,
        metadata: await commitSnapshot(target, metadata, built),
        attempts: attempt,
      };
    } catch (error) {
      const conflict = hasCode(error, 'LOGLAKE_ICEBERG_COMMIT_CONFLICT');
      if (!conflict && !hasCode(error, 'LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN')) throw error;
      lastError = error;
      if (conflict && attempt < maxAttempts) await backoff(attempt);
    }
    metadata = await load();
    const found = landed(metadata, prepared.snapshotId);
    if (found) return { snapshot: found, metadata, attempts: attempt };
  }
  throw lastError;
}
