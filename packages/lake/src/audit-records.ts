/**
 * The lake auditor's reading of the sink's records: intents and loss records of one topic, each
 * checked against its own key and itself. A record that cannot be trusted becomes an
 * `invalid_record` finding and is left out; only failures to read the store are thrown.
 */
import type { ObjectStore } from '@loglake/object-store';
import type { AuditFinding } from './audit-report.ts';
import type { KeyedRange } from './audit-ranges.ts';
import { intentKey, lossKey } from './layout.ts';
import { mapPool } from './map-pool.ts';

export interface IntentEntry extends KeyedRange {
  readonly files: readonly { readonly key: string; readonly rows: number }[];
  readonly deadLetters: number;
}

export interface LossEntry extends KeyedRange {
  readonly files: readonly {
    readonly key: string;
    readonly rows_expected: number;
    readonly rows_read: number;
  }[];
  readonly lostRows: number;
  readonly reason: string;
}

const READ_CONCURRENCY = 8;
const DECIMAL = /^(0|[1-9]\d*)$/;
const RECORD_NAME = /^p(\d+)\/(\d{20})\.json$/;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isOffset = (v: unknown): v is string => typeof v === 'string' && DECIMAL.test(v);

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
  const parsed = await mapPool(keys, READ_CONCURRENCY, async (key) => {
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

/** The topic's intents that can be trusted; the others become findings. */
export function readIntents(
  store: ObjectStore,
  topic: string,
  findings: AuditFinding[],
): Promise<IntentEntry[]> {
  const prefix = `_loglake/intents/${topic}/`;
  return readRecords(store, prefix, (k, j) => parseIntent(k, prefix, topic, j), findings);
}

/** The topic's loss records that can be trusted; the others become findings. */
export function readLosses(
  store: ObjectStore,
  topic: string,
  findings: AuditFinding[],
): Promise<LossEntry[]> {
  const prefix = `_loglake/losses/${topic}/`;
  return readRecords(store, prefix, (k, j) => parseLoss(k, prefix, topic, j), findings);
}
