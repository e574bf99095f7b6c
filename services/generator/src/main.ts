/**
 * `pnpm generate`: synthetic traffic into the gateway (or straight into Kafka), open loop.
 * Progress on stderr, one JSON summary line on stdout; exit 2 on bad options, 1 when more than
 * --max-rejected-ratio of the events were finally rejected or requests failed.
 */
import { randomUUID } from 'node:crypto';
import { createRegistry, errorMessage, serveMetrics, type MetricsServer } from '@loglake/core';
import { createKafkaProducer, parseKafkaEnv } from '@loglake/kafka';
import {
  HELP,
  OptionsError,
  createHttpSender,
  createKafkaSender,
  createGeneratorMetrics,
  createProfile,
  parseOptions,
  runGenerator,
  type BatchSender,
  type GeneratorOptions,
  type RunStats,
} from '@loglake/traffic';

function progressLine(stats: RunStats, elapsedS: number): string {
  const l = stats.latency();
  return (
    `${elapsedS.toFixed(0)}s  sent ${stats.sent}  rate ${Math.round(stats.sent / Math.max(elapsedS, 0.001))}/s  ` +
    `accepted ${stats.accepted}  rejected ${stats.rejected}  retries ${stats.retries}  p50 ${l.p50} ms  p99 ${l.p99} ms`
  );
}

async function sender(options: GeneratorOptions): Promise<BatchSender> {
  if (!options.directKafka)
    return createHttpSender(options.target, options.apiKey, options.concurrency);
  const producer = createKafkaProducer(
    parseKafkaEnv(process.env, { clientId: 'loglake-generator' }),
  );
  await producer.connect();
  return createKafkaSender(producer, options.topic);
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`generate: ${error.message}\n\n${HELP}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const runId = options.runId ?? randomUUID();
  const profile = createProfile(options.profile, { seed: options.seed, runId, now: Date.now });
  const registry = createRegistry({ service: 'generator' });
  const metrics = createGeneratorMetrics(registry);
  let metricsServer: MetricsServer | null = null;
  if (options.metrics) {
    try {
      metricsServer = await serveMetrics(registry, options.metrics.host, options.metrics.port);
    } catch (error) {
      // Another run holds the port: the run matters more than its metrics.
      process.stderr.write(
        `generate: no /metrics on ${options.metrics.host}:${options.metrics.port} (${errorMessage(error)}); use --metrics\n`,
      );
    }
  }
  const out = await sender(options);
  const tty = process.stderr.isTTY;
  let lastPlain = 0;
  const summary = await runGenerator(
    options,
    runId,
    () => profile.next(),
    out,
    (stats, elapsedS) => {
      if (tty) process.stderr.write(`\r\x1b[2K${progressLine(stats, elapsedS)}`);
      else if (elapsedS - lastPlain >= 5) {
        lastPlain = elapsedS;
        process.stderr.write(`${progressLine(stats, elapsedS)}\n`);
      }
    },
    undefined,
    metrics,
  );
  await out.close();
  await metricsServer?.close();
  if (tty) process.stderr.write('\n');
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  const rejectedRatio = summary.sent === 0 ? 0 : summary.rejected / summary.sent;
  return rejectedRatio > options.maxRejectedRatio ||
    summary.accepted + summary.rejected !== summary.sent
    ? 1
    : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`generate failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
