import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { envNonNegativeInt, envPositiveInt, parseEnv, type Env } from '@loglake/core';
import { parseKafkaEnv, type KafkaClientConfig } from '@loglake/kafka';
import { PARQUET_CODECS, type ParquetCodec, type SinkOptions } from '@loglake/lake';
import { parseS3Env, type S3ClientConfig } from '@loglake/object-store';

export interface SinkConfig {
  readonly outputUrl: string;
  readonly adminHost: string;
  readonly adminPort: number;
  readonly codec: ParquetCodec;
  readonly encoderThreads: number;
  readonly encoderMemoryMb: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** How long the sink or S3 may be down with records still in Kafka: checked against the topic's retention. */
  readonly replayAllowanceMs: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  readonly kafka: KafkaClientConfig;
  readonly s3: S3ClientConfig;
  readonly sink: SinkOptions;
}

const MiB = 1024 * 1024;

const schema = z
  .object({
    SINK_OUTPUT_URL: z
      .string()
      .regex(/^(s3:\/\/[^/]+(\/.*)?|file:\/\/.+)$/, 'expected s3://bucket/prefix or file://path')
      .default('file://lake'),
    SINK_TOPIC: z.string().min(1).default('log-data'),
    SINK_DLQ_TOPIC: z.string().min(1).default('log-data-dlq'),
    SINK_GROUP_ID: z.string().min(1).default('loglake-sink'),
    SINK_FLUSH_MAX_ROWS: envPositiveInt.default(1_000_000),
    SINK_FLUSH_MAX_BYTES: envPositiveInt.default(64 * MiB),
    SINK_FLUSH_MAX_AGE_MS: envPositiveInt.default(60_000),
    SINK_MEMORY_BUDGET_BYTES: envPositiveInt.default(256 * MiB),
    SINK_MAX_FLUSHES_IN_FLIGHT: envPositiveInt.default(4),
    SINK_DEDUP_WINDOW_RECORDS: envNonNegativeInt.default(100_000),
    SINK_COMPRESSION: z.enum(PARQUET_CODECS).default('zstd'),
    SINK_ENCODER_THREADS: envPositiveInt.default(1),
    SINK_ENCODER_MEMORY_MB: envPositiveInt.default(512),
    SINK_RETRY_INITIAL_MS: envPositiveInt.default(200),
    SINK_RETRY_MAX_MS: envPositiveInt.default(30_000),
    SINK_SESSION_TIMEOUT_MS: envPositiveInt.default(30_000),
    SINK_REBALANCE_TIMEOUT_MS: envPositiveInt.default(60_000),
    SINK_HEARTBEAT_INTERVAL_MS: envPositiveInt.default(3_000),
    SINK_LAG_INTERVAL_MS: envPositiveInt.default(5_000),
    SINK_STORE_CHECK_TIMEOUT_MS: envPositiveInt.default(30_000),
    SINK_SHUTDOWN_TIMEOUT_MS: envPositiveInt.default(60_000),
    SINK_REPLAY_ALLOWANCE_MS: envNonNegativeInt.default(24 * 3_600_000),
    SINK_ADMIN_HOST: z.string().default('127.0.0.1'),
    SINK_ADMIN_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
    SINK_TMP_DIR: z.string().optional(),
    SINK_WRITER_ID: z.string().optional(),
    LOG_LEVEL: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      .default('info'),
  })
  .superRefine((v, ctx) => {
    if (v.SINK_MEMORY_BUDGET_BYTES < 2 * v.SINK_FLUSH_MAX_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['SINK_MEMORY_BUDGET_BYTES'],
        message:
          'must be at least twice SINK_FLUSH_MAX_BYTES, or size-based flushes could never fill',
      });
    }
    if (v.SINK_HEARTBEAT_INTERVAL_MS * 3 > v.SINK_SESSION_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SINK_HEARTBEAT_INTERVAL_MS'],
        message: 'must be at most a third of SINK_SESSION_TIMEOUT_MS',
      });
    }
  });

export function loadConfig(env: Env): SinkConfig {
  const v = parseEnv(schema, env, 'sink');
  const writer = v.SINK_WRITER_ID ?? `${hostname()}-${process.pid}`;
  return {
    outputUrl: v.SINK_OUTPUT_URL,
    adminHost: v.SINK_ADMIN_HOST,
    adminPort: v.SINK_ADMIN_PORT,
    codec: v.SINK_COMPRESSION,
    encoderThreads: v.SINK_ENCODER_THREADS,
    encoderMemoryMb: v.SINK_ENCODER_MEMORY_MB,
    sessionTimeoutMs: v.SINK_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: v.SINK_HEARTBEAT_INTERVAL_MS,
    rebalanceTimeoutMs: v.SINK_REBALANCE_TIMEOUT_MS,
    shutdownTimeoutMs: v.SINK_SHUTDOWN_TIMEOUT_MS,
    replayAllowanceMs: v.SINK_REPLAY_ALLOWANCE_MS,
    logLevel: v.LOG_LEVEL,
    kafka: parseKafkaEnv(env, { clientId: 'loglake-sink' }),
    s3: parseS3Env(env),
    sink: {
      topic: v.SINK_TOPIC,
      dlqTopic: v.SINK_DLQ_TOPIC,
      groupId: v.SINK_GROUP_ID,
      flushMaxRows: v.SINK_FLUSH_MAX_ROWS,
      flushMaxBytes: v.SINK_FLUSH_MAX_BYTES,
      flushMaxAgeMs: v.SINK_FLUSH_MAX_AGE_MS,
      memoryBudgetBytes: v.SINK_MEMORY_BUDGET_BYTES,
      maxFlushesInFlight: v.SINK_MAX_FLUSHES_IN_FLIGHT,
      dedupWindowRecords: v.SINK_DEDUP_WINDOW_RECORDS,
      writer,
      tmpDir: v.SINK_TMP_DIR ?? join(tmpdir(), `loglake-sink-${process.pid}`),
      retryInitialMs: v.SINK_RETRY_INITIAL_MS,
      retryMaxMs: v.SINK_RETRY_MAX_MS,
      storeCheckTimeoutMs: v.SINK_STORE_CHECK_TIMEOUT_MS,
      lagIntervalMs: v.SINK_LAG_INTERVAL_MS,
    },
  };
}

export function redacted(config: SinkConfig): Record<string, unknown> {
  return {
    ...config,
    s3: { ...config.s3, ...(config.s3.credentials ? { credentials: '[redacted]' } : {}) },
    kafka: {
      ...config.kafka,
      ...(config.kafka.sasl ? { sasl: { ...config.kafka.sasl, password: '[redacted]' } } : {}),
    },
  };
}
