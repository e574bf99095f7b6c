/**
 * `pnpm bench:sink`: the sink alone, one instance, writing to the local S3 server.
 *   1. drain: 1,000,000 events (BENCH_ROWS) already in the topic; time from the sink's /readyz until
 *      all are committed (with SINK_FLUSH_MAX_AGE_MS=2000 so that the tail does not wait a minute),
 *      rows per second, the sink's CPU seconds and peak RSS (bench/src/sink-drain.ts);
 *   2. steady: 10,000 events/s for BENCH_STEADY_S seconds (120) with the default flush settings:
 *      objects and bytes written, scaled to an hour, and the delay from produce to durable-and-committed
 *      (= queryable) for marker events sent once a second.
 * Before the drain, Kafka's own ConsumerPerformance reads the same backlog in its own group: the
 * ceiling the drain is measured against (`drain_vs_consumer_perf`).
 * BENCH_STEADY_S=0 skips the steady phase; BENCH_SINK_CPU_PROF=<dir> writes the draining sink's
 * V8 CPU profile there (node --cpu-prof); BENCH_SINK_NODE_OPTIONS adds Node options to the draining sink.
 * Prints one JSON object.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafkaAdmin, createKafkaProducer, type KafkaClientConfig } from '@loglake/kafka';
import { findRepoRoot, kafkaJarDir, stackUp } from '@loglake/stack';
import { consumerPerformance } from './kafka-clients/java.ts';
import { FETCH } from './kafka-clients/adapter.ts';
import { SINK_ADMIN_PORT, startSink, type Service } from './services.ts';
import { backlogLine, drainBacklog, fillBacklog } from './sink-drain.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const STEADY_S = Number(process.env.BENCH_STEADY_S ?? 120);
const CPU_PROF_DIR = process.env.BENCH_SINK_CPU_PROF;
/** Node options of the draining sink, e.g. `--max-semi-space-size=4` (to measure V8's share of RSS). */
const NODE_OPTIONS = process.env.BENCH_SINK_NODE_OPTIONS ?? '';
const RATE = 10_000;
const root = findRepoRoot();

function metric(text: string, name: string): number {
  const l = text.split('\n').find((x) => x.startsWith(name) && !x.startsWith('#'));
  return l ? Number(l.split(' ').at(-1)) : 0;
}

async function main() {
  const info = await stackUp({ kafka: ['single'], s3: true, prometheus: 'off' });
  const kafka: KafkaClientConfig = {
    brokers: info.kafka.single ?? [],
    clientId: 'bench',
    ssl: false,
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 30000,
  };
  const topic = `bench-sink-${Date.now()}`;
  const admin = createKafkaAdmin(kafka);
  await admin.connect();
  await admin.ensureTopic({ topic, partitions: 6, replicationFactor: 1 });
  await admin.ensureTopic({ topic: `${topic}-dlq`, partitions: 1, replicationFactor: 1 });
  const producer = createKafkaProducer(kafka);
  await producer.connect();
  await fillBacklog(producer, topic, ROWS);
  const ceiling = await consumerPerformance({
    jars: await kafkaJarDir(info.paths.root),
    brokers: kafka.brokers,
    topic,
    group: `${topic}-consumer-perf`,
    records: ROWS,
    fetchMaxBytes: FETCH.maxBytes,
    fetchMaxWaitMs: FETCH.maxWaitMs,
  });
  const groupId = `${topic}-group`;
  const s3 = info.s3;
  if (!s3) throw new Error('the stack gave no S3');
  const target = { s3, outputUrl: `s3://${s3.bucket}/${topic}` };
  const logFile = join(info.paths.logs, `${topic}-sink.log`);
  let sink: Service | null = null;
  try {
    const drain = await drainBacklog({
      root,
      kafka,
      admin,
      target,
      topic,
      groupId,
      rows: ROWS,
      logFile,
      ...(CPU_PROF_DIR || NODE_OPTIONS
        ? {
            env: {
              // Added after the sink's own flags (launchEnv), so that one given here too wins.
              NODE_OPTIONS: [
                NODE_OPTIONS,
                CPU_PROF_DIR ? `--cpu-prof --cpu-prof-dir=${CPU_PROF_DIR}` : '',
              ].join(' '),
            },
          }
        : {}),
    });
    const consumer_perf = {
      command: ceiling.command,
      records_per_s: ceiling.records_per_s,
      fetch_records_per_s: ceiling.fetch_records_per_s,
      cpu_s: ceiling.run.cpu_s,
    };
    const drainVsCeiling = Math.round((drain.rows_per_s / ceiling.records_per_s) * 1000) / 1000;
    /** The bench's JSON on stdout; `steady` when the steady phase ran. */
    const report = (steady?: Record<string, unknown>) =>
      console.log(
        JSON.stringify(
          {
            bench: 'sink',
            date: new Date().toISOString(),
            store: 'versitygw (local S3)',
            drain,
            consumer_perf,
            drain_vs_consumer_perf: drainVsCeiling,
            ...(steady ? { steady } : {}),
          },
          null,
          2,
        ),
      );
    if (STEADY_S <= 0) {
      report();
      return;
    }
    // The steady phase runs a sink with the default settings.
    sink = await startSink({ root, brokers: kafka.brokers, topic, groupId, target, logFile });
    const before = await (await fetch(`http://127.0.0.1:${SINK_ADMIN_PORT}/metrics`)).text();

    // Steady phase with markers.
    const delays: number[] = [];
    const markers: Promise<void>[] = [];
    const begun = Date.now();
    let sent = 0;
    let nextMarker = begun;
    while (Date.now() - begun < STEADY_S * 1000) {
      const due = Math.floor(((Date.now() - begun) / 1000) * RATE);
      if (sent >= due) {
        await sleep(5);
        continue;
      }
      const n = Math.min(500, due - sent);
      const t = Date.now();
      const out = await producer.send(
        topic,
        Array.from({ length: n }, (_, j) => ({
          key: `user-${j}`,
          value: backlogLine(ROWS + sent + j, t),
        })),
      );
      sent += n;
      if (t >= nextMarker && Date.now() - begun < (STEADY_S - 70) * 1000) {
        nextMarker = t + 1000;
        const first = out[0];
        if (first) {
          markers.push(
            (async () => {
              for (;;) {
                const c = (await admin.committedOffsets(groupId, topic)).find(
                  (x) => x.partition === first.partition,
                );
                if (c && BigInt(c.offset) > BigInt(first.baseOffset)) break;
                await sleep(250);
              }
              delays.push((Date.now() - t) / 1000);
            })(),
          );
        }
      }
    }
    await Promise.all(markers);
    const after = await (await fetch(`http://127.0.0.1:${SINK_ADMIN_PORT}/metrics`)).text();
    delays.sort((a, b) => a - b);
    const perHour = 3600 / STEADY_S;
    const files =
      metric(after, 'loglake_sink_files_written_total') -
      metric(before, 'loglake_sink_files_written_total');
    const bytes =
      metric(after, 'loglake_sink_bytes_written_total') -
      metric(before, 'loglake_sink_bytes_written_total');
    report({
      events_per_s: Math.round(sent / STEADY_S),
      seconds: STEADY_S,
      files_per_hour: Math.round(files * perHour),
      mb_per_hour: Math.round((bytes * perHour) / 1e6),
      produce_to_queryable_s: {
        markers: delays.length,
        p50: delays[Math.floor(delays.length / 2)],
        p99: delays[Math.floor(delays.length * 0.99)],
        max: delays.at(-1),
      },
    });
  } finally {
    await sink?.stop();
    await admin.deleteTopics([topic, `${topic}-dlq`]);
    await admin.deleteGroups([groupId, `${topic}-consumer-perf`]).catch(() => undefined);
    await producer.disconnect();
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
