import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { ObjectStore } from '@loglake/object-store';

export interface RunReport {
  readonly run_id: string;
  readonly expected: number;
  readonly found: number;
  readonly missing: number;
  readonly duplicated: number;
  /** From received_at to the object becoming visible, seconds. */
  readonly delay_s: { p50: number; p99: number; max: number };
  readonly files_read: number;
}

/**
 * Checks one generator run in the lake: every event carries `run_id` and `seq` (in `extra`);
 * `expected` sequence numbers 1..n should each appear exactly once.
 */
export async function verifyRun(store: ObjectStore, topic: string, runId: string, expected: number | null): Promise<RunReport> {
  const dir = await mkdtemp(join(tmpdir(), 'loglake-verify-'));
  const visibleAt = new Map<string, number>();
  try {
    for await (const o of store.list(`${topic}/`)) {
      if (!o.key.endsWith('.parquet')) continue;
      const path = join(dir, o.key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await store.get(o.key));
      visibleAt.set(path, o.lastModified ?? Date.now());
    }
    const empty = { run_id: runId, expected: expected ?? 0, found: 0, missing: expected ?? 0, duplicated: 0, delay_s: { p50: 0, p99: 0, max: 0 }, files_read: 0 };
    if (visibleAt.size === 0) return empty;
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      await c.run(
        `CREATE TABLE run AS SELECT CAST(json_extract(extra, '$.seq') AS BIGINT) AS seq, epoch_ms(received_at) AS received_ms, filename
         FROM read_parquet('${join(dir, '**', '*.parquet').replaceAll("'", "''")}', filename = true)
         WHERE json_extract_string(extra, '$.run_id') = '${runId.replaceAll("'", "''")}'`,
      );
      const [agg] = (await c.runAndReadAll(`SELECT count(*)::BIGINT n, count(DISTINCT seq)::BIGINT d, max(seq)::BIGINT m FROM run`)).getRowObjectsJson();
      const rows = Number(agg?.n ?? 0);
      const distinct = Number(agg?.d ?? 0);
      const want = expected ?? Number(agg?.m ?? 0);
      const [inRange] = (await c.runAndReadAll(`SELECT count(DISTINCT seq)::BIGINT k FROM run WHERE seq BETWEEN 1 AND ${want}`)).getRowObjectsJson();
      const delays: number[] = [];
      for (const r of (await c.runAndReadAll(`SELECT filename, received_ms FROM run`)).getRowObjectsJson()) {
        const at = visibleAt.get(r.filename as string);
        if (at !== undefined) delays.push((at - Number(r.received_ms)) / 1000);
      }
      delays.sort((a, b) => a - b);
      const q = (p: number) => +(delays[Math.min(delays.length - 1, Math.floor(delays.length * p))] ?? 0).toFixed(3);
      return {
        run_id: runId,
        expected: want,
        found: distinct,
        missing: want - Number(inRange?.k ?? 0),
        duplicated: rows - distinct,
        delay_s: { p50: q(0.5), p99: q(0.99), max: +(delays.at(-1) ?? 0).toFixed(3) },
        files_read: visibleAt.size,
      };
    } finally {
      c.closeSync();
      db.closeSync();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
