import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { RestCatalog, createS3FileIO, type FileIO } from '@loglake/iceberg';
import type { KafkaAdmin } from '@loglake/kafka';
import { auditTable, type TableAudit } from '@loglake/lake';
import type { ObjectStore } from '@loglake/object-store';
import { findRepoRoot, pyIcebergPython } from '@loglake/stack';
import { uniqueName } from './fixtures.ts';

/** A table of its own for one test: a fresh namespace, its files under the test's S3 prefix. */
export interface TestTable {
  readonly namespace: string;
  readonly table: string;
  /** `s3://bucket/<test prefix>/events`. */
  readonly location: string;
  /** The table's folder as a key prefix of the test's store. */
  readonly storePrefix: string;
}

export function testTable(store: ObjectStore): TestTable {
  return {
    namespace: uniqueName('ns').replaceAll('-', '_'),
    table: 'events',
    location: `${store.url}/events`,
    storePrefix: 'events/',
  };
}

/** The sink's environment for writing into `t` through the catalog at `catalogUrl`. */
export function icebergSinkEnv(t: TestTable, catalogUrl: string): Record<string, string> {
  return {
    SINK_TABLE_FORMAT: 'iceberg',
    SINK_ICEBERG_CATALOG_URL: catalogUrl,
    SINK_ICEBERG_NAMESPACE: t.namespace,
    SINK_ICEBERG_TABLE: t.table,
    SINK_ICEBERG_LOCATION: t.location,
    SINK_ICEBERG_COMMIT_INTERVAL_MS: '300',
  };
}

export function testFileIO(): FileIO {
  const s3 = inject('s3');
  return createS3FileIO({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** The table as the catalog has it now: counts through the current snapshot, recorded offsets, orphans. */
export async function readTable(
  catalogUrl: string,
  t: TestTable,
  store: ObjectStore,
  topic: string,
): Promise<TableAudit> {
  const catalog = await RestCatalog.connect({
    url: catalogUrl,
    auth: { type: 'none' },
    requestTimeoutMs: 10_000,
  });
  const { metadata } = await catalog.loadTable([t.namespace], t.table);
  const listed: string[] = [];
  for await (const o of store.list(`${t.storePrefix}data/`)) listed.push(`${store.url}/${o.key}`);
  const io = testFileIO();
  try {
    return await auditTable(io, metadata, topic, listed);
  } finally {
    io.close();
  }
}

/** True when the table records the topic's end offset for every partition, and so does the group. */
export async function tableCaughtUp(
  catalogUrl: string,
  t: TestTable,
  store: ObjectStore,
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<boolean> {
  const ends = await admin.topicOffsets(topic);
  const committed = await admin.committedOffsets(groupId, topic);
  const table = await readTable(catalogUrl, t, store, topic);
  return ends.every(
    (e) =>
      table.recorded.get(e.partition)?.toString() === e.high &&
      committed.find((c) => c.partition === e.partition)?.offset === e.high,
  );
}

/** PyIceberg, an engine loglake did not write, reads the table: rows and distinct event ids. */
export async function pyIcebergRead(
  catalogUrl: string,
  t: TestTable,
): Promise<{ rows: number; distinct_event_ids: number; snapshot_id: string }> {
  const s3 = inject('s3');
  const python = await pyIcebergPython();
  const config = {
    catalog_url: catalogUrl,
    namespace: [t.namespace],
    table: t.table,
    s3_endpoint: s3.endpoint,
    s3_access_key_id: s3.accessKeyId,
    s3_secret_access_key: s3.secretAccessKey,
    s3_region: s3.region,
    hour_ms: 0,
  };
  const script = join(findRepoRoot(), 'infra', 'pyiceberg', 'read_table.py');
  const { stdout } = await promisify(execFile)(python, [script, JSON.stringify(config)], {
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as { rows: number; distinct_event_ids: number; snapshot_id: string };
}
