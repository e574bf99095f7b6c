/** Turns normalized events (one JSON object per line) into one Parquet file. */
export interface ParquetEncoder {
  readonly name: string;
  encode(
    lines: readonly string[],
    path: string,
  ): Promise<{ readonly rows: number; readonly bytes: number }>;
  close(): Promise<void>;
}

export const PARQUET_CODECS = ['zstd', 'snappy', 'gzip', 'lz4', 'brotli', 'uncompressed'] as const;
export type ParquetCodec = (typeof PARQUET_CODECS)[number];
