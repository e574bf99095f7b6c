import { describe, expect, it } from 'vitest';
import type { DataFile } from './data-file.ts';
import type { FileIO } from './file-io.ts';
import { addedManifestFile, readManifestList, writeManifestList } from './manifest-list.ts';
import {
  ENTRY_DELETED,
  ENTRY_EXISTING,
  readManifestEntries,
  readSnapshotManifests,
  rewrittenManifestFile,
  writeRewrittenManifest,
} from './manifest-entries.ts';
import { ENTRY_ADDED, writeDataManifest } from './manifest.ts';
import { hourSpec } from './partition.ts';
import { FIELD_IDS, eventSchema } from './schema.ts';
import type { Snapshot } from './types.ts';

const file = (name: string, tsHour: number, rows: bigint): DataFile => ({
  filePath: `s3://b/t/data/ts_hour=${tsHour}/${name}.parquet`,
  tsHour,
  recordCount: rows,
  fileSizeInBytes: 1000n + rows,
  columnSizes: new Map([[FIELD_IDS.status!, 40n]]),
  valueCounts: new Map([[FIELD_IDS.status!, rows]]),
  nullValueCounts: new Map([[FIELD_IDS.status!, 0n]]),
  nanValueCounts: new Map(),
  lowerBounds: new Map([[FIELD_IDS.status!, Buffer.from([200, 0, 0, 0])]]),
  upperBounds: new Map([[FIELD_IDS.status!, Buffer.from([244, 1, 0, 0])]]),
});

function memoryIO(): FileIO & { files: Map<string, Buffer> } {
  const files = new Map<string, Buffer>();
  return {
    files,
    write: async (uri, bytes) => void files.set(uri, bytes),
    upload: async () => {},
    read: async (uri) => {
      const b = files.get(uri);
      if (!b) throw new Error(`no ${uri}`);
      return b;
    },
    close: () => {},
  };
}

describe('manifest entries', () => {
  it('inherit snapshot id and sequence numbers of ADDED entries from the manifest list', async () => {
    const bytes = writeDataManifest(eventSchema(), hourSpec(), [
      file('a', 7, 3n),
      file('b', 8, 2n),
    ]);
    const listed = addedManifestFile({
      path: 's3://b/t/metadata/m.avro',
      length: bytes.length,
      specId: 0,
      sequenceNumber: 4n,
      snapshotId: 99n,
      files: [file('a', 7, 3n), file('b', 8, 2n)],
    });
    const entries = await readManifestEntries(bytes, listed);
    expect(
      entries.map((e) => [e.status, e.snapshotId, e.sequenceNumber, e.fileSequenceNumber]),
    ).toEqual([
      [ENTRY_ADDED, 99n, 4n, 4n],
      [ENTRY_ADDED, 99n, 4n, 4n],
    ]);
    expect(entries.map((e) => [e.tsHour, e.recordCount])).toEqual([
      [7, 3n],
      [8, 2n],
    ]);
  });

  it('rewrite a manifest with kept files EXISTING and removed ones DELETED, sequence numbers explicit', async () => {
    const io = memoryIO();
    const first = writeDataManifest(eventSchema(), hourSpec(), [
      file('a', 7, 3n),
      file('b', 7, 2n),
      file('c', 8, 5n),
    ]);
    await io.write('s3://b/t/metadata/m1.avro', first);
    const m1 = addedManifestFile({
      path: 's3://b/t/metadata/m1.avro',
      length: first.length,
      specId: 0,
      sequenceNumber: 1n,
      snapshotId: 11n,
      files: [file('a', 7, 3n), file('b', 7, 2n), file('c', 8, 5n)],
    });
    await io.write(
      's3://b/t/metadata/l1.avro',
      writeManifestList({
        snapshotId: 11n,
        parentSnapshotId: null,
        sequenceNumber: 1n,
        manifests: [m1],
      }),
    );
    const snapshot = { 'manifest-list': 's3://b/t/metadata/l1.avro' } as Snapshot;
    const { entries } = await readSnapshotManifests(io, snapshot);
    const old = entries.get(m1.manifest_path) ?? [];
    const carried = old.map((entry) => ({
      entry,
      status: entry.tsHour === 7 ? ENTRY_DELETED : ENTRY_EXISTING,
    })) as { entry: (typeof old)[number]; status: 0 | 2 }[];
    const bytes = writeRewrittenManifest(eventSchema(), hourSpec(), 22n, carried);
    const listed = rewrittenManifestFile({
      path: 's3://b/t/metadata/m2.avro',
      length: bytes.length,
      specId: 0,
      sequenceNumber: 3n,
      snapshotId: 22n,
      entries: carried,
    });
    expect(listed).toMatchObject({
      added_files_count: 0,
      existing_files_count: 1,
      deleted_files_count: 2,
      existing_rows_count: 5n,
      deleted_rows_count: 5n,
      sequence_number: 3n,
      min_sequence_number: 1n,
      added_snapshot_id: 22n,
    });
    // Through a list and back, as a reader would see it.
    const list = writeManifestList({
      snapshotId: 22n,
      parentSnapshotId: 11n,
      sequenceNumber: 3n,
      manifests: [listed],
    });
    const [again] = await readManifestList(list);
    const read = await readManifestEntries(bytes, again!);
    expect(
      read.map((e) => [
        e.filePath.split('/').pop(),
        e.status,
        e.snapshotId,
        e.sequenceNumber,
        e.fileSequenceNumber,
      ]),
    ).toEqual([
      ['a.parquet', ENTRY_DELETED, 22n, 1n, 1n],
      ['b.parquet', ENTRY_DELETED, 22n, 1n, 1n],
      ['c.parquet', ENTRY_EXISTING, 11n, 1n, 1n],
    ]);
    // The file's statistics travel unchanged.
    expect(read[2]?.dataFile.lower_bounds).toEqual(old[2]?.dataFile.lower_bounds);
    expect(read[2]?.dataFile.partition).toEqual({ ts_hour: 8 });
  });
});
