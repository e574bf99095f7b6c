import { describe, expect } from 'vitest';
import { RestCatalog, currentDataFiles, hourOf } from '@loglake/iceberg';
import { test, waitUntil } from '../support/fixtures.ts';
import {
  icebergSinkEnv,
  pyIcebergRead,
  readTable,
  tableCaughtUp,
  testFileIO,
  testTable,
  type TestTable,
} from '../support/iceberg-sink.ts';
import { useIcebergCatalog } from '../support/iceberg.ts';
import { metricValue, produceEvents, startSink } from '../support/sink.ts';

const catalogInfo = useIcebergCatalog();
const ROUNDS = 4;
const PER_ROUND = 1500;
const TOTAL = ROUNDS * PER_ROUND;
const when = (ok: boolean) => (ok ? true : undefined);

/** Data files of the current snapshot per closed hour (every hour before the current one). */
async function closedHourFiles(t: TestTable): Promise<Map<number, number>> {
  const catalog = await RestCatalog.connect({
    url: catalogInfo().url,
    auth: { type: 'none' },
    requestTimeoutMs: 10_000,
  });
  const { metadata } = await catalog.loadTable([t.namespace], t.table);
  const io = testFileIO();
  try {
    const open = hourOf(Date.now());
    const perHour = new Map<number, number>();
    for (const { entry } of await currentDataFiles(io, metadata)) {
      if (entry.tsHour === null || entry.tsHour >= open) continue;
      perHour.set(entry.tsHour, (perHour.get(entry.tsHour) ?? 0) + 1);
    }
    return perHour;
  } finally {
    io.close();
  }
}

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('sink in iceberg mode with background compaction', () => {
  test('compacts the closed hours while appends continue: every event once, offsets at the end', async ({
    kafka,
    admin,
    topic,
    dlqTopic,
    groupId,
    store,
  }) => {
    const t = testTable(store);
    const sink = await startSink(kafka, topic, dlqTopic, groupId, store.url, {
      ...icebergSinkEnv(t, catalogInfo().url),
      // Small flushes: many small files per hour, for compaction to merge.
      SINK_FLUSH_MAX_ROWS: '150',
      SINK_FLUSH_MAX_AGE_MS: '500',
      SINK_ICEBERG_COMPACT_INTERVAL_MS: '2500',
      SINK_ICEBERG_COMPACT_GRACE_MS: '0',
      SINK_ICEBERG_COMPACT_MEMORY_MB: '128',
    });
    let mostClosedFiles = 0;
    let compacted = NaN;
    let runs = NaN;
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        // ts up to 4 hours back: three or four closed hours and the open one.
        await produceEvents(kafka, topic, PER_ROUND, `icompact${round}`, { spreadHours: 4 });
        await waitUntil(
          `round ${round} in the table`,
          async () => when(await tableCaughtUp(catalogInfo().url, t, store, admin, groupId, topic)),
          30_000,
          200,
        );
        mostClosedFiles = Math.max(mostClosedFiles, sum(await closedHourFiles(t)));
      }
      // The last round's files are compacted too: one file per closed hour in the end.
      await waitUntil(
        'one data file per closed hour',
        async () => when([...(await closedHourFiles(t)).values()].every((n) => n === 1)),
        20_000,
        250,
      );
      const metrics = await sink.metrics();
      compacted = metricValue(metrics, 'loglake_sink_table_compacted_files_total');
      runs = Number(
        /^loglake_sink_table_compactions_total\{[^}]*outcome="committed"[^}]*\} (\S+)$/m.exec(
          metrics,
        )?.[1],
      );
    } finally {
      expect(await sink.stop()).toBe(0);
    }
    const closed = await closedHourFiles(t);
    expect(closed.size).toBeGreaterThanOrEqual(3);
    expect(mostClosedFiles).toBeGreaterThan(2 * closed.size);
    expect(sum(closed)).toBe(closed.size);
    expect(compacted).toBeGreaterThan(closed.size);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(sink.output()).toMatch(/sink_table_compacted/);
    // Compaction moved no offset: the table and the group are still at the end of every partition.
    expect(await tableCaughtUp(catalogInfo().url, t, store, admin, groupId, topic)).toBe(true);
    const table = await readTable(catalogInfo().url, t, store, topic);
    expect(table).toMatchObject({ rows: TOTAL, missing: [] });
    const read = await pyIcebergRead(catalogInfo().url, t);
    expect(read).toMatchObject({ rows: TOTAL, distinct_event_ids: TOTAL });
  }, 120_000);
});
