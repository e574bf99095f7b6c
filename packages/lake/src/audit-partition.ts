/**
 * The lake auditor's check of one partition: its chain against the committed offset, and each
 * intent's objects: named right, present with the rows the intent records, lost on record, in
 * flight, or missing.
 */
import { chainOf, checkChain, checkCommitted } from './audit-chain.ts';
import { nameProblem } from './audit-objects.ts';
import { compare, offsets, span } from './audit-ranges.ts';
import type { IntentEntry, LossEntry } from './audit-records.ts';
import type { AuditFinding, PartitionAudit } from './audit-report.ts';

export interface PartitionInput {
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
export interface Found {
  readonly present: ReadonlySet<string>;
  readonly counts: ReadonlyMap<string, number | string> | null;
}

type Tally = { -readonly [K in 'objects' | 'rows' | 'pending_objects' | 'lost_rows']: number };

type IntentFile = IntentEntry['files'][number];

/** Where a finding about one file of an intent points. */
type FileAt = Pick<AuditFinding, 'partition' | 'first' | 'last' | 'key'>;

/**
 * A partition's records, sorted and sorted out: loss records of an intent's range apart from those
 * of gaps. `committed`: the group's offsets (negative or absent: nothing committed), or unknown.
 */
export function partitionInput(
  partition: number,
  intents: readonly IntentEntry[],
  losses: readonly LossEntry[],
  committed: ReadonlyMap<number, bigint> | null | undefined,
): PartitionInput {
  const own = [...intents].sort((a, b) => compare(a.first, b.first));
  const ofRange = (l: LossEntry) => own.some((it) => it.first === l.first && it.last === l.last);
  const c = committed?.get(partition);
  return {
    partition,
    intents: own,
    rangeLosses: new Map(losses.filter(ofRange).map((l) => [l.first, l])),
    gapLosses: losses.filter((l) => !ofRange(l)),
    committed: committed ? (c !== undefined && c >= 0n ? c : null) : undefined,
  };
}

/** In flight: at or beyond the committed offset (or nothing committed). Unknown offset: never. */
const isPending = (it: IntentEntry, committed: bigint | null | undefined) =>
  committed === null || (committed !== undefined && it.first >= committed);

/** Rows a loss record says the lake lacks for one file: all it should hold, or what a replay read beyond that. */
const lostRows = (f: LossEntry['files'][number]) => Math.max(f.rows_expected, f.rows_read);

/** A file in the store: counted, and its footer's rows (when read) compared with its intent's. */
function presentFile(f: IntentFile, at: FileAt, found: Found, tally: Tally): AuditFinding | null {
  tally.objects += 1;
  tally.rows += f.rows;
  const n = found.counts?.get(f.key);
  if (typeof n === 'string') return { kind: 'unreadable_object', ...at, detail: n };
  if (n === undefined || n === f.rows) return null;
  const detail = `${n} rows in the object, ${f.rows} in its intent`;
  return { kind: 'row_count_mismatch', ...at, rows: n, detail };
}

/** A file not in the store: lost on record, in flight, or missing. */
function absentFile(
  it: IntentEntry,
  f: IntentFile,
  at: FileAt,
  input: PartitionInput,
  tally: Tally,
): AuditFinding | null {
  const loss = input.rangeLosses.get(it.first);
  const lost = loss?.files.find((l) => l.key === f.key);
  if (loss && lost) {
    tally.lost_rows += lostRows(lost);
    const detail = `not written: ${lostRows(lost)} rows lost (${loss.reason}; ${lost.rows_read} of ${lost.rows_expected} read again)`;
    return { kind: 'recorded_loss', ...at, rows: lostRows(lost), detail };
  }
  if (isPending(it, input.committed)) {
    tally.pending_objects += 1;
    return null;
  }
  const why =
    input.committed === undefined
      ? 'committed offset unknown'
      : `committed offset ${input.committed}`;
  return { kind: 'missing_object', ...at, rows: f.rows, detail: `not in the store (${why})` };
}

/** One object an intent names: named right, present with its rows, lost on record, in flight, or missing. */
function checkFile(
  topic: string,
  it: IntentEntry,
  f: IntentFile,
  input: PartitionInput,
  found: Found,
  tally: Tally,
): AuditFinding[] {
  const at = { partition: input.partition, ...offsets(it.first, it.last), key: f.key };
  const out: AuditFinding[] = [];
  const problem = nameProblem(topic, it, f.key);
  if (problem) out.push({ kind: 'name_mismatch', ...at, detail: problem });
  const finding = found.present.has(f.key)
    ? presentFile(f, at, found, tally)
    : absentFile(it, f, at, input, tally);
  if (finding) out.push(finding);
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
  const at = { partition: input.partition, ...offsets(it.first, it.last) };
  const recorded = it.files.reduce((n, f) => n + f.rows, 0);
  if (BigInt(recorded + it.deadLetters) > it.last - it.first + 1n) {
    const detail = `${recorded} rows and ${it.deadLetters} dead letters in a range of ${it.last - it.first + 1n} offsets`;
    findings.push({ kind: 'invalid_record', ...at, key: it.key, detail });
  }
  for (const f of it.files) findings.push(...checkFile(topic, it, f, input, found, tally));
  const loss = input.rangeLosses.get(it.first);
  for (const f of loss?.files ?? []) {
    if (it.files.some((n) => n.key === f.key) || lostRows(f) === 0) continue;
    tally.lost_rows += lostRows(f);
    const detail = `${lostRows(f)} rows read again for an object the intent does not name (${loss?.reason}): not in the lake`;
    findings.push({ kind: 'recorded_loss', ...at, key: f.key, rows: lostRows(f), detail });
  }
}

/** Loss records of gaps: their offsets are lost, not a gap of the chain. */
function checkGapLosses(
  partition: number,
  gapLosses: readonly LossEntry[],
  tally: Tally,
  findings: AuditFinding[],
): void {
  for (const l of gapLosses) {
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
}

/** Audits one partition; its findings are added to `findings`. */
export function auditPartition(
  topic: string,
  input: PartitionInput,
  found: Found,
  findings: AuditFinding[],
): PartitionAudit {
  const { partition, intents, committed } = input;
  const links = chainOf(intents, input.gapLosses);
  const head = checkChain(partition, links, findings);
  const known = committed ?? null;
  const cf = known === null ? null : checkCommitted(partition, links, head, known);
  if (cf) findings.push(cf);
  const tally: Tally = { objects: 0, rows: 0, pending_objects: 0, lost_rows: 0 };
  for (const it of intents) checkIntent(topic, it, input, found, tally, findings);
  checkGapLosses(partition, input.gapLosses, tally, findings);
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
