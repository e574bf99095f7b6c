import { describe, expect, it } from 'vitest';
import { createLogger, createRegistry } from '@loglake/core';
import {
  offsetsKey,
  type AppendTarget,
  type DataFileWriter,
  type TableMetadata,
} from '@loglake/iceberg';
import { createSinkMetrics } from './metrics.ts';
import type { LayoutContext } from './range-layout.ts';
import { TableLayout } from './table-layout.ts';

const TOPIC = 'log-data';

/** A table whose current snapshot records `offsets` (or none), behind a catalog that only loads it. */
function layout(offsets: Record<string, number> | null, logStart: bigint): TableLayout {
  const snapshot = offsets && {
    'snapshot-id': 7n,
    'sequence-number': 1n,
    'timestamp-ms': 0,
    'manifest-list': 's3://b/t/metadata/snap.avro',
    summary: { operation: 'append', [offsetsKey(TOPIC)]: JSON.stringify(offsets) },
  };
  const metadata = {
    location: 's3://b/t',
    ...(snapshot
      ? {
          'current-snapshot-id': 7n,
          snapshots: [snapshot],
          refs: { main: { 'snapshot-id': 7n, type: 'branch' } },
        }
      : {}),
  } as unknown as TableMetadata;
  const target = {
    catalog: { loadTable: () => Promise.resolve({ metadata }) },
    io: { close: () => undefined },
    namespace: ['loglake'],
    table: 'events',
  } as unknown as AppendTarget;
  const ctx = {
    topic: TOPIC,
    dlqTopic: 'dlq',
    writer: 'w',
    tmpDir: '/tmp',
    storeCheckTimeoutMs: 1000,
    logger: createLogger({ name: 'test', level: 'silent' }),
    retry: (fn: () => Promise<unknown>) => fn(),
    logStart: () => Promise.resolve(logStart),
  } as unknown as LayoutContext;
  return new TableLayout(ctx, {
    target,
    dataFiles: {} as DataFileWriter,
    commitIntervalMs: 1000,
    metrics: createSinkMetrics(createRegistry({ service: 'test' })),
  });
}

const never = () => null;

describe('TableLayout.start (ARCHITECTURE rule 4)', () => {
  it("starts where the table records the partition, whatever the group's offset says", async () => {
    const l = layout({ '0': 120, '1': 5 }, 0n);
    expect(await l.start(0, { from: 90n, metadata: 'loglake:0-89', logStart: 0n }, never)).toEqual({
      start: 120n,
      end: null,
      how: 'table',
      lost: 0,
    });
    expect(await l.start(1, { from: 400n, metadata: null, logStart: 0n }, never)).toMatchObject({
      start: 5n,
    });
  });

  it('falls back to the group offset (or the log start) only where the table records nothing', async () => {
    const l = layout({ '0': 120 }, 0n);
    expect(await l.start(2, { from: 33n, metadata: 'x', logStart: 0n }, never)).toMatchObject({
      start: 33n,
      how: 'group',
    });
    const empty = layout(null, 10n);
    expect(await empty.start(0, { from: 10n, metadata: null, logStart: 10n }, never)).toMatchObject(
      { start: 10n, how: 'log-start' },
    );
  });

  it('starts at the log start when the records after the table offsets were deleted unread', async () => {
    const l = layout({ '0': 120 }, 500n);
    expect(await l.start(0, { from: 500n, metadata: null, logStart: 500n }, never)).toEqual({
      start: 500n,
      end: null,
      how: 'table-after-loss',
      lost: 0,
    });
    expect(await l.recordedEnd()).toBeNull();
  });
});
