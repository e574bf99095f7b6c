/**
 * The sink alone draining a backlog: `rows` events produced into a fresh topic first, then one sink
 * started, timed from ready until the group has committed them all. Used by `pnpm bench:sink`
 * and `pnpm bench`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_EVENT_LIMITS, validateEvent } from '@loglake/events';
import type { KafkaAdmin, KafkaClientConfig, KafkaProducer } from '@loglake/kafka';
import { meter, peakRssMb, perMillion, round } from './proc-stats.ts';
import { sampleEvent } from './sample-event.ts';
import { SINK_ADMIN_PORT, startSink, type SinkTarget } from './services.ts';

/** Event `i` as the gateway would have stored it. */
export function backlogLine(i: number, now: number): string {
  const r = validateEvent(
    { ...sampleEvent(i), event_id: `b-${i}`, ts: now - (i % 600_000), bid: (i % 100) / 10 },
    { receivedAt: now, source: 'bench', allowBodySource: false, limits: DEFAULT_EVENT_LIMITS },
  );
  if (!r.ok) throw new Error(r.reject.message);
  return r.json;
}

/** Produces events 0..rows-1 into `topic`, 2,000 per call. */
export async function fillBacklog(
  producer: KafkaProducer,
  topic: string,
  rows: number,
): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < rows; i += 2000) {
    await producer.send(
      topic,
      Array.from({ length: Math.min(2000, rows - i) }, (_, j) => ({
        key: `user-${(i + j) % 1000}`,
        value: backlogLine(i + j, now),
      })),
    );
  }
}

export async function committedTotal(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<number> {
  return (await admin.committedOffsets(groupId, topic)).reduce(
    (n, c) => n + Math.max(0, Number(c.offset)),
    0,
  );
}

export interface DrainResult {
  readonly rows: number;
  /** From the sink's /readyz answering 200 until every row was committed. */
  readonly seconds: number;
  /** From spawning the sink until /readyz answered 200. */
  readonly startup_s: number;
  readonly rows_per_s: number;
  readonly cpu_seconds: number;
  readonly rows_per_cpu_second: number;
  readonly cpu_s_per_million: number | null;
  readonly peak_rss_mb: number;
  /**
   * Peak RSS from the sink's start until it was ready, before the first record: what the sink
   * takes before it holds any data (Node, its modules, DuckDB), outside any budget.
   */
  readonly rss_at_ready_mb: number;
  /** The sink's SINK_MEMORY_BUDGET_BYTES (from its /metrics), and the goal of issue 12: peak RSS ≤ budget + 150 MB. */
  readonly memory_budget_mb: number | null;
  readonly peak_rss_over_budget_mb: number | null;
  readonly peak_rss_goal_met: boolean | null;
  /** Where the memory was at the highest RSS sampled (the sink's /metrics, every 500 ms). */
  readonly memory_at_peak: MemorySample | null;
  readonly flush_max_age_ms: number;
}

/** MB, from the sink's own metrics. */
export interface MemorySample {
  readonly rss_mb: number;
  /** V8's heap (objects, strings), as allocated from the system, and the part of it in use. */
  readonly js_heap_mb: number;
  readonly js_heap_used_mb: number;
  /** Memory outside the heap that JavaScript holds: Buffers (the ranges' NDJSON chunks, kafkajs' fetches). */
  readonly external_mb: number;
  /** Record bytes the sink counts against SINK_MEMORY_BUDGET_BYTES. */
  readonly buffered_mb: number;
  /** RSS − heap − external: DuckDB's memory, native code and stacks. */
  readonly other_mb: number;
  /** SINK_MEMORY_BUDGET_BYTES, in MiB like `peak_rss_mb` (VmHWM / 1024). */
  readonly budget_mb: number;
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Samples the sink's memory metrics every 500 ms; `stop()` gives the sample with the highest RSS. */
function memorySampler(): { stop(): Promise<MemorySample | null> } {
  let best: MemorySample | null = null;
  let running = true;
  const mb = (n: number) => Math.round(n / 1e6);
  const loop = (async () => {
    while (running) {
      try {
        const text = await (await fetch(`http://127.0.0.1:${SINK_ADMIN_PORT}/metrics`)).text();
        const rss = metricValue(text, 'process_resident_memory_bytes');
        const heap = metricValue(text, 'nodejs_heap_size_total_bytes');
        const external = metricValue(text, 'nodejs_external_memory_bytes');
        if (!best || mb(rss) > best.rss_mb) {
          best = {
            rss_mb: mb(rss),
            js_heap_mb: mb(heap),
            js_heap_used_mb: mb(metricValue(text, 'nodejs_heap_size_used_bytes')),
            external_mb: mb(external),
            buffered_mb: mb(metricValue(text, 'loglake_sink_buffered_bytes')),
            other_mb: mb(rss - heap - external),
            budget_mb: Math.round(metricValue(text, 'loglake_sink_buffer_budget_bytes') / 2 ** 20),
          };
        }
      } catch {
        // the sink is busy or stopping: skip this sample
      }
      await sleep(500);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return best;
    },
  };
}

/**
 * Starts a sink on a topic already holding `rows` events and waits until its group committed them
 * all. SINK_FLUSH_MAX_AGE_MS=2000 so that the last partial flush of each partition does not wait a minute.
 */
export async function drainBacklog(options: {
  readonly root: string;
  readonly kafka: KafkaClientConfig;
  readonly admin: KafkaAdmin;
  readonly target: SinkTarget;
  readonly topic: string;
  readonly groupId: string;
  readonly rows: number;
  readonly logFile: string;
  /** Extra environment of the sink (e.g. NODE_OPTIONS=--cpu-prof for a profile). */
  readonly env?: Readonly<Record<string, string>>;
}): Promise<DrainResult> {
  const flushAgeMs = 2000;
  const spawned = performance.now();
  const sink = await startSink({
    root: options.root,
    brokers: options.kafka.brokers,
    topic: options.topic,
    groupId: options.groupId,
    target: options.target,
    logFile: options.logFile,
    env: { SINK_FLUSH_MAX_AGE_MS: String(flushAgeMs), ...options.env },
  });
  try {
    const t0 = performance.now();
    const readyRss = peakRssMb(sink.pid);
    const m = meter(sink.pid);
    const sampler = memorySampler();
    while ((await committedTotal(options.admin, options.groupId, options.topic)) < options.rows) {
      await sleep(200);
    }
    const seconds = (performance.now() - t0) / 1000;
    const used = m.read();
    const memory = await sampler.stop();
    return {
      rows: options.rows,
      seconds: round(seconds, 1),
      startup_s: round((t0 - spawned) / 1000, 1),
      rows_per_s: Math.round(options.rows / seconds),
      cpu_seconds: round(used.cpu_s, 1),
      rows_per_cpu_second: Math.round(options.rows / used.cpu_s),
      cpu_s_per_million: perMillion(used.cpu_s, options.rows),
      peak_rss_mb: used.peak_rss_mb,
      rss_at_ready_mb: readyRss,
      memory_budget_mb: memory?.budget_mb ?? null,
      peak_rss_over_budget_mb: memory ? used.peak_rss_mb - memory.budget_mb : null,
      peak_rss_goal_met: memory ? used.peak_rss_mb <= memory.budget_mb + 150 : null,
      memory_at_peak: memory,
      flush_max_age_ms: flushAgeMs,
    };
  } finally {
    await sink.stop();
  }
}
