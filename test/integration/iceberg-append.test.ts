import { mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import { hasCode } from '@loglake/core';
import {
  COMMIT_ID_KEY,
  commitRanges,
  FIELD_IDS,
  RestCatalog,
  createDataFileWriter,
  createS3FileIO,
  currentSnapshot,
  ensureEventTable,
  fastAppend,
  offsetsKey,
  decodeOffsets,
  readAvroFile,
  readManifestList,
  type AppendTarget,
  type DataFile,
  type DataFileWriter,
  type FileIO,
} from '@loglake/iceberg';
import { findRepoRoot, pyIcebergPython } from '@loglake/stack';
import { test, uniqueName } from '../support/fixtures.ts';
import { s3Uri, useIcebergCatalog } from '../support/iceberg.ts';

const catalogInfo = useIcebergCatalog();
const TOPIC = 'log-data';
const HOUR = Date.UTC(2026, 11, 1, 21);

let dir: string;
let writer: DataFileWriter;
let io: FileIO;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iceberg-append-'));
  writer = await createDataFileWriter({ threads: 1, memoryLimitMb: 256 });
  const s3 = inject('s3');
  io = createS3FileIO({
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

function events(n: number, hourStartMs: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      event_id: `${tag}-${i}`,
      event_type: i % 2 === 0 ? 'click' : 'log',
      ts: hourStartMs + i * 1000,
      received_at: hourStartMs + i * 1000 + 7,
      status: 200 + i,
      campaign_id: 9007199254740000 + i,
      message: `message ${i}`,
    }),
  );
}

/** Writes one data file locally and uploads it under the table's data folder. */
async function dataFile(location: string, lines: string[]): Promise<DataFile> {
  const local = join(dir, `${randomUUID()}.parquet`);
  const written = await writer.write(lines, local);
  const filePath = `${location}/data/ts_hour=${written.tsHour}/${randomUUID()}.parquet`;
  await io.upload(filePath, local);
  return { ...written, filePath };
}

async function newTable(
  prefix: string,
  fetchFn?: typeof fetch,
): Promise<AppendTarget & { location: string }> {
  const catalog = await RestCatalog.connect(
    { url: catalogInfo().url, auth: { type: 'none' }, requestTimeoutMs: 10_000 },
    fetchFn ? { fetch: fetchFn } : {},
  );
  const namespace = [uniqueName('ns')];
  const location = s3Uri(prefix, 'events');
  await ensureEventTable(catalog, namespace, 'events', { location });
  return { catalog, io, namespace, table: 'events', location };
}

const prefixOf = (url: string) => url.split('/').pop() ?? '';

describe('fast append into the real catalog', () => {
  test('appends files with Kafka offsets, loads them back, and a zombie range is refused', async ({
    store,
  }) => {
    const t = await newTable(prefixOf(store.url));
    const files = [
      await dataFile(t.location, events(3, HOUR, 'a')),
      await dataFile(t.location, events(2, HOUR + 3_600_000, 'b')),
    ];
    const first = await fastAppend(t, {
      files,
      kafka: {
        topic: TOPIC,
        ranges: [
          { partition: 0, first: 0n, next: 3n },
          { partition: 1, first: 0n, next: 2n },
        ],
      },
    });
    expect(first.attempts).toBe(1);
    expect(first.snapshot['snapshot-id']).toBeGreaterThan(2n ** 32n);

    const loaded = (await t.catalog.loadTable(t.namespace, t.table)).metadata;
    const current = currentSnapshot(loaded);
    // The id the catalog keeps is exactly ours (a Number round-trip would change its low digits).
    expect(current?.['snapshot-id']).toBe(first.snapshot['snapshot-id']);
    expect(current?.['sequence-number']).toBe(1n);
    expect(current?.summary).toMatchObject({
      operation: 'append',
      'added-data-files': '2',
      'added-records': '5',
      'total-records': '5',
      'changed-partition-count': '2',
    });
    expect(current?.summary[COMMIT_ID_KEY]).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeOffsets(current?.summary[offsetsKey(TOPIC)] ?? '{}')).toEqual(
      new Map([
        [0, 3n],
        [1, 2n],
      ]),
    );
    // The same map as a table property, set in the same commit (it survives snapshot expiry).
    expect(loaded.properties?.[offsetsKey(TOPIC)]).toBe(current?.summary[offsetsKey(TOPIC)]);

    const list = await readManifestList(await io.read(current?.['manifest-list'] ?? ''));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      added_files_count: 2,
      added_rows_count: 5n,
      sequence_number: 1n,
      added_snapshot_id: first.snapshot['snapshot-id'],
    });
    const manifest = await readAvroFile(await io.read(list[0]?.manifest_path ?? ''));
    expect(manifest.metadata).toMatchObject({
      'format-version': '2',
      content: 'data',
      'partition-spec-id': '0',
    });
    const entries = manifest.records.map((r) => r.data_file as Record<string, unknown>);
    expect(entries.map((e) => e.file_path)).toEqual(files.map((f) => f.filePath));
    expect(entries.map((e) => e.partition)).toEqual([
      { ts_hour: HOUR / 3_600_000 },
      { ts_hour: HOUR / 3_600_000 + 1 },
    ]);
    expect(entries.map((e) => e.record_count)).toEqual([3n, 2n]);
    expect(entries[0]?.file_size_in_bytes).toBe(files[0]?.fileSizeInBytes);
    const nulls = entries[0]?.null_value_counts as { key: number; value: bigint }[];
    expect(nulls.find((kv) => kv.key === FIELD_IDS.url)?.value).toBe(3n);

    // The next range of partition 0 lands on top; the same range again (a zombie) does not.
    const second = await fastAppend(t, {
      files: [await dataFile(t.location, events(2, HOUR, 'c'))],
      kafka: { topic: TOPIC, ranges: [{ partition: 0, first: 3n, next: 5n }] },
    });
    expect(second.snapshot['parent-snapshot-id']).toBe(first.snapshot['snapshot-id']);
    expect(second.snapshot.summary['total-records']).toBe('7');
    expect(decodeOffsets(second.snapshot.summary[offsetsKey(TOPIC)] ?? '{}')).toEqual(
      new Map([
        [0, 5n],
        [1, 2n],
      ]),
    );
    expect(await readManifestList(await io.read(second.snapshot['manifest-list']))).toHaveLength(2);

    const zombie = fastAppend(t, {
      files: [await dataFile(t.location, events(2, HOUR, 'c'))],
      kafka: { topic: TOPIC, ranges: [{ partition: 0, first: 3n, next: 5n }] },
    });
    await expect(zombie).rejects.toSatisfy((e: unknown) =>
      hasCode(e, 'LOGLAKE_ICEBERG_OFFSETS_MOVED'),
    );
    const after = (await t.catalog.loadTable(t.namespace, t.table)).metadata;
    expect(currentSnapshot(after)?.['snapshot-id']).toBe(second.snapshot['snapshot-id']);
  });

  test('a writer that loses the race to another commit rebuilds on top of it', async ({
    store,
  }) => {
    const prefix = prefixOf(store.url);
    const other = await newTable(prefix);
    let interleaved = false;
    // The first commit request of this writer lets the other writer commit first (a real 409 follows).
    const racing: typeof fetch = async (input, init) => {
      if (!interleaved && init?.method === 'POST' && String(input).endsWith('/tables/events')) {
        interleaved = true;
        await fastAppend(
          { ...other, namespace: t.namespace },
          {
            files: [await dataFile(t.location, events(1, HOUR, 'other'))],
            kafka: { topic: TOPIC, ranges: [{ partition: 2, first: 0n, next: 1n }] },
          },
        );
      }
      return fetch(input, init);
    };
    const t = await newTable(prefix, racing);
    const result = await fastAppend(t, {
      files: [await dataFile(t.location, events(4, HOUR, 'mine'))],
      kafka: { topic: TOPIC, ranges: [{ partition: 0, first: 0n, next: 4n }] },
    });
    expect(interleaved).toBe(true);
    expect(result.attempts).toBe(2);
    const metadata = (await t.catalog.loadTable(t.namespace, t.table)).metadata;
    const mine = currentSnapshot(metadata);
    expect(mine?.['snapshot-id']).toBe(result.snapshot['snapshot-id']);
    const theirs = metadata.snapshots?.find(
      (s) => s['snapshot-id'] === mine?.['parent-snapshot-id'],
    );
    expect(theirs?.summary['added-records']).toBe('1');
    expect(mine?.summary['total-records']).toBe('5');
    expect(decodeOffsets(mine?.summary[offsetsKey(TOPIC)] ?? '{}')).toEqual(
      new Map([
        [0, 4n],
        [2, 1n],
      ]),
    );
    expect(await readManifestList(await io.read(mine?.['manifest-list'] ?? ''))).toHaveLength(2);
  });

  test('a commit whose answer is lost (502 after the catalog applied it) is found, not made twice', async ({
    store,
  }) => {
    let lost = 0;
    const losing: typeof fetch = async (input, init) => {
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
    };
    const t = await newTable(prefixOf(store.url), losing);
    const result = await fastAppend(t, {
      files: [await dataFile(t.location, events(3, HOUR, 'x'))],
      kafka: { topic: TOPIC, ranges: [{ partition: 0, first: 0n, next: 3n }] },
    });
    expect(lost).toBe(1);
    const metadata = (await t.catalog.loadTable(t.namespace, t.table)).metadata;
    expect(metadata.snapshots).toHaveLength(1);
    expect(currentSnapshot(metadata)?.['snapshot-id']).toBe(result.snapshot['snapshot-id']);
    expect(currentSnapshot(metadata)?.summary['total-records']).toBe('3');
  });

  test('one commit for several partitions leaves out the range another writer moved on', async ({
    store,
  }) => {
    const t = await newTable(prefixOf(store.url));
    await fastAppend(t, {
      files: [await dataFile(t.location, events(2, HOUR, 'other'))],
      kafka: { topic: TOPIC, ranges: [{ partition: 1, first: 0n, next: 2n }] },
    });
    const mine = [
      {
        partition: 0,
        first: 0n,
        next: 3n,
        files: [await dataFile(t.location, events(3, HOUR, 'p0'))],
      },
      {
        partition: 1,
        first: 0n,
        next: 2n,
        files: [await dataFile(t.location, events(2, HOUR, 'p1'))],
      },
    ];
    const result = await commitRanges(t, TOPIC, mine);
    expect(result.committed.map((r) => r.partition)).toEqual([0]);
    expect(result.moved.map((m) => [m.range.partition, m.recorded])).toEqual([[1, 2n]]);
    const snapshot = result.append?.snapshot;
    expect(snapshot?.summary['added-records']).toBe('3');
    expect(snapshot?.summary['total-records']).toBe('5');
    expect(decodeOffsets(snapshot?.summary[offsetsKey(TOPIC)] ?? '{}')).toEqual(
      new Map([
        [0, 3n],
        [1, 2n],
      ]),
    );
    const [added] = await readManifestList(await io.read(snapshot?.['manifest-list'] ?? ''));
    const manifest = await readAvroFile(await io.read(added?.manifest_path ?? ''));
    expect(manifest.records.map((r) => (r.data_file as { file_path: string }).file_path)).toEqual(
      mine[0]?.files.map((f) => f.filePath),
    );
  });

  test('a range without rows moves the offsets with an append of no file', async ({ store }) => {
    const t = await newTable(prefixOf(store.url));
    const first = await fastAppend(t, {
      files: [await dataFile(t.location, events(3, HOUR, 'r'))],
      kafka: { topic: TOPIC, ranges: [{ partition: 0, first: 0n, next: 3n }] },
    });
    const empty = await fastAppend(t, {
      files: [],
      kafka: { topic: TOPIC, ranges: [{ partition: 0, first: 3n, next: 9n }] },
    });
    expect(empty.snapshot['parent-snapshot-id']).toBe(first.snapshot['snapshot-id']);
    expect(empty.snapshot.summary).toMatchObject({ 'added-records': '0', 'total-records': '3' });
    const metadata = (await t.catalog.loadTable(t.namespace, t.table)).metadata;
    expect(decodeOffsets(metadata.properties?.[offsetsKey(TOPIC)] ?? '{}')).toEqual(
      new Map([[0, 9n]]),
    );
    const lists = await Promise.all(
      [first, empty].map(async (a) => readManifestList(await io.read(a.snapshot['manifest-list']))),
    );
    expect(lists[1]).toEqual(lists[0]);
    // Records 9..19 deleted from Kafka before they were read: the next range records the loss.
    const afterLoss = await fastAppend(t, {
      files: [],
      kafka: { topic: TOPIC, ranges: [{ partition: 0, first: 20n, next: 22n, lostFrom: 9n }] },
    });
    expect(afterLoss.snapshot.summary[`loglake.losses.${TOPIC}`]).toBe('{"0":[9,20]}');
    expect(decodeOffsets(afterLoss.snapshot.summary[offsetsKey(TOPIC)] ?? '{}').get(0)).toBe(22n);
  });

  test('PyIceberg, an engine we did not write, reads the rows back and prunes by hour', async ({
    store,
  }) => {
    const python = await pyIcebergPython();
    const t = await newTable(prefixOf(store.url));
    const appended = await fastAppend(t, {
      files: [
        await dataFile(t.location, events(3, HOUR, 'p')),
        await dataFile(t.location, events(2, HOUR + 3_600_000, 'q')),
      ],
      kafka: { topic: TOPIC, ranges: [{ partition: 0, first: 0n, next: 5n }] },
    });
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
    };
    const script = join(findRepoRoot(), 'infra', 'pyiceberg', 'read_table.py');
    const { stdout } = await promisify(execFile)(python, [script, JSON.stringify(config)], {
      timeout: 120_000,
    });
    const read = JSON.parse(stdout) as Record<string, unknown>;
    expect(read).toEqual({
      snapshot_id: appended.snapshot['snapshot-id'].toString(),
      rows: 5,
      distinct_event_ids: 5,
      ts_type: 'timestamp[us, tz=UTC]',
      status_sum: 200 + 201 + 202 + 200 + 201,
      hour_rows: 3,
      hour_files: 1,
    });
  });
});
