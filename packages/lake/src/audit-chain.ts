/**
 * One partition's chain: the ranges its intents record, and the gaps its loss records account for,
 * by first offset. They must follow each other without gaps or overlaps, and the group's committed
 * offset must fall on a boundary of the chain.
 */
import type { AuditFinding } from './audit-report.ts';
import { compare, offsets, span, type KeyedRange } from './audit-ranges.ts';
import type { IntentEntry, LossEntry } from './audit-records.ts';

/** A range of the chain: an intent's, or a gap's that a loss record accounts for. */
export interface Link extends KeyedRange {
  readonly gapLoss: LossEntry | null;
}

const what = (link: Link) => (link.gapLoss ? `loss record ${span(link)}` : `intent ${span(link)}`);

/** The links of a partition's chain, by first offset. */
export function chainOf(intents: readonly IntentEntry[], gapLosses: readonly LossEntry[]): Link[] {
  const links: Link[] = [
    ...intents.map((it) => ({ ...it, gapLoss: null })),
    ...gapLosses.map((l) => ({ ...l, gapLoss: l })),
  ];
  return links.sort((a, b) => compare(a.first, b.first));
}

/** Gaps and overlaps between consecutive links of the chain (sorted by first offset); returns the chain's head. */
export function checkChain(
  partition: number,
  links: readonly Link[],
  findings: AuditFinding[],
): bigint | null {
  let reach: Link | null = null;
  for (const it of links) {
    if (reach) {
      const head = reach.last + 1n;
      if (it.first > head) {
        const detail = `neither an intent nor a loss record covers offsets ${head}..${it.first - 1n} (between ${what(reach)} and ${what(it)})`;
        findings.push({ kind: 'gap', partition, ...offsets(head, it.first - 1n), detail });
      } else if (it.first < head) {
        const end = it.last < reach.last ? it.last : reach.last;
        const detail = `${what(reach)} and ${what(it)} both cover offsets ${it.first}..${end}`;
        findings.push({
          kind: 'overlap',
          partition,
          ...offsets(it.first, end),
          key: it.key,
          detail,
        });
      }
    }
    if (!reach || it.last > reach.last) reach = it;
  }
  return reach ? reach.last + 1n : null;
}

/** The committed offset must be the start of the chain (or before it) or the end of one of its ranges. */
export function checkCommitted(
  partition: number,
  links: readonly Link[],
  head: bigint | null,
  c: bigint,
): AuditFinding | null {
  if (head === null || c > head) {
    if (head === null && c === 0n) return null;
    const from = head ?? 0n;
    const detail =
      head === null
        ? `committed ${c}, but nothing is recorded`
        : `committed ${c}, but the recorded ranges end at ${head}`;
    return { kind: 'committed_beyond_chain', partition, ...offsets(from, c - 1n), detail };
  }
  if (c <= (links[0]?.first ?? c) || links.some((it) => it.last + 1n === c)) return null;
  const inside = links.find((it) => it.first < c && c <= it.last);
  const where = inside ? `inside the range of ${what(inside)}` : 'inside a gap of the chain';
  return {
    kind: 'committed_off_boundary',
    partition,
    first: c.toString(),
    detail: `committed ${c} is ${where}`,
  };
}
