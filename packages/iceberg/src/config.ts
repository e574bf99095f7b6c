import { z } from 'zod';
import { LoglakeError, envPositiveInt, parseEnv, type Env } from '@loglake/core';

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

/**
 * `<prefix>ICEBERG_*` variables (the sink uses `SINK_`), parsed once into a frozen config; every
 * problem is listed in one error. SigV4 (AWS Glue's and S3 Tables' REST endpoints) is refused with
 * a pointer to docs/iceberg.md until it is implemented.
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
        if (v[k('AUTH')] === 'sigv4') {
          ctx.addIssue({
            code: 'custom',
            path: [k('AUTH')],
            message: 'sigv4 (AWS Glue, S3 Tables) is not implemented yet; see docs/iceberg.md',
          });
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
  } else if (authType === 'none') auth = { type: 'none' };
  else throw new LoglakeError('LOGLAKE_CONFIG_INVALID', `unsupported auth ${authType}`);
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
