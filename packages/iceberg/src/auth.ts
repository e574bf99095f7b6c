import { createSigV4Signer, type RequestToSign } from '@loglake/object-store';
import { catalogCredentialsError, catalogHttpError, catalogNetworkError } from './errors.ts';
import type { CatalogAuth } from './config.ts';

/** Authenticates each catalog request. */
export interface CatalogAuthenticator {
  /** The headers to send: the request's own plus its credentials (a token, or a signature of it). */
  headers(request: RequestToSign): Promise<Record<string, string>>;
  /** Drops a cached token after a 401, so the next request asks for a new one. */
  invalidate(): void;
}

export interface AuthDeps {
  readonly fetch: typeof fetch;
  readonly now: () => number;
  readonly requestTimeoutMs: number;
}

/** A token is renewed this long before it expires (or at 90 % of its lifetime, if shorter). */
const RENEW_BEFORE_MS = 60_000;

/**
 * `none`, a static bearer token, OAuth2 client credentials (RFC 6749 §4.4, as Iceberg's REST
 * spec describes for `/v1/oauth/tokens`: the token is fetched on first use, cached, renewed
 * before `expires_in` runs out and after a 401), or AWS SigV4 (each request signed with the
 * AWS default credential chain, for AWS Glue's and S3 Tables' Iceberg endpoints).
 */
export function createAuthenticator(
  auth: CatalogAuth,
  catalogUrl: string,
  deps: AuthDeps,
): CatalogAuthenticator {
  switch (auth.type) {
    case 'none':
      return { headers: (request) => Promise.resolve({ ...request.headers }), invalidate: noop };
    case 'bearer':
      return bearer(() => Promise.resolve(auth.token), noop);
    case 'oauth2':
      return clientCredentials(auth, auth.serverUri ?? `${catalogUrl}/v1/oauth/tokens`, deps);
    case 'sigv4': {
      const sign = createSigV4Signer({ region: auth.region, service: auth.service });
      return {
        async headers(request) {
          try {
            return await sign(request);
          } catch (error) {
            throw catalogCredentialsError(error);
          }
        },
        invalidate: noop,
      };
    }
  }
}

function noop(): void {}

function bearer(token: () => Promise<string>, invalidate: () => void): CatalogAuthenticator {
  return {
    async headers(request) {
      return { ...request.headers, authorization: `Bearer ${await token()}` };
    },
    invalidate,
  };
}

function clientCredentials(
  auth: Extract<CatalogAuth, { type: 'oauth2' }>,
  tokenUrl: string,
  deps: AuthDeps,
): CatalogAuthenticator {
  let cached: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: auth.clientId,
      client_secret: auth.clientSecret,
      scope: auth.scope,
    });
    const what = `OAuth2 token from ${tokenUrl}`;
    let res: Response;
    try {
      res = await deps.fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(deps.requestTimeoutMs),
      });
    } catch (error) {
      throw catalogNetworkError('token', error, what);
    }
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) throw catalogHttpError('token', res.status, json, what);
    const { access_token: token, expires_in: expiresIn } = (json ?? {}) as Record<string, unknown>;
    if (typeof token !== 'string' || token === '') {
      throw catalogHttpError(
        'token',
        502,
        { error: { message: 'no access_token in the answer' } },
        what,
      );
    }
    const lifetimeMs =
      typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn * 1000 : 3_600_000;
    cached = {
      token,
      renewAt: deps.now() + Math.max(lifetimeMs - RENEW_BEFORE_MS, lifetimeMs * 0.9),
    };
    return token;
  }

  return bearer(
    async () => {
      if (cached && deps.now() < cached.renewAt) return cached.token;
      // One token request at a time, however many requests need it.
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    () => {
      cached = undefined;
    },
  );
}
