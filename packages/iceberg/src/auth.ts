import { catalogHttpError, catalogNetworkError } from './errors.ts';
import type { CatalogAuth } from './config.ts';

/** Supplies the `Authorization` header of catalog requests. */
export interface CatalogAuthenticator {
  /** The header value, or undefined for an open catalog. */
  header(): Promise<string | undefined>;
  /** Drops a cached token after a 401, so the next `header()` asks for a new one. */
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
 * `none`, a static bearer token, or OAuth2 client credentials (RFC 6749 §4.4, as Iceberg's REST
 * spec describes for `/v1/oauth/tokens`): the token is fetched on first use, cached, renewed
 * before `expires_in` runs out and after a 401.
 */
export function createAuthenticator(
  auth: CatalogAuth,
  catalogUrl: string,
  deps: AuthDeps,
): CatalogAuthenticator {
  switch (auth.type) {
    case 'none':
      return { header: () => Promise.resolve(undefined), invalidate: () => undefined };
    case 'bearer':
      return { header: () => Promise.resolve(`Bearer ${auth.token}`), invalidate: () => undefined };
    case 'oauth2':
      return clientCredentials(auth, auth.serverUri ?? `${catalogUrl}/v1/oauth/tokens`, deps);
  }
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

  return {
    async header() {
      if (cached && deps.now() < cached.renewAt) return `Bearer ${cached.token}`;
      // One token request at a time, however many requests need it.
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      return `Bearer ${await pending}`;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
