import { describe, expect, it } from 'vitest';
import { parseS3Env } from './config.ts';
import { s3HandlerOptions } from './s3-store.ts';

describe('parseS3Env', () => {
  it('uses path-style addressing for a custom endpoint and virtual-hosted style for AWS', () => {
    expect(parseS3Env({ S3_ENDPOINT: 'http://127.0.0.1:9000' }).forcePathStyle).toBe(true);
    expect(parseS3Env({}).forcePathStyle).toBe(false);
    expect(
      parseS3Env({ S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'false' }).forcePathStyle,
    ).toBe(false);
  });

  it('takes static keys only in pairs, else the default credential chain', () => {
    expect(parseS3Env({}).credentials).toBeUndefined();
    expect(parseS3Env({ S3_ACCESS_KEY_ID: 'a', S3_SECRET_ACCESS_KEY: 'b' }).credentials).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
    expect(() => parseS3Env({ S3_ACCESS_KEY_ID: 'a' })).toThrow(/S3_SECRET_ACCESS_KEY/);
  });

  it('rejects an endpoint that is not a URL', () => {
    expect(() => parseS3Env({ S3_ENDPOINT: 'minio:9000' })).toThrow(/S3_ENDPOINT/);
  });

  it('bounds the wait for a connection and for a silent socket, 5 s and 30 s unless set', () => {
    expect(parseS3Env({})).toMatchObject({ connectionTimeoutMs: 5000, requestTimeoutMs: 30000 });
    expect(
      parseS3Env({ S3_CONNECT_TIMEOUT_MS: '250', S3_REQUEST_TIMEOUT_MS: '1500' }),
    ).toMatchObject({ connectionTimeoutMs: 250, requestTimeoutMs: 1500 });
  });

  it('rejects timeouts that are not positive whole milliseconds, naming each variable', () => {
    expect(() => parseS3Env({ S3_CONNECT_TIMEOUT_MS: '0', S3_REQUEST_TIMEOUT_MS: '2.5' })).toThrow(
      /S3_CONNECT_TIMEOUT_MS[\s\S]*S3_REQUEST_TIMEOUT_MS/,
    );
    expect(() => parseS3Env({ S3_REQUEST_TIMEOUT_MS: '30s' })).toThrow(/S3_REQUEST_TIMEOUT_MS/);
  });

  it("hands the timeouts to the SDK's HTTP handler as connection and socket-inactivity limits", () => {
    const base = { region: 'us-east-1', forcePathStyle: true };
    expect(s3HandlerOptions({ ...base, connectionTimeoutMs: 250, requestTimeoutMs: 1500 })).toEqual(
      { connectionTimeout: 250, socketTimeout: 1500 },
    );
    // A config built by hand (the local stack, tests) gets the same defaults as the environment.
    expect(s3HandlerOptions(base)).toEqual({ connectionTimeout: 5000, socketTimeout: 30000 });
  });
});
