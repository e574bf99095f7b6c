import { LoglakeError, hasCode } from '@loglake/core';
import { createAuthenticator, type CatalogAuthenticator } from './auth.ts';
import type { CatalogConfig } from './config.ts';
import { catalogHttpError, catalogNetworkError, type CatalogOperation } from './errors.ts';
import { parseJson, stringifyJson } from './json.ts';
import type {
  CommitTableRequest,
  CreateTableRequest,
  LoadedTable,
  TableMetadata,
} from './types.ts';

export interface CatalogDeps {
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

interface CatalogEndpoint {
  /** `<url>/v1/<prefix>` (prefix from `GET /v1/config`, may be empty). */
  readonly base: string;
  /** How levels of a namespace are joined in a path (`%1F` unless the server overrides it). */
  readonly namespaceSeparator: string;
}

/**
 * A client of an Iceberg REST catalog: config, namespaces, create/load a table and commit to it.
 * 64-bit ids travel exactly (`json.ts`); every failure is a coded error (`errors.ts`); a 401 is
 * answered once with a fresh token.
 */
export class RestCatalog {
  private constructor(
    private readonly config: CatalogConfig,
    private readonly endpoint: CatalogEndpoint,
    private readonly auth: CatalogAuthenticator,
    private readonly fetchFn: typeof fetch,
  ) {}

  /** Reads `GET /v1/config` (prefix, overrides) and returns a client bound to it. */
  static async connect(config: CatalogConfig, deps: CatalogDeps = {}): Promise<RestCatalog> {
    const fetchFn = deps.fetch ?? fetch;
    const auth = createAuthenticator(config.auth, config.url, {
      fetch: fetchFn,
      now: deps.now ?? Date.now,
      requestTimeoutMs: config.requestTimeoutMs,
    });
    const bootstrap = new RestCatalog(
      config,
      { base: `${config.url}/v1`, namespaceSeparator: '%1F' },
      auth,
      fetchFn,
    );
    const query = config.warehouse ? `?warehouse=${encodeURIComponent(config.warehouse)}` : '';
    const answer = (await bootstrap.request(
      'config',
      'GET',
      `${config.url}/v1/config${query}`,
    )) as {
      defaults?: Record<string, string>;
      overrides?: Record<string, string>;
    };
    const settings = { ...answer.defaults, ...answer.overrides };
    const prefix = settings.prefix ? `/${settings.prefix.replace(/^\/+|\/+$/g, '')}` : '';
    return new RestCatalog(
      config,
      {
        base: `${config.url}/v1${prefix}`,
        namespaceSeparator: settings['namespace-separator'] ?? '%1F',
      },
      auth,
      fetchFn,
    );
  }

  private namespacePath(namespace: readonly string[]): string {
    return namespace.map(encodeURIComponent).join(this.endpoint.namespaceSeparator);
  }

  private tablePath(namespace: readonly string[], table: string): string {
    return `${this.endpoint.base}/namespaces/${this.namespacePath(namespace)}/tables/${encodeURIComponent(table)}`;
  }

  /** Creates the namespace; false when it existed already. */
  async ensureNamespace(namespace: readonly string[]): Promise<boolean> {
    try {
      await this.request('namespace', 'POST', `${this.endpoint.base}/namespaces`, {
        namespace,
        properties: {},
      });
      return true;
    } catch (error) {
      if (hasCode(error, 'LOGLAKE_ICEBERG_ALREADY_EXISTS')) return false;
      throw error;
    }
  }

  async createTable(
    namespace: readonly string[],
    request: CreateTableRequest,
  ): Promise<LoadedTable> {
    const url = `${this.endpoint.base}/namespaces/${this.namespacePath(namespace)}/tables`;
    return loadedTable(await this.request('create-table', 'POST', url, request));
  }

  async loadTable(namespace: readonly string[], table: string): Promise<LoadedTable> {
    return loadedTable(await this.request('load-table', 'GET', this.tablePath(namespace, table)));
  }

  /**
   * Applies `updates` if every requirement holds. 409: a requirement failed (reload, rebuild,
   * retry). COMMIT_STATE_UNKNOWN (5xx, no answer): it may have been applied; look before retrying.
   */
  async commitTable(
    namespace: readonly string[],
    table: string,
    commit: CommitTableRequest,
  ): Promise<{ metadataLocation: string; metadata: TableMetadata }> {
    const answer = await this.request('commit', 'POST', this.tablePath(namespace, table), commit);
    const { metadataLocation, metadata } = loadedTable(answer);
    return { metadataLocation, metadata };
  }

  private async request(
    operation: CatalogOperation,
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    retriedAuth = false,
  ): Promise<unknown> {
    const what = `${method} ${url}`;
    const json = body === undefined ? undefined : stringifyJson(body);
    const headers = await this.auth.headers({
      method,
      url,
      headers:
        json === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      ...(json === undefined ? {} : { body: json }),
    });
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        ...(json === undefined ? {} : { body: json }),
        signal: AbortSignal.timeout(this.config.requestTimeoutMs),
      });
      text = await res.text();
    } catch (error) {
      throw catalogNetworkError(operation, error, what);
    }
    const parsed = text === '' ? null : safeParse(text);
    if (res.status === 401 && !retriedAuth && this.config.auth.type === 'oauth2') {
      this.auth.invalidate();
      return this.request(operation, method, url, body, true);
    }
    if (!res.ok) throw catalogHttpError(operation, res.status, parsed, what);
    return parsed;
  }
}

function safeParse(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return null;
  }
}

function loadedTable(answer: unknown): LoadedTable {
  const a = (answer ?? {}) as Record<string, unknown>;
  const metadata = a.metadata as TableMetadata | undefined;
  if (typeof a['metadata-location'] !== 'string' || typeof metadata !== 'object') {
    throw new LoglakeError(
      'LOGLAKE_ICEBERG_INVALID_METADATA',
      'the catalog answered without metadata',
    );
  }
  if (metadata['format-version'] !== 2) {
    throw new LoglakeError(
      'LOGLAKE_ICEBERG_INVALID_METADATA',
      `table format version ${String(metadata['format-version'])}: only version 2 is written`,
    );
  }
  return {
    metadataLocation: a['metadata-location'],
    metadata,
    config: (a.config ?? {}) as Record<string, string>,
  };
}
