import { FIELD_TYPES } from './field-types.ts';
import { EXTRA_FIELD, FIELD_BY_NAME } from './fields.ts';
import type { EventReject } from './rejects.ts';

/** A record of the topic, checked: its event time and the JSON line to store. */
export interface StoredEvent {
  /** The event's id (`event_id`): a client that sends an event again sends the same id. */
  readonly eventId: string;
  readonly ts: number;
  readonly receivedAt: number;
  /** The record's JSON, or a normalized copy when unknown top-level fields had to move into `extra`. */
  readonly line: string;
}

export type StoredResult =
  | { readonly ok: true; readonly event: StoredEvent }
  | { readonly ok: false; readonly reject: EventReject };

/** Fields a stored event must have (not null); the rest may be missing or null. */
export const STORED_REQUIRED_FIELDS = ['event_id', 'event_type', 'ts', 'received_at'] as const;

function reject(code: EventReject['code'], message: string, field?: string): StoredResult {
  return { ok: false, reject: field === undefined ? { code, message } : { code, message, field } };
}

/**
 * Checks a record read from the topic against the normalized event the gateway writes, so that
 * the Parquet encoder never meets a value it cannot store. Anything else (a record someone else
 * produced) is refused with a reason and goes to the dead-letter topic.
 */
export function checkStoredEvent(value: Buffer | null): StoredResult {
  if (value === null || value.length === 0)
    return reject('EVENT_NOT_OBJECT', 'the record has no value');
  const text = value.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return reject('INVALID_JSON_LINE', `the record is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('EVENT_NOT_OBJECT', 'the record is not a JSON object');
  }
  const record = parsed as Record<string, unknown>;
  let unknown: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (key === EXTRA_FIELD) {
      if (v !== null && (typeof v !== 'object' || Array.isArray(v))) {
        return reject('FIELD_TYPE', 'extra must be an object', key);
      }
      continue;
    }
    const spec = FIELD_BY_NAME.get(key);
    if (!spec) {
      unknown ??= {};
      unknown[key] = v;
      continue;
    }
    if (v === null) continue;
    const problem = FIELD_TYPES[spec.type].stored(spec, v);
    if (problem) return { ok: false, reject: problem };
  }
  for (const required of STORED_REQUIRED_FIELDS) {
    if (record[required] === undefined || record[required] === null) {
      return reject('FIELD_REQUIRED', `${required} is required`, required);
    }
  }
  const eventId = record.event_id as string;
  const ts = record.ts as number;
  const receivedAt = record.received_at as number;
  if (!unknown) {
    return {
      ok: true,
      event: {
        eventId,
        ts,
        receivedAt,
        line: text.includes('\n') ? JSON.stringify(record) : text,
      },
    };
  }
  const extra = {
    ...((record[EXTRA_FIELD] as Record<string, unknown> | undefined) ?? {}),
    ...unknown,
  };
  const normalized: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (FIELD_BY_NAME.has(k)) normalized[k] = v;
  normalized[EXTRA_FIELD] = extra;
  return { ok: true, event: { eventId, ts, receivedAt, line: JSON.stringify(normalized) } };
}
