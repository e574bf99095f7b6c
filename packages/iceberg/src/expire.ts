import { hasCode } from '@loglake/core';
import { jitterBackoff, type AppendTarget } from './fast-append.ts';
import { isLive, readSnapshotManifests, type ManifestEntry } from './manifest-entries.ts';
import type { UpkeepFileIO } from './upkeep-io.ts';
import { mainAncestry, type Snapshot, type TableMetadata, type TableRequirement } from './types.ts';

export interface ExpireOptions {
  /** Snapshots older than this (by `timestamp-ms`) may be removed. */
  readonly olderThanMs: number;
  /** The newest snapshots of `main` kept whatever their age (default 1, at least 1). */
  readonly retainLast?: number;
  readonly now?: () => number;
  /** Delete the files only removed snapshots referenced (default true). */
  readonly deleteFiles?: boolean;
  /** Report what would be removed; change nothing. */
  readonly dryRun?: boolean;
  readonly maxAttempts?: number;
  readonly backoff?: (attempt: number) => Promise<void>;
}

/** Files that only removed snapshots referenced, by kind. */
export interface UnreferencedFiles {
  readonly dataFiles: readonly string[];
  readonly manifests: readonly string[];
  readonly manifestLists: readonly string[];
  /** Outside the table's location: reported, never deleted. */
  readonly outsideLocation: readonly string[];
}

export interface ExpireReport extends UnreferencedFiles {
  readonly expiredSnapshotIds: readonly bigint[];
  readonly attempts: number;
  readonly deleted: boolean;
}

/**
 * The snapshots `remove-snapshots` may take: older than the cutoff, not among the newest
 * `retainLast` of `main`, not the current snapshot, and not the head of any branch or tag.
 */
export function snapshotsToExpire(
  metadata: TableMetadata,
  options: { readonly cutoffMs: number; readonly retainLast: number },
): Snapshot[] {
  const keep = new Set<bigint>();
  for (const s of mainAncestry(metadata).slice(0, Math.max(1, options.retainLast)))
    keep.add(s['snapshot-id']);
  for (const ref of Object.values(metadata.refs ?? {})) keep.add(ref['snapshot-id']);
  const current = metadata['current-snapshot-id'];
  if (current !== undefined && current !== null) keep.add(current);
  return (metadata.snapshots ?? []).filter(
    (s) => s['timestamp-ms'] < options.cutoffMs && !keep.has(s['snapshot-id']),
  );
}

interface Reach {
  readonly lists: Set<string>;
  readonly manifests: Set<string>;
  readonly data: Set<string>;
}

/** Manifest lists, manifests and live data files of `snapshots` (each manifest read once). */
async function reachable(
  io: UpkeepFileIO,
  snapshots: readonly Snapshot[],
  cache: Map<string, Promise<ManifestEntry[]>>,
): Promise<Reach> {
  const reach: Reach = { lists: new Set(), manifests: new Set(), data: new Set() };
  for (const s of snapshots) {
    reach.lists.add(s['manifest-list']);
    const { manifests, entries } = await readSnapshotManifests(io, s, cache);
    for (const m of manifests) {
      reach.manifests.add(m.manifest_path);
      for (const e of entries.get(m.manifest_path) ?? []) if (isLive(e)) reach.data.add(e.filePath);
    }
  }
  return reach;
}

/**
 * What removing `expired` from `metadata` leaves unreferenced: files reachable from the removed
 * snapshots (their manifest lists, manifests and live data files) that no remaining snapshot
 * reaches, as Iceberg's expireSnapshots decides. A remaining snapshot whose manifests cannot be
 * read fails the whole computation: nothing is deleted on partial knowledge.
 */
export async function unreferencedAfterExpiry(
  io: UpkeepFileIO,
  before: readonly Snapshot[],
  remaining: readonly Snapshot[],
  location: string,
): Promise<UnreferencedFiles> {
  const cache = new Map<string, Promise<ManifestEntry[]>>();
  const kept = await reachable(io, remaining, cache);
  const gone = await reachable(io, before, cache);
  const inside = (uri: string) => uri.startsWith(`${location.replace(/\/+$/, '')}/`);
  const only = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();
  const dataFiles = only(gone.data, kept.data);
  const manifests = only(gone.manifests, kept.manifests);
  const manifestLists = only(gone.lists, kept.lists);
  return {
    dataFiles: dataFiles.filter(inside),
    manifests: manifests.filter(inside),
    manifestLists: manifestLists.filter(inside),
    outsideLocation: [...dataFiles, ...manifests, ...manifestLists].filter((u) => !inside(u)),
  };
}

/**
 * Snapshot expiry (`pnpm lake:expire`): removes old snapshots through the catalog's
 * `remove-snapshots` update, asserting every ref is where it was seen (a moved ref reloads and
 * recomputes), then deletes the files only the removed snapshots referenced. The current snapshot,
 * the newest `retainLast` of `main` and every ref's head are never removed. Kafka offsets survive:
 * every loglake commit also sets them as a table property (`recordedOffsets` falls back to it).
 */
export async function expireSnapshots(
  target: AppendTarget & { readonly io: UpkeepFileIO },
  options: ExpireOptions,
): Promise<ExpireReport> {
  const now = (options.now ?? Date.now)();
  const retainLast = options.retainLast ?? 1;
  const maxAttempts = options.maxAttempts ?? 5;
  const load = async () =>
    (await target.catalog.loadTable(target.namespace, target.table)).metadata;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const metadata = await load();
    const expired = snapshotsToExpire(metadata, {
      cutoffMs: now - options.olderThanMs,
      retainLast,
    });
    const ids = expired.map((s) => s['snapshot-id']);
    const none = { dataFiles: [], manifests: [], manifestLists: [], outsideLocation: [] };
    if (ids.length === 0)
      return { expiredSnapshotIds: [], ...none, attempts: attempt - 1, deleted: false };
    if (options.dryRun) {
      const remaining = (metadata.snapshots ?? []).filter((s) => !ids.includes(s['snapshot-id']));
      const files = await unreferencedAfterExpiry(target.io, expired, remaining, metadata.location);
      return { expiredSnapshotIds: ids, ...files, attempts: 0, deleted: false };
    }
    const requirements: TableRequirement[] = [
      { type: 'assert-table-uuid', uuid: metadata['table-uuid'] },
      ...Object.entries(metadata.refs ?? {}).map(([ref, r]) => ({
        type: 'assert-ref-snapshot-id' as const,
        ref,
        'snapshot-id': r['snapshot-id'],
      })),
    ];
    let after: TableMetadata;
    try {
      after = (
        await target.catalog.commitTable(target.namespace, target.table, {
          requirements,
          updates: [{ action: 'remove-snapshots', 'snapshot-ids': ids }],
        })
      ).metadata;
    } catch (error) {
      const conflict = hasCode(error, 'LOGLAKE_ICEBERG_COMMIT_CONFLICT');
      // Removing snapshots is idempotent: an unknown outcome is simply tried again.
      if (!conflict && !hasCode(error, 'LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN')) throw error;
      lastError = error;
      if (attempt < maxAttempts) await (options.backoff ?? jitterBackoff)(attempt);
      continue;
    }
    const remaining = after.snapshots ?? [];
    if (remaining.some((s) => ids.includes(s['snapshot-id'])))
      throw new Error('the catalog kept snapshots it was asked to remove; no file is deleted');
    const files = await unreferencedAfterExpiry(target.io, expired, remaining, after.location);
    const deleteFiles = options.deleteFiles ?? true;
    if (deleteFiles) {
      for (const uri of [...files.dataFiles, ...files.manifests, ...files.manifestLists])
        await target.io.delete(uri);
    }
    return { expiredSnapshotIds: ids, ...files, attempts: attempt, deleted: deleteFiles };
  }
  throw lastError;
}
