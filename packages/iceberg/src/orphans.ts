import type { AppendTarget } from './fast-append.ts';
import { readSnapshotManifests, type ManifestEntry } from './manifest-entries.ts';
import { normaliseUri, type ListedFile, type UpkeepFileIO } from './upkeep-io.ts';

export interface OrphanOptions {
  /** Only files older than this are orphans: younger ones may belong to a commit in flight. */
  readonly olderThanMs: number;
  /** Delete them (default false: report only). */
  readonly delete?: boolean;
  readonly now?: () => number;
}

export interface OrphanReport {
  /** Objects listed under the table's location. */
  readonly listed: number;
  readonly referenced: number;
  readonly orphans: readonly ListedFile[];
  /** Unreferenced but younger than the threshold (or of unknown age): left alone. */
  readonly tooYoung: number;
  readonly deleted: boolean;
}

/**
 * Every file the table's metadata references: the current metadata file and those of the
 * metadata log, statistics files, and for every snapshot its manifest list, its manifests and every
 * file their entries name (any status: a DELETED entry's file may still be read by an older
 * snapshot's reader until expiry removes that snapshot).
 */
export async function referencedFiles(
  target: AppendTarget,
): Promise<{ location: string; files: Set<string> }> {
  const loaded = await target.catalog.loadTable(target.namespace, target.table);
  const { metadata } = loaded;
  const raw = metadata as unknown as {
    'metadata-log'?: { 'metadata-file': string }[];
    statistics?: { 'statistics-path': string }[];
    'partition-statistics'?: { 'statistics-path': string }[];
  };
  const files = new Set<string>([loaded.metadataLocation]);
  for (const m of raw['metadata-log'] ?? []) files.add(m['metadata-file']);
  for (const s of [...(raw.statistics ?? []), ...(raw['partition-statistics'] ?? [])])
    files.add(s['statistics-path']);
  const cache = new Map<string, Promise<ManifestEntry[]>>();
  for (const s of metadata.snapshots ?? []) {
    files.add(s['manifest-list']);
    // A list that cannot be read throws: nothing is called an orphan on partial knowledge.
    const { manifests, entries } = await readSnapshotManifests(target.io, s, cache);
    for (const m of manifests) {
      files.add(m.manifest_path);
      for (const e of entries.get(m.manifest_path) ?? []) files.add(e.filePath);
    }
  }
  return {
    location: metadata.location,
    files: new Set([...files].map(normaliseUri)),
  };
}

/**
 * The oldest data file a loglake writer still puts into a commit: the sink's committer gives up a
 * range whose files were written longer ago than this (its partition is read again, its files become
 * orphans), so that orphan cleanup, which only deletes files older than `MIN_ORPHAN_AGE_MS`, never
 * deletes a file a commit will still name.
 */
export const MAX_UNCOMMITTED_FILE_AGE_MS = 3_600_000;

/** The youngest unreferenced file `lake:orphans` may delete: a day, well past any writer's limit. */
export const MIN_ORPHAN_AGE_MS = 24 * 3_600_000;

/**
 * Orphan files (`pnpm lake:orphans`): objects under the table's location that no metadata
 * references (`referencedFiles`) and that are older than the threshold: data files of commits that
 * failed or were abandoned, manifests and lists of retried attempts, files of an expiry that
 * stopped half way. Deleted only when asked. The age threshold protects writers in flight: their
 * files are referenced only once their commit lands, and the sink never commits a file older than
 * `MAX_UNCOMMITTED_FILE_AGE_MS`; other writers (Spark, a stalled compaction) must keep within the
 * threshold too.
 */
export async function findOrphanFiles(
  target: AppendTarget & { readonly io: UpkeepFileIO },
  options: OrphanOptions,
): Promise<OrphanReport> {
  const cutoff = (options.now ?? Date.now)() - options.olderThanMs;
  const { location, files } = await referencedFiles(target);
  const orphans: ListedFile[] = [];
  let listed = 0;
  let tooYoung = 0;
  for await (const f of target.io.list(`${normaliseUri(location).replace(/\/+$/, '')}/`)) {
    listed += 1;
    if (files.has(normaliseUri(f.uri))) continue;
    if (f.lastModified === undefined || f.lastModified >= cutoff) tooYoung += 1;
    else orphans.push(f);
  }
  if (options.delete) for (const f of orphans) await target.io.delete(f.uri);
  return {
    listed,
    referenced: files.size,
    orphans,
    tooYoung,
    deleted: options.delete === true,
  };
}
