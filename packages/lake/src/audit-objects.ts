/**
 * The lake auditor's view of the data objects by their names: which objects a topic holds, whether
 * an intent names its objects right, objects no intent names (orphans), and objects whose names
 * cover the same offsets of one partition.
 */
import type { ObjectStore } from '@loglake/object-store';
import type { AuditFinding } from './audit-report.ts';
import { compare, offsets, span, type KeyedRange } from './audit-ranges.ts';
import type { IntentEntry } from './audit-records.ts';
import { dataKey } from './layout.ts';

const OBJECT_NAME = /^dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/(.+)-p(\d+)-(\d{20})-(\d{20})\.parquet$/;

/** Every `.parquet` object under the topic, in listing order. */
export async function listObjects(store: ObjectStore, topic: string): Promise<string[]> {
  const objects: string[] = [];
  for await (const o of store.list(`${topic}/`))
    if (o.key.endsWith('.parquet')) objects.push(o.key);
  return objects;
}

/** The partition and offsets a data object's name says, or null when it is not a data object name of `topic`. */
function parseObjectName(topic: string, key: string): KeyedRange | null {
  if (!key.startsWith(`${topic}/`)) return null;
  const m = OBJECT_NAME.exec(key.slice(topic.length + 1));
  if (!m || m[1] !== topic) return null;
  return {
    key,
    partition: Number(m[2]),
    first: BigInt(m[3] as string),
    last: BigInt(m[4] as string),
  };
}

/** Why `key` is not the name of an object of `intent`, or null when it is. */
export function nameProblem(topic: string, intent: IntentEntry, key: string): string | null {
  const bucket = /^[^/]*\/(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\//.exec(
    key.startsWith(`${topic}/`) ? key : '',
  )?.[1];
  if (bucket && dataKey(topic, intent.partition, intent.first, intent.last, bucket) === key)
    return null;
  const named = parseObjectName(topic, key);
  const says = named
    ? `p${named.partition} ${span(named)}`
    : 'no topic/dt=…/hour=…/<topic>-p<partition>-<first>-<last>.parquet';
  return `intent p${intent.partition} ${span(intent)} names ${key}, whose name says ${says}`;
}

/** Why no intent names an object, as far as its name tells (`chainStart`: each partition's earliest intent). */
function orphanDetail(name: KeyedRange | null, chainStart: ReadonlyMap<number, bigint>): string {
  if (!name) return 'no intent names it, and its name is not a data object name';
  const start = chainStart.get(name.partition);
  const before =
    start !== undefined && name.last < start
      ? `; it lies before the earliest intent (${start}): intents expired?`
      : '';
  return `no intent names it (p${name.partition} ${span(name)})${before}`;
}

/** Objects whose names cover the same offsets of one partition (`ranges`: distinct, by partition and first offset). */
function checkNameOverlaps(ranges: readonly KeyedRange[], findings: AuditFinding[]): void {
  let reach: KeyedRange | null = null;
  for (const r of ranges) {
    if (reach?.partition === r.partition && r.first <= reach.last) {
      const end = r.last < reach.last ? r.last : reach.last;
      const detail = `objects of ranges ${span(reach)} and ${span(r)} both hold offsets ${r.first}..${end} (${reach.key}, ${r.key})`;
      findings.push({
        kind: 'overlap',
        partition: r.partition,
        ...offsets(r.first, end),
        key: r.key,
        detail,
      });
    }
    if (!reach || reach.partition !== r.partition || r.last > reach.last) reach = r;
  }
}

/** Orphans, and objects whose names cover the same offsets of one partition. */
export function checkObjects(
  topic: string,
  keys: readonly string[],
  named: ReadonlySet<string>,
  chainStart: ReadonlyMap<number, bigint>,
  findings: AuditFinding[],
): void {
  const ranges = new Map<string, KeyedRange>();
  for (const key of keys) {
    const name = parseObjectName(topic, key);
    if (!named.has(key)) {
      const detail = orphanDetail(name, chainStart);
      findings.push({
        kind: 'orphan_object',
        partition: name?.partition ?? null,
        ...(name && offsets(name.first, name.last)),
        key,
        detail,
      });
    }
    const id = name && `${name.partition}:${name.first}:${name.last}`;
    if (name && id && !ranges.has(id)) ranges.set(id, name);
  }
  const sorted = [...ranges.values()].sort(
    (a, b) => a.partition - b.partition || compare(a.first, b.first),
  );
  checkNameOverlaps(sorted, findings);
}
