import { errorMessage, type Logger } from '@loglake/core';
import type { KafkaAdmin } from '@loglake/kafka';
import type { SinkMetrics } from './metrics.ts';

export interface LagMonitorOptions {
  readonly topic: string;
  readonly groupId: string;
  readonly intervalMs: number;
}

/**
 * Consumer lag the way operators read it from Kafka itself: per partition, the log end offset
 * minus the group's committed offset (the log start offset where the group committed nothing).
 * Every sink instance reports the whole topic, so the numbers survive a member's death; dashboards
 * take `max by (topic, partition)`. Polled with the admin client, not taken from fetch responses,
 * so that paused partitions and partitions nobody owns are counted too.
 */
export class LagMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private failing = false;

  constructor(
    private readonly admin: KafkaAdmin,
    private readonly metrics: SinkMetrics,
    private readonly logger: Logger,
    private readonly options: LagMonitorOptions,
  ) {}

  start(): void {
    this.running = this.poll();
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.poll());
    }, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One measurement; on failure the previous values stay and the failure is logged once. */
  async poll(): Promise<void> {
    const { topic, groupId } = this.options;
    try {
      const [ends, committed] = await Promise.all([
        this.admin.topicOffsets(topic),
        this.admin.committedOffsets(groupId, topic),
      ]);
      for (const end of ends) {
        const labels = { topic, partition: String(end.partition) };
        const c = committed.find((x) => x.partition === end.partition)?.offset ?? '-1';
        const from = BigInt(c) >= 0n ? BigInt(c) : BigInt(end.low);
        const lag = BigInt(end.high) - from;
        this.metrics.lagRecords.set(labels, Number(lag > 0n ? lag : 0n));
        this.metrics.logEndOffset.set(labels, Number(end.high));
      }
      if (this.failing)
        this.logger.info({ event: 'sink_lag_recovered' }, 'lag measurement works again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(
          { event: 'sink_lag_failed', err: errorMessage(error) },
          'cannot measure consumer lag; keeping the last values',
        );
      }
      this.failing = true;
    }
  }
}
