import { describe, expect, it } from 'vitest';
import { createLogger, createRegistry } from '@loglake/core';
import { MAX_UNCOMMITTED_FILE_AGE_MS, type AppendTarget } from '@loglake/iceberg';
import { createSinkMetrics } from './metrics.ts';
import { TableCommitter, type TableRange } from './table-committer.ts';

/** A target no test here may reach: every range below is given up before a commit is attempted. */
const unreachable = new Proxy({} as AppendTarget, {
  get: () => {
    throw new Error('the committer tried to commit');
  },
});

describe('TableCommitter', () => {
  it('gives up a range whose files are older than the orphan-cleanup limit, without committing it', async () => {
    const registry = createRegistry();
    const metrics = createSinkMetrics(registry);
    const now = 10 * MAX_UNCOMMITTED_FILE_AGE_MS;
    const committer = new TableCommitter(
      unreachable,
      'events',
      1000,
      metrics,
      createLogger({ name: 'test', level: 'silent' }),
      () => now,
    );
    const range = (writtenAt: number): TableRange => ({
      partition: 0,
      first: 0n,
      next: 10n,
      files: [],
      writtenAt,
    });
    const old = committer.submit(range(now - MAX_UNCOMMITTED_FILE_AGE_MS - 1), () => false);
    const gone = committer.submit(range(now), () => true);
    await committer.round();
    expect(await old).toEqual({ status: 'expired' });
    expect(await gone).toEqual({ status: 'abandoned' });
    expect(committer.backlog).toBe(0);
    expect((await metrics.rangesExpired.get()).values[0]?.value).toBe(1);
  });
});
