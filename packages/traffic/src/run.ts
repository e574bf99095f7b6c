import { setTimeout as sleep } from 'node:timers/promises';
import type { GeneratorMetrics } from './metrics.ts';
import type { GeneratorOptions } from './options.ts';
import type { SyntheticEvent } from './profiles.ts';
import type { BatchSender } from './sender.ts';
import { RunStats } from './stats.ts';

export interface RunSummary {
  readonly run_id: string;
  readonly profile: string;
  readonly target: string;
  readonly planned: number;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly retries: number;
  readonly failed_requests: number;
  readonly seconds: number;
  readonly target_rate: number;
  readonly achieved_rate: number;
  readonly latency_ms: { p50: number; p99: number; max: number };
  readonly behind_schedule_ms: { p50: number; p99: number; max: number };
  /**
   * Wall-clock time (epoch ms) when the first event was generated, and when the last was sent (every
   * request settled): with `EVENT_TIME_WINDOW`, where the run's events can lie in time.
   */
  readonly started_at: number;
  readonly ended_at: number;
}

const RETRYABLE = new Set([429, 503]);

/** Sends one batch, retrying refusals (429/503, after Retry-After) and failures up to `maxAttempts`; counts the outcome. */
async function sendWithRetries(
  sender: BatchSender,
  events: SyntheticEvent[],
  maxAttempts: number,
  stats: RunStats,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      stats.requests += 1;
      const out = await sender.send(events);
      if (RETRYABLE.has(out.status) && attempt < maxAttempts) {
        stats.addRetry();
        await sleep(Math.max(100, (out.retryAfterS ?? 1) * 1000));
        continue;
      }
      stats.addOutcome(out.accepted, out.rejected);
      if (out.status !== 200) stats.failedRequests += 1;
      return;
    } catch {
      if (attempt < maxAttempts) {
        stats.addRetry();
        await sleep(500 * attempt);
        continue;
      }
      stats.failedRequests += 1;
      stats.addOutcome(0, events.length);
      return;
    }
  }
}

/** The summary of a finished run; `span`: its wall-clock start and end, epoch ms. */
function summarize(
  options: GeneratorOptions,
  runId: string,
  planned: number,
  stats: RunStats,
  seconds: number,
  span: { readonly startedAt: number; readonly endedAt: number },
): RunSummary {
  return {
    run_id: runId,
    profile: options.profile,
    target: options.directKafka ? `kafka:${options.topic}` : options.target,
    planned,
    sent: stats.sent,
    accepted: stats.accepted,
    rejected: stats.rejected,
    retries: stats.retries,
    failed_requests: stats.failedRequests,
    seconds: +seconds.toFixed(3),
    target_rate: options.rate,
    achieved_rate: Math.round(stats.sent / seconds),
    latency_ms: stats.latency(),
    behind_schedule_ms: stats.behindSchedule(),
    started_at: span.startedAt,
    ended_at: span.endedAt,
  };
}

/**
 * Open loop: batch i is due at start + i·batch/rate, whatever the server does. A batch that finds
 * every connection busy waits, and that wait counts in its latency (measured from when it was due),
 * so a slow server cannot hide behind a slower schedule (no coordinated omission).
 */
export async function runGenerator(
  options: GeneratorOptions,
  runId: string,
  next: () => SyntheticEvent,
  sender: BatchSender,
  onProgress: (stats: RunStats, elapsedS: number) => void = () => undefined,
  clock: () => number = () => performance.now(),
  metrics: GeneratorMetrics | null = null,
): Promise<RunSummary> {
  const planned = options.count ?? Math.round((options.rate * (options.durationMs ?? 0)) / 1000);
  const batches = Math.ceil(planned / options.batch);
  const stats = new RunStats(metrics);
  metrics?.targetRate.set(options.rate);
  const start = clock();
  let inFlight = 0;
  const slotFreed: (() => void)[] = [];
  const progress = setInterval(() => onProgress(stats, (clock() - start) / 1000), 1000);
  const running = new Set<Promise<void>>();
  let startedAt: number | null = null;
  for (let i = 0; i < batches; i += 1) {
    const due = start + (i * options.batch * 1000) / options.rate;
    const wait = due - clock();
    if (wait > 1) await sleep(wait);
    while (inFlight >= options.concurrency)
      await new Promise<void>((resolve) => slotFreed.push(resolve));
    stats.recordLateness(Math.max(0, clock() - due));
    startedAt ??= Date.now();
    const size = Math.min(options.batch, planned - i * options.batch);
    const events = Array.from({ length: size }, next);
    stats.addSent(size);
    inFlight += 1;
    const p: Promise<void> = sendWithRetries(sender, events, options.maxAttempts, stats)
      .then(() => stats.recordLatency(clock() - due))
      .finally(() => {
        inFlight -= 1;
        running.delete(p);
        slotFreed.shift()?.();
      });
    running.add(p);
  }
  await Promise.all(running);
  const endedAt = Date.now();
  clearInterval(progress);
  const seconds = (clock() - start) / 1000;
  return summarize(options, runId, planned, stats, seconds, {
    startedAt: startedAt ?? endedAt,
    endedAt,
  });
}
