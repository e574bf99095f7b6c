/**
 * One measurement in a fresh process: `child.ts '<job JSON>'` produces or drains a topic with one
 * client and prints its result as one JSON line on stdout. CPU is this process's user + system time
 * from /proc/self/stat (every thread, the native ones included) over the measured phase only;
 * peak RSS is VmHWM at the end. A progress watchdog ends a stalled run.
 */
import { cpuSeconds, peakRssMb, round } from '../proc-stats.ts';
import type { ClientTarget } from './adapter.ts';
import { adapterById } from './adapters/index.ts';
import { batchOf } from './records.ts';

export interface ChildJob {
  readonly kind: 'produce' | 'consume';
  readonly client: string;
  readonly target: ClientTarget;
  readonly groupId: string;
  readonly records: number;
  readonly batch: number;
  /** A phase that makes no progress for this long fails. */
  readonly stallMs: number;
}

export interface ProduceResult {
  readonly kind: 'produce';
  readonly seconds: number;
  readonly cpu_s: number;
  readonly peak_rss_mb: number;
  readonly sends: number;
  readonly outstanding_sends: number;
  /** Per send() of `batch` records, from the call until it resolved. */
  readonly send_latency_ms: { p50: number; p99: number; max: number };
}

export interface ConsumeResult {
  readonly kind: 'consume';
  readonly seconds: number;
  /** From the start (subscribe, join) until the first record. */
  readonly first_record_s: number;
  readonly cpu_s: number;
  readonly peak_rss_mb: number;
  readonly records: number;
  readonly bytes: number;
  /** Partition → the offset after the last record seen (its record count when nothing is out of sequence). */
  readonly next_offsets: Record<string, number>;
  /** Records whose offset was not the next one expected of their partition (duplicates or gaps). */
  readonly out_of_sequence: number;
  readonly non_buffer_values: number;
}

const pid = process.pid;

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0);
}

/** Calls `fail` when `progress()` has not changed for `ms`. */
function watchdog(ms: number, progress: () => number, what: string): () => void {
  let last = -1;
  const timer = setInterval(() => {
    const now = progress();
    if (now === last) {
      process.stderr.write(`${what}: no progress for ${ms} ms (at ${now})\n`);
      process.exit(3);
    }
    last = now;
  }, ms);
  return () => clearInterval(timer);
}

async function produce(job: ChildJob): Promise<ProduceResult> {
  const adapter = adapterById(job.client);
  const producer = await adapter.createProducer(job.target);
  const batches = Math.ceil(job.records / job.batch);
  const latencies = new Float64Array(batches);
  let next = 0;
  let done = 0;
  const stop = watchdog(job.stallMs, () => done, `${job.client} produce`);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const worker = async () => {
    while (next < batches) {
      const b = next;
      next += 1;
      const records = batchOf(b, job.batch, job.records);
      const sent = performance.now();
      await producer.send(records);
      latencies[b] = performance.now() - sent;
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: adapter.outstandingSends }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  stop();
  const peak = peakRssMb(pid);
  await producer.close();
  latencies.sort();
  return {
    kind: 'produce',
    seconds: round(seconds, 3),
    cpu_s: round(cpu, 2),
    peak_rss_mb: peak,
    sends: batches,
    outstanding_sends: adapter.outstandingSends,
    send_latency_ms: {
      p50: round(percentile(latencies, 0.5), 2),
      p99: round(percentile(latencies, 0.99), 2),
      max: round(latencies[latencies.length - 1] ?? 0, 2),
    },
  };
}

async function consume(job: ChildJob): Promise<ConsumeResult> {
  const consumer = await adapterById(job.client).createConsumer(job.target, job.groupId);
  const nextOffset = new Map<number, number>();
  let records = 0;
  let bytes = 0;
  let outOfSequence = 0;
  let nonBuffer = 0;
  let firstAt = 0;
  const stop = watchdog(job.stallMs, () => records, `${job.client} consume`);
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const drained = new Promise<{ seconds: number; cpu: number }>((resolve) => {
    void consumer.start((partition, offset, value) => {
      if (records === 0) firstAt = performance.now();
      if ((nextOffset.get(partition) ?? 0) !== offset) outOfSequence += 1;
      nextOffset.set(partition, offset + 1);
      if (!Buffer.isBuffer(value)) nonBuffer += 1;
      bytes += value.length;
      records += 1;
      if (records === job.records)
        resolve({ seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(pid) - cpu0 });
    });
  });
  const { seconds, cpu } = await drained;
  stop();
  const peak = peakRssMb(pid);
  await consumer.commit(nextOffset);
  await consumer.close();
  return {
    kind: 'consume',
    seconds: round(seconds, 3),
    first_record_s: round((firstAt - t0) / 1000, 3),
    cpu_s: round(cpu, 2),
    peak_rss_mb: peak,
    records,
    bytes,
    next_offsets: Object.fromEntries([...nextOffset].sort((a, b) => a[0] - b[0])),
    out_of_sequence: outOfSequence,
    non_buffer_values: nonBuffer,
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
  const result = job.kind === 'produce' ? await produce(job) : await consume(job);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Some clients keep timers or native threads alive after close; the result is out.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
