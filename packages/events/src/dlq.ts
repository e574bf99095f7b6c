import type { EventReject } from './rejects.ts';

/** Longest `raw` kept in a dead-letter record. */
export const DLQ_MAX_RAW_BYTES = 16 * 1024;

/** What a dead-letter record on `log-data-dlq` holds (JSON value). */
export interface DeadLetter {
  readonly stage: 'gateway' | 'sink';
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly source?: string;
  readonly received_at: number;
  /** Gateway: the request's id and the event's index in it. */
  readonly request_id?: string;
  readonly index?: number;
  /** Sink: where the record was read. */
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  /** The event as received (JSON text), cut at DLQ_MAX_RAW_BYTES. */
  readonly raw: string;
  readonly raw_truncated: boolean;
}

function cut(text: string): { raw: string; raw_truncated: boolean } {
  if (text.length * 3 <= DLQ_MAX_RAW_BYTES || Buffer.byteLength(text) <= DLQ_MAX_RAW_BYTES) {
    return { raw: text, raw_truncated: false };
  }
  const cutAt = Buffer.from(text).subarray(0, DLQ_MAX_RAW_BYTES).toString('utf8');
  // A multi-byte character cut in half decodes to U+FFFD at the end: drop it.
  return { raw: cutAt.replace(/\uFFFD$/, ''), raw_truncated: true };
}

/** Serializes any value for `raw` without throwing, even for values too deep to stringify. */
export function rawOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return `[not serializable: ${Array.isArray(value) ? 'array' : typeof value} nested too deep]`;
  }
}

export function deadLetter(
  reject: EventReject,
  raw: string,
  where: Omit<DeadLetter, 'code' | 'message' | 'field' | 'raw' | 'raw_truncated'>,
): string {
  const record: DeadLetter = {
    ...where,
    code: reject.code,
    message: reject.message,
    ...(reject.field === undefined ? {} : { field: reject.field }),
    ...cut(raw),
  };
  return JSON.stringify(record);
}
