/**
 * The lake auditor: reads what the sink leaves in the store (intents, loss records, data objects)
 * and, when given, the consumer group's committed offsets, and checks them against each other. Per
 * partition, the intents form a chain without gaps or overlaps that reaches the committed offset;
 * every object an intent names exists with the rows it records; every object is named by an intent.
 * Read-only; problems are findings (values), only failures to read the store are thrown.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { errorMessage, hasCode } from '@loglake/core';
import type { ObjectStore } from '@loglake/object-store';
import { dataKey, intentKey, lossKey } from './layout.ts';

export const AUDIT_FINDING_KINDS = [
  /** An intent or loss record that cannot be read, or that contradicts its key or itself. */
  'invalid_record',
  /** Offsets between two recorded ranges that no intent and no loss record covers. */
  'gap',
  /** Two recorded ranges (intents, or loss records of gaps), or the names of two objects, covering the same offsets. */
  'overlap',
  /** The group committed offsets that no intent records. */
  'committed_beyond_chain',
  /** The committed offset is neither the start of the chain nor the end of an intent's range. */
  'committed_off_boundary',
  /** An object of a committed range is not in the store. */
  'missing_object',
  /**
   * Rows the lake lacks, as a loss record says: objects a replay could not write (records gone from
   * Kafka, or read differently), or offsets no range holds (deleted unread, or skipped by a reset).
   */
  'recorded_loss',
  /** An object's Parquet footer disagrees with its intent's row count. */
  'row_count_mismatch',
  /** An object whose Parquet footer cannot be read. */
  'unreadable_object',
  /** A `.parquet` object under the topic that no intent names. */
  'orphan_object',
  /** An intent names an object whose name says another topic, partition or range. */
  'name_mismatch',
] as const;

export type AuditFindingKind = (typeof AUDIT_FINDING_KINDS)[number];

export interface AuditFinding {
  readonly kind: AuditFindingKind;
  /** Null when the key that was wrong does not say. */
  readonly partition: number | null;
  readonly first?: string;
  readonly last?: string;
  readonly key?: string;
  /** Rows concerned: lost (`recorded_loss`, `missing_object`) or found (`row_count_mismatch`). */
  readonly rows?: number;
  readonly detail: string;
}

export interface PartitionAudit {
  readonly partition: number;
  readonly intents: number;
  /** First offset of the chain (intents, and loss records of gaps), or null without any. */
  readonly first: string | null;
  /** `last + 1` of the chain's furthest range, or null without any. */
  readonly head: string | null;
  /** Null when unknown or nothing was committed. */
  readonly committed: string | null;
  /** Objects named by this partition's intents that are in the store. */
  readonly objects: number;
  /** Rows those objects hold, as their intents record them. */
  readonly rows: number;
  readonly dead_letters: number;
  /** Intents at or beyond the committed offset: in flight, not checked for missing objects. */
  readonly pending: number;
  /** Objects of pending intents not (yet) in the store. */
  readonly pending_objects: number;
  readonly lost_rows: number;
}

export interface AuditReport {
  readonly topic: string;
  readonly partitions: readonly PartitionAudit[];
  readonly findings: readonly AuditFinding[];
  readonly ok: boolean;
  readonly totals: {
    readonly partitions: number;
    readonly intents: number;
    /** Every `.parquet` object under the topic, orphans included. */
    readonly objects: number;
    readonly rows: number;
    readonly dead_letters: number;
    readonly pending: number;
    readonly pending_objects: number;
    readonly lost_rows: number;
    /** Objects whose Parquet footer was read. */
    readonly objects_read: number;
    readonly findings: number;
  };
}

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
}

/** A key naming offsets `first..last` of one partition: a record's or an object's. */
interface KeyedRange {
  readonly key: string;
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
}

interface IntentEntry extends KeyedRange {
  readonly files: readonly { readonly key: string; readonly rows: number }[];
  readonly deadLetters: number;
}

interface LossEntry extends KeyedRange {
  readonly files: readonly {
    readonly key: string;
    readonly rows_expected: number;
    readonly rows_read: number;
  }[];
  readonly lostRows: number;
  readonly reason: string;
}

/** A range of the chain: an intent's, or a gap's that a loss record accounts for. */
interface Link extends KeyedRange {
  readonly gapLoss: LossEntry | null;
}

const READ_CONCURRENCY = 4;
const DECIMAL = /^(0|[1-9]\d*)$/;
const OBJECT_NAME = /^dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/(.+)-p(\d+)-(\d{20})-(\d{20})\.parquet$/;
const RECORD_NAME = /^p(\d+)\/(\d{20})\.json$/;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isOffset = (v: unknown): v is string => typeof v === 'string' && DECIMAL.test(v);
const span = (r: { first: bigint; last: bigint }) => `${r.first}..${r.last}`;
/** A finding's offsets. */
const offsets = (first: bigint, last: bigint) => ({
  first: first.toString(),
  last: last.toString(),
});
const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;
const compare = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

type RecordKey = (topic: string, partition: number, first: bigint) => string;

/** The fields an intent and a loss record share, checked against the record's own key (`keyOf` names it). */
function parseRange(
  key: string,
  prefix: string,
  keyOf: RecordKey,
  topic: string,
  json: unknown,
): KeyedRange | string {
  const m = RECORD_NAME.exec(key.slice(prefix.length));
  if (!m) return 'its key is not <prefix>/p<partition>/<20-digit offset>.json';
  if (typeof json !== 'object' || json === null) return 'not a JSON object';
  const r = json as Record<string, unknown>;
  if (r.version !== 1) return `version ${String(r.version)}, expected 1`;
  if (r.topic !== topic) return `topic ${String(r.topic)}, expected ${topic}`;
  if (!isCount(r.partition) || !isOffset(r.first) || !isOffset(r.last))
    return 'partition, first or last missing or malformed';
  const first = BigInt(r.first);
  const last = BigInt(r.last);
  if (keyOf(topic, r.partition, first) !== key) {
    return `its key says p${m[1]} first ${BigInt(m[2] as string)}, the record p${r.partition} first ${first}`;
  }
  if (last < first) return `last ${last} is before first ${first}`;
  return { key, partition: r.partition, first, last };
}

function parseIntent(
  key: string,
  prefix: string,
  topic: string,
  json: unknown,
): IntentEntry | string {
  const range = parseRange(key, prefix, intentKey, topic, json);
  if (typeof range === 'string') return range;
  const { files, dead_letters } = json as Record<string, unknown>;
  const valid =
    Array.isArray(files) &&
    files.every(
      (f: { key?: unknown; rows?: unknown }) => typeof f?.key === 'string' && isCount(f.rows),
    );
  if (!valid || !isCount(dead_letters)) return 'files or dead_letters missing or malformed';
  return { ...range, files: files as IntentEntry['files'], deadLetters: dead_letters };
}

function parseLoss(key: string, prefix: string, topic: string, json: unknown): LossEntry | string {
  const range = parseRange(key, prefix, lossKey, topic, json);
  if (typeof range === 'string') return range;
  const { files, lost_rows, reason } = json as Record<string, unknown>;
  type File = { key?: unknown; rows_expected?: unknown; rows_read?: unknown };
  const valid =
    Array.isArray(files) &&
    files.every(
      (f: File) =>
        typeof f?.key === 'string' &&
        isCount(f.rows_expected) &&
        (f.rows_read === undefined || isCount(f.rows_read)),
    );
  if (
    !valid ||
    !isCount(lost_rows) ||
    !['retention', 'mismatch', 'reset'].includes(reason as string)
  ) {
    return 'files, lost_rows or reason missing or malformed';
  }
  const entries = (files as File[]).map((f) => ({
    key: f.key as string,
    rows_expected: f.rows_expected as number,
    rows_read: (f.rows_read ?? 0) as number,
  }));
  return { ...range, files: entries, lostRows: lost_rows, reason: reason as string };
}

/** Reads every JSON record under `prefix`; the unreadable ones become findings. */
async function readRecords<T>(
  store: ObjectStore,
  prefix: string,
  parse: (key: string, json: unknown) => T | string,
  findings: AuditFinding[],
): Promise<T[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  const parsed = await mapPool(keys, 8, async (key) => {
    try {
      return parse(key, JSON.parse((await store.get(key)).toString('utf8')));
    } catch (error) {
      if (error instanceof SyntaxError) return `not JSON: ${error.message}`;
      throw error;
    }
  });
  const out: T[] = [];
  parsed.forEach((r, i) => {
    const key = keys[i] as string;
    if (typeof r !== 'string') return void out.push(r);
    const p = RECORD_NAME.exec(key.slice(prefix.length))?.[1];
    findings.push({
      kind: 'invalid_record',
      partition: p === undefined ? null : Number(p),
      key,
      detail: r,
    });
  });
  return out;
}

function parseKeyedRange(topic: string, key: string): KeyedRange | null {
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
function nameProblem(topic: string, intent: IntentEntry, key: string): string | null {
  const bucket = /^[^/]*\/(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\//.exec(
    key.startsWith(`${topic}/`) ? key : '',
  )?.[1];
  if (bucket && dataKey(topic, intent.partition, intent.first, intent.last, bucket) === key)
    return null;
  const named = parseKeyedRange(topic, key);
  const says = named
    ? `p${named.partition} ${span(named)}`
    : 'no topic/dt=…/hour=…/<topic>-p<partition>-<first>-<last>.parquet';
  return `intent p${intent.partition} ${span(intent)} names ${key}, whose name says ${says}`;
}

/** An object's row count from its Parquet footer (the object is downloaded, then deleted), or why it cannot be read. */
async function footerRows(
  store: ObjectStore,
  db: DuckDBInstance,
  dir: string,
  key: string,
): Promise<number | string> {
  let body: Buffer;
  try {
    body = await store.get(key);
  } catch (error) {
    if (hasCode(error, 'LOGLAKE_STORE_NOT_FOUND')) return 'disappeared while the audit ran';
    throw error;
  }
  const path = join(dir, `${randomUUID()}.parquet`);
  await writeFile(path, body);
  const c = await db.connect();
  try {
    const result = await c.runAndReadAll(
      `SELECT num_rows FROM parquet_file_metadata(${sqlString(path)})`,
    );
    return Number(result.getRows()[0]?.[0]);
  } catch (error) {
    return errorMessage(error);
  } finally {
    c.closeSync();
    await rm(path, { force: true });
  }
}

async function countRows(
  store: ObjectStore,
  keys: readonly string[],
): Promise<Map<string, number | string>> {
  if (keys.length === 0) return new Map();
  const dir = await mkdtemp(join(tmpdir(), 'loglake-audit-'));
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const counts = await mapPool(keys, READ_CONCURRENCY, (key) => footerRows(store, db, dir, key));
    return new Map(keys.map((key, i) => [key, counts[i] as number | string]));
  } finally {
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

const what = (link: Link) => (link.gapLoss ? `loss record ${span(link)}` : `intent ${span(link)}`);

/** Gaps and overlaps between consecutive links of the chain (sorted by first offset); returns the chain's head. */
function checkChain(
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
function checkCommitted(
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

interface PartitionInput {
  readonly partition: number;
  /** By first offset. */
  readonly intents: readonly IntentEntry[];
  /** Loss records of an intent's range (same first and last), by first offset. */
  readonly rangeLosses: ReadonlyMap<bigint, LossEntry>;
  /** Loss records of offsets no intent records. */
  readonly gapLosses: readonly LossEntry[];
  /** Undefined: unknown; null: nothing committed. */
  readonly committed: bigint | null | undefined;
}

/** What the store holds: object keys, and row counts (or why unreadable) when footers were read. */
interface Found {
  readonly present: ReadonlySet<string>;
  readonly counts: ReadonlyMap<string, number | string> | null;
}

/** In flight: at or beyond the committed offset (or nothing committed). Unknown offset: never. */
const isPending = (it: IntentEntry, committed: bigint | null | undefined) =>
  committed === null || (committed !== undefined && it.first >= committed);

type Tally = { -readonly [K in 'objects' | 'rows' | 'pending_objects' | 'lost_rows']: number };

/** Rows a loss record says the lake lacks for one file: all it should hold, or what a replay read beyond that. */
const lostRows = (f: LossEntry['files'][number]) => Math.max(f.rows_expected, f.rows_read);

/** One object an intent names: named right, present with its rows, lost on record, in flight, or missing. */
function checkFile(
  topic: string,
  it: IntentEntry,
  f: IntentEntry['files'][number],
  input: PartitionInput,
  found: Found,
  tally: Tally,
): AuditFinding[] {
  const at = { partition: input.partition, ...offsets(it.first, it.last), key: f.key };
  const out: AuditFinding[] = [];
  const problem = nameProblem(topic, it, f.key);
  if (problem) out.push({ kind: 'name_mismatch', ...at, detail: problem });
  if (found.present.has(f.key)) {
    tally.objects += 1;
    tally.rows += f.rows;
    const n = found.counts?.get(f.key);
    if (typeof n === 'string') out.push({ kind: 'unreadable_object', ...at, detail: n });
    else if (n !== undefined && n !== f.rows)
      out.push({
        kind: 'row_count_mismatch',
        ...at,
        rows: n,
        detail: `${n} rows in the object, ${f.rows} in its intent`,
      });
    return out;
  }
  const loss = input.rangeLosses.get(it.first);
  const lost = loss?.files.find((l) => l.key === f.key);
  if (loss && lost) {
    tally.lost_rows += lostRows(lost);
    const detail = `not written: ${lostRows(lost)} rows lost (${loss.reason}; ${lost.rows_read} of ${lost.rows_expected} read again)`;
    out.push({ kind: 'recorded_loss', ...at, rows: lostRows(lost), detail });
  } else if (isPending(it, input.committed)) tally.pending_objects += 1;
  else {
    const why =
      input.committed === undefined
        ? 'committed offset unknown'
        : `committed offset ${input.committed}`;
    out.push({ kind: 'missing_object', ...at, rows: f.rows, detail: `not in the store (${why})` });
  }
  return out;
}

/** One intent: its counts fit its range, its objects are checked, and a loss record's files the intent does not name count as lost. */
function checkIntent(
  topic: string,
  it: IntentEntry,
  input: PartitionInput,
  found: Found,
  tally: Tally,
  findings: AuditFinding[],
): void {
  const { partition } = input;
  const recorded = it.files.reduce((n, f) => n + f.rows, 0);
  if (BigInt(recorded + it.deadLetters) > it.last - it.first + 1n) {
    const detail = `${recorded} rows and ${it.deadLetters} dead letters in a range of ${it.last - it.first + 1n} offsets`;
    findings.push({
      kind: 'invalid_record',
      partition,
      ...offsets(it.first, it.last),
      key: it.key,
      detail,
    });
  }
  for (const f of it.files) findings.push(...checkFile(topic, it, f, input, found, tally));
  const loss = input.rangeLosses.get(it.first);
  for (const f of loss?.files ?? []) {
    if (it.files.some((n) => n.key === f.key) || lostRows(f) === 0) continue;
    tally.lost_rows += lostRows(f);
    const detail = `${lostRows(f)} rows read again for an object the intent does not name (${loss?.reason}): not in the lake`;
    findings.push({
      kind: 'recorded_loss',
      partition,
      ...offsets(it.first, it.last),
      key: f.key,
      rows: lostRows(f),
      detail,
    });
  }
}

function auditPartition(
  topic: string,
  input: PartitionInput,
  found: Found,
  findings: AuditFinding[],
): PartitionAudit {
  const { partition, intents, committed } = input;
  const links: Link[] = [
    ...intents.map((it) => ({ ...it, gapLoss: null })),
    ...input.gapLosses.map((l) => ({ ...l, gapLoss: l })),
  ];
  links.sort((a, b) => compare(a.first, b.first));
  const head = checkChain(partition, links, findings);
  const known = committed === undefined || committed === null ? null : committed;
  const cf = known === null ? null : checkCommitted(partition, links, head, known);
  if (cf) findings.push(cf);
  const tally: Tally = { objects: 0, rows: 0, pending_objects: 0, lost_rows: 0 };
  for (const it of intents) checkIntent(topic, it, input, found, tally, findings);
  for (const l of input.gapLosses) {
    tally.lost_rows += l.lostRows;
    const detail = `no range holds offsets ${span(l)}: ${l.lostRows} records lost (${l.reason})`;
    findings.push({
      kind: 'recorded_loss',
      partition,
      ...offsets(l.first, l.last),
      key: l.key,
      rows: l.lostRows,
      detail,
    });
  }
  return {
    partition,
    intents: intents.length,
    first: links[0]?.first.toString() ?? null,
    head: head?.toString() ?? null,
    committed: known?.toString() ?? null,
    objects: tally.objects,
    rows: tally.rows,
    dead_letters: intents.reduce((n, it) => n + it.deadLetters, 0),
    pending: intents.filter((it) => isPending(it, committed)).length,
    pending_objects: tally.pending_objects,
    lost_rows: tally.lost_rows,
  };
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

/** Orphans, and objects whose names cover the same offsets of one partition. */
function checkObjects(
  topic: string,
  keys: readonly string[],
  named: ReadonlySet<string>,
  chainStart: ReadonlyMap<number, bigint>,
  findings: AuditFinding[],
): void {
  const ranges = new Map<string, KeyedRange>();
  for (const key of keys) {
    const name = parseKeyedRange(topic, key);
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
  let reach: KeyedRange | null = null;
  for (const r of sorted) {
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

/**
 * Audits the lake of one topic; see the module comment. On a lake being written, read `committed`
 * before calling: objects are listed before intents, and the sink records an intent before its
 * objects and commits only after them, so nothing in flight looks orphaned or missing.
 */
export async function auditLake(store: ObjectStore, options: AuditOptions): Promise<AuditReport> {
  const { topic } = options;
  const findings: AuditFinding[] = [];
  const objects: string[] = [];
  for await (const o of store.list(`${topic}/`))
    if (o.key.endsWith('.parquet')) objects.push(o.key);
  const intentPrefix = `_loglake/intents/${topic}/`;
  const lossPrefix = `_loglake/losses/${topic}/`;
  const intents = await readRecords(
    store,
    intentPrefix,
    (k, j) => parseIntent(k, intentPrefix, topic, j),
    findings,
  );
  const losses = await readRecords(
    store,
    lossPrefix,
    (k, j) => parseLoss(k, lossPrefix, topic, j),
    findings,
  );
  const present = new Set(objects);
  const named = new Set(intents.flatMap((it) => it.files.map((f) => f.key)));

  const toRead = objects.filter(
    (k) => named.has(k) && (options.rowsUnder?.some((p) => k.startsWith(p)) ?? true),
  );
  const counts = options.rows === false ? null : await countRows(store, toRead);

  const intentsOf = byPartition(intents);
  const lossesOf = byPartition(losses);
  const partitions = new Set([
    ...intentsOf.keys(),
    ...lossesOf.keys(),
    ...(options.committed?.keys() ?? []),
  ]);
  const audits = [...partitions]
    .sort((a, b) => a - b)
    .map((partition) => {
      const own = [...(intentsOf.get(partition) ?? [])].sort((a, b) => compare(a.first, b.first));
      const ofRange = (l: LossEntry) =>
        own.some((it) => it.first === l.first && it.last === l.last);
      const ls = lossesOf.get(partition) ?? [];
      const c = options.committed?.get(partition);
      const input: PartitionInput = {
        partition,
        intents: own,
        rangeLosses: new Map(ls.filter(ofRange).map((l) => [l.first, l])),
        gapLosses: ls.filter((l) => !ofRange(l)),
        committed: options.committed ? (c !== undefined && c >= 0n ? c : null) : undefined,
      };
      return auditPartition(topic, input, { present, counts }, findings);
    });
  const chainStart = new Map(
    audits.flatMap((p) => (p.first === null ? [] : [[p.partition, BigInt(p.first)] as const])),
  );
  checkObjects(topic, objects, named, chainStart, findings);
  findings.sort(findingOrder);

  const sum = (k: keyof Omit<PartitionAudit, 'partition' | 'first' | 'head' | 'committed'>) =>
    audits.reduce((n, p) => n + p[k], 0);
  return {
    topic,
    partitions: audits,
    findings,
    ok: findings.length === 0,
    totals: {
      partitions: audits.length,
      intents: sum('intents'),
      objects: objects.length,
      rows: sum('rows'),
      dead_letters: sum('dead_letters'),
      pending: sum('pending'),
      pending_objects: sum('pending_objects'),
      lost_rows: sum('lost_rows'),
      objects_read: counts?.size ?? 0,
      findings: findings.length,
    },
  };
}
