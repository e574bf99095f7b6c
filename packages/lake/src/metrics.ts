import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DurableFlush } from './flush.ts';

/** The sink's metrics (`loglake_sink_*`); see docs/metrics.md. */
export function createSinkMetrics(registry: Registry) {
  const registers = [registry];
  return {
    recordsRead: new Counter({
      name: 'loglake_sink_records_read_total',
      help: 'Records read from Kafka.',
      registers,
    }),
    bytesRead: new Counter({
      name: 'loglake_sink_bytes_read_total',
      help: 'Bytes of record values read from Kafka.',
      registers,
    }),
    rowsWritten: new Counter({
      name: 'loglake_sink_rows_written_total',
      help: 'Rows in Parquet objects that are durable in the lake (counted once the whole flush is).',
      registers,
    }),
    bytesWritten: new Counter({
      name: 'loglake_sink_bytes_written_total',
      help: 'Bytes of Parquet objects written.',
      registers,
    }),
    filesWritten: new Counter({
      name: 'loglake_sink_files_written_total',
      help: 'Parquet objects written.',
      registers,
    }),
    flushes: new Counter({
      name: 'loglake_sink_flushes_total',
      help: 'Flushes (cuts of a partition range), by the trigger that closed them.',
      labelNames: ['reason'] as const,
      registers,
    }),
    flushDuration: new Histogram({
      name: 'loglake_sink_flush_duration_seconds',
      help: 'From cut to durable and committed: intent, encode, upload, dead letters.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    fileBytes: new Histogram({
      name: 'loglake_sink_file_size_bytes',
      help: 'Size of each Parquet object written.',
      buckets: [1e4, 1e5, 1e6, 4e6, 16e6, 64e6, 256e6],
      registers,
    }),
    fileRows: new Histogram({
      name: 'loglake_sink_file_rows',
      help: 'Rows in each Parquet object written.',
      buckets: [10, 100, 1e3, 1e4, 1e5, 1e6],
      registers,
    }),
    bufferedBytes: new Gauge({
      name: 'loglake_sink_buffered_bytes',
      help: 'Bytes of record values held in memory: open ranges and cut ranges not yet encoded.',
      registers,
    }),
    bufferBudgetBytes: new Gauge({
      name: 'loglake_sink_buffer_budget_bytes',
      help: 'The configured memory budget for buffered bytes.',
      registers,
    }),
    flushesInFlight: new Gauge({
      name: 'loglake_sink_flushes_in_flight',
      help: 'Flushes being encoded or written (at most SINK_MAX_FLUSHES_IN_FLIGHT); cut ranges beyond it wait.',
      registers,
    }),
    pausedPartitions: new Gauge({
      name: 'loglake_sink_paused_partitions',
      help: 'Assigned partitions not fetching: flushes at their limit, memory over budget, or a partition waiting for its intent chain.',
      registers,
    }),
    uploadRetries: new Counter({
      name: 'loglake_sink_upload_retries_total',
      help: 'Retries of lake writes (intent, object, dead letters) after a failure.',
      registers,
    }),
    duplicatesDropped: new Counter({
      name: 'loglake_sink_duplicates_dropped_total',
      help: 'Records dropped because an earlier record of the partition, within the dedup window, had the same event_id (an event sent again).',
      registers,
    }),
    lostRecords: new Counter({
      name: 'loglake_sink_lost_records_total',
      help: 'Records of recorded ranges that were gone from Kafka (retention) before their objects were written; see _loglake/losses/.',
      registers,
    }),
    deadLetters: new Counter({
      name: 'loglake_sink_dead_letters_total',
      help: 'Records sent to the dead-letter topic.',
      registers,
    }),
    intentsFollowed: new Counter({
      name: 'loglake_sink_intents_followed_total',
      help: 'Flushes that found their cut already recorded (a replay after a crash or a rebalance).',
      registers,
    }),
    intentConflicts: new Counter({
      name: 'loglake_sink_intent_conflicts_total',
      help: 'Flushes abandoned because another writer recorded a different cut first.',
      registers,
    }),
    tableCommits: new Counter({
      name: 'loglake_sink_table_commits_total',
      help: 'Commits to the Iceberg table that landed (SINK_TABLE_FORMAT=iceberg): one per committer round with finished ranges.',
      registers,
    }),
    tableCommitDuration: new Histogram({
      name: 'loglake_sink_table_commit_duration_seconds',
      help: 'From the start of a table commit to its answer (landed, refused or failed), retries on conflicts included.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    tableCommitConflicts: new Counter({
      name: 'loglake_sink_table_commit_conflicts_total',
      help: 'Table commits that found main moved (409) and were rebuilt on the new snapshot.',
      registers,
    }),
    tableCommitFailures: new Counter({
      name: 'loglake_sink_table_commit_failures_total',
      help: 'Table commit rounds that failed (catalog unavailable, attempts used up); their ranges are tried again.',
      registers,
    }),
    tableCommitBlocked: new Gauge({
      name: 'loglake_sink_table_commit_blocked',
      help: 'SINK_TABLE_FORMAT=iceberg: 1 from a table commit round that failed for a reason retrying will not fix (a refused request, credentials, invalid metadata; see the sink_table_commit_failed error log for the code) until a round lands, else 0. Its ranges stay pending and are tried every interval.',
      registers,
    }),
    rangesExpired: new Counter({
      name: 'loglake_sink_ranges_expired_total',
      help: 'Finished ranges given up before their table commit because their data files grew older than the limit orphan cleanup relies on (the catalog failed that long); the partition is read again.',
      registers,
    }),
    rangesMoved: new Counter({
      name: 'loglake_sink_ranges_moved_total',
      help: 'Finished ranges the table refused because another writer moved the partition on (OFFSETS_MOVED); the partition is read again from the offset the table records.',
      registers,
    }),
    tableCompactions: new Counter({
      name: 'loglake_sink_table_compactions_total',
      help: 'Background compaction runs (SINK_ICEBERG_COMPACT_INTERVAL_MS), by outcome: committed (at least one group replaced), abandoned (every group lost to another writer), idle (nothing to compact), failed (tried again at the next interval).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    tableCompactedFiles: new Counter({
      name: 'loglake_sink_table_compacted_files_total',
      help: 'Data files the background compaction replaced (removed from the table) in committed groups.',
      registers,
    }),
    tableCompactionFilesWritten: new Counter({
      name: 'loglake_sink_table_compaction_files_written_total',
      help: 'Data files the background compaction wrote in their place (committed groups).',
      registers,
    }),
    freshness: new Gauge({
      name: 'loglake_sink_oldest_pending_event_age_seconds',
      help: 'Age (by received_at) of the oldest event read but not yet durable in the lake; 0 when none.',
      registers,
    }),
    flushMaxAgeSeconds: new Gauge({
      name: 'loglake_sink_flush_max_age_seconds',
      help: 'The configured age at which a file closes; freshness stays near it when all is well.',
      registers,
    }),
    assignedPartitions: new Gauge({
      name: 'loglake_sink_assigned_partitions',
      help: 'Partitions this instance owns.',
      registers,
    }),
    lagRecords: new Gauge({
      name: 'loglake_sink_consumer_lag_records',
      help: "Log end offset minus the group's committed offset, per partition of the topic (every instance reports all).",
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    lagSeconds: new Gauge({
      name: 'loglake_sink_consumer_lag_seconds',
      help: 'Age (by received_at) of the oldest event this instance read but has not committed, per owned partition; 0 when none.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    logEndOffset: new Gauge({
      name: 'loglake_sink_log_end_offset',
      help: 'Log end offset per partition (its rate is what producers write).',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    committedOffset: new Gauge({
      name: 'loglake_sink_committed_offset',
      help: 'Last offset committed per partition (next offset to read).',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
  };
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;

/** The age of what is pending per partition: `oldestReceivedAt` of its open range and unfinished flushes. */
export function reportPendingAges(
  metrics: SinkMetrics,
  topic: string,
  partitions: Iterable<{ readonly partition: number; readonly oldestReceivedAt: number | null }>,
  now: number,
): void {
  let oldest: number | null = null;
  metrics.lagSeconds.reset();
  for (const p of partitions) {
    const age = p.oldestReceivedAt === null ? 0 : Math.max(0, (now - p.oldestReceivedAt) / 1000);
    metrics.lagSeconds.set({ topic, partition: String(p.partition) }, age);
    if (p.oldestReceivedAt !== null) oldest = Math.min(oldest ?? Infinity, p.oldestReceivedAt);
  }
  metrics.freshness.set(oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));
}

/** What a flush that became durable adds: objects, bytes, rows, dead letters, losses, and their shapes. */
export function recordDurableFlush(metrics: SinkMetrics, flush: DurableFlush): void {
  if (flush.followedIntent) metrics.intentsFollowed.inc();
  metrics.filesWritten.inc(flush.files);
  metrics.bytesWritten.inc(flush.bytes);
  metrics.rowsWritten.inc(flush.rows);
  metrics.deadLetters.inc(flush.deadLetters);
  metrics.lostRecords.inc(flush.lostRows);
  for (const rows of flush.fileRows) metrics.fileRows.observe(rows);
  if (flush.files > 0) metrics.fileBytes.observe(flush.bytes / flush.files);
}
