import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLoglakeError } from '@loglake/core';
import { createAuthenticator } from './auth.ts';

const deps = { fetch, now: Date.now, requestTimeoutMs: 1000 };
const request = {
  method: 'GET',
  url: 'https://glue.eu-west-1.amazonaws.com/iceberg/v1/config',
  headers: {},
};

describe('createAuthenticator, sigv4', () => {
  const names = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_CONFIG_FILE',
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_EC2_METADATA_DISABLED',
  ] as const;
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    for (const n of names) delete process.env[n];
    // No source the default chain could find: no keys, no files, no metadata service.
    process.env.AWS_CONFIG_FILE = '/nonexistent/loglake-test-config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/loglake-test-credentials';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterEach(() => {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  });

  it('signs with credentials from the environment', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    const auth = createAuthenticator(
      { type: 'sigv4', region: 'eu-west-1', service: 'glue' },
      '',
      deps,
    );
    const headers = await auth.headers(request);
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/glue\/aws4_request, /,
    );
  });

  it('no credentials anywhere: an auth failure that retrying will not fix, nothing sent', async () => {
    const auth = createAuthenticator(
      { type: 'sigv4', region: 'eu-west-1', service: 'glue' },
      '',
      deps,
    );
    const error = await auth.headers(request).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLoglakeError(error) && error.code).toBe('LOGLAKE_ICEBERG_AUTH_FAILED');
    expect(isLoglakeError(error) && error.retryable).toBe(false);
  });
});
