import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalStore } from '@loglake/object-store';
import { createDuckDbEncoder } from './duckdb-encoder.ts';
import { verifyRun } from './verify.ts';

const now = 1_795_000_000_000;
const line = (run: string, seq: number) =>
  JSON.stringify({ event_id: `${run}-${seq}`, event_type: 't', ts: now, received_at: now, source: 's', extra: { run_id: run, seq } });

async function lakeWith(files: string[][]) {
  const dir = mkdtempSync(join(tmpdir(), 'loglake-verify-lake-'));
  const store = createLocalStore(dir);
  const encoder = await createDuckDbEncoder({ codec: 'zstd', threads: 1, memoryLimitMb: 128 });
  const tmp = mkdtempSync(join(tmpdir(), 'loglake-verify-tmp-'));
  for (const [i, lines] of files.entries()) {
    const path = join(tmp, `${i}.parquet`);
    await encoder.encode(lines, path);
    await store.putFile(`t/dt=2026-11-18/hour=00/f${i}.parquet`, path);
  }
  await encoder.close();
  return store;
}

describe('verifyRun', () => {
  it('finds a complete run complete, and ignores other runs', async () => {
    const store = await lakeWith([[1, 2, 3].map((s) => line('a', s)), [4, 5].map((s) => line('a', s)).concat(line('b', 1))]);
    expect(await verifyRun(store, 't', 'a', 5)).toMatchObject({ expected: 5, found: 5, missing: 0, duplicated: 0, files_read: 2 });
  });

  it('catches an injected loss and an injected duplicate', async () => {
    const store = await lakeWith([[1, 2, 4].map((s) => line('a', s)), [4, 5].map((s) => line('a', s))]);
    expect(await verifyRun(store, 't', 'a', 5)).toMatchObject({ found: 4, missing: 1, duplicated: 1 });
  });
});
