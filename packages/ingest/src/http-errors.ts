import { LoglakeError, hasCode } from '@loglake/core';
import type { EventReject } from '@loglake/events';
/**
 * Every error the gateway answers with: one registry, code → HTTP status. The fastify error
 * handler is the only place that turns these into responses.
 */
export const GATEWAY_ERRORS = {
  INVALID_JSON: 400,
  INVALID_UTF8: 400,
  INVALID_COMPRESSION: 400,
  EMPTY_BODY: 400,
  ALL_EVENTS_INVALID: 400,
  API_KEY_MISSING: 401,
  API_KEY_INVALID: 401,
  NOT_FOUND: 404,
  BODY_TOO_LARGE: 413,
  DECOMPRESSED_TOO_LARGE: 413,
  TOO_MANY_EVENTS: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_ENCODING: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  OVERLOADED: 503,
  KAFKA_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** An event of a request that was not accepted: where it was, and why. */
export interface RejectedEvent extends EventReject {
  readonly index: number;
}

/**
 * A request the gateway refuses: `LOGLAKE_GATEWAY_REFUSED`, with the public `reason` the client
 * reads in the JSON body, its HTTP status, and (429, 503) when to try again. Retryable exactly when
 * a `Retry-After` is given.
 */
export class GatewayHttpError extends LoglakeError {
  readonly reason: GatewayErrorCode;
  readonly statusCode: number;
  /** Seconds for the `Retry-After` header (429 and 503). */
  readonly retryAfterS: number | undefined;
  /** The request's events that were refused (`ALL_EVENTS_INVALID`). */
  readonly rejected: readonly RejectedEvent[];
  /** The id given to the request, once it had one. */
  readonly requestId: string | undefined;

  constructor(
    reason: GatewayErrorCode,
    message: string,
    retryAfterS?: number,
    detail: { readonly rejected?: readonly RejectedEvent[]; readonly requestId?: string } = {},
  ) {
    super('LOGLAKE_GATEWAY_REFUSED', message, { retryable: retryAfterS !== undefined });
    this.name = 'GatewayHttpError';
    this.reason = reason;
    this.statusCode = GATEWAY_ERRORS[reason];
    this.retryAfterS = retryAfterS;
    this.rejected = detail.rejected ?? [];
    this.requestId = detail.requestId;
  }
}

export function isGatewayHttpError(value: unknown): value is GatewayHttpError {
  return hasCode(value, 'LOGLAKE_GATEWAY_REFUSED') && 'reason' in value;
}
