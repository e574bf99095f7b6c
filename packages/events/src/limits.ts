export interface EventLimits {
  /** Largest accepted event, as the normalized JSON the gateway writes to Kafka. */
  readonly maxEventBytes: number;
  /** Deepest nesting of objects and arrays, counting the event itself as 1. */
  readonly maxDepth: number;
  /** Longest string inside `extra`, in UTF-16 code units. */
  readonly maxExtraStringLength: number;
  /** How far behind receive time an event's `ts` may be. */
  readonly maxPastMs: number;
  /** How far ahead of receive time an event's `ts` may be. */
  readonly maxFutureMs: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  maxEventBytes: 64 * 1024,
  maxDepth: 8,
  maxExtraStringLength: 16 * 1024,
  maxPastMs: 7 * 24 * 3600 * 1000,
  maxFutureMs: 5 * 60 * 1000,
};
