/**
 * For the auditor's tests: lakes in temporary folders, written the way the sink writes them (a real
 * intent, then real Parquet objects). `useAuditLakes()` registers the encoder and the clean-up with
 * the calling test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createLocalStore, type ObjectStore } from '@loglake/object-store';
import type { AuditFinding } from './audit-report.ts';
import { createDuckDbEncoder } from './duckdb-encoder.ts';
import type { ParquetEncoder } from './encoder.ts';
import { writeIntent } from './intent.ts';
import { dataKey } from './layout.ts';

export const T = 't';
export const H0 = 'dt=2026-11-18/hour=00';
export const H1 = 'dt=2026-11-18/hour=01';
export const now = Date.parse('2026-11-18T00:30:00Z');
export const pad = (n: number) => String(n).padStart(20, '0');

export const committed = (entries: Record<number, number>) =>
  new Map(Object.entries(entries).map(([p, c]) => [Number(p), BigInt(c)]));
export const kinds = (findings: readonly AuditFinding[]) => findings.map((f) => f.kind);

/** `rows` valid events, as JSON lines. */
const eventLines = (rows: number) =>
  Array.from({ length: rows }, (_, i) =>
    JSON.stringify({
      event_id: `e${i}`,
      event_type: 'x',
      ts: now,
      received_at: now,
      source: 's',
      extra: {},
    }),
  );

export interface FlushSpec {
  readonly p?: number;
  readonly first: number;
  readonly last: number;
  /** Rows per bucket, as the intent records them. */
  readonly buckets: Readonly<Record<string, number>>;
  /** Buckets whose object is not written. */
  readonly skip?: readonly string[];
  readonly deadLetters?: number;
}

export interface AuditLakes {
  readonly newLake: () => ObjectStore;
  /** A real Parquet object of `rows` rows at `key`. */
  readonly putParquet: (store: ObjectStore, key: string, rows: number) => Promise<void>;
  /** What the sink does for one range: a real intent, then one real Parquet object per bucket; returns the keys. */
  readonly flush: (store: ObjectStore, s: FlushSpec) => Promise<string[]>;
}

export function useAuditLakes(): AuditLakes {
  let encoder: ParquetEncoder;
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const tmp = tempDir('loglake-audit-test-');
  beforeAll(async () => {
    encoder = await createDuckDbEncoder({ codec: 'zstd', threads: 1, memoryLimitMb: 128 });
  });
  afterAll(async () => {
    await encoder.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  let files = 0;
  const putParquet = async (store: ObjectStore, key: string, rows: number) => {
    const path = join(tmp, `${(files += 1)}.parquet`);
    await encoder.encode(eventLines(rows), path);
    await store.putFile(key, path);
  };

  const flush = async (store: ObjectStore, s: FlushSpec) => {
    const p = s.p ?? 0;
    const files = Object.entries(s.buckets).map(([bucket, rows]) => ({
      bucket,
      key: dataKey(T, p, BigInt(s.first), BigInt(s.last), bucket),
      rows,
    }));
    await writeIntent(store, {
      version: 1,
      topic: T,
      partition: p,
      first: String(s.first),
      last: String(s.last),
      files: files.map(({ key, rows }) => ({ key, rows })),
      dead_letters: s.deadLetters ?? 0,
      created_at: new Date(now).toISOString(),
      writer: 'test',
    });
    for (const f of files) if (!s.skip?.includes(f.bucket)) await putParquet(store, f.key, f.rows);
    return files.map((f) => f.key);
  };

  return { newLake: () => createLocalStore(tempDir('loglake-audit-lake-')), putParquet, flush };
}
