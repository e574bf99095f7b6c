import { randomBytes, randomUUID } from 'node:crypto';
import { LoglakeError, hasCode } from '@loglake/core';
import type { RestCatalog } from './catalog.ts';
import type { DataFile } from './data-file.ts';
import type { FileIO } from './file-io.ts';
import {
  addedManifestFile,
  readManifestList,
  writeManifestList,
  type ManifestFile,
} from './manifest-list.ts';
import { writeDataManifest } from './manifest.ts';
import {
  advanceOffsets,
  encodeOffsets,
  offsetsKey,
  recordedOffsets,
  type OffsetRange,
} from './offsets.ts';
import { appendSummary } from './snapshot-summary.ts';
import { currentSnapshot, type LoadedTable, type Snapshot, type TableMetadata } from './types.ts';

export interface AppendTarget {
  readonly catalog: RestCatalog;
  readonly io: FileIO;
  readonly namespace: readonly string[];
  readonly table: string;
}

export interface AppendRequest {
  /** Data files already uploaded under the table's location. */
  readonly files: readonly DataFile[];
  /** The Kafka ranges these files hold, checked and recorded in the snapshot summary. */
  readonly kafka?: { readonly topic: string; readonly ranges: readonly OffsetRange[] };
  /** Attempts in all (conflicts and unknown states each use one); default 5. */
  readonly maxAttempts?: number;
  readonly now?: () => number;
}

export interface AppendResult {
  readonly snapshot: Snapshot;
  readonly metadata: TableMetadata;
  /** Commit attempts made (1 when nothing raced). */
  readonly attempts: number;
}

export const COMMIT_ID_KEY = 'loglake.commit-id';

/** A random positive 63-bit id, as Java makes them (never 0, never -1). */
export function newSnapshotId(): bigint {
  const id = randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn;
  return id === 0n ? 1n : id;
}

function ancestry(metadata: TableMetadata): Snapshot[] {
  const byId = new Map((metadata.snapshots ?? []).map((s) => [s['snapshot-id'], s]));
  const out: Snapshot[] = [];
  for (let s = currentSnapshot(metadata); s;) {
    out.push(s);
    const parent = s['parent-snapshot-id'];
    s = parent === undefined ? null : (byId.get(parent) ?? null);
  }
  return out;
}

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
  if (request.files.length === 0) throw new Error('an append needs at least one data file');
  const now = request.now ?? Date.now;
  const maxAttempts = request.maxAttempts ?? 5;
  const snapshotId = newSnapshotId();
  const commitId = randomUUID();
  let table: LoadedTable = await target.catalog.loadTable(target.namespace, target.table);
  const { metadata: first } = table;
  const schema = first.schemas.find((s) => s['schema-id'] === first['current-schema-id']);
  const spec = first['partition-specs'].find((s) => s['spec-id'] === first['default-spec-id']);
  if (!schema || !spec)
    throw new LoglakeError('LOGLAKE_ICEBERG_INVALID_METADATA', 'no current schema or spec');
  const manifestBytes = writeDataManifest(schema, spec, request.files);
  const manifestPath = `${first.location}/metadata/${commitId}-m0.avro`;
  await target.io.write(manifestPath, manifestBytes);

  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) table = await target.catalog.loadTable(target.namespace, target.table);
    const { metadata } = table;
    const landed = ancestry(metadata).find((s) => s['snapshot-id'] === snapshotId);
    if (landed) return { snapshot: landed, metadata, attempts: attempt - 1 };
    const parent = currentSnapshot(metadata);
    const extra: Record<string, string> = { [COMMIT_ID_KEY]: commitId };
    if (request.kafka) {
      const { topic, ranges } = request.kafka;
      extra[offsetsKey(topic)] = encodeOffsets(
        advanceOffsets(recordedOffsets(metadata, topic), ranges, topic),
      );
    }
    const sequenceNumber = metadata['last-sequence-number'] + 1n;
    const parentManifests: ManifestFile[] = parent
      ? await readManifestList(await target.io.read(parent['manifest-list']))
      : [];
    const listPath = `${metadata.location}/metadata/snap-${snapshotId}-${attempt}-${commitId}.avro`;
    const manifest = addedManifestFile({
      path: manifestPath,
      length: manifestBytes.length,
      specId: spec['spec-id'],
      sequenceNumber,
      snapshotId,
      files: request.files,
    });
    await target.io.write(
      listPath,
      writeManifestList({
        snapshotId,
        parentSnapshotId: parent?.['snapshot-id'] ?? null,
        sequenceNumber,
        manifests: [manifest, ...parentManifests],
      }),
    );
    const snapshot: Snapshot = {
      'snapshot-id': snapshotId,
      ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
      'sequence-number': sequenceNumber,
      'timestamp-ms': now(),
      'manifest-list': listPath,
      summary: appendSummary(request.files, parent, extra),
      'schema-id': schema['schema-id'],
    };
    try {
      const committed = await target.catalog.commitTable(target.namespace, target.table, {
        requirements: [
          { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
          {
            type: 'assert-ref-snapshot-id',
            ref: 'main',
            'snapshot-id': parent?.['snapshot-id'] ?? null,
          },
        ],
        updates: [
          { action: 'add-snapshot', snapshot },
          {
            action: 'set-snapshot-ref',
            'ref-name': 'main',
            type: 'branch',
            'snapshot-id': snapshotId,
          },
        ],
      });
      return { snapshot, metadata: committed.metadata, attempts: attempt };
    } catch (error) {
      if (
        !hasCode(error, 'LOGLAKE_ICEBERG_COMMIT_CONFLICT') &&
        !hasCode(error, 'LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN')
      ) {
        throw error;
      }
      lastError = error;
    }
  }
  // The last attempt may have landed after all: look once more before giving up.
  const { metadata } = await target.catalog.loadTable(target.namespace, target.table);
  const landed = ancestry(metadata).find((s) => s['snapshot-id'] === snapshotId);
  if (landed) return { snapshot: landed, metadata, attempts: maxAttempts };
  throw lastError;
}
