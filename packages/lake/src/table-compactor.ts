import { rm } from 'node:fs/promises';
import { errorMessage, type Logger } from '@loglake/core';
import {
  compactTable,
  type AppendTarget,
  type CompactOptions,
  type CompactReport,
} from '@loglake/iceberg';
import type { SinkMetrics } from './metrics.ts';

export interface TableCompactorOptions {
  readonly target: AppendTarget;
  /** A run starts every `intervalMs`, unless the previous one is still going. */
  readonly intervalMs: number;
  /** Local folder of a run (downloads, written files, DuckDB's spill): removed after each run. */
  readonly workDir: string;
  readonly graceMs: number;
  readonly targetFileSizeBytes: number;
  readonly threads: number;
  readonly memoryLimitMb: number;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
  /** `compactTable` unless a test passes another. */
  readonly compact?: (target: AppendTarget, options: CompactOptions) => Promise<CompactReport>;
}

type Outcome = 'committed' | 'abandoned' | 'idle' | 'failed';

function outcomeOf(r: CompactReport): Outcome {
  if (r.committedGroups > 0) return 'committed';
  return r.abandonedGroups > 0 ? 'abandoned' : 'idle';
}

/**
 * The sink's background compaction (SINK_ICEBERG_COMPACT_INTERVAL_MS, docs/iceberg.md): every
 * interval, when no run is in progress, `compactTable` rewrites the small files of closed hours.
 * It is safe next to the sink's appends and next to other sinks doing the same (a group whose files
 * another writer replaced first is abandoned; appends that land meanwhile survive). A failed run is
 * logged and tried again at the next interval; it never stops the sink. `stop` clears the timer,
 * tells a run in progress to stop after its current group, and waits for it.
 */
export class TableCompactor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();

  constructor(private readonly options: TableCompactorOptions) {}

  start(): void {
    if (this.timer || this.abort.signal.aborted) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.running;
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Starts a run unless one is in progress; resolves when the run it started (or found) ends. */
  tick(): Promise<void> {
    if (!this.running && !this.abort.signal.aborted) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
    }
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const { metrics, logger, workDir } = this.options;
    const started = performance.now();
    try {
      const report = await (this.options.compact ?? compactTable)(this.options.target, {
        workDir,
        graceMs: this.options.graceMs,
        targetFileSizeBytes: this.options.targetFileSizeBytes,
        threads: this.options.threads,
        memoryLimitMb: this.options.memoryLimitMb,
        signal: this.abort.signal,
      });
      const outcome = outcomeOf(report);
      metrics.tableCompactions.inc({ outcome });
      metrics.tableCompactedFiles.inc(report.filesRemoved);
      metrics.tableCompactionFilesWritten.inc(report.filesAdded);
      logger.info(
        {
          event: 'sink_table_compacted',
          outcome,
          files_removed: report.filesRemoved,
          files_added: report.filesAdded,
          rows: report.rowsRewritten.toString(),
          bytes_in: report.bytesIn.toString(),
          bytes_out: report.bytesOut.toString(),
          groups_planned: report.plannedGroups,
          groups_committed: report.committedGroups,
          groups_abandoned: report.abandonedGroups,
          snapshot_id: report.snapshotId?.toString() ?? null,
          ms: report.durationMs,
        },
        `table compaction: ${report.filesRemoved} files → ${report.filesAdded}`,
      );
    } catch (error) {
      metrics.tableCompactions.inc({ outcome: 'failed' });
      logger.warn(
        {
          event: 'sink_table_compaction_failed',
          err: errorMessage(error),
          ms: Math.round(performance.now() - started),
        },
        'table compaction failed; tried again at the next interval',
      );
    } finally {
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
