import { open, rm, stat } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { EXTRA_COLUMN, EXTRA_FIELD, FIELD_TYPES, FIELDS } from '@loglake/events';
import type { ParquetCodec, ParquetEncoder } from './encoder.ts';
import { FlushSlots } from './flush-slots.ts';
import { ndjsonOf, type NdjsonInput } from './ndjson-rows.ts';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The read_json column spec and the SELECT list, both from the event fields. */
function columnsSql(): { spec: string; select: string } {
  const spec = [
    ...FIELDS.map((f) => `${quote(f.name)}: '${FIELD_TYPES[f.type].duckRead}'`),
    `${quote(EXTRA_FIELD)}: '${EXTRA_COLUMN.duckRead}'`,
  ];
  const select = [
    ...FIELDS.map((f) => {
      const column = FIELD_TYPES[f.type].duckColumn(quote(f.name));
      return column === quote(f.name) ? column : `${column} AS ${quote(f.name)}`;
    }),
    quote(EXTRA_FIELD),
  ];
  return { spec: `{${spec.join(', ')}}`, select: select.join(', ') };
}

export interface DuckDbEncoderOptions {
  readonly codec: ParquetCodec;
  /**
   * DuckDB worker threads (the Node event loop keeps its own core), and how many files are encoded
   * at once: each COPY holds a row group in memory, so more at once than there are threads only
   * multiplies DuckDB's memory.
   */
  readonly threads: number;
  readonly memoryLimitMb: number;
  readonly rowGroupSize?: number;
}

/** Writes `buffers` to a new file at `path`, as they are. */
async function writeBuffers(path: string, buffers: readonly Uint8Array[]): Promise<void> {
  const file = await open(path, 'w');
  try {
    // writev takes at most IOV_MAX (1024) buffers per call.
    for (let i = 0; i < buffers.length; i += 1024) await file.writev(buffers.slice(i, i + 1024));
  } finally {
    await file.close();
  }
}

/**
 * Parquet through DuckDB: the NDJSON bytes go to a temporary file, and DuckDB's `read_json` →
 * `COPY … (FORMAT parquet)` writes the file off the event loop. Timestamps become
 * TIMESTAMP WITH TIME ZONE (INT64 micros, isAdjustedToUTC), `extra` a JSON string column,
 * and DuckDB dictionary-encodes low-cardinality columns by itself.
 */
export async function createDuckDbEncoder(options: DuckDbEncoderOptions): Promise<ParquetEncoder> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads),
    memory_limit: `${options.memoryLimitMb}MB`,
    preserve_insertion_order: 'true',
    // Give freed memory back to the system after each COPY instead of keeping it for reuse: one
    // 64 MB range peaks at about 130 MB over the process's start, against 290-350 MB after a few
    // COPYs when DuckDB's allocator keeps what it freed (docs/benchmarks.md), at the same CPU.
    allocator_flush_threshold: '0MB',
    allocator_bulk_deallocation_flush_threshold: '0MB',
  });
  const { spec, select } = columnsSql();
  const codec = options.codec === 'uncompressed' ? 'uncompressed' : options.codec;
  const running = new FlushSlots(options.threads);
  const copy = async (input: string, path: string) => {
    await running.acquire();
    try {
      const connection = await instance.connect();
      try {
        await connection.run(
          `COPY (SELECT ${select} FROM read_json(${literal(input)}, format = 'newline_delimited', ` +
            `columns = ${spec}, maximum_object_size = 16777216)) ` +
            `TO ${literal(path)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${options.rowGroupSize ?? 122880})`,
        );
      } finally {
        connection.closeSync();
      }
    } finally {
      running.release();
    }
  };
  const encodeNdjson = async (ndjson: NdjsonInput, path: string) => {
    const input = `${path}.ndjson`;
    try {
      await writeBuffers(input, ndjson.buffers);
      await copy(input, path);
    } finally {
      await rm(input, { force: true });
    }
    return { rows: ndjson.rows, bytes: (await stat(path)).size };
  };
  return {
    name: `duckdb(${options.codec})`,
    encodeNdjson,
    encode: (lines, path) => encodeNdjson(ndjsonOf(lines), path),
    async close() {
      instance.closeSync();
    },
  };
}
