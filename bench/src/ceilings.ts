/**
 * What this machine allows, measured in the same run: Kafka's own producer benchmark
 * (ProducerPerformance) and an empty fastify route under the same HTTP load as the gateway.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { kafkaJarDir, scriptLaunch } from '@loglake/stack';
import { withTopic, type BenchContext } from './context.ts';
import { closedLoop } from './http-load.ts';
import { exitedChildrenCpuSeconds, meter, perMillion, round } from './proc-stats.ts';
import { sampleBody } from './sample-event.ts';
import { EMPTY_SERVER_PORT, startService } from './services.ts';

export interface ProducerPerfResult {
  readonly command: string;
  readonly records: number;
  readonly records_per_s: number;
  readonly mb_per_s: number;
  readonly latency_ms: { avg: number; p50: number; p99: number; max: number };
  /** CPU of the producer's JVM (the broker's is not counted). */
  readonly producer_cpu_s: number;
}

/** Reads ProducerPerformance's final line, e.g. "1000000 records sent, 1234.5 records/sec (0.55 MB/sec), 2.1 ms avg latency, 300.0 ms max latency, 1 ms 50th, 4 ms 95th, 9 ms 99th, 20 ms 99.9th." */
export function parseProducerPerf(
  output: string,
): Omit<ProducerPerfResult, 'command' | 'producer_cpu_s'> {
  const line = output
    .split('\n')
    .filter((l) => / records sent, .* records\/sec/.test(l))
    .at(-1);
  const num = (re: RegExp) => {
    const m = line ? re.exec(line) : null;
    if (!m?.[1])
      throw new Error(`ProducerPerformance printed no final line:\n${output.slice(-2000)}`);
    return Number(m[1]);
  };
  return {
    records: num(/^(\d+) records sent/),
    records_per_s: Math.round(num(/([\d.]+) records\/sec/)),
    mb_per_s: num(/\(([\d.]+) MB\/sec\)/),
    latency_ms: {
      avg: num(/([\d.]+) ms avg latency/),
      p50: num(/([\d.]+) ms 50th/),
      p99: num(/([\d.]+) ms 99th/),
      max: num(/([\d.]+) ms max latency/),
    },
  };
}

export async function producerPerformance(ctx: BenchContext): Promise<ProducerPerfResult> {
  const jars = await kafkaJarDir();
  return withTopic(ctx, 'producer-perf', async (topic) => {
    const args = [
      '-cp',
      `${jars}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      ...['--topic', topic, '--num-records', String(ctx.settings.producerPerfRecords)],
      ...['--record-size', '470', '--throughput', '-1', '--producer-props'],
      `bootstrap.servers=${ctx.kafka.brokers.join(',')}`,
      ...['acks=all', 'linger.ms=5', 'batch.size=262144'],
    ];
    const cpu0 = exitedChildrenCpuSeconds();
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`ProducerPerformance exited ${code}:\n${output.slice(-2000)}`);
    return {
      command: `java -cp '<kafka jars>/*' ${args.slice(2).join(' ')}`,
      ...parseProducerPerf(output),
      producer_cpu_s: round(exitedChildrenCpuSeconds() - cpu0, 1),
    };
  });
}

export interface ClosedLoopResult {
  readonly seconds: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly requests_per_s: number;
  readonly events_per_s: number;
  readonly non_200: number;
  readonly errors: number;
  readonly latency_ms: { p50: number; p99: number; max: number };
  readonly server_cpu_s_per_million: number | null;
  readonly server_peak_rss_mb: number;
}

/** Closed-loop load (bench/src/http-load.ts) of `batch`-event requests against a running server. */
export async function closedLoopRun(
  ctx: BenchContext,
  url: string,
  pid: number,
): Promise<ClosedLoopResult> {
  const { batch, concurrency, closedLoopS } = ctx.settings;
  const m = meter(pid);
  const r = await closedLoop({
    url,
    body: sampleBody(batch),
    headers: { 'content-type': 'application/json' },
    concurrency,
    durationMs: closedLoopS * 1000,
  });
  const usage = m.read();
  const ok = r.byStatus['200'] ?? 0;
  return {
    seconds: round(r.seconds, 1),
    batch,
    concurrency,
    requests_per_s: Math.round(ok / r.seconds),
    events_per_s: Math.round((ok * batch) / r.seconds),
    non_200: r.requests - ok,
    errors: r.errors,
    latency_ms: {
      p50: round(r.latencyMs.p50, 1),
      p99: round(r.latencyMs.p99, 1),
      max: round(r.latencyMs.max, 1),
    },
    server_cpu_s_per_million: perMillion(usage.cpu_s, ok * batch),
    server_peak_rss_mb: usage.peak_rss_mb,
  };
}

export async function emptyFastify(ctx: BenchContext): Promise<ClosedLoopResult> {
  const server = await startService({
    name: 'empty fastify',
    root: ctx.root,
    launch: scriptLaunch(join(ctx.root, 'bench/src/empty-server.ts')),
    env: { BENCH_EMPTY_PORT: String(EMPTY_SERVER_PORT) },
    readyUrl: `http://127.0.0.1:${EMPTY_SERVER_PORT}/readyz`,
    logFile: join(ctx.logsDir, 'empty-server.log'),
  });
  try {
    return await closedLoopRun(ctx, `http://127.0.0.1:${EMPTY_SERVER_PORT}/events`, server.pid);
  } finally {
    await server.stop();
  }
}
