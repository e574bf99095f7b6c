import { randomUUID } from 'node:crypto';
import { LoglakeError, hasCode } from '@loglake/core';
import type { DataFile } from './data-file.ts';
import { COMMIT_ID_KEY, jitterBackoff, newSnapshotId, type AppendTarget } from './fast-append.ts';
import { addedManifestFile, writeManifestList, type ManifestFile } from './manifest-list.ts';
import {
  ENTRY_DELETED,
  ENTRY_EXISTING,
  MANIFEST_CONTENT_DATA,
  isLive,
  readSnapshotManifests,
  rewrittenManifestFile,
  writeRewrittenManifest,
  type ManifestEntry,
  type RewrittenEntry,
} from './manifest-entries.ts';
import { writeDataManifest } from './manifest.ts';
import { OFFSETS_KEY_PREFIX, encodeOffsets, recordedOffsets } from './offsets.ts';
import {
  currentSnapshot,
  mainAncestry,
  type PartitionSpec,
  type Schema,
  type Snapshot,
  type TableMetadata,
  type TableUpdate,
} from './types.ts';

/** Files that replace others holding exactly the same rows (a compaction of one hour). */
export interface ReplaceGroup {
  /** Paths of live data files, all removed or none. */
  readonly replaced: readonly string[];
  /** Already uploaded under the table's location. */
  readonly added: readonly DataFile[];
}

export interface ReplaceRequest {
  readonly groups: readonly ReplaceGroup[];
  /** Attempts in all; default 8 (compaction competes with a committer that commits every minute). */
  readonly maxAttempts?: number;
  readonly now?: () => number;
  readonly backoff?: (attempt: number) => Promise<void>;
}

export interface ReplaceResult {
  /** Null when every group was abandoned (nothing committed). */
  readonly snapshot: Snapshot | null;
  readonly metadata: TableMetadata;
  readonly attempts: number;
  readonly committed: readonly ReplaceGroup[];
  /** Groups left out because another writer removed one of their files first. */
  readonly abandoned: readonly ReplaceGroup[];
}

const sumRows = (files: readonly { recordCount: bigint }[]) =>
  files.reduce((n, f) => n + f.recordCount, 0n);

function schemaAndSpec(metadata: TableMetadata): { schema: Schema; spec: PartitionSpec } {
  const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
  const spec = metadata['partition-specs'].find(
    (s) => s['spec-id'] === metadata['default-spec-id'],
  );
  if (!schema || !spec) {
    throw new LoglakeError('LOGLAKE_ICEBERG_INVALID_METADATA', 'no current schema or spec');
  }
  return { schema, spec };
}

/**
 * The offsets maps to carry forward as table properties: for each topic the table records, the map
 * `recordedOffsets` reads now, where the property differs from it. Every loglake append already
 * sets both; this keeps R(p) readable after expiry even on a table whose property is missing.
 */
export function offsetsToCarry(metadata: TableMetadata): Record<string, string> {
  const keys = new Set<string>();
  for (const s of mainAncestry(metadata))
    for (const k of Object.keys(s.summary)) if (k.startsWith(OFFSETS_KEY_PREFIX)) keys.add(k);
  for (const k of Object.keys(metadata.properties ?? {}))
    if (k.startsWith(OFFSETS_KEY_PREFIX)) keys.add(k);
  const out: Record<string, string> = {};
  for (const key of keys) {
    const text = encodeOffsets(recordedOffsets(metadata, key.slice(OFFSETS_KEY_PREFIX.length)));
    if (metadata.properties?.[key] !== text) out[key] = text;
  }
  return out;
}

/** Summary of a `replace` snapshot: no row added or removed; files and bytes change. */
export function replaceSummary(
  removed: readonly ManifestEntry[],
  added: readonly DataFile[],
  parent: Snapshot,
  extra: Readonly<Record<string, string>>,
): Record<string, string> & { operation: 'replace' } {
  const addedBytes = added.reduce((n, f) => n + f.fileSizeInBytes, 0n);
  const removedBytes = removed.reduce((n, f) => n + f.fileSizeInBytes, 0n);
  const summary: Record<string, string> & { operation: 'replace' } = {
    operation: 'replace',
    'added-data-files': String(added.length),
    'deleted-data-files': String(removed.length),
    'added-records': sumRows(added).toString(),
    'deleted-records': sumRows(removed).toString(),
    'added-files-size': addedBytes.toString(),
    'removed-files-size': removedBytes.toString(),
    'changed-partition-count': String(new Set(added.map((f) => f.tsHour)).size),
  };
  const totals: [string, bigint][] = [
    ['total-data-files', BigInt(added.length - removed.length)],
    ['total-records', sumRows(added) - sumRows(removed)],
    ['total-files-size', addedBytes - removedBytes],
  ];
  for (const [key, delta] of totals) {
    const before = parent.summary[key];
    if (before !== undefined && /^\d+$/.test(before))
      summary[key] = (BigInt(before) + delta).toString();
  }
  return { ...summary, ...extra };
}

interface Built {
  readonly snapshot: Snapshot;
  readonly properties: Record<string, string>;
  readonly committed: ReplaceGroup[];
  readonly abandoned: ReplaceGroup[];
}

/**
 * The `replace` snapshot on top of `metadata`'s current one: groups whose files are all still live
 * there are kept, the others abandoned. One manifest of the new files (ADDED, sequence numbers
 * inherited: the new snapshot's); each parent manifest holding a replaced file rewritten with that
 * file DELETED and the rest EXISTING; every other manifest of the parent carried as it was.
 */
async function buildReplace(
  target: AppendTarget,
  request: ReplaceRequest,
  ids: { snapshotId: bigint; commitId: string },
  metadata: TableMetadata,
  attempt: number,
): Promise<Built | { abandoned: ReplaceGroup[] }> {
  const parent = currentSnapshot(metadata);
  if (!parent) return { abandoned: [...request.groups] };
  const { schema, spec } = schemaAndSpec(metadata);
  const { manifests, entries } = await readSnapshotManifests(target.io, parent);
  if (manifests.some((m) => m.content !== MANIFEST_CONTENT_DATA)) {
    throw new LoglakeError(
      'LOGLAKE_ICEBERG_INVALID_METADATA',
      'the table has delete files: compaction does not apply them, so it does not rewrite this table',
    );
  }
  const live = new Map<string, { entry: ManifestEntry; manifest: ManifestFile }>();
  for (const m of manifests) {
    if (m.partition_spec_id !== spec['spec-id']) continue;
    for (const e of entries.get(m.manifest_path) ?? [])
      if (isLive(e)) live.set(e.filePath, { entry: e, manifest: m });
  }
  const committed = request.groups.filter((g) => g.replaced.every((p) => live.has(p)));
  const abandoned = request.groups.filter((g) => !committed.includes(g));
  if (committed.length === 0) return { abandoned };
  for (const g of committed) {
    const before = sumRows(g.replaced.map((p) => live.get(p)?.entry as ManifestEntry));
    if (before !== sumRows(g.added)) {
      throw new LoglakeError(
        'LOGLAKE_ICEBERG_INVALID_METADATA',
        `a replace group would remove ${before} rows and add ${sumRows(g.added)}: refused`,
      );
    }
  }

  const replaced = new Set(committed.flatMap((g) => g.replaced));
  const removed = [...replaced].map((p) => live.get(p)?.entry as ManifestEntry);
  const added = committed.flatMap((g) => g.added);
  const sequenceNumber = metadata['last-sequence-number'] + 1n;
  const base = `${metadata.location}/metadata/${ids.commitId}-${attempt}`;
  const newManifest = writeDataManifest(schema, spec, added);
  await target.io.write(`${base}-m0.avro`, newManifest);
  const list: ManifestFile[] = [
    addedManifestFile({
      path: `${base}-m0.avro`,
      length: newManifest.length,
      specId: spec['spec-id'],
      sequenceNumber,
      snapshotId: ids.snapshotId,
      files: added,
    }),
  ];
  let n = 1;
  for (const m of manifests) {
    const mine = entries.get(m.manifest_path) ?? [];
    if (!mine.some((e) => isLive(e) && replaced.has(e.filePath))) {
      list.push(m);
      continue;
    }
    // Entries deleted by earlier snapshots are dropped, as Java does when it rewrites a manifest.
    const carried: RewrittenEntry[] = mine.filter(isLive).map((entry) => ({
      entry,
      status: replaced.has(entry.filePath) ? ENTRY_DELETED : ENTRY_EXISTING,
    }));
    const path = `${base}-m${n++}.avro`;
    const bytes = writeRewrittenManifest(schema, spec, ids.snapshotId, carried);
    await target.io.write(path, bytes);
    list.push(
      rewrittenManifestFile({
        path,
        length: bytes.length,
        specId: spec['spec-id'],
        sequenceNumber,
        snapshotId: ids.snapshotId,
        entries: carried,
      }),
    );
  }
  const listPath = `${metadata.location}/metadata/snap-${ids.snapshotId}-${attempt}-${ids.commitId}.avro`;
  await target.io.write(
    listPath,
    writeManifestList({
      snapshotId: ids.snapshotId,
      parentSnapshotId: parent['snapshot-id'],
      sequenceNumber,
      manifests: list,
    }),
  );
  const snapshot: Snapshot = {
    'snapshot-id': ids.snapshotId,
    'parent-snapshot-id': parent['snapshot-id'],
    'sequence-number': sequenceNumber,
    'timestamp-ms': (request.now ?? Date.now)(),
    'manifest-list': listPath,
    summary: replaceSummary(removed, added, parent, { [COMMIT_ID_KEY]: ids.commitId }),
    'schema-id': schema['schema-id'],
  };
  return { snapshot, properties: offsetsToCarry(metadata), committed, abandoned };
}

function checkGroups(groups: readonly ReplaceGroup[]): void {
  const seen = new Set<string>();
  for (const g of groups) {
    if (g.replaced.length === 0 || g.added.length === 0)
      throw new Error('a replace group needs files to remove and files to add');
    for (const p of g.replaced) {
      if (seen.has(p)) throw new Error(`${p} is in two replace groups`);
      seen.add(p);
    }
  }
}

/**
 * Commits a `replace` snapshot (spec: "data and delete files were added and removed without
 * changing table data"), asserting `main` is still the snapshot it was built on. On a conflict (a
 * fast append, or another compaction, landed first) it reloads and rebuilds on the new parent:
 * the appenders' manifests are carried as they are, and a group is abandoned if one of its files
 * is no longer live there (another writer replaced it). An unknown commit state is resolved by
 * looking for the snapshot id on `main`'s ancestry. The row counts of every group are checked
 * against the manifests before anything is sent: a replace never changes the rows.
 */
export async function replaceFiles(
  target: AppendTarget,
  request: ReplaceRequest,
): Promise<ReplaceResult> {
  checkGroups(request.groups);
  const backoff = request.backoff ?? jitterBackoff;
  const maxAttempts = request.maxAttempts ?? 8;
  const ids = { snapshotId: newSnapshotId(), commitId: randomUUID() };
  const load = async () =>
    (await target.catalog.loadTable(target.namespace, target.table)).metadata;
  let metadata = await load();
  let lastError: unknown;
  let last: Built | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const built = await buildReplace(target, request, ids, metadata, attempt);
    if (!('snapshot' in built)) {
      return { snapshot: null, metadata, attempts: attempt - 1, committed: [], ...built };
    }
    last = built;
    try {
      const committed = await target.catalog.commitTable(target.namespace, target.table, {
        requirements: [
          { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
          {
            type: 'assert-ref-snapshot-id',
            ref: 'main',
            'snapshot-id': built.snapshot['parent-snapshot-id'] ?? null,
          },
        ],
        updates: replaceUpdates(built),
      });
      return { ...built, metadata: committed.metadata, attempts: attempt };
    } catch (error) {
      const conflict = hasCode(error, 'LOGLAKE_ICEBERG_COMMIT_CONFLICT');
      if (!conflict && !hasCode(error, 'LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN')) throw error;
      lastError = error;
      if (conflict && attempt < maxAttempts) await backoff(attempt);
    }
    metadata = await load();
    const found = mainAncestry(metadata).find((s) => s['snapshot-id'] === ids.snapshotId);
    if (found && last) return { ...last, snapshot: found, metadata, attempts: attempt };
  }
  throw lastError;
}

function replaceUpdates(built: Built): TableUpdate[] {
  return [
    { action: 'add-snapshot', snapshot: built.snapshot },
    {
      action: 'set-snapshot-ref',
      'ref-name': 'main',
      type: 'branch',
      'snapshot-id': built.snapshot['snapshot-id'],
    },
    ...(Object.keys(built.properties).length > 0
      ? [{ action: 'set-properties' as const, updates: built.properties }]
      : []),
  ];
}
