/**
 * One base error for the whole project: a closed list of codes, a `retryable`
 * flag, and a brand check that works across package copies (no `instanceof`).
 */
export const ERROR_CODES = [
  'LOGLAKE_CONFIG_INVALID',
  'LOGLAKE_STACK_START_FAILED',
  'LOGLAKE_STACK_COMMAND_FAILED',
  'LOGLAKE_KAFKA_UNAVAILABLE',
  'LOGLAKE_KAFKA_PRODUCE_FAILED',
  'LOGLAKE_KAFKA_AUTH_FAILED',
  'LOGLAKE_KAFKA_NOT_AUTHORIZED',
  'LOGLAKE_STORE_UNAVAILABLE',
  'LOGLAKE_STORE_WRITE_FAILED',
  'LOGLAKE_STORE_PRECONDITION_FAILED',
  'LOGLAKE_STORE_NOT_FOUND',
  'LOGLAKE_GATEWAY_REFUSED',
  'LOGLAKE_ICEBERG_UNAVAILABLE',
  'LOGLAKE_ICEBERG_AUTH_FAILED',
  'LOGLAKE_ICEBERG_NOT_FOUND',
  'LOGLAKE_ICEBERG_ALREADY_EXISTS',
  'LOGLAKE_ICEBERG_COMMIT_CONFLICT',
  'LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN',
  'LOGLAKE_ICEBERG_REQUEST_FAILED',
  'LOGLAKE_ICEBERG_INVALID_METADATA',
  'LOGLAKE_ICEBERG_OFFSETS_MOVED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const BRAND = Symbol.for('loglake.error');

export interface LoglakeErrorOptions {
  readonly retryable?: boolean;
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

export class LoglakeError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: LoglakeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LoglakeError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

export function isLoglakeError(value: unknown): value is LoglakeError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

export function hasCode(value: unknown, code: ErrorCode): value is LoglakeError {
  return isLoglakeError(value) && value.code === code;
}

/** Message of any thrown value, for logs. */
export function errorMessage(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
