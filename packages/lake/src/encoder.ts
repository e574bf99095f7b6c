import type { NdjsonInput } from './ndjson-rows.ts';

/** Turns normalized events (one JSON object per line) into one Parquet file. */
export interface ParquetEncoder {
  readonly name: string;
  /** Encodes NDJSON bytes as they are (the sink's path: no string per row). */
  encodeNdjson(
    input: NdjsonInput,
    path: string,
  ): Promise<{ readonly rows: number; readonly bytes: number }>;
  /** The same for lines given as strings (tools and tests). */
  encode(
    lines: readonly string[],
    path: string,
  ): Promise<{ readonly rows: number; readonly bytes: number }>;
  close(): Promise<void>;
}

export const PARQUET_CODECS = ['zstd', 'snappy', 'gzip', 'lz4', 'brotli', 'uncompressed'] as const;
export type ParquetCodec = (typeof PARQUET_CODECS)[number];
