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

export class GatewayHttpError extends Error {
  readonly code: GatewayErrorCode;
  readonly statusCode: number;
  /** Seconds for the `Retry-After` header (429 and 503). */
  readonly retryAfterS: number | undefined;

  constructor(code: GatewayErrorCode, message: string, retryAfterS?: number) {
    super(message);
    this.name = 'GatewayHttpError';
    this.code = code;
    this.statusCode = GATEWAY_ERRORS[code];
    this.retryAfterS = retryAfterS;
  }
}

export function isGatewayHttpError(value: unknown): value is GatewayHttpError {
  return value instanceof GatewayHttpError;
}
