import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRegistry, type Logger } from '@loglake/core';
import type { AppendTarget, CompactOptions, CompactReport } from '@loglake/iceberg';
import { createSinkMetrics } from './metrics.ts';
import { TableCompactor } from './table-compactor.ts';

const report = (over: Partial<CompactReport> = {}): CompactReport => ({
  snapshotId: 9n,
  plannedGroups: 2,
  committedGroups: 2,
  abandonedGroups: 0,
  filesRemoved: 10,
  filesAdded: 2,
  rowsRewritten: 1000n,
  bytesIn: 5000n,
  bytesOut: 3000n,
  attempts: 1,
  durationMs: 5,
  groups: [],
  ...over,
});

/** A compaction the test settles by hand: each call waits for `finish` or `fail`. */
function fakeCompaction() {
  const calls: CompactOptions[] = [];
  const pending: { resolve: (r: CompactReport) => void; reject: (e: Error) => void }[] = [];
  const compact = (_t: AppendTarget, options: CompactOptions) => {
    calls.push(options);
    mkdirSync(options.workDir, { recursive: true });
    return new Promise<CompactReport>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return {
    calls,
    compact,
    finish: (r = report()) => pending.shift()?.resolve(r),
    fail: (message: string) => pending.shift()?.reject(new Error(message)),
  };
}

function setup() {
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const logger = {
    info: (fields: Record<string, unknown>) => lines.push({ level: 'info', fields }),
    warn: (fields: Record<string, unknown>) => lines.push({ level: 'warn', fields }),
  } as unknown as Logger;
  const registry = createRegistry({ service: 'test' });
  const metrics = createSinkMetrics(registry);
  const fake = fakeCompaction();
  const workDir = join(tmpdir(), `loglake-compactor-test-${process.pid}-${Math.random()}`);
  const compactor = new TableCompactor({
    target: {} as AppendTarget,
    intervalMs: 1000,
    workDir,
    graceMs: 60_000,
    targetFileSizeBytes: 1024,
    threads: 1,
    memoryLimitMb: 64,
    metrics,
    logger,
    compact: fake.compact,
  });
  const runs = async (outcome: string) =>
    (await metrics.tableCompactions.get()).values.find((v) => v.labels.outcome === outcome)
      ?.value ?? 0;
  return { lines, metrics, fake, compactor, workDir, runs };
}

describe('TableCompactor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs every interval, one run at a time, and counts and logs each run once', async () => {
    const { fake, compactor, lines, metrics, workDir, runs } = setup();
    compactor.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({ workDir, graceMs: 60_000, targetFileSizeBytes: 1024 });
    // Three more intervals pass while the first run is still going: no second run starts.
    await vi.advanceTimersByTimeAsync(3000);
    expect(fake.calls).toHaveLength(1);
    fake.finish();
    await compactor.idle();
    expect(await runs('committed')).toBe(1);
    expect((await metrics.tableCompactedFiles.get()).values[0]?.value).toBe(10);
    expect((await metrics.tableCompactionFilesWritten.get()).values[0]?.value).toBe(2);
    expect(lines).toEqual([
      {
        level: 'info',
        fields: expect.objectContaining({
          event: 'sink_table_compacted',
          outcome: 'committed',
          files_removed: 10,
          files_added: 2,
          rows: '1000',
          bytes_in: '5000',
          bytes_out: '3000',
          groups_committed: 2,
          groups_abandoned: 0,
        }) as unknown,
      },
    ]);
    expect(existsSync(workDir)).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.calls).toHaveLength(2);
    fake.finish(report({ plannedGroups: 0, committedGroups: 0, filesRemoved: 0, filesAdded: 0 }));
    await compactor.idle();
    expect(await runs('idle')).toBe(1);
    await compactor.stop();
  });

  it('logs a failed run as a warning and tries again at the next interval', async () => {
    const { fake, compactor, lines, runs } = setup();
    compactor.start();
    await vi.advanceTimersByTimeAsync(1000);
    fake.fail('catalog unavailable');
    await compactor.idle();
    expect(await runs('failed')).toBe(1);
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: expect.objectContaining({
          event: 'sink_table_compaction_failed',
          err: 'catalog unavailable',
        }) as unknown,
      },
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.calls).toHaveLength(2);
    fake.finish(report({ committedGroups: 0, abandonedGroups: 2, filesRemoved: 0 }));
    await compactor.idle();
    expect(await runs('abandoned')).toBe(1);
    expect(await runs('committed')).toBe(0);
    await compactor.stop();
  });

  it('stop clears the timer, signals the run in progress and waits for it', async () => {
    const { fake, compactor, runs } = setup();
    compactor.start();
    await vi.advanceTimersByTimeAsync(1000);
    const signal = fake.calls[0]?.signal;
    expect(signal?.aborted).toBe(false);
    let stopped = false;
    const stopping = compactor.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(signal?.aborted).toBe(true);
    expect(stopped).toBe(false);
    fake.finish();
    await stopping;
    expect(stopped).toBe(true);
    expect(await runs('committed')).toBe(1);
    // No run starts after stop, whatever time passes.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.calls).toHaveLength(1);
    await compactor.tick();
    expect(fake.calls).toHaveLength(1);
  });
});
