import type { ObjectStore } from '@loglake/object-store';
import { intentFirsts, readIntent, type Intent } from './intent.ts';

/** Where a partition's reading starts, and what is already known about the range there. */
export interface ChainStart {
  readonly start: bigint;
  /** The intent recorded at `start`: the first range follows it. */
  readonly intent: Intent | null;
  /** The first offset of the next recorded range after `start`, when one exists without an intent at `start`. */
  readonly nextRecorded: bigint | null;
  /** How it was found, for the log. */
  readonly how: 'intent' | 'commit-metadata' | 'listing' | 'empty';
  /** Offsets between the chain's head and `start` that no range records (gone, or skipped by a reset). */
  readonly gap: { readonly first: bigint; readonly last: bigint } | null;
}

const METADATA = /^loglake:(\d+)-(\d+)$/;

/**
 * The chain of intents decides where ranges start; the group's committed offset is only where to
 * look. `from` is the committed offset, or the log start when nothing is committed (offsets expired
 * or never written) or the commit points below it. Reading starts at a range boundary of the chain:
 * - an intent at `from`: start there and follow it;
 * - the commit's own metadata names the range that ends right before `from`, and that intent says
 *   so: `from` is the chain's head;
 * - otherwise the partition's intents are listed: `from` inside a recorded range starts at that
 *   range's first offset (replayed, nothing rewritten that exists); `from` before or between recorded
 *   ranges starts at `from` and ends its first range right before the next recorded one; offsets
 *   between the chain's head and `from` are reported as a gap (deleted unread, or skipped by a reset).
 */
export async function findChainStart(
  store: ObjectStore,
  topic: string,
  partition: number,
  from: bigint,
  metadata: string | null,
): Promise<ChainStart> {
  const at = await readIntent(store, topic, partition, from);
  if (at) return { start: from, intent: at, nextRecorded: null, how: 'intent', gap: null };
  const m = metadata === null ? null : METADATA.exec(metadata);
  if (m?.[1] && m[2] && BigInt(m[2]) + 1n === from) {
    const previous = await readIntent(store, topic, partition, BigInt(m[1]));
    if (previous?.last === m[2])
      return { start: from, intent: null, nextRecorded: null, how: 'commit-metadata', gap: null };
  }
  let before: bigint | null = null;
  let after: bigint | null = null;
  for await (const first of intentFirsts(store, topic, partition)) {
    if (first <= from) before = first;
    else {
      after = first;
      break;
    }
  }
  if (before === null && after === null)
    return { start: from, intent: null, nextRecorded: null, how: 'empty', gap: null };
  let gap: ChainStart['gap'] = null;
  if (before !== null) {
    const containing = await readIntent(store, topic, partition, before);
    if (containing && BigInt(containing.last) >= from) {
      return { start: before, intent: containing, nextRecorded: null, how: 'listing', gap: null };
    }
    if (containing && BigInt(containing.last) + 1n < from)
      gap = { first: BigInt(containing.last) + 1n, last: from - 1n };
  }
  return { start: from, intent: null, nextRecorded: after, how: 'listing', gap };
}
