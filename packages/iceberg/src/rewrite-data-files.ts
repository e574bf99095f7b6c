import { DuckDBInstance } from '@duckdb/node-api';
import { measure, type WrittenDataFile } from './data-file.ts';
import type { NestedField } from './types.ts';

export interface FileRewriter {
  /**
   * Writes the rows of the local Parquet files `inputs` (one hour of one table) to one Parquet file
   * at `output`, sorted by `ts`, zstd, every column with its field id; measures it as a data file.
   * Throws unless the output has exactly the input's rows: the same count and the same sum of row
   * hashes (a row lost, duplicated or changed on the way fails it), and `expectedRows` (what the
   * manifests say the inputs hold).
   */
  merge(inputs: readonly string[], output: string, expectedRows: bigint): Promise<WrittenDataFile>;
  close(): void;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * DuckDB rewrites files for compaction. Columns are taken by name from the table's current schema
 * (`union_by_name`: a file written before a column was added reads it as null) and written back
 * with their ids in `FIELD_IDS`, so readers that match columns by id see the same table.
 */
export async function createFileRewriter(options: {
  readonly columns: readonly NestedField[];
  readonly threads: number;
  readonly memoryLimitMb: number;
  /** Where DuckDB may spill while sorting. */
  readonly tempDirectory?: string;
  readonly rowGroupSize?: number;
}): Promise<FileRewriter> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads),
    memory_limit: `${options.memoryLimitMb}MB`,
    preserve_insertion_order: 'false',
    ...(options.tempDirectory ? { temp_directory: options.tempDirectory } : {}),
  });
  const names = options.columns.map((c) => quote(c.name)).join(', ');
  const fieldIds = `{${options.columns.map((c) => `${quote(c.name)}: ${c.id}`).join(', ')}}`;
  const fingerprint = (from: string) =>
    `SELECT count(*) AS n, coalesce(sum(hash(${names})), 0)::VARCHAR AS h FROM ${from}`;
  return {
    async merge(inputs, output, expectedRows) {
      if (inputs.length === 0) throw new Error('nothing to merge');
      const source = `(SELECT ${names} FROM read_parquet([${inputs.map(literal).join(', ')}], union_by_name = true))`;
      const c = await instance.connect();
      try {
        const before = (await c.runAndReadAll(fingerprint(source))).getRowObjects()[0];
        await c.run(
          `COPY (SELECT * FROM ${source} ORDER BY "ts") TO ${literal(output)} ` +
            `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${options.rowGroupSize ?? 122880}, ` +
            `FIELD_IDS ${fieldIds})`,
        );
        const after = (
          await c.runAndReadAll(fingerprint(`read_parquet(${literal(output)})`))
        ).getRowObjects()[0];
        if (
          before?.n !== after?.n ||
          before?.h !== after?.h ||
          BigInt(after?.n as bigint) !== expectedRows
        ) {
          throw new Error(
            `rewrite of ${inputs.length} files changed the rows: ${String(before?.n)} rows in ` +
              `(manifests say ${expectedRows}), ${String(after?.n)} out; hash ${String(before?.h)} vs ${String(after?.h)}`,
          );
        }
        return await measure(c, output, options.columns);
      } finally {
        c.closeSync();
      }
    },
    close() {
      instance.closeSync();
    },
  };
}
