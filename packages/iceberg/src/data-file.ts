import { open, rm, stat, writeFile } from 'node:fs/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { EXTRA_COLUMN, EXTRA_FIELD, FIELD_BY_NAME, FIELD_TYPES } from '@loglake/events';
import { encodeBound } from './bounds.ts';
import { hourOf } from './partition.ts';
import { eventColumns } from './schema.ts';
import type { NestedField } from './types.ts';

/** A Parquet data file as a manifest entry describes it (spec §Manifests, `data_file`). */
export interface DataFile {
  /** Full URI where readers find it (`s3://bucket/…`). */
  readonly filePath: string;
  /** The `hour(ts)` partition value: every row of the file has it. */
  readonly tsHour: number;
  readonly recordCount: bigint;
  readonly fileSizeInBytes: bigint;
  /** Keyed by field id. */
  readonly columnSizes: ReadonlyMap<number, bigint>;
  readonly valueCounts: ReadonlyMap<number, bigint>;
  readonly nullValueCounts: ReadonlyMap<number, bigint>;
  readonly nanValueCounts: ReadonlyMap<number, bigint>;
  readonly lowerBounds: ReadonlyMap<number, Buffer>;
  readonly upperBounds: ReadonlyMap<number, Buffer>;
}

/** What the writer knows about a file it wrote locally; the uploader adds `filePath`. */
export type WrittenDataFile = Omit<DataFile, 'filePath'>;

export interface DataFileWriter {
  /**
   * Writes the events (one JSON line each, as stored in Kafka) of one hour of event time to a
   * local Parquet file with the table's field ids, and measures it from the file itself.
   */
  write(lines: readonly string[], path: string): Promise<WrittenDataFile>;
  /** The same for NDJSON bytes as they are (the sink's buffers: no string per row). */
  writeNdjson(
    input: { readonly buffers: readonly Uint8Array[]; readonly rows: number },
    path: string,
  ): Promise<WrittenDataFile>;
  close(): void;
}

export interface DataFileWriterOptions {
  readonly threads: number;
  readonly memoryLimitMb: number;
  readonly compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
  readonly rowGroupSize?: number;
}

/** How DuckDB reads an event column: from the event field table, or `extra`'s own entry. */
function columnType(name: string): { readonly duckRead: string; duckColumn(c: string): string } {
  if (name === EXTRA_FIELD) return { duckRead: EXTRA_COLUMN.duckRead, duckColumn: (c) => c };
  const spec = FIELD_BY_NAME.get(name);
  if (!spec) throw new Error(`column ${name} is not an event field`);
  return FIELD_TYPES[spec.type];
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `read_json` columns, the SELECT list (epoch ms → timestamptz, extra JSON → text) and FIELD_IDS. */
function copySql(columns: readonly NestedField[]): {
  spec: string;
  select: string;
  fieldIds: string;
} {
  // Read and converted as the event field table says (FIELD_TYPES), as the S3 layout's encoder does;
  // `extra` is read as JSON and kept as its text (an Iceberg string).
  const spec = columns.map((c) => `${quote(c.name)}: '${columnType(c.name).duckRead}'`);
  const select = columns.map((c) => {
    if (c.name === EXTRA_FIELD) return `CAST(${quote(c.name)} AS VARCHAR) AS ${quote(c.name)}`;
    const column = columnType(c.name).duckColumn(quote(c.name));
    return column === quote(c.name) ? column : `${column} AS ${quote(c.name)}`;
  });
  const fieldIds = columns.map((c) => `${quote(c.name)}: ${c.id}`);
  return {
    spec: `{${spec.join(', ')}}`,
    select: select.join(', '),
    fieldIds: `{${fieldIds.join(', ')}}`,
  };
}

/** Per-column counts and bounds, computed by reading the written file back. */
function statsSql(path: string, columns: readonly NestedField[]): string {
  const parts = [
    'count(*) AS "rows"',
    `min(epoch_ms("ts")) AS "min_ts_ms"`,
    `max(epoch_ms("ts")) AS "max_ts_ms"`,
  ];
  columns.forEach((c, i) => {
    const col = quote(c.name);
    parts.push(`count(${col}) AS "n${i}"`);
    if (c.type === 'double') {
      parts.push(`count(*) FILTER (isnan(${col})) AS "nan${i}"`);
      parts.push(
        `min(${col}) FILTER (NOT isnan(${col})) AS "lo${i}"`,
        `max(${col}) FILTER (NOT isnan(${col})) AS "hi${i}"`,
      );
    } else if (c.type === 'timestamptz') {
      parts.push(`epoch_us(min(${col})) AS "lo${i}"`, `epoch_us(max(${col})) AS "hi${i}"`);
    } else if (c.type === 'int' || c.type === 'long') {
      parts.push(`min(${col}) AS "lo${i}"`, `max(${col}) AS "hi${i}"`);
    }
  });
  return `SELECT ${parts.join(', ')} FROM read_parquet(${literal(path)})`;
}

/** Row count, per-column counts and bounds, column sizes and byte size of a local Parquet file. */
export async function measure(
  c: DuckDBConnection,
  path: string,
  columns: readonly NestedField[],
): Promise<WrittenDataFile> {
  const row = (await c.runAndReadAll(statsSql(path, columns))).getRowObjects()[0] ?? {};
  const sizes = (
    await c.runAndReadAll(
      `SELECT path_in_schema AS name, sum(total_compressed_size)::BIGINT AS size FROM parquet_metadata(${literal(path)}) GROUP BY 1`,
    )
  ).getRowObjects();
  const rows = BigInt(row.rows as bigint);
  if (
    row.min_ts_ms === null ||
    BigInt(row[`n${columns.findIndex((c) => c.name === 'ts')}`] as bigint) !== rows
  ) {
    throw new Error(`${path} has rows without ts: every row needs its partition value`);
  }
  const minHour = hourOf(Number(row.min_ts_ms));
  if (minHour !== hourOf(Number(row.max_ts_ms))) {
    throw new Error(
      `${path} spans more than one hour of ts: a data file holds one partition value`,
    );
  }
  const file: WrittenDataFile = {
    tsHour: minHour,
    recordCount: rows,
    fileSizeInBytes: BigInt((await stat(path)).size),
    columnSizes: new Map(
      columns.flatMap((c) => {
        const size = sizes.find((s) => s.name === c.name)?.size;
        return size === undefined || size === null ? [] : [[c.id, BigInt(size as bigint)] as const];
      }),
    ),
    valueCounts: new Map(columns.map((c) => [c.id, rows])),
    nullValueCounts: new Map(columns.map((c, i) => [c.id, rows - BigInt(row[`n${i}`] as bigint)])),
    nanValueCounts: new Map(
      columns.flatMap((c, i) =>
        c.type === 'double' ? [[c.id, BigInt(row[`nan${i}`] as bigint)] as const] : [],
      ),
    ),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  };
  columns.forEach((c, i) => {
    const lo = row[`lo${i}`];
    const hi = row[`hi${i}`];
    if (lo === null || lo === undefined || hi === null || hi === undefined) return;
    const lower = encodeBound(c.type, lo as number | bigint);
    const upper = encodeBound(c.type, hi as number | bigint);
    if (lower && upper) {
      (file.lowerBounds as Map<number, Buffer>).set(c.id, lower);
      (file.upperBounds as Map<number, Buffer>).set(c.id, upper);
    }
  });
  return file;
}

/**
 * Parquet through DuckDB, as the lake's encoder does, plus `FIELD_IDS` so that every column carries
 * its Iceberg field id (readers match columns by id, not by name). Counts, bounds and column sizes
 * are read back from the written file, so the manifest describes exactly what is there.
 */
export async function createDataFileWriter(
  options: DataFileWriterOptions,
): Promise<DataFileWriter> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads),
    memory_limit: `${options.memoryLimitMb}MB`,
    preserve_insertion_order: 'true',
  });
  const columns = eventColumns();
  const { spec, select, fieldIds } = copySql(columns);
  const fromFile = async (input: string, path: string): Promise<WrittenDataFile> => {
    const c = await instance.connect();
    try {
      await c.run(
        `COPY (SELECT ${select} FROM read_json(${literal(input)}, format = 'newline_delimited', ` +
          `columns = ${spec}, maximum_object_size = 16777216)) TO ${literal(path)} ` +
          `(FORMAT parquet, COMPRESSION ${options.compression ?? 'zstd'}, ` +
          `ROW_GROUP_SIZE ${options.rowGroupSize ?? 122880}, FIELD_IDS ${fieldIds})`,
      );
      return await measure(c, path, columns);
    } finally {
      c.closeSync();
      await rm(input, { force: true });
    }
  };
  return {
    async write(lines, path) {
      if (lines.length === 0) throw new Error('a data file needs at least one row');
      const input = `${path}.ndjson`;
      await writeFile(input, `${lines.join('\n')}\n`);
      return fromFile(input, path);
    },
    async writeNdjson(ndjson, path) {
      if (ndjson.rows === 0) throw new Error('a data file needs at least one row');
      const input = `${path}.ndjson`;
      const file = await open(input, 'w');
      try {
        // writev takes at most IOV_MAX (1024) buffers per call.
        for (let i = 0; i < ndjson.buffers.length; i += 1024)
          await file.writev(ndjson.buffers.slice(i, i + 1024));
      } catch (error) {
        await file.close();
        await rm(input, { force: true });
        throw error;
      }
      await file.close();
      return fromFile(input, path);
    },
    close() {
      instance.closeSync();
    },
  };
}
