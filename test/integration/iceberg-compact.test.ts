import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject } from 'vitest';
import { hasCode } from '@loglake/core';
import {
  compactTable,
  currentSnapshot,
  encodeOffsets,
  expireSnapshots,
  findOrphanFiles,
  compactionCandidates,
  offsetsKey,
  readManifestList,
  recordedOffsets,
  type AppendTarget,
  type TableMetadata,
} from '@loglake/iceberg';
import { findRepoRoot } from '@loglake/stack';
import { test } from '../support/fixtures.ts';
import { useIcebergCatalog } from '../support/iceberg.ts';
import { TOPIC, idsSha256, pyIcebergScan, useTestTables } from '../support/iceberg-writer.ts';

const catalogInfo = useIcebergCatalog();
const tables = useTestTables(catalogInfo);
const HOUR = Date.UTC(2026, 11, 1, 21);
const H = 3_600_000;
/** "Now" for the compactions: hours HOUR and HOUR + 1 are closed, HOUR + 9 is open. */
const NOW = HOUR + 9 * H + 30 * 60_000;
const DAY = 24 * H;

const workDir = mkdtempSync(join(tmpdir(), 'iceberg-compact-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const load = async (t: AppendTarget): Promise<TableMetadata> =>
  (await t.catalog.loadTable(t.namespace, t.table)).metadata;

/** A fetch that runs `interleave` once, just before the first commit request it sees. */
function beforeFirstCommit(
  interleave: () => Promise<unknown>,
): typeof fetch & { ran: () => boolean } {
  let ran = false;
  const f = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    if (!ran && init?.method === 'POST' && String(input).endsWith('/tables/events')) {
      ran = true;
      await interleave();
    }
    return fetch(input, init);
  }) as typeof fetch & { ran: () => boolean };
  f.ran = () => ran;
  return f;
}

describe('compaction, expiry and orphan cleanup against the real catalog and S3', () => {
  test('compaction under concurrent appends keeps every row once and the recorded offsets', async ({
    store,
  }) => {
    const t = await tables.newTable(store.url);
    // 12 small appends over two closed hours and one open hour, partitions 0 and 1.
    for (let i = 0; i < 12; i++)
      await t.append(20 + i, HOUR + (i % 3 === 2 ? 9 : i % 2) * H, i % 2);
    const before = await load(t);
    const oldSnapshot = currentSnapshot(before);
    const oldScan = await pyIcebergScan(catalogInfo().url, t);
    expect(oldScan).toMatchObject({ rows: t.ids.length, distinct_event_ids: t.ids.length });

    // An append lands between compaction's load and its commit (a real 409), and another writer
    // keeps appending while compaction runs.
    const racing = beforeFirstCommit(() => t.append(7, HOUR, 0));
    const compactor = await t.withFetch(racing);
    let planned: () => void = () => {};
    const plannedPromise = new Promise<void>((resolve) => (planned = resolve));
    const appender = (async () => {
      await plannedPromise;
      for (let i = 0; i < 4; i++) await t.append(5, HOUR + H, 1);
    })();
    const [report] = await Promise.all([
      compactTable(compactor, {
        workDir,
        now: () => NOW,
        log: (event) => {
          if (event === 'compaction_planned') planned();
        },
        backoff: () => new Promise((r) => setTimeout(r, 50)),
        maxAttempts: 12,
      }),
      appender,
    ]);
    expect(racing.ran()).toBe(true);
    expect(report.attempts).toBeGreaterThanOrEqual(2);
    // Hours HOUR and HOUR + 1 had 4 files each: two groups; the open hour is left alone.
    expect(report).toMatchObject({
      plannedGroups: 2,
      committedGroups: 2,
      abandonedGroups: 0,
      filesRemoved: 8,
      filesAdded: 2,
    });

    const after = await load(t);
    const compaction = after.snapshots?.find((s) => s['snapshot-id'] === report.snapshotId);
    expect(compaction?.summary).toMatchObject({
      operation: 'replace',
      'added-data-files': '2',
      'deleted-data-files': '8',
    });
    expect(compaction?.summary['added-records']).toBe(compaction?.summary['deleted-records']);
    expect(
      Object.keys(compaction?.summary ?? {}).some((k) => k.startsWith('loglake.offsets')),
    ).toBe(false);
    // The offsets the table records are those of the last append, in the ancestry and the property.
    const expected = new Map(t.next);
    expect(recordedOffsets(after, TOPIC)).toEqual(expected);
    expect(after.properties?.[offsetsKey(TOPIC)]).toBe(encodeOffsets(expected));
    // Every row once: PyIceberg reads exactly the ids we appended.
    const scan = await pyIcebergScan(catalogInfo().url, t);
    expect(scan).toMatchObject({
      rows: t.ids.length,
      distinct_event_ids: t.ids.length,
      event_ids_sha256: idsSha256(t.ids),
    });
    const live = await compactionCandidates(t, after);
    expect(live.reduce((n, f) => n + f.recordCount, 0n)).toBe(BigInt(t.ids.length));
    expect(currentSnapshot(after)?.summary['total-records']).toBe(String(t.ids.length));
    // The compaction snapshot's list carries the appenders' manifests that landed before it.
    const list = await readManifestList(await t.io.read(compaction?.['manifest-list'] ?? ''));
    expect(list[0]?.added_files_count).toBe(2);
    expect(list.filter((m) => m.deleted_files_count > 0).length).toBeGreaterThan(0);

    // A reader holding the old snapshot still reads it (its files are only marked deleted).
    const old = await pyIcebergScan(catalogInfo().url, t, oldSnapshot?.['snapshot-id']);
    expect(old).toEqual(oldScan);

    // Compacting again finds nothing more to do in those hours (one file each, plus new appends
    // of HOUR + 1 written after the plan: those are compacted now).
    const again = await compactTable(t, { workDir, now: () => NOW });
    expect(again.abandonedGroups).toBe(0);
    expect((await pyIcebergScan(catalogInfo().url, t)).event_ids_sha256).toBe(idsSha256(t.ids));
  });

  test('a group whose files another compaction replaced first is abandoned, not applied twice', async ({
    store,
  }) => {
    const t = await tables.newTable(store.url);
    for (let i = 0; i < 4; i++) await t.append(10, HOUR);
    let other: Awaited<ReturnType<typeof compactTable>> | undefined;
    const racing = beforeFirstCommit(async () => {
      other = await compactTable(t, { workDir, now: () => NOW });
    });
    const report = await compactTable(await t.withFetch(racing), {
      workDir,
      now: () => NOW,
      backoff: () => Promise.resolve(),
    });
    expect(other?.committedGroups).toBe(1);
    expect(report).toMatchObject({ snapshotId: null, committedGroups: 0, abandonedGroups: 1 });
    const metadata = await load(t);
    expect(currentSnapshot(metadata)?.['snapshot-id']).toBe(other?.snapshotId);
    expect(currentSnapshot(metadata)?.summary['total-records']).toBe('40');
    const live = await compactionCandidates(t, metadata);
    expect(live).toHaveLength(1);
    expect(live[0]?.recordCount).toBe(40n);
  });

  test('expiry removes old snapshots and their files; offsets survive; orphans only when old', async ({
    store,
  }) => {
    const t = await tables.newTable(store.url);
    for (let i = 0; i < 5; i++) await t.append(10, HOUR, i % 2);
    const appended = await load(t);
    const oldSnapshot = currentSnapshot(appended);
    const oldFiles = await compactionCandidates(t, appended);
    const report = await compactTable(t, { workDir, now: () => NOW });
    expect(report.filesRemoved).toBe(5);

    // Dry run first: says what would go, changes nothing.
    const future = () => Date.now() + 8 * DAY;
    const dry = await expireSnapshots(t, { olderThanMs: 7 * DAY, now: future, dryRun: true });
    expect(dry.expiredSnapshotIds).toHaveLength(5);
    expect((await load(t)).snapshots).toHaveLength(6);

    // Young snapshots are kept; with retainLast 2 one snapshot besides the current stays.
    const young = await expireSnapshots(t, { olderThanMs: 7 * DAY });
    expect(young.expiredSnapshotIds).toEqual([]);
    const expired = await expireSnapshots(t, { olderThanMs: 7 * DAY, retainLast: 2, now: future });
    expect(expired.expiredSnapshotIds).toHaveLength(4);
    expect(expired.expiredSnapshotIds).not.toContain(oldSnapshot?.['snapshot-id']);
    const metadata = await load(t);
    expect(metadata.snapshots?.map((s) => s['snapshot-id'])).toEqual([
      oldSnapshot?.['snapshot-id'],
      report.snapshotId,
    ]);
    // The last append's snapshot is kept, so its files are still referenced: none deleted yet.
    expect(expired.dataFiles).toEqual([]);
    expect(expired.manifestLists).toHaveLength(4);
    const last = await expireSnapshots(t, { olderThanMs: 7 * DAY, retainLast: 1, now: future });
    expect(last.expiredSnapshotIds).toEqual([oldSnapshot?.['snapshot-id']]);
    expect([...last.dataFiles].sort()).toEqual(oldFiles.map((f) => f.filePath).sort());
    for (const f of oldFiles) {
      await expect(t.io.read(f.filePath)).rejects.toSatisfy((e: unknown) =>
        hasCode(e, 'LOGLAKE_STORE_NOT_FOUND'),
      );
    }
    const remaining = await load(t);
    expect(remaining.snapshots).toHaveLength(1);
    // No snapshot carries the offsets key any more: the table property keeps R(p).
    expect(recordedOffsets(remaining, TOPIC)).toEqual(new Map(t.next));
    await expect(
      pyIcebergScan(catalogInfo().url, t, oldSnapshot?.['snapshot-id']),
    ).rejects.toThrow();
    // Orphans: a stray file is left alone while young, found and deleted once old enough.
    const stray = `${t.location}/data/ts_hour=1/stray-${Date.now()}.parquet`;
    await t.io.write(stray, Buffer.from('not referenced'));
    const youngScan = await findOrphanFiles(t, { olderThanMs: 3 * DAY });
    expect(youngScan.orphans.map((o) => o.uri)).not.toContain(stray);
    const later = () => Date.now() + 4 * DAY;
    const dryOrphans = await findOrphanFiles(t, { olderThanMs: 3 * DAY, now: later });
    expect(dryOrphans.orphans.map((o) => o.uri)).toContain(stray);
    await t.io.read(stray);
    const deleted = await findOrphanFiles(t, { olderThanMs: 3 * DAY, now: later, delete: true });
    expect(deleted.orphans.map((o) => o.uri)).toContain(stray);
    await expect(t.io.read(stray)).rejects.toSatisfy((e: unknown) =>
      hasCode(e, 'LOGLAKE_STORE_NOT_FOUND'),
    );
    // Nothing the table references was touched.
    const afterAll = await findOrphanFiles(t, { olderThanMs: 3 * DAY, now: later });
    expect(afterAll.orphans).toEqual([]);
    expect(await pyIcebergScan(catalogInfo().url, t)).toMatchObject({
      rows: t.ids.length,
      distinct_event_ids: t.ids.length,
      event_ids_sha256: idsSha256(t.ids),
    });
  });
});

describe('the upkeep commands', () => {
  test('pnpm lake:compact, lake:expire and lake:orphans run against the table', async ({
    store,
  }) => {
    const t = await tables.newTable(store.url, true);
    for (let i = 0; i < 3; i++) await t.append(10, HOUR, 0);
    const s3 = inject('s3');
    const env = {
      ...process.env,
      SINK_ICEBERG_CATALOG_URL: catalogInfo().url,
      SINK_ICEBERG_NAMESPACE: t.namespace.join('.'),
      SINK_ICEBERG_TABLE: t.table,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    };
    const run = async (script: string, args: string[]) => {
      const path = join(findRepoRoot(), 'services', 'lake-upkeep', 'src', script);
      const { stdout } = await promisify(execFile)('npx', ['tsx', path, ...args], {
        env,
        timeout: 120_000,
      });
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    // HOUR ended long before the default 2 h grace.
    const plan = await run('compact.ts', ['--dry-run']);
    expect(plan).toMatchObject({ plannedGroups: 1, snapshotId: null });
    expect((await load(t)).snapshots).toHaveLength(3);
    const compacted = await run('compact.ts', ['--target-size', '64MiB']);
    expect(compacted).toMatchObject({ committedGroups: 1, filesRemoved: 3, filesAdded: 1 });
    const expired = await run('expire.ts', ['--older-than', '0s', '--retain-last', '1']);
    expect(expired.expiredSnapshotIds).toHaveLength(3);
    expect(expired.dataFiles).toHaveLength(3);
    const orphans = await run('orphans.ts', ['--older-than', '1d']);
    expect(orphans).toMatchObject({ orphans: [], deleted: false });
    expect(recordedOffsets(await load(t), TOPIC)).toEqual(new Map(t.next));
    expect(await pyIcebergScan(catalogInfo().url, t)).toMatchObject({
      rows: 30,
      distinct_event_ids: 30,
      event_ids_sha256: idsSha256(t.ids),
      files: 1,
    });
  });
});

describe('compaction whose commit answer is lost', () => {
  test('a 502 after the catalog applied the replace is found on main, not committed twice', async ({
    store,
  }) => {
    const t = await tables.newTable(store.url);
    for (let i = 0; i < 3; i++) await t.append(10, HOUR, 0);
    let lost = 0;
    const losing = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const res = await fetch(input, init);
      if (
        lost === 0 &&
        init?.method === 'POST' &&
        String(input).endsWith('/tables/events') &&
        res.ok
      ) {
        lost += 1;
        return new Response('{"error":{"message":"bad gateway","type":"BadGateway","code":502}}', {
          status: 502,
        });
      }
      return res;
    }) as typeof fetch;
    const report = await compactTable(await t.withFetch(losing), { workDir, now: () => NOW });
    expect(lost).toBe(1);
    expect(report).toMatchObject({ committedGroups: 1, filesRemoved: 3, attempts: 1 });
    const metadata = await load(t);
    expect(metadata.snapshots).toHaveLength(4);
    expect(currentSnapshot(metadata)?.['snapshot-id']).toBe(report.snapshotId);
    expect(currentSnapshot(metadata)?.summary['total-records']).toBe('30');
    expect(await compactionCandidates(t, metadata)).toHaveLength(1);
  });
});
