import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { KafkaAdmin } from '@loglake/kafka';
import { auditLake, type AuditReport } from '@loglake/lake';
import type { ObjectStore } from '@loglake/object-store';

export interface LakeCheck {
  readonly rows: number;
  readonly distinct: number;
  readonly files: number;
  /** Rows whose dt/hour folder disagrees with their event time. */
  readonly misplaced: number;
}

/**
 * Reads the lake from outside, as an analyst would: copies every Parquet object of `topic` from the
 * store to a temporary folder (DuckDB's S3 extension cannot be downloaded here) and queries it.
 */
export async function withLake<T>(
  store: ObjectStore,
  topic: string,
  fn: (query: (sql: string) => Promise<Record<string, unknown>[]>, glob: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'loglake-lake-'));
  try {
    let files = 0;
    for await (const o of store.list(`${topic}/`)) {
      if (!o.key.endsWith('.parquet')) continue;
      const path = join(dir, o.key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await store.get(o.key));
      files += 1;
    }
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const glob = join(dir, topic, '**', '*.parquet');
    const query = async (sql: string) =>
      (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    try {
      if (files === 0) return await fn(async () => [], glob);
      return await fn(query, `read_parquet('${glob}', hive_partitioning = true)`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function checkLake(store: ObjectStore, topic: string): Promise<LakeCheck> {
  return withLake(store, topic, async (query, source) => {
    const [row] = await query(
      `SELECT count(*)::BIGINT AS n, count(DISTINCT event_id)::BIGINT AS d, count(DISTINCT filename)::BIGINT AS f,
        count(*) FILTER (WHERE strftime(make_timestamp(epoch_us(ts)), '%Y-%m-%d') <> dt::VARCHAR
          OR hour(make_timestamp(epoch_us(ts))) <> hour::INTEGER)::BIGINT AS m
       FROM ${source.replace('hive_partitioning = true)', 'hive_partitioning = true, filename = true)')}`,
    );
    return {
      rows: Number(row?.n ?? 0),
      distinct: Number(row?.d ?? 0),
      files: Number(row?.f ?? 0),
      misplaced: Number(row?.m ?? 0),
    };
  });
}

/** `pnpm lake:check` from a test: the chain of intents, every object and its row count, against the group's commits. */
export async function auditAfterRun(
  store: ObjectStore,
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<AuditReport> {
  const committed = new Map<number, bigint>();
  for (const c of await admin.committedOffsets(groupId, topic))
    committed.set(c.partition, BigInt(c.offset));
  return auditLake(store, { topic, committed });
}
