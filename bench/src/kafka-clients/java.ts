/**
 * Kafka's own tools from the stack's jars, run the way the shipped kafka-*-perf-test.sh scripts run
 * them (-Xmx512M, the G1 options of kafka-run-class.sh): ProducerPerformance and ConsumerPerformance
 * as the ceilings, and the Java producer's key → partition mapping as the reference.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProducerPerf } from '../ceilings.ts';
import { exitedChildrenCpuSeconds, round } from '../proc-stats.ts';

const JVM_OPTS = [
  '-Xmx512M',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];

export interface JavaRun {
  readonly output: string;
  readonly wall_s: number;
  /** User + system CPU of the JVM from start to exit, every thread. */
  readonly cpu_s: number;
  readonly peak_rss_mb: number;
}

/** Runs `java` to completion; samples VmHWM while it runs, takes its CPU from the parent's rusage of children. */
export async function runJava(
  jars: string,
  args: readonly string[],
  options: { stdin?: string; logFile?: string; timeoutMs?: number } = {},
): Promise<JavaRun> {
  const cpu0 = exitedChildrenCpuSeconds();
  const t0 = performance.now();
  const child = spawn('java', [...JVM_OPTS, '-cp', `${jars}/*`, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : null;
  let output = '';
  const collect = (c: Buffer) => {
    output += c.toString('utf8');
    log?.write(c);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.stdin.end(options.stdin ?? '');
  let peakKb = 0;
  const sample = () => {
    try {
      const line = readFileSync(`/proc/${child.pid}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('VmHWM:'));
      peakKb = Math.max(peakKb, Number(line?.split(/\s+/)[1] ?? 0));
    } catch {
      // exited
    }
  };
  const sampler = setInterval(sample, 100);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  clearTimeout(killer);
  log?.end();
  if (code !== 0) throw new Error(`java ${args[0]} exited ${code}:\n${output.slice(-2000)}`);
  return {
    output,
    wall_s: round((performance.now() - t0) / 1000, 2),
    cpu_s: round(exitedChildrenCpuSeconds() - cpu0, 2),
    peak_rss_mb: Math.round(peakKb / 1024),
  };
}

const PARTITIONS_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'JavaPartitions.java');

/** The partition Kafka's Java producer (BuiltInPartitioner.partitionForKey) picks for each key. */
export async function javaPartitions(
  jars: string,
  keys: readonly Buffer[],
  partitions: number,
): Promise<number[]> {
  const run = await runJava(jars, [PARTITIONS_SOURCE, String(partitions)], {
    stdin: `${keys.map((k) => k.toString('utf8')).join('\n')}\n`,
  });
  const lines = run.output.split('\n').filter((l) => /^\d+ -?\d+$/.test(l));
  if (lines.length !== keys.length)
    throw new Error(`JavaPartitions gave ${lines.length} of ${keys.length} keys:\n${run.output}`);
  return lines.map((l) => Number(l.split(' ')[0]));
}

export interface ProducerPerfRun {
  readonly command: string;
  readonly records: number;
  readonly records_per_s: number;
  readonly latency_ms: { avg: number; p50: number; p99: number; max: number };
  readonly run: Omit<JavaRun, 'output'>;
}

export async function producerPerformance(o: {
  jars: string;
  brokers: readonly string[];
  topic: string;
  records: number;
  payloadFile: string;
  logFile?: string;
}): Promise<ProducerPerfRun> {
  const args = [
    'org.apache.kafka.tools.ProducerPerformance',
    ...['--bootstrap-server', o.brokers.join(','), '--topic', o.topic],
    ...['--num-records', String(o.records), '--throughput', '-1'],
    ...[
      '--payload-file',
      o.payloadFile,
      '--key-distribution',
      'range',
      '--record-key-range',
      '1000',
    ],
    ...['--command-property', 'acks=all', 'enable.idempotence=true'],
  ];
  const { output, ...run } = await runJava(o.jars, args, { ...pick(o) });
  const parsed = parseProducerPerf(output);
  return {
    command: `java -Xmx512M -cp '<kafka jars>/*' ${args.join(' ')}`,
    records: parsed.records,
    records_per_s: parsed.records_per_s,
    latency_ms: parsed.latency_ms,
    run,
  };
}

export interface ConsumerPerfRun {
  readonly command: string;
  readonly records: number;
  /** Records ÷ seconds from start to end, the group join included (the tool's nMsg.sec). */
  readonly records_per_s: number;
  /** The same without the time to join the group (fetch.nMsg.sec). */
  readonly fetch_records_per_s: number;
  readonly rebalance_ms: number;
  readonly run: Omit<JavaRun, 'output'>;
}

/** Reads ConsumerPerformance's header and value lines (start.time, …, nMsg.sec, rebalance.time.ms, …). */
export function parseConsumerPerf(output: string): Record<string, string> {
  const lines = output.split('\n').map((l) => l.trim());
  const h = lines.findIndex((l) => l.startsWith('start.time,'));
  const head = lines[h]?.split(/,\s*/) ?? [];
  const values = lines[h + 1]?.split(/,\s*/) ?? [];
  if (h < 0 || values.length !== head.length)
    throw new Error(`ConsumerPerformance printed no result:\n${output.slice(-2000)}`);
  return Object.fromEntries(head.map((k, i) => [k, values[i] ?? '']));
}

export async function consumerPerformance(o: {
  jars: string;
  brokers: readonly string[];
  topic: string;
  group: string;
  records: number;
  fetchMaxBytes: number;
  fetchMaxWaitMs: number;
  logFile?: string;
}): Promise<ConsumerPerfRun> {
  const args = [
    'org.apache.kafka.tools.ConsumerPerformance',
    ...['--bootstrap-server', o.brokers.join(','), '--topic', o.topic, '--group', o.group],
    ...['--num-records', String(o.records), '--timeout', '60000'],
    ...['--command-property', `fetch.max.bytes=${o.fetchMaxBytes}`],
    ...['--command-property', `fetch.max.wait.ms=${o.fetchMaxWaitMs}`],
  ];
  const { output, ...run } = await runJava(o.jars, args, { ...pick(o) });
  const r = parseConsumerPerf(output);
  return {
    command: `java -Xmx512M -cp '<kafka jars>/*' ${args.join(' ')}`,
    records: Number(r['data.consumed.in.nMsg']),
    records_per_s: Math.round(Number(r['nMsg.sec'])),
    fetch_records_per_s: Math.round(Number(r['fetch.nMsg.sec'])),
    rebalance_ms: Number(r['rebalance.time.ms']),
    run,
  };
}

function pick(o: { logFile?: string }): { logFile?: string } {
  return o.logFile ? { logFile: o.logFile } : {};
}

export interface LogBatches {
  /** Record batches in the topic's log segments. */
  readonly batches: number;
  readonly records_per_batch: number;
  /** Distinct `producerId:epoch` pairs that wrote the topic (one for a producer never reset). */
  readonly producers: readonly string[];
  /** Batches whose base sequence does not follow the previous batch of the same producer and partition. */
  readonly sequence_breaks: number;
}

const BATCH_LINE =
  /baseOffset: \d+ lastOffset: \d+ count: (\d+) baseSequence: (-?\d+) lastSequence: (-?\d+) producerId: (-?\d+) producerEpoch: (-?\d+)/;

/**
 * Reads the record batch headers of a topic's log segments with Kafka's DumpLogSegments: how the
 * client batched, which producer ids and epochs wrote, whether the idempotent sequences are gapless.
 */
export async function logBatches(
  jars: string,
  partitionDirs: readonly string[],
): Promise<LogBatches> {
  const files = partitionDirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .map((f) => join(d, f)),
  );
  const run = await runJava(jars, [
    'org.apache.kafka.tools.DumpLogSegments',
    '--files',
    files.join(','),
  ]);
  let batches = 0;
  let records = 0;
  let breaks = 0;
  const producers = new Set<string>();
  let last = new Map<string, number>();
  for (const line of run.output.split('\n')) {
    if (line.startsWith('Dumping ')) last = new Map();
    const m = BATCH_LINE.exec(line);
    if (!m) continue;
    const [, count, base, lastSeq, pid, epoch] = m;
    const producer = `${pid}:${epoch}`;
    batches += 1;
    records += Number(count);
    producers.add(producer);
    const previous = last.get(producer);
    if (previous !== undefined && Number(base) !== previous + 1) breaks += 1;
    last.set(producer, Number(lastSeq));
  }
  return {
    batches,
    records_per_batch: batches === 0 ? 0 : round(records / batches, 1),
    producers: [...producers],
    sequence_breaks: breaks,
  };
}
