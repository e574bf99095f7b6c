import type { FieldSpec } from './fields.ts';

export interface EventLimits {
  /** Largest accepted event, as the normalized JSON the gateway writes to Kafka. */
  readonly maxEventBytes: number;
  /** Deepest nesting of objects and arrays, counting the event itself as 1. */
  readonly maxDepth: number;
  /** Longest `message`, in UTF-16 code units: log lines with stack traces are long. */
  readonly maxMessageLength: number;
  /** Longest string inside `extra`, in UTF-16 code units. */
  readonly maxExtraStringLength: number;
  /** How far behind receive time an event's `ts` may be. */
  readonly maxPastMs: number;
  /** How far ahead of receive time an event's `ts` may be. */
  readonly maxFutureMs: number;
}

/**
 * 1 MiB events, `message` up to the whole of it: log lines with stack traces outgrow small limits
 * (CloudWatch Logs takes 256 KiB an event, Loki 256 KB a line, Firehose 1,000 KiB a record), and
 * 1 MiB is Kafka's default `max.message.bytes`.
 */
export const DEFAULT_EVENT_LIMITS: EventLimits = {
  maxEventBytes: 1024 * 1024,
  maxMessageLength: 1024 * 1024,
  maxDepth: 8,
  maxExtraStringLength: 16 * 1024,
  maxPastMs: 7 * 24 * 3600 * 1000,
  maxFutureMs: 5 * 60 * 1000,
};

/** The longest accepted value of a string field under `limits` (undefined: only the event's size bounds it). */
export function maxLengthOf(
  spec: FieldSpec,
  limits: EventLimits = DEFAULT_EVENT_LIMITS,
): number | undefined {
  return spec.lengthLimit ? limits[spec.lengthLimit] : spec.maxLength;
}
