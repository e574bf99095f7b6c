import { LoglakeError, type ErrorCode } from '@loglake/core';

/** What a request was, for choosing between "conflict" and "already exists", and for messages. */
export type CatalogOperation =
  'config' | 'token' | 'namespace' | 'create-table' | 'load-table' | 'commit';

interface ErrorModel {
  readonly message?: string;
  readonly type?: string;
}

function errorModel(body: unknown): ErrorModel {
  if (typeof body !== 'object' || body === null) return {};
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const { message, type } = error as Record<string, unknown>;
  return {
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof type === 'string' ? { type } : {}),
  };
}

/**
 * The one place that turns a catalog's HTTP answer into a coded error (REST OpenAPI):
 * 401/403/419 auth; 404 not found; 409 already exists on create, a failed requirement on commit
 * (retryable: reload and try again); any 5xx on commit means the commit state is unknown (it may
 * have been applied: look for it in the table before retrying); other 5xx unavailable (retryable);
 * other 4xx a request the catalog refuses.
 */
export function catalogHttpError(
  operation: CatalogOperation,
  status: number,
  body: unknown,
  what: string,
): LoglakeError {
  const model = errorModel(body);
  const detail = `${what}: HTTP ${status}${model.type ? ` ${model.type}` : ''}${model.message ? `: ${model.message}` : ''}`;
  const details = { status, operation, ...(model.type ? { type: model.type } : {}) };
  const make = (code: ErrorCode, retryable: boolean) =>
    new LoglakeError(code, detail, { retryable, details });
  if (status === 401 || status === 403 || status === 419)
    return make('LOGLAKE_ICEBERG_AUTH_FAILED', false);
  if (status === 404) return make('LOGLAKE_ICEBERG_NOT_FOUND', false);
  if (status === 409) {
    return operation === 'commit'
      ? make('LOGLAKE_ICEBERG_COMMIT_CONFLICT', true)
      : make('LOGLAKE_ICEBERG_ALREADY_EXISTS', false);
  }
  if (status >= 500) {
    return operation === 'commit'
      ? make('LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN', true)
      : make('LOGLAKE_ICEBERG_UNAVAILABLE', true);
  }
  return make('LOGLAKE_ICEBERG_REQUEST_FAILED', false);
}

/** Network error codes that prove the request never reached the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function causeCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A request that got no answer (time-out, reset, refused). A commit that may have reached the
 * server has an unknown state; one that provably did not (connection refused, no such host) and
 * every other request is simply unavailable.
 */
export function catalogNetworkError(
  operation: CatalogOperation,
  error: unknown,
  what: string,
): LoglakeError {
  const code = causeCode(error);
  const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
  const reason = timedOut
    ? 'no answer in time'
    : (code ?? (error instanceof Error ? error.message : String(error)));
  const unknown = operation === 'commit' && (timedOut || code === undefined || !NOT_SENT.has(code));
  return new LoglakeError(
    unknown ? 'LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN' : 'LOGLAKE_ICEBERG_UNAVAILABLE',
    `${what}: ${reason}`,
    { retryable: true, cause: error, details: { operation } },
  );
}

/**
 * A SigV4 signature that could not be made; nothing was sent. The default chain found no
 * credentials in any source (a CredentialsProviderError): nothing changes until someone acts, so
 * not retryable, like a 403. Any other failure (the instance metadata service or STS not
 * answering) may pass: retryable.
 */
export function catalogCredentialsError(error: unknown): LoglakeError {
  const what = 'SigV4 signature (AWS credentials)';
  if (error instanceof Error && error.name === 'CredentialsProviderError') {
    return new LoglakeError('LOGLAKE_ICEBERG_AUTH_FAILED', `${what}: ${error.message}`, {
      retryable: false,
      cause: error,
      details: { operation: 'token' },
    });
  }
  return catalogNetworkError('token', error, what);
}
