import { EXTRA_FIELD, FIELD_BY_NAME, SERVER_FIELDS, type FieldSpec } from './fields.ts';
import { maxLengthOf, type EventLimits } from './limits.ts';
import type { EventReject } from './rejects.ts';
import { parseEventTime } from './time.ts';
import { uuidv7 } from './uuid.ts';

/** Keys that could reach an object's prototype if copied naively; refused anywhere in an event. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface ValidationContext {
  /** When the request arrived, epoch ms; the default `ts` and the value of `received_at`. */
  readonly receivedAt: number;
  /** The source the API key maps to. */
  readonly source: string;
  /** May the body's `source` replace the key's? If not, the body's value is kept in `extra`. */
  readonly allowBodySource: boolean;
  readonly limits: EventLimits;
}

/** An accepted event: its id, event time, partition key candidates and the JSON written to Kafka. */
export interface ValidEvent {
  readonly eventId: string;
  readonly ts: number;
  readonly userId: string | undefined;
  readonly sessionId: string | undefined;
  readonly json: string;
  /** Size of `json` for budgets: its UTF-8 length when near the limit, else its UTF-16 length. */
  readonly bytes: number;
}

export type ValidationResult =
  | { readonly ok: true; readonly event: ValidEvent }
  | { readonly ok: false; readonly reject: EventReject };

function fail(code: EventReject['code'], message: string, field?: string): ValidationResult {
  return { ok: false, reject: field === undefined ? { code, message } : { code, message, field } };
}

/** A field that failed its check (a class, so that a checked value is returned without a wrapper). */
class FieldFailure {
  constructor(readonly result: ValidationResult) {}
}

type FieldOutcome = string | number | FieldFailure;

function bad(code: EventReject['code'], message: string, field: string): FieldFailure {
  return new FieldFailure(fail(code, message, field));
}

function checkField(spec: FieldSpec, value: unknown, ctx: ValidationContext): FieldOutcome {
  const name = spec.name;
  switch (spec.type) {
    case 'string':
    case 'enum': {
      if (typeof value !== 'string') return bad('FIELD_TYPE', `${name} must be a string`, name);
      const maxLength = maxLengthOf(spec, ctx.limits);
      if (maxLength !== undefined && value.length > maxLength) {
        return bad('FIELD_TOO_LONG', `${name} is longer than ${maxLength} characters`, name);
      }
      if (!value.isWellFormed())
        return bad('STRING_NOT_WELL_FORMED', `${name} contains a lone UTF-16 surrogate`, name);
      if (spec.values && !spec.values.includes(value)) {
        return bad(
          'FIELD_VALUE_NOT_ALLOWED',
          `${name} must be one of ${spec.values.join(', ')}`,
          name,
        );
      }
      return value;
    }
    case 'int32':
    case 'int64': {
      const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
        return bad('FIELD_TYPE', `${name} must be an integer (within ±2^53)`, name);
      }
      const max = spec.max ?? (spec.type === 'int32' ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER);
      const min = spec.min ?? (spec.type === 'int32' ? -(2 ** 31) : Number.MIN_SAFE_INTEGER);
      if (n < min || n > max)
        return bad('FIELD_OUT_OF_RANGE', `${name} must be between ${min} and ${max}`, name);
      return n;
    }
    case 'double': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return bad('FIELD_TYPE', `${name} must be a number`, name);
      if (
        (spec.min !== undefined && value < spec.min) ||
        (spec.max !== undefined && value > spec.max)
      ) {
        return bad('FIELD_OUT_OF_RANGE', `${name} is out of range`, name);
      }
      return value;
    }
    case 'timestamp': {
      const ms = parseEventTime(value);
      if (ms === null)
        return bad(
          'FIELD_TYPE',
          `${name} must be an RFC 3339 date-time or epoch milliseconds`,
          name,
        );
      const { maxPastMs, maxFutureMs } = ctx.limits;
      if (ms < ctx.receivedAt - maxPastMs || ms > ctx.receivedAt + maxFutureMs) {
        return bad(
          'TS_OUT_OF_WINDOW',
          `${name} must be within ${Math.round(maxPastMs / 3600000)} h before and ${Math.round(maxFutureMs / 60000)} min after receive time`,
          name,
        );
      }
      return ms;
    }
  }
}

/** Walks a value kept in `extra`: depth, forbidden keys, string length and well-formedness. */
function checkExtra(
  value: unknown,
  path: string,
  depth: number,
  limits: EventLimits,
): ValidationResult | null {
  if (typeof value === 'string') {
    if (value.length > limits.maxExtraStringLength) {
      return fail(
        'FIELD_TOO_LONG',
        `${path} is longer than ${limits.maxExtraStringLength} characters`,
        path,
      );
    }
    return value.isWellFormed()
      ? null
      : fail('STRING_NOT_WELL_FORMED', `${path} contains a lone UTF-16 surrogate`, path);
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth > limits.maxDepth)
    return fail('EVENT_TOO_DEEP', `${path} nests deeper than ${limits.maxDepth} levels`, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const r = checkExtra(value[i], `${path}[${i}]`, depth + 1, limits);
      if (r) return r;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key))
      return fail('FORBIDDEN_KEY', `key "${key}" is not allowed`, `${path}.${key}`);
    if (!key.isWellFormed())
      return fail(
        'STRING_NOT_WELL_FORMED',
        `a key in ${path} contains a lone UTF-16 surrogate`,
        path,
      );
    const r = checkExtra(
      (value as Record<string, unknown>)[key],
      `${path}.${key}`,
      depth + 1,
      limits,
    );
    if (r) return r;
  }
  return null;
}

/** `"key":` of a declared field (their names need no escaping). */
const KEY_PREFIX: ReadonlyMap<string, string> = new Map(
  [...FIELD_BY_NAME.keys()].map((name) => [name, `${JSON.stringify(name)}:`]),
);

/**
 * Validates one event and writes the JSON for Kafka in the same walk: declared fields typed
 * (timestamps as epoch ms) in the order the event has them, then whatever of `event_id`, `ts`,
 * `received_at` and `source` the gateway fills in, then every field the schema does not know under
 * `extra`. No object is built for the event; only `extra` is stringified as a whole.
 */
export function validateEvent(input: unknown, ctx: ValidationContext): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('EVENT_NOT_OBJECT', 'an event must be a JSON object');
  }
  let json = '{';
  let extra: Record<string, unknown> | undefined;
  let eventType: string | undefined;
  let eventId: string | undefined;
  let ts: number | undefined;
  let source: string | undefined;
  let userId: string | undefined;
  let sessionId: string | undefined;
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (FORBIDDEN_KEYS.has(key)) return fail('FORBIDDEN_KEY', `key "${key}" is not allowed`, key);
    const value = record[key];
    const spec = FIELD_BY_NAME.get(key);
    const keepAsExtra =
      spec === undefined || SERVER_FIELDS.has(key) || (key === 'source' && !ctx.allowBodySource);
    if (keepAsExtra) {
      if (!key.isWellFormed())
        return fail('STRING_NOT_WELL_FORMED', 'a key contains a lone UTF-16 surrogate');
      const problem = checkExtra(value, key, 2, ctx.limits);
      if (problem) return problem;
      extra ??= {};
      extra[key] = value;
      continue;
    }
    if (value === null || value === undefined) continue; // null means absent
    let checked = checkField(spec, value, ctx);
    if (checked instanceof FieldFailure) return checked.result;
    switch (key) {
      case 'event_type':
        eventType = checked as string;
        break;
      case 'event_id':
        checked = eventId =
          (checked as string).length > 0 ? (checked as string) : uuidv7(ctx.receivedAt);
        break;
      case 'ts':
        ts = checked as number;
        break;
      case 'source':
        checked = source = (checked as string).length > 0 ? (checked as string) : ctx.source;
        break;
      case 'user_id':
        userId = checked as string;
        break;
      case 'session_id':
        sessionId = checked as string;
        break;
    }
    if (json.length > 1) json += ',';
    json += KEY_PREFIX.get(key) ?? `${JSON.stringify(key)}:`;
    json += typeof checked === 'number' ? String(checked) : JSON.stringify(checked);
  }
  if (eventType === undefined || eventType.length === 0) {
    return fail('FIELD_REQUIRED', 'event_type is required', 'event_type');
  }
  if (eventId === undefined) {
    eventId = uuidv7(ctx.receivedAt);
    json += `${json.length > 1 ? ',' : ''}"event_id":"${eventId}"`;
  }
  if (ts === undefined) {
    ts = ctx.receivedAt;
    json += `,"ts":${ts}`;
  }
  json += `,"received_at":${ctx.receivedAt}`;
  if (source === undefined) json += `,"source":${JSON.stringify(ctx.source)}`;
  if (extra) json += `,${JSON.stringify(EXTRA_FIELD)}:${JSON.stringify(extra)}`;
  json += '}';
  // Most events are far below the limit: count UTF-8 bytes only when the string could reach it.
  const bytes = json.length * 3 <= ctx.limits.maxEventBytes ? json.length : Buffer.byteLength(json);
  if (bytes > ctx.limits.maxEventBytes) {
    return fail('EVENT_TOO_LARGE', `the event is larger than ${ctx.limits.maxEventBytes} bytes`);
  }
  return { ok: true, event: { eventId, ts, userId, sessionId, json, bytes } };
}
