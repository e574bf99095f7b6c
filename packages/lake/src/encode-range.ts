import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParquetEncoder } from './encoder.ts';
import { dataKey } from './layout.ts';
import type { NdjsonRows } from './ndjson-rows.ts';
import type { CutRange, PoisonRecord } from './range-buffer.ts';

/** One Parquet object of a range, encoded into a local file and not yet in the lake. */
export interface EncodedFile {
  readonly key: string;
  readonly rows: number;
  readonly path: string;
  readonly bytes: number;
}

/** A range turned into files: what its intent records and what the lake receives. */
export interface EncodedRange {
  /** In key order. */
  readonly files: readonly EncodedFile[];
  /** The range's poison records plus the rows the encoder refused, in offset order. */
  readonly poison: readonly PoisonRecord[];
  /** Deletes the local files. */
  dispose(): Promise<void>;
}

/** A row the encoder refused, as a dead letter of its range (both layouts). */
export function refusedRow(
  rows: NdjsonRows,
  refused: { readonly index: number; readonly message: string },
): PoisonRecord {
  return {
    offset: rows.offsetAt(refused.index),
    reject: {
      code: 'INVALID_JSON_LINE',
      message: `the Parquet encoder refused the record: ${refused.message}`,
    },
    raw: rows.line(refused.index).toString('utf8'),
  };
}

/** Orders poison records by offset, as a range's dead letters are sent. */
export function byOffset(a: PoisonRecord, b: PoisonRecord): number {
  return a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0;
}

/** DuckDB's words for input it cannot store (as opposed to a disk or memory failure). */
const DATA_ERROR = /^(Invalid Input Error|Conversion Error|Out of Range Error)/;

export function isRefusal(error: unknown): boolean {
  return error instanceof Error && DATA_ERROR.test(error.message);
}

/**
 * Encodes `rows`; when the encoder refuses the input, finds the rows it refuses by bisection
 * (a row refused alone is refused in any company) and encodes the rest. Deterministic: the same
 * rows always give the same file and the same refusals, so a replay matches its intent.
 */
export async function encodeRefusing(
  encoder: Pick<ParquetEncoder, 'encodeNdjson'>,
  rows: NdjsonRows,
  path: string,
): Promise<{ bytes: number; refused: { index: number; message: string }[] }> {
  try {
    return { bytes: (await encoder.encodeNdjson(rows, path)).bytes, refused: [] };
  } catch (error) {
    if (!isRefusal(error)) throw error;
  }
  const refused: { index: number; message: string }[] = [];
  const probe = `${path}.probe`;
  async function bisect(from: number, to: number): Promise<void> {
    try {
      await encoder.encodeNdjson(rows.select(from, to), probe);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      if (to - from === 1) {
        refused.push({
          index: from,
          message: (error as Error).message.split('\n')[0] ?? 'refused',
        });
        return;
      }
      const mid = from + Math.ceil((to - from) / 2);
      await bisect(from, mid);
      await bisect(mid, to);
    }
  }
  try {
    await bisect(0, rows.rows);
  } finally {
    await rm(probe, { force: true });
  }
  const skip = new Set(refused.map((r) => r.index));
  const kept = rows.select(0, rows.rows, skip);
  return { bytes: (await encoder.encodeNdjson(kept, path)).bytes, refused };
}

/** Encodes every bucket of the range into its own local Parquet file, named as in the lake. */
export async function encodeRange(
  encoder: ParquetEncoder,
  tmpDir: string,
  topic: string,
  range: CutRange,
): Promise<EncodedRange> {
  const files: EncodedFile[] = [];
  const poison: PoisonRecord[] = [...range.poison];
  const dispose = async () => {
    await Promise.all(files.map((f) => rm(f.path, { force: true })));
  };
  try {
    const buckets = [...range.buckets.entries()]
      .map(([bucket, rows]) => ({
        key: dataKey(topic, range.partition, range.first, range.last, bucket),
        rows,
      }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    for (const { key, rows } of buckets) {
      const path = join(tmpDir, `${randomBytes(8).toString('hex')}.parquet`);
      const out = await encodeRefusing(encoder, rows, path);
      for (const r of out.refused) poison.push(refusedRow(rows, r));
      const count = rows.rows - out.refused.length;
      if (count > 0) files.push({ key, rows: count, path, bytes: out.bytes });
      else await rm(path, { force: true });
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  poison.sort(byOffset);
  // Encoded: the range's bytes are in the files now (an encode that failed keeps them, for its retry).
  for (const rows of range.buckets.values()) rows.release();
  return { files, poison, dispose };
}
