/**
 * The sink's composition root: config → logger, metrics, Kafka, object store, Parquet encoder →
 * LakeSink, an admin server for /metrics, and one ordered shutdown on SIGTERM/SIGINT.
 */
import Fastify from 'fastify';
import { createLogger, createRegistry, errorMessage, type Logger } from '@loglake/core';
import {
  createKafkaAdmin,
  createKafkaConsumer,
  createKafkaProducer,
  topicRetention,
} from '@loglake/kafka';
import { RestCatalog, createDataFileWriter, createS3FileIO } from '@loglake/iceberg';
import {
  LakeSink,
  TableCompactor,
  TableLayout,
  createDuckDbEncoder,
  createSinkMetrics,
  intentLayout,
  type LayoutFactory,
  type SinkMetrics,
} from '@loglake/lake';
import { openStore } from '@loglake/object-store';
import { loadConfig, redacted, type SinkConfig } from './config.ts';
import { retentionWarnings } from './retention-check.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n`);
    process.exit(2);
  }
  const logger = createLogger({ name: 'sink', level: config.logLevel });
  logger.info({ event: 'sink_config', config: redacted(config) }, 'configuration loaded');

  const registry = createRegistry({ service: 'sink' });
  const metrics = createSinkMetrics(registry);
  let layout: Layout;
  try {
    layout = await buildLayout(config, metrics, logger);
  } catch (error) {
    logger.fatal(
      { event: 'sink_start_failed', err: error },
      `cannot start: ${errorMessage(error)}`,
    );
    process.exit(1);
  }
  const sink = new LakeSink(config.sink, {
    consumer: createKafkaConsumer(
      config.kafka,
      {
        groupId: config.sink.groupId,
        sessionTimeoutMs: config.sessionTimeoutMs,
        rebalanceTimeoutMs: config.rebalanceTimeoutMs,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
      },
      logger,
    ),
    admin: createKafkaAdmin(config.kafka, logger),
    layout: layout.factory,
    dlqProducer: createKafkaProducer(config.kafka, { retries: 5 }, logger),
    metrics,
    logger,
  });

  const admin = Fastify({ logger: false });
  let ready = false;
  admin.get('/metrics', async (_request, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()),
  );
  admin.get('/healthz', async () => ({ status: 'ok' }));
  admin.get('/readyz', async (_request, reply) => reply.code(ready ? 200 : 503).send({ ready }));
  await admin.listen({ host: config.adminHost, port: config.adminPort });

  try {
    await sink.start();
  } catch (error) {
    // A missing bucket or topic is a start-up error, never a silent discard.
    logger.fatal(
      { event: 'sink_start_failed', err: error },
      `cannot start: ${errorMessage(error)}`,
    );
    process.exit(1);
  }
  ready = true;
  layout.compactor?.start(); // after start: the table exists
  void checkRetention(config, logger);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    ready = false;
    logger.info({ event: 'sink_stopping', signal }, 'stopping: flushing what is buffered');
    // Past the limit, exit anyway: what is not committed is read again by the next owner.
    const timer = setTimeout(() => {
      logger.error(
        { event: 'sink_stop_timeout' },
        'shutdown took too long; exiting without the rest',
      );
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    // A compaction in progress stops after its current group; it and the flush run side by side.
    await Promise.all([layout.compactor?.stop(), sink.stop()]);
    layout.close();
    await admin.close();
    logger.info({ event: 'sink_stopped' }, 'stopped; everything read is durable and committed');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

interface Layout {
  readonly factory: LayoutFactory;
  readonly close: () => void;
  /** The table's background compaction, when SINK_ICEBERG_COMPACT_INTERVAL_MS is set. */
  readonly compactor?: TableCompactor;
}

/**
 * The layout the sink writes through: the S3 layout under SINK_OUTPUT_URL, or an Iceberg table
 * through its REST catalog (SINK_TABLE_FORMAT=iceberg; the table is created when absent, in `start`).
 */
async function buildLayout(
  config: SinkConfig,
  metrics: SinkMetrics,
  logger: Logger,
): Promise<Layout> {
  const encoding = { threads: config.encoderThreads, memoryLimitMb: config.encoderMemoryMb };
  if (config.iceberg) {
    const { table, commitIntervalMs, location, codec, compaction } = config.iceberg;
    const catalog = await RestCatalog.connect(table.catalog);
    const dataFiles = await createDataFileWriter({ ...encoding, compression: codec });
    const io = createS3FileIO(config.s3);
    const target = { catalog, io, namespace: table.namespace, table: table.table };
    return {
      factory: (ctx) =>
        new TableLayout(ctx, {
          target,
          dataFiles,
          commitIntervalMs,
          ...(location ? { location } : {}),
          metrics,
        }),
      close: () => undefined,
      ...(compaction
        ? { compactor: new TableCompactor({ ...compaction, target, metrics, logger }) }
        : {}),
    };
  }
  const opened = openStore(config.outputUrl, config.s3);
  const encoder = await createDuckDbEncoder({ ...encoding, codec: config.codec });
  return { factory: intentLayout(opened.store, encoder), close: () => opened.close() };
}

/** Warns when the topic may delete records before the sink has written them; never stops the sink. */
async function checkRetention(
  config: ReturnType<typeof loadConfig>,
  logger: ReturnType<typeof createLogger>,
): Promise<void> {
  const topic = config.sink.topic;
  try {
    const retention = await topicRetention(config.kafka, topic, logger);
    const warnings = retentionWarnings(topic, retention, {
      flushMaxAgeMs: config.sink.flushMaxAgeMs,
      replayAllowanceMs: config.replayAllowanceMs,
    });
    for (const w of warnings) logger.warn({ event: 'sink_topic_retention_short', topic }, w);
  } catch (error) {
    logger.warn(
      { event: 'sink_topic_retention_unknown', topic, err: errorMessage(error) },
      `cannot read the retention of ${topic} (the principal needs DESCRIBE_CONFIGS on it): not checked`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`sink failed: ${errorMessage(error)}\n`);
  process.exit(1);
});
