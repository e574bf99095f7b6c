import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataFile, DataFileWriter, FileIO, WrittenDataFile } from '@loglake/iceberg';
import { byOffset, encodeRefusing, refusedRow } from './encode-range.ts';
import type { CutRange, PoisonRecord } from './range-buffer.ts';

/** A range's rows as Iceberg data files, written locally (one per hour of `ts`), not yet uploaded. */
export interface LocalDataFiles {
  readonly files: readonly { readonly local: string; readonly file: WrittenDataFile }[];
  /** The range's poison records plus the rows DuckDB refused, in offset order. */
  readonly poison: readonly PoisonRecord[];
  dispose(): Promise<void>;
}

/**
 * Writes each hour bucket of `range` into its own Parquet data file with the table's field ids; rows
 * DuckDB refuses are found by bisection and become dead letters, as in the S3 layout.
 */
export async function writeDataFiles(
  writer: DataFileWriter,
  tmpDir: string,
  range: CutRange,
): Promise<LocalDataFiles> {
  const files: { local: string; file: WrittenDataFile }[] = [];
  const poison: PoisonRecord[] = [...range.poison];
  const dispose = async () => {
    await Promise.all(files.map((f) => rm(f.local, { force: true })));
  };
  try {
    const buckets = [...range.buckets.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [, rows] of buckets) {
      const local = join(tmpDir, `${randomUUID()}.parquet`);
      let written: WrittenDataFile | null = null;
      const out = await encodeRefusing(
        {
          encodeNdjson: async (input, path) => {
            const file = await writer.writeNdjson(input, path);
            if (path === local) written = file;
            return { rows: input.rows, bytes: Number(file.fileSizeInBytes) };
          },
        },
        rows,
        local,
      );
      for (const r of out.refused) poison.push(refusedRow(rows, r));
      const file = written as WrittenDataFile | null;
      if (rows.rows - out.refused.length > 0 && file) files.push({ local, file });
      else await rm(local, { force: true });
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  poison.sort(byOffset);
  // Written: the range's bytes are in the files now, and the range may wait for its table commit
  // for a while; give them back (a write that failed keeps them, for its retry).
  for (const rows of range.buckets.values()) rows.release();
  return { files, poison, dispose };
}

/**
 * Where a data file of a range goes: under the table's `data/`, by hour, named by topic, partition and
 * range plus a UUID (ARCHITECTURE rule 5: a file is visible only through a committed manifest, and two
 * writers of one range never overwrite each other's file).
 */
export function dataFilePath(
  location: string,
  topic: string,
  range: { readonly partition: number; readonly first: bigint; readonly last: bigint },
  tsHour: number,
): string {
  return `${location}/data/ts_hour=${tsHour}/${topic}-p${range.partition}-${range.first}-${range.last}-${randomUUID()}.parquet`;
}

/** Uploads the local files; returns them as manifest entries. */
export async function uploadDataFiles(
  io: FileIO,
  location: string,
  topic: string,
  range: CutRange,
  local: LocalDataFiles,
  retry: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<DataFile[]> {
  const out: DataFile[] = [];
  for (const { local: path, file } of local.files) {
    const filePath = dataFilePath(location, topic, range, file.tsHour);
    await retry(() => io.upload(filePath, path));
    out.push({ ...file, filePath });
  }
  return out;
}
