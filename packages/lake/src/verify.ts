import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { LoglakeError } from '@loglake/core';
import type { AuditFindingKind, AuditReport } from './audit-report.ts';
import { bucketOf } from './layout.ts';
import type { LocalCopies } from './local-copies.ts';

/**
 * Checking one generator run in the lake (`pnpm verify`): which run (from the generator's summary),
 * when the sink has committed it (the consumer group's offsets), where its rows can be (the hour
 * folders of its time span), and whether each of its events is there exactly once.
 */

export interface RunReport {
  readonly run_id: string;
  readonly expected: number;
  readonly found: number;
  readonly missing: number;
  readonly duplicated: number;
  /** From received_at to the object becoming visible, seconds. */
  readonly delay_s: { p50: number; p99: number; max: number };
  readonly files_read: number;
}

/** The run to verify, as the generator's summary describes it. */
export interface RunRef {
  readonly run_id: string;
  /** Events the gateway (or Kafka) accepted: each must be in the lake exactly once. */
  readonly expected: number;
  /** When the run started and ended, epoch ms, if the summary says. */
  readonly started_at: number | null;
  readonly ended_at: number | null;
}

const HOUR_MS = 3_600_000;

function epochMs(value: unknown): number | null {
  const ms =
    typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : null;
}

/**
 * The run in `text`, the output of `pnpm generate` (through pnpm, whose banner lines come first): the
 * last line that is a JSON object with a `run_id`. `accepted` is the expected count; `started_at` and
 * `ended_at` (ISO 8601 or epoch ms) are used when present.
 */
export function parseRunSummary(text: string): RunRef {
  for (const line of text.split('\n').reverse()) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const s = value as Record<string, unknown>;
    if (typeof s.run_id !== 'string' || s.run_id === '') continue;
    if (!Number.isSafeInteger(s.accepted) || (s.accepted as number) < 0) {
      throw new LoglakeError(
        'LOGLAKE_CONFIG_INVALID',
        `the summary of run ${s.run_id} has no "accepted" count`,
      );
    }
    return {
      run_id: s.run_id,
      expected: s.accepted as number,
      started_at: epochMs(s.started_at),
      ended_at: epochMs(s.ended_at),
    };
  }
  throw new LoglakeError(
    'LOGLAKE_CONFIG_INVALID',
    'no line is a JSON object with a run_id: expected the summary line that `pnpm generate` prints last',
  );
}

/** `<topic>/dt=…/hour=…/` of every UTC hour from `fromMs` to `toMs`, both included. */
export function hourPrefixes(topic: string, fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  for (let t = Math.floor(fromMs / HOUR_MS) * HOUR_MS; t <= toMs; t += HOUR_MS)
    out.push(`${topic}/${bucketOf(t)}/`);
  return out;
}

/** How far event times may lie before the run started and after it ended. */
export interface EventTimeWindow {
  readonly pastMs: number;
  readonly futureMs: number;
}

/** The event times the run's rows can have, or null when its span is unknown. */
function runSpan(run: RunRef, window: EventTimeWindow): { fromMs: number; toMs: number } | null {
  if (run.started_at === null || run.ended_at === null) return null;
  return { fromMs: run.started_at - window.pastMs, toMs: run.ended_at + window.futureMs };
}

/** The hour folders the run's rows can be in (objects go by event time), or null (the whole topic) when its span is unknown. */
export function runFolders(topic: string, run: RunRef, window: EventTimeWindow): string[] | null {
  const span = runSpan(run, window);
  return span && hourPrefixes(topic, span.fromMs, span.toMs);
}

/**
 * The `hour(ts)` partition values (hours since the epoch, as Iceberg's transform gives them) the
 * run's rows can have, both ends included, or null (every file) when its span is unknown.
 */
export function runHours(
  run: RunRef,
  window: EventTimeWindow,
): { from: number; to: number } | null {
  const span = runSpan(run, window);
  return span && { from: Math.floor(span.fromMs / HOUR_MS), to: Math.floor(span.toMs / HOUR_MS) };
}

/** The two offset reads a commit wait needs (a KafkaAdmin has them). */
export interface OffsetsReader {
  topicOffsets(
    topic: string,
  ): Promise<
    readonly { readonly partition: number; readonly low: string; readonly high: string }[]
  >;
  committedOffsets(
    groupId: string,
    topic: string,
  ): Promise<readonly { readonly partition: number; readonly offset: string }[]>;
}

export interface CommitWaitOptions {
  readonly topic: string;
  readonly group: string;
  /** 0: read the offsets once, without waiting. */
  readonly timeoutMs: number;
  readonly pollMs?: number;
  /** After each poll that is not the last: records to go, time so far, the committed offsets read. */
  readonly onProgress?: (
    behind: number,
    elapsedMs: number,
    committed: ReadonlyMap<number, bigint>,
  ) => void;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface CommitWait {
  readonly group: string;
  readonly caught_up: boolean;
  /** Records between the group's committed offsets and the end offsets the wait started with. */
  readonly behind: number;
  readonly waited_s: number;
  /** The committed offsets last read; partitions where the group committed nothing are absent. */
  readonly committed: ReadonlyMap<number, bigint>;
}

/**
 * Waits until the group has committed up to the topic's end offsets as they are now (records
 * produced later do not hold it up), or `timeoutMs` passed.
 */
export async function waitForCommits(
  admin: OffsetsReader,
  o: CommitWaitOptions,
): Promise<CommitWait> {
  const clock = o.clock ?? Date.now;
  const pause = o.sleep ?? ((ms: number) => sleep(ms));
  const started = clock();
  const ends = await admin.topicOffsets(o.topic);
  for (;;) {
    const committed = new Map<number, bigint>();
    for (const c of await admin.committedOffsets(o.group, o.topic))
      if (BigInt(c.offset) >= 0n) committed.set(c.partition, BigInt(c.offset));
    let behind = 0;
    for (const e of ends) {
      const from = committed.get(e.partition) ?? BigInt(e.low);
      if (BigInt(e.high) > from) behind += Number(BigInt(e.high) - from);
    }
    const elapsed = clock() - started;
    if (behind === 0 || elapsed >= o.timeoutMs) {
      return {
        group: o.group,
        caught_up: behind === 0,
        behind,
        waited_s: +(elapsed / 1000).toFixed(1),
        committed,
      };
    }
    o.onProgress?.(behind, elapsed, committed);
    await pause(Math.min(o.pollMs ?? 1000, o.timeoutMs - elapsed));
  }
}

async function rows(c: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await c.runAndReadAll(sql)).getRowObjectsJson();
}

/** Counts the run's sequence numbers in the downloaded objects, and the delay of each row. */
async function queryRun(
  c: DuckDBConnection,
  dir: string,
  runId: string,
  expected: number | null,
  visibleAt: Map<string, number>,
) {
  await c.run(
    `CREATE TABLE run AS SELECT CAST(json_extract(extra, '$.seq') AS BIGINT) AS seq, epoch_ms(received_at) AS received_ms, filename
     FROM read_parquet('${join(dir, '**', '*.parquet').replaceAll("'", "''")}', filename = true)
     WHERE json_extract_string(extra, '$.run_id') = '${runId.replaceAll("'", "''")}'`,
  );
  const [agg] = await rows(
    c,
    `SELECT count(*)::BIGINT n, count(DISTINCT seq)::BIGINT d, max(seq)::BIGINT m FROM run`,
  );
  const want = expected ?? Number(agg?.m ?? 0);
  const [inRange] = await rows(
    c,
    `SELECT count(DISTINCT seq)::BIGINT k FROM run WHERE seq BETWEEN 1 AND ${want}`,
  );
  const delays: number[] = [];
  for (const r of await rows(c, `SELECT filename, received_ms FROM run`)) {
    const at = visibleAt.get(r.filename as string);
    if (at !== undefined) delays.push((at - Number(r.received_ms)) / 1000);
  }
  delays.sort((a, b) => a - b);
  const q = (p: number) =>
    +(delays[Math.min(delays.length - 1, Math.floor(delays.length * p))] ?? 0).toFixed(3);
  const total = Number(agg?.n ?? 0);
  const distinct = Number(agg?.d ?? 0);
  return {
    expected: want,
    found: distinct,
    missing: want - Number(inRange?.k ?? 0),
    duplicated: total - distinct,
    delay_s: { p50: q(0.5), p99: q(0.99), max: +(delays.at(-1) ?? 0).toFixed(3) },
  };
}

/**
 * Checks one generator run in the lake: every event carries `run_id` and `seq` (in `extra`);
 * `expected` sequence numbers 1..n should each appear exactly once. Reads the local copies of the
 * objects where the run's rows can be (see `runFolders` and `withLocalCopies`).
 */
export async function verifyRun(
  copies: LocalCopies,
  runId: string,
  expected: number | null,
): Promise<RunReport> {
  if (copies.files.size === 0) {
    const delay_s = { p50: 0, p99: 0, max: 0 };
    const want = expected ?? 0;
    return {
      run_id: runId,
      expected: want,
      found: 0,
      missing: want,
      duplicated: 0,
      delay_s,
      files_read: 0,
    };
  }
  const visibleAt = new Map([...copies.files.values()].map((f) => [f.path, f.visibleAt]));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return {
      run_id: runId,
      ...(await queryRun(c, copies.dir, runId, expected, visibleAt)),
      files_read: copies.files.size,
    };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** The data files of an Iceberg table `pnpm verify` read, and the `hour(ts)` partitions they were chosen by. */
export interface TableScope {
  /** `namespace.table` */
  readonly name: string;
  readonly files_read: number;
  /** Data files of the current snapshot. */
  readonly files_live: number;
  /** The first and last hour read (ISO, both included), or null: every hour. */
  readonly hours: { readonly from: string; readonly to: string } | null;
}

/** Where `pnpm verify` looked: the parquet layout's hour folders (null: the whole topic), or a table's files. */
export type VerifyScope =
  { readonly folders: readonly string[] | null } | { readonly table: TableScope };

/** Epoch hours (Iceberg's `hour(ts)`) as the ISO time of the hour's start. */
export function hourIso(hours: number): string {
  return new Date(hours * HOUR_MS).toISOString();
}

/** What `pnpm verify` prints: the run, where it looked, how the wait for the sink ended, and the lake audit in short. */
export type VerifyReport = RunReport &
  VerifyScope & {
    readonly commits: Omit<CommitWait, 'committed'> | null;
    readonly audit: {
      readonly ok: boolean;
      readonly findings: number;
      readonly kinds: Partial<Record<AuditFindingKind, number>>;
    };
  };

/** The report, and whether the run is complete and once in a lake without findings. */
export function verifyReport(
  run: RunReport,
  scope: VerifyScope,
  wait: CommitWait | null,
  audit: Pick<AuditReport, 'ok' | 'findings'>,
): { readonly report: VerifyReport; readonly ok: boolean } {
  const kinds: Partial<Record<AuditFindingKind, number>> = {};
  for (const f of audit.findings) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
  const commits = wait && {
    group: wait.group,
    caught_up: wait.caught_up,
    behind: wait.behind,
    waited_s: wait.waited_s,
  };
  const report: VerifyReport = {
    ...run,
    ...scope,
    commits,
    audit: { ok: audit.ok, findings: audit.findings.length, kinds },
  };
  const ok =
    run.missing === 0 && run.duplicated === 0 && (run.found > 0 || run.expected === 0) && audit.ok;
  return { report, ok };
}
