/**
 * Row counts of data objects, from their Parquet footers (read with DuckDB). An object is read from
 * its local copy when there is one, else downloaded to a temporary file and deleted after.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { errorMessage, hasCode } from '@loglake/core';
import type { ObjectStore } from '@loglake/object-store';
import type { LocalCopy } from './local-copies.ts';
import { mapPool } from './map-pool.ts';

const READ_CONCURRENCY = 4;

const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The row count in the footer of the Parquet file at `path`, or why it cannot be read. */
async function footerRows(db: DuckDBInstance, path: string): Promise<number | string> {
  const c = await db.connect();
  try {
    const result = await c.runAndReadAll(
      `SELECT num_rows FROM parquet_file_metadata(${sqlString(path)})`,
    );
    return Number(result.getRows()[0]?.[0]);
  } catch (error) {
    return errorMessage(error);
  } finally {
    c.closeSync();
  }
}

/** An object's row count, downloaded to `dir` and deleted after, or why it cannot be read. */
async function downloadedRows(
  store: ObjectStore,
  db: DuckDBInstance,
  dir: string,
  key: string,
): Promise<number | string> {
  let body: Buffer;
  try {
    body = await store.get(key);
  } catch (error) {
    if (hasCode(error, 'LOGLAKE_STORE_NOT_FOUND')) return 'disappeared while the audit ran';
    throw error;
  }
  const path = join(dir, `${randomUUID()}.parquet`);
  await writeFile(path, body);
  try {
    return await footerRows(db, path);
  } finally {
    await rm(path, { force: true });
  }
}

/** Each object's row count, or why it cannot be read; objects in `local` are read from their copies. */
export async function countRows(
  store: ObjectStore,
  keys: readonly string[],
  local: ReadonlyMap<string, LocalCopy> = new Map(),
): Promise<Map<string, number | string>> {
  if (keys.length === 0) return new Map();
  const dir = await mkdtemp(join(tmpdir(), 'loglake-audit-'));
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const counts = await mapPool(keys, READ_CONCURRENCY, (key) => {
      const copy = local.get(key);
      return copy ? footerRows(db, copy.path) : downloadedRows(store, db, dir, key);
    });
    return new Map(keys.map((key, i) => [key, counts[i] as number | string]));
  } finally {
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
