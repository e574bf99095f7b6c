import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  envNonNegativeInt,
  envPositiveInt,
  errorMessage,
  LoglakeError,
  parseEnv,
  type Env,
} from '@loglake/core';
import {
  DEFAULT_COMPACTION_GRACE_MS,
  DEFAULT_COMPACTION_MEMORY_LIMIT_MB,
  DEFAULT_COMPACTION_THREADS,
  DEFAULT_TARGET_FILE_SIZE_BYTES,
  parseIcebergEnv,
  redactIcebergConfig,
  type IcebergTableConfig,
} from '@loglake/iceberg';
import { parseKafkaEnv, type KafkaClientConfig } from '@loglake/kafka';
import { PARQUET_CODECS, type ParquetCodec, type SinkOptions } from '@loglake/lake';
import { parseS3Env, type S3ClientConfig } from '@loglake/object-store';

/** `parquet`: the S3 layout (intents and objects by key); `iceberg`: commits to an Iceberg table. */
export const TABLE_FORMATS = ['parquet', 'iceberg'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

/** Codecs both DuckDB and Iceberg readers agree on for data files. */
const ICEBERG_CODECS = ['zstd', 'snappy', 'gzip', 'uncompressed'] as const;

/** The background compaction of closed hours (SINK_ICEBERG_COMPACT_*; docs/iceberg.md). */
export interface SinkCompactionConfig {
  readonly intervalMs: number;
  readonly graceMs: number;
  readonly targetFileSizeBytes: number;
  readonly threads: number;
  readonly memoryLimitMb: number;
  /** Under the sink's temp dir; removed after each run. */
  readonly workDir: string;
}

/**
 * Below a second the interval is more likely a unit mistake (seconds written as milliseconds) than
 * a wish: a run that finds nothing still loads the table and reads its manifests.
 */
const MIN_COMPACT_INTERVAL_MS = 1000;

const COMPACT_SETTINGS = [
  'SINK_ICEBERG_COMPACT_INTERVAL_MS',
  'SINK_ICEBERG_COMPACT_GRACE_MS',
  'SINK_ICEBERG_COMPACT_TARGET_BYTES',
  'SINK_ICEBERG_COMPACT_THREADS',
  'SINK_ICEBERG_COMPACT_MEMORY_MB',
] as const;

export interface SinkIcebergConfig {
  readonly table: IcebergTableConfig;
  readonly commitIntervalMs: number;
  /** Null when SINK_ICEBERG_COMPACT_INTERVAL_MS is 0 (the default): no background compaction. */
  readonly compaction: SinkCompactionConfig | null;
  /** Where a table the sink creates keeps its files (`s3://bucket/prefix`); default the catalog's. */
  readonly location?: string;
  readonly codec: (typeof ICEBERG_CODECS)[number];
}

export interface SinkConfig {
  readonly tableFormat: TableFormat;
  /** Set when `tableFormat` is `iceberg`: validated here, once. */
  readonly iceberg: SinkIcebergConfig | null;
  /** The S3 layout's root (`tableFormat` parquet); unused with a table. */
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
    SINK_TABLE_FORMAT: z.enum(TABLE_FORMATS).default('parquet'),
    SINK_ICEBERG_COMMIT_INTERVAL_MS: envPositiveInt.default(10_000),
    SINK_ICEBERG_COMPACT_INTERVAL_MS: envNonNegativeInt.optional(),
    SINK_ICEBERG_COMPACT_GRACE_MS: envNonNegativeInt.optional(),
    SINK_ICEBERG_COMPACT_TARGET_BYTES: envPositiveInt.optional(),
    SINK_ICEBERG_COMPACT_THREADS: envPositiveInt.optional(),
    SINK_ICEBERG_COMPACT_MEMORY_MB: envPositiveInt.optional(),
    SINK_ICEBERG_LOCATION: z
      .string()
      .regex(/^s3a?:\/\/[^/]+(\/.*)?$/, 'expected s3://bucket/prefix')
      .optional(),
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
    compactionRules(v, ctx);
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
    if (
      v.SINK_TABLE_FORMAT === 'iceberg' &&
      !(ICEBERG_CODECS as readonly string[]).includes(v.SINK_COMPRESSION)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['SINK_COMPRESSION'],
        message: `must be one of ${ICEBERG_CODECS.join(', ')} with SINK_TABLE_FORMAT=iceberg`,
      });
    }
  });

/** Compaction settings only with a table, only with an interval, and an interval of at least a second. */
function compactionRules(
  v: {
    SINK_TABLE_FORMAT: TableFormat;
  } & Partial<Record<(typeof COMPACT_SETTINGS)[number], number>>,
  ctx: z.RefinementCtx,
): void {
  const set = COMPACT_SETTINGS.filter((k) => v[k] !== undefined);
  const interval = v.SINK_ICEBERG_COMPACT_INTERVAL_MS ?? 0;
  if (v.SINK_TABLE_FORMAT !== 'iceberg') {
    for (const k of set) {
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: 'compacts an Iceberg table: only with SINK_TABLE_FORMAT=iceberg',
      });
    }
    return;
  }
  if (interval > 0 && interval < MIN_COMPACT_INTERVAL_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['SINK_ICEBERG_COMPACT_INTERVAL_MS'],
      message: `0 (off) or at least ${MIN_COMPACT_INTERVAL_MS} (milliseconds)`,
    });
  }
  if (interval === 0) {
    for (const k of set.filter((s) => s !== 'SINK_ICEBERG_COMPACT_INTERVAL_MS')) {
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: 'has no effect without SINK_ICEBERG_COMPACT_INTERVAL_MS (compaction is off)',
      });
    }
  }
}

function compactionConfig(v: z.output<typeof schema>, tmpDir: string): SinkCompactionConfig | null {
  const intervalMs = v.SINK_ICEBERG_COMPACT_INTERVAL_MS ?? 0;
  if (intervalMs === 0) return null;
  return {
    intervalMs,
    graceMs: v.SINK_ICEBERG_COMPACT_GRACE_MS ?? DEFAULT_COMPACTION_GRACE_MS,
    targetFileSizeBytes: v.SINK_ICEBERG_COMPACT_TARGET_BYTES ?? DEFAULT_TARGET_FILE_SIZE_BYTES,
    threads: v.SINK_ICEBERG_COMPACT_THREADS ?? DEFAULT_COMPACTION_THREADS,
    memoryLimitMb: v.SINK_ICEBERG_COMPACT_MEMORY_MB ?? DEFAULT_COMPACTION_MEMORY_LIMIT_MB,
    workDir: join(tmpDir, 'compact'),
  };
}

/** Parses the sink's own variables and, with a table, the SINK_ICEBERG_* ones: every problem of both listed at once. */
function parseAll(env: Env): { v: z.output<typeof schema>; table: IcebergTableConfig | null } {
  const problems: string[] = [];
  let v: z.output<typeof schema> | null = null;
  let table: IcebergTableConfig | null = null;
  try {
    v = parseEnv(schema, env, 'sink');
  } catch (error) {
    problems.push(errorMessage(error));
  }
  if ((v?.SINK_TABLE_FORMAT ?? env.SINK_TABLE_FORMAT) === 'iceberg') {
    try {
      table = parseIcebergEnv(env, 'SINK_');
    } catch (error) {
      problems.push(errorMessage(error));
    }
  }
  if (!v || problems.length > 0)
    throw new LoglakeError('LOGLAKE_CONFIG_INVALID', problems.join('\n'));
  return { v, table };
}

export function loadConfig(env: Env): SinkConfig {
  const { v, table } = parseAll(env);
  const writer = v.SINK_WRITER_ID ?? `${hostname()}-${process.pid}`;
  const tmpDir = v.SINK_TMP_DIR ?? join(tmpdir(), `loglake-sink-${process.pid}`);
  return {
    tableFormat: v.SINK_TABLE_FORMAT,
    iceberg: table
      ? {
          table,
          commitIntervalMs: v.SINK_ICEBERG_COMMIT_INTERVAL_MS,
          compaction: compactionConfig(v, tmpDir),
          ...(v.SINK_ICEBERG_LOCATION ? { location: v.SINK_ICEBERG_LOCATION } : {}),
          codec: v.SINK_COMPRESSION as SinkIcebergConfig['codec'],
        }
      : null,
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
      tmpDir,
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
    iceberg: config.iceberg
      ? { ...config.iceberg, table: redactIcebergConfig(config.iceberg.table) }
      : null,
    s3: { ...config.s3, ...(config.s3.credentials ? { credentials: '[redacted]' } : {}) },
    kafka: {
      ...config.kafka,
      ...(config.kafka.sasl ? { sasl: { ...config.kafka.sasl, password: '[redacted]' } } : {}),
    },
  };
}
