import { describe, expect, it } from 'vitest';
import { catalogHttpError, catalogNetworkError } from './errors.ts';

const body = {
  error: {
    message: 'Requirement failed: branch main has changed',
    type: 'CommitFailedException',
    code: 409,
  },
};

describe('catalog errors', () => {
  it('409 is a retryable conflict on commit and "already exists" elsewhere', () => {
    const conflict = catalogHttpError('commit', 409, body, 'commit db.events');
    expect(conflict.code).toBe('LOGLAKE_ICEBERG_COMMIT_CONFLICT');
    expect(conflict.retryable).toBe(true);
    expect(conflict.message).toContain('branch main has changed');
    expect(catalogHttpError('create-table', 409, body, 'x').code).toBe(
      'LOGLAKE_ICEBERG_ALREADY_EXISTS',
    );
  });

  it.each([500, 502, 503, 504])('%i on commit leaves the commit state unknown', (status) => {
    const e = catalogHttpError('commit', status, null, 'commit');
    expect(e.code).toBe('LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN');
    expect(e.retryable).toBe(true);
  });

  it('5xx elsewhere is unavailable, 401/403/419 auth, 404 not found, 400 refused', () => {
    expect(catalogHttpError('load-table', 503, null, 'x').code).toBe('LOGLAKE_ICEBERG_UNAVAILABLE');
    for (const s of [401, 403, 419])
      expect(catalogHttpError('load-table', s, null, 'x').code).toBe('LOGLAKE_ICEBERG_AUTH_FAILED');
    expect(catalogHttpError('load-table', 404, null, 'x').code).toBe('LOGLAKE_ICEBERG_NOT_FOUND');
    const refused = catalogHttpError('commit', 400, null, 'x');
    expect(refused.code).toBe('LOGLAKE_ICEBERG_REQUEST_FAILED');
    expect(refused.retryable).toBe(false);
  });

  it('a commit that timed out or was reset has an unknown state; one that was refused did not happen', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(catalogNetworkError('commit', timeout, 'c').code).toBe(
      'LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN',
    );
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
    });
    expect(catalogNetworkError('commit', reset, 'c').code).toBe(
      'LOGLAKE_ICEBERG_COMMIT_STATE_UNKNOWN',
    );
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
    });
    expect(catalogNetworkError('commit', refused, 'c').code).toBe('LOGLAKE_ICEBERG_UNAVAILABLE');
    expect(catalogNetworkError('load-table', reset, 'c').code).toBe('LOGLAKE_ICEBERG_UNAVAILABLE');
  });
});
