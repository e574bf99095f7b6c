import { z } from 'zod';
import { envBoolean, envPositiveInt, parseEnv, type Env } from '@loglake/core';

/** Defaults of `S3_CONNECT_TIMEOUT_MS` and `S3_REQUEST_TIMEOUT_MS`, also used when a config leaves them unset. */
export const S3_DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
export const S3_DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How to reach an S3-compatible endpoint. Parsed from `S3_*` variables. */
export interface S3ClientConfig {
  /** Unset means AWS's regional endpoint. */
  readonly endpoint?: string;
  readonly region: string;
  /** Unset means the SDK's default credential chain (instance role, profile, …). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly forcePathStyle: boolean;
  /** Longest wait for a TCP (and TLS) connection to be established. Unset: 5000. */
  readonly connectionTimeoutMs?: number;
  /**
   * Longest time a request's socket may stay silent (nothing sent, nothing received) before the
   * attempt fails and is retried. An inactivity limit, not a deadline: a large upload that keeps
   * moving is never cut. Unset: 30000.
   */
  readonly requestTimeoutMs?: number;
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
    S3_CONNECT_TIMEOUT_MS: envPositiveInt.default(S3_DEFAULT_CONNECTION_TIMEOUT_MS),
    S3_REQUEST_TIMEOUT_MS: envPositiveInt.default(S3_DEFAULT_REQUEST_TIMEOUT_MS),
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
    connectionTimeoutMs: v.S3_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: v.S3_REQUEST_TIMEOUT_MS,
  };
}
