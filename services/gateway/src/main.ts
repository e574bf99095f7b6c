/**
 * The gateway's composition root: config → logger, metrics, Kafka → ingestor → HTTP apps,
 * and one ordered shutdown on SIGTERM/SIGINT. With `GATEWAY_WORKERS` > 1 the first process is the
 * primary (admin port, workers' lifecycle) and each worker runs the rest.
 */
import cluster from 'node:cluster';
import { createLogger, createRegistry, errorMessage, hasCode, type Logger } from '@loglake/core';
import {
  Ingestor,
  answerPrimary,
  buildAdminApp,
  buildGatewayApp,
  createGatewayMetrics,
  processStatus,
  startWorkers,
} from '@loglake/ingest';
import { createKafkaAdmin, createKafkaProducer } from '@loglake/kafka';
import { loadConfig, redacted, type GatewayConfig } from './config.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n`);
    process.exit(2);
  }
  const logger = createLogger({ name: 'gateway', level: config.logLevel });
  if (cluster.isWorker) {
    await runGateway(config, logger.child({ worker: cluster.worker?.id }), true);
    return;
  }
  logger.info({ event: 'gateway_config', config: redacted(config) }, 'configuration loaded');
  if (config.ingest.openMode) {
    logger.warn(
      { event: 'gateway_open_mode' },
      'OPEN MODE: requests without an API key are accepted. Set GATEWAY_API_KEYS and GATEWAY_OPEN_MODE=false for production.',
    );
  }
  if (config.workers > 1) await runPrimary(config, logger);
  else await runGateway(config, logger, false);
}

/** The primary of `GATEWAY_WORKERS` processes: the admin port, and SIGTERM passed to every worker. */
async function runPrimary(config: GatewayConfig, logger: Logger): Promise<void> {
  const pool = startWorkers(config.workers, logger, (code) => {
    void pool.stop().then(() => process.exit(code));
  });
  const adminApp = buildAdminApp({ status: pool, logger });
  await adminApp.listen({ host: config.adminHost, port: config.adminPort });
  logger.info(
    { event: 'gateway_workers', workers: config.workers, admin_port: config.adminPort },
    `${config.workers} workers on port ${config.port}; metrics of all of them on http://${config.adminHost}:${config.adminPort}/metrics`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'gateway_stopping', signal }, 'stopping every worker');
    const code = await pool.stop();
    await adminApp.close();
    logger.info({ event: 'gateway_stopped', code }, 'every worker stopped');
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** One gateway: the whole of it, or one worker of several (then the primary serves the admin port). */
async function runGateway(config: GatewayConfig, logger: Logger, worker: boolean): Promise<void> {
  // A signal that comes while the gateway is starting (a worker the primary just replaced) is kept
  // and acted on once it can stop in order, instead of killing it half started.
  let stop: ((signal: string) => Promise<void>) | null = null;
  let stopAsked: string | null = null;
  const onSignal = (signal: string) => {
    if (stop) void stop(signal);
    else stopAsked ??= signal;
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const registry = createRegistry({ service: 'gateway' });
  const metrics = createGatewayMetrics(registry);
  // Called again for each new producer: after a failed send the ingestor never sends on that
  // producer again and takes a new one (a new producer id), see ProducerSlot in @loglake/ingest.
  const createProducer = () =>
    createKafkaProducer(
      config.kafka,
      {
        idempotent: config.idempotent,
        compression: config.compression,
        ackTimeoutMs: config.ingest.kafkaTimeoutMs,
        // Once the request has been answered 503 there is nothing to wait for: the producer fails
        // the send, the slot replaces it, and the batches behind it go out on the new one.
        deliveryTimeoutMs: config.ingest.kafkaTimeoutMs,
        retries: 3,
      },
      logger,
    );
  // Dead letters go through a producer of their own (idempotent too): a bad event must not wait
  // behind the events' one request in flight.
  const createDlqProducer = () =>
    createKafkaProducer(config.kafka, { compression: config.compression, retries: 3 }, logger);
  const admin = createKafkaAdmin(config.kafka, logger);
  const probeKafka = async () => {
    await admin.connect();
    const topics = await admin.listTopics();
    for (const topic of [config.ingest.topic, config.ingest.dlqTopic]) {
      if (!topics.includes(topic)) {
        const who = config.kafka.sasl
          ? `, or User:${config.kafka.sasl.username} may not see it`
          : '';
        throw new Error(`topic ${topic} does not exist${who} (it needs WRITE on it)`);
      }
    }
  };

  const ingestor = new Ingestor(config.ingest, {
    createProducer,
    createDlqProducer,
    probeKafka,
    metrics,
    logger,
  });
  try {
    await ingestor.connect();
  } catch (error) {
    // Refused credentials or TLS will not heal by waiting: say so and exit.
    if (hasCode(error, 'LOGLAKE_KAFKA_AUTH_FAILED')) {
      logger.fatal({ event: 'gateway_start_failed', err: error }, `cannot start: ${error.message}`);
      process.exit(1);
    }
    // Start anyway, not ready: /readyz says 503 and requests get 503 until Kafka answers.
    ingestor.health.markFailure(errorMessage(error));
  }

  const app = buildGatewayApp({ ingestor, metrics, logger, maxBodyBytes: config.maxBodyBytes });
  const adminApp = worker
    ? null
    : buildAdminApp({ status: processStatus(registry, ingestor), logger });
  // A worker is ready for the primary once it listens (and Kafka answers), not while it starts.
  let listening = false;
  if (worker) answerPrimary(registry, () => listening && ingestor.ready);
  await adminApp?.listen({ host: config.adminHost, port: config.adminPort });
  await app.listen({ host: config.host, port: config.port });
  listening = true;
  logger.info(
    { event: 'gateway_listening', port: config.port, admin_port: config.adminPort },
    `gateway on http://${config.host}:${config.port}, metrics on http://${config.adminHost}:${config.adminPort}/metrics`,
  );

  let stopping = false;
  stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { event: 'gateway_stopping', signal },
      'stopping: new requests get 503, in-flight ones finish',
    );
    const timer = setTimeout(() => {
      logger.error({ event: 'gateway_stop_timeout' }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    // 1. New requests get 503 + Connection: close; accepted events are acknowledged.
    await ingestor.shutdown();
    await ingestor.idle();
    // 2. Every answer is written; close the listener and whatever connections remain.
    const closing = app.close();
    const force = setTimeout(() => app.server.closeAllConnections(), 1000);
    force.unref();
    await closing;
    clearTimeout(force);
    await ingestor.close();
    await admin.disconnect();
    await adminApp?.close();
    logger.info({ event: 'gateway_stopped' }, 'stopped; every acknowledged event is in Kafka');
    process.exit(0);
  };
  if (stopAsked) void stop(stopAsked);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${errorMessage(error)}\n`);
  process.exit(1);
});
