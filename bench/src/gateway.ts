/**
 * `pnpm bench:gateway`: accepted events per second of the gateway alone into the local Kafka
 * broker, for batches of 1, 100 and 1,000 events per request. Prints one JSON object.
 * The load client runs on the same 2 cores as the gateway and the broker.
 * BENCH_DURATION_MS sets each shape's duration; NODE_OPTIONS (e.g. `--cpu-prof`) reaches the gateway.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafkaAdmin } from '@loglake/kafka';
import { findRepoRoot, launchEnv, serviceLaunch, stackUp } from '@loglake/stack';
import { closedLoop } from './http-load.ts';
import { sampleBody } from './sample-event.ts';

const root = findRepoRoot();
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const PORT = 18080;
/** `BENCH_GATEWAY_SHAPES=100x32,1000x8`: only these events-per-request × connections shapes. */
const SHAPES: readonly (readonly [number, number])[] = (
  process.env.BENCH_GATEWAY_SHAPES ?? '1x64,100x32,1000x8'
)
  .split(',')
  .map((shape) => {
    const [batch, connections] = shape.split('x').map(Number);
    if (!Number.isSafeInteger(batch) || !Number.isSafeInteger(connections))
      throw new Error(`BENCH_GATEWAY_SHAPES: "${shape}" is not <events>x<connections>`);
    return [batch as number, connections as number] as const;
  });

async function main() {
  const info = await stackUp({ kafka: ['single'], s3: false, prometheus: 'off' });
  const brokers = info.kafka.single ?? [];
  const topic = `bench-gateway-${Date.now()}`;
  const admin = createKafkaAdmin({
    brokers,
    clientId: 'bench',
    ssl: false,
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 30000,
  });
  await admin.connect();
  await admin.ensureTopic({ topic, partitions: 6, replicationFactor: 1 });
  await admin.ensureTopic({ topic: `${topic}-dlq`, partitions: 1, replicationFactor: 1 });

  const launch = serviceLaunch(root, 'gateway');
  const gateway = spawn(process.execPath, launch.args, {
    cwd: root,
    stdio: 'ignore',
    env: launchEnv(launch, {
      KAFKA_BROKERS: brokers.join(','),
      GATEWAY_PORT: String(PORT),
      GATEWAY_ADMIN_PORT: '19464',
      GATEWAY_TOPIC: topic,
      GATEWAY_DLQ_TOPIC: `${topic}-dlq`,
      GATEWAY_OPEN_MODE: 'true',
      GATEWAY_RATE_LIMIT_EVENTS_PER_S: '0',
      LOG_LEVEL: 'warn',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }),
  });
  try {
    for (let i = 0; i < 200; i += 1) {
      const ok = await fetch(`http://127.0.0.1:${PORT}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }
    const results = [];
    for (const [batch, concurrency] of SHAPES) {
      const body = sampleBody(batch);
      const r = await closedLoop({
        url: `http://127.0.0.1:${PORT}/events`,
        body,
        headers: { 'content-type': 'application/json' },
        concurrency,
        durationMs: DURATION_MS,
      });
      const ok = r.byStatus['200'] ?? 0;
      results.push({
        batch,
        concurrency,
        accepted_events_per_s: Math.round((ok * batch) / r.seconds),
        requests_per_s: Math.round(ok / r.seconds),
        bytes_per_event: Math.round(Buffer.byteLength(body) / batch),
        non_200: r.requests - ok,
        errors: r.errors,
        latency_ms: {
          p50: +r.latencyMs.p50.toFixed(1),
          p99: +r.latencyMs.p99.toFixed(1),
          max: +r.latencyMs.max.toFixed(1),
        },
      });
    }
    const offsets = await admin.topicOffsets(topic);
    const inTopic = offsets.reduce((n, p) => n + Number(p.high), 0);
    console.log(
      JSON.stringify(
        {
          bench: 'gateway',
          date: new Date().toISOString(),
          duration_s: DURATION_MS / 1000,
          results,
          events_in_topic: inTopic,
        },
        null,
        2,
      ),
    );
  } finally {
    gateway.kill('SIGTERM');
    await admin.deleteTopics([topic, `${topic}-dlq`]);
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
