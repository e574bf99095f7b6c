import { z } from 'zod';
import { envBoolean, parseEnv, type Env } from '@loglake/core';

/** How to reach an S3-compatible endpoint. Parsed from `S3_*` variables. */
export interface S3ClientConfig {
  /** Unset means AWS's regional endpoint. */
  readonly endpoint?: string;
  readonly region: string;
  /** Unset means the SDK's default credential chain (instance role, profile, …). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly forcePathStyle: boolean;
}

const schema = z
  .object({
    S3_ENDPOINT: z
      .url({
        protocol: /^https?$/,
        message: 'expected an http(s) URL such as http://127.0.0.1:9000',
      })
      .optional(),
    S3_REGION: z.string().default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_FORCE_PATH_STYLE: envBoolean.optional(),
  })
  .superRefine((v, ctx) => {
    if (Boolean(v.S3_ACCESS_KEY_ID) !== Boolean(v.S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({
        code: 'custom',
        path: ['S3_ACCESS_KEY_ID'],
        message:
          'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither for the default chain',
      });
    }
  });

export function parseS3Env(env: Env): S3ClientConfig {
  const v = parseEnv(schema, env, 'S3');
  return {
    ...(v.S3_ENDPOINT ? { endpoint: v.S3_ENDPOINT } : {}),
    region: v.S3_REGION,
    ...(v.S3_ACCESS_KEY_ID && v.S3_SECRET_ACCESS_KEY
      ? {
          credentials: { accessKeyId: v.S3_ACCESS_KEY_ID, secretAccessKey: v.S3_SECRET_ACCESS_KEY },
        }
      : {}),
    // A custom endpoint (MinIO, S3Proxy, versitygw) almost always wants path-style.
    forcePathStyle: v.S3_FORCE_PATH_STYLE ?? v.S3_ENDPOINT !== undefined,
  };
}
