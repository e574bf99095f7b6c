import { FIELD_TYPES, FieldFailure } from './field-types.ts';
import { EXTRA_FIELD, FIELD_BY_NAME, SERVER_FIELDS } from './fields.ts';
import type { EventLimits } from './limits.ts';
import type { EventReject } from './rejects.ts';
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
    let checked = FIELD_TYPES[spec.type].accept(spec, value, ctx);
    if (checked instanceof FieldFailure) return { ok: false, reject: checked.reject };
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
