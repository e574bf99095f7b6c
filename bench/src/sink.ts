/**
 * `pnpm bench:sink`: the sink alone, one instance, writing to the local S3 server.
 *   1. drain: 1,000,000 events (BENCH_ROWS) already in the topic; time until all are committed
 *      (with SINK_FLUSH_MAX_AGE_MS=2000 so that the tail does not wait a minute), rows per second,
 *      and the sink's CPU seconds;
 *   2. steady: 10,000 events/s for BENCH_STEADY_S seconds (120) with the default flush settings:
 *      objects and bytes written, scaled to an hour, and the delay from produce to durable-and-committed
 *      (= queryable) for marker events sent once a second.
 * Prints one JSON object.
 */
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_EVENT_LIMITS, validateEvent } from '@loglake/events';
import { createKafkaAdmin, createKafkaProducer, type KafkaClientConfig } from '@loglake/kafka';
import { findRepoRoot, stackUp } from '@loglake/stack';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const STEADY_S = Number(process.env.BENCH_STEADY_S ?? 120);
const RATE = 10_000;
const root = findRepoRoot();

function line(i: number, now: number): string {
  const r = validateEvent(
    {
      event_id: `b-${i}`,
      event_type: 'tracking',
      ts: now - (i % 600_000),
      create_time: '5f4c1e70-cb1c-11f0-8de9-0242ac120002',
      bid: (i % 100) / 10,
      campaign_id: i % 50,
      company_id: i % 7,
      publisher_id: i % 11,
      group_id: i % 13,
      job_id: i,
      custom_track: 'click',
      user_id: `user-${i % 1000}`,
      url: 'https://jobs.example.com/listing?id=12345&ref=campaign',
      user_agent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36',
    },
    { receivedAt: now, source: 'bench', allowBodySource: false, limits: DEFAULT_EVENT_LIMITS },
  );
  if (!r.ok) throw new Error(r.reject.message);
  return r.event.json;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

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
  const now = Date.now();
  for (let i = 0; i < ROWS; i += 2000) {
    await producer.send(
      topic,
      Array.from({ length: Math.min(2000, ROWS - i) }, (_, j) => ({
        key: `user-${(i + j) % 1000}`,
        value: line(i + j, now),
      })),
    );
  }
  const groupId = `${topic}-group`;
  const s3 = info.s3;
  const startSink = (env: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', join(root, 'services/sink/src/main.ts')], {
      cwd: root,
      stdio: 'ignore',
      env: {
        ...process.env,
        KAFKA_BROKERS: kafka.brokers.join(','),
        S3_ENDPOINT: s3?.endpoint ?? '',
        S3_ACCESS_KEY_ID: s3?.credentials?.accessKeyId ?? '',
        S3_SECRET_ACCESS_KEY: s3?.credentials?.secretAccessKey ?? '',
        SINK_OUTPUT_URL: `s3://${s3?.bucket ?? 'loglake'}/${topic}`,
        SINK_TOPIC: topic,
        SINK_DLQ_TOPIC: `${topic}-dlq`,
        SINK_GROUP_ID: groupId,
        SINK_ADMIN_PORT: '19465',
        LOG_LEVEL: 'warn',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
    });
  // Drain with a short age limit, so that the last partial flush of each partition does not wait a minute.
  let sink = startSink({ SINK_FLUSH_MAX_AGE_MS: '2000' });
  const committedTotal = async () =>
    (await admin.committedOffsets(groupId, topic)).reduce(
      (n, c) => n + Math.max(0, Number(c.offset)),
      0,
    );
  try {
    const t0 = performance.now();
    const cpu0 = cpuSeconds(sink.pid ?? 0);
    while ((await committedTotal()) < ROWS) await sleep(200);
    const drainS = (performance.now() - t0) / 1000;
    const drainCpu = cpuSeconds(sink.pid ?? 0) - cpu0;
    // The steady phase runs a sink with the default settings.
    sink.kill('SIGTERM');
    await new Promise((resolve) => sink.once('exit', resolve));
    sink = startSink({});
    for (;;) {
      const up = await fetch('http://127.0.0.1:19465/readyz').then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await sleep(200);
    }
    const before = await (await fetch('http://127.0.0.1:19465/metrics')).text();

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
          value: line(ROWS + sent + j, t),
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
    const after = await (await fetch('http://127.0.0.1:19465/metrics')).text();
    delays.sort((a, b) => a - b);
    const perHour = 3600 / STEADY_S;
    const files =
      metric(after, 'loglake_sink_files_written_total') -
      metric(before, 'loglake_sink_files_written_total');
    const bytes =
      metric(after, 'loglake_sink_bytes_written_total') -
      metric(before, 'loglake_sink_bytes_written_total');
    console.log(
      JSON.stringify(
        {
          bench: 'sink',
          date: new Date().toISOString(),
          store: 'versitygw (local S3)',
          drain: {
            rows: ROWS,
            seconds: +drainS.toFixed(1),
            rows_per_s: Math.round(ROWS / drainS),
            cpu_seconds: +drainCpu.toFixed(1),
            rows_per_cpu_second: Math.round(ROWS / drainCpu),
          },
          steady: {
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
          },
        },
        null,
        2,
      ),
    );
  } finally {
    sink.kill('SIGTERM');
    await producer.disconnect();
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
