import { hasCode } from '@loglake/core';
import type { ObjectStore } from '@loglake/object-store';
import type { EncodedRange } from './encode-range.ts';
import { intentKey, intentPrefix, offsetOfKey } from './layout.ts';
import type { CutRange, RangeEnd } from './range-buffer.ts';

/**
 * A flush's cut, recorded before any of its data objects is written: offsets `first`..`last` of one
 * partition, and the objects that hold them. Created once (conditional create); every later attempt,
 * by this process or another, follows it, so a replay writes the same objects with the same rows.
 */
export interface Intent {
  readonly version: 1;
  readonly topic: string;
  readonly partition: number;
  readonly first: string;
  readonly last: string;
  readonly files: readonly { readonly key: string; readonly rows: number }[];
  readonly dead_letters: number;
  /**
   * Offsets of records dropped as events sent again (an earlier record of the partition had the
   * same `event_id`); absent when none. A replay drops exactly these.
   */
  readonly duplicates?: readonly string[];
  readonly created_at: string;
  readonly writer: string;
}

export type IntentOutcome =
  { readonly status: 'created' } | { readonly status: 'exists'; readonly existing: Intent };

export function intentOf(
  topic: string,
  writer: string,
  range: CutRange,
  encoded: EncodedRange,
): Intent {
  return {
    version: 1,
    topic,
    partition: range.partition,
    first: range.first.toString(),
    last: range.last.toString(),
    files: encoded.files.map((f) => ({ key: f.key, rows: f.rows })),
    dead_letters: encoded.poison.length,
    ...(range.duplicates.length > 0
      ? { duplicates: range.duplicates.map((o) => o.toString()) }
      : {}),
    created_at: new Date().toISOString(),
    writer,
  };
}

/** How a range that follows `intent` ends, and which of its records it drops. */
export function followIntent(intent: Intent): RangeEnd {
  return {
    kind: 'intent',
    last: BigInt(intent.last),
    duplicates: new Set((intent.duplicates ?? []).map((o) => BigInt(o))),
  };
}

function sameDuplicates(existing: Intent, range: CutRange): boolean {
  const recorded = existing.duplicates ?? [];
  return (
    recorded.length === range.duplicates.length &&
    recorded.every((o, i) => o === range.duplicates[i]?.toString())
  );
}

export async function readIntent(
  store: ObjectStore,
  topic: string,
  partition: number,
  first: bigint,
): Promise<Intent | null> {
  try {
    return JSON.parse(
      (await store.get(intentKey(topic, partition, first))).toString('utf8'),
    ) as Intent;
  } catch (error) {
    if (hasCode(error, 'LOGLAKE_STORE_NOT_FOUND')) return null;
    throw error;
  }
}

export async function writeIntent(store: ObjectStore, intent: Intent): Promise<IntentOutcome> {
  const key = intentKey(intent.topic, intent.partition, BigInt(intent.first));
  const put = await store.put(key, Buffer.from(JSON.stringify(intent)), {
    ifAbsent: true,
    contentType: 'application/json',
  });
  if (put.status === 'created') return put;
  const existing = await readIntent(store, intent.topic, intent.partition, BigInt(intent.first));
  if (!existing) throw new Error(`intent ${key} exists but cannot be read`);
  return { status: 'exists', existing };
}

/** First offsets of a partition's intents, ascending (keys are zero-padded, so listing order is offset order). */
export async function* intentFirsts(
  store: ObjectStore,
  topic: string,
  partition: number,
): AsyncGenerator<bigint> {
  for await (const o of store.list(intentPrefix(topic, partition))) {
    const first = offsetOfKey(o.key);
    if (first !== null) yield first;
  }
}

/** A recorded file whose rows this replay cannot reproduce. */
export interface ShortFile {
  readonly key: string;
  readonly expected: number;
  readonly have: number;
}

/** How a flush relates to the intent recorded at its first offset. */
export type Settlement =
  | { readonly kind: 'created' }
  /** Same cut: write the files whose rows match; `short` and `unrecorded` cannot be written as recorded. */
  | {
      readonly kind: 'followed';
      readonly short: readonly ShortFile[];
      readonly unrecorded: readonly { readonly key: string; readonly rows: number }[];
    }
  /** Another cut was recorded first (or this range was read without following it): read again. */
  | { readonly kind: 'conflict'; readonly existing: Intent };

/**
 * Compares a flush with the intent that already exists at its first offset. A range read while
 * following that intent from its first offset is final even when rows are missing (deleted from
 * Kafka): those files are never written shorter than recorded. A range cut freely that disagrees
 * is read again following the intent.
 */
export function compareWithIntent(
  existing: Intent,
  range: CutRange,
  encoded: EncodedRange,
): Settlement {
  if (existing.last !== range.last.toString()) return { kind: 'conflict', existing };
  const ours = new Map(encoded.files.map((f) => [f.key, f.rows]));
  const short: ShortFile[] = [];
  for (const f of existing.files) {
    const have = ours.get(f.key) ?? 0;
    if (have !== f.rows) short.push({ key: f.key, expected: f.rows, have });
    ours.delete(f.key);
  }
  const unrecorded = [...ours.entries()].map(([key, rows]) => ({ key, rows }));
  // A range cut freely whose window dropped other records than the recorded cut did is read again
  // following the intent; a range that followed it dropped exactly the recorded ones it could read.
  if (
    (short.length > 0 || unrecorded.length > 0 || !sameDuplicates(existing, range)) &&
    !range.followsIntent
  )
    return { kind: 'conflict', existing };
  return { kind: 'followed', short, unrecorded };
}
