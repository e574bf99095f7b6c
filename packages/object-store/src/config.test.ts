import { describe, expect, it } from 'vitest';
import { parseS3Env } from './config.ts';

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
});
