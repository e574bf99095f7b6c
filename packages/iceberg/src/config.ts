import { z } from 'zod';
import { envPositiveInt, parseEnv, type Env } from '@loglake/core';

/** How the client proves who it is to the catalog. */
export type CatalogAuth =
  | { readonly type: 'none' }
  | { readonly type: 'bearer'; readonly token: string }
  | {
      readonly type: 'oauth2';
      readonly clientId: string;
      readonly clientSecret: string;
      /** `scope` of the token request (Iceberg's Java client sends `catalog`). */
      readonly scope: string;
      /** Token endpoint; default `<catalog>/v1/oauth/tokens` (deprecated by the spec, still served). */
      readonly serverUri?: string;
    }
  | {
      /** AWS Signature V4 with the AWS default credential chain (AWS Glue, S3 Tables). */
      readonly type: 'sigv4';
      readonly region: string;
      /** Signing name: `glue`, `s3tables`, or e.g. `execute-api` for a catalog behind API Gateway. */
      readonly service: string;
    };

export interface CatalogConfig {
  /** Base URL, without `/v1`. */
  readonly url: string;
  /** Sent as `?warehouse=` to `GET /v1/config` (which catalog of a multi-catalog server). */
  readonly warehouse?: string;
  readonly auth: CatalogAuth;
  /** Each request's time limit; a commit that hits it has an unknown state. */
  readonly requestTimeoutMs: number;
}

export interface IcebergTableConfig {
  readonly catalog: CatalogConfig;
  readonly namespace: readonly string[];
  readonly table: string;
}

const AUTH_TYPES = ['none', 'bearer', 'oauth2', 'sigv4'] as const;

/** `glue.<region>.amazonaws.com` and `s3tables.<region>.amazonaws.com` name their signing name and region. */
const AWS_ICEBERG_HOST = /^(glue|s3tables)\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

function awsEndpoint(url: string | undefined): { service: string; region: string } | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined;
  const m = AWS_ICEBERG_HOST.exec(new URL(url).hostname);
  return m?.[1] && m[2] ? { service: m[1], region: m[2] } : undefined;
}

/**
 * `<prefix>ICEBERG_*` variables (the sink uses `SINK_`), parsed once into a frozen config; every
 * problem is listed in one error. For SigV4 the signing name and region come from an AWS Glue or
 * S3 Tables endpoint's host name unless set.
 */
export function parseIcebergEnv(env: Env, prefix = 'SINK_'): IcebergTableConfig {
  const k = (name: string) => `${prefix}ICEBERG_${name}`;
  const schema = z
    .object({
      [k('CATALOG_URL')]: z.url({ protocol: /^https?$/ }),
      [k('WAREHOUSE')]: z.string().optional(),
      [k('NAMESPACE')]: z
        .string()
        .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/)
        .default('loglake'),
      [k('TABLE')]: z
        .string()
        .regex(/^[A-Za-z0-9_]+$/)
        .default('events'),
      [k('AUTH')]: z.enum(AUTH_TYPES).default('none'),
      [k('TOKEN')]: z.string().optional(),
      [k('OAUTH2_CLIENT_ID')]: z.string().optional(),
      [k('OAUTH2_CLIENT_SECRET')]: z.string().optional(),
      [k('OAUTH2_SCOPE')]: z.string().default('catalog'),
      [k('OAUTH2_SERVER_URI')]: z.url({ protocol: /^https?$/ }).optional(),
      [k('SIGV4_REGION')]: z
        .string()
        .regex(/^[a-z0-9-]+$/)
        .optional(),
      [k('SIGV4_SERVICE')]: z
        .string()
        .regex(/^[a-z0-9-]+$/)
        .optional(),
      [k('REQUEST_TIMEOUT_MS')]: envPositiveInt.default(30_000),
    })
    .superRefine(
      (v, ctx) => {
        // Runs even when a field failed (the `when` below), so every problem is listed at once.
        const need = (name: string, why: string) => {
          if (v[k(name)] === undefined)
            ctx.addIssue({ code: 'custom', path: [k(name)], message: `required ${why}` });
        };
        if (v[k('AUTH')] === 'bearer') need('TOKEN', `when ${k('AUTH')}=bearer`);
        if (v[k('AUTH')] === 'oauth2') {
          need('OAUTH2_CLIENT_ID', `when ${k('AUTH')}=oauth2`);
          need('OAUTH2_CLIENT_SECRET', `when ${k('AUTH')}=oauth2`);
        }
        if (v[k('AUTH')] === 'sigv4' && !awsEndpoint(v[k('CATALOG_URL')] as string | undefined)) {
          // A wrong signing name fails every request with a 403: never guessed.
          const why = `when ${k('AUTH')}=sigv4 and the catalog is not an AWS Glue or S3 Tables endpoint`;
          need('SIGV4_REGION', why);
          need('SIGV4_SERVICE', why);
        }
      },
      { when: () => true },
    );
  const v = parseEnv(schema, env, 'iceberg') as Record<string, string | number | undefined>;
  const str = (name: string) => v[k(name)] as string;
  const opt = (name: string) => v[k(name)] as string | undefined;
  const authType = str('AUTH') as (typeof AUTH_TYPES)[number];
  let auth: CatalogAuth;
  if (authType === 'bearer') auth = { type: 'bearer', token: str('TOKEN') };
  else if (authType === 'oauth2') {
    const serverUri = opt('OAUTH2_SERVER_URI');
    auth = {
      type: 'oauth2',
      clientId: str('OAUTH2_CLIENT_ID'),
      clientSecret: str('OAUTH2_CLIENT_SECRET'),
      scope: str('OAUTH2_SCOPE'),
      ...(serverUri ? { serverUri } : {}),
    };
  } else if (authType === 'sigv4') {
    const endpoint = awsEndpoint(str('CATALOG_URL'));
    auth = {
      type: 'sigv4',
      // Set, or read from the endpoint's host name: the refinement above required one of the two.
      region: opt('SIGV4_REGION') ?? (endpoint?.region as string),
      service: opt('SIGV4_SERVICE') ?? (endpoint?.service as string),
    };
  } else auth = { type: 'none' };
  const warehouse = opt('WAREHOUSE');
  return Object.freeze({
    catalog: Object.freeze({
      url: str('CATALOG_URL').replace(/\/+$/, ''),
      ...(warehouse ? { warehouse } : {}),
      auth: Object.freeze(auth),
      requestTimeoutMs: v[k('REQUEST_TIMEOUT_MS')] as number,
    }),
    namespace: Object.freeze(str('NAMESPACE').split('.')),
    table: str('TABLE'),
  });
}

/** The config with secrets replaced, for the one start-up log line. */
export function redactIcebergConfig(config: IcebergTableConfig): unknown {
  const { auth } = config.catalog;
  const redacted =
    auth.type === 'bearer'
      ? { type: 'bearer', token: '[redacted]' }
      : auth.type === 'oauth2'
        ? { ...auth, clientSecret: '[redacted]' }
        : auth;
  return { ...config, catalog: { ...config.catalog, auth: redacted } };
}
