import { LoglakeError } from '@loglake/core';
import { parseJson, stringifyJson } from './json.ts';
import { mainAncestry, type TableMetadata } from './types.ts';

/**
 * Kafka offsets in snapshot summaries: `loglake.offsets.<topic>` holds a JSON object mapping each
 * partition to the next offset to read, for every partition ever committed (each commit carries the
 * full merged map, so the newest snapshot that has the key is enough). Snapshots of other writers
 * (compaction, an engine's maintenance) lack the key and are walked past. The same map is kept as a
 * table property, set in the same commit, for when expiry removed every snapshot that had it.
 */
export const OFFSETS_KEY_PREFIX = 'loglake.offsets.';

export type PartitionOffsets = ReadonlyMap<number, bigint>;

export function offsetsKey(topic: string): string {
  return `${OFFSETS_KEY_PREFIX}${topic}`;
}

export function encodeOffsets(offsets: PartitionOffsets): string {
  const sorted = [...offsets].sort(([a], [b]) => a - b);
  return stringifyJson(Object.fromEntries(sorted.map(([p, o]) => [String(p), o])));
}

export function decodeOffsets(text: string): Map<number, bigint> {
  const parsed = parseJson(text);
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error(`offsets are not an object: ${text}`);
  const out = new Map<number, bigint>();
  for (const [p, o] of Object.entries(parsed)) {
    if (!/^\d+$/.test(p) || (typeof o !== 'number' && typeof o !== 'bigint')) {
      throw new Error(`bad offsets entry ${p}: ${String(o)}`);
    }
    out.set(Number(p), BigInt(o));
  }
  return out;
}

/**
 * The offsets the table records for `topic`: those of the newest snapshot on `main`'s ancestry that
 * carries them, else the table property of the same name (every loglake commit sets both; the
 * property survives snapshot expiry, the ancestry follows a rollback of `main`), else none.
 */
export function recordedOffsets(metadata: TableMetadata, topic: string): Map<number, bigint> {
  const key = offsetsKey(topic);
  const text =
    mainAncestry(metadata).find((s) => s.summary[key] !== undefined)?.summary[key] ??
    metadata.properties?.[key];
  return text === undefined ? new Map<number, bigint>() : decodeOffsets(text);
}

/** A partition's range to commit: offsets `first` up to `next − 1`. */
export interface OffsetRange {
  readonly partition: number;
  readonly first: bigint;
  readonly next: bigint;
  /**
   * Set when the writer found the records from here to `first − 1` deleted from Kafka before they
   * were read (the log start was above the table's record): the commit then records that loss
   * instead of refusing the range. Must equal the offset the table records.
   */
  readonly lostFrom?: bigint;
}

/** Offsets `from` up to `to − 1` of a partition, deleted from Kafka before they were read. */
export interface OffsetLoss {
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

export const LOSSES_KEY_PREFIX = 'loglake.losses.';

/** The summary entry of a commit's losses: `{"<partition>": [from, to], …}`. */
export function encodeLosses(losses: readonly OffsetLoss[]): string {
  return stringifyJson(
    Object.fromEntries(losses.map((l) => [String(l.partition), [l.from, l.to]])),
  );
}

/**
 * The exactly-once rule: each range must start right where the table's record for its partition
 * ends (a partition the table has never recorded accepts any start), or right after a loss the
 * writer declares from exactly that record. Otherwise another writer (a zombie, a replay) moved the
 * partition on, and committing would append records twice or leave a gap: the commit is abandoned
 * with OFFSETS_MOVED. Returns the merged map to record and the losses to record with it.
 */
export function advanceOffsets(
  recorded: PartitionOffsets,
  ranges: readonly OffsetRange[],
  topic: string,
): { offsets: Map<number, bigint>; losses: OffsetLoss[] } {
  const merged = new Map(recorded);
  const losses: OffsetLoss[] = [];
  for (const r of ranges) {
    if (r.next <= r.first)
      throw new Error(`${topic}[${r.partition}]: empty range ${r.first}..${r.next}`);
    // Against the map so far, so that consecutive ranges of one partition chain in one commit.
    const at = merged.get(r.partition);
    const declaredLoss = at !== undefined && r.lostFrom === at && at < r.first;
    if (at !== undefined && at !== r.first && !declaredLoss) {
      throw new LoglakeError(
        'LOGLAKE_ICEBERG_OFFSETS_MOVED',
        `${topic}[${r.partition}]: the table records next offset ${at}, this range starts at ${r.first}`,
        {
          details: {
            topic,
            partition: r.partition,
            recorded: at.toString(),
            first: r.first.toString(),
          },
        },
      );
    }
    if (declaredLoss) losses.push({ partition: r.partition, from: at, to: r.first });
    merged.set(r.partition, r.next);
  }
  return { offsets: merged, losses };
}
