import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject } from 'vitest';
import { compactTable, currentSnapshot, type AppendTarget } from '@loglake/iceberg';
import { findRepoRoot, sparkJars, sparkPython } from '@loglake/stack';
import { test } from '../support/fixtures.ts';
import { useIcebergCatalog } from '../support/iceberg.ts';
import { idsSha256, useTestTables } from '../support/iceberg-writer.ts';

const catalogInfo = useIcebergCatalog();
const tables = useTestTables(catalogInfo);
const HOUR = Date.UTC(2026, 11, 1, 21);
const H = 3_600_000;
const workDir = mkdtempSync(join(tmpdir(), 'iceberg-spark-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface SparkRead {
  readonly snapshot_id: string;
  readonly rows: number;
  readonly distinct_event_ids: number;
  readonly event_ids_sha256: string;
  readonly ts_type: string;
  readonly status_sum: number;
  readonly hour_rows: number;
  readonly hour_scan: { node: string; resultDataFiles?: number; skippedDataFiles?: number };
}

/** Spark (pyspark + iceberg-spark-runtime) reads the given snapshots (null: the current one). */
async function sparkRead(t: AppendTarget, snapshotIds: (bigint | null)[]): Promise<SparkRead[]> {
  const [python, jars] = await Promise.all([sparkPython(), sparkJars()]);
  const s3 = inject('s3');
  const config = {
    catalog_url: catalogInfo().url,
    namespace: t.namespace,
    table: t.table,
    s3_endpoint: s3.endpoint,
    s3_access_key_id: s3.accessKeyId,
    s3_secret_access_key: s3.secretAccessKey,
    s3_region: s3.region,
    hour_ms: HOUR,
    jars,
    snapshot_ids: snapshotIds.map((id) => (id === null ? null : id.toString())),
  };
  const script = join(findRepoRoot(), 'infra', 'spark', 'read_table.py');
  const { stdout } = await promisify(execFile)(python, [script, JSON.stringify(config)], {
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  return (JSON.parse(line) as { reads: SparkRead[] }).reads;
}

describe('Spark, a second engine we did not write', () => {
  test('reads exactly the appended events, before and after compaction, and prunes by hour', async ({
    store,
  }) => {
    const t = await tables.newTable(store.url);
    // Three files in HOUR, two in HOUR + 1.
    for (let i = 0; i < 5; i++) await t.append(10 + i, HOUR + (i % 2 === 1 ? H : 0), i % 2);
    const appended = currentSnapshot(
      await t.catalog.loadTable(t.namespace, t.table).then((l) => l.metadata),
    );
    const hourIds = t.ids.filter((id) => /^p0/.test(id));
    const report = await compactTable(t, { workDir, now: () => HOUR + 10 * H });
    expect(report.committedGroups).toBe(2);
    const [after, before] = await sparkRead(t, [null, appended?.['snapshot-id'] ?? null]);
    const expected = {
      rows: t.ids.length,
      distinct_event_ids: t.ids.length,
      event_ids_sha256: idsSha256(t.ids),
      ts_type: 'timestamp',
      hour_rows: hourIds.length,
      // events() gives event `<tag>-<j>` the status 200 + j.
      status_sum: t.ids.reduce((n, id) => n + 200 + Number(id.split('-').pop()), 0),
    };
    expect(before).toMatchObject({
      ...expected,
      snapshot_id: appended?.['snapshot-id'].toString(),
      // The scan plans only HOUR's three files of five (HOUR + 1's manifests are pruned by their
      // partition summaries before any file is looked at).
      hour_scan: { node: expect.stringMatching(/^BatchScan /) as string, resultDataFiles: 3 },
    });
    expect(after).toMatchObject({
      ...expected,
      snapshot_id: report.snapshotId?.toString(),
      hour_scan: { node: expect.stringMatching(/^BatchScan /) as string, resultDataFiles: 1 },
    });
  });
});
