import { describe, expect, it } from 'vitest';
import { readAvroFile } from './avro.ts';
import type { DataFile } from './data-file.ts';
import { addedManifestFile, readManifestList, writeManifestList } from './manifest-list.ts';
import { ENTRY_ADDED, writeDataManifest } from './manifest.ts';
import { hourSpec } from './partition.ts';
import { FIELD_IDS, eventSchema } from './schema.ts';

const file = (tsHour: number, rows: bigint): DataFile => ({
  filePath: `s3://b/t/data/ts_hour=${tsHour}/f.parquet`,
  tsHour,
  recordCount: rows,
  fileSizeInBytes: 1234n,
  columnSizes: new Map([[FIELD_IDS.status!, 40n]]),
  valueCounts: new Map([[FIELD_IDS.status!, rows]]),
  nullValueCounts: new Map([[FIELD_IDS.status!, 0n]]),
  nanValueCounts: new Map(),
  lowerBounds: new Map([[FIELD_IDS.status!, Buffer.from([200, 0, 0, 0])]]),
  upperBounds: new Map([[FIELD_IDS.status!, Buffer.from([244, 1, 0, 0])]]),
});

describe('manifests', () => {
  it('list added files with inherited snapshot id and sequence numbers, and the required metadata', async () => {
    const bytes = writeDataManifest(eventSchema(), hourSpec(), [
      file(493_000, 3n),
      file(493_001, 2n),
    ]);
    const { metadata, records } = await readAvroFile(bytes);
    expect(metadata).toMatchObject({
      'schema-id': '0',
      'partition-spec-id': '0',
      'format-version': '2',
      content: 'data',
    });
    expect(JSON.parse(metadata['partition-spec'] ?? '')).toEqual(hourSpec().fields);
    expect(JSON.parse(metadata.schema ?? '').fields).toHaveLength(Object.keys(FIELD_IDS).length);
    expect(records[0]).toMatchObject({
      status: ENTRY_ADDED,
      snapshot_id: null,
      sequence_number: null,
      file_sequence_number: null,
    });
    expect(records.map((r) => (r.data_file as Record<string, unknown>).partition)).toEqual([
      { ts_hour: 493_000 },
      { ts_hour: 493_001 },
    ]);
    expect((records[1]?.data_file as Record<string, unknown>).upper_bounds).toEqual([
      { key: FIELD_IDS.status, value: Buffer.from([244, 1, 0, 0]) },
    ]);
  });

  it('a manifest list keeps the new manifest first and the parent entries as they were', async () => {
    const parentEntry = addedManifestFile({
      path: 's3://b/t/metadata/old.avro',
      length: 10,
      specId: 0,
      sequenceNumber: 1n,
      snapshotId: 5n,
      files: [file(7, 1n)],
    });
    const added = addedManifestFile({
      path: 's3://b/t/metadata/new.avro',
      length: 20,
      specId: 0,
      sequenceNumber: 2n,
      snapshotId: 7635660646343998149n,
      files: [file(9, 2n), file(8, 3n)],
    });
    expect(added).toMatchObject({
      added_files_count: 2,
      added_rows_count: 5n,
      min_sequence_number: 2n,
    });
    expect(added.partitions?.[0]?.lower_bound?.readInt32LE()).toBe(8);
    expect(added.partitions?.[0]?.upper_bound?.readInt32LE()).toBe(9);
    const bytes = writeManifestList({
      snapshotId: 7635660646343998149n,
      parentSnapshotId: 5n,
      sequenceNumber: 2n,
      manifests: [added, parentEntry],
    });
    expect((await readAvroFile(bytes)).metadata).toEqual({
      'snapshot-id': '7635660646343998149',
      'parent-snapshot-id': '5',
      'sequence-number': '2',
      'format-version': '2',
    });
    expect(await readManifestList(bytes)).toEqual([added, parentEntry]);
  });
});
