import { describe, expect, it } from 'vitest';
import { isLoglakeError } from '@loglake/core';
import { parseIcebergEnv, redactIcebergConfig } from './config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    parseIcebergEnv(env);
  } catch (error) {
    if (isLoglakeError(error)) return (error.details?.problems as string[] | undefined) ?? [];
    throw error;
  }
  return [];
}

describe('parseIcebergEnv', () => {
  it('defaults namespace, table, auth and time limit; strips a trailing slash', () => {
    const c = parseIcebergEnv({ SINK_ICEBERG_CATALOG_URL: 'http://127.0.0.1:8181/' });
    expect(c).toEqual({
      catalog: { url: 'http://127.0.0.1:8181', auth: { type: 'none' }, requestTimeoutMs: 30000 },
      namespace: ['loglake'],
      table: 'events',
    });
    expect(Object.isFrozen(c.catalog)).toBe(true);
  });

  it('reads OAuth2 client credentials and redacts the secret', () => {
    const c = parseIcebergEnv({
      SINK_ICEBERG_CATALOG_URL: 'https://catalog.example/api',
      SINK_ICEBERG_NAMESPACE: 'prod.logs',
      SINK_ICEBERG_AUTH: 'oauth2',
      SINK_ICEBERG_OAUTH2_CLIENT_ID: 'sink',
      SINK_ICEBERG_OAUTH2_CLIENT_SECRET: 's3cret',
    });
    expect(c.namespace).toEqual(['prod', 'logs']);
    expect(c.catalog.auth).toEqual({
      type: 'oauth2',
      clientId: 'sink',
      clientSecret: 's3cret',
      scope: 'catalog',
    });
    expect(JSON.stringify(redactIcebergConfig(c))).not.toContain('s3cret');
  });

  it('lists every problem at once', () => {
    const found = problems({ SINK_ICEBERG_AUTH: 'oauth2', SINK_ICEBERG_TABLE: 'bad name' });
    expect(found.some((p) => p.startsWith('SINK_ICEBERG_CATALOG_URL'))).toBe(true);
    expect(found.some((p) => p.startsWith('SINK_ICEBERG_TABLE'))).toBe(true);
    expect(found.some((p) => p.startsWith('SINK_ICEBERG_OAUTH2_CLIENT_ID'))).toBe(true);
    expect(found.some((p) => p.startsWith('SINK_ICEBERG_OAUTH2_CLIENT_SECRET'))).toBe(true);
  });

  it('refuses a bearer auth without a token, and sigv4 without a region', () => {
    const url = { SINK_ICEBERG_CATALOG_URL: 'http://x:8181' };
    expect(problems({ ...url, SINK_ICEBERG_AUTH: 'bearer' })).toEqual([
      'SINK_ICEBERG_TOKEN: required when SINK_ICEBERG_AUTH=bearer',
    ]);
    const why =
      'required when SINK_ICEBERG_AUTH=sigv4 and the catalog is not an AWS Glue or S3 Tables endpoint';
    expect(problems({ ...url, SINK_ICEBERG_AUTH: 'sigv4' })).toEqual([
      `SINK_ICEBERG_SIGV4_REGION: ${why}`,
      `SINK_ICEBERG_SIGV4_SERVICE: ${why}`,
    ]);
    expect(
      problems({ ...url, SINK_ICEBERG_AUTH: 'sigv4', SINK_ICEBERG_SIGV4_REGION: 'eu-west-1' }),
    ).toEqual([`SINK_ICEBERG_SIGV4_SERVICE: ${why}`]);
  });

  it('takes the SigV4 signing name and region from an AWS Glue or S3 Tables endpoint', () => {
    const sigv4 = (env: Record<string, string>) =>
      parseIcebergEnv({ SINK_ICEBERG_AUTH: 'sigv4', ...env }).catalog.auth;
    expect(
      sigv4({ SINK_ICEBERG_CATALOG_URL: 'https://glue.eu-west-1.amazonaws.com/iceberg' }),
    ).toEqual({
      type: 'sigv4',
      region: 'eu-west-1',
      service: 'glue',
    });
    expect(
      sigv4({ SINK_ICEBERG_CATALOG_URL: 'https://s3tables.us-east-2.amazonaws.com/iceberg' }),
    ).toEqual({ type: 'sigv4', region: 'us-east-2', service: 's3tables' });
    expect(
      sigv4({
        SINK_ICEBERG_CATALOG_URL: 'https://abc.execute-api.us-west-2.amazonaws.com/prod',
        SINK_ICEBERG_SIGV4_REGION: 'us-west-2',
        SINK_ICEBERG_SIGV4_SERVICE: 'execute-api',
      }),
    ).toEqual({ type: 'sigv4', region: 'us-west-2', service: 'execute-api' });
    expect(
      sigv4({
        SINK_ICEBERG_CATALOG_URL: 'https://glue.eu-west-1.amazonaws.com/iceberg',
        SINK_ICEBERG_SIGV4_REGION: 'eu-central-1',
        SINK_ICEBERG_SIGV4_SERVICE: 'execute-api',
      }),
    ).toEqual({ type: 'sigv4', region: 'eu-central-1', service: 'execute-api' });
  });
});
