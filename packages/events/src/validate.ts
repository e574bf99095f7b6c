import { FIELD_TYPES, FieldFailure, type FieldTypeDef } from './field-types.ts';
import { EXTRA_FIELD, FIELD_BY_NAME, SERVER_FIELDS, type FieldSpec } from './fields.ts';
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

/**
 * An accepted event: its id, event time, partition key candidates and the JSON written to Kafka.
 * It is the result itself (`ok: true`), not wrapped: one object per accepted event.
 */
export interface ValidEvent {
  readonly ok: true;
  readonly eventId: string;
  readonly ts: number;
  readonly userId: string | undefined;
  readonly sessionId: string | undefined;
  readonly json: string;
  /** Size of `json` for budgets: its UTF-8 length when near the limit, else its UTF-16 length. */
  readonly bytes: number;
}

export type ValidationResult = ValidEvent | { readonly ok: false; readonly reject: EventReject };

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

/** What the walk does with a declared field's value besides writing it. */
const enum Role {
  Plain,
  EventType,
  EventId,
  Ts,
  Source,
  UserId,
  SessionId,
}

const ROLES: Readonly<Record<string, Role>> = {
  event_type: Role.EventType,
  event_id: Role.EventId,
  ts: Role.Ts,
  source: Role.Source,
  user_id: Role.UserId,
  session_id: Role.SessionId,
};

/** A declared top-level key, looked up once: its check and its `"key":` (names need no escaping). */
interface KeyPlan {
  readonly spec: FieldSpec;
  readonly accept: FieldTypeDef['accept'];
  readonly prefix: string;
  readonly role: Role;
}

/** Client-settable declared fields; server fields and unknown keys are not here (they go to `extra`). */
const PLANS: ReadonlyMap<string, KeyPlan> = new Map(
  [...FIELD_BY_NAME.values()]
    .filter((spec) => !SERVER_FIELDS.has(spec.name))
    .map((spec) => [
      spec.name,
      {
        spec,
        accept: FIELD_TYPES[spec.type].accept,
        prefix: `${JSON.stringify(spec.name)}:`,
        role: ROLES[spec.name] ?? Role.Plain,
      },
    ]),
);

/** Characters JSON.stringify escapes in a well-formed string. */
const NEEDS_ESCAPE = /["\\\x00-\x1f]/;

/** A well-formed string as JSON, as JSON.stringify writes it; most need no escapes and no call. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

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
  // for-in over a parsed JSON object: its own keys, in Object.keys order, without an array.
  for (const key in record) {
    const value = record[key];
    const plan = PLANS.get(key);
    if (plan === undefined || (plan.role === Role.Source && !ctx.allowBodySource)) {
      if (FORBIDDEN_KEYS.has(key)) return fail('FORBIDDEN_KEY', `key "${key}" is not allowed`, key);
      if (!key.isWellFormed())
        return fail('STRING_NOT_WELL_FORMED', 'a key contains a lone UTF-16 surrogate');
      const problem = checkExtra(value, key, 2, ctx.limits);
      if (problem) return problem;
      extra ??= {};
      extra[key] = value;
      continue;
    }
    if (value === null || value === undefined) continue; // null means absent
    let checked = plan.accept(plan.spec, value, ctx);
    if (checked instanceof FieldFailure) return { ok: false, reject: checked.reject };
    switch (plan.role) {
      case Role.Plain:
        break;
      case Role.EventType:
        eventType = checked as string;
        break;
      case Role.EventId:
        checked = eventId =
          (checked as string).length > 0 ? (checked as string) : uuidv7(ctx.receivedAt);
        break;
      case Role.Ts:
        ts = checked as number;
        break;
      case Role.Source:
        checked = source = (checked as string).length > 0 ? (checked as string) : ctx.source;
        break;
      case Role.UserId:
        userId = checked as string;
        break;
      case Role.SessionId:
        sessionId = checked as string;
        break;
    }
    if (json.length > 1) json += ',';
    json += plan.prefix;
    json += typeof checked === 'number' ? String(checked) : jsonString(checked);
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
  if (source === undefined) json += `,"source":${jsonString(ctx.source)}`;
  if (extra) json += `,${JSON.stringify(EXTRA_FIELD)}:${JSON.stringify(extra)}`;
  json += '}';
  // Most events are far below the limit: count UTF-8 bytes only when the string could reach it.
  const bytes = json.length * 3 <= ctx.limits.maxEventBytes ? json.length : Buffer.byteLength(json);
  if (bytes > ctx.limits.maxEventBytes) {
    return fail('EVENT_TOO_LARGE', `the event is larger than ${ctx.limits.maxEventBytes} bytes`);
  }
  return { ok: true, eventId, ts, userId, sessionId, json, bytes };
}
