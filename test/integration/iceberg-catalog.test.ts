import { createHash } from 'node:crypto';
import { describe, expect } from 'vitest';
import { hasCode, isLoglakeError } from '@loglake/core';
import {
  FIELD_IDS,
  RestCatalog,
  TS_HOUR_FIELD_ID,
  ensureEventTable,
  type CatalogConfig,
} from '@loglake/iceberg';
import { createSigV4Signer } from '@loglake/object-store';
import { test, uniqueName } from '../support/fixtures.ts';
import { s3Uri, useIcebergCatalog } from '../support/iceberg.ts';

const catalogInfo = useIcebergCatalog();
const config = (extra: Partial<CatalogConfig> = {}): CatalogConfig => ({
  url: catalogInfo().url,
  auth: { type: 'none' },
  requestTimeoutMs: 10_000,
  ...extra,
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('Iceberg REST catalog client against the real catalog', () => {
  test('creates the event table once, with its ids and hour(ts), and loads it back', async ({
    store,
  }) => {
    const catalog = await RestCatalog.connect(config());
    const namespace = [uniqueName('ns')];
    const location = s3Uri(store.url.split('/').pop() ?? '', 'events');
    const created = await ensureEventTable(catalog, namespace, 'events', { location });
    const again = await ensureEventTable(catalog, namespace, 'events', { location });
    expect(again.metadata['table-uuid']).toBe(created.metadata['table-uuid']);
    const { metadata } = await catalog.loadTable(namespace, 'events');
    expect(metadata['format-version']).toBe(2);
    expect(metadata.location).toBe(location);
    const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
    expect(schema?.fields.find((f) => f.name === 'ts')).toMatchObject({
      id: FIELD_IDS.ts,
      type: 'timestamptz',
    });
    expect(metadata['last-column-id']).toBe(Math.max(...Object.values(FIELD_IDS)));
    const spec = metadata['partition-specs'].find(
      (s) => s['spec-id'] === metadata['default-spec-id'],
    );
    expect(spec?.fields).toEqual([
      {
        'source-id': FIELD_IDS.ts,
        'field-id': TS_HOUR_FIELD_ID,
        name: 'ts_hour',
        transform: 'hour',
      },
    ]);
    expect(metadata.properties?.['write.metadata.delete-after-commit.enabled']).toBe('true');
    // The catalog wrote the first metadata file into the test's location on the S3 server.
    const keys: string[] = [];
    for await (const o of store.list('events/metadata/')) keys.push(o.key);
    expect(keys.some((k) => k.endsWith('.metadata.json'))).toBe(true);
  });

  test('a commit whose requirement fails is a retryable conflict; one that holds applies', async ({
    store,
  }) => {
    const catalog = await RestCatalog.connect(config());
    const namespace = [uniqueName('ns')];
    const location = s3Uri(store.url.split('/').pop() ?? '', 'events');
    const table = await ensureEventTable(catalog, namespace, 'events', { location });
    const uuid = table.metadata['table-uuid'];
    const applied = await catalog.commitTable(namespace, 'events', {
      requirements: [{ type: 'assert-table-uuid', uuid }],
      updates: [{ action: 'set-properties', updates: { 'loglake.test': 'one' } }],
    });
    expect(applied.metadata.properties?.['loglake.test']).toBe('one');
    const conflict = await caught(
      catalog.commitTable(namespace, 'events', {
        requirements: [
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 7635660646343998149n },
        ],
        updates: [{ action: 'set-properties', updates: { 'loglake.test': 'two' } }],
      }),
    );
    expect(hasCode(conflict, 'LOGLAKE_ICEBERG_COMMIT_CONFLICT')).toBe(true);
    expect(isLoglakeError(conflict) && conflict.retryable).toBe(true);
    const { metadata } = await catalog.loadTable(namespace, 'events');
    expect(metadata.properties?.['loglake.test']).toBe('one');
  });

  test('a missing table is NOT_FOUND; OAuth2 client credentials get a token the catalog accepts', async () => {
    let tokenRequests = 0;
    let bearer: string | undefined;
    const counting: typeof fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.endsWith('/v1/oauth/tokens')) tokenRequests += 1;
      else bearer = new Headers(init?.headers).get('authorization') ?? undefined;
      return fetch(input, init);
    };
    const catalog = await RestCatalog.connect(
      config({
        auth: { type: 'oauth2', clientId: 'sink', clientSecret: 'secret', scope: 'catalog' },
      }),
      { fetch: counting },
    );
    const missing = await caught(catalog.loadTable([uniqueName('ns')], 'nothing'));
    expect(hasCode(missing, 'LOGLAKE_ICEBERG_NOT_FOUND')).toBe(true);
    await catalog.ensureNamespace([uniqueName('ns')]);
    expect(tokenRequests).toBe(1);
    expect(bearer).toMatch(/^Bearer \S+$/);
  });

  test("SigV4: every request goes out signed as sent, with the AWS default chain's credentials", async () => {
    // The stack's catalog does not check signatures (AWS's do); this proves what reaches the
    // wire: the signed headers are the ones sent and the body hash is of the bytes sent.
    const sent: { method: string; url: string; headers: Headers; body: string }[] = [];
    const recording: typeof fetch = async (input, init) => {
      sent.push({
        method: init?.method ?? 'GET',
        url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        headers: new Headers(init?.headers),
        body: typeof init?.body === 'string' ? init.body : '',
      });
      return fetch(input, init);
    };
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    try {
      const catalog = await RestCatalog.connect(
        config({ auth: { type: 'sigv4', region: 'eu-west-1', service: 'glue' } }),
        { fetch: recording },
      );
      const namespace = [uniqueName('ns'), 'logs'];
      expect(await catalog.ensureNamespace(namespace.slice(0, 1))).toBe(true);
      expect(await catalog.ensureNamespace(namespace)).toBe(true);
      const missing = await caught(catalog.loadTable(namespace, 'nothing'));
      expect(hasCode(missing, 'LOGLAKE_ICEBERG_NOT_FOUND')).toBe(true);
    } finally {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(sent.map((r) => r.method)).toEqual(['GET', 'POST', 'POST', 'GET']);
    const resign = createSigV4Signer({
      region: 'eu-west-1',
      service: 'glue',
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      },
    });
    for (const r of sent) {
      const authorization = r.headers.get('authorization') ?? '';
      expect(authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/glue\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
      );
      const signed = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
      expect(signed).toEqual(
        expect.arrayContaining(['host', 'x-amz-content-sha256', 'x-amz-date']),
      );
      // Every signed header but host (fetch sets it from the URL) is among those sent.
      for (const name of signed) if (name !== 'host') expect(r.headers.has(name)).toBe(true);
      expect(r.headers.get('x-amz-content-sha256')).toBe(
        createHash('sha256').update(r.body).digest('hex'),
      );
      // The signature is of this request as sent: signed again from what was recorded (method,
      // URL, the headers the catalog client set, body, the request's own x-amz-date), it matches.
      const amzDate = r.headers.get('x-amz-date') ?? '';
      const at = new Date(
        amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
      );
      const own: Record<string, string> = {};
      for (const name of ['accept', 'content-type']) {
        const value = r.headers.get(name);
        if (value !== null) own[name] = value;
      }
      const again = await resign(
        { method: r.method, url: r.url, headers: own, ...(r.body ? { body: r.body } : {}) },
        at,
      );
      expect(again.authorization).toBe(authorization);
    }
  });
});
