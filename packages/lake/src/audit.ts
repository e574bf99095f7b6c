/**
 * The lake auditor: reads what the sink leaves in the store (intents, loss records, data objects)
 * and, when given, the consumer group's committed offsets, and checks them against each other. Per
 * partition, the intents form a chain without gaps or overlaps that reaches the committed offset;
 * every object an intent names exists with the rows it records; every object is named by an intent.
 * Read-only; problems are findings (values), only failures to read the store are thrown.
 *
 * This module composes the steps: reading the records (audit-records), the per-partition check
 * (audit-partition, audit-chain), the objects by name (audit-objects) and their footers
 * (audit-footers). The report's shape is in audit-report.
 */
import type { ObjectStore } from '@loglake/object-store';
import { countRows } from './audit-footers.ts';
import { checkObjects, listObjects } from './audit-objects.ts';
import { auditPartition, partitionInput, type Found } from './audit-partition.ts';
import { compare } from './audit-ranges.ts';
import { readIntents, readLosses, type IntentEntry, type LossEntry } from './audit-records.ts';
import type { AuditFinding, AuditReport, PartitionAudit } from './audit-report.ts';
import type { LocalCopy } from './local-copies.ts';

export interface AuditOptions {
  readonly topic: string;
  /**
   * The group's committed offset per partition (negative or absent: nothing committed). Null or
   * absent: unknown, and every intent is expected to be complete.
   */
  readonly committed?: ReadonlyMap<number, bigint> | null;
  /** Read each object's row count from its Parquet footer (default true). */
  readonly rows?: boolean;
  /** With `rows`, read only the objects under these key prefixes (default: all). */
  readonly rowsUnder?: readonly string[];
  /** With `rows`, objects already downloaded (by key): their footers are read there, not downloaded again. */
  readonly localCopies?: ReadonlyMap<string, LocalCopy>;
}

/** What the store holds for the topic, read in this order: objects, then intents, then loss records. */
interface LakeContents {
  readonly objects: readonly string[];
  readonly intents: readonly IntentEntry[];
  readonly losses: readonly LossEntry[];
}

async function readLake(
  store: ObjectStore,
  topic: string,
  findings: AuditFinding[],
): Promise<LakeContents> {
  const objects = await listObjects(store, topic);
  const intents = await readIntents(store, topic, findings);
  const losses = await readLosses(store, topic, findings);
  return { objects, intents, losses };
}

function byPartition<T extends { partition: number }>(records: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of records) {
    const list = out.get(r.partition);
    if (list) list.push(r);
    else out.set(r.partition, [r]);
  }
  return out;
}

function findingOrder(a: AuditFinding, b: AuditFinding): number {
  const first = (f: AuditFinding) => (f.first === undefined ? -1n : BigInt(f.first));
  const d = (a.partition ?? -1) - (b.partition ?? -1) || compare(first(a), first(b));
  return d || a.kind.localeCompare(b.kind) || (a.key ?? '').localeCompare(b.key ?? '');
}

/** Every partition with records or a committed offset, audited in order. */
function auditPartitions(
  options: AuditOptions,
  lake: LakeContents,
  found: Found,
  findings: AuditFinding[],
): PartitionAudit[] {
  const intentsOf = byPartition(lake.intents);
  const lossesOf = byPartition(lake.losses);
  const partitions = new Set([
    ...intentsOf.keys(),
    ...lossesOf.keys(),
    ...(options.committed?.keys() ?? []),
  ]);
  return [...partitions]
    .sort((a, b) => a - b)
    .map((partition) => {
      const input = partitionInput(
        partition,
        intentsOf.get(partition) ?? [],
        lossesOf.get(partition) ?? [],
        options.committed,
      );
      return auditPartition(options.topic, input, found, findings);
    });
}

function totals(
  audits: readonly PartitionAudit[],
  objects: number,
  objectsRead: number,
  findings: number,
): AuditReport['totals'] {
  const sum = (k: keyof Omit<PartitionAudit, 'partition' | 'first' | 'head' | 'committed'>) =>
    audits.reduce((n, p) => n + p[k], 0);
  return {
    partitions: audits.length,
    intents: sum('intents'),
    objects,
    rows: sum('rows'),
    dead_letters: sum('dead_letters'),
    pending: sum('pending'),
    pending_objects: sum('pending_objects'),
    lost_rows: sum('lost_rows'),
    objects_read: objectsRead,
    findings,
  };
}

/**
 * Audits the lake of one topic; see the module comment. On a lake being written, read `committed`
 * before calling: objects are listed before intents, and the sink records an intent before its
 * objects and commits only after them, so nothing in flight looks orphaned or missing.
 */
export async function auditLake(store: ObjectStore, options: AuditOptions): Promise<AuditReport> {
  const { topic } = options;
  const findings: AuditFinding[] = [];
  const lake = await readLake(store, topic, findings);
  const named = new Set(lake.intents.flatMap((it) => it.files.map((f) => f.key)));
  const toRead = lake.objects.filter(
    (k) => named.has(k) && (options.rowsUnder?.some((p) => k.startsWith(p)) ?? true),
  );
  const counts =
    options.rows === false ? null : await countRows(store, toRead, options.localCopies);
  const found: Found = { present: new Set(lake.objects), counts };
  const audits = auditPartitions(options, lake, found, findings);
  const chainStart = new Map(
    audits.flatMap((p) => (p.first === null ? [] : [[p.partition, BigInt(p.first)] as const])),
  );
  checkObjects(topic, lake.objects, named, chainStart, findings);
  findings.sort(findingOrder);
  return {
    topic,
    partitions: audits,
    findings,
    ok: findings.length === 0,
    totals: totals(audits, lake.objects.length, counts?.size ?? 0, findings.length),
  };
}
