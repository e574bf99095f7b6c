import type { GeneratorMetrics } from './metrics.ts';

/**
 * Counts and latencies of a generator run, mirrored into Prometheus metrics when given.
 * Latency is measured from each batch's scheduled time.
 */
export class RunStats {
  sent = 0;
  accepted = 0;
  rejected = 0;
  retries = 0;
  requests = 0;
  failedRequests = 0;
  private readonly latencies: number[] = [];
  private readonly lateness: number[] = [];

  constructor(private readonly metrics: GeneratorMetrics | null = null) {}

  addSent(n: number): void {
    this.sent += n;
    this.metrics?.sent.inc(n);
  }

  addOutcome(accepted: number, rejected: number): void {
    this.accepted += accepted;
    this.rejected += rejected;
    this.metrics?.accepted.inc(accepted);
    this.metrics?.rejected.inc(rejected);
  }

  addRetry(): void {
    this.retries += 1;
    this.metrics?.retries.inc();
  }

  recordLatency(ms: number): void {
    this.latencies.push(ms);
    this.metrics?.duration.observe(ms / 1000);
  }

  recordLateness(ms: number): void {
    this.lateness.push(ms);
  }

  static quantiles(values: number[]): { p50: number; p99: number; max: number } {
    if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
    return {
      p50: +at(0.5).toFixed(1),
      p99: +at(0.99).toFixed(1),
      max: +(sorted.at(-1) ?? 0).toFixed(1),
    };
  }

  latency() {
    return RunStats.quantiles(this.latencies);
  }

  behindSchedule() {
    return RunStats.quantiles(this.lateness);
  }
}
