import { createHash, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, inject } from 'vitest';
import {
  RestCatalog,
  createDataFileWriter,
  createS3UpkeepIO,
  ensureEventTable,
  fastAppend,
  type AppendResult,
  type AppendTarget,
  type DataFile,
  type DataFileWriter,
  type UpkeepFileIO,
} from '@loglake/iceberg';
import { findRepoRoot, pyIcebergPython } from '@loglake/stack';
import { uniqueName } from './fixtures.ts';
import { s3Uri } from './iceberg.ts';
import type { IcebergCatalogInfo } from '@loglake/stack';

export const TOPIC = 'log-data';

/** A table of the test's own, with a writer of small appends (each with its Kafka range). */
export interface TestTable extends AppendTarget {
  readonly io: UpkeepFileIO;
  readonly location: string;
  /** Every event id appended so far through `append`. */
  readonly ids: string[];
  /** Next offset of each partition. */
  readonly next: Map<number, bigint>;
  /** Appends `n` events of the hour starting at `hourMs` as one file, range of `partition`. */
  append(n: number, hourMs: number, partition?: number): Promise<AppendResult>;
  /** The same table through another catalog client (e.g. one whose fetch interleaves a commit). */
  withFetch(fetchFn: typeof fetch): Promise<AppendTarget & { readonly io: UpkeepFileIO }>;
}

export function events(n: number, hourStartMs: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      event_id: `${tag}-${i}`,
      event_type: i % 2 === 0 ? 'click' : 'log',
      ts: hourStartMs + i * 1000,
      received_at: hourStartMs + i * 1000 + 7,
      status: 200 + (i % 300),
      campaign_id: 9007199254740000 + i,
      message: `message ${i} ${'x'.repeat(i % 50)}`,
    }),
  );
}

/** SHA-256 of the sorted ids joined by newlines, as infra/pyiceberg/scan_table.py prints it. */
export function idsSha256(ids: readonly string[]): string {
  return createHash('sha256')
    .update([...ids].sort().join('\n'))
    .digest('hex');
}

/** Data file writer, S3 IO and a table factory for one test file. */
export function useTestTables(catalogInfo: () => IcebergCatalogInfo) {
  let dir = '';
  let writer: DataFileWriter;
  let io: UpkeepFileIO;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iceberg-upkeep-'));
    writer = await createDataFileWriter({ threads: 1, memoryLimitMb: 256 });
    const s3 = inject('s3');
    io = createS3UpkeepIO({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
  });
  afterAll(() => {
    writer.close();
    io.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const connect = (fetchFn?: typeof fetch) =>
    RestCatalog.connect(
      { url: catalogInfo().url, auth: { type: 'none' }, requestTimeoutMs: 20_000 },
      fetchFn ? { fetch: fetchFn } : {},
    );

  async function dataFile(location: string, lines: string[]): Promise<DataFile> {
    const local = join(dir, `${randomUUID()}.parquet`);
    const written = await writer.write(lines, local);
    const filePath = `${location}/data/ts_hour=${written.tsHour}/${randomUUID()}.parquet`;
    await io.upload(filePath, local);
    rmSync(local, { force: true });
    return { ...written, filePath };
  }

  /** `plainName`: a namespace of letters, digits and `_` only (as SINK_ICEBERG_NAMESPACE takes). */
  async function newTable(storeUrl: string, plainName = false): Promise<TestTable> {
    const catalog = await connect();
    const name = uniqueName('ns');
    const namespace = [plainName ? name.replaceAll('-', '_') : name];
    const location = s3Uri(storeUrl.split('/').pop() ?? '', 'events');
    await ensureEventTable(catalog, namespace, 'events', { location });
    const ids: string[] = [];
    const next = new Map<number, bigint>();
    const t: TestTable = {
      catalog,
      io,
      namespace,
      table: 'events',
      location,
      ids,
      next,
      async append(n, hourMs, partition = 0) {
        const first = next.get(partition) ?? 0n;
        const tag = `p${partition}o${first}`;
        const lines = events(n, hourMs, tag);
        const result = await fastAppend(t, {
          files: [await dataFile(location, lines)],
          kafka: {
            topic: TOPIC,
            ranges: [{ partition, first, next: first + BigInt(n) }],
          },
        });
        next.set(partition, first + BigInt(n));
        ids.push(...lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id));
        return result;
      },
      async withFetch(fetchFn) {
        return { catalog: await connect(fetchFn), io, namespace, table: 'events' };
      },
    };
    return t;
  }

  return { newTable, io: () => io };
}

export interface ScanResult {
  readonly snapshot_id: string;
  readonly rows: number;
  readonly distinct_event_ids: number;
  readonly event_ids_sha256: string;
  readonly files: number;
}

/** PyIceberg's view of the table (current snapshot, or `snapshotId`). */
export async function pyIcebergScan(
  catalogUrl: string,
  t: AppendTarget,
  snapshotId?: bigint,
): Promise<ScanResult> {
  const python = await pyIcebergPython();
  const s3 = inject('s3');
  const config = {
    catalog_url: catalogUrl,
    namespace: t.namespace,
    table: t.table,
    s3_endpoint: s3.endpoint,
    s3_access_key_id: s3.accessKeyId,
    s3_secret_access_key: s3.secretAccessKey,
    s3_region: s3.region,
    ...(snapshotId === undefined ? {} : { snapshot_id: snapshotId.toString() }),
  };
  const script = join(findRepoRoot(), 'infra', 'pyiceberg', 'scan_table.py');
  const { stdout } = await promisify(execFile)(python, [script, JSON.stringify(config)], {
    timeout: 120_000,
  });
  return JSON.parse(stdout) as ScanResult;
}
